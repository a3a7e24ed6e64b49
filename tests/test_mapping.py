"""Content mapping: every DP content type from articles, series from episodes, rows,
playlists, sections, expiry, templates, ids, and a feed that always fits."""

import json
import time
from datetime import datetime, timezone

import pytest
from conftest import article_text

from packager.build import build
from packager.validate import validate_bytes

RICH = """\
rating: {rating: TVPG, source: USA_PR}
credits: [{name: Ana Ruiz, role: anchor, birth_date: 1980-02-03}]
captions: [{url: "https://cdn.test/c/1.vtt", language: en, type: closed_caption}]
external_ids: [{id: tt0000001, type: IMDB}]
available: {from: 2026-01-01T00:00:00Z, until: 2099-01-01T00:00:00Z}
ad_breaks: ["00:00:00", "00:10:00"]
trickplay: [{url: "https://cdn.test/t/1.bif", quality: HD}]
"""


def art(n, **kw):
    kw.setdefault("date", f"2026-11-{10 + n:02d}T10:00:00+00:00")
    return article_text(**kw)


@pytest.fixture
def every_type(make_channel):
    articles = {
        "movie1.md": art(1, title="The Long Documentary", video="url: https://cdn.test/v/m.m3u8\n  duration: 5400",
                         extra="type: movie\ngenres: [documentary]\n" + RICH),
        "special1.md": art(2, title="Election night special", video="url: https://cdn.test/v/s.m3u8\n  duration: 3600",
                           extra="section: Politics\nfeatured: true\n"),
        "clip1.md": art(3, title="A short clip", extra="section: News / Local\ntags: [local]\n"),
        "live1.md": art(4, title="Riverside 24/7", video="url: https://cdn.test/live/master.m3u8",
                        extra="type: liveFeed\n"),
        "bulletin1.md": art(5, title="Bulletin, Monday", extra="series: {id: bulletin, season: 1, episode: 1}\n"),
        "bulletin2.md": art(6, title="Bulletin, Tuesday", extra="series: {id: bulletin, season: 1, episode: 2}\n"),
        "bulletin3.md": art(7, title="Bulletin, season two opener", extra="series: {id: bulletin, season: 2, episode: 1}\n"),
        "weekend1.md": art(8, title="Weekend one", extra="series: {id: weekend, title: Weekend Edition, episode: 2}\n"),
        "weekend2.md": art(9, title="Weekend two", extra="series: {id: weekend, episode: 1}\nfeatured: true\nsection: News / Local\n"),
    }
    toml = """
[[series]]
id = "bulletin"
title = "The Evening Bulletin"
description = "Every weeknight at six: the day's news from the valley."
genres = ["news"]

[[playlists]]
name = "Top Stories"
featured = true
limit = 5

[[playlists]]
name = "Picks"
items = ["movie1", "bulletin", "clip1"]

[[categories]]
name = "Top Stories"
playlist = "Top Stories"

[[categories]]
name = "Editors' picks"
playlist = "Picks"

[[categories]]
name = "Local"
query = "local"

[rows]
from_sections = true
"""
    return make_channel(articles, toml)


def test_every_content_type_validates(every_type, cli):
    r = cli("build", every_type)
    assert r.code == 0 and "skipped" not in r.err, r
    body = (every_type / "dist" / "feed.json").read_bytes()
    for profile in ("spec", "roku-template"):
        report = validate_bytes(body, profile=profile)
        assert report.valid and not report.warnings, (profile, report.findings)
    feed = json.loads(body)
    assert [i["id"] for i in feed["movies"]] == ["movie1"]
    assert [i["id"] for i in feed["tvSpecials"]] == ["special1"]
    assert [i["id"] for i in feed["shortFormVideos"]] == ["clip1"]
    assert [i["id"] for i in feed["liveFeeds"]] == ["live1"]
    assert feed["liveFeeds"][0]["content"]["duration"] == 86400
    movie = feed["movies"][0]
    assert movie["rating"] == {"rating": "TVPG", "ratingSource": "USA_PR"}
    assert movie["credits"] == [{"name": "Ana Ruiz", "role": "anchor", "birthDate": "1980-02-03"}]
    assert movie["externalIds"] == [{"id": "tt0000001", "idType": "IMDB"}]
    c = movie["content"]
    assert c["captions"] == [{"url": "https://cdn.test/c/1.vtt", "language": "en", "captionType": "CLOSED_CAPTION"}]
    assert c["trickPlayFiles"] == [{"url": "https://cdn.test/t/1.bif", "quality": "HD"}]
    assert c["adBreaks"] == ["00:00:00", "00:10:00"]
    assert c["validityPeriodStart"] == "2026-01-01T00:00:00+00:00" and c["validityPeriodEnd"] == "2099-01-01T00:00:00+00:00"

    series = {s["id"]: s for s in feed["series"]}
    bulletin = series["bulletin"]
    assert bulletin["title"] == "The Evening Bulletin"
    assert bulletin["shortDescription"] == "Every weeknight at six: the day's news from the valley."
    assert [(s["seasonNumber"], [e["episodeNumber"] for e in s["episodes"]]) for s in bulletin["seasons"]] == [(1, [1, 2]), (2, [1])]
    assert bulletin["seasons"][0]["episodes"][0]["id"] == "bulletin1"
    assert "episodes" not in bulletin and bulletin["releaseDate"] == "2026-11-15"
    weekend = series["weekend"]
    assert weekend["title"] == "Weekend Edition" and "seasons" not in weekend
    assert [e["episodeNumber"] for e in weekend["episodes"]] == [1, 2]  # ordered by number, not date
    assert weekend["thumbnail"] == weekend["episodes"][0]["thumbnail"]  # the newest episode's

    playlists = {p["name"]: p["itemIds"] for p in feed["playlists"]}
    assert playlists["Top Stories"] == ["weekend", "special1"]  # featured, newest first; episodes as their series
    assert playlists["Picks"] == ["movie1", "bulletin", "clip1"]
    names = [c["name"] for c in feed["categories"]]
    assert names == ["Top Stories", "Editors' picks", "Local", "News / Local", "Politics"]
    section_rows = {c["name"]: c for c in feed["categories"]}
    assert section_rows["News / Local"] == {"name": "News / Local", "query": "news-local", "order": "most_recent"}
    assert "news-local" in feed["shortFormVideos"][0]["tags"]


