sub init()
    for each id in ["label", "title", "description"]
        m.top.FindNode(id).color = m.global.textColor
    end for
    m.top.FindNode("card").color = m.global.accent
end sub

sub showContent()
    content = m.top.itemContent
    if content = invalid then return
    m.top.FindNode("poster").uri = content.HDPosterUrl
    m.top.FindNode("label").text = content.ShortDescriptionLine1
    m.top.FindNode("title").text = content.title
    m.top.FindNode("description").text = content.description
end sub

sub onFocusPercent()
    color = m.global.textColor
    if m.top.focusPercent > 0.5 then color = m.global.background
    for each id in ["label", "title", "description"]
        m.top.FindNode(id).color = color
    end for
end sub
