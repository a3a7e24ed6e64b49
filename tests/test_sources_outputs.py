"""More sources (CMS JSON, RSS/Atom/MRSS, existing DP feeds, remote with ETag caching,
hostile XML) and more outputs (DP MRSS, Roku Search Feed 2.0)."""

import http.server
import json
import shutil
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import photos
import pytest
from conftest import CHANNEL_TOML
from feeds import full_feed

from packager.dp import walk_items
from packager.outputs import search_feed_errors
from packager.validate import validate_bytes

MEDIA = "{http://search.yahoo.com/mrss/}"

WORDPRESS_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:media="http://search.yahoo.com/mrss/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel>
  <title>Valley Herald</title><link>https://valleyherald.example/</link><description>News</description>
  <item>
    <title>Mayor opens the new library &amp; archive</title>
    <link>https://valleyherald.example/2026/11/mayor-opens-library/</link>
    <guid isPermaLink="false">https://valleyherald.example/?p=1201</guid>
    <pubDate>Tue, 24 Nov 2026 15:30:00 +0000</pubDate>
    <dc:creator><![CDATA[Staff]]></dc:creator>
    <category><![CDATA[Local]]></category><category><![CDATA[Culture]]></category>
    <description><![CDATA[<p>The new library opened on Tuesday.</p>]]></description>
    <content:encoded><![CDATA[<p>The <strong>new library</strong> opened on Tuesday with an archive of 40,000 photos.</p>
      <figure><img src="x.jpg"><figcaption>Opening day</figcaption></figure>]]></content:encoded>
    <media:content url="https://video.valleyherald.example/library.m3u8" medium="video" duration="95"/>
    <media:thumbnail url="{base}/photos/library.jpg"/>
  </item>
  <item>
    <title>Storm damage on the coast road</title>
    <link>https://valleyherald.example/2026/11/storm-damage/</link>
    <guid isPermaLink="false">https://valleyherald.example/?p=1202</guid>
    <pubDate>Mon, 23 Nov 2026 09:00:00 +0000</pubDate>
    <category>Weather</category>
    <description>Crews cleared the coast road overnight.</description>
    <enclosure url="https://video.valleyherald.example/storm.m3u8" type="application/x-mpegURL" length="1000"/>
    <itunes:duration>02:05</itunes:duration>
    <media:content url="{base}/photos/storm.jpg" medium="image"/>
  </item>
  <item>
    <title>An MP4 with no bitrate</title>
    <guid isPermaLink="false">https://valleyherald.example/?p=1203</guid>
    <pubDate>Sun, 22 Nov 2026 09:00:00 +0000</pubDate>
    <enclosure url="https://video.valleyherald.example/x.mp4" type="video/mp4" length="1000"/>
    <itunes:duration>60</itunes:duration>
    <media:thumbnail url="{base}/photos/storm.jpg"/>
  </item>
</channel>
</rss>
"""


class EtagHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with ETags and 304s, counting requests."""
    requests: list = []

    def do_GET(self):  # noqa: N802
        path = self.translate_path(self.path)
        try:
            data = open(path, "rb").read()
        except OSError:
            self.send_error(404)
            return
        etag = '"%x"' % (hash(data) & 0xFFFFFFFF)
        type(self).requests.append((self.path, self.headers.get("If-None-Match")))
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def web(tmp_path):
    root = tmp_path / "web"
    (root / "photos").mkdir(parents=True)
    photos.scene(1600, 900, 31).save(root / "photos" / "library.jpg")
    photos.scene(1600, 900, 32).save(root / "photos" / "storm.jpg")
    handler = type("H", (EtagHandler,), {"requests": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), lambda *a, **k: handler(*a, directory=str(root), **k))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "feed.rss").write_text(WORDPRESS_RSS.replace("{base}", base))
    yield base, root, handler
    server.shutdown()


def channel_with(tmp_path, toml: str, name="src") -> Path:
    root = tmp_path / name
    root.mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML + toml)
    return root


def feed_of(root):
    return json.loads((root / "dist" / "feed.json").read_bytes())


