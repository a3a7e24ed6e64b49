' The channel app's data layer (feedfetch.brs, feedmodel.brs from the generated zip) run by
' brs-cli against served feeds: fetch, parse, rows, video choice, posters decoded, deep
' links. TestPlan() (written by the test) names the URLs. One tab-separated line per fact;
' the last line is the sentinel CHANNEL_CHECK_DONE.

sub Main()
    plan = TestPlan()
    t = Chr(9)
    fetched = FeedFetch_Get(plan.feedUrl, 10000, 2)
    parsed = FeedModel_Parse(fetched.text)
    if not fetched.ok or not parsed.ok then
        print "FEED_FAILED" + t + fetched.error + t + parsed.error
        return
    end if
    model = FeedModel_Build(parsed.feed)
    print "ROWS" + t + model.rows.Count().ToStr()
    for each row in model.rows
        print "ROW" + t + row.title + t + row.itemIds.Join(",")
    end for
    for each problem in model.problems
        print "PROBLEM" + t + problem
    end for

    device = {maxQuality: "FHD"}
    posters = 0
    for each id in model.order
        item = model.items[id]
        ids = [id]
        if item.kind = "series" then
            ids = []
            for each season in item.seasons
                print "SEASON" + t + id + t + season.number.ToStr() + t + season.episodeIds.Join(",")
                ids.Append(season.episodeIds)
            end for
        end if
        for each playId in ids
            playable = model.items[playId]
            choice = FeedModel_ChooseVideo(playable.videos, device)
            print "VIDEO" + t + playId + t + choice.streamFormat + t + choice.url + t + playable.nextId
        end for
        if item.thumbnail <> "" then
            posters = posters + 1
            path = "tmp:/poster" + posters.ToStr()
            code = FeedFetch_ToFile(item.thumbnail, path, 10000)
            bitmap = CreateObject("roBitmap", path)
            if code = 200 and bitmap <> invalid then
                print "POSTER" + t + id + t + bitmap.GetWidth().ToStr() + t + bitmap.GetHeight().ToStr()
            else
                print "POSTER_FAILED" + t + id + t + code.ToStr()
            end if
        end if
    end for

    if plan.searchFeedUrl <> "" then
        search = FeedFetch_Get(plan.searchFeedUrl, 10000, 1)
        if search.ok then FeedModel_AddSearchFeed(model, ParseJson(search.text))
    end if
    for each link in plan.links
        target = FeedModel_FindDeepLink(model, link.contentId, link.mediaType)
        print "LINK" + t + link.contentId + t + link.mediaType + t + target.action + t + target.id + t + target.seasonNumber.ToStr()
    end for

    ' Broken feeds: a failed fetch or a body that is not a feed is the retry path; bad
    ' items are skipped. Nothing here may stop the run.
    for each name in plan.broken
        result = FeedFetch_Get(plan.brokenBase + name, 5000, 2)
        outcome = "RETRY"
        if result.ok then
            doc = FeedModel_Parse(result.text)
            if doc.ok then
                built = FeedModel_Build(doc.feed)
                counts = []
                for each row in built.rows
                    counts.Push(row.title + "=" + row.itemIds.Count().ToStr())
                end for
                outcome = "ROWS" + t + counts.Join(",") + t + built.problems.Count().ToStr()
                for each id in built.order
                    choice = FeedModel_ChooseVideo(built.items[id].videos, device)
                    if choice <> invalid then print "BROKEN_VIDEO" + t + name + t + id + t + choice.url
                end for
            end if
        end if
        print "BROKEN" + t + name + t + outcome + t + result.code.ToStr()
    end for
    print "CHANNEL_CHECK_DONE"
end sub
