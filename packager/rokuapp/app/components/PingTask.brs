sub init()
    m.top.functionName = "sendPing"
end sub

sub sendPing()
    FeedFetch_Get(m.top.url, 5000, 0)
end sub
