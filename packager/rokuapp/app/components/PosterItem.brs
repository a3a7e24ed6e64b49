sub init()
    m.poster = m.top.FindNode("poster")
    m.title = m.top.FindNode("title")
end sub

sub showContent()
    content = m.top.itemContent
    if content = invalid then return
    m.poster.uri = content.HDPosterUrl
    m.title.text = content.title
end sub
