' Series: Left/Right move between seasons and episodes; OK opens an episode's details,
' Play plays it. Back returns to where the viewer came from (the scene's stack).

sub init()
    m.top.screenName = "series"
    m.seasons = m.top.FindNode("seasons")
    m.episodes = m.top.FindNode("episodes")
    m.top.FindNode("title").color = m.global.textColor
    m.seasons.color = m.global.textColor
    m.seasons.focusedColor = m.global.background
    m.seasons.focusBitmapBlendColor = m.global.accent
    m.episodes.focusBitmapBlendColor = m.global.accent
    m.seasons.ObserveField("itemFocused", "onSeasonFocused")
    m.episodes.ObserveField("itemSelected", "onEpisodeSelected")
    m.shown = -1
end sub

sub onSeries()
    series = m.top.series
    m.top.FindNode("title").text = series.title
    list = CreateObject("roSGNode", "ContentNode")
    for each season in series.seasons
        list.CreateChild("ContentNode").title = season.title
    end for
    m.seasons.content = list
    m.seasons.jumpToItem = series.startSeason
    showSeason(series.startSeason)
    if series.focusId <> "" then
        episodes = series.seasons[series.startSeason].episodes
        for i = 0 to episodes.Count() - 1
            if episodes[i].id = series.focusId then m.episodes.jumpToItem = i
        end for
    end if
    m.seasons.visible = series.seasons.Count() > 1
    ' One season: no season list, the episodes take its place.
    if m.seasons.visible then m.episodes.translation = [540, 290] else m.episodes.translation = [192, 290]
end sub

sub showSeason(index as Integer)
    seasons = m.top.series.seasons
    if index < 0 or index >= seasons.Count() or index = m.shown then return
    m.shown = index
    list = CreateObject("roSGNode", "ContentNode")
    for each e in seasons[index].episodes
        node = list.CreateChild("ContentNode")
        node.id = e.id
        node.title = e.title
        node.description = e.description
        node.HDPosterUrl = e.thumbnail
        node.ShortDescriptionLine1 = e.label
    end for
    m.episodes.content = list
end sub

sub onSeasonFocused()
    showSeason(m.seasons.itemFocused)
end sub

function focusedEpisode() as Dynamic
    content = m.episodes.content
    if content = invalid then return invalid
    return content.GetChild(m.episodes.itemFocused)
end function

sub onEpisodeSelected()
    node = focusedEpisode()
    if node <> invalid then m.top.selectedId = node.id
end sub

sub onTakeFocus()
    if m.seasons.HasFocus() then return
    m.episodes.SetFocus(true)
end sub

function onKeyEvent(key as String, press as Boolean) as Boolean
    if not press then return false
    if key = "right" and m.seasons.HasFocus() then
        m.episodes.SetFocus(true)
        return true
    else if key = "left" and m.episodes.HasFocus() and m.seasons.visible then
        m.seasons.SetFocus(true)
        return true
    else if key = "play" and m.episodes.HasFocus() then
        node = focusedEpisode()
        if node <> invalid then m.top.playId = node.id
        return true
    end if
    return false
end function
