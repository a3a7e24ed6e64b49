' The player: pre-roll, the video, mid-rolls at the break times (a mid-roll too soon after
' the last one is skipped), content resuming where it stopped after each break. Back stops and
' saves the place; Back during an ad leaves the player, as Roku's RAF samples do.

sub init()
    m.top.screenName = "player"
    m.video = m.top.FindNode("video")
    m.overlay = m.top.FindNode("overlay")
    m.progress = m.top.FindNode("progress")
    m.progress.color = m.global.accent
    m.time = m.top.FindNode("time")
    m.hideTimer = CreateObject("roSGNode", "Timer")
    m.hideTimer.duration = 5
    m.hideTimer.ObserveField("fire", "hideOverlay")
    m.video.ObserveField("state", "onState")
    m.video.ObserveField("position", "onPosition")
    m.nextBreak = 0
    m.lastAdsAt = -1 ' content position of the last mid-roll shown
    m.inAds = false
    m.lastSaved = 0
    m.started = false
end sub

sub say(line as String)
    print "[channel] " + line
end sub

sub onItem()
    item = m.top.item
    m.top.FindNode("title").text = item.title
    m.top.FindNode("liveBadge").visible = item.live
    content = CreateObject("roSGNode", "ContentNode")
    content.url = item.url
    content.streamFormat = item.streamFormat
    content.title = item.title
    content.live = item.live
    if item.resumeAt > 0 then content.PlayStart = item.resumeAt
    tracks = []
    for each caption in item.captions
        tracks.Push({Language: caption.language, TrackName: caption.url, Description: caption.language})
    end for
    if tracks.Count() > 0 then content.SubtitleTracks = tracks
    for each trick in item.trickPlay
        if trick.quality = "FHD" then
            content.FHDBifUrl = trick.url
        else if trick.quality = "SD" then
            content.SDBifUrl = trick.url
        else
            content.HDBifUrl = trick.url
        end if
    end for
    m.content = content
    m.lastSaved = item.resumeAt
    breaks = m.top.adBreaks
    if breaks = invalid then breaks = []
    m.breaks = breaks
    if m.breaks.Count() > 0 and m.breaks[0] = 0 then
        m.nextBreak = 1
        runAds("preroll", 0)
    else
        startVideo(item.resumeAt)
    end if
end sub

sub startVideo(position as Integer)
    if position > 0 then m.content.PlayStart = position
    m.video.content = m.content
    m.video.visible = true
    m.video.SetFocus(true)
    m.video.control = "play"
    m.top.waiting = "video"
    showOverlay()
    say("play: " + m.top.item.id + " from " + position.ToStr() + " s")
end sub

sub onTakeFocus()
    if not m.inAds then m.video.SetFocus(true)
end sub

' ---------------------------------------------------------------- overlay

sub showOverlay()
    m.overlay.visible = true
    updateOverlay()
    m.hideTimer.control = "stop"
    if m.video.state = "playing" then m.hideTimer.control = "start"
end sub

sub hideOverlay()
    if m.video.state = "playing" then m.overlay.visible = false
end sub

sub updateOverlay()
    item = m.top.item
    position = Int(m.video.position)
    if item.live then
        m.time.text = ""
        m.progress.width = 0
        return
    end if
    duration = item.duration
    if m.video.duration > 0 then duration = Int(m.video.duration)
    m.time.text = clockText(position) + " / " + clockText(duration)
    if duration > 0 then m.progress.width = 1536 * position / duration
end sub

function clockText(seconds as Integer) as String
    if seconds <= 0 then return "0:00"
    h = seconds \ 3600
    mm = (seconds mod 3600) \ 60
    ss = Right("0" + (seconds mod 60).ToStr(), 2)
    if h > 0 then return h.ToStr() + ":" + Right("0" + mm.ToStr(), 2) + ":" + ss
    return mm.ToStr() + ":" + ss
end function

sub onState()
    state = m.video.state
    say("video: " + state)
    if state = "playing" then
        m.top.waiting = ""
        m.started = true
        m.hideTimer.control = "start"
    else if state = "buffering" then
        m.top.waiting = "video"
        showOverlay()
    else if state = "paused" then
        showOverlay()
    else if state = "finished" and not m.inAds then
        clearBookmark(m.top.item.id)
        close("finished")
    else if state = "error" then
        say("video error: " + m.video.errorMsg)
        close("error")
    end if
end sub

sub onPosition()
    position = Int(m.video.position)
    if m.overlay.visible then updateOverlay()
    item = m.top.item
    if not item.live and position - m.lastSaved >= 10 then
        saveBookmark(item.id, position, item.duration)
        m.lastSaved = position
    end if
    if m.inAds or m.nextBreak >= m.breaks.Count() then return
    at = m.breaks[m.nextBreak]
    if position < at then return
    m.nextBreak = m.nextBreak + 1
    ' Frequency rule: no break within ads.minSecondsBetween of the last one.
    if m.lastAdsAt >= 0 and at - m.lastAdsAt < m.top.ads.minSecondsBetween then
        say("ads: break at " + at.ToStr() + " s skipped (ads " + (at - m.lastAdsAt).ToStr() + " s ago)")
        return
    end if
    m.resumeAt = position
    m.video.control = "stop"
    runAds("midroll", at)
end sub

' ---------------------------------------------------------------- ads

sub runAds(kind as String, at as Integer)
    m.inAds = true
    if kind = "midroll" then m.lastAdsAt = at ' the frequency rule spaces mid-rolls
    m.top.waiting = "ads"
    item = m.top.item
    m.adsTask = CreateObject("roSGNode", "AdsTask")
    genres = ""
    for each g in item.genres
        if genres <> "" then genres = genres + ","
        genres = genres + g
    end for
    m.adKind = kind
    m.adsTask.request = {adUrl: m.top.ads.url, kind: kind, position: at, contentId: item.id,
                         contentLength: item.duration, contentGenre: genres}
    m.adsTask.ObserveField("done", "onAdsDone")
    ' RAF draws its ads over the Task's parent, as Roku's VideoAds sample does.
    m.top.FindNode("adLayer").AppendChild(m.adsTask)
    m.adsTask.control = "RUN"
end sub

sub onAdsDone()
    result = m.adsTask.done
    m.top.FindNode("adLayer").RemoveChild(m.adsTask)
    m.inAds = false
    m.top.waiting = ""
    if not result.played then
        say("ads: the viewer left during the ads")
        close("ads")
        return
    end if
    if m.adKind = "preroll" then
        startVideo(m.top.item.resumeAt)
    else
        say("ads: content resumes at " + m.resumeAt.ToStr() + " s")
        startVideo(m.resumeAt)
    end if
end sub

' ---------------------------------------------------------------- leaving

sub close(how as String)
    if m.top.closed <> "" then return
    item = m.top.item
    if how = "back" and not item.live and m.started then saveBookmark(item.id, Int(m.video.position), item.duration)
    m.video.UnobserveField("state")
    m.video.UnobserveField("position")
    m.video.control = "stop"
    m.hideTimer.control = "stop"
    m.top.waiting = ""
    say("player closed: " + how)
    m.top.closed = how
end sub

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    if key = "back" then
        close("back")
        return true
    end if
    if m.inAds then return true
    if key = "play" then
        if m.video.state = "paused" then m.video.control = "resume" else m.video.control = "pause"
        return true
    end if
    showOverlay()
    return false
end function
