"""`roku-packager channel`: the generated Roku SceneGraph app.

- Static: BrighterScript's compiler (bsc, pinned in tests/roku) compiles the generated zip of
  the example and the showcase channels with zero errors and zero warnings.
- Runtime: the app's data layer (source/feedfetch.brs, source/feedmodel.brs, taken from the
  generated zip) runs in brs-engine's brs-cli against the channel served by the project's
  serve module on 127.0.0.1: real HTTP, real JPEG decoding. Rows, videos, posters and deep
  links are compared with what the feed holds; broken feeds take the retry/skip path.
- The zip is the same bytes on every run; [app] settings reach the manifest and config."""

from __future__ import annotations

import dataclasses
import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import threading
import time
import zipfile
from pathlib import Path

import pytest
import sgrunner
from conftest import ROOT
from feeds import content, full_feed, item

ROKU = ROOT / "tests" / "roku"
BIN = ROKU / "node_modules" / ".bin"
KINDS = (("movies", "movie"), ("series", "series"), ("shortFormVideos", "shortFormVideo"),
         ("tvSpecials", "tvSpecial"), ("liveFeeds", "liveFeed"))
FALLBACK_TITLES = {"movies": "Movies", "series": "Series", "shortFormVideos": "Videos", "tvSpecials": "Specials",
                   "liveFeeds": "Live"}


def _tool(name: str) -> Path:
    path = BIN / name
    assert path.exists(), f"{name} is missing: run `npm ci` in tests/roku (scripts/test.sh does)"
    return path


def _copy(name: str, tmp_path: Path) -> Path:
    dest = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, dest, ignore=shutil.ignore_patterns("dist", "public"))
    return dest


@pytest.fixture(params=["channel", "showcase"])
def channel_dir(request, tmp_path) -> Path:
    return _copy(request.param, tmp_path)


def _app_zip(cli, channel: Path, out: Path) -> bytes:
    r = cli("channel", channel, "--out", out)
    assert r.code == 0, r
    return out.read_bytes()


def _bsc(root: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(_tool("bsc")), "--createPackage", "false", "--rootDir", str(root),
                           "--stagingDir", str(cwd / "staging")], cwd=cwd, capture_output=True, text=True, timeout=300)


def _diagnostics(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in (proc.stdout + proc.stderr).splitlines() if re.search(r" - (error|warning|hint)? ?BS\d+", line)
            or re.search(r"\b(error|warning) BS\d+", line)]


# ---------------------------------------------------------------- static: bsc

def test_bsc_compiles_the_app_clean(cli, channel_dir, tmp_path):
    data = _app_zip(cli, channel_dir, tmp_path / "app.zip")
    root = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(data)).extractall(root)
    proc = _bsc(root, tmp_path)
    assert proc.returncode == 0 and _diagnostics(proc) == [], proc.stdout + proc.stderr
    assert "Validating project finished" in proc.stdout


def test_bsc_check_catches_a_broken_app(cli, example_channel, tmp_path):
    """The static check can fail: a wrong component name and a syntax error are reported."""
    data = _app_zip(cli, example_channel, tmp_path / "app.zip")
    root = tmp_path / "unzipped"
    zipfile.ZipFile(io.BytesIO(data)).extractall(root)
    (root / "source" / "broken.brs").write_text('sub broken()\n    x = CreateObject("roInputEvent")\n    y = \nend sub\n')
    proc = _bsc(root, tmp_path)
    found = _diagnostics(proc)
    assert proc.returncode != 0 and any("BS1129" in line for line in found), proc.stdout + proc.stderr


# ---------------------------------------------------------------- the zip

def test_zip_is_byte_identical_and_well_formed(cli, channel_dir, tmp_path):
    first = _app_zip(cli, channel_dir, tmp_path / "one.zip")
    second = _app_zip(cli, channel_dir, tmp_path / "two" / "again.zip")
    assert first == second
    z = zipfile.ZipFile(io.BytesIO(first))
    names = z.namelist()
    assert names == sorted(names)
    assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    for required in ("manifest", "source/main.brs", "source/feedmodel.brs", "source/feedfetch.brs",
                     "source/appconfig.brs", "components/MainScene.xml", "components/FeedTask.xml",
                     "images/mm_icon_focus_fhd.png", "images/splash_screen_fhd.jpg", "images/overhang_logo.png"):
        assert required in names
    manifest = z.read("manifest").decode()
    from PIL import Image
    for line in manifest.splitlines():
        key, _, value = line.partition("=")
        if value.startswith("pkg:/"):
            size = Image.open(io.BytesIO(z.read(value.removeprefix("pkg:/")))).size
            want = {"mm_icon_focus_fhd": (540, 405), "mm_icon_focus_hd": (290, 218), "splash_screen_fhd": (1920, 1080),
                    "splash_screen_hd": (1280, 720), "splash_screen_sd": (720, 480)}[key]
            assert size == want, key


def test_default_zip_survives_build_and_is_not_published(cli, example_channel):
    r = cli("channel", example_channel)
    assert r.code == 0, r
    app = example_channel / "dist" / "roku-channel.zip"
    data = app.read_bytes()
    assert cli("build", example_channel).code == 0  # dist/ holds only the zip: build may take it over
    assert app.read_bytes() == data and (example_channel / "dist" / "feed.json").is_file()
    assert cli("build", example_channel).code == 0  # and keeps it when it swaps dist/
    assert app.read_bytes() == data
    target = example_channel.parent / "cdn"
    assert cli("publish", example_channel, "--to", target.as_uri()).code == 0
    assert (target / "feed.json").is_file() and not (target / "roku-channel.zip").exists()


def test_channel_never_overwrites_a_file_it_did_not_write(cli, example_channel, tmp_path):
    theirs = tmp_path / "theirs.zip"
    theirs.write_bytes(b"somebody's file")
    r = cli("channel", example_channel, "--out", theirs)
    assert r.code == 2 and "was not written by roku-packager channel" in r.err, r
    assert theirs.read_bytes() == b"somebody's file"
    r = cli("channel", example_channel, "--out", tmp_path)
    assert r.code == 2 and "is a folder" in r.err, r


def test_unreadable_logo(cli, example_channel):
    (example_channel / "logo.png").write_bytes(b"not a picture")
    with (example_channel / "channel.toml").open("a") as f:
        f.write('\n[app]\nlogo = "logo.png"\n')
    r = cli("channel", example_channel)
    assert r.code == 2 and r.err.startswith("roku-packager: channel.toml: [app] logo: logo.png "), r
    assert len(r.err.strip().splitlines()) == 1 and not (example_channel / "dist").exists()