def test_strict_profile_build(every_type, cli):
    r = cli("build", every_type, "--profile", "strict")
    assert r.code == 0, r
    assert validate_bytes((every_type / "dist" / "feed.json").read_bytes(), profile="strict").valid


def test_rows_emit_none(every_type, cli):
    toml = every_type / "channel.toml"
    toml.write_text(toml.read_text().replace("[rows]\nfrom_sections = true", "[rows]\nfrom_sections = true\nemit = \"none\""))
    assert cli("build", every_type).code == 0
    feed = json.loads((every_type / "dist" / "feed.json").read_bytes())
    assert "categories" not in feed and "playlists" not in feed


@pytest.mark.parametrize("files,expected", [
    ({"e1.md": "series: {id: s, episode: 1}\n", "e2.md": "series: {id: s, episode: 1}\n"},
     "skipped: articles/e2.md: series.episode: episode 1 of 's' is also articles/e1.md; renumber one of them"),
    ({"e1.md": "series: {id: s}\n"}, "skipped: articles/e1.md: series.episode: is required for episodes of 's'"),
    ({"e1.md": "series: {id: s, season: 1, episode: 1}\n", "e2.md": "series: {id: s, episode: 2}\n"},
     "skipped: articles/e2.md: series.season: other episodes of 's' have a season"),
    ({"e1.md": "type: episode\n"}, "skipped: articles/e1.md: series: an episode needs series"),
    ({"e1.md": "type: podcast\n"}, "skipped: articles/e1.md: type: 'podcast' is not one of"),
    ({"e1.md": "rating: TVPG\n"}, "skipped: articles/e1.md: rating: must be {rating: TVPG, source: USA_PR}, not text"),
    ({"e1.md": "rating: {rating: PG-13, source: MPAA}\n"}, "skipped: articles/e1.md: rating.rating: 'PG-13' is not one of"),
    ({"e1.md": "credits: [{name: X, role: reporter}]\n"}, "skipped: articles/e1.md: credits[0].role: 'reporter' is not one of"),
    ({"e1.md": "ad_breaks: [5 minutes]\n"}, "skipped: articles/e1.md: ad_breaks[0]: '5 minutes' must be a time hh:mm:ss"),
    ({"e1.md": "available: {from: 2026-02-01, until: 2026-01-01}\n"}, "skipped: articles/e1.md: available.until: must be after available.from"),
])
def test_mapping_errors_name_the_file(make_channel, cli, files, expected):
    root = make_channel({"ok.md": art(1)} | {name: art(2, extra=extra) for name, extra in files.items()})
    r = cli("build", root)
    assert r.code == 0 and expected in r.err, r


def test_expired_articles_are_left_out_and_reported(make_channel, cli):
    root = make_channel({"old.md": art(1, extra="available: {until: 2020-01-01T00:00:00Z}\n"), "new.md": art(2)})
    r = cli("build", root)
    assert "note: articles/old.md: available.until has passed; left out of the feed" in r.err
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    assert [i["id"] for i in feed["shortFormVideos"]] == ["new"]
    assert len(list((root / "dist" / "artwork").iterdir())) == 1


def test_templates_override_and_sandbox(make_channel, cli):
    toml = '[templates]\ntitle = "{{ title }} | {{ provider_name }}"\nshort_description = "{{ fields.kicker }}: {{ summary or body }}"\n'
    root = make_channel({"a.md": art(1, extra="kicker: BREAKING\n", body="Data {{ 7*7 }} stays {% raw %} literal.")}, toml)
    assert cli("build", root).code == 0
    item = json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"][0]
    assert item["title"] == "A story | Test News"
    assert item["shortDescription"] == "BREAKING: Data {{ 7*7 }} stays {% raw %} literal."
    (root / "channel.toml").write_text((root / "channel.toml").read_text().replace(
        "{{ fields.kicker }}", "{{ fields.__class__.__mro__ }}"))
    r = cli("build", root)
    assert "skipped: articles/a.md: templates: [templates] short_description:" in r.err, r


