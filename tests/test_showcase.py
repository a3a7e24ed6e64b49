"""examples/showcase, the channel that uses most features, builds, validates, and loads in
the BrightScript template reader."""

import json
import shutil

from conftest import ROOT
from test_roku_consumers import check, expect_template, run

from packager.outputs import search_feed_errors
from packager.validate import validate_bytes


def test_showcase_builds_and_loads(tmp_path, cli, brs):
    channel = tmp_path / "showcase"
    shutil.copytree(ROOT / "examples" / "showcase", channel, ignore=shutil.ignore_patterns("dist", "public"))
    r = cli("build", channel)
    assert r.code == 0 and "skipped" not in r.err, r
    dist = channel / "dist"
    body = (dist / "feed.json").read_bytes()
    assert validate_bytes(body).valid
    assert cli("validate", dist / "feed.json", "--assets", dist).code == 0
    feed = json.loads(body)
    assert sorted(k for k in feed if isinstance(feed[k], list)) == [
        "categories", "liveFeeds", "playlists", "series", "shortFormVideos"]
    assert [c["name"] for c in feed["categories"]] == ["Top Stories", "Local / Politics", "Local / Traffic", "Sports"]
    assert feed["playlists"] == [{"name": "Top Stories", "itemIds": ["budget", "evening-bulletin"]}]
    clip = next(i for i in feed["shortFormVideos"] if i["id"] == "bridge-closure")["content"]["videos"][0]
    assert clip["videoType"] == "MP4" and (dist / clip["url"].removeprefix("https://cdn.example.com/showcase/")).is_file()
    assert search_feed_errors(json.loads((dist / "search-feed.json").read_bytes())) == []
    assert (dist / "feed.xml").read_bytes().startswith(b"<?xml")
    summary, _ = run(brs, "template_reader", body, tmp_path)
    check(summary, expect_template(feed))
