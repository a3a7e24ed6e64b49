' The scene: loads the feed (FeedTask), keeps it fresh, and runs the screen stack. Each
' screen is its own component; this file only opens and closes them and does what needs
' the whole model (deep links, search, the next episode).

sub init()
    m.config = AppConfig()
    m.model = invalid
    m.content = invalid
    m.pendingLink = invalid
    m.launched = false
    m.retryDelay = 0
    m.feedTask = invalid
    m.message = invalid
    m.screens = m.top.FindNode("screens")
    m.status = m.top.FindNode("status")
    m.chrome = m.top.FindNode("chrome")
    m.spinner = m.top.FindNode("spinner")
    m.background = m.top.FindNode("background")

    ' With ui_resolutions=hd,fhd (or sd) the scene's coordinates follow the display: scale
    ' the FHD layout to it. With fhd alone Roku scales the whole scene itself.
    declared = CreateObject("roAppInfo").GetValue("ui_resolutions")
    ui = CreateObject("roDeviceInfo").GetUIResolution()
    if Instr(1, declared, ",") > 0 then
        if ui <> invalid and ui.width <> invalid and ui.width > 0 and ui.width <> 1920 then
            m.top.FindNode("root").scale = [ui.width / 1920.0, ui.height / 1080.0]
        end if
    end if
    if ui <> invalid then say("display: " + ui.width.ToStr() + "x" + ui.height.ToStr() + " (ui_resolutions " + declared + ")")
    c = m.config
    m.global.AddFields({textColor: c.textColor, accent: c.accent, background: c.background, language: "en"})
    m.background.color = c.background
    m.status.color = c.textColor
    m.spinner.poster.uri = "pkg:/images/spinner.png"
    m.spinner.poster.width = 96
    m.spinner.poster.height = 96

    m.retryTimer = CreateObject("roSGNode", "Timer")
    m.retryTimer.ObserveField("fire", "onRetryTimer")
    m.refreshTimer = CreateObject("roSGNode", "Timer")
    m.refreshTimer.repeat = true
    m.refreshTimer.duration = c.refreshSeconds
    m.refreshTimer.ObserveField("fire", "onRefreshTimer")

    ' Analytics beacons go out from their own Task (never roUrlTransfer on this thread).
    m.analytics = CreateObject("roSGNode", "AnalyticsTask")
    m.analytics.url = c.analyticsUrl
    if c.analyticsUrl <> "" then m.analytics.control = "RUN"

    InitScreenStack()
    m.home = CreateObject("roSGNode", "HomeScreen")
    m.home.ObserveField("selectedId", "onOpenItem")
    m.home.ObserveField("playId", "onPlayItem")
    m.home.ObserveField("openSearch", "onOpenSearch")
    ShowScreen(m.home)
    loadFeed(true)
end sub

sub say(line as String)
    print "[channel] " + line
end sub

' ---------------------------------------------------------------- waiting

sub waitFor(reason as String)
    if not m.spinner.visible then say("waiting: " + reason)
    m.spinner.visible = true
    m.spinner.control = "start"
end sub

sub doneWaiting()
    if m.spinner.visible then say("waiting: done")
    m.spinner.visible = false
    m.spinner.control = "stop"
end sub

' ---------------------------------------------------------------- feed

sub loadFeed(visible as Boolean)
    if m.feedTask <> invalid then return ' one load at a time
    if visible then waitFor("feed")
    m.feedTask = CreateObject("roSGNode", "FeedTask")
    m.feedTask.request = {feedUrl: m.config.feedUrl, searchFeedUrl: m.config.searchFeedUrl, channelTitle: m.config.title,
                          useCache: m.model = invalid}
    m.feedTask.ObserveField("model", "onModel")
    m.feedTask.control = "RUN"
end sub

sub onModel()
    task = m.feedTask
    model = task.model
    if model = invalid then return
    if not model.stale then m.feedTask = invalid ' the live answer ends this load
    if not model.ok then
        scheduleRetry(model.failure)
        return
    end if
    first = m.model = invalid
    m.model = model
    m.global.language = model.language
    m.content = task.content
    m.home.content = m.content ' the home screen keeps the viewer's place by item id
    if model.stale then
        m.status.text = ""
    else
        m.status.text = ""
        m.retryDelay = 0
        m.retryTimer.control = "stop"
        if m.refreshTimer.control <> "start" then m.refreshTimer.control = "start"
    end if
    if m.message <> invalid then
        CloseToHome()
        m.message = invalid
    end if
    doneWaiting()
    say("feed: " + model.rows.Count().ToStr() + " rows, " + model.order.Count().ToStr() + " items" + iif(model.stale, " (saved copy)", ""))
    if first then interactive()
    if m.pendingLink <> invalid and not model.stale then
        link = m.pendingLink
        m.pendingLink = invalid
        openLink(link)
    end if