def test_app_settings_reach_the_manifest_and_config(cli, example_channel, tmp_path):
    from PIL import Image

    Image.new("RGBA", (600, 200), (200, 30, 30, 255)).save(example_channel / "logo.png")
    with (example_channel / "channel.toml").open("a") as f:
        f.write('\n[app]\ntitle = "Riverside \\"TV\\""\nversion = "2.3.45"\nlogo = "logo.png"\nbackground = "#f0f0f0"\n'
                'accent = "#fca311"\nresolutions = ["hd", "fhd"]\nfeed_url = "https://tv.example.org/feed.json"\n'
                'analytics_url = "https://stats.example.org/beacon"\n')
    z = zipfile.ZipFile(io.BytesIO(_app_zip(cli, example_channel, tmp_path / "app.zip")))
    manifest = dict(line.split("=", 1) for line in z.read("manifest").decode().splitlines())
    assert (manifest["title"], manifest["major_version"], manifest["minor_version"], manifest["build_version"]) == (
        'Riverside "TV"', "2", "3", "45")
    assert manifest["ui_resolutions"] == "hd,fhd" and manifest["splash_color"] == "#f0f0f0"
    assert manifest["supports_input_launch"] == "1"
    config = z.read("source/appconfig.brs").decode()
    for expected in ('title: "Riverside ""TV"""', 'feedUrl: "https://tv.example.org/feed.json"', 'searchFeedUrl: ""',
                     'analyticsUrl: "https://stats.example.org/beacon"', 'accent: "0xFCA311FF"',
                     'background: "0xF0F0F0FF"', 'textColor: "0x141414FF"'):
        assert expected in config
    icon = Image.open(io.BytesIO(z.read("images/mm_icon_focus_fhd.png"))).convert("RGB")
    assert icon.getpixel((270, 202)) == (200, 30, 30) and icon.getpixel((2, 2)) == (240, 240, 240)


@pytest.mark.parametrize("extra, message", [
    ("[app]\ncolour = \"#000000\"\n", "[app] colour: unknown key"),
    ("[app]\nversion = \"one\"\n", "[app] version"),
    ("[app]\nresolutions = [\"4k\"]\n", "[app] resolutions"),
    ("[app]\nfeed_url = \"ftp://x/feed.json\"\n", "[app] feed_url"),
    ("[app]\nsearch_feed = true\n", "[app] search_feed: needs the search feed"),
    ("[app]\nlogo = \"../../etc/passwd\"\n", "[app] logo"),
    ("[app]\naccent = \"orange\"\n", "[app] accent"),
])
def test_app_table_errors(cli, example_channel, extra, message):
    with (example_channel / "channel.toml").open("a") as f:
        f.write("\n" + extra)
    r = cli("channel", example_channel)
    assert r.code == 2 and message in r.err and len(r.err.strip().splitlines()) == 1, r


def test_app_table_is_in_the_channel_schema():
    from packager.config import channel_schema

    app = channel_schema()["properties"]["app"]
    assert app["additionalProperties"] is False
    assert set(app["properties"]) == {"title", "feed_url", "version", "logo", "background", "accent", "resolutions",
                                      "search_feed", "analytics_url", "refresh_minutes", "ads"}
    assert set(app["properties"]["ads"]["properties"]) == {"url", "preroll", "midroll_minutes", "min_minutes_between",
                                                           "live_preroll"}


# ---------------------------------------------------------------- text injection (#26)

def _set_provider(channel: Path, name: str):
    toml = channel / "channel.toml"
    text = toml.read_text()
    text = re.sub(r'provider_name = "[^"]*"', lambda _: f"provider_name = {json.dumps(name)}", text, count=1)
    toml.write_text(text)


@pytest.mark.parametrize("name", ["News\nbs_libs_required=roku_ads_lib", "News\rsplash_color=#ff0000", "News\u0085x",
                                  "News\u2028x", "News\u2029x", "News\x00x", "News\x7fx"])
def test_line_breaks_never_reach_the_manifest_or_brightscript(cli, example_channel, tmp_path, name):
    """provider_name is the app title's default: one line or a clean exit 2 naming the key."""
    _set_provider(example_channel, name)
    r = cli("channel", example_channel, "--out", tmp_path / "app.zip")
    assert r.code == 2 and "[app] title (from [channel] provider_name)" in r.err and "line break" in r.err, r
    assert len(r.err.strip().splitlines()) == 1 and not (tmp_path / "app.zip").exists()


@pytest.mark.parametrize("key, value", [("title", "News\nbs_libs_required=roku_ads_lib"),
                                        ("analytics_url", "https://stats.example.org/b\nx=1"),
                                        ("feed_url", "https://cdn.example.org/feed.json\u2028x")])
def test_app_keys_with_line_breaks_are_refused(cli, example_channel, key, value):
    with (example_channel / "channel.toml").open("a") as f:
        f.write(f"\n[app]\n{key} = {json.dumps(value)}\n")
    r = cli("channel", example_channel)
    assert r.code == 2 and f"[app] {key}" in r.err and len(r.err.strip().splitlines()) == 1, r


def test_trailing_newline_in_analytics_url_is_trimmed_not_written(cli, example_channel, tmp_path):
    with (example_channel / "channel.toml").open("a") as f:
        f.write('\n[app]\nanalytics_url = "https://stats.example.org/beacon\\n"\n')
    z = zipfile.ZipFile(io.BytesIO(_app_zip(cli, example_channel, tmp_path / "app.zip")))
    config = z.read("source/appconfig.brs").decode()
    assert 'analyticsUrl: "https://stats.example.org/beacon",' in config
    assert all(line.count('"') % 2 == 0 for line in config.splitlines())  # every string literal closed


@pytest.mark.parametrize("title", ["   ", "\t"])
def test_blank_title_is_refused(cli, example_channel, title):
    with (example_channel / "channel.toml").open("a") as f:
        f.write(f"\n[app]\ntitle = {json.dumps(title)}\n")
    r = cli("channel", example_channel)
    assert r.code == 2 and "[app] title" in r.err and len(r.err.strip().splitlines()) == 1, r


@pytest.mark.parametrize("length", [101, 1000, 100_000])
def test_long_provider_name_is_a_title_error_not_a_logo_bomb(cli, example_channel, length):
    _set_provider(example_channel, "N" * length)
    r = cli("channel", example_channel)
    assert r.code == 2 and "[app] title (from [channel] provider_name)" in r.err, r
    assert f"{length:,} characters" in r.err and "bomb" not in r.err and "logo" not in r.err, r
    assert len(r.err.strip().splitlines()) == 1