def test_wordpress_rss_over_http_with_etag_cache(tmp_path, web, cli):
    base, _, handler = web
    root = channel_with(tmp_path, f'allow_remote = true\n[[sources]]\ntype = "rss"\nurl = "{base}/feed.rss"\n'
                        '[outputs]\nmrss = true\n')
    # allow_remote is a [channel] key here: it came right after base_url.
    r = cli("build", root)
    assert r.code == 0, r
    assert [line for line in r.err.splitlines() if line.startswith("skipped")] == [
        f"skipped: {base}/feed.rss item 3 (p-1203): video.bitrate: is required for MP4 files: the average bitrate in kbps, e.g. 2500"]
    items = {i["id"]: i for i in feed_of(root)["shortFormVideos"]}
    lib = items["p-1201"]
    assert lib["title"] == "Mayor opens the new library & archive"
    assert lib["shortDescription"] == "The new library opened on Tuesday."
    assert lib["longDescription"] == "The new library opened on Tuesday with an archive of 40,000 photos."
    assert lib["tags"] == ["local", "culture"] and lib["releaseDate"] == "2026-11-24"
    assert lib["content"]["videos"][0] == {"url": "https://video.valleyherald.example/library.m3u8", "quality": "HD", "videoType": "HLS"}
    assert lib["thumbnail"].startswith("https://cdn.test/tv/artwork/")
    storm = items["p-1202"]
    assert storm["content"]["videos"][0]["videoType"] == "HLS" and storm["content"]["duration"] == 125
    assert storm["tags"] == ["weather"] and storm["shortDescription"] == "Crews cleared the coast road overnight."
    first = len(handler.requests)
    assert first == 4  # the feed and three photos
    assert cli("build", root).code == 0
    again = handler.requests[first:]
    assert len(again) == 4 and all(etag for _, etag in again)  # revalidated, answered 304


def test_remote_source_needs_allow_remote(tmp_path, cli):
    root = channel_with(tmp_path, '[[sources]]\ntype = "rss"\nurl = "https://example.invalid/feed.rss"\n')
    r = cli("build", root)
    assert r.code == 2 and "fetching over the network is off: set allow_remote = true" in r.err


def test_remote_photo_in_a_local_feed_needs_allow_remote(tmp_path, web, cli):
    base, webroot, _ = web
    root = channel_with(tmp_path, '[[sources]]\ntype = "rss"\npath = "feed.rss"\n')
    shutil.copy(webroot / "feed.rss", root / "feed.rss")
    r = cli("build", root)
    assert f"skipped: feed.rss item 1 (p-1201): photo: {base}/photos/library.jpg is a URL; set allow_remote = true" in r.err


@pytest.mark.parametrize("payload,what", [
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
     '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;</title></item></channel></rss>', "billion laughs"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item><title>&x;</title>'
     '</item></channel></rss>', "external entity"),
])
def test_hostile_xml_is_refused(tmp_path, cli, payload, what):
    root = channel_with(tmp_path, '[[sources]]\ntype = "rss"\npath = "evil.xml"\n')
    (root / "evil.xml").write_text(payload)
    r = cli("build", root)
    assert r.code == 1 and "skipped: evil.xml: refused: the XML declares" in r.err, r
    assert "root:" not in r.err + r.out


def test_json_cms_export_with_dotted_fields(tmp_path, cli):
    root = channel_with(tmp_path, '[[sources]]\ntype = "json"\npath = "export"\n'
                        'fields = { title = "headline", date = "published_at", body = "content_html", '
                        'photo = "image.src", summary = "dek", "video" = "media.video" }\n')
    (root / "export" / "img").mkdir(parents=True)
    photos.scene(1600, 900, 41).save(root / "export" / "img" / "a.jpg")
    export = [
        {"slug": "x", "id": "cms-101", "headline": "Council votes on the bridge", "published_at": "2026-11-20T18:00:00Z",
         "dek": "A 5-2 vote.", "content_html": "<p>The council voted <em>five to two</em>.</p>",
         "image": {"src": "img/a.jpg"}, "media": {"video": {"url": "https://v.example/b.m3u8", "duration": 60}}},
        {"id": "cms-102", "headline": "No picture here", "published_at": "2026-11-21T18:00:00Z", "dek": "Words only.",
         "media": {"video": {"url": "https://v.example/c.m3u8", "duration": 60}}},
    ]
    (root / "export" / "articles.json").write_text(json.dumps(export))
    (root / "export" / "more.jsonl").write_text(json.dumps(export[0] | {"id": "cms-103", "headline": "Third"}) + "\n")
    r = cli("build", root)
    assert r.code == 0, r
    assert "skipped" not in r.err, r  # cms-102 has no picture: its artwork is a title card
    items = {i["id"]: i for i in feed_of(root)["shortFormVideos"]}
    assert set(items) == {"cms-101", "cms-102", "cms-103"}
    assert items["cms-101"]["title"] == "Council votes on the bridge"
    assert items["cms-101"]["shortDescription"] == "A 5-2 vote."
    assert items["cms-101"]["longDescription"] == "The council voted five to two."


