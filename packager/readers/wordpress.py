"""The wordpress reader: a WordPress site's posts through its REST API, with their featured
images, categories, tags and author embedded (`_embed`).

The API is found from the site's address (the `Link: <…>; rel="https://api.w.org/"` header
or `<link>` its pages carry, else `/wp-json/` under it), so sites behind a path prefix and
sites without pretty permalinks (`?rest_route=`) work. A build lists the posts (id and
modified time, `per_page=100`, following `X-WP-TotalPages`) and reads in full
(`/wp/v2/posts?_embed&include=…`) only the posts that are new or modified since the last
build; the list itself is asked conditionally (ETag / If-Modified-Since). Posts, validators
and answers are kept in the channel's cache folder; a post no longer listed (deleted,
unpublished) leaves the feed. When the site can't be reached, the last build's posts are
used, with a warning."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import html
import ipaddress
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from packager.articles import check_text
from packager.dp import BITRATE_REQUIRED, EXTENSION_TYPES
from packager.errors import ArticleError
from packager.readers import Content
from packager.readers.common import build_article, map_fields, stable_id
from packager.remote import MAX_FEED_BYTES, MAX_PHOTO_BYTES, TIMEOUT, RemoteError, fetch, show
from packager.text import html_to_text

CACHE_DIR = ".roku-packager-cache/wordpress"
STATE_VERSION = 1
PER_PAGE = 100
MAX_PAGES = 1000  # 100,000 posts: a server announcing more pages than that is not believed
MAX_VIDEO_LOOKUPS = 50  # media library searches for videos' lengths, per build
PHOTO_FETCHES = 6  # photos downloaded at a time
USER_ENV, PASSWORD_ENV = "WORDPRESS_USER", "WORDPRESS_APP_PASSWORD"
API_REL = re.compile(r"^https?://api\.w\.org/?$")
ROOT_FIELDS = "name,url,home,gmt_offset,timezone_string,namespaces"
EMBED = "author,wp:featuredmedia,wp:term"  # not replies: comments can be most of a page
# WordPress answers errors as JSON objects ({"code": ..., "message": ...}); read them.
ERROR_STATUSES = (400, 401, 403, 404, 410)


class SiteError(Exception):
    """The site can't be read as a whole (unreachable, no REST API, a refusal); one line."""


# ---------------------------------------------------------------- talking to the site

class Site:
    """Requests to one WordPress site: bounded (packager.remote), with the Application
    Password when one is set (never in a message), conditional where an earlier answer
    is cached, and counted."""

    def __init__(self, address: str, state: dict, warnings: list[str]):
        self.address = address
        self.state = state
        self.requests = 0
        self.used: set[str] = set()  # conditional URLs asked this build: the answers worth keeping
        self.auth = _auth_header(address, warnings)

    def get(self, url: str, conditional: bool = False, api: bool = True):
        """The JSON answer (or, for a page, the Response); a 304 gives the cached answer."""
        headers = {"Accept": "application/json"} if api else {}
        if self.auth and api:
            headers["Authorization"] = self.auth
        cached = self.state["answers"].get(url) if conditional else None
        if conditional:
            self.used.add(url)
        if cached:
            if cached.get("etag"):
                headers["If-None-Match"] = cached["etag"]
            if cached.get("last_modified"):
                headers["If-Modified-Since"] = cached["last_modified"]
        self.requests += 1
        resp = fetch(url, MAX_FEED_BYTES, TIMEOUT, headers, accept=ERROR_STATUSES)
        if not api:
            return resp
        if resp.status == 304:
            if cached is None:
                raise RemoteError(f"{show(url)}: the server answered HTTP 304 to a request that wasn't conditional")
            return cached["data"], cached.get("pages")
        data = _json(resp.body, url, resp.status)
        if resp.status >= 400:
            raise WpError(url, resp.status, data)
        pages = _int(resp.headers.get("x-wp-totalpages"))
        if pages is None and 'rel="next"' in resp.headers.get("link", ""):
            pages = -1  # no count (a proxy dropped the header), but a next page
        if conditional and (resp.headers.get("etag") or resp.headers.get("last-modified")):
            self.state["answers"][url] = {"etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
                                          "data": data, "pages": pages}
        return data, pages