@pytest.mark.parametrize("url", ["https://[::1/feed.json", "https://cdn.example.org:99999/feed.json",
                                 "https://cdn.example.org:0/feed.json", "http://:80/feed.json"])
def test_feed_url_with_bad_host_or_port_is_refused(cli, example_channel, url):
    with (example_channel / "channel.toml").open("a") as f:
        f.write(f"\n[app]\nfeed_url = {json.dumps(url)}\n")
    r = cli("channel", example_channel)
    assert r.code == 2 and "[app] feed_url" in r.err and len(r.err.strip().splitlines()) == 1, r


def test_logo_that_is_a_folder_is_not_a_file(cli, example_channel):
    (example_channel / "logo").mkdir()
    with (example_channel / "channel.toml").open("a") as f:
        f.write('\n[app]\nlogo = "logo"\n')
    r = cli("channel", example_channel)
    assert r.code == 2 and "logo is a folder, not a file" in r.err and "not found" not in r.err, r


def test_escaping_gate_is_the_one_place():
    """Every string the app files get goes through config.app_text (brs_string and manifest)."""
    src = (ROOT / "packager" / "rokuapp" / "__init__.py").read_text()
    assert "def brs_string(label: str, text: str)" in src and "app_text(label, text)" in src
    from packager.config import ConfigError, app_text

    for bad in ("a\nb", "a\rb", "a\u0085b", "a\u2028b", "a\u2029b"):
        with pytest.raises(ConfigError):
            app_text("[app] x", bad)


# ---------------------------------------------------------------- runtime: brs-cli

def expected_rows(feed: dict) -> list[tuple[str, list[str]]]:
    """The home rows as the feed defines them, computed independently of the app."""
    top = [(i, kind) for key, kind in KINDS for i in feed.get(key, []) if isinstance(i, dict)]
    by_id = {i["id"]: i for i, _ in top}

    def sort_key(i):
        return (i.get("releaseDate") or "") + " " + ((i.get("content") or {}).get("dateAdded") or "")

    def matches(query, tags):
        tags = {t.lower() for t in tags or []}
        op = " AND " if " AND " in query else " OR "
        wanted = [p.strip().lower() for p in query.split(op) if p.strip()]
        hits = [w in tags for w in wanted]
        return all(hits) if op == " AND " else any(hits)

    playlists = {p["name"]: p["itemIds"] for p in feed.get("playlists", [])}
    rows = []
    for c in feed.get("categories", []):
        if "playlistName" in c:
            members = [by_id[i] for i in playlists.get(c["playlistName"], []) if i in by_id]
        else:
            members = [i for i, _ in top if matches(c["query"], i.get("tags"))]
        if c.get("order") == "most_recent":
            members = sorted(members, key=sort_key, reverse=True)
        elif c.get("order") == "chronological":
            members = sorted(members, key=sort_key)
        if members:
            rows.append((c["name"], [m["id"] for m in members]))
    if not rows:
        rows = [(FALLBACK_TITLES[key], [i["id"] for i in feed[key]]) for key, _ in KINDS if feed.get(key)]
        return sorted(rows, key=lambda r: r[0] != "Live")  # live streams lead
    # Every item reachable: live streams pinned first, items in no row in a last row.
    live = [i["id"] for i in feed.get("liveFeeds", [])]
    if live and rows[0][1][:len(live)] != live:
        rows.insert(0, ("Live", live))
    shown = {i for _, ids in rows for i in ids}
    rest = [i["id"] for i, _ in top if i["id"] not in shown]
    if rest:
        rows.append(("More to watch", rest))
    return rows


def episodes(series: dict) -> list[dict]:
    seasons = series.get("seasons") or [{"episodes": series.get("episodes", [])}]
    return [e for s in seasons for e in sorted(s["episodes"], key=lambda e: e["episodeNumber"])]


def _serve_folder(folder: Path):
    hits: dict[str, int] = {}
    handler = functools.partial(_Flaky, directory=str(folder), hits=hits)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, hits


class _Flaky(http.server.SimpleHTTPRequestHandler):
    """Files from a folder; flaky.json answers 503 twice before it serves the feed."""

    def __init__(self, *args, hits: dict, **kwargs):
        self.hits = hits
        super().__init__(*args, **kwargs)

    def do_GET(self):  # noqa: N802
        self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/flaky.json" and self.hits[self.path] <= 2:
            self.send_error(503)
            return
        super().do_GET()

    def log_message(self, *args):
        return