end sub

function iif(condition as Boolean, yes as String, no as String) as String
    if condition then return yes
    return no
end function

' A failed load: the viewer is told in plain words whose fault it is, and the channel tries
' again by itself, waiting longer each time (5 s, 10 s, 20 s ... at most 5 minutes).
sub scheduleRetry(failure as Object)
    doneWaiting()
    if m.retryDelay = 0 then m.retryDelay = 5 else m.retryDelay = m.retryDelay * 2
    if m.retryDelay > 300 then m.retryDelay = 300
    say("feed failed (" + failure.kind + "): retry in " + m.retryDelay.ToStr() + " s")
    if m.model = invalid then
        showMessage(failure.text)
    else
        m.status.text = "Showing earlier programmes: can't refresh right now"
    end if
    m.retryTimer.duration = m.retryDelay
    m.retryTimer.control = "start"
end sub

sub onRetryTimer()
    loadFeed(m.model = invalid and m.message = invalid)
end sub

sub onRefreshTimer()
    say("refresh")
    loadFeed(false)
end sub

sub showMessage(text as String)
    if m.message = invalid then
        m.message = CreateObject("roSGNode", "MessageScreen")
        m.message.ObserveField("retry", "onRetryNow")
        m.message.text = text
        ShowScreen(m.message)
    else
        m.message.text = text
    end if
    m.message.retryIn = m.retryDelay
    say("error shown: " + text)
    interactive()
end sub

sub onRetryNow()
    m.retryTimer.control = "stop"
    waitFor("feed")
    loadFeed(false)
end sub

' The first screen a viewer can use is up: Roku's launch-time beacon (certification).
sub interactive()
    if m.launched then return
    m.launched = true
    m.top.signalBeacon("AppLaunchComplete")
    say("launch complete: " + ScreenNames())
end sub

sub OnScreenChanged(top as Object)
    m.chrome.visible = top.screenName <> "player"
    say("screen: " + ScreenNames())
end sub

' ---------------------------------------------------------------- screens

sub onOpenItem(event as Object)
    openItem(event.GetData())
end sub

sub onPlayItem(event as Object)
    id = event.GetData()
    item = m.model.items[id]
    if item = invalid then return
    if item.kind = "series" then
        openSeries(id, -1, "")
    else
        play(id, bookmark(id))
    end if
end sub

sub openItem(id as String)
    if m.model = invalid then return
    item = m.model.items[id]
    if item = invalid then return
    if item.kind = "series" then
        openSeries(id, -1, "")
    else
        openDetails(id)
    end if
end sub

function viewItem(id as String) as Object
    item = m.model.items[id]
    return {id: id, title: item.title, description: item.longDescription, thumbnail: item.thumbnail, live: item.live,
            meta: FeedModel_MetaLine(item, m.model.language), bookmark: bookmark(id),
            resumeText: "Resume from " + FeedModel_Duration(bookmark(id))}
end function

sub openDetails(id as String)
    screen = CreateObject("roSGNode", "DetailsScreen")
    screen.item = viewItem(id)
    screen.ObserveField("action", "onDetailsAction")
    ShowScreen(screen)
end sub

sub onDetailsAction(event as Object)
    screen = event.GetRoSGNode()
    id = screen.item.id
    if event.GetData() = "resume" then play(id, bookmark(id)) else play(id, 0)
end sub

' A series page: seasons, and the episodes of one with their pictures and descriptions.
' seasonNumber -1: the first season; episodeId: the episode to focus.
sub openSeries(id as String, seasonNumber as Integer, episodeId as String)
    series = m.model.items[id]
    if series = invalid then return
    seasons = []
    start = 0
    for i = 0 to series.seasons.Count() - 1
        season = series.seasons[i]
        if season.number = seasonNumber then start = i
        episodes = []
        for each eid in season.episodeIds
            e = m.model.items[eid]
            if eid = episodeId then start = i
            episodes.Push({id: eid, title: e.title, description: e.shortDescription, thumbnail: e.thumbnail,
                           label: FeedModel_EpisodeLabel(e)})
        end for
        seasons.Push({title: season.title, episodes: episodes})
    end for
    screen = CreateObject("roSGNode", "SeriesScreen")
    screen.series = {id: id, title: series.title, seasons: seasons, startSeason: start, focusId: episodeId}
    screen.ObserveField("selectedId", "onOpenEpisode")
    screen.ObserveField("playId", "onPlayEpisode")
    ShowScreen(screen)
