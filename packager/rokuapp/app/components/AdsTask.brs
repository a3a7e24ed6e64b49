Library "Roku_Ads.brs"

sub init()
    m.top.functionName = "runBreak"
end sub

' RAF fills the ad tag's macros (ROKU_ADS_CONTENT_ID, ROKU_ADS_CONTENT_LENGTH, ...) from
' what is set here; showAds returns false when the viewer presses Back during an ad.
sub runBreak()
    raf = Roku_Ads()
    raf.enableAdMeasurements(true)
    raf.setContentId(m.top.contentId)
    raf.setContentLength(m.top.contentLength)
    if m.top.contentGenre <> "" then raf.setContentGenre(m.top.contentGenre)
    raf.setAdUrl(m.top.adUrl)
    print "[channel] ads: " + m.top.kind + " at " + m.top.position.ToStr() + " s, ad url " + raf.getAdUrl()
    ads = raf.getAds()
    played = true
    if ads <> invalid then played = raf.showAds(ads, invalid, m.top.view)
    print "[channel] ads: " + m.top.kind + " done, played " + played.ToStr()
    m.top.done = {played: played}
end sub
