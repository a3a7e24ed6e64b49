Library "Roku_Ads.brs"

sub init()
    m.top.functionName = "runBreak"
end sub

' RAF fills the ad tag's macros (ROKU_ADS_CONTENT_ID, ROKU_ADS_CONTENT_LENGTH, ...) from
' what is set here; showAds returns false when the viewer presses Back during an ad.
sub runBreak()
    r = m.top.request
    tries = 1
    while type(r) <> "roAssociativeArray" and tries < 5 ' a busy render thread may not answer at once
        sleep(200)
        r = m.top.request
        tries = tries + 1
    end while
    if type(r) <> "roAssociativeArray" then
        m.top.done = {played: true}
        return
    end if
    raf = Roku_Ads()
    raf.enableAdMeasurements(true)
    raf.setContentId(r.contentId)
    raf.setContentLength(r.contentLength)
    if r.contentGenre <> "" then raf.setContentGenre(r.contentGenre)
    raf.setAdUrl(r.adUrl)
    print "[channel] ads: " + r.kind + " at " + r.position.ToStr() + " s, ad url " + raf.getAdUrl()
    ads = raf.getAds()
    played = true
    if ads <> invalid then played = raf.showAds(ads, invalid, m.top.GetParent())
    print "[channel] ads: " + r.kind + " done, played " + played.ToStr()
    m.top.done = {played: played}
end sub