def test_a_json_export_item_skipped_names_the_exports_own_field(tmp_path, cli):
    """The export has `headline`, not `title`: the line says both, so the producer knows what to fix."""
    root = channel_with(tmp_path, '[[sources]]\ntype = "json"\npath = "cms.json"\n'
                        'fields = { title = "headline", date = "published_at", body = "content_html" }\n'
                        '\n[clips]\nrender = "off"\n')
    video = {"url": "https://v.example/b.m3u8", "duration": 60}
    (root / "cms.json").write_text(json.dumps([
        {"headline": "Flood warning", "published_at": "2026-12-01T09:00:00Z", "content_html": "<p>Rising.</p>", "video": video},
        {"published_at": "2026-12-01T09:00:00Z", "content_html": "<p>No headline.</p>", "video": video},
        {"headline": "No date", "content_html": "<p>Undated.</p>", "video": video},
        {"headline": "No video", "published_at": "2026-12-01T09:00:00Z"}]))
    r = cli("build", root)
    assert r.code == 0, r
    assert "skipped: cms.json item 2: title (mapped from headline): is required" in r.err, r.err
    assert "skipped: cms.json item 3: date (mapped from published_at): " in r.err, r.err
    assert "skipped: cms.json item 4: video: is required" in r.err, r.err  # not mapped: our name alone
    assert "3 articles skipped (1 for want of a video" in r.out, r  # still counted apart


def test_dp_feed_import_keeps_items_and_rows(tmp_path, built_example, cli):
    original = feed_of(built_example)
    root = channel_with(tmp_path, '[[sources]]\ntype = "dp-feed"\npath = "old-feed.json"\n', name="migrated")
    shutil.copy(built_example / "dist" / "feed.json", root / "old-feed.json")
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    migrated = feed_of(root)
    for key in ("shortFormVideos", "tvSpecials"):
        assert [(i["id"], i["title"], i["thumbnail"], i["content"]["videos"]) for i in migrated[key]] == \
               [(i["id"], i["title"], i["thumbnail"], i["content"]["videos"]) for i in original[key]]
    assert migrated["categories"] == original["categories"]
    assert not (root / "dist" / "artwork").exists()  # thumbnails kept as URLs: nothing rendered


def test_dp_feed_import_with_series_and_playlists(tmp_path, cli):
    root = channel_with(tmp_path, '[[sources]]\ntype = "dp-feed"\npath = "old.json"\n')
    (root / "old.json").write_text(json.dumps(full_feed()))
    r = cli("build", root)
    assert r.code == 0, r
    feed = feed_of(root)
    series = {s["id"]: s for s in feed["series"]}
    assert [s["seasonNumber"] for s in series["series1"]["seasons"]] == [1, 2]
    assert [e["id"] for e in series["series2"]["episodes"]] == ["item20", "item21"]
    assert feed["playlists"] == [{"name": "top", "itemIds": ["item2", "series1", "item4"]}]
    assert [c["name"] for c in feed["categories"]] == ["Local", "Local sports", "Top Stories"]
    assert feed["movies"][0]["rating"] == {"rating": "TVPG", "ratingSource": "USA_PR"}
    assert validate_bytes((root / "dist" / "feed.json").read_bytes()).valid


def test_dp_feed_over_http_renders_item_and_series_thumbnails(tmp_path, web, cli):
    """With allow_remote, an imported feed's thumbnails (items' and the series' own) are
    downloaded and rendered; ids, dates and the rest stay as the feed has them."""
    base, webroot, _ = web
    feed = full_feed()
    for _, _, it in walk_items(feed):
        it["thumbnail"] = f"{base}/photos/library.jpg"
    feed["series"][0]["thumbnail"] = f"{base}/photos/storm.jpg"
    feed["series"][1]["thumbnail"] = f"{base}/photos/missing.jpg"
    feed["movies"][0]["thumbnail"] = f"{base}/photos/gone.jpg"
    (webroot / "old.json").write_text(json.dumps(feed))
    root = channel_with(tmp_path, f'[[sources]]\ntype = "dp-feed"\nurl = "{base}/old.json"\nallow_remote = true\n')
    r = cli("build", root)
    assert r.code == 0, r
    out = feed_of(root)
    series = {s["id"]: s for s in out["series"]}
    episode_thumbs = {e["thumbnail"] for s in series["series1"]["seasons"] for e in s["episodes"]}
    assert series["series1"]["thumbnail"].startswith("https://cdn.test/tv/artwork/")
    assert series["series1"]["thumbnail"] not in episode_thumbs  # its own picture, not an episode's
    assert series["series2"]["thumbnail"] == f"{base}/photos/missing.jpg"  # couldn't be fetched: kept as it was
    assert f"old.json series[1] (series2): thumbnail: {base}/photos/missing.jpg: the server answered HTTP 404" in r.err
    assert series["series1"]["releaseDate"] == "2026-01-01" and out["movies"][0]["id"] == "item1"
    # An item's thumbnail that can't be fetched is kept where it was, with a warning.
    assert out["movies"][0]["thumbnail"] == f"{base}/photos/gone.jpg"
    assert f"old.json movies[0] (item1): thumbnail: {base}/photos/gone.jpg: the server answered HTTP 404" in r.err
    assert out["shortFormVideos"][0]["thumbnail"].startswith("https://cdn.test/tv/artwork/")


