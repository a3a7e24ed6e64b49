' Channel entry point: the scene, and deep links at launch and while running.

sub Main(args as Dynamic)
    screen = CreateObject("roSGScreen")
    port = CreateObject("roMessagePort")
    screen.SetMessagePort(port)
    scene = screen.CreateScene("MainScene")
    screen.Show()
    link = main_DeepLink(args)
    if link <> invalid then scene.deepLink = link
    ' Deep links while the channel runs (Roku Search, voice, the ECP /input command).
    input = CreateObject("roInput")
    input.SetMessagePort(port)
    while true
        msg = wait(0, port)
        kind = type(msg)
        if kind = "roSGScreenEvent" then
            if msg.IsScreenClosed() then return
        else if kind = "roInputEvent" then
            if msg.IsInput() then
                info = msg.GetInfo()
                link = main_DeepLink(info)
                if link <> invalid then scene.deepLink = link
            end if
        end if
    end while
end sub

' {contentId, mediaType} from launch arguments or an input event, or invalid.
function main_DeepLink(args as Dynamic) as Dynamic
    if type(args) <> "roAssociativeArray" then return invalid
    contentId = args.contentId
    if contentId = invalid then return invalid
    mediaType = args.mediaType
    if mediaType = invalid then mediaType = ""
    return {contentId: contentId.ToStr(), mediaType: mediaType.ToStr()}
end function
