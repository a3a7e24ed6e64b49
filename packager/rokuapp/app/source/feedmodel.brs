' The data layer: a Direct Publisher JSON feed -> the channel's model (rows of item ids,
' items by id, series with seasons), the best video for the device, and deep-link lookup.
' Plain BrightScript with no SceneGraph calls, so it runs (and is tested) outside a
' SceneGraph runtime. Every field is read defensively: a feed item missing genres,
' content, videos, a thumbnail or any optional field is skipped or shown without it.

' ---------------------------------------------------------------- defensive readers

function fm_IsString(value as Dynamic) as Boolean
    t = type(value)
    return t = "String" or t = "roString"
end function

function fm_IsAA(value as Dynamic) as Boolean
    return type(value) = "roAssociativeArray"
end function

function fm_IsArray(value as Dynamic) as Boolean
    return type(value) = "roArray"
end function

function fm_IsNumber(value as Dynamic) as Boolean
    t = type(value)
    return t = "Integer" or t = "roInt" or t = "roInteger" or t = "LongInteger" or t = "roLongInteger" or t = "Float" or t = "roFloat" or t = "Double" or t = "roDouble"
end function

' The readers below are called tens of times per item: each tests types inline (one call,
' not three), which keeps a 2,000-item library inside the launch budget.

' aa[key] when it is a non-empty string, else fallback.
function fm_Str(aa as Dynamic, key as String, fallback = "" as String) as String
    if type(aa) <> "roAssociativeArray" then return fallback
    value = aa[key]
    t = type(value)
    if (t = "String" or t = "roString") and Len(value) > 0 then return value
    return fallback
end function

function fm_Int(aa as Dynamic, key as String, fallback = 0 as Integer) as Integer
    if type(aa) <> "roAssociativeArray" then return fallback
    value = aa[key]
    t = type(value)
    if t = "Integer" or t = "roInt" or t = "roInteger" or t = "LongInteger" or t = "roLongInteger" or t = "Float" or t = "roFloat" or t = "Double" or t = "roDouble" then return Int(value)
    return fallback
end function

function fm_Arr(aa as Dynamic, key as String) as Object
    if type(aa) = "roAssociativeArray" and type(aa[key]) = "roArray" then return aa[key]
    return []
end function

function fm_Obj(aa as Dynamic, key as String) as Dynamic
    if type(aa) = "roAssociativeArray" and type(aa[key]) = "roAssociativeArray" then return aa[key]
    return invalid
end function

' ---------------------------------------------------------------- parsing

' Feed text -> {ok, feed, error}. Anything that is not a JSON object (an HTML error page,
' an empty body, truncated JSON) is a failed fetch: the caller retries or keeps its cache.
function FeedModel_Parse(text as Dynamic) as Object
    if not fm_IsString(text) or Len(text) = 0 then return {ok: false, feed: invalid, error: "empty response"}
    first = Left(text.Trim(), 1)
    if first <> "{" then return {ok: false, feed: invalid, error: "not a JSON feed (starts with " + Chr(34) + first + Chr(34) + ")"}
    feed = ParseJson(text)
    if not fm_IsAA(feed) then return {ok: false, feed: invalid, error: "not valid JSON"}
    return {ok: true, feed: feed, error: ""}
end function

' The content types of a DP feed: root key, item kind, row title when there are no categories.
function FeedModel_Kinds() as Object
    return [
        {key: "movies", kind: "movie", title: "Movies"},
        {key: "series", kind: "series", title: "Series"},
        {key: "shortFormVideos", kind: "shortFormVideo", title: "Videos"},
        {key: "tvSpecials", kind: "tvSpecial", title: "Specials"},
        {key: "liveFeeds", kind: "liveFeed", title: "Live"}
    ]
end function

' ---------------------------------------------------------------- items

function fm_Videos(content as Dynamic) as Object
    out = []
    for each v in fm_Arr(content, "videos")
        url = fm_Str(v, "url")
        if url <> "" then
            out.Push({
                url: url,
                videoType: UCase(fm_Str(v, "videoType", "MP4")),
                quality: UCase(fm_Str(v, "quality", "HD")),
                bitrate: fm_Int(v, "bitrate", 0)
            })
        end if
    end for
    return out
end function

function fm_Captions(content as Dynamic) as Object
    out = []
    for each c in fm_Arr(content, "captions")
        url = fm_Str(c, "url")
        if url <> "" then
            out.Push({url: url, language: fm_Str(c, "language", "en"), captionType: UCase(fm_Str(c, "captionType", "CLOSED_CAPTION"))})
        end if
    end for
    return out
end function

function fm_TrickPlay(content as Dynamic) as Object
    out = []
    for each t in fm_Arr(content, "trickPlayFiles")
        url = fm_Str(t, "url")
        if url <> "" then out.Push({url: url, quality: UCase(fm_Str(t, "quality", "HD"))})
    end for
    return out
end function

function fm_Tags(raw as Dynamic) as Object
    out = []
    for each tag in fm_Arr(raw, "tags")
        t = type(tag)
        if t = "String" or t = "roString" then out.Push(LCase(tag.Trim()))
    end for
    return out
end function

function fm_Rating(raw as Dynamic) as String
    rating = fm_Obj(raw, "rating")
    if rating = invalid then return ""
    value = fm_Str(rating, "rating")
    if value = "" then return ""
    source = fm_Str(rating, "ratingSource")
    if source = "" then return value
    return value + " (" + source + ")"
end function

' One feed item -> the model's item, or invalid when it can't be shown (the reason goes to
' problems). Playable kinds need a video; everything needs an id and a title.
function fm_Item(raw as Dynamic, kind as String, problems as Object) as Dynamic
    if not fm_IsAA(raw) then
        problems.Push(kind + ": an entry that is not an object was skipped")
        return invalid
    end if
    id = fm_Str(raw, "id")
    if id = "" then
        if fm_IsNumber(raw.id) then id = Str(raw.id).Trim()
    end if
    if id = "" then
        problems.Push(kind + ": an item without an id was skipped")
        return invalid
    end if
    title = fm_Str(raw, "title")
    if title = "" then
        problems.Push(kind + " " + id + ": no title, skipped")
        return invalid
    end if
    short = fm_Str(raw, "shortDescription")
    item = {
        id: id,
        kind: kind,
        title: title,
        shortDescription: short,
        longDescription: fm_Str(raw, "longDescription", short),
        thumbnail: fm_Str(raw, "thumbnail"),
        releaseDate: fm_Str(raw, "releaseDate"),
        rating: fm_Rating(raw),
        tags: fm_Tags(raw),
        genres: [],
        dateAdded: "",
        duration: 0,
        videos: [],
        captions: [],
        trickPlay: [],
        live: kind = "liveFeed",
        seriesId: "",
        seasonNumber: 0,
        episodeNumber: 0,
        nextId: ""
    }
    for each g in fm_Arr(raw, "genres")
        t = type(g)
        if t = "String" or t = "roString" then item.genres.Push(g)
    end for
    if kind <> "series" then
        content = fm_Obj(raw, "content")
        item.videos = fm_Videos(content)
        if item.videos.Count() = 0 then
            problems.Push(kind + " " + id + ": no playable video (content.videos), skipped")
            return invalid
        end if
        item.dateAdded = fm_Str(content, "dateAdded")
        item.duration = fm_Int(content, "duration", 0)
        item.captions = fm_Captions(content)
        item.trickPlay = fm_TrickPlay(content)
    end if
    return item
end function

' A series' seasons (or its bare episodes as one season 0), episodes in episodeNumber order,
' each linked to the next for "next episode".
function fm_Series(series as Object, raw as Object, model as Object, problems as Object) as Boolean
    groups = []
    seasons = fm_Arr(raw, "seasons")
    if seasons.Count() > 0 then
        for each season in seasons
            if fm_IsAA(season) then groups.Push({number: fm_Int(season, "seasonNumber", 0), title: fm_Str(season, "title"), raw: fm_Arr(season, "episodes")})
        end for
    else
        groups.Push({number: 0, title: "", raw: fm_Arr(raw, "episodes")})
    end if
    series.seasons = []
    previous = invalid
    for each group in groups
        episodes = []
        for each rawEpisode in group.raw
            episode = fm_Item(rawEpisode, "episode", problems)
            if episode <> invalid and not model.items.DoesExist(episode.id) then
                episode.episodeNumber = fm_Int(rawEpisode, "episodeNumber", episodes.Count() + 1)
                episode.seasonNumber = group.number
                episode.seriesId = series.id
                if episode.thumbnail = "" then episode.thumbnail = series.thumbnail
                if episode.genres.Count() = 0 then episode.genres = series.genres
                episodes.Push(episode)
            end if
        end for
        episodes = fm_SortBy(episodes, "episodeNumber", false)
        ids = []
        for each episode in episodes
            if previous <> invalid then previous.nextId = episode.id
            previous = episode
            model.items[episode.id] = episode
            ids.Push(episode.id)
        end for
        if ids.Count() > 0 then
            title = group.title
            if title = "" then
                if group.number > 0 then title = "Season " + group.number.ToStr() else title = "Episodes"
            end if
            series.seasons.Push({number: group.number, title: title, episodeIds: ids})
        end if
    end for
    if series.seasons.Count() = 0 then
        problems.Push("series " + series.id + ": no playable episodes, skipped")
        return false
    end if
    return true
end function

' Stable sort of item AAs by one field (a string or a number), by the OS's own SortBy
' (stable; an insertion sort here took seconds on a 2,000-item library: the launch budget).
' Descending keeps equal keys in feed order: sorted from the reversed list, then reversed.
function fm_SortBy(items as Object, field as String, descending as Boolean) as Object
    out = []
    if descending then
        for i = items.Count() - 1 to 0 step -1
            out.Push(items[i])
        end for
    else
        out.Append(items)
    end if
    out.SortBy(field)
    if descending then out.Reverse()
    return out
end function

' ---------------------------------------------------------------- rows

' A category query: tags joined by AND or by OR (Roku allows one operator per query),
' matched against an item's tags without regard to case.
function FeedModel_MatchQuery(query as String, tags as Object) as Boolean
    q = query.Trim()
    op = "OR"
    parts = [q]
    if Instr(1, q, " AND ") > 0 then
        op = "AND"
        parts = q.Split(" AND ")
    else if Instr(1, q, " OR ") > 0 then
        parts = q.Split(" OR ")
    end if
    have = {}
    for each tag in tags
        have[tag] = true
    end for
    matched = 0
    wanted = 0
    for each part in parts
        tag = LCase(part.Trim())
        if tag <> "" then
            wanted = wanted + 1
            if have.DoesExist(tag) then matched = matched + 1
        end if
    end for
    if wanted = 0 then return false
    if op = "AND" then return matched = wanted
    return matched > 0
end function

' A query as {op, tags}: lowercase tags joined by AND or by OR (FeedModel_MatchQuery's reading).
function fm_QueryParts(query as String) as Object
    q = query.Trim()
    op = "OR"
    parts = [q]
    if Instr(1, q, " AND ") > 0 then
        op = "AND"
        parts = q.Split(" AND ")
    else if Instr(1, q, " OR ") > 0 then
        parts = q.Split(" OR ")
    end if
    tags = []
    for each part in parts
        tag = LCase(part.Trim())
        if tag <> "" then tags.Push(tag)
    end for
    return {op: op, tags: tags}
