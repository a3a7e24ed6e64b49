' The scene: views over the data layer's model. Views: loading, home, details, series,
' message (retry), video. Back walks down the stack; Back on home leaves the channel.

sub init()
    m.config = AppConfig()
    m.model = invalid
    m.content = invalid
    m.pendingLink = invalid
    m.launched = false
    m.view = "loading"
    m.stack = []
    m.detailId = ""
    m.seriesId = ""
    m.playingId = ""
    m.lastSaved = 0

    m.background = m.top.FindNode("background")
    m.status = m.top.FindNode("status")
    m.home = m.top.FindNode("home")
    m.rows = m.top.FindNode("rows")
    m.focusTitle = m.top.FindNode("focusTitle")
    m.focusDescription = m.top.FindNode("focusDescription")
    m.details = m.top.FindNode("details")
    m.detailPoster = m.top.FindNode("detailPoster")
    m.detailTitle = m.top.FindNode("detailTitle")
    m.detailMeta = m.top.FindNode("detailMeta")
    m.detailDescription = m.top.FindNode("detailDescription")
    m.actions = m.top.FindNode("actions")
    m.seriesView = m.top.FindNode("seriesView")
    m.seriesTitle = m.top.FindNode("seriesTitle")
    m.seasons = m.top.FindNode("seasons")
    m.episodes = m.top.FindNode("episodes")
    m.message = m.top.FindNode("message")
    m.messageText = m.top.FindNode("messageText")
    m.messageActions = m.top.FindNode("messageActions")
    m.player = m.top.FindNode("player")

    ' With ui_resolutions=hd,fhd (or sd) the scene's coordinates follow the display: scale
    ' the FHD layout to it. With fhd alone Roku scales the whole scene itself.
    if Instr(1, CreateObject("roAppInfo").GetValue("ui_resolutions"), ",") > 0 then
        ui = CreateObject("roDeviceInfo").GetUIResolution()
        if ui <> invalid and ui.width <> invalid and ui.width > 0 and ui.width <> 1920 then
            m.top.FindNode("root").scale = [ui.width / 1920.0, ui.height / 1080.0]
        end if
    end if
    applyColors()
    m.rows.ObserveField("rowItemFocused", "onItemFocused")
    m.rows.ObserveField("rowItemSelected", "onItemSelected")
    m.actions.ObserveField("itemSelected", "onAction")
    m.seasons.ObserveField("itemFocused", "onSeasonFocused")
    m.episodes.ObserveField("itemSelected", "onEpisodeSelected")
    m.messageActions.ObserveField("itemSelected", "onRetry")
    m.player.ObserveField("state", "onPlayerState")
    m.player.ObserveField("position", "onPlayerPosition")

    m.status.text = "Loading…"
    loadFeed()
end sub

sub applyColors()
    c = m.config
    m.background.color = c.background
    for each id in ["status", "focusTitle", "focusDescription", "detailTitle", "detailMeta", "detailDescription", "seriesTitle", "messageText"]
        m.top.FindNode(id).color = c.textColor
    end for
    m.rows.focusBitmapBlendColor = c.accent
    m.rows.rowLabelColor = c.textColor
    for each list in [m.actions, m.seasons, m.episodes, m.messageActions]
        list.color = c.textColor
        list.focusedColor = c.background
        list.focusBitmapBlendColor = c.accent
    end for
end sub

' ---------------------------------------------------------------- feed

sub loadFeed()
    m.feedTask = CreateObject("roSGNode", "FeedTask")
    m.feedTask.feedUrl = m.config.feedUrl
    m.feedTask.searchFeedUrl = m.config.searchFeedUrl
    m.feedTask.ObserveField("model", "onModel")
    m.feedTask.control = "RUN"
end sub

sub onModel()
    model = m.feedTask.model
    if model = invalid then return
    if not model.ok then
        if m.model = invalid then
            showMessage("The channel could not load its programmes (" + model.error + "). Check the network and try again.")
            m.status.text = ""
        else
            m.status.text = "Offline: showing the saved programmes"
        end if
        interactive()
        return
    end if
    m.model = model
    m.content = m.feedTask.content
    m.status.text = ""
    if model.stale then m.status.text = "Updating…"
    m.rows.content = m.content
    if m.view = "loading" or m.view = "message" then showHome()
    interactive()
    if m.pendingLink <> invalid then
        link = m.pendingLink
        m.pendingLink = invalid
        openLink(link)
    end if
end sub

' The first screen a viewer can use is up: Roku's launch-time beacon (certification).
sub interactive()
    if m.launched then return
    m.launched = true
    m.top.signalBeacon("AppLaunchComplete")
end sub

' ---------------------------------------------------------------- views

sub setView(name as String)
    m.view = name
    m.home.visible = name = "home"
    m.details.visible = name = "details"
    m.seriesView.visible = name = "series"
    m.message.visible = name = "message"
    m.player.visible = name = "video"