def _brs_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def run_data_layer(app_zip: bytes, plan: dict, tmp_path: Path) -> list[list[str]]:
    """The generated app's data layer + tests/roku/channel_check.brs, in brs-cli."""
    app = zipfile.ZipFile(io.BytesIO(app_zip))
    links = ", ".join(f"{{contentId: {_brs_string(c)}, mediaType: {_brs_string(m)}}}" for c, m in plan["links"])
    broken = ", ".join(_brs_string(n) for n in plan["broken"])
    plan_brs = (f"function TestPlan() as Object\n    return {{feedUrl: {_brs_string(plan['feed'])}, "
                f"searchFeedUrl: {_brs_string(plan['search'])}, brokenBase: {_brs_string(plan['broken_base'])}, "
                f"broken: [{broken}], links: [{links}]}}\nend function\n")
    test_zip = tmp_path / "data-layer.zip"
    with zipfile.ZipFile(test_zip, "w") as z:
        z.writestr("manifest", "title=data layer check\nmajor_version=1\nminor_version=0\nbuild_version=0\n")
        for name in ("source/feedmodel.brs", "source/feedfetch.brs"):
            z.writestr(name, app.read(name))
        z.writestr("source/main.brs", (ROKU / "channel_check.brs").read_bytes())
        z.writestr("source/plan.brs", plan_brs)
    proc = subprocess.run([str(_tool("brs-cli")), str(test_zip), "--colors", "0"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    lines = [line.rstrip("\r") for line in proc.stdout.splitlines()]
    facts = [line.split("\t") for line in lines if "\t" in line or line.strip() == "CHANNEL_CHECK_DONE"]
    assert proc.returncode == 0 and facts and facts[-1] == ["CHANNEL_CHECK_DONE"], proc.stdout + proc.stderr
    return facts


def broken_feeds(folder: Path) -> dict[str, dict | None]:
    """name -> what the data layer must make of it (None: the retry path)."""
    folder.mkdir()
    no_genres = full_feed()
    del no_genres["movies"][0]["genres"]  # shown without it
    del no_genres["tvSpecials"][0]["content"]  # skipped
    del no_genres["shortFormVideos"][0]["thumbnail"]  # shown without a poster
    empty = full_feed()
    for key in ("movies", "shortFormVideos", "tvSpecials"):
        for i in empty[key]:
            i["content"]["videos"] = []
    empty["series"][1]["episodes"][0]["content"]["videos"] = []
    for s in empty["series"][0]["seasons"]:
        for e in s["episodes"]:
            e["content"]["videos"] = []
    many = {"providerName": "x", "language": "en", "lastUpdated": "2026-11-24T10:00:00Z", "movies": [
        item(1, content=content(1, videos=[
            {"url": "https://v/sd.mp4", "quality": "SD", "videoType": "MP4", "bitrate": 800},
            {"url": "https://v/fhd.mp4", "quality": "FHD", "videoType": "MP4", "bitrate": 6000},
            {"url": "https://v/fhd-low.mp4", "quality": "FHD", "videoType": "MP4", "bitrate": 4000},
            {"url": "https://v/uhd.mp4", "quality": "UHD", "videoType": "MP4", "bitrate": 16000}])),
        item(2, content=content(2, videos=[
            {"url": "https://v/a.mp4", "quality": "HD", "videoType": "MP4", "bitrate": 3000},
            {"url": "https://v/a.mpd", "quality": "UHD", "videoType": "DASH"},
            {"url": "https://v/a.m3u8", "quality": "UHD", "videoType": "HLS"}])),
        item(3, content=content(3, videos=[{"quality": "HD"}, "junk", {"url": "https://v/uhd-only.mp4", "quality": "UHD",
                                                                       "videoType": "MP4", "bitrate": 9000}]))]}
    no_rows = full_feed()
    del no_rows["categories"], no_rows["playlists"]  # one row per content type
    files = {
        "full.json": json.dumps(full_feed()),
        "flaky.json": json.dumps(full_feed()),
        "no-categories.json": json.dumps(no_rows),
        "no-genres.json": json.dumps(no_genres),
        "empty-videos.json": json.dumps(empty),
        "many-videos.json": json.dumps(many),
        "html.json": "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>",
        "truncated.json": json.dumps(full_feed())[:400],
        "array.json": "[1, 2, 3]",
        "junk-items.json": json.dumps({"providerName": "x", "movies": [1, "two", None, {"id": "m"}, {"title": "t"}],
                                       "shortFormVideos": {"not": "a list"}, "categories": "nope"}),
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    expect = {"html.json": None, "truncated.json": None, "array.json": None, "missing.json": None,
              "junk-items.json": ([], 5)}
    for name, feed in (("full.json", full_feed()), ("flaky.json", full_feed()), ("no-categories.json", no_rows),
                       ("no-genres.json", no_genres), ("empty-videos.json", empty), ("many-videos.json", many)):
        kept = json.loads(json.dumps(feed))
        for key in ("movies", "shortFormVideos", "tvSpecials", "liveFeeds"):
            kept[key] = [i for i in kept.get(key, []) if (i.get("content") or {}).get("videos")]
        for s in kept.get("series", []):
            for season in s.get("seasons", [{"episodes": None}]):
                if season["episodes"] is not None:
                    season["episodes"] = [e for e in season["episodes"] if e["content"]["videos"]]
            if "episodes" in s:
                s["episodes"] = [e for e in s["episodes"] if e["content"]["videos"]]
        kept["series"] = [s for s in kept.get("series", []) if episodes(s)]
        skipped = sum(len(feed.get(k, [])) for k in ("movies", "shortFormVideos", "tvSpecials", "liveFeeds", "series"))
        skipped += sum(len(episodes(s)) for s in feed.get("series", []))
        skipped -= sum(len(kept.get(k, [])) for k in ("movies", "shortFormVideos", "tvSpecials", "liveFeeds", "series"))
        skipped -= sum(len(episodes(s)) for s in kept.get("series", []))
        expect[name] = ([f"{t}={len(ids)}" for t, ids in expected_rows(kept)], skipped)
    return expect


@pytest.mark.parametrize("name", ["channel", "showcase"])
@pytest.mark.slow
def test_data_layer_in_brs_cli_against_the_served_feed(cli, name, tmp_path):
    from packager.build import build
    from packager.serve import start

    channel = _copy(name, tmp_path)
    result = build(channel)
    server, feed_url, body = start(result.out, result.body, result.channel.base_url, "127.0.0.1", 0)
    broken_dir = tmp_path / "broken"
    expect_broken = broken_feeds(broken_dir)
    broken_server, hits = _serve_folder(broken_dir)
    try:
        feed = json.loads(body)
        top = [i for key, _ in KINDS for i in feed.get(key, [])]
        series = feed.get("series", [])
        playable = [i for i in top if "content" in i] + [e for s in series for e in episodes(s)]
        first_play = next(i for i in top if "content" in i)
        links = [(first_play["id"], "shortFormVideo"), ("no-such-id", "movie"), ("", "")]
        if series:
            first_episode = episodes(series[0])[0]
            links += [(series[0]["id"], "series"), (first_episode["id"], "episode"), (first_episode["id"], "series"),
                      (f"{series[0]['id']}-s1", "season")]
        if feed.get("liveFeeds"):
            links.append((feed["liveFeeds"][0]["id"], "live"))
        plan = {"feed": feed_url,
                "search": feed_url.rsplit("/", 1)[0] + "/search-feed.json" if result.channel.app.search_feed_url else "",
                "broken_base": f"http://127.0.0.1:{broken_server.server_address[1]}/",
                "broken": sorted(expect_broken), "links": links}
        facts = run_data_layer(_app_zip(cli, channel, tmp_path / "app.zip"), plan, tmp_path)
    finally:
        server.shutdown()
        broken_server.shutdown()

    by_kind: dict[str, list[list[str]]] = {}
    for fact in facts:
        by_kind.setdefault(fact[0], []).append(fact[1:])
    assert "FEED_FAILED" not in by_kind and "PROBLEM" not in by_kind, facts
    rows = expected_rows(feed)
    assert by_kind["ROWS"] == [[str(len(rows))]]
    assert [(title, ids.split(",")) for title, ids in by_kind["ROW"]] == rows
    assert {i for _, ids in rows for i in ids} == {i["id"] for i in top}  # every item reachable from home

    # Every playable item and episode gets its video (one per item in these feeds).
    videos = {v[0]: v for v in by_kind["VIDEO"]}
    assert sorted(videos) == sorted(i["id"] for i in playable)
    formats = {"HLS": "hls", "DASH": "dash", "MP4": "mp4", "MOV": "mov", "M4V": "m4v", "SMOOTH": "ism"}
    for i in playable:
        v = i["content"]["videos"][0]
        assert videos[i["id"]][1:3] == [formats[v["videoType"]], v["url"]]
    for s in series:
        eps = episodes(s)
        for a, b in zip(eps, eps[1:] + [None], strict=True):
            assert videos[a["id"]][3] == (b["id"] if b else "")  # next episode

    # Every poster fetched from the server and decoded: 16:9.
    posters = {p[0]: (int(p[1]), int(p[2])) for p in by_kind["POSTER"]}
    assert "POSTER_FAILED" not in by_kind
    assert sorted(posters) == sorted(i["id"] for i in top if i.get("thumbnail"))
    assert all(w * 9 == h * 16 and w >= 800 for w, h in posters.values()), posters

    # Deep links.
    got = {(link[0], link[1]): link[2:] for link in by_kind["LINK"]}
    assert got[(first_play["id"], "shortFormVideo")] == ["play", first_play["id"], "0"]
    assert got[("no-such-id", "movie")][0] == "home" and got[("", "")][0] == "home"
    if series:
        sid = series[0]["id"]
        assert got[(sid, "series")] == ["series", sid, "0"]
        assert got[(first_episode["id"], "episode")] == ["play", first_episode["id"], "0"]
        assert got[(first_episode["id"], "series")][:2] == ["series", sid]
        season_link = got[(f"{sid}-s1", "season")]
        # Season ids come from the search feed: resolved only when [app] search_feed is on.
        assert season_link == (["series", sid, "1"] if plan["search"] else ["home", "", "0"])
    if feed.get("liveFeeds"):
        live = feed["liveFeeds"][0]["id"]
        assert got[(live, "live")] == ["play", live, "0"]

    # Broken feeds: the retry path or skipped items, never a crash.
    outcomes = {b[0]: b[1:] for b in by_kind["BROKEN"]}
    assert sorted(outcomes) == sorted(expect_broken)
    for fname, want in expect_broken.items():
        if want is None:
            assert outcomes[fname][0] == "RETRY", (fname, outcomes[fname])
        else:
            counts, skipped = want
            assert outcomes[fname][0] == "ROWS", (fname, outcomes[fname])
            assert (outcomes[fname][1].split(",") if outcomes[fname][1] else []) == counts, (fname, outcomes[fname])
            assert int(outcomes[fname][2]) == skipped, (fname, outcomes[fname])
    assert outcomes["missing.json"] == ["RETRY", "404"]
    assert hits["/missing.json"] == 1 and hits["/html.json"] == 1  # a 404 is final; an HTML page is not retried
    assert hits["/flaky.json"] == 3  # two 503s, then the feed: the two retries
    assert outcomes["no-categories.json"][1] == "Live=1,Movies=1,Series=2,Videos=2,Specials=1"
    chosen = {(v[0], v[1]): v[2] for v in by_kind.get("BROKEN_VIDEO", [])}
    assert chosen[("many-videos.json", "item1")] == "https://v/fhd.mp4"  # best file the FHD display shows
    assert chosen[("many-videos.json", "item2")] == "https://v/a.m3u8"  # adaptive first, HLS before DASH
    assert chosen[("many-videos.json", "item3")] == "https://v/uhd-only.mp4"  # too big, but all there is


# ---------------------------------------------------------------- the whole app in a SceneGraph runtime
#
# brs-engine 2.1.0 + brs-scenegraph 0.1.0 in Chromium (tests/sgrunner.py): the generated zip
# runs as on a device, against the showcase built and served on 127.0.0.1 (its clips play).

SAFE_FHD = {"title": (192, 108, 1728, 972), "action": (96, 54, 1824, 1026)}
AD_URL = "https://ads.example.org/vast?app=ROKU_ADS_APP_ID&cid=ROKU_ADS_CONTENT_ID&len=ROKU_ADS_CONTENT_LENGTH&ts=[timestamp]"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The showcase built for a runner server (its URLs point there), and the server."""
    from packager.build import build
    from packager.config import load_channel

    why = sgrunner.available()
    if why:
        pytest.fail(why)
    server = sgrunner.RunnerServer()
    channel = _copy("showcase", tmp_path_factory.mktemp("sg"))
    toml = channel / "channel.toml"
    toml.write_text(toml.read_text().replace('base_url = "https://cdn.example.com/showcase/"',
                                             f'base_url = "{server.base}/channel/"'))
    result = build(channel)
    server.channel = result.out
    loaded = load_channel(channel)
    yield server, loaded, json.loads((result.out / "feed.json").read_text())
    server.close()


def sg_zip(loaded, probe: bool = True, **app) -> bytes:
    """The showcase's app zip with [app] settings replaced (ads, feed_url, ...)."""
    from packager.rokuapp import channel_zip

    data = channel_zip(dataclasses.replace(loaded, app=dataclasses.replace(loaded.app, **app)))
    return sgrunner.with_probe(data) if probe else data


def sg_app(server, data: bytes):
    return sgrunner.SceneGraphApp(server, data)


def shot(app, name: str) -> Path:
    return app.screenshot(ROOT / "test-artifacts" / "channel-app" / f"{name}.png")


def outside(nodes, zone) -> list:
    x0, y0, x1, y1 = zone
    return [n for n in nodes if n.width > 0 and n.height > 0 and
            (n.x < x0 - 0.5 or n.y < y0 - 0.5 or n.x + n.width > x1 + 0.5 or n.y + n.height > y1 + 0.5)]


@pytest.mark.slow
def test_sg_launch_reaches_the_grid_and_every_item_is_on_it(served):
    server, loaded, feed = served
    with sg_app(server, sg_zip(loaded)) as app:
        app.start()
        line = app.wait_for("[channel] launch complete", 180)
        seconds = time.monotonic() - app.started
        print(f"\nlaunch to grid in the simulator: {seconds:.1f} s")
        assert line == "[channel] launch complete: home"
        app.wait_for("[channel] feed: ")
        nodes = app.tree()
        shot(app, "home")
    rows = expected_rows(feed)
    assert rows[0] == ("Live", [i["id"] for i in feed["liveFeeds"]])  # live pinned first
    rowlist = next(n for n in nodes if n.kind == "RowList")
    assert rowlist.focused and rowlist.extra == "rowItemFocused=0,0"
    hero = next(n for n in nodes if n.id == "heroTitle")
    assert hero.text == feed["liveFeeds"][0]["title"]


# ---------------------------------------------------------------- certification: static checks

def _component_scripts() -> dict[str, tuple[str, list[str]]]:
    """component name -> (what it extends, the BrightScript files it includes)."""
    import defusedxml.ElementTree as ET

    out = {}
    app = ROOT / "packager" / "rokuapp" / "app"
    for xml in sorted((app / "components").glob("*.xml")):
        root = ET.parse(xml).getroot()
        scripts = []
        for s in root.iter("script"):
            uri = s.get("uri")
            scripts.append(uri.removeprefix("pkg:/") if uri.startswith("pkg:/") else f"components/{uri}")
        out[root.get("name")] = (root.get("extends"), scripts)
    return out


def test_no_url_transfer_outside_task_threads():
    """roUrlTransfer/roUrlEvent only in scripts that Task components alone include: never on
    the render thread (Roku's rule; a device refuses them there)."""
    app = ROOT / "packager" / "rokuapp" / "app"
    components = _component_scripts()
    on_render_thread = {s for extends, scripts in components.values() if extends != "Task" for s in scripts}
    in_tasks = {s for extends, scripts in components.values() if extends == "Task" for s in scripts}
    fetching = set()
    for path in sorted(app.rglob("*.brs")):
        code = "\n".join(line.split("'", 1)[0] for line in path.read_text().splitlines())  # comments aside
        if re.search(r"roUrl(Transfer|Event)", code, re.I):
            fetching.add(path.relative_to(app).as_posix())
    assert fetching & on_render_thread == set(), f"roUrlTransfer on the render thread in {fetching & on_render_thread}"
    assert fetching <= in_tasks | {"source/main.brs"}, fetching - in_tasks
    assert {"source/feedfetch.brs", "components/AnalyticsTask.brs"} <= fetching  # the check sees them
    # It can fail: the old HomeScene's beacon() made an roUrlTransfer on the render thread.
    assert components["AnalyticsTask"][0] == "Task" and "components/MainScene.brs" in on_render_thread


def test_ads_need_raf_in_the_manifest_and_a_task(cli, example_channel, tmp_path):
    with (example_channel / "channel.toml").open("a") as f:
        f.write(f'\n[app.ads]\nurl = "{AD_URL}"\nmidroll_minutes = 8\n')
    z = zipfile.ZipFile(io.BytesIO(_app_zip(cli, example_channel, tmp_path / "app.zip")))
    manifest = z.read("manifest").decode().splitlines()
    assert "bs_libs_required=roku_ads_lib" in manifest
    assert z.read("components/AdsTask.brs").decode().startswith('Library "Roku_Ads.brs"')
    assert _component_scripts()["AdsTask"][0] == "Task"
    config = z.read("source/appconfig.brs").decode()
    assert f'ads: {{url: "{AD_URL}", preroll: true, midrollSeconds: 480, minSecondsBetween: 300, livePreroll: false}}' in config
    # Without [app.ads] the manifest doesn't ask for RAF.
    plain = zipfile.ZipFile(io.BytesIO(_app_zip(cli, _copy("channel", tmp_path / "plain"), tmp_path / "plain.zip")))
    assert "bs_libs_required" not in plain.read("manifest").decode()


def check_safe_zones(nodes, where: str, zones=SAFE_FHD):
    """Text inside title safe; every other node inside action safe (full-screen backgrounds,
    the grid's edge cover and the video picture aside)."""
    texts = [n for n in nodes if n.kind in ("Label", "ScrollingLabel") and n.text.strip()]
    others = [n for n in nodes if n.kind not in ("Label", "ScrollingLabel", "Group", "MainScene", "Video")
              and not n.kind.endswith("Screen") and n.id not in ("background", "edge", "shade")]
    assert texts and others
    assert outside(texts, zones["title"]) == [], (where, "outside title safe")
    assert outside(others, zones["action"]) == [], (where, "outside action safe")


def focus_tile(app, row: int, col: int):
    """Move the home grid's focus to (row, col) with the arrow keys, from wherever it is."""
    for _ in range(2):
        rows = next(n for n in app.tree() if n.kind == "RowList")
        r, c = (int(v) for v in rows.extra.removeprefix("rowItemFocused=").split(","))
        if (r, c) == (row, col):
            return
        app.press(*(["down"] * (row - r) if row > r else ["up"] * (r - row)))
        if r == row:
            app.press(*(["right"] * (col - c) if col > c else ["left"] * (c - col)))
    rows = next(n for n in app.tree() if n.kind == "RowList")
    assert rows.extra == f"rowItemFocused={row},{col}", rows.extra


@pytest.mark.slow
def test_sg_screens_keys_and_safe_zones(served):
    """Home, details, series, search: walked with the remote; each screen's node tree inside
    the safe zones; series lists stop at their ends; Back walks back; Back on home exits."""
    server, loaded, feed = served
    rows = expected_rows(feed)
    series_id = feed["series"][0]["id"]
    row = next(r for r, (_, ids) in enumerate(rows) if series_id in ids)
    col = rows[row][1].index(series_id)
    first_in_row = next(i for key, _ in KINDS for i in feed.get(key, []) if i["id"] == rows[row][1][0])
    with sg_app(server, sg_zip(loaded)) as app:
        app.start()
        app.wait_for("[channel] launch complete", 180)
        app.wait_for("[channel] feed: ")
        check_safe_zones(app.tree(), "home")
        shot(app, "home")

        app.press(*["down"] * row, "select")
        app.wait_for("[channel] screen: home>details")
        nodes = app.tree()
        check_safe_zones(nodes, "details")
        title = next(n for n in nodes if n.id == "title")
        assert title.text == first_in_row["title"]
        meta = next(n for n in nodes if n.id == "meta").text
        assert "·" in meta and not re.search(r"\d{4}-\d\d-\d\d|USA_PR|TVG|MPAA", meta), meta  # readable date and rating
        shot(app, "details")
        mark = app.mark()
        app.press("back")
        app.wait_for("[channel] screen: home", after=mark)

        app.press(*["right"] * col, "select")
        app.wait_for("[channel] screen: home>series")
        app.press("down", "down", "down", "down", "down", "down")
        nodes = app.tree()
        check_safe_zones(nodes, "series")
        episodes = next(n for n in nodes if n.id == "episodes")
        count = len(episodes_of := [e for s in (feed["series"][0].get("seasons") or [feed["series"][0]])
                                    for e in s["episodes"] if s is (feed["series"][0].get("seasons") or [feed["series"][0]])[0]])
        assert episodes.focused and episodes.extra == f"itemFocused={count - 1}", (episodes, episodes_of)  # no wrap-around
        shot(app, "series")
        mark = app.mark()
        app.press("back")
        app.wait_for("[channel] screen: home", after=mark)

        app.press(*["up"] * (row + 1), "select")
        app.wait_for("[channel] screen: home>search")
        for n in range(1, 7):  # one key at a time: each narrows the results
            app.press(f"lit_{'budget'[n - 1]}")
            line = app.wait_for(f'[channel] search: "{"budget"[:n]}" -> ')
        expected = [i["id"] for key, _ in KINDS for i in feed.get(key, [])
                    if "budget" in (i["title"] + " " + i.get("shortDescription", "") + " " + i.get("longDescription", "")
                                    + " " + " ".join(i.get("tags", []))).lower()]
        assert line.endswith(f"-> {len(expected)}") and expected, (line, expected)
        nodes = app.tree()
        check_safe_zones(nodes, "search")
        assert next(n for n in nodes if n.id == "summary").text == f'{len(expected)} found for "budget"'
        shot(app, "search")

        mark = app.mark()
        app.press("back")
        app.wait_for("[channel] screen: home", after=mark)
        app.press("back")  # Back on home leaves the channel
        deadline = time.monotonic() + 30
        while not any(e.startswith("closed") for e in app.events) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert any(e.startswith("closed") for e in app.events), app.events


@pytest.mark.slow
def test_sg_waiting_errors_and_retry_by_itself(served):
    """A slow feed: a centred spinner. No network: says so. Server trouble: says it's not the
    viewer's connection. Then the channel retries by itself, later each time, and recovers."""
    server, loaded, feed = served
    body = (server.channel / "feed.json").read_bytes()
    calls = {"n": 0}

    def flaky(handler):
        calls["n"] += 1
        n = calls["n"]
        if n <= 3:  # one load (three tries): slow, then the connection drops
            time.sleep(3 if n == 1 else 0.2)
            handler.close_connection = True
            handler.connection.shutdown(2)
        elif n <= 6:
            handler.answer(503, b"<html>Service Unavailable</html>", "text/html")
        else:
            handler.answer(200, body, "application/json")
        return True

    server.routes["/flaky/feed.json"] = flaky
    with sg_app(server, sg_zip(loaded, feed_url=f"{server.base}/flaky/feed.json")) as app:
        app.start()
        app.wait_for("[channel] waiting: feed", 120)
        nodes = app.tree()
        spinner = next(n for n in nodes if n.kind == "BusySpinner")
        assert abs(spinner.x + spinner.width / 2 - 960) < 2 and abs(spinner.y + spinner.height / 2 - 540) < 2, spinner
        shot(app, "waiting")
        app.wait_for("[channel] feed failed (network): retry in 5 s", 120)
        message = next(n for n in app.tree() if n.id == "message")
        assert message.text.startswith("Can't connect to the internet"), message
        shot(app, "error-network")
        app.wait_for("[channel] feed failed (server): retry in 10 s", 120)
        nodes = app.tree()
        message = next(n for n in nodes if n.id == "message")
        assert "isn't available right now" in message.text and "This isn't your connection" in message.text
        assert not re.search(r"HTTP|503|JSON|<", message.text), message
        check_safe_zones(nodes, "message")
        shot(app, "error-server")
        app.wait_for("[channel] feed: ", 120)
        app.wait_for("[channel] screen: home", 30, after=app.log.index("[channel] feed failed (server): retry in 10 s"))
    assert calls["n"] == 7


def _playable_feed(feed: dict, clip: str) -> dict:
    """The showcase feed with every video pointing at its one local clip (the others are on
    a CDN the tests can't reach), and ad breaks on the clip's own item."""
    out = json.loads(json.dumps(feed))
    for key, _ in KINDS:
        for i in out.get(key, []):
            items = [i] + [e for s in i.get("seasons", [i]) for e in s.get("episodes", [])] if key == "series" else [i]
            for x in items:
                if "content" in x:
                    x["content"]["videos"] = [{"url": clip, "quality": "HD", "videoType": "MP4", "bitrate": 1500}]
    return out


def _ads_app(served, **app):
    from packager.config import AdSettings

    server, loaded, feed = served
    clip_item = next(i for i in feed["shortFormVideos"] if "/clips/" in i["content"]["videos"][0]["url"])
    routed = _playable_feed(feed, clip_item["content"]["videos"][0]["url"])
    target = next(i for i in routed["shortFormVideos"] if i["id"] == clip_item["id"])
    target["content"]["adBreaks"] = ["00:00:00", "00:00:04", "00:00:06"]
    server.routes["/playable/feed.json"] = lambda h: h.answer(200, json.dumps(routed).encode(), "application/json") or True
    server.routes["/beacon"] = lambda h: h.answer(204, b"") or True
    ads = AdSettings(url=AD_URL, preroll=True, midroll_minutes=0, min_minutes_between=1, live_preroll=False)
    data = sg_zip(loaded, feed_url=f"{server.base}/playable/feed.json", analytics_url=f"{server.base}/beacon", ads=ads,
                  **app)
    return sg_app(server, data), routed, clip_item


# The whole app in a browser engine: one rerun when a loaded machine starves it (a renderer
# killed for memory, a wait that runs out); a real defect fails both runs.
@pytest.mark.flaky(reruns=1)
@pytest.mark.slow
def test_sg_deep_links_put_the_walk_under_the_player(served):
    """A deep-linked episode plays (after its pre-roll: RAF from AdsTask, brs-engine's Roku_Ads
    mock, given the ad tag with its macros as written) with its details and series beneath;
    Back walks details, series, home. A deep link while running (roInput) to a live stream
    plays it without a pre-roll."""
    runner, routed, _ = _ads_app(served)
    episode = episodes(routed["series"][0])[-1]
    with runner as app:
        app.start(deep_link={"contentId": episode["id"], "mediaType": "episode"})
        app.wait_for("[channel] screen: home>series>details>player", 180)
        pre = app.wait_for("[channel] ads: preroll at 0 s, ad url ", 180)
        assert pre.endswith(AD_URL)  # RAF macros passed through as written
        app.wait_for(f"[channel] play: {episode['id']} from 0 s", 180)
        for below in ("home>series>details", "home>series", "home"):
            mark = app.mark()
            app.press("back")
            app.wait_for(f"[channel] screen: {below}", 60, after=mark)
        mark = app.mark()
        live = routed["liveFeeds"][0]
        app.input({"contentId": live["id"], "mediaType": "live"})
        app.wait_for("[channel] screen: home>details>player", 60, after=mark)
        app.wait_for(f"[channel] play: {live['id']} from 0 s", 180, after=mark)
        assert not any(line.startswith("[channel] ads: ") for line in app.log[mark:])  # no pre-roll on live


# The whole app in a browser engine: one rerun when a loaded machine starves it (a renderer
# killed for memory, a wait that runs out); a real defect fails both runs.
@pytest.mark.flaky(reruns=1)
@pytest.mark.slow
def test_sg_play_key_overlay_midroll_and_analytics(served):
    """Play/Pause on a tile plays after the pre-roll; paused, the overlay shows title and
    progress; at the feed's adBreaks time the video stops for a mid-roll; the play beacon
    goes out from the analytics Task."""
    server = served[0]
    runner, routed, clip_item = _ads_app(served)
    rows = expected_rows(routed)
    row = next(r for r, (_, ids) in enumerate(rows) if clip_item["id"] in ids)
    with runner as app:
        app.start()
        app.wait_for("[channel] launch complete", 180)
        app.wait_for("[channel] feed: ")
        focus_tile(app, row, rows[row][1].index(clip_item["id"]))
        mark = app.mark()
        app.press("play")  # Play/Pause on a tile
        app.wait_for("[channel] screen: home>player", 60, after=mark)
        assert app.wait_for("[channel] ads: preroll at 0 s, ad url ", 180, after=mark).endswith(AD_URL)
        app.wait_for(f"[channel] play: {clip_item['id']} from 0 s", 180, after=mark)
        app.wait_for("[channel] video: playing", 180, after=mark)
        paused = app.mark()
        app.press("play")  # Play/Pause in the player: paused, the overlay stays up
        app.wait_for("[channel] video: paused", 60, after=paused)
        overlay = {n.id: n for n in app.tree() if "/Group#overlay/" in n.path}
        assert overlay["title"].text == clip_item["title"] and "liveBadge" not in overlay
        assert re.fullmatch(r"0:\d\d / 0:1\d", overlay["time"].text), overlay["time"]
        shot(app, "player")
        app.press("play")
        # At the feed's 4 s break the content stops for a mid-roll. (brs-scenegraph 0.1.0
        # doesn't start a second AdsTask in one playback on a busy machine, so RAF's
        # mid-roll call and the restart are checked in the data layer and on devices.)
        app.wait_for("[channel] video: playing", 60, after=paused)
        app.wait_for("[channel] waiting: ads", 180, after=paused)
        app.wait_for("[channel] video: stopped", 60, after=paused)
        app.wait_for(f"[channel] analytics: play {clip_item['id']} -> 204", 180)
    assert f"/beacon?event=play&id={clip_item['id']}" in server.queries


# The whole app in a browser engine: one rerun when a loaded machine starves it (a renderer
# killed for memory, a wait that runs out); a real defect fails both runs.
@pytest.mark.flaky(reruns=1)
@pytest.mark.slow
def test_sg_refresh_keeps_focus(served):
    """The feed reloads by itself (refresh_minutes, shortened in the test copy) and the
    focused item stays focused after it moved."""
    server, loaded, feed = served
    live = json.loads(json.dumps(feed))
    server.routes["/refresh/feed.json"] = lambda h: h.answer(200, json.dumps(live).encode(), "application/json") or True
    data = sg_zip(loaded, feed_url=f"{server.base}/refresh/feed.json", refresh_minutes=1)
    z = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            body = z.read(info.filename)
            if info.filename == "source/appconfig.brs":
                assert b"refreshSeconds: 60," in body
                body = body.replace(b"refreshSeconds: 60,", b"refreshSeconds: 8,")  # not a minute per test
            w.writestr(info, body)
    rows = expected_rows(feed)
    row, ids = next((r, ids) for r, (_, ids) in enumerate(rows) if len(ids) >= 2)
    focused = ids[1]
    with sg_app(server, out.getvalue()) as app:
        app.start()
        app.wait_for("[channel] launch complete", 180)
        app.wait_for("[channel] feed: ")
        focus_tile(app, row, 1)
        # The next feed has a new story just before the focused one in its row.
        src = next(i for key, _ in KINDS for i in live.get(key, []) if i["id"] == focused)
        new = json.loads(json.dumps(live["shortFormVideos"][0]))
        new.update(id="breaking-news", title="Breaking: the bridge reopens early", tags=src.get("tags", []),
                   releaseDate=src.get("releaseDate", new.get("releaseDate")))
        live["shortFormVideos"].insert(0, new)
        for p in live.get("playlists", []):
            if focused in p["itemIds"]:
                p["itemIds"].insert(p["itemIds"].index(focused), "breaking-news")
        mark = app.mark()
        app.wait_for("[channel] refresh", 60, after=mark)
        app.wait_for("[channel] feed: ", 60, after=mark)
        time.sleep(1)
        new_rows = expected_rows(live)
        new_row = next(r for r, (_, ids) in enumerate(new_rows) if focused in ids)
        rowlist = next(n for n in app.tree() if n.kind == "RowList")
        assert rowlist.extra == f"rowItemFocused={new_row},{new_rows[new_row][1].index(focused)}", (rowlist, new_rows)
        assert (new_row, new_rows[new_row][1].index(focused)) != (row, 1)  # the item really moved


def test_certification_manifest_fields(cli, example_channel, tmp_path):
    """Roku's manifest requirements for a published channel: title and version, focus icons
    and splash screens at their sizes, the resolutions, deep links while running, and the
    splash colour; every pkg:/ reference in the zip."""
    from PIL import Image

    z = zipfile.ZipFile(io.BytesIO(_app_zip(cli, example_channel, tmp_path / "app.zip")))
    manifest = dict(line.split("=", 1) for line in z.read("manifest").decode().splitlines())
    for key in ("title", "major_version", "minor_version", "build_version", "mm_icon_focus_hd", "mm_icon_focus_fhd",
                "splash_screen_hd", "splash_screen_fhd", "ui_resolutions", "splash_color", "supports_input_launch"):
        assert manifest.get(key), key
    sizes = {"mm_icon_focus_hd": (290, 218), "mm_icon_focus_fhd": (540, 405), "splash_screen_hd": (1280, 720),
             "splash_screen_fhd": (1920, 1080)}
    for key, size in sizes.items():
        assert Image.open(io.BytesIO(z.read(manifest[key].removeprefix("pkg:/")))).size == size, key
    names = set(z.namelist())
    for text in (z.read(n).decode() for n in names if n.endswith((".xml", ".brs"))):
        for ref in re.findall(r'"pkg:/([^"]+)"', text):
            assert ref in names, ref
