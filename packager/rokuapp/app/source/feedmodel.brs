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

' A rating as viewers read it: TVG -> TV-G, PG13 -> PG-13, NC17 -> NC-17, UNRATED ->
' Unrated. The source (USA_PR, MPAA, ...) is for Roku, not for viewers.
function FeedModel_Rating(value as String) as String
    v = UCase(value.Trim())
    names = {TVY: "TV-Y", TVY7: "TV-Y7", TVY14: "TV-Y14", TVG: "TV-G", TVPG: "TV-PG", TV14: "TV-14", TVMA: "TV-MA",
             PG13: "PG-13", NC17: "NC-17", UNRATED: "Unrated", NR: "Not Rated"}
    if names.DoesExist(v) then return names[v]
    if v = "UC" then return "Uc"
    return value.Trim()
end function

function fm_Rating(raw as Dynamic) as String
    return FeedModel_Rating(fm_Str(fm_Obj(raw, "rating"), "rating"))
end function

' "hh:mm:ss" (or "mm:ss", or seconds) -> seconds, -1 when it isn't a time.
function fm_Seconds(text as Dynamic) as Integer
    if fm_IsNumber(text) then return Int(text)
    if not fm_IsString(text) then return -1
    total = 0
    for each part in text.Trim().Split(":")
        if part = "" then return -1
        for i = 1 to part.Len()
            c = Asc(Mid(part, i, 1))
            if c < 48 or c > 57 then return -1
        end for
        total = total * 60 + part.ToInt()
    end for
    return total
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
        adBreaks: [],
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
        breaks = []
        for each t in fm_Arr(content, "adBreaks")
            seconds = fm_Seconds(t)
            if seconds >= 0 then breaks.Push(seconds)
        end for
        item.adBreaks = breaks
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

' Stable sort of item AAs by one field (a string or a number): a merge sort, n log n (an
' insertion sort took seconds on a 2,000-item library, the launch budget), and stable on
' every interpreter (the OS's SortBy is documented stable; brs-engine's is not).
function fm_SortBy(items as Object, field as String, descending as Boolean) as Object
    src = []
    src.Append(items)
    n = src.Count()
    width = 1
    while width < n
        dst = []
        lo = 0
        while lo < n
            mid = lo + width
            if mid > n then mid = n
            hi = lo + 2 * width
            if hi > n then hi = n
            i = lo
            j = mid
            while i < mid and j < hi
                a = src[i][field]
                b = src[j][field]
                if descending then takeRight = b > a else takeRight = b < a
                if takeRight then
                    dst.Push(src[j])
                    j = j + 1
                else
                    dst.Push(src[i])
                    i = i + 1
                end if
            end while
            while i < mid
                dst.Push(src[i])
                i = i + 1
            end while
            while j < hi
                dst.Push(src[j])
                j = j + 1
            end while
            lo = hi
        end while
        src = dst
        width = width * 2
    end while
    return src
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
    model.language = LCase(Left(fm_Str(feed, "language", "en"), 2))
    model.rows = fm_CategoryRows(feed, model)
    if model.rows.Count() = 0 then
        ' No categories (or none with items): one row per content type.
        for each k in FeedModel_Kinds()
            ids = []
            for each id in model.order
                if model.items[id].kind = k.kind then ids.Push(id)
            end for
            if ids.Count() > 0 then
                ' Live streams lead the home screen.
                if k.kind = "liveFeed" then model.rows.Unshift({title: k.title, itemIds: ids}) else model.rows.Push({title: k.title, itemIds: ids})
            end if
        end for
    else
        fm_ReachEveryItem(model)
    end if
    return model
end function

' Every top-level item on the home screen: live streams in a row pinned first (unless a
' category row already leads with them all), items in no category row in a final row.
sub fm_ReachEveryItem(model as Object)
    shown = {}
    for each row in model.rows
        for each id in row.itemIds
            shown[id] = true
        end for
    end for
    live = []
    rest = []
    for each id in model.order
        item = model.items[id]
        if item.live then
            live.Push(id)
        else if not shown.DoesExist(id) then
            rest.Push(id)
        end if
    end for
    if live.Count() > 0 then
        firstRow = model.rows[0].itemIds
        leads = firstRow.Count() >= live.Count()
        for i = 0 to live.Count() - 1
            if leads and firstRow[i] <> live[i] then leads = false
        end for
        if not leads then model.rows.Unshift({title: FeedModel_Words(model.language).live, itemIds: live})
    end if
    if rest.Count() > 0 then model.rows.Push({title: FeedModel_Words(model.language).more, itemIds: rest})
end sub

' ---------------------------------------------------------------- the viewer's language