end function

' Each top-level item's tags as a set, by id.
function fm_TagSets(model as Object) as Object
    sets = {}
    for each id in model.order
        have = {}
        for each tag in model.items[id].tags
            have[tag] = true
        end for
        sets[id] = have
    end for
    return sets
end function

function fm_Matches(parts as Object, have as Object) as Boolean
    if parts.tags.Count() = 0 then return false
    matched = 0
    for each tag in parts.tags
        if have.DoesExist(tag) then matched = matched + 1
    end for
    if parts.op = "AND" then return matched = parts.tags.Count()
    return matched > 0
end function

function fm_Ordered(items as Object, order as String) as Object
    for each item in items
        item.sortKey = item.releaseDate + " " + item.dateAdded
    end for
    if order = "most_recent" then return fm_SortBy(items, "sortKey", true)
    if order = "chronological" then return fm_SortBy(items, "sortKey", false)
    return items ' manual and most_popular (the feed has no popularity): feed order
end function

function fm_Ids(items as Object) as Object
    ids = []
    for each item in items
        ids.Push(item.id)
    end for
    return ids
end function

function fm_CategoryRows(feed as Object, model as Object) as Object
    playlists = {}
    for each p in fm_Arr(feed, "playlists")
        name = fm_Str(p, "name")
        if name <> "" then playlists[name] = fm_Arr(p, "itemIds")
    end for
    rows = []
    tagSets = invalid
    for each category in fm_Arr(feed, "categories")
        name = fm_Str(category, "name")
        order = fm_Str(category, "order", "most_recent")
        members = []
        playlistName = fm_Str(category, "playlistName")
        query = fm_Str(category, "query")
        if playlistName <> "" then
            ids = playlists[playlistName]
            if ids = invalid then ids = []
            for each id in ids
                if fm_IsString(id) and model.items.DoesExist(id) then
                    if model.items[id].kind <> "episode" then members.Push(model.items[id])
                end if
            end for
        else if query <> "" then
            ' The query is split once per row and each item's tags made a set once per feed
            ' (not once per row and item): rows cost what a 2,000-item library can afford.
            parts = fm_QueryParts(query)
            if tagSets = invalid then tagSets = fm_TagSets(model)
            for each id in model.order
                if fm_Matches(parts, tagSets[id]) then members.Push(model.items[id])
            end for
        end if
        if name <> "" and members.Count() > 0 then rows.Push({title: name, itemIds: fm_Ids(fm_Ordered(members, order))})
    end for
    return rows