end sub

sub showHome()
    m.stack = []
    setView("home")
    m.rows.SetFocus(true)
    onItemFocused()
end sub

sub showMessage(text as String)
    m.messageText.text = text
    actions = CreateObject("roSGNode", "ContentNode")
    actions.CreateChild("ContentNode").title = "Retry"
    m.messageActions.content = actions
    setView("message")
    m.messageActions.SetFocus(true)
end sub

sub onRetry()
    m.status.text = "Loading…"
    setView("loading")
    loadFeed()
end sub

function focusedId() as String
    focus = m.rows.rowItemFocused
    if m.content = invalid or focus = invalid or focus.Count() < 2 then return ""
    row = m.content.GetChild(focus[0])
    if row = invalid then return ""
    node = row.GetChild(focus[1])
    if node = invalid then return ""
    return node.id
end function

sub onItemFocused()
    item = m.model.items[focusedId()]
    if item = invalid then return
    m.focusTitle.text = item.title
    m.focusDescription.text = item.shortDescription
end sub

sub onItemSelected()
    openItem(focusedId())
end sub

sub openItem(id as String)
    item = m.model.items[id]
    if item = invalid then return
    if item.kind = "series" then
        showSeries(id, 0)
    else
        showDetails(id)
    end if
end sub

sub pushView()
    if m.view = "home" or m.view = "details" or m.view = "series" then m.stack.Push({view: m.view, detailId: m.detailId, seriesId: m.seriesId})
end sub

sub showDetails(id as String)
    if m.model.items[id] = invalid then return
    pushView()
    fillDetails(id)
    setView("details")
    m.actions.SetFocus(true)
end sub

' The details of one item; Play / Resume reflect its bookmark now.
sub fillDetails(id as String)
    item = m.model.items[id]
    if item = invalid then return
    m.detailId = id
    m.detailPoster.uri = item.thumbnail
    m.detailTitle.text = item.title
    meta = []
    if item.releaseDate <> "" then meta.Push(item.releaseDate)
    duration = FeedModel_Duration(item.duration)
    if duration <> "" and not item.live then meta.Push(duration)
    if item.rating <> "" then meta.Push(item.rating)
    if item.live then meta.Push("Live")
    m.detailMeta.text = meta.Join("   ·   ")
    m.detailDescription.text = item.longDescription
    actions = CreateObject("roSGNode", "ContentNode")
    if item.live then
        actions.CreateChild("ContentNode").title = "Watch live"
    else
        actions.CreateChild("ContentNode").title = "Play"
        resume = bookmark(id)
        if resume > 0 then actions.CreateChild("ContentNode").title = "Resume from " + FeedModel_Duration(resume)
    end if
    m.actions.content = actions
    m.actions.jumpToItem = 0
end sub

sub onAction()
    if m.actions.itemSelected = 1 then
        play(m.detailId, bookmark(m.detailId))
    else
        play(m.detailId, 0)
    end if
end sub

sub showSeries(id as String, seasonNumber as Integer)
    series = m.model.items[id]
    if series = invalid then return
    pushView()
    m.seriesId = id
    m.seriesTitle.text = series.title
    list = CreateObject("roSGNode", "ContentNode")
    start = 0
    for i = 0 to series.seasons.Count() - 1
        list.CreateChild("ContentNode").title = series.seasons[i].title
        if series.seasons[i].number = seasonNumber then start = i
    end for
    m.seasons.content = list
    m.seasons.jumpToItem = start
    showEpisodes(start)
    setView("series")
    if series.seasons.Count() > 1 then m.seasons.SetFocus(true) else m.episodes.SetFocus(true)
end sub

sub showEpisodes(index as Integer)
    series = m.model.items[m.seriesId]
    if series = invalid or index < 0 or index >= series.seasons.Count() then return
    list = CreateObject("roSGNode", "ContentNode")
    for each id in series.seasons[index].episodeIds
        episode = m.model.items[id]
        node = list.CreateChild("ContentNode")
        node.id = id
        node.title = episode.episodeNumber.ToStr() + ".  " + episode.title
    end for
    m.episodes.content = list
end sub

sub onSeasonFocused()
    showEpisodes(m.seasons.itemFocused)
end sub

sub onEpisodeSelected()
    node = m.episodes.content.GetChild(m.episodes.itemSelected)
    if node <> invalid then showDetails(node.id)
end sub

sub goBack()
    if m.stack.Count() = 0 then
        showHome()
        return
    end if
    previous = m.stack.Pop()
    m.detailId = previous.detailId
    m.seriesId = previous.seriesId
    setView(previous.view)
    if previous.view = "home" then
        m.rows.SetFocus(true)
    else if previous.view = "details" then
        fillDetails(m.detailId)
        m.actions.SetFocus(true)
    else
        m.episodes.SetFocus(true)
    end if