' The few words the channel says itself, in the feed's language (English otherwise).
function FeedModel_Words(language as String) as Object
    words = {
        en: {live: "Live", more: "More to watch", months: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"], dateOrder: "mdy"},
        es: {live: "En directo", more: "Más para ver", months: ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"], dateOrder: "d de m de y"},
        fr: {live: "En direct", more: "À voir aussi", months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"], dateOrder: "dmy"},
        de: {live: "Live", more: "Mehr sehen", months: ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"], dateOrder: "d. m y"},
        pt: {live: "Ao vivo", more: "Mais para ver", months: ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro", "novembro", "dezembro"], dateOrder: "d de m de y"},
        it: {live: "In diretta", more: "Altro da vedere", months: ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"], dateOrder: "dmy"}
    }
    if words.DoesExist(language) then return words[language]
    return words.en
end function

' "2026-11-25" (or a full ISO date-time) -> "November 25, 2026" in the channel's language;
' anything else is returned as it is.
function FeedModel_Date(iso as String, language as String) as String
    if iso.Len() < 10 or Mid(iso, 5, 1) <> "-" or Mid(iso, 8, 1) <> "-" then return iso
    y = Left(iso, 4)
    month = Mid(iso, 6, 2).ToInt()
    day = Mid(iso, 9, 2).ToInt()
    if month < 1 or month > 12 or day < 1 or day > 31 then return iso
    w = FeedModel_Words(language)
    name = w.months[month - 1]
    d = day.ToStr()
    if w.dateOrder = "mdy" then return name + " " + d + ", " + y
    if w.dateOrder = "d de m de y" then return d + " de " + name + " de " + y
    if w.dateOrder = "d. m y" then return d + ". " + name + " " + y
    return d + " " + name + " " + y
end function

' A failed feed load in the viewer's words: whether the network or the channel's server is
' at fault. fetch: FeedFetch_Get's result ({code}); parsed: FeedModel_Parse's (or invalid).
function FeedModel_Failure(fetch as Object, title as String) as Object
    if fetch.code = 0 then
        return {kind: "network", text: "Can't connect to the internet. Check your Roku's network connection in Settings. We'll keep trying."}
    end if
    return {kind: "server", text: title + " isn't available right now: its server isn't answering as it should. This isn't your connection. We'll keep trying."}
end function

' ---------------------------------------------------------------- search

' Top-level items whose title, description or tags hold every word of the query (any case),
' titles matches first, in feed order.
function FeedModel_Search(model as Object, query as String) as Object
    words = []
    for each w in LCase(query).Trim().Split(" ")
        if w <> "" then words.Push(w)
    end for
    inTitle = []
    elsewhere = []
    if words.Count() = 0 then return inTitle
    for each id in model.order
        item = model.items[id]
        title = LCase(item.title)
        text = title + " " + LCase(item.shortDescription) + " " + LCase(item.longDescription) + " " + item.tags.Join(" ")
        all = true
        titleAll = true
        for each w in words
            if Instr(1, text, w) = 0 then all = false
            if Instr(1, title, w) = 0 then titleAll = false
        end for
        if titleAll then
            inTitle.Push(id)
        else if all then
            elsewhere.Push(id)
        end if
    end for
    inTitle.Append(elsewhere)
    return inTitle
end function

' ---------------------------------------------------------------- ads

' The ad breaks of one playback, in seconds from the start: a pre-roll (0) unless resuming
' or turned off, then the feed's content.adBreaks or, without those, one every
' ads.midrollSeconds. Live items get at most the pre-roll. ads: AppConfig().ads.
function FeedModel_AdBreaks(item as Object, ads as Object, resumeAt as Integer) as Object
    out = []
    if not fm_IsAA(ads) or fm_Str(ads, "url") = "" then return out
    if item.live then
        if ads.livePreroll then out.Push(0)
        return out
    end if
    if ads.preroll and resumeAt <= 0 then out.Push(0)
    marks = []
    for each t in item.adBreaks
        if t > 0 then marks.Push(t)
    end for
    if item.adBreaks.Count() = 0 and ads.midrollSeconds > 0 and item.duration > 0 then
        t = ads.midrollSeconds
        while t < item.duration - 30
            marks.Push(t)
            t = t + ads.midrollSeconds
        end while
    end if
    marks.Sort()
    for each t in marks
        if t > resumeAt and (out.Count() = 0 or out[out.Count() - 1] <> t) then out.Push(t)
    end for
    return out
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

' ---------------------------------------------------------------- what the screens show

' "November 25, 2026  ·  2:30  ·  TV-G" (or "Live  ·  TV-G"): one line under a title.
function FeedModel_MetaLine(item as Object, language as String) as String
    parts = []
    if item.live then parts.Push(FeedModel_Words(language).live)
    date = item.releaseDate
    if date = "" then date = item.dateAdded
    if date <> "" and not item.live then parts.Push(FeedModel_Date(date, language))
    if not item.live then
        duration = FeedModel_Duration(item.duration)
        if duration <> "" then parts.Push(duration)
    end if
    if item.rating <> "" then parts.Push(item.rating)
    return parts.Join("  ·  ")
end function

' "S1 · E2 · 22:10" for an episode (no season number when the series has none).
function FeedModel_EpisodeLabel(episode as Object) as String
    parts = []
    if episode.seasonNumber > 0 then parts.Push("S" + episode.seasonNumber.ToStr())
    parts.Push("E" + episode.episodeNumber.ToStr())
    duration = FeedModel_Duration(episode.duration)
    if duration <> "" then parts.Push(duration)
    return parts.Join("  ·  ")
end function