class WpError(RemoteError):
    """WordPress's own error answer: its code and message say what is wrong."""

    def __init__(self, url: str, status: int, data):
        self.code = data.get("code") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else None
        what = f"{self.code}: {html_to_text(message)}" if isinstance(self.code, str) and isinstance(message, str) else "an error"
        what = "".join(c if c.isprintable() else " " for c in what)[:160]  # the server's words, kept to one short line
        hint = {401: f"; set {USER_ENV} and {PASSWORD_ENV} (an Application Password) if the site needs them",
                403: "; the site (or a security plugin) refuses the REST API to this client"}.get(status, "")
        super().__init__(f"{show(url)}: the server answered HTTP {status} ({what}){hint}")


def _auth_header(address: str, warnings: list[str]) -> str | None:
    """Basic auth from WORDPRESS_USER / WORDPRESS_APP_PASSWORD, sent only over https or to
    this machine (a password over plain http could be read on the way)."""
    user, password = os.environ.get(USER_ENV, ""), os.environ.get(PASSWORD_ENV, "")
    if not user and not password:
        return None
    if not user or not password:
        warnings.append(f"{address}: {USER_ENV} and {PASSWORD_ENV} go together; one is not set, so reading without them")
        return None
    parts = urlsplit(address)
    if parts.scheme.lower() != "https" and not _loopback(parts.hostname or ""):
        warnings.append(f"{address}: is http, so {USER_ENV}/{PASSWORD_ENV} were not sent (credentials go only over https)")
        return None
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _json(body: bytes, url: str, status: int):
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        if status >= 400:
            return None
        start = body[:60].decode("utf-8", "replace").strip()
        hint = " (an HTML page: a security plugin or a login wall?)" if start.startswith("<") else ""
        raise RemoteError(f"{show(url)}: the answer is not JSON{hint}") from None


def _int(value) -> int | None:
    return int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else None


def route(api: str, path: str, params: list[tuple[str, str]]) -> str:
    """The URL of an API route: under /wp-json/ (or whatever the site's prefix is), or in
    ?rest_route= for sites without pretty permalinks."""
    parts = urlsplit(api)
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k == "rest_route" for k, _ in query):
        query = [(k, v) for k, v in query if k != "rest_route"] + [("rest_route", "/" + path)] + params
        return urlunsplit(parts._replace(query=urlencode(query, safe="/,:")))
    base = api if api.endswith("/") else api + "/"
    return base + path + ("?" + urlencode(params, safe=",:") if params else "")


def discover(site: Site, address: str) -> str:
    """The API root for a site's address: the Link header (or <link> element) WordPress puts
    on its pages, else the address itself when it is the API root, else /wp-json/ under it."""
    resp = site.get(address, api=False)
    found = _api_link(resp.headers.get("link", ""), resp.body if resp.status < 400 else b"")
    if found:
        return urljoin(resp.url, found)
    if _is_api_root(resp.body):
        return resp.url
    guess = urljoin(address if address.endswith("/") else address + "/", "wp-json/")
    resp = site.get(guess, api=False)
    if resp.status < 400 and _is_api_root(resp.body):
        return resp.url
    raise SiteError(f"{address}: no WordPress REST API found (no Link rel=\"https://api.w.org/\" and nothing at "
                    f"{show(guess)}); give the site's address, and check that the REST API is not turned off")


def _api_link(header: str, page: bytes) -> str | None:
    for m in re.finditer(r"<([^>]*)>\s*((?:;[^,<]*)*)", header):
        rel = re.search(r"""rel\s*=\s*"?([^";,]+)"?""", m.group(2))
        if rel and API_REL.match(rel.group(1).strip()):
            return m.group(1).strip()
    head = page[:2_000_000].decode("utf-8", "replace")
    for m in re.finditer(r"<link\b[^>]*>", head, re.I):
        tag = m.group(0)
        rel = re.search(r"""rel\s*=\s*["']?([^"'\s>]+)""", tag, re.I)
        href = re.search(r"""href\s*=\s*["']([^"']+)["']""", tag, re.I)
        if rel and href and API_REL.match(rel.group(1)):
            return html.unescape(href.group(1))
    return None


def _is_api_root(body: bytes) -> bool:
    with contextlib.suppress(UnicodeDecodeError, ValueError, RecursionError):
        doc = json.loads(body.decode("utf-8-sig"))
        return isinstance(doc, dict) and isinstance(doc.get("namespaces"), list) and "wp/v2" in doc["namespaces"]
    return False