end function

' ---------------------------------------------------------------- the model

' feed (a parsed DP JSON object) -> {providerName, items: {id: item}, order: [top-level ids],
' rows: [{title, itemIds}], problems: [one line per skipped thing]}.
function FeedModel_Build(feed as Dynamic) as Object
    model = {providerName: "", items: {}, order: [], rows: [], problems: []}
    if not fm_IsAA(feed) then
        model.problems.Push("the feed is not a JSON object")
        return model
    end if
    model.providerName = fm_Str(feed, "providerName")
    for each k in FeedModel_Kinds()
        for each raw in fm_Arr(feed, k.key)
            item = fm_Item(raw, k.kind, model.problems)
            if item <> invalid then
                if model.items.DoesExist(item.id) then
                    model.problems.Push(k.kind + " " + item.id + ": the id is used twice, the second one was skipped")
                else if k.kind <> "series" or fm_Series(item, raw, model, model.problems) then
                    model.items[item.id] = item
                    model.order.Push(item.id)
                end if
            end if
        end for
    end for
    model.rows = fm_CategoryRows(feed, model)
    if model.rows.Count() = 0 then
        ' No categories (or none with items): one row per content type.
        for each k in FeedModel_Kinds()
            ids = []
            for each id in model.order
                if model.items[id].kind = k.kind then ids.Push(id)
            end for
            if ids.Count() > 0 then model.rows.Push({title: k.title, itemIds: ids})
        end for
    end if
    return model
