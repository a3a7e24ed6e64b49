"""A WordPress site on 127.0.0.1 for the wordpress reader's tests: the REST API answered the
way WordPress answers it (from the real response shapes in tests/wordpress/), behind a
path prefix (/news), with X-WP-Total / X-WP-TotalPages / Link headers, _embed, _fields,
include, categories, search, ETags and 304s, Application Password auth, and uploads.

Every request is recorded (path with query, and whether it was conditional), so tests can
count what a build asked for."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import re
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from PIL import Image

FIXTURES = Path(__file__).resolve().parent / "wordpress"
PREFIX = "/news"
TOKEN = "http://SITE"  # in the fixtures: the site's address, filled in when served


def load(name: str, site: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8").replace(TOKEN, site))


class WordPress:
    """`page_size`: how many posts a page holds at most whatever per_page asks (a site can
    lower the maximum), so a handful of fixtures spans several pages. `pretty`: False is a
    site without pretty permalinks (the API only at ?rest_route=). `etags`: send ETags
    (a caching proxy or plugin does; WordPress itself doesn't). `user`/`password`: the
    Application Password that unlocks the featured media rest_forbidden hides."""

    def __init__(self, page_size=3, pretty=True, etags=True, user=None, password=None, private=False):
        self.page_size, self.pretty, self.etags = page_size, pretty, etags
        self.private = private  # the REST API closed to visitors (a "disable REST API" plugin)
        self.gone: set[str] = set()  # upload paths that answer 404 (a file deleted from the server)
        self.credentials = (user, password)
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self.url = self.origin + PREFIX + "/"
        site = self.origin + PREFIX
        self.root = load("root.json", site)
        self.posts = load("posts.json", site)
        self.media = load("media.json", site)
        self.categories = load("categories.json", site)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # what the tests look at
    def api_requests(self, route: str) -> list[dict]:
        return [r for r in self.requests if r["route"] == route]

    def _handler(self):
        wp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                wp._answer(self)

        return Handler

    def _answer(self, h: BaseHTTPRequestHandler):
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        route = None
        if parts.path.startswith(PREFIX + "/wp-json") and self.pretty:
            route = parts.path[len(PREFIX + "/wp-json"):] or "/"
        elif parts.path in (PREFIX, PREFIX + "/") and "rest_route" in query:
            route = query.pop("rest_route")
        authorized = self._authorized(h.headers.get("Authorization"))
        self.requests.append({"path": h.path, "route": route, "query": query, "authorization": h.headers.get("Authorization"),
                              "conditional": bool(h.headers.get("If-None-Match") or h.headers.get("If-Modified-Since"))})
        if route is not None:
            status, body, headers = self._api(route.rstrip("/") or "/", query, authorized)
            body = json.dumps(body).encode()
            headers["Content-Type"] = "application/json; charset=UTF-8"
            if self.etags and status == 200:
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                headers["ETag"] = etag
                if h.headers.get("If-None-Match") == etag:
                    return self._send(h, 304, b"", {"ETag": etag})
            return self._send(h, status, body, headers)
        if parts.path in (PREFIX, PREFIX + "/"):
            api = self.url + "wp-json/" if self.pretty else self.url + "?rest_route=/"
            page = f"<!DOCTYPE html><html><head><link rel='https://api.w.org/' href='{api}' /></head><body>Valley Courier</body></html>"
            return self._send(h, 200, page.encode(), {"Content-Type": "text/html; charset=UTF-8",
                                                      "Link": f'<{api}>; rel="https://api.w.org/", <{self.url}>; rel=shortlink'})
        if parts.path.startswith(PREFIX + "/wp-content/uploads/") and parts.path not in self.gone:
            kind = "image/webp" if parts.path.endswith(".webp") else "image/jpeg"
            return self._send(h, 200, self._image(parts.path), {"Content-Type": kind})
        return self._send(h, 404, b"<html>Not found</html>", {"Content-Type": "text/html"})

    def _send(self, h, status, body, headers):
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _authorized(self, header) -> bool:
        user, password = self.credentials
        if not header or user is None:
            return False
        return header == "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def _api(self, route, q, authorized):
        if self.private and not authorized and route != "/":
            return 401, {"code": "rest_not_logged_in", "message": "Only authenticated users can access the REST API.",
                         "data": {"status": 401}}, {}
        if route == "/":
            root = self.root
            if "_fields" in q:
                root = {k: v for k, v in root.items() if k in q["_fields"].split(",")}
            return 200, root, {}
        if route == "/wp/v2/posts":
            return self._posts(q, authorized)
        if route == "/wp/v2/media":
            items = [m for m in self.media if q.get("media_type") != "video" or m["mime_type"].startswith("video/")]
            if "parent" in q:
                parents = {int(x) for x in q["parent"].split(",")}
                items = [m for m in items if m["post"] in parents]
            if "search" in q:
                words = q["search"].lower().split()
                items = [m for m in items if all(w in json.dumps(m["title"]).lower() + m["slug"] for w in words)]
            return 200, self._fields(items, q), {"X-WP-Total": str(len(items)), "X-WP-TotalPages": "1"}
        if route == "/wp/v2/categories":
            items = self.categories
            if "slug" in q:
                items = [c for c in items if c["slug"] in q["slug"].split(",")]
            if "search" in q:
                items = [c for c in items if q["search"].lower() in c["name"].lower()]
            return 200, self._fields(items, q), {"X-WP-Total": str(len(items)), "X-WP-TotalPages": "1"}
        return 404, {"code": "rest_no_route", "message": "No route was found matching the URL and request method.",
                     "data": {"status": 404}}, {}

    def _posts(self, q, authorized):
        posts = sorted(self.posts, key=lambda p: p["date"], reverse=True)
        if "include" in q:
            ids = {int(x) for x in q["include"].split(",")}
            posts = [p for p in posts if p["id"] in ids]
        if "categories" in q:
            cats = {int(x) for x in q["categories"].split(",")}
            posts = [p for p in posts if cats & set(p["categories"])]
        if "after" in q:  # WordPress compares in the site's time; here in UTC, through date_gmt (else date)
            after = datetime.fromisoformat(q["after"]).astimezone(timezone.utc).replace(tzinfo=None).isoformat()
            posts = [p for p in posts if (p.get("date_gmt") or p["date"]) > after]
        per_page = int(q.get("per_page", 10))
        if per_page > 100 or per_page < 1:
            return 400, {"code": "rest_invalid_param", "message": "Invalid parameter(s): per_page",
                         "data": {"status": 400, "params": {"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"}}}, {}
        size = min(per_page, self.page_size)
        total, page = len(posts), int(q.get("page", 1))
        pages = max(1, -(-total // size))
        if page > pages and total:
            return 400, {"code": "rest_post_invalid_page_number",
                         "message": "The page number requested is larger than the number of pages available.",
                         "data": {"status": 400}}, {}
        chunk = copy.deepcopy(posts[(page - 1) * size: page * size])
        for p in chunk:
            embedded = p.pop("_embedded", None)
            if "_embed" in q and embedded is not None:
                media = embedded.get("wp:featuredmedia")
                if authorized and media and media[0].get("code") == "rest_forbidden":
                    embedded["wp:featuredmedia"] = [self._private_media(p)]
                p["_embedded"] = embedded
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        base = self.url + "wp-json/wp/v2/posts"
        links = []
        if page > 1:
            links.append(f'<{base}?page={page - 1}>; rel="prev"')
        if page < pages:
            links.append(f'<{base}?page={page + 1}>; rel="next"')
        if links:
            headers["Link"] = ", ".join(links)
        return 200, self._fields(chunk, q), headers

    def _private_media(self, post):
        src = f"{self.origin}{PREFIX}/wp-content/uploads/2025/05/garuda-office-scaled.jpg"
        return {"id": post["featured_media"], "type": "attachment", "caption": {"rendered": "<p>Kantor baru</p>"}, "alt_text": "",
                "media_type": "image", "mime_type": "image/jpeg",
                "media_details": {"width": 1920, "height": 1080, "file": "2025/05/garuda-office-scaled.jpg", "sizes": {}},
                "source_url": src}

    @staticmethod
    def _fields(items, q):
        if "_fields" not in q:
            return items
        keep = q["_fields"].split(",")
        return [{k: v for k, v in item.items() if k in keep} for item in items]

    @staticmethod
    def _image(path: str) -> bytes:
        m = re.search(r"-(\d+)x(\d+)\.\w+$", path)
        w, h = (int(m.group(1)), int(m.group(2))) if m else (1600, 900)
        digest = hashlib.sha256(path.encode()).digest()
        im = Image.new("RGB", (w, h), tuple(digest[:3]))
        im.paste(tuple(digest[3:6]), (w // 4, h // 4, w // 2, h // 2))
        buf = io.BytesIO()
        if path.endswith(".webp"):
            im.save(buf, "WEBP", quality=80)
        else:
            im.save(buf, "JPEG", quality=85)
        return buf.getvalue()
