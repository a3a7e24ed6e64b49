' HTTP for the channel: a GET with a timeout and retries over roUrlTransfer (HTTPS with the
' device's common CA bundle). No SceneGraph calls: the feed Task and the tests both use it.

' url -> {ok, code, text, error}. ok only for HTTP 200; tries 1 + retries times.
function FeedFetch_Get(url as String, timeoutMs as Integer, retries as Integer) as Object
    result = {ok: false, code: 0, text: "", error: "not fetched"}
    attempt = 0
    while attempt <= retries
        result = fetch_Once(url, timeoutMs)
        if result.ok then return result
        ' 4xx other than 408/429 will not change on a retry.
        if result.code >= 400 and result.code < 500 and result.code <> 408 and result.code <> 429 then return result
        attempt = attempt + 1
        if attempt <= retries then sleep(500 * attempt)
    end while
    return result
end function

function fetch_Transfer(url as String) as Object
    transfer = CreateObject("roUrlTransfer")
    transfer.SetUrl(url)
    if LCase(Left(url, 6)) = "https:" then
        transfer.SetCertificatesFile("common:/certs/ca-bundle.crt")
        transfer.InitClientCertificates()
    end if
    transfer.RetainBodyOnError(true)
    transfer.EnableEncodings(true)
    return transfer
end function

function fetch_Once(url as String, timeoutMs as Integer) as Object
    port = CreateObject("roMessagePort")
    transfer = fetch_Transfer(url)
    transfer.SetMessagePort(port)
    if not transfer.AsyncGetToString() then return {ok: false, code: 0, text: "", error: "the request could not start"}
    msg = wait(timeoutMs, port)
    if type(msg) <> "roUrlEvent" then
        transfer.AsyncCancel()
        return {ok: false, code: 0, text: "", error: "timed out after " + (timeoutMs \ 1000).ToStr() + " s"}
    end if
    code = msg.GetResponseCode()
    text = msg.GetString()
    if code = 200 then return {ok: true, code: code, text: text, error: ""}
    reason = msg.GetFailureReason()
    if code > 0 then reason = "HTTP " + code.ToStr()
    return {ok: false, code: code, text: text, error: reason}
end function

' url -> a local file (tmp:/...), for posters the tests decode. Returns the HTTP code.
function FeedFetch_ToFile(url as String, path as String, timeoutMs as Integer) as Integer
    port = CreateObject("roMessagePort")
    transfer = fetch_Transfer(url)
    transfer.SetMessagePort(port)
    if not transfer.AsyncGetToFile(path) then return 0
    msg = wait(timeoutMs, port)
    if type(msg) <> "roUrlEvent" then
        transfer.AsyncCancel()
        return 0
    end if
    return msg.GetResponseCode()
end function