end function

' ---------------------------------------------------------------- playback

function fm_QualityRank(quality as String) as Integer
    ranks = {SD: 1, HD: 2, FHD: 3, UHD: 4}
    if ranks.DoesExist(quality) then return ranks[quality]
    return 2
end function

' The Video node's streamFormat for a DP videoType.
function FeedModel_StreamFormat(videoType as String) as String
    formats = {HLS: "hls", DASH: "dash", SMOOTH: "ism", MP4: "mp4", MOV: "mov", M4V: "m4v"}
    if formats.DoesExist(videoType) then return formats[videoType]
    return "mp4"
end function

' The best of an item's videos for a device {maxQuality: "FHD"}: adaptive streams first
' (HLS, then DASH, then Smooth: they carry every rendition up to their quality), then the
' file with the highest quality the display shows, then the highest bitrate; a file too big
' for the display only when nothing else is there. Returns invalid when there is none.
function FeedModel_ChooseVideo(videos as Object, device as Object) as Dynamic
    preference = {HLS: 6, DASH: 5, SMOOTH: 4, MP4: 3, M4V: 2, MOV: 1}
    maxRank = fm_QualityRank(fm_Str(device, "maxQuality", "FHD"))
    best = invalid
    bestScore = -1
    for each v in videos
        if fm_IsAA(v) and fm_Str(v, "url") <> "" then
            format = preference[UCase(fm_Str(v, "videoType", "MP4"))]
            if format = invalid then format = 0
            rank = fm_QualityRank(UCase(fm_Str(v, "quality", "HD")))
            fits = 1
            if format >= 4 then
                fits = 2
            else if rank > maxRank then
                fits = 0
                rank = 5 - rank ' too big for the display: the smallest of those
            end if
            bitrate = fm_Int(v, "bitrate", 0)
            if bitrate > 99999 then bitrate = 99999
            score = ((fits * 10 + format) * 10 + rank) * 100000 + bitrate
            if score > bestScore then
                best = v
                bestScore = score
            end if
        end if
    end for
    if best = invalid then return invalid
    return {url: best.url, streamFormat: FeedModel_StreamFormat(UCase(fm_Str(best, "videoType", "MP4"))), quality: UCase(fm_Str(best, "quality", "HD")), bitrate: fm_Int(best, "bitrate", 0)}
