' Search: typing narrows the results at once; Right moves to the results, OK opens one,
' Play plays it.

sub init()
    m.top.screenName = "search"
    m.keyboard = m.top.FindNode("keyboard")
    m.grid = m.top.FindNode("grid")
    m.summary = m.top.FindNode("summary")
    m.summary.color = m.global.textColor
    m.grid.focusBitmapBlendColor = m.global.accent
    m.summary.text = "Type to search titles, descriptions and tags"
    m.keyboard.ObserveField("text", "onText")
    m.grid.ObserveField("itemSelected", "onSelected")
end sub

sub onText()
    m.top.query = m.keyboard.text
end sub

sub onResults()
    results = m.top.results
    m.grid.content = results
    count = results.GetChildCount()
    if m.top.query.Trim() = "" then
        m.summary.text = "Type to search titles, descriptions and tags"
    else if count = 0 then
        m.summary.text = "Nothing found for " + Chr(34) + m.top.query + Chr(34)
    else
        m.summary.text = count.ToStr() + " found for " + Chr(34) + m.top.query + Chr(34)
    end if
end sub

function focusedResult() as Dynamic
    if m.grid.content = invalid then return invalid
    return m.grid.content.GetChild(m.grid.itemFocused)
end function

sub onSelected()
    node = focusedResult()
    if node <> invalid then m.top.selectedId = node.id
end sub

sub onTakeFocus()
    if m.grid.HasFocus() then return
    m.keyboard.SetFocus(true)
end sub

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    hasResults = m.grid.content <> invalid and m.grid.content.GetChildCount() > 0
    if key = "right" and not m.grid.HasFocus() and hasResults then
        m.grid.SetFocus(true)
        return true
    else if key = "left" and m.grid.HasFocus() then
        m.keyboard.SetFocus(true)
        return true
    else if key = "play" and m.grid.HasFocus() then
        node = focusedResult()
        if node <> invalid then m.top.playId = node.id
        return true
    end if
    return false
end function
