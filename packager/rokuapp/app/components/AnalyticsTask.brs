sub init()
    m.top.functionName = "sendBeacons"
end sub

sub sendBeacons()
    port = CreateObject("roMessagePort")
    m.top.ObserveField("event", port)
    escape = CreateObject("roUrlTransfer")
    while true
        msg = wait(0, port)
        if type(msg) = "roSGNodeEvent" then
            ev = msg.GetData()
            if type(ev) = "roAssociativeArray" and ev.event <> invalid and ev.id <> invalid then
                url = m.top.url
                separator = "?"
                if Instr(1, url, "?") > 0 then separator = "&"
                url = url + separator + "event=" + escape.Escape(ev.event) + "&id=" + escape.Escape(ev.id)
                result = FeedFetch_Get(url, 5000, 1)
                print "[channel] analytics: " + ev.event + " " + ev.id + " -> " + result.code.ToStr()
            end if
        end if
    end while
end sub