end function

' Seconds -> "1:02:03" or "4:05".
function FeedModel_Duration(seconds as Integer) as String
    if seconds <= 0 then return ""
    h = seconds \ 3600
    m = (seconds mod 3600) \ 60
    s = seconds mod 60
    ss = Right("0" + s.ToStr(), 2)
    if h > 0 then return h.ToStr() + ":" + Right("0" + m.ToStr(), 2) + ":" + ss
    return m.ToStr() + ":" + ss
end function

' ---------------------------------------------------------------- deep links

' Roku Search feed (search-feed.json) -> extra deep-link ids: its season assets
' ("<series>-s<N>") open that season; a playId that differs from the asset id plays it.
sub FeedModel_AddSearchFeed(model as Object, doc as Dynamic)
    if model.aliases = invalid then model.aliases = {}
    for each asset in fm_Arr(doc, "assets")
        id = fm_Str(asset, "id")
        if id <> "" and not model.items.DoesExist(id) then
            info = fm_Obj(asset, "seasonInfo")
            if info <> invalid then
                model.aliases[id] = {id: fm_Str(info, "seriesId"), seasonNumber: fm_Int(info, "seasonNumber", 0)}
            else
                for each option in fm_Arr(fm_Obj(asset, "content"), "playOptions")
                    playId = fm_Str(option, "playId")
                    if playId <> "" and model.items.DoesExist(playId) then model.aliases[id] = {id: playId, seasonNumber: 0}
                end for
            end if
        end if
    end for
end sub

' A deep link (contentId, mediaType from the launch arguments or an roInputEvent) ->
' {action: "play" | "series" | "home", id, seasonNumber}. Series and seasons open the
' series; anything playable plays; an unknown id opens the home screen.
function FeedModel_FindDeepLink(model as Object, contentId as Dynamic, mediaType as Dynamic) as Object
    home = {action: "home", id: "", seasonNumber: 0}
    if not fm_IsString(contentId) or contentId = "" or not fm_IsAA(model) then return home
    id = contentId
    season = 0
    if not model.items.DoesExist(id) and fm_IsAA(model.aliases) then
        alias = model.aliases[id]
        if alias <> invalid then
            id = alias.id
            season = alias.seasonNumber
        end if
    end if
    item = model.items[id]
    if item = invalid then return home
    if item.kind = "series" then return {action: "series", id: id, seasonNumber: season}
    kind = ""
    if fm_IsString(mediaType) then kind = LCase(mediaType)
    if (kind = "series" or kind = "season") and item.seriesId <> "" then return {action: "series", id: item.seriesId, seasonNumber: item.seasonNumber}
    return {action: "play", id: id, seasonNumber: 0}
end function