def test_ids_are_normalised_and_stable(make_channel, cli):
    long_id = "a-very-long-article-identifier-that-goes-on-and-on-and-on-forever"
    root = make_channel({"x.md": art(1, extra=f"id: {long_id}\n"), "Über Straße.md": art(2, title="Umlaut")})
    assert cli("build", root).code == 0
    ids = sorted(i["id"] for i in json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"])
    assert all(len(i) <= 50 for i in ids)
    assert any(i.startswith("a-very-long-article-identifier") for i in ids)
    assert any(i.startswith("ber-Stra-e-") for i in ids)
    # A new title and date keep the ids.
    p = root / "articles" / "x.md"
    p.write_text(p.read_text().replace("A story", "A new headline").replace("2026-11-11", "2026-11-20"))
    assert cli("build", root).code == 0
    assert sorted(i["id"] for i in json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"]) == ids


def test_rtl_cjk_emoji_and_combining_text_pass_through(make_channel, cli):
    texts = {"fa.md": ("اخبار امروز", "این یک گزارش خبری است درباره شهر."),
             "zh.md": ("今日新闻", "这是一篇关于城市的新闻报道。"),
             "emoji.md": ("Big win 🏆", "Cafe\u0301 owners cheer 🎉 " + "x" * 300)}
    root = make_channel({name: art(i, title=t, body=b) for i, (name, (t, b)) in enumerate(texts.items())})
    assert cli("build", root).code == 0
    items = {i["id"]: i for i in json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"]}
    assert items["fa"]["title"] == "اخبار امروز" and items["fa"]["shortDescription"] == "این یک گزارش خبری است درباره شهر."
    assert items["zh"]["shortDescription"] == "这是一篇关于城市的新闻报道。"
    short = items["emoji"]["shortDescription"]
    assert short.startswith("Cafe\u0301 owners cheer 🎉") and short.endswith("…") and len(short) <= 200


@pytest.mark.slow
def test_budget_fitting_on_5000_articles(make_channel, cli, tmp_path):
    articles = {}
    for i in range(5000):
        day = datetime.fromtimestamp(1_700_000_000 + i * 3600, timezone.utc).isoformat()
        extra = "featured: true\n" if i in (3, 7) else ""
        articles[f"a{i:04d}.md"] = article_text(title=f"Story {i}", date=day, extra=extra + "tags: [local]\n",
                                                body=f"Story {i} body. " * 30)
    root = make_channel(articles, '[[playlists]]\nname = "Top"\nfeatured = true\n[[categories]]\nname = "Top"\nplaylist = "Top"\n')
    t = time.perf_counter()
    result = build(root)
    took = time.perf_counter() - t
    body = result.body
    assert len(body) <= 500 * 1024 - 4 * 1024
    assert validate_bytes(body).valid
    feed = json.loads(body)
    ids = [i["id"] for i in feed["shortFormVideos"]]
    assert "a4999" in ids and "a0003" in ids and "a0007" in ids  # newest and featured kept
    assert "a0000" not in ids
    kept_plain = sorted(int(i[1:]) for i in ids if i not in ("a0003", "a0007"))
    assert kept_plain == list(range(kept_plain[0], 5000))  # a contiguous newest run
    assert feed["playlists"] == [{"name": "Top", "itemIds": ["a0007", "a0003"]}]
    notes = result.notes.lines()
    assert any(f"{5000 - len(ids)} older items left out to fit the feed ({5000 - len(ids)} by max_bytes); oldest kept" in n for n in notes), notes
    # A smaller budget and item cap are honoured the same way.
    (root / "channel.toml").write_text((root / "channel.toml").read_text() + "[feed]\nmax_bytes = 60000\nmax_items = 50\n")
    small = build(root)
    assert len(small.body) <= 60000 and len(json.loads(small.body)["shortFormVideos"]) <= 50
    print(f"5,000 articles built in {took:.1f} s")


def test_strict_profile_cuts_series_descriptions_to_110(make_channel, cli):
    """DP402 applies to series too: under --profile strict a long [[series]] description is
    cut like an article's, not a reason to drop every episode."""
    long = "Every weeknight at six: the valley's news, weather and sport in fifteen minutes, " * 3
    root = make_channel({f"e{n}.md": article_text(title=f"Episode {n}", extra=f"id: ep{n}\nseries: {{id: bulletin, episode: {n}}}\n")
                         for n in (1, 2)},
                        toml_extra=f'[[series]]\nid = "bulletin"\ntitle = "Bulletin"\ndescription = "{long.strip()}"\n')
    r = cli("build", root, "--profile", "strict")
    assert r.code == 0 and "skipped" not in r.err.replace("0 articles skipped", ""), r
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    assert len(feed["series"][0]["shortDescription"]) <= 110
    assert len(feed["series"][0]["episodes"]) == 2
