"""The wordpress source (issue 24) against a WordPress site on 127.0.0.1 answering with real
response shapes (tests/wordpress/, served by tests/wpserver.py): several pages, embedded
media, a blocked author, featured media refused, a post without a featured image, relative
and missing sizes, a path prefix, ?rest_route=, ETags and 304s, Application Passwords."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import CHANNEL_TOML
from wpserver import WordPress

from packager.config import load_channel
from packager.readers import read_content
from packager.readers.wordpress import _api_link, route

# Small, short clips for the posts without a video Roku can play; a title card without a photo.
SMALL_CLIPS = 'clips = { render = "missing", width = 640, height = 360, fps = 25, seconds_per_photo = [2, 2], intro_seconds = 1 }\n'


def channel(tmp_path, wp, extra=""):
    root = tmp_path / "ch"
    root.mkdir(exist_ok=True)
    (root / "channel.toml").write_text(SMALL_CLIPS + CHANNEL_TOML + f"""
[artwork]
fallback = "title-card"

[[sources]]
type = "wordpress"
url = "{wp.url}"
allow_remote = true
{extra}""")
    return root


def feed_items(root) -> dict:
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    return {i["id"]: i for kind in ("shortFormVideos", "tvSpecials") for i in feed.get(kind, [])}


def notes(r) -> list[str]:
    return [line for line in r.err.splitlines() if line.startswith("note:")]


@pytest.fixture
def wp():
    with WordPress(page_size=3) as site:
        yield site


def test_a_channel_builds_from_a_wordpress_site(tmp_path, cli, wp):
    root = channel(tmp_path, wp)
    r = cli("build", root)
    assert r.code == 0, r
    items = feed_items(root)
    assert sorted(items) == ["p-3600", "p-3702", "p-3801", "p-3990", "p-4100", "p-5522", "p-6012"]
    # Several pages: the list asks 100 a page and follows X-WP-TotalPages (3 pages of 3 here).
    pages = [r["query"] for r in wp.api_requests("/wp/v2/posts") if "_fields" in r["query"]]
    assert [(q["per_page"], q["page"]) for q in pages] == [("100", "1"), ("100", "2"), ("100", "3")]
    assert all(r["route"] is None or r["path"].startswith("/news/wp-json/") for r in wp.requests)  # the path prefix

    # Entities and markup in titles; the more-link and [&hellip;] out of excerpts.
    assert items["p-4100"]["title"] == "Council’s budget vote: parks & roads"
    assert items["p-6012"]["shortDescription"].endswith("di Kawasan yang Strategis")
    assert "Continue reading" not in items["p-5522"]["shortDescription"]
    assert "[et_pb" not in items["p-3600"]["shortDescription"]  # a page builder's unrendered shortcodes
    # Tags by name, entities decoded; the category is the section (its tag); Uncategorized is not.
    assert items["p-4100"]["tags"] == ["budget", "parks & recreation", "news-politics"]
    assert "tags" not in items["p-6012"]
    # date_gmt, else date in the site's timezone (America/Chicago: 18:30 CST is 00:30 UTC).
    assert items["p-4100"]["content"]["dateAdded"] == "2024-10-24T20:10:00+00:00"
    assert items["p-3702"]["content"]["dateAdded"] == "2023-01-16T00:30:00+00:00"

    # Videos: the [video] shortcode's MP4 (without the player's ?_=1), its length and bitrate
    # from the media library (by parent, or by search when the upload has no parent).
    assert items["p-6012"]["content"]["videos"] == [{"url": wp.url + "wp-content/uploads/2025/10/VIC-facility-construction-Oct-2025.mp4",
                                                     "quality": "HD", "videoType": "MP4", "bitrate": 2276}]
    assert items["p-6012"]["content"]["duration"] == 95
    assert items["p-4100"]["content"]["duration"] == 30  # <video> block, attachment with "post": null
    assert items["p-5522"]["content"]["videos"][0]["url"].endswith("garuda-kantor-bandung.mp4")  # a linked MP4
    # YouTube and WebM can't play on Roku: a clip, with a note.
    for pid, words in (("p-3990", "YouTube video embedded"), ("p-3702", "WEBM file")):
        assert items[pid]["content"]["videos"][0]["url"].startswith("https://cdn.test/tv/clips/")
        assert any(f"post {pid[2:]} " in n and words in n and "gets a clip" in n for n in notes(r)), r

    # Featured images: the smallest size at least 1280x720, else the original (relative
    # source_url, empty sizes); refused (rest_forbidden): the content's first image, noted.
    photos = [q["path"] for q in wp.requests if "/wp-content/uploads/" in q["path"] and not q["path"].endswith(".mp4")]
    assert sorted(photos) == sorted([
        "/news/wp-content/uploads/2025/04/Studi-Foto-Senjakara-1536x864.webp",
        "/news/wp-content/uploads/2025/05/garuda-office-1024x683.jpg",
        "/news/wp-content/uploads/2020/07/15485_lores.jpg",
        "/news/wp-content/uploads/2023/03/flood.jpg",
        "/news/wp-content/uploads/2023/01/market-1280x720.jpg",
        "/news/wp-content/uploads/2022/11/harvest.jpg"])
    assert any("post 5522 " in n and "featured image is not public (rest_forbidden)" in n for n in notes(r)), r
    assert any("post 3650 " in n and "password-protected" in n for n in notes(r)), r
    # The blocked author (a 401 error object in _embedded) is no problem.
    assert "skipped:" not in r.err, r

    articles = {a.id: a for a in read_content(load_channel(root)).articles}
    assert articles["p-4100"].photo is None  # no featured image: the title card
    assert articles["p-4100"].section == "News & Politics"
    assert articles["p-3702"].featured  # sticky
    assert articles["p-3990"].photo_caption == "Masks at the valley clinic"
    assert articles["p-3801"].photo_caption == "Water over the river road"  # alt text when no caption
    assert "Tonton peresmiannya" in articles["p-5522"].body_text and "http" not in articles["p-6012"].body_text


@pytest.mark.parametrize("etags", [True, False], ids=["etags", "stock-wordpress"])
def test_a_second_build_reads_only_what_changed(tmp_path, cli, etags):
    with WordPress(page_size=3, etags=etags) as wp:
        root = channel(tmp_path, wp)
        assert cli("build", root).code == 0
        first = len(wp.requests)

        r = cli("build", root)
        assert r.code == 0, r
        again = wp.requests[first:]
        # The site info and the three pages of the post list, nothing else: no post, no photo.
        assert [q["route"] for q in again] == ["/", "/wp/v2/posts", "/wp/v2/posts", "/wp/v2/posts"], again
        assert all(q["conditional"] for q in again) == etags
        assert all("_embed" not in q["query"] for q in again)

        # Edited, deleted and new posts.
        edited = next(p for p in wp.posts if p["id"] == 4100)
        edited["title"]["rendered"] = "Council passes the budget"
        edited["modified_gmt"] = "2026-02-01T10:00:00"
        wp.posts = [p for p in wp.posts if p["id"] != 3801]
        new = copy.deepcopy(next(p for p in wp.posts if p["id"] == 3600))
        new.update(id=7000, slug="new-bridge", date="2026-02-02T09:00:00", date_gmt="2026-02-02T15:00:00",
                   modified_gmt="2026-02-02T15:00:00", guid={"rendered": wp.url.rstrip("/") + "/?p=7000"},
                   title={"rendered": "New bridge opens"})
        new["_embedded"]["wp:featuredmedia"][0]["source_url"] = wp.url + "wp-content/uploads/2026/02/bridge.jpg"
        new["_embedded"]["wp:featuredmedia"][0]["media_details"]["sizes"] = {}
        wp.posts.append(new)
        done = len(wp.requests)

        r = cli("build", root)
        assert r.code == 0, r
        third = wp.requests[done:]
        full = [q["query"] for q in third if "_embed" in q["query"]]
        assert [set(q["include"].split(",")) for q in full] == [{"4100", "7000"}]
        assert [q["path"] for q in third if "/wp-content/" in q["path"]] == ["/news/wp-content/uploads/2026/02/bridge.jpg"]
        assert len(third) == 1 + 3 + 1 + 1, third  # site info, 3 list pages, the 2 posts, 1 photo
        items = feed_items(root)
        assert "p-3801" not in items  # deleted: out of the feed
        assert items["p-4100"]["title"] == "Council passes the budget"
        assert items["p-7000"]["title"] == "New bridge opens"


def test_a_site_without_pretty_permalinks(tmp_path, cli):
    with WordPress(page_size=50, pretty=False) as wp:
        root = channel(tmp_path, wp, 'limit = 2')
        r = cli("build", root)
        assert r.code == 0, r
        assert sorted(feed_items(root)) == ["p-5522", "p-6012"]  # the two newest
        api = [q for q in wp.requests if q["route"] is not None]
        assert api and all(q["path"].startswith("/news/?") and "rest_route=" in q["path"] for q in api)


def test_filters_and_a_custom_mapping(tmp_path, cli, wp):
    root = channel(tmp_path, wp, 'categories = ["bisnis", "News & Politics"]\nafter = "2023-02-01"\n'
                                 'fields = { section = "format" }')
    r = cli("build", root)
    assert r.code == 0, r
    lists = [q["query"] for q in wp.api_requests("/wp/v2/posts") if "_fields" in q["query"]]
    assert lists and all(q["categories"] == "4,7" and q["after"] == "2023-02-01T00:00:00+00:00" for q in lists)
    assert sorted(feed_items(root)) == ["p-3990", "p-4100", "p-5522"]  # in those categories, after that date
    assert {a.id: a.section for a in read_content(load_channel(root)).articles}["p-3990"] == "video"


def test_an_unknown_category_is_one_line(tmp_path, cli, wp):
    root = channel(tmp_path, wp, 'categories = ["sprots"]')
    r = cli("build", root)
    assert r.code == 1
    lines = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(lines) == 1 and "'sprots' is not a category" in lines[0], r


def test_an_application_password_is_sent_to_the_api_only_and_never_printed(tmp_path, cli, monkeypatch):
    secret = "abcd EFGH 1234 ijkl MNOP 5678"
    monkeypatch.setenv("WORDPRESS_USER", "editor")
    monkeypatch.setenv("WORDPRESS_APP_PASSWORD", secret)
    with WordPress(page_size=50, user="editor", password=secret) as wp:
        root = channel(tmp_path, wp)
        r = cli("--debug", "build", root)
        assert r.code == 0, r
        # With it, the featured media rest_forbidden hid is readable.
        assert any(q["path"].endswith("garuda-office-scaled.jpg") for q in wp.requests)
        assert all(q["authorization"] for q in wp.requests if q["route"] is not None)
        assert not any(q["authorization"] for q in wp.requests if q["route"] is None)  # not to pages or uploads
    # The site is gone: the last build's posts are used, and nothing prints the password.
    r = cli("--debug", "build", root)
    assert r.code == 0, r
    assert "using the 8 posts read by the last build" in r.err
    for text in [r.out, r.err] + [p.read_text(errors="replace") for p in (root / ".roku-packager-cache").rglob("*") if p.is_file()]:
        assert secret not in text and "ZWRpdG9y" not in text  # nor its base64


def test_an_unreachable_site_without_a_cache_is_one_line(tmp_path, cli):
    with WordPress() as wp:
        root = channel(tmp_path, wp)
    r = cli("build", root)
    assert r.code == 1
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "can't fetch" in skipped[0] and wp.url in skipped[0], r


def test_a_password_in_the_url_is_refused_without_printing_it(tmp_path, cli):
    root = tmp_path / "ch"
    root.mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML + '[[sources]]\ntype = "wordpress"\n'
                                       'url = "https://editor:hunter2@news.example/"\nallow_remote = true\n')
    r = cli("build", root)
    assert r.code == 2 and "WORDPRESS_APP_PASSWORD" in r.err and "hunter2" not in r.err, r


def test_the_api_is_found_from_link_headers_as_wordpress_writes_them():
    assert _api_link('<https://a.example/wp-json/>; rel="https://api.w.org/"', b"") == "https://a.example/wp-json/"
    # Older sites: http://api.w.org/; a shortlink beside it.
    assert _api_link('<http://a.example/wp-json/>; rel="http://api.w.org/", <https://a.example/>; rel=shortlink',
                     b"") == "http://a.example/wp-json/"
    assert _api_link("", b"<head><link rel='https://api.w.org/' href='https://a.example/?rest_route=/' /></head>") \
        == "https://a.example/?rest_route=/"
    assert _api_link('<https://a.example/>; rel=shortlink', b"<html></html>") is None
    assert route("https://a.example/?rest_route=/", "wp/v2/posts", [("page", "2")]) == \
        "https://a.example/?rest_route=/wp/v2/posts&page=2"
    assert route("https://a.example/news/wp-json/", "wp/v2/posts", [("include", "1,2")]) == \
        "https://a.example/news/wp-json/wp/v2/posts?include=1,2"


def test_credentials_are_not_carried_to_another_server_by_a_redirect():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from packager.remote import fetch

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            seen.append((self.server.server_address[1], self.path, self.headers.get("Authorization")))
            if self.path.startswith("/go"):
                self.send_response(302)
                self.send_header("Location", self.path[3:])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        a, b = (f"http://127.0.0.1:{s.server_address[1]}" for s in servers)
        fetch(f"{a}/go/same", 100, 5, {"Authorization": "Basic c2VjcmV0"})
        fetch(f"{a}/go{b}/other", 100, 5, {"Authorization": "Basic c2VjcmV0"})
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()
    auth = {path: header for _, path, header in seen}
    assert auth["/same"] == "Basic c2VjcmV0"  # the same server: kept
    assert auth["/other"] is None  # another server: dropped


@pytest.mark.parametrize("post", [
    {"id": 1},
    {"id": 2, "title": "a plain string title", "content": None, "excerpt": [], "_embedded": []},
    {"id": 3, "_embedded": {"wp:featuredmedia": [None], "author": {"name": "x"}, "wp:term": {"0": []}}},
    {"id": 4, "_embedded": {"wp:featuredmedia": [{"media_details": [], "source_url": 7}], "wp:term": [[None, "x", {"name": 5}]]}},
    {"id": 5, "_embedded": {"wp:featuredmedia": [{"media_details": {"sizes": []}, "source_url": "http://[::1"}]}},
    {"id": 6, "date_gmt": "0000-00-00T00:00:00", "date": "yesterday", "guid": {"rendered": 9},
     "content": {"rendered": '<video src="http://[::1/x.mp4"></video><img src="data:x"><iframe src="//["></iframe>'}},
], ids=lambda p: f"post-{p['id']}")
def test_odd_post_shapes_never_crash_the_mapping(post):
    from packager.readers.wordpress import post_fields

    state = {"api": "http://127.0.0.1/wp-json/", "site": {"gmt_offset": "x"}, "videos": {}}
    fields, body, notes, no_video = post_fields(post, state, (1280, 720))
    assert fields["id"] and isinstance(body, str)


def test_a_site_that_closes_its_api_to_visitors_says_what_to_do(tmp_path, cli):
    with WordPress(private=True) as wp:
        root = channel(tmp_path, wp)
        r = cli("build", root)
    assert r.code == 1
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1, r
    assert "HTTP 401 (rest_not_logged_in: Only authenticated users can access the REST API.)" in skipped[0]
    assert "set WORDPRESS_USER and WORDPRESS_APP_PASSWORD" in skipped[0]


def test_an_api_that_moved_since_the_last_build_is_found_again(tmp_path, cli):
    with WordPress(page_size=50) as wp:
        root = channel(tmp_path, wp, "limit = 1")
        assert cli("build", root).code == 0
        wp.pretty = False  # permalinks turned to plain: /wp-json/ is gone, ?rest_route= answers
        done = len(wp.requests)
        r = cli("build", root)
        assert r.code == 0 and "last build" not in r.err, r
        assert any("rest_route=" in q["path"] for q in wp.requests[done:])
        assert sorted(feed_items(root)) == ["p-6012"]


def test_a_photo_that_cant_be_fetched_gives_a_title_card_with_a_note(tmp_path, cli):
    with WordPress(page_size=50) as wp:
        wp.gone.add("/news/wp-content/uploads/2025/04/Studi-Foto-Senjakara-1536x864.webp")
        root = channel(tmp_path, wp, "limit = 1")
        r = cli("build", root)
    assert r.code == 0 and sorted(feed_items(root)) == ["p-6012"], r
    assert any("post 6012 " in n and "photo:" in n and "HTTP 404" in n and "a title card instead" in n for n in notes(r)), r


def test_without_a_title_card_a_post_without_a_picture_is_skipped_saying_why(tmp_path, cli):
    with WordPress(page_size=50) as wp:
        root = channel(tmp_path, wp, "limit = 3")
        toml = (root / "channel.toml").read_text().replace('fallback = "title-card"', 'fallback = "none"')
        (root / "channel.toml").write_text(toml)
        r = cli("build", root)
    assert r.code == 0, r
    assert sorted(feed_items(root)) == ["p-5522", "p-6012"]  # 5522: the picture in its text
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "post 4100 " in skipped[0] and "no featured image" in skipped[0], r