end sub

' ---------------------------------------------------------------- playback

function deviceProfile() as Object
    mode = CreateObject("roDeviceInfo").GetVideoMode()
    quality = "HD"
    if Left(mode, 4) = "2160" then
        quality = "UHD"
    else if Left(mode, 4) = "1080" then
        quality = "FHD"
    else if Left(mode, 3) = "480" or Left(mode, 3) = "576" then
        quality = "SD"
    end if
    return {maxQuality: quality}
end function

sub play(id as String, resume as Integer)
    item = m.model.items[id]
    if item = invalid then return
    choice = FeedModel_ChooseVideo(item.videos, deviceProfile())
    if choice = invalid then return
    content = CreateObject("roSGNode", "ContentNode")
    content.url = choice.url
    content.streamFormat = choice.streamFormat
    content.title = item.title
    content.live = item.live
    if resume > 0 and not item.live then content.PlayStart = resume
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
    if m.view <> "video" then pushView()
    m.playingId = id
    m.lastSaved = resume
    m.player.content = content
    setView("video")
    m.player.SetFocus(true)
    m.player.control = "play"
    beacon("play", id)
end sub

sub beacon(event as String, id as String)
    if m.config.analyticsUrl = "" then return
    escape = CreateObject("roUrlTransfer")
    separator = "?"
    if Instr(1, m.config.analyticsUrl, "?") > 0 then separator = "&"
    ping = CreateObject("roSGNode", "PingTask")
    ping.url = m.config.analyticsUrl + separator + "event=" + event + "&id=" + escape.Escape(id)
    ping.control = "RUN"
end sub

sub stopPlayer()
    saveBookmark(Int(m.player.position))
    m.player.control = "stop"
    m.playingId = ""
    goBack()
end sub

sub onPlayerState()
    state = m.player.state
    if m.playingId = "" then return
    if state = "finished" then
        item = m.model.items[m.playingId]
        clearBookmark(m.playingId)
        if item <> invalid and item.nextId <> "" then
            ' Back returns to the details of the episode now playing.
            if m.stack.Count() > 0 then m.stack[m.stack.Count() - 1].detailId = item.nextId
            play(item.nextId, 0) ' next episode
        else
            m.player.control = "stop"
            m.playingId = ""
            goBack()
        end if
    else if state = "error" then
        m.player.control = "stop"
        m.playingId = ""
        goBack()
        m.status.text = "This video could not play: " + m.player.errorMsg
    end if
end sub

sub onPlayerPosition()
    position = Int(m.player.position)
    if position - m.lastSaved >= 10 then saveBookmark(position)
end sub

' ---------------------------------------------------------------- bookmarks (registry)

function bookmark(id as String) as Integer
    value = CreateObject("roRegistrySection", "bookmarks").Read(id)
    if value = "" then return 0
    return value.ToInt()
end function

sub saveBookmark(position as Integer)
    item = m.model.items[m.playingId]
    if item = invalid or item.live or position < 10 then return
    ' The last half minute counts as watched: the next Play starts over.
    if item.duration > 0 and position > item.duration - 30 then
        clearBookmark(m.playingId)
        return
    end if
    section = CreateObject("roRegistrySection", "bookmarks")
    section.Write(m.playingId, position.ToStr())
    section.Flush()
    m.lastSaved = position
end sub

sub clearBookmark(id as String)
    section = CreateObject("roRegistrySection", "bookmarks")
    section.Delete(id)
    section.Flush()
end sub

' ---------------------------------------------------------------- deep links

sub onDeepLink()
    link = m.top.deepLink
    if link = invalid then return
    if m.model = invalid then
        m.pendingLink = link ' applied once the feed is in
    else
        openLink(link)
    end if
end sub

sub openLink(link as Object)
    target = FeedModel_FindDeepLink(m.model, link.contentId, link.mediaType)
    if m.view = "video" then
        saveBookmark(Int(m.player.position))
        m.player.control = "stop"
        m.playingId = ""
    end if
    showHome()
    if target.action = "play" then
        showDetails(target.id)
        play(target.id, bookmark(target.id))
    else if target.action = "series" then
        showSeries(target.id, target.seasonNumber)
    end if
end sub

' ---------------------------------------------------------------- keys

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    if key = "back" then
        if m.view = "video" then
            stopPlayer()
            return true
        else if m.view = "details" or m.view = "series" then
            goBack()
            return true
        end if
        return false ' home, message, loading: Back leaves the channel
    end if
    if m.view = "series" then
        if key = "right" and m.seasons.HasFocus() then
            m.episodes.SetFocus(true)
            return true
        else if key = "left" and m.episodes.HasFocus() then
            m.seasons.SetFocus(true)
            return true
        end if
    end if
    return false
end function