# ---------------------------------------------------------------- the cache

def _state_path(channel, source) -> Path:
    key = json.dumps([source.url, list(source.categories), list(source.tags), source.after,
                      bool(os.environ.get(USER_ENV))], default=str)
    return channel.root / CACHE_DIR / (hashlib.sha256(key.encode()).hexdigest()[:24] + ".json")


def _load_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(state, dict) and state.get("version") == STATE_VERSION and all(
                isinstance(state.get(k), dict) for k in ("answers", "posts", "videos")):
            return state
    except (OSError, ValueError, RecursionError):
        pass
    return {"version": STATE_VERSION, "api": None, "terms": None, "answers": {}, "posts": {}, "videos": {}}


def _save_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.write_text(json.dumps(state, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------- reading the posts

def _sync(site: Site, source, state: dict, warnings: list[str]) -> None:
    """Bring state["posts"] up to date with the site: list, then read what changed."""
    known = bool(state.get("api"))
    if not known:
        state["api"] = discover(site, source.url)
    try:
        info, _ = site.get(route(state["api"], "", [("_fields", ROOT_FIELDS)]), conditional=True)
    except RemoteError as e:
        if not known:
            raise SiteError(str(e)) from None
        # The API moved since the last build (new permalinks, a new prefix): found again.
        state["api"], state["answers"] = discover(site, source.url), {}
        info, _ = site.get(route(state["api"], "", [("_fields", ROOT_FIELDS)]), conditional=True)
    api = state["api"]
    if not isinstance(info, dict) or "wp/v2" not in (info.get("namespaces") or ["wp/v2"]):
        raise SiteError(f"{show(api)}: the site's REST API has no wp/v2 (posts) routes; a plugin may have turned them off")
    state["site"] = {k: info.get(k) for k in ("name", "url", "home", "gmt_offset", "timezone_string")}
    if state.get("terms") is None:
        state["terms"] = {kind: _term_ids(site, api, kind, list(getattr(source, kind))) for kind in ("categories", "tags")}
    params = [(k, ",".join(map(str, v))) for k, v in state["terms"].items() if v]
    if source.after:
        params.append(("after", _after(source.after).isoformat()))  # with its offset: WordPress converts it
    listed = _list_posts(site, api, params, source.limit, warnings)
    old = state["posts"]
    changed = [pid for pid, modified in listed if str(pid) not in old or _modified(old[str(pid)]) != modified]
    fresh: dict[str, dict] = {}
    for i in range(0, len(changed), PER_PAGE):
        chunk = [("include", ",".join(map(str, changed[i:i + PER_PAGE]))), ("_embed", EMBED)]
        for post in _pages(site, api, chunk, None, warnings, conditional=False):
            fresh[str(post["id"])] = _trim(post)
    # Listed and read now, or listed unchanged: a post no longer listed has left the site.
    unchanged = {str(pid) for pid, _ in listed} - {str(pid) for pid in changed}
    posts = {str(pid): fresh.get(str(pid)) or old[str(pid)] for pid, _ in listed
             if str(pid) in fresh or str(pid) in unchanged}
    state["posts"] = posts
    state["order"] = [str(pid) for pid, _ in listed if str(pid) in posts]
    state["answers"] = {url: a for url, a in state["answers"].items() if url in site.used}
    _find_video_lengths(site, api, state, list(posts.values()))


def _modified(post: dict) -> str | None:
    modified = post.get("modified_gmt") or post.get("modified")
    return modified if isinstance(modified, str) else None


def _list_posts(site: Site, api: str, params, limit: int | None, warnings: list[str]) -> list[tuple[int, str | None]]:
    """(id, modified time) of every post the source takes, newest first."""
    fields = [("_fields", "id,modified_gmt,modified")]
    return [(post["id"], _modified(post)) for post in _pages(site, api, params + fields, limit, warnings, conditional=True)]


def _pages(site: Site, api: str, params, limit: int | None, warnings: list[str], conditional: bool):
    """The posts of /wp/v2/posts page by page (per_page=100, then as many pages as
    X-WP-TotalPages says: a site may hold pages smaller than asked), each post once."""
    seen: set[int] = set()
    page = 1
    while True:
        url = route(api, "wp/v2/posts", params + [("per_page", str(PER_PAGE)), ("page", str(page))])
        try:
            data, pages = site.get(url, conditional=conditional)
        except WpError as e:
            if page > 1 and e.code == "rest_post_invalid_page_number":  # posts went away while paging
                return
            raise
        if not isinstance(data, list):
            raise SiteError(f"{show(url)}: the answer is not a list of posts")
        new = 0
        for post in data:
            pid = post.get("id") if isinstance(post, dict) else None
            if isinstance(pid, int) and not isinstance(pid, bool) and pid not in seen:
                seen.add(pid)
                new += 1
                yield post
                if limit is not None and len(seen) >= limit:
                    return
        # No new post: a server that ignores `page` (a cache keyed without the query) would loop.
        if not new or (pages is not None and 0 <= pages <= page) or (pages is None and len(data) < PER_PAGE):
            return
        if page >= MAX_PAGES:
            warnings.append(f"{site.address}: more than {MAX_PAGES} pages of posts; read the first {MAX_PAGES} "
                            "(set limit to read fewer)")
            return
        page += 1


def _term_ids(site: Site, api: str, kind: str, wanted: list) -> list[int]:
    """Category or tag ids for the source's filter: ids as given, slugs and names looked up."""
    ids = [w for w in wanted if isinstance(w, int)]
    names = [w for w in wanted if isinstance(w, str)]
    if not names:
        return ids
    slugs = [re.sub(r"[^a-z0-9]+", "-", n.lower()).strip("-") or n for n in names]
    data, _ = site.get(route(api, f"wp/v2/{kind}", [("slug", ",".join(slugs)), ("per_page", str(PER_PAGE)),
                                                    ("_fields", "id,name,slug")]))
    terms = [t for t in data if isinstance(t, dict)] if isinstance(data, list) else []
    for name, slug in zip(names, slugs, strict=True):
        match = [t.get("id") for t in terms if t.get("slug") == slug or html.unescape(str(t.get("name", ""))).casefold() == name.casefold()]
        if not match:
            found, _ = site.get(route(api, f"wp/v2/{kind}", [("search", name), ("per_page", str(PER_PAGE)),
                                                             ("_fields", "id,name,slug")]))
            match = [t.get("id") for t in found if isinstance(t, dict)
                     and html.unescape(str(t.get("name", ""))).casefold() == name.casefold()] if isinstance(found, list) else []
        if not match:
            word = "category" if kind == "categories" else "tag"
            raise SiteError(f"[[sources]] {kind}: {name!r} is not a {word} on {site.address}; use its name, slug or id")
        ids += [m for m in match if isinstance(m, int)]
    return sorted(set(ids))


def _after(value: str) -> datetime:
    dt = datetime.fromisoformat(value.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _trim(post: dict) -> dict:
    """A post as cached: without its links (what the answer points to, never its content)."""
    post = {k: v for k, v in post.items() if k != "_links"}
    embedded = post.get("_embedded")
    if isinstance(embedded, dict):
        post["_embedded"] = {k: [{a: b for a, b in x.items() if a != "_links"} if isinstance(x, dict) else x for x in v]
                             if isinstance(v, list) else v for k, v in embedded.items()}
    return post


# ---------------------------------------------------------------- videos

_VIDEO_TAG = re.compile(r"<video\b([^>]*)>(.*?)</video\s*>", re.I | re.S)
_SHORTCODE = re.compile(r"\[video\b([^\]]*)\]", re.I)
_LINK = re.compile(r"""<a\b[^>]*\bhref\s*=\s*["']([^"']+\.(?:mp4|m4v|mov|m3u8)(?:\?[^"']*)?)["']""", re.I)
_IFRAME = re.compile(r"""<iframe\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", re.I)
_PROVIDER = re.compile(r"""wp-block-embed-([a-z0-9-]+)""", re.I)
_SRC = re.compile(r"""\b(?:src|mp4|m4v|mov|webm|ogv)\s*=\s*["']([^"']+)["']""", re.I)
_PROVIDERS = {"youtube": "YouTube", "youtu": "YouTube", "vimeo": "Vimeo", "facebook": "Facebook", "tiktok": "TikTok",
              "dailymotion": "Dailymotion", "twitter": "X (Twitter)", "instagram": "Instagram", "wistia": "Wistia"}


def _video_candidates(content: str, base: str) -> tuple[str | None, str | None]:
    """The first video in the content Roku can play (a URL), else why there is none."""
    found = []
    for m in _VIDEO_TAG.finditer(content):
        urls = [u for u in _SRC.findall(m.group(1))] + re.findall(r"""<source\b[^>]*\bsrc\s*=\s*["']([^"']+)["']""", m.group(2), re.I)
        found.append((m.start(), urls))
    for m in _SHORTCODE.finditer(content):
        found.append((m.start(), _SRC.findall(m.group(1))))
    for m in _LINK.finditer(content):
        found.append((m.start(), [m.group(1)]))
    reason = None
    for m in list(_IFRAME.finditer(content)) + list(_PROVIDER.finditer(content)):
        host = m.group(1)
        if m.re is _IFRAME:
            with contextlib.suppress(ValueError):
                host = urlsplit(host).hostname or host
        name = next((v for k, v in _PROVIDERS.items() if k in host.lower()), None)
        if name and (reason is None or m.start() < reason[0]):
            reason = (m.start(), f"the {name} video embedded in the post can't play on Roku")
    for _, urls in sorted(found, key=lambda x: x[0]):
        unplayable = None
        for found_url in urls:
            url = _join(base, found_url)
            if url is None:
                continue
            # ?_=1 is the cache buster WordPress's player adds to each <source>; the file is the same.
            url = re.sub(r"[?&]_=\d+$", "", url)
            ext = Path(urlsplit(url).path).suffix.lower()
            if ext in EXTENSION_TYPES:
                return url, None
            unplayable = unplayable or f"its {ext.lstrip('.').upper() or 'video'} file can't play on Roku (MP4, MOV, M4V, HLS or DASH can)"
        if unplayable and reason is None:
            reason = (0, unplayable)
    return None, reason[1] if reason else None


def _join(base: str, url: str) -> str | None:
    """`url` (maybe relative) made absolute against the site; None when it isn't a URL."""
    try:
        out = urljoin(base, html.unescape(url.strip()))
        return out if urlsplit(out).scheme in ("http", "https") and urlsplit(out).hostname else None
    except ValueError:
        return None


def _media_key(url: str) -> str:
    return urlsplit(url).path  # the same upload whatever the host, scheme or ?_=1 the player added


def _find_video_lengths(site: Site, api: str, state: dict, posts: list[dict]) -> None:
    """Length, bitrate and height of the posts' own videos, from the media library (the
    HTML never says how long a video is). Looked up once per video, then cached."""
    videos = state["videos"]
    wanted: dict[str, int] = {}
    for post in posts:
        url, _ = _video_candidates(_rendered(post.get("content")), state["api"])
        if url and _media_key(url) not in videos:
            wanted[_media_key(url)] = post["id"]
    if not wanted:
        return
    fields = ("_fields", "id,source_url,media_details,post")
    parents = sorted(set(wanted.values()))
    with contextlib.suppress(RemoteError):
        for i in range(0, len(parents), PER_PAGE):
            data, _ = site.get(route(api, "wp/v2/media", [("media_type", "video"), ("parent", ",".join(map(str, parents[i:i + PER_PAGE]))),
                                                          ("per_page", str(PER_PAGE)), fields]))
            _note_videos(data, wanted, videos)
        for key in list(wanted)[:MAX_VIDEO_LOOKUPS]:
            if key in videos:
                continue
            stem = re.sub(r"[-_.]+", " ", Path(key).stem).strip()
            data, _ = site.get(route(api, "wp/v2/media", [("media_type", "video"), ("search", stem),
                                                          ("per_page", str(PER_PAGE)), fields]))
            _note_videos(data, wanted, videos)
            videos.setdefault(key, None)  # not in the library: not asked again


def _note_videos(data, wanted: dict, videos: dict) -> None:
    for item in data if isinstance(data, list) else []:
        details = item.get("media_details") if isinstance(item, dict) else None
        url = item.get("source_url") if isinstance(item, dict) else None
        if isinstance(url, str) and isinstance(details, dict) and _media_key(url) in wanted:
            length = details.get("length")
            bitrate = details.get("bitrate")
            if not isinstance(bitrate, (int, float)) and isinstance(details.get("filesize"), int) and isinstance(length, (int, float)) and length > 0:
                bitrate = details["filesize"] * 8 / length
            videos[_media_key(url)] = {
                "duration": length if isinstance(length, (int, float)) and length > 0 else None,
                "bitrate": max(1, round(bitrate / 1000)) if isinstance(bitrate, (int, float)) and bitrate > 0 else None,
                "height": details.get("height") if isinstance(details.get("height"), int) else None}


def _quality(height: int | None) -> str:
    if height is None:
        return "HD"
    return "UHD" if height >= 2160 else "FHD" if height >= 1080 else "HD" if height >= 720 else "SD"


# ---------------------------------------------------------------- one post -> an article

def _rendered(value) -> str:
    if isinstance(value, dict):
        value = value.get("rendered")
    return value if isinstance(value, str) else ""


def _embedded(post: dict, rel: str) -> list:
    """post["_embedded"][rel] as a list, whatever a plugin or proxy made of it."""
    embedded = post.get("_embedded")
    found = embedded.get(rel) if isinstance(embedded, dict) else None
    return found if isinstance(found, list) else []


def _errorish(x) -> bool:
    """An embedded object that is WordPress's error answer (rest_forbidden, a 401 author)."""
    return not isinstance(x, dict) or ("code" in x and "message" in x and "id" not in x)


def _site_timezone(site_info: dict):
    name = site_info.get("timezone_string")
    if isinstance(name, str) and name:
        with contextlib.suppress(Exception):  # an unknown zone, or no tz database: the offset below
            from zoneinfo import ZoneInfo  # noqa: PLC0415 (only for posts without date_gmt)

            return ZoneInfo(name)
    try:
        return timezone(timedelta(hours=float(site_info.get("gmt_offset") or 0)))
    except (TypeError, ValueError, OverflowError):
        return timezone.utc


def _post_date(post: dict, site_info: dict):
    gmt = post.get("date_gmt")
    if isinstance(gmt, str) and not gmt.startswith("0000"):
        with contextlib.suppress(ValueError):
            dt = datetime.fromisoformat(gmt.strip().replace("Z", "+00:00"))
            return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    local = post.get("date")
    if isinstance(local, str):
        with contextlib.suppress(ValueError):
            dt = datetime.fromisoformat(local.strip())
            return dt if dt.tzinfo else dt.replace(tzinfo=_site_timezone(site_info))
    return local  # build_article says what is wrong with it


_MORE = re.compile(r"<a\b[^>]*class\s*=\s*[\"'][^\"']*more-link[^\"']*[\"'][^>]*>.*?</a\s*>", re.I | re.S)
_ELLIPSIS = re.compile(r"\s*\[(?:&hellip;|&#8230;|…|\.\.\.)\]\s*(</p>\s*)?$", re.I)
_SHORTCODE_TAG = re.compile(r"\[/?[a-z][a-z0-9_-]*(?:\s+[^\]]*=[^\]]*)?\]|\[/?(?:caption|gallery|video|audio|embed|playlist)[^\]]*\]", re.I)
_PLAYERS = re.compile(r"<(video|audio)\b.*?</\1\s*>", re.I | re.S)


def _summary(post: dict) -> str | None:
    text = _MORE.sub("", _rendered(post.get("excerpt"))).strip()
    text = _ELLIPSIS.sub(r"\1", text)
    return text if html_to_text(text) else None


def _body(content: str) -> str:
    """The content as one HTML block the Markdown step passes through untouched: players
    and their fallback links out, unrendered shortcodes out, no blank lines."""
    content = _PLAYERS.sub(" ", content)
    content = _SHORTCODE_TAG.sub(" ", content)
    return "<div>" + re.sub(r"\s+", " ", content) + "</div>" if content.strip() else ""


def _terms(post: dict) -> tuple[list[str], list[str]]:
    """Category and tag names, entities decoded (WordPress escapes them: "News &amp; Politics")."""
    cats, tags = [], []
    for group in _embedded(post, "wp:term"):
        for term in group if isinstance(group, list) else []:
            if _errorish(term) or not isinstance(term.get("name"), str):
                continue
            name = html.unescape(term["name"]).strip()
            if term.get("taxonomy") == "category" and term.get("slug") != "uncategorized":
                cats.append(name)
            elif term.get("taxonomy") == "post_tag":
                tags.append(name)
    return cats, tags


def _photo(post: dict, base: str, size: tuple[int, int]) -> tuple[str | None, str | None, str | None, str | None]:
    """(URL, caption, alt text, why there is none) of the featured image: the smallest
    size at least the artwork's, else the original; else the content's first image."""
    media = _embedded(post, "wp:featuredmedia")
    first = media[0] if media else None
    why = None
    if first is not None and _errorish(first):
        code = first.get("code") if isinstance(first, dict) and isinstance(first.get("code"), str) else None
        code = re.sub(r"[^\w.:-]", "", code)[:40] if code else None
        why = f"the featured image is not public ({code or 'an error'}); {USER_ENV}/{PASSWORD_ENV} may read it"
    elif isinstance(first, dict):
        details = first.get("media_details")
        sizes = details.get("sizes") if isinstance(details, dict) else None
        fits = []
        for s in (sizes or {}).values() if isinstance(sizes, dict) else []:
            if isinstance(s, dict) and isinstance(s.get("source_url"), str) and isinstance(s.get("width"), int) \
                    and isinstance(s.get("height"), int) and s["width"] >= size[0] and s["height"] >= size[1]:
                fits.append((s["width"] * s["height"], s["source_url"]))
        url = min(fits)[1] if fits else first.get("source_url")
        url = _join(base, url) if isinstance(url, str) else None
        if url:
            caption = html_to_text(_rendered(first.get("caption"))) or None
            alt = first.get("alt_text").strip() if isinstance(first.get("alt_text"), str) and first["alt_text"].strip() else None
            return url, caption, alt, None
    for m in re.finditer(r"<img\b[^>]*>", _rendered(post.get("content")), re.I):
        src = re.search(r"""\bsrc\s*=\s*["']([^"']+)["']""", m.group(0), re.I)
        width = re.search(r"""\bwidth\s*=\s*["']?(\d+)""", m.group(0), re.I)
        url = _join(base, src.group(1)) if src else None
        if url and (width is None or int(width.group(1)) >= 300):
            alt = re.search(r"""\balt\s*=\s*["']([^"']*)["']""", m.group(0), re.I)
            return url, None, html.unescape(alt.group(1)).strip() if alt else None, why
    return None, None, None, why


def post_fields(post: dict, state: dict, size: tuple[int, int]) -> tuple[dict, str, list[str], str | None]:
    """A post in our field names (front matter's), its body HTML, notes about it, and why
    it has no video Roku can play (None when it has one)."""
    base = (state.get("site") or {}).get("url") or state["api"]
    base = base if base.endswith("/") else base + "/"
    notes: list[str] = []
    guid = html.unescape(_rendered(post.get("guid")))
    fields: dict = {"id": stable_id({"guid": guid, "link": post.get("link")}, f"p-{post.get('id')}"),
                    "title": _rendered(post.get("title")), "summary": _summary(post),
                    "date": _post_date(post, state.get("site") or {}), "featured": post.get("sticky") is True}
    for name, key in (("link", "link"), ("modified", "modified_gmt"), ("slug", "slug")):
        if isinstance(post.get(key), str):
            fields[name] = post[key]
    authors = _embedded(post, "author")
    if authors and not _errorish(authors[0]) and isinstance(authors[0].get("name"), str):
        fields["author"] = html.unescape(authors[0]["name"]).strip()
    cats, tags = _terms(post)
    if cats:
        fields["section"], fields["categories"] = cats[0], cats
    if tags:
        fields["tags"] = tags
    photo, caption, alt, why = _photo(post, base, size)
    if photo:
        fields["photo"] = photo
        if caption or alt:
            fields["photo_caption"] = caption or alt
        if alt:
            fields["photo_alt"] = alt
    if why:
        notes.append(f"photo: {why}")
    content = _rendered(post.get("content"))
    url, no_video = _video_candidates(content, base)
    if url:
        known = state["videos"].get(_media_key(url)) or {}
        if not known.get("duration"):
            no_video = f"its video {show(url)} is not in the site's media library, so its length is unknown"
        elif EXTENSION_TYPES.get(Path(urlsplit(url).path).suffix.lower()) in BITRATE_REQUIRED and not known.get("bitrate"):
            no_video = f"its video {show(url)} has no bitrate in the media library"
        else:
            fields["video"] = {"url": url, "duration": known["duration"], "quality": _quality(known.get("height"))}
            if known.get("bitrate"):
                fields["video"]["bitrate"] = known["bitrate"]
    return fields, _body(content), notes, no_video if "video" not in fields else None


def read(channel, source, fetcher, short_max, exclude=()) -> Content:
    warnings: list[str] = []
    path = _state_path(channel, source)
    state = _load_state(path)
    site = Site(source.url, state, warnings)
    try:
        _sync(site, source, state, warnings)
    except (RemoteError, SiteError) as e:
        if not state["posts"] or not state.get("api"):
            return Content(errors=[ArticleError(source.url, None, str(e).removeprefix(source.url + ": ") or str(e))], warnings=warnings)
        warnings.append(f"{source.url}: {e}; using the {len(state['posts'])} posts read by the last build")
    else:
        _save_state(path, state)
    size = max(channel.artwork.renditions + ((channel.artwork.width, channel.artwork.height),))
    after = _after(source.after) if source.after else None
    prepared, errors = [], []
    for key in state.get("order") or list(state["posts"]):
        post = state["posts"].get(key)
        if not isinstance(post, dict):
            continue
        label = f"{source.url} post {post.get('id')}" + (f" ({post['slug']})" if isinstance(post.get("slug"), str) else "")
        try:
            ready = _prepare(source, post, state, size, label, warnings, after)
        except ArticleError as e:
            errors.append(e)
            continue
        if ready is not None:
            prepared.append((label, *ready))
    photos = _fetch_photos(fetcher, [fields["photo"] for _, fields, *_ in prepared if _is_url(fields.get("photo"))])
    articles = []
    for label, fields, body, notes, no_video in prepared:
        try:
            articles.append(_article(channel, fetcher, photos, label, fields, body, notes, no_video, short_max))
        except ArticleError as e:
            errors.append(e)
    return Content(articles=articles, errors=errors, warnings=warnings)


def _is_url(value) -> bool:
    return isinstance(value, str) and re.match(r"^https?://", value.strip(), re.I) is not None


def _fetch_photos(fetcher, urls: list[str]) -> dict:
    """Each photo URL -> its file in the cache, or the RemoteError; several at a time (a first
    build of a big site downloads hundreds). Uploads never change under one URL, so a photo
    already in the cache is not asked for again."""
    if fetcher is None or not urls:
        return {}
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 (only when there are photos to fetch)

    def one(url):
        try:
            return fetcher.fetch(url, MAX_PHOTO_BYTES, revalidate=False)
        except RemoteError as e:
            return e

    unique = list(dict.fromkeys(u.strip() for u in urls))
    with ThreadPoolExecutor(max_workers=PHOTO_FETCHES) as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))


def _prepare(source, post, state, size, label, warnings, after):
    """A post's fields, body, notes and why it has no video; None for a post left out."""
    if isinstance(post.get("content"), dict) and post["content"].get("protected"):
        warnings.append(f"{label}: is password-protected in WordPress; left out")
        return None
    fields, body, notes, no_video = post_fields(post, state, size)
    if after is not None and isinstance(fields["date"], datetime) and fields["date"].astimezone(timezone.utc) <= after:
        return None
    if source.fields:
        fields = map_fields(post, source.fields, onto=fields)
        fields = {k: _rendered(v) if isinstance(v, dict) and "rendered" in v else v for k, v in fields.items()}
    check_text(fields, label)
    return fields, body, notes, no_video


def _article(channel, fetcher, photos, label, fields, body, notes, no_video, short_max):
    base = channel.root / "channel.toml"
    if _is_url(fields.get("photo")) and fetcher is not None:
        got = photos.get(fields["photo"].strip())
        if isinstance(got, Path):
            fields["photo"] = os.path.relpath(got, base.parent)
        else:
            if channel.artwork.fallback == "none":
                raise ArticleError(label, "photo", str(got))
            notes.append(f"photo: {got}; a title card instead")
            fields.pop("photo")
    elif not fields.get("photo") and channel.artwork.fallback == "none" and not fields.get("photos"):
        raise ArticleError(label, "photo", "the post has no featured image (nor an image in its text); set one in "
                                           "WordPress, or drop [artwork] fallback = \"none\" to give it a title card")
    if "video" not in fields and channel.clips.render == "off":
        raise ArticleError(label, "video", f"{no_video or 'the post has no video'}; set [clips] render = \"missing\" "
                                           "to give it a clip")
    article = build_article(channel, label, base, fields, body, short_max, fetcher)
    if no_video and "video" not in fields:
        notes.append(f"video: {no_video}; the story gets a clip instead")
    lines = tuple(f"{label}: {n}" for n in notes)
    return dataclasses.replace(article, warnings=article.warnings + lines) if lines else article
