' The data layer's viewer-facing helpers (tests/test_channel_app.py runs this in brs-cli
' with the generated app's source/feedmodel.brs): ratings, dates, search, ad breaks,
' failures. One tab-separated fact per line, then MODEL_CHECK_DONE.

sub Main()
    for each r in ["TVG", "TVPG", "TV14", "TVMA", "TVY7", "PG13", "NC17", "UNRATED", "R", "G", "12A", ""]
        print "RATING" + Chr(9) + r + Chr(9) + FeedModel_Rating(r)
    end for
    for each lang in ["en", "es", "fr", "de", "pt", "it", "ja"]
        print "DATE" + Chr(9) + lang + Chr(9) + FeedModel_Date("2026-11-25T18:00:00Z", lang)
    end for
    print "DATE" + Chr(9) + "bad" + Chr(9) + FeedModel_Date("soon", "en")
    feed = ParseJson(ReadAsciiFile("pkg:/source/feed.json"))
    model = FeedModel_Build(feed)
    for each q in ParseJson(ReadAsciiFile("pkg:/source/queries.json"))
        print "SEARCH" + Chr(9) + q + Chr(9) + FeedModel_Search(model, q).Join(",")
    end for
    ads = {url: "https://ads.example.org/vast", preroll: true, midrollSeconds: 300, minSecondsBetween: 300, livePreroll: false}
    for each id in model.order
        item = model.items[id]
        if item.kind <> "series" then
            print "BREAKS" + Chr(9) + id + Chr(9) + "0" + Chr(9) + fm_JoinInts(FeedModel_AdBreaks(item, ads, 0))
            print "BREAKS" + Chr(9) + id + Chr(9) + "400" + Chr(9) + fm_JoinInts(FeedModel_AdBreaks(item, ads, 400))
        end if
    end for
    print "NOADS" + Chr(9) + FeedModel_AdBreaks(model.items[model.order[0]], {url: ""}, 0).Count().ToStr()
    print "FAILURE" + Chr(9) + FeedModel_Failure({code: 0}, "Riverside").kind + Chr(9) + FeedModel_Failure({code: 503}, "Riverside").kind
    print "MODEL_CHECK_DONE"
end sub

function fm_JoinInts(values as Object) as String
    out = ""
    for each v in values
        if out <> "" then out = out + ","
        out = out + v.ToStr()
    end for
    return out
end function
