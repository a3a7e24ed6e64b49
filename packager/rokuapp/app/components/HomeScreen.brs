' Home: rows of tiles. OK opens an item, Play plays it, Up reaches Search. A new feed keeps
' the viewer's place (the same item stays focused when it is still there).

sub init()
    m.top.screenName = "home"
    m.rows = m.top.FindNode("rows")
    m.heroTitle = m.top.FindNode("heroTitle")
    m.heroMeta = m.top.FindNode("heroMeta")
    m.heroDescription = m.top.FindNode("heroDescription")
    m.searchButton = m.top.FindNode("searchButton")
    m.top.FindNode("edge").color = m.global.background
    for each id in ["heroTitle", "heroMeta", "heroDescription"]
        m.top.FindNode(id).color = m.global.textColor
    end for
    m.rows.focusBitmapBlendColor = m.global.accent
    m.rows.rowLabelColor = m.global.textColor
    buttons = CreateObject("roSGNode", "ContentNode")
    buttons.CreateChild("ContentNode").title = "Search"
    m.searchButton.content = buttons
    m.searchButton.color = m.global.textColor
    m.searchButton.focusedColor = m.global.background
    m.searchButton.focusBitmapBlendColor = m.global.accent
    m.rows.ObserveField("rowItemFocused", "onItemFocused")
    m.rows.ObserveField("rowItemSelected", "onItemSelected")
    m.searchButton.ObserveField("itemSelected", "onSearch")
end sub

sub onTakeFocus()
    if m.searchButton.HasFocus() then return
    m.rows.SetFocus(true)
end sub

sub onContent()
    keep = m.top.focusedId
    m.rows.content = m.top.content
    ' Same item focused after a refresh, wherever it moved.
    if keep <> "" then
        where = find(keep)
        if where <> invalid then m.rows.jumpToRowItem = where
    end if
    onItemFocused()
end sub

function find(id as String) as Dynamic
    content = m.top.content
    if content = invalid then return invalid
    for r = 0 to content.GetChildCount() - 1
        row = content.GetChild(r)
        for i = 0 to row.GetChildCount() - 1
            if row.GetChild(i).id = id then return [r, i]
        end for
    end for
    return invalid
end function

function focusedNode() as Dynamic
    focus = m.rows.rowItemFocused
    content = m.top.content
    if content = invalid or focus = invalid or focus.Count() < 2 then return invalid
    row = content.GetChild(focus[0])
    if row = invalid then return invalid
    return row.GetChild(focus[1])
end function

sub onItemFocused()
    node = focusedNode()
    if node = invalid then return
    m.top.focusedId = node.id
    m.heroTitle.text = node.title
    m.heroMeta.text = node.ShortDescriptionLine2
    m.heroDescription.text = node.description
end sub

sub onItemSelected()
    node = focusedNode()
    if node <> invalid then m.top.selectedId = node.id
end sub

sub onSearch()
    m.top.openSearch = true
end sub

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    if key = "play" and m.rows.HasFocus() then
        node = focusedNode()
        if node <> invalid then m.top.playId = node.id
        return true
    else if key = "up" and m.rows.HasFocus() then
        m.searchButton.SetFocus(true)
        return true
    else if key = "down" and m.searchButton.HasFocus() then
        m.rows.SetFocus(true)
        return true
    end if
    return false
end function