def test_mrss_output_parsed_back(example_channel, cli):
    toml = example_channel / "channel.toml"
    toml.write_text(toml.read_text() + "\n[outputs]\nmrss = true\nsearch_feed = true\n[search_feed]\ncountries = [\"us\", \"ca\"]\n")
    assert cli("build", example_channel).code == 0
    feed = feed_of(example_channel)
    root = ET.fromstring((example_channel / "dist" / "feed.xml").read_bytes())
    channel = root.find("channel")
    assert channel.findtext("title") == feed["providerName"] and channel.findtext("lastBuildDate") == feed["lastUpdated"]
    items = channel.findall("item")
    assert len(items) == len(feed["shortFormVideos"])
    for el, item in zip(items, feed["shortFormVideos"]):
        assert el.findtext("guid") == item["id"]
        assert el.findtext("title") == el.findtext(f"{MEDIA}title") == item["title"]
        assert el.findtext("description") == el.findtext(f"{MEDIA}description") == item["shortDescription"]
        assert el.findtext("pubDate") == item["content"]["dateAdded"]
        assert el.find(f"{MEDIA}thumbnail").get("url") == item["thumbnail"]
        content = el.find(f"{MEDIA}content")
        assert content.get("url") == item["content"]["videos"][0]["url"]
        assert content.get("duration") == str(item["content"]["duration"])
        assert content.find(f"{MEDIA}thumbnail").get("url") == item["thumbnail"]  # nested, for Roku's template
        assert (el.findtext(f"{MEDIA}keywords") or "").split(",") == item.get("tags", [""])

    search = json.loads((example_channel / "dist" / "search-feed.json").read_bytes())
    assert search_feed_errors(search) == []
    assert search["defaultAvailabilityCountries"] == ["us", "ca"]
    ids = [a["id"] for a in search["assets"]]
    assert sorted(ids) == sorted(i["id"] for i in feed["shortFormVideos"] + feed["tvSpecials"])
    asset = next(a for a in search["assets"] if a["id"] == "tigers-state-title")
    assert asset["type"] == "shortForm" and asset["advisoryRatings"] == [{"source": "USA_PR", "value": "TV-PG"}]
    assert asset["content"]["playOptions"] == [{"license": "free", "quality": "fhd", "playId": "tigers-state-title",
                                                "availabilityInfo": {"country": ["us", "ca"]}}]
    assert asset["images"][0]["type"] == "main" and asset["durationInSeconds"] == 242


def test_search_feed_links_series_seasons_episodes(tmp_path, cli):
    root = channel_with(tmp_path, '[[sources]]\ntype = "dp-feed"\npath = "old.json"\n[outputs]\nsearch_feed = true\n')
    (root / "old.json").write_text(json.dumps(full_feed()))
    assert cli("build", root).code == 0
    search = json.loads((root / "dist" / "search-feed.json").read_bytes())
    assert search_feed_errors(search) == []
    by_type = {}
    for a in search["assets"]:
        by_type.setdefault(a["type"], []).append(a)
    assert {a["id"] for a in by_type["series"]} == {"series1", "series2"}
    assert [(a["seasonInfo"]["seriesId"], a["seasonInfo"]["seasonNumber"]) for a in by_type["season"]] == [("series1", 1), ("series1", 2)]
    eps = {a["id"]: a["episodeInfo"] for a in by_type["episode"]}
    assert eps["item10"] == {"seriesId": "series1", "seasonNumber": 1, "episodeNumber": 1}
    assert eps["item20"] == {"seriesId": "series2", "episodeNumber": 1}
    # One asset per item and episode, plus the season assets.
    # movie + 2 short-form + tvSpecial + 2 series + 2 seasons + 5 episodes (live feeds have no search asset type)
    assert len(search["assets"]) == 1 + 2 + 1 + 2 + 2 + 5
