' The feed Task: a stale cached copy is shown at once, the live feed replaces it.

sub init()
    m.top.functionName = "fetchFeed"
end sub

sub fetchFeed()
    request = m.top.request
    cacheFile = "cachefs:/feed.json"
    cached = {ok: false}
    ' The saved copy only when nothing is on screen yet: a refresh swaps the rows once.
    if request.useCache = true and CreateObject("roFileSystem").Exists(cacheFile) then cached = FeedModel_Parse(ReadAsciiFile(cacheFile))
    if cached.ok then
        model = FeedModel_Build(cached.feed)
        if model.rows.Count() > 0 then
            publish(model, true, "", invalid)
        end if
    end if

    fetched = FeedFetch_Get(request.feedUrl, 15000, 2)
    parsed = {ok: false, feed: invalid, error: fetched.error}
    if fetched.ok then parsed = FeedModel_Parse(fetched.text)
    ' A failure is published too: the scene keeps what it shows, else says what is wrong;
    ' either way it tries again by itself.
    if not parsed.ok then
        publish({rows: []}, false, parsed.error, FeedModel_Failure(fetched, request.channelTitle))
        return
    end if
    model = FeedModel_Build(parsed.feed)
    if model.rows.Count() = 0 then
        publish({rows: []}, false, "the feed has nothing to play", FeedModel_Failure({code: 200}, request.channelTitle))
        return
    end if
    WriteAsciiFile(cacheFile, fetched.text)
    if request.searchFeedUrl <> "" then
        search = FeedFetch_Get(request.searchFeedUrl, 15000, 1)
        if search.ok then FeedModel_AddSearchFeed(model, ParseJson(search.text))
    end if
    publish(model, false, "", invalid)
end sub

sub publish(model as Object, stale as Boolean, error as String, failure as Dynamic)
    model.ok = model.rows.Count() > 0
    model.stale = stale
    model.error = error
    model.failure = failure
    if model.ok then m.top.content = rowContent(model)
    m.top.model = model
end sub

' Rows of posters for the RowList: one ContentNode per row, one per item.
function rowContent(model as Object) as Object
    root = CreateObject("roSGNode", "ContentNode")
    for each row in model.rows
        rowNode = root.CreateChild("ContentNode")
        rowNode.title = row.title
        for each id in row.itemIds
            item = model.items[id]
            node = rowNode.CreateChild("ContentNode")
            node.id = item.id
            node.title = item.title
            node.description = item.shortDescription
            node.ShortDescriptionLine2 = FeedModel_MetaLine(item, model.language)
            node.HDPosterUrl = item.thumbnail
            node.FHDPosterUrl = item.thumbnail
            node.SDPosterUrl = item.thumbnail
        end for
    end for
    return root
end function