end sub

sub onOpenEpisode(event as Object)
    openDetails(event.GetData())
end sub

sub onPlayEpisode(event as Object)
    id = event.GetData()
    play(id, bookmark(id))
end sub

sub onOpenSearch()
    screen = CreateObject("roSGNode", "SearchScreen")
    screen.ObserveField("query", "onSearchQuery")
    screen.ObserveField("selectedId", "onOpenItem")
    screen.ObserveField("playId", "onPlayItem")
    ShowScreen(screen)
end sub

sub onSearchQuery(event as Object)
    screen = event.GetRoSGNode()
    query = event.GetData()
    results = CreateObject("roSGNode", "ContentNode")
    if m.model <> invalid then
        for each id in FeedModel_Search(m.model, query)
            item = m.model.items[id]
            node = results.CreateChild("ContentNode")
            node.id = id
            node.title = item.title
            node.HDPosterUrl = item.thumbnail
        end for
    end if
    screen.results = results
    say("search: " + Chr(34) + query + Chr(34) + " -> " + results.GetChildCount().ToStr())
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

sub play(id as String, resumeAt as Integer)
    item = m.model.items[id]
    if item = invalid then return
    choice = FeedModel_ChooseVideo(item.videos, deviceProfile())
    if choice = invalid then return
    if item.live then resumeAt = 0
    screen = CreateObject("roSGNode", "PlayerScreen")
    screen.ObserveField("closed", "onPlayerClosed")
    screen.ObserveField("waiting", "onPlayerWaiting")
    screen.ads = m.config.ads
    screen.adBreaks = FeedModel_AdBreaks(item, m.config.ads, resumeAt)
    ShowScreen(screen) ' on the scene before it starts its Tasks
    screen.item = {id: id, title: item.title, live: item.live, duration: item.duration, genres: item.genres,
                   url: choice.url, streamFormat: choice.streamFormat, captions: item.captions, trickPlay: item.trickPlay,
                   resumeAt: resumeAt, nextId: item.nextId}
    m.analytics.event = {event: "play", id: id}
end sub

sub onPlayerWaiting(event as Object)
    if event.GetData() <> "" then waitFor(event.GetData()) else doneWaiting()
end sub

sub onPlayerClosed(event as Object)
    screen = event.GetRoSGNode()
    how = event.GetData()
    doneWaiting()
    item = screen.item
    screen.UnobserveField("waiting")
    screen.UnobserveField("closed")
    CloseScreen()
    below = TopScreen()
    if below <> invalid and below.screenName = "details" then below.item = viewItem(below.item.id)
    if how = "finished" and item.nextId <> "" then
        ' The next episode: its details below the player, so Back lands on them.
        if below <> invalid and below.screenName = "details" then below.item = viewItem(item.nextId)
        play(item.nextId, 0)
    end if
end sub

' ---------------------------------------------------------------- deep links

sub onDeepLink()
    link = m.top.deepLink
    if link = invalid then return
    say("deep link: " + link.contentId + " " + link.mediaType)
    if m.model = invalid or m.feedTask <> invalid then
        m.pendingLink = link ' applied once the live feed is in
    else
        openLink(link)
    end if
end sub

' The screens a viewer would have walked through are put on the stack under the target, so
' Back from a deep-linked episode goes to its details, its series, then home.
sub openLink(link as Object)
    target = FeedModel_FindDeepLink(m.model, link.contentId, link.mediaType)
    CloseToHome()
    if target.action = "play" then
        item = m.model.items[target.id]
        if item.seriesId <> "" then openSeries(item.seriesId, item.seasonNumber, item.id)
        openDetails(target.id)
        play(target.id, bookmark(target.id))
    else if target.action = "series" then
        openSeries(target.id, target.seasonNumber, "")
    end if
end sub

' ---------------------------------------------------------------- keys

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    if key = "back" then
        top = TopScreen()
        if top = invalid or m.screenStack.Count() <= 1 then return false ' home: Back leaves the channel
        if top.screenName = "message" and m.model = invalid then return false ' nothing to go back to
        if top.screenName = "message" then m.message = invalid
        CloseScreen()
        return true
    end if
    return false
end function
