' roku-packager's model of Roku's DP-to-SceneGraph conversion template reading a feed,
' written from the behaviour described in shared/ROKU-FEED.md (not Roku's code):
' a body-length gate, an MRSS/JSON sniff, one row per content array, and per item the
' fields the template reads without checking that they exist.
' Prints a summary and a final OK line; a runtime error (what breaks a real channel)
' stops it before OK.

sub Main()
    body = ReadAsciiFile("pkg:/feed.json")
    if Len(body) >= 500 * 1024 then
        print "FEED_TOO_LARGE"
        print "ROWS 0"
        print "OK"
        return
    end if
    if Left(body, 5) = "<?xml" or Left(body, 4) = "<rss" then
        rows = ReadMrss(body)
    else
        rows = ReadJson(body)
    end if
    print "ROWS "; rows.Count()
    firstPoster = ""
    for each row in rows
        print "ROW "; row.title; " "; row.children.Count()
        if firstPoster = "" and row.children.Count() > 0 then firstPoster = row.children[0].hdPosterUrl
    end for
    print "FIRST_POSTER "; firstPoster
    print "OK"
end sub

function ReadJson(body as String) as Object
    json = ParseJson(body)
    rows = []
    if json = invalid then
        print "NOT_JSON"
        return rows
    end if
    for each key in ["movies", "series", "shortFormVideos", "tvSpecials", "liveFeeds"]
        items = json[key]
        if items <> invalid then
            row = { title: key, children: [] }
            for each item in items
                if key = "series" then
                    row.children.Push(SeriesNode(item))
                else
                    row.children.Push(ItemNode(item))
                end if
            end for
            rows.Push(row)
        end if
    end for
    return rows
end function

function ItemNode(item as Object) as Object
    return {
        hdPosterUrl: item.thumbnail
        description: item.shortDescription
        id: item.id
        categories: item.genres[0]
        title: item.title
        url: item.content.videos[0].url
    }
end function

function SeriesNode(item as Object) as Object
    episodes = []
    if item.seasons <> invalid then
        for each season in item.seasons
            for each episode in season.episodes
                episodes.Push(EpisodeNode(episode))
            end for
        end for
    else
        for each episode in item.episodes
            episodes.Push(EpisodeNode(episode))
        end for
    end if
    print "SERIES "; item.id; " "; episodes.Count()
    return {
        hdPosterUrl: item.thumbnail
        description: item.shortDescription
        id: item.id
        categories: item.genres[0]
        title: item.title
        children: episodes
    }
end function

function EpisodeNode(episode as Object) as Object
    return {
        title: episode.title
        hdPosterUrl: episode.thumbnail
        description: episode.shortDescription
        url: episode.content.videos[0].url
    }
end function

function ReadMrss(body as String) as Object
    ' The off-device interpreter's roXMLElement has Parse, GetName, GetNamedElementsCi and
    ' GetAttributes (no GetText), so this checks that the plain title and description the
    ' template reads are there, and reads the attributes it takes: media:content's url and
    ' the media:thumbnail nested inside it.
    xml = CreateObject("roXMLElement")
    rows = []
    if not xml.Parse(body) then
        print "NOT_XML"
        return rows
    end if
    row = { title: "mrss", children: [] }
    for each item in xml.GetNamedElementsCi("channel")[0].GetNamedElementsCi("item")
        content = item.GetNamedElementsCi("media:content")[0]
        poster = content.GetNamedElementsCi("media:thumbnail")[0]
        if item.GetNamedElementsCi("title").Count() = 0 or item.GetNamedElementsCi("description").Count() = 0 then
            print "MISSING_PLAIN_TITLE_OR_DESCRIPTION"
        end if
        row.children.Push({
            url: content.GetAttributes()["url"]
            hdPosterUrl: poster.GetAttributes()["url"]
        })
    end for
    rows.Push(row)
    return rows
end function
