' roku-packager's model of the SceneGraph course's feed loader (copied by many channels),
' written from the behaviour described in shared/ROKU-FEED.md (not Roku's code): every
' root value that is an array becomes a row; per item the long (else short) description,
' thumbnail, title, releaseDate, id, duration, first video's url and type, and the
' episodeNumber of episodes. Prints a summary and a final OK line.

sub Main()
    json = ParseJson(ReadAsciiFile("pkg:/feed.json"))
    if json = invalid then
        print "NOT_JSON"
        return
    end if
    rows = 0
    firstPoster = ""
    for each key in json
        value = json[key]
        if type(value) = "roArray" then
            rows = rows + 1
            items = []
            for each item in value
                node = GetItemData(item)
                items.Push(node)
                if item.seasons <> invalid then
                    for each season in item.seasons
                        for each episode in season.episodes
                            items.Push(GetItemData(episode))
                        end for
                    end for
                else if item.episodes <> invalid then
                    for each episode in item.episodes
                        items.Push(GetItemData(episode))
                    end for
                end if
            end for
            print "ROW "; key; " "; items.Count()
            if firstPoster = "" and items.Count() > 0 and items[0].hdPosterUrl <> invalid then firstPoster = items[0].hdPosterUrl
        end if
    end for
    print "ROWS "; rows
    print "FIRST_POSTER "; firstPoster
    print "OK"
end sub

function GetItemData(item as Object) as Object
    data = {}
    if item.longDescription <> invalid then
        data.description = item.longDescription
    else
        data.description = item.shortDescription
    end if
    data.hdPosterUrl = item.thumbnail
    data.title = item.title
    data.releaseDate = item.releaseDate
    data.id = item.id
    if item.episodeNumber <> invalid then data.episodeNumber = item.episodeNumber
    if item.content <> invalid then
        data.length = item.content.duration
        data.url = item.content.videos[0].url
        data.streamFormat = item.content.videos[0].videoType
    end if
    return data
end function
