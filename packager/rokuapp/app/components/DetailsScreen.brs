' Details: OK on Play / Resume, or the remote's Play/Pause, starts playback.

sub init()
    m.top.screenName = "details"
    for each id in ["title", "meta", "description"]
        m.top.FindNode(id).color = m.global.textColor
    end for
    m.actions = m.top.FindNode("actions")
    m.actions.color = m.global.textColor
    m.actions.focusedColor = m.global.background
    m.actions.focusBitmapBlendColor = m.global.accent
    m.top.FindNode("card").color = m.global.accent
    m.top.FindNode("cardTitle").color = "0xFFFFFFFF"
    m.poster = m.top.FindNode("poster")
    m.poster.ObserveField("loadStatus", "onLoadStatus")
    m.actions.ObserveField("itemSelected", "onAction")
end sub

sub onItem()
    item = m.top.item
    m.top.FindNode("title").text = item.title
    m.top.FindNode("cardTitle").text = item.title
    m.top.FindNode("meta").text = item.meta
    m.top.FindNode("description").text = item.description
    m.poster.uri = item.thumbnail
    showCard(item.thumbnail = "")
    actions = CreateObject("roSGNode", "ContentNode")
    m.kinds = []
    if item.live then
        actions.CreateChild("ContentNode").title = "Watch live"
        m.kinds.Push("play")
    else
        if item.bookmark > 0 then
            actions.CreateChild("ContentNode").title = item.resumeText
            m.kinds.Push("resume")
        end if
        actions.CreateChild("ContentNode").title = "Play from the start"
        m.kinds.Push("play")
    end if
    m.actions.content = actions
    m.actions.jumpToItem = 0
end sub

sub onLoadStatus()
    showCard(m.poster.loadStatus <> "ready")
end sub

sub showCard(visible as Boolean)
    m.top.FindNode("card").visible = visible
    m.top.FindNode("cardTitle").visible = visible
end sub

sub onTakeFocus()
    m.actions.SetFocus(true)
end sub

sub onAction()
    m.top.action = m.kinds[m.actions.itemSelected]
end sub

function onKeyEvent(key as String, press as Boolean) as Boolean
    if press and key = "play" then
        m.top.action = m.kinds[0]
        return true
    end if
    return false
end function
