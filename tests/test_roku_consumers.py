"""The feed read by a real BrightScript interpreter (@rokucommunity/brs, pinned in
tests/roku/package-lock.json), running the project's models of Roku's two real consumers.
The interpreter exits 0 even after a runtime error, so a run counts only with its final
OK line, and its summary is compared with what the feed holds."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT
from feeds import full_feed, item

ROKU = ROOT / "tests" / "roku"
CONTENT = ("movies", "series", "shortFormVideos", "tvSpecials", "liveFeeds")


def run(brs, program: str, body: bytes, tmp_path: Path) -> tuple[dict, list[str]]:
    root = tmp_path / f"pkg-{program}"
    root.mkdir(exist_ok=True)
    (root / "feed.json").write_bytes(body)
    shutil.copy(ROKU / f"{program}.brs", root / "main.brs")
    proc = subprocess.run([str(brs), "--root", str(root), "--no-color", str(root / "main.brs")],
                          capture_output=True, text=True, timeout=120)
    lines = [line.strip() for line in proc.stdout.splitlines() if line.strip()]
    summary = {"ok": bool(lines) and lines[-1] == "OK", "rows": {}, "series": {}, "errors": proc.stderr + proc.stdout}
    for line in lines:
        parts = line.split()
        if parts[0] == "ROW":
            summary["rows"][parts[1]] = int(parts[2])
        elif parts[0] == "SERIES":
            summary["series"][parts[1]] = int(parts[2])
        elif parts[0] == "ROWS":
            summary["row_count"] = int(parts[1])
        elif parts[0] == "FIRST_POSTER":
            summary["first_poster"] = parts[1] if len(parts) > 1 else ""
        elif parts[0] == "FEED_TOO_LARGE":
            summary["too_large"] = True
    return summary, lines


def episodes_of(series: dict) -> list:
    if "seasons" in series:
        return [e for s in series["seasons"] for e in s["episodes"]]
    return series["episodes"]


def expect_template(feed: dict) -> dict:
    rows = {k: len(feed[k]) for k in CONTENT if k in feed}
    first = next((feed[k][0]["thumbnail"] for k in CONTENT if feed.get(k)), "")
    return {"rows": rows, "row_count": len(rows), "first_poster": first,
            "series": {s["id"]: len(episodes_of(s)) for s in feed.get("series", [])}}


def expect_course(feed: dict) -> dict:
    # Every root array is a row (categories and playlists too); keys come sorted.
    rows = {}
    for key in sorted(k for k, v in feed.items() if isinstance(v, list)):
        rows[key] = sum(1 + (len(episodes_of(x)) if key == "series" else 0) for x in feed[key])
    first = next((feed[k][0]["thumbnail"] for k in sorted(rows) if feed[k] and "thumbnail" in feed[k][0]), "")
    return {"rows": rows, "row_count": len(rows), "first_poster": first}


def check(summary, expected):
    assert summary["ok"], summary["errors"][-2000:]
    for key, value in expected.items():
        assert summary.get(key) == value, (key, summary.get(key), value)


@pytest.fixture
def example_feed(built_example):
    return (built_example / "dist" / "feed.json").read_bytes()


def test_example_feed_loads_in_both_consumers(brs, example_feed, tmp_path):
    feed = json.loads(example_feed)
    summary, _ = run(brs, "template_reader", example_feed, tmp_path)
    check(summary, expect_template(feed))
    assert summary["rows"] == {"shortFormVideos": 8, "tvSpecials": 1}
    summary, _ = run(brs, "course_loader", example_feed, tmp_path)
    check(summary, expect_course(feed))
    assert "categories" in summary["rows"]  # the course loader shows categories as a (junk) row


@pytest.mark.slow
def test_every_content_type_loads(brs, tmp_path):
    feed = full_feed()
    body = json.dumps(feed).encode()
    summary, _ = run(brs, "template_reader", body, tmp_path)
    check(summary, expect_template(feed))
    assert summary["series"] == {"series1": 3, "series2": 2}
    summary, _ = run(brs, "course_loader", body, tmp_path)
    check(summary, expect_course(feed))


@pytest.mark.slow
def test_built_channel_with_every_type_loads(brs, tmp_path, make_channel, cli):
    from test_mapping import art
    root = make_channel({
        "m.md": art(1, title="Movie", video="url: https://cdn.test/v/m.m3u8\n  duration: 5400", extra="type: movie\n"),
        "l.md": art(2, title="Live", video="url: https://cdn.test/v/l.m3u8", extra="type: liveFeed\n"),
        "e1.md": art(3, title="Ep 1", extra="series: {id: show, season: 1, episode: 1}\n"),
        "e2.md": art(4, title="Ep 2", extra="series: {id: show, season: 1, episode: 2}\n"),
        "s.md": art(5, title="Special", video="url: https://cdn.test/v/s.m3u8\n  duration: 2000"),
        "c.md": art(6, title="Clip"),
    }, '[rows]\nemit = "none"\n')
    assert cli("build", root).code == 0
    body = (root / "dist" / "feed.json").read_bytes()
    feed = json.loads(body)
    for program, expect in (("template_reader", expect_template), ("course_loader", expect_course)):
        summary, _ = run(brs, program, body, tmp_path)
        check(summary, expect(feed))
    assert summary["rows"] == {"liveFeeds": 1, "movies": 1, "series": 3, "shortFormVideos": 1, "tvSpecials": 1}


@pytest.mark.parametrize("breakage", ["no genres", "empty videos", "no content"])
def test_broken_feeds_break_the_template_reader(brs, tmp_path, breakage):
    feed = full_feed()
    target = feed["shortFormVideos"][1]
    if breakage == "no genres":
        del target["genres"]
    elif breakage == "empty videos":
        target["content"]["videos"] = []
    else:
        del target["content"]
    summary, lines = run(brs, "template_reader", json.dumps(feed).encode(), tmp_path)
    assert not summary["ok"], lines  # the harness sees the crash a real channel would have


def test_a_600_kb_feed_gets_the_too_large_tile(brs, tmp_path):
    feed = full_feed()
    feed["shortFormVideos"] += [item(1000 + i, longDescription="z" * 480) for i in range(1200)]
    body = json.dumps(feed).encode()
    assert len(body) > 600_000
    summary, _ = run(brs, "template_reader", body, tmp_path)
    assert summary["ok"] and summary.get("too_large") and summary["row_count"] == 0


def test_template_reader_mrss_path(brs, example_channel, cli, tmp_path):
    toml = example_channel / "channel.toml"
    toml.write_text(toml.read_text() + "\n[outputs]\nmrss = true\n")
    assert cli("build", example_channel).code == 0
    feed = json.loads((example_channel / "dist" / "feed.json").read_bytes())
    # The template sniffs the body: an MRSS feed served from FEED_URL takes its XML path.
    summary, lines = run(brs, "template_reader", (example_channel / "dist" / "feed.xml").read_bytes(), tmp_path)
    check(summary, {"rows": {"mrss": len(feed["shortFormVideos"])}, "row_count": 1,
                    "first_poster": feed["shortFormVideos"][0]["thumbnail"]})
    assert "MISSING_PLAIN_TITLE_OR_DESCRIPTION" not in lines
