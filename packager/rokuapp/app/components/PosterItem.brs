sub init()
    m.poster = m.top.FindNode("poster")
    m.title = m.top.FindNode("title")
    m.card = m.top.FindNode("card")
    m.cardTitle = m.top.FindNode("cardTitle")
    m.title.color = m.global.textColor
    m.card.color = m.global.accent
    m.cardTitle.color = "0xFFFFFFFF"
    m.poster.ObserveField("loadStatus", "onLoadStatus")
end sub

sub showContent()
    content = m.top.itemContent
    if content = invalid then return
    m.title.text = content.title
    m.cardTitle.text = content.title
    m.poster.uri = content.HDPosterUrl
    showCard(content.HDPosterUrl = "")
end sub

' The title card shows until the picture is in, and stays when there is none.
sub onLoadStatus()
    showCard(m.poster.loadStatus <> "ready")
end sub

sub showCard(visible as Boolean)
    m.card.visible = visible
    m.cardTitle.visible = visible
end sub
