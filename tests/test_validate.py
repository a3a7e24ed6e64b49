"""The validator: a valid feed with every content type passes every profile; each rule and
each schema constraint family, broken alone, gives its code at its path."""

import json

import pytest
from feeds import full_feed, item

from packager.dp import RATINGS, RATINGS_BY_SOURCE, feed_schema
from packager.validate import PROFILES, _full_validator, _schema_is_valid, validate_bytes


def body(feed) -> bytes:
    return json.dumps(feed).encode()


def codes_at(report):
    return {(f.code, f.path) for f in report.findings}


@pytest.mark.parametrize("profile", PROFILES)
def test_full_feed_is_valid_in_every_profile(profile):
    # Alphanumeric ids, short descriptions and no emoji: it passes strict too.
    feed = full_feed()
    report = validate_bytes(body(feed), profile=profile)
    assert report.findings == [], report.findings


def set_path(feed, path, value):
    *head, last = path
    node = feed
    for p in head:
        node = node[p]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value


DELETE = object()
SFV = ["shortFormVideos", 0]

# (name, [(path, value)...], profile, code, json path, severity)
MUTATIONS = [
    # schema families
    ("required root", [(["providerName"], DELETE)], "spec", "DP101", "$.providerName", "error"),
    ("required item", [(SFV + ["shortDescription"], DELETE)], "spec", "DP101", "$.shortFormVideos[0].shortDescription", "error"),
    ("required video quality", [(SFV + ["content", "videos", 0, "quality"], DELETE)], "spec", "DP101", "$.shortFormVideos[0].content.videos[0].quality", "error"),
    ("movie needs genres", [(["movies", 0, "genres"], DELETE)], "spec", "DP101", "$.movies[0].genres", "error"),
    ("season number", [(["series", 0, "seasons", 0, "seasonNumber"], DELETE)], "spec", "DP101", "$.series[0].seasons[0].seasonNumber", "error"),
    ("rating as string", [(["movies", 0, "rating"], "TVPG")], "spec", "DP102", "$.movies[0].rating", "error"),
    ("duration as text", [(SFV + ["content", "duration"], "120")], "spec", "DP102", "$.shortFormVideos[0].content.duration", "error"),
    ("episode number float", [(["series", 1, "episodes", 0, "episodeNumber"], 1.5)], "spec", "DP102", "$.series[1].episodes[0].episodeNumber", "error"),
    ("releaseDate timestamp", [(SFV + ["releaseDate"], "2026-11-24T10:00:00Z")], "spec", "DP103", "$.shortFormVideos[0].releaseDate", "error"),
    ("lastUpdated without offset", [(["lastUpdated"], "2026-11-24T10:00:00")], "spec", "DP103", "$.lastUpdated", "error"),
    ("dateAdded not a date", [(SFV + ["content", "dateAdded"], "yesterday")], "spec", "DP103", "$.shortFormVideos[0].content.dateAdded", "error"),
    ("thumbnail not http", [(SFV + ["thumbnail"], "ftp://cdn.test/a.jpg")], "spec", "DP103", "$.shortFormVideos[0].thumbnail", "error"),
    ("video url relative", [(SFV + ["content", "videos", 0, "url"], "/v/1.m3u8")], "spec", "DP103", "$.shortFormVideos[0].content.videos[0].url", "error"),
    ("language code", [(["language"], "English")], "spec", "DP103", "$.language", "error"),
    ("ad break format", [(["movies", 0, "content", "adBreaks", 1], "30 minutes")], "spec", "DP103", "$.movies[0].content.adBreaks[1]", "error"),
    ("birthDate format", [(["movies", 0, "credits", 0, "birthDate"], "02/03/1980")], "spec", "DP103", "$.movies[0].credits[0].birthDate", "error"),
    ("quality enum", [(SFV + ["content", "videos", 0, "quality"], "XHD")], "spec", "DP104", "$.shortFormVideos[0].content.videos[0].quality", "error"),
    ("videoType enum", [(SFV + ["content", "videos", 0, "videoType"], "FLV")], "spec", "DP104", "$.shortFormVideos[0].content.videos[0].videoType", "error"),
    ("genre enum", [(SFV + ["genres"], ["politics"])], "spec", "DP104", "$.shortFormVideos[0].genres[0]", "error"),
    ("rating enum", [(["movies", 0, "rating", "rating"], "PG-13")], "spec", "DP104", "$.movies[0].rating.rating", "error"),
    ("rating source enum", [(["movies", 0, "rating", "ratingSource"], "FCC")], "spec", "DP104", "$.movies[0].rating.ratingSource", "error"),
    ("credit role enum", [(["movies", 0, "credits", 0, "role"], "reporter")], "spec", "DP104", "$.movies[0].credits[0].role", "error"),
    ("idType enum", [(["movies", 0, "externalIds", 0, "idType"], "ISAN")], "spec", "DP104", "$.movies[0].externalIds[0].idType", "error"),
    ("captionType enum", [(["movies", 0, "content", "captions", 0, "captionType"], "CC")], "spec", "DP104", "$.movies[0].content.captions[0].captionType", "error"),
    ("trickplay quality enum", [(["movies", 0, "content", "trickPlayFiles", 0, "quality"], "SD")], "spec", "DP104", "$.movies[0].content.trickPlayFiles[0].quality", "error"),
    ("order enum", [(["categories", 0, "order"], "newest")], "spec", "DP104", "$.categories[0].order", "error"),
    ("short too long", [(SFV + ["shortDescription"], "x" * 201)], "spec", "DP105", "$.shortFormVideos[0].shortDescription", "error"),
    ("long too long", [(SFV + ["longDescription"], "y" * 501)], "spec", "DP105", "$.shortFormVideos[0].longDescription", "error"),
    ("tag too long", [(SFV + ["tags"], ["t" * 21])], "spec", "DP105", "$.shortFormVideos[0].tags[0]", "error"),
    ("playlist name too long", [(["playlists", 0, "name"], "p" * 21), (["categories", 2, "playlistName"], "p" * 21)], "spec", "DP105", "$.playlists[0].name", "error"),
    ("id too long", [(SFV + ["id"], "i" * 51)], "spec", "DP105", "$.shortFormVideos[0].id", "error"),
    ("empty title", [(SFV + ["title"], "")], "spec", "DP105", "$.shortFormVideos[0].title", "error"),
    ("unknown key", [(SFV + ["shortDescripton"], "typo")], "spec", "DP106", "$.shortFormVideos[0].shortDescripton", "warning"),
    ("unknown key strict", [(SFV + ["content", "Videos"], [])], "strict", "DP106", "$.shortFormVideos[0].content.Videos", "error"),
    ("empty content array", [(["liveFeeds"], [])], "spec", "DP107", "$.liveFeeds", "error"),
    ("empty videos", [(SFV + ["content", "videos"], [])], "spec", "DP107", "$.shortFormVideos[0].content.videos", "error"),
    # The spec: "an ordered list of one or more categories", "a list of one or more playlists".
    ("empty categories", [(["categories"], [])], "spec", "DP107", "$.categories", "error"),
    ("empty playlists", [(["playlists"], []), (["categories"], [{"name": "Local", "query": "local", "order": "most_recent"}])],
     "spec", "DP107", "$.playlists", "error"),
    ("duration zero", [(SFV + ["content", "duration"], 0)], "spec", "DP108", "$.shortFormVideos[0].content.duration", "error"),
    ("series with both", [(["series", 1, "seasons"], [{"seasonNumber": 1, "episodes": [item(99, episodeNumber=1)]}])], "spec", "DP109", "$.series[1]", "error"),
    # rules beyond the schema
    ("duplicate id", [(["tvSpecials", 0, "id"], "item2")], "spec", "DP201", "$.tvSpecials[0].id", "error"),
    ("duplicate episode id", [(["series", 1, "episodes", 1, "id"], "item10")], "spec", "DP201", "$.series[1].episodes[1].id", "error"),
    ("playlist unresolved", [(["playlists", 0, "itemIds", 1], "nope")], "spec", "DP202", "$.playlists[0].itemIds[1]", "error"),
    ("playlist episode", [(["playlists", 0, "itemIds", 1], "item10")], "spec", "DP203", "$.playlists[0].itemIds[1]", "error"),
    ("category both", [(["categories", 0, "playlistName"], "top")], "spec", "DP204", "$.categories[0]", "error"),
    ("category neither", [(["categories", 2, "playlistName"], DELETE)], "spec", "DP204", "$.categories[2]", "error"),
    ("manual with query", [(["categories", 0, "order"], "manual")], "spec", "DP205", "$.categories[0].order", "error"),
    ("query mixes", [(["categories", 1, "query"], "local AND sports OR news")], "spec", "DP206", "$.categories[1].query", "error"),
    ("query tag unused", [(["categories", 0, "query"], "politics")], "spec", "DP207", "$.categories[0].query", "warning"),
    ("long equals short", [(SFV + ["longDescription"], "Short description 2.")], "spec", "DP208", "$.shortFormVideos[0].longDescription", "error"),
    ("duplicate season number", [(["series", 0, "seasons", 1, "seasonNumber"], 1)], "spec", "DP209", "$.series[0].seasons[1].seasonNumber", "error"),
    ("duplicate episode number", [(["series", 1, "episodes", 1, "episodeNumber"], 1)], "spec", "DP209", "$.series[1].episodes[1].episodeNumber", "error"),
    ("mp4 without bitrate", [(SFV + ["content", "videos", 0, "videoType"], "MP4")], "spec", "DP210", "$.shortFormVideos[0].content.videos[0].bitrate", "error"),
    ("short form too long", [(SFV + ["content", "duration"], 1201)], "spec", "DP211", "$.shortFormVideos[0].content.duration", "warning"),
    ("validity reversed", [(["movies", 0, "content", "validityPeriodEnd"], "2025-01-01T00:00:00Z")], "spec", "DP214", "$.movies[0].content.validityPeriodEnd", "error"),
    ("category playlist missing", [(["categories", 2, "playlistName"], "other")], "spec", "DP215", "$.categories[2].playlistName", "error"),
    ("id characters", [(SFV + ["id"], "item 2")], "spec", "DP216", "$.shortFormVideos[0].id", "warning"),
    # A film rating under the TV source (the DP spec's own example) and a TV rating under MPAA.
    ("film rating as USA_PR", [(["movies", 0, "rating", "rating"], "PG")], "spec", "DP217", "$.movies[0].rating.rating", "warning"),
    ("TV rating as MPAA", [(["movies", 0, "rating", "ratingSource"], "MPAA")], "roku-template", "DP217", "$.movies[0].rating.rating", "warning"),
    ("rating pairing strict", [(["movies", 0, "rating"], {"rating": "PG13", "ratingSource": "BBFC"})], "strict", "DP217", "$.movies[0].rating.rating", "error"),
    ("credit without birthDate", [(["movies", 0, "credits", 0, "birthDate"], DELETE)], "spec", "DP218", "$.movies[0].credits[0].birthDate", "warning"),
    # roku-template profile
    ("no genres on short form", [(SFV + ["genres"], DELETE)], "roku-template", "DP301", "$.shortFormVideos[0].genres", "error"),
    ("empty genres", [(SFV + ["genres"], [])], "roku-template", "DP301", "$.shortFormVideos[0].genres", "error"),
    ("live feed no genres", [(["liveFeeds", 0, "genres"], DELETE)], "roku-template", "DP301", "$.liveFeeds[0].genres", "error"),
    # strict profile
    ("id not alphanumeric", [(SFV + ["id"], "item-2"), (["playlists", 0, "itemIds", 0], "item-2")], "strict", "DP401", "$.shortFormVideos[0].id", "error"),
    ("short over 110", [(SFV + ["shortDescription"], "w " * 60)], "strict", "DP402", "$.shortFormVideos[0].shortDescription", "error"),
    ("series short over 110", [(["series", 0, "shortDescription"], "w " * 60)], "strict", "DP402", "$.series[0].shortDescription", "error"),
    ("emoji title", [(SFV + ["title"], "Big win \U0001F3C6")], "strict", "DP403", "$.shortFormVideos[0].title", "error"),
]


@pytest.mark.parametrize("name,changes,profile,code,path,severity", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_each_broken_rule_is_reported_at_its_path(name, changes, profile, code, path, severity):
    feed = full_feed()
    for p, value in changes:
        set_path(feed, p, value)
    report = validate_bytes(body(feed), profile=profile)
    match = [f for f in report.findings if f.code == code and f.path == path]
    assert match, report.findings
    assert match[0].severity == severity
    assert report.valid == (severity == "warning" and not report.errors)
    if path.startswith(("$.shortFormVideos[0]",)) and code != "DP201":
        assert match[0].item_id == feed["shortFormVideos"][0]["id"]
    # The fast path and the full schema validator agree on every mutation.
    fast = _schema_is_valid(feed)
    assert fast == _full_validator(feed_schema()).is_valid(feed)


def test_spec_profile_does_not_apply_consumer_rules():
    feed = full_feed()
    del feed["shortFormVideos"][0]["genres"]
    assert validate_bytes(body(feed), profile="spec").valid
    assert not validate_bytes(body(feed), profile="roku-template").valid


def test_missing_video_url_and_thumbnail_are_one_finding_each():
    feed = full_feed()
    del feed["shortFormVideos"][0]["thumbnail"]
    del feed["liveFeeds"][0]["content"]["videos"][0]["url"]
    report = validate_bytes(body(feed))
    paths = [f.path for f in report.errors]
    assert paths.count("$.shortFormVideos[0].thumbnail") == 1
    assert paths.count("$.liveFeeds[0].content.videos[0].url") == 1


def test_no_content_at_all():
    feed = {"providerName": "x", "language": "en", "lastUpdated": "2026-01-01T00:00:00Z"}
    report = validate_bytes(body(feed), profile="spec")
    assert ("DP213", "$") in codes_at(report)


@pytest.mark.parametrize("raw,profile,code,severity", [
    (b"\xef\xbb\xbf" + json.dumps(full_feed()).encode(), "roku-template", "DP001", "error"),
    (b"\xef\xbb\xbf" + json.dumps(full_feed()).encode(), "spec", "DP001", "warning"),
    (b"  \n" + json.dumps(full_feed()).encode(), "roku-template", "DP002", "error"),
    (json.dumps(full_feed()).encode().replace(b"Title 2", b"Title \xff"), "roku-template", "DP003", "error"),
])
def test_body_rules(raw, profile, code, severity):
    report = validate_bytes(raw, profile=profile)
    assert [(f.code, f.severity) for f in report.findings] == [(code, severity)]


def test_body_of_500_kib_is_refused_by_the_template_profile():
    feed = full_feed()
    feed["shortFormVideos"] += [item(1000 + i, longDescription="z" * 480) for i in range(1000)]
    raw = json.dumps(feed).encode()
    assert len(raw) >= 500 * 1024
    assert ("DP004", "$") in codes_at(validate_bytes(raw))
    spec = validate_bytes(raw, profile="spec")
    assert spec.valid and [f.code for f in spec.warnings] == ["DP004"]


# ---------------------------------------------------------------- CLI

def test_cli_reads_stdin_and_prints_json(cli, monkeypatch, capsys):
    import io
    import sys

    feed = full_feed()
    feed["shortFormVideos"][0]["content"]["videos"][0]["quality"] = "XHD"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body(feed))))
    r = cli("validate", "-", "--format", "json")
    assert r.code == 1
    report = json.loads(r.out)
    assert report["valid"] is False and report["errors"] == 1
    assert report["findings"][0] == {
        "severity": "error", "code": "DP104", "path": "$.shortFormVideos[0].content.videos[0].quality",
        "message": "'XHD' is not allowed; use one of: SD, HD, FHD, UHD", "item_id": "item2"}


def test_cli_text_groups_by_item_and_ends_with_summary(cli, tmp_path):
    feed = full_feed()
    feed["shortFormVideos"][0]["releaseDate"] = "2026-11-24T10:00:00Z"
    feed["shortFormVideos"][0]["content"]["duration"] = 1201
    path = tmp_path / "feed.json"
    path.write_bytes(body(feed))
    r = cli("validate", path)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0] == "item item2:"
    assert lines[1].startswith("  error   DP103 $.shortFormVideos[0].releaseDate: '2026-11-24T10:00:00Z' must be a date")
    assert lines[2].startswith("  warning DP211 $.shortFormVideos[0].content.duration")
    assert lines[-1] == f"{path}: INVALID (roku-template profile): 1 error, 1 warning"


def test_cli_warnings_only_exit_0(cli, tmp_path):
    feed = full_feed()
    feed["categories"][0]["query"] = "politics"
    (tmp_path / "f.json").write_bytes(body(feed))
    assert cli("validate", tmp_path / "f.json").code == 0


@pytest.mark.parametrize("content,expected", [
    (b'{"providerName": "x",\n  "language": }', "not JSON: Expecting value at line 2 column 15"),
    (b"", "not JSON: Expecting value at line 1 column 1"),
])
def test_cli_unreadable_input_exits_2_with_location(cli, tmp_path, content, expected):
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    r = cli("validate", path)
    assert r.code == 2 and expected in r.err, r


def test_cli_missing_file_exits_2(cli, tmp_path):
    r = cli("validate", tmp_path / "nope.json")
    assert r.code == 2 and "no such file" in r.err


def test_cli_fetches_a_url(cli, tmp_path):
    import http.server
    import threading

    (tmp_path / "feed.json").write_bytes(body(full_feed()))
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        ok = cli("validate", f"{url}/feed.json")
        assert ok.code == 0 and "valid" in ok.out, ok
        missing = cli("validate", f"{url}/missing.json")
        assert missing.code == 2 and "HTTP 404" in missing.err
    finally:
        server.shutdown()
    down = cli("validate", f"{url}/feed.json", "--timeout", "2")
    assert down.code == 2 and "can't fetch" in down.err


def test_reference_shapes_known_mistakes():
    """Mistakes seen in real feeds (series releaseDate as timestamp, seasons without
    seasonNumber, Roku-sample shortDescriptions over 200) are each caught."""
    feed = full_feed()
    feed["series"][0]["releaseDate"] = "2020-03-15T02:01:00+02:00"
    del feed["series"][0]["seasons"][0]["seasonNumber"]
    feed["series"][0]["seasons"][1]["episodes"][0]["shortDescription"] = "s" * 213
    got = codes_at(validate_bytes(body(feed), profile="spec"))
    assert {("DP103", "$.series[0].releaseDate"), ("DP101", "$.series[0].seasons[0].seasonNumber"),
            ("DP105", "$.series[0].seasons[1].episodes[0].shortDescription")} <= got


# ---------------------------------------------------------------- found on real feeds (issue 13)

def test_every_missing_required_field_is_its_own_finding():
    feed = full_feed()
    for key in ("content", "genres", "releaseDate"):
        del feed["movies"][0][key]
    report = validate_bytes(body(feed), profile="spec")
    missing = [(f.code, f.path, f.message, f.item_id) for f in report.findings]
    assert missing == [
        ("DP101", "$.movies[0].content", "required field 'content' is missing", "item1"),
        ("DP101", "$.movies[0].genres", "required field 'genres' is missing", "item1"),
        ("DP101", "$.movies[0].releaseDate", "required field 'releaseDate' is missing", "item1"),
    ]


def test_missing_fields_in_several_objects_are_each_named_once():
    feed = full_feed()
    del feed["providerName"], feed["language"]
    del feed["series"][0]["seasons"][0]["episodes"][1]["thumbnail"]
    del feed["series"][0]["seasons"][0]["episodes"][1]["episodeNumber"]
    report = validate_bytes(body(feed), profile="spec")
    assert sorted((f.code, f.path) for f in report.findings) == [
        ("DP101", "$.language"), ("DP101", "$.providerName"),
        ("DP101", "$.series[0].seasons[0].episodes[1].episodeNumber"),
        ("DP101", "$.series[0].seasons[0].episodes[1].thumbnail"),
    ]


def test_short_form_threshold_is_twenty_minutes():
    """Roku's spec text: short-form videos are "usually less than 20 minutes long"."""
    feed = full_feed()
    feed["shortFormVideos"][0]["content"]["duration"] = 1200
    assert validate_bytes(body(feed), profile="spec").findings == []
    feed["shortFormVideos"][0]["content"]["duration"] = 1201
    [finding] = validate_bytes(body(feed), profile="spec").findings
    assert (finding.code, finding.severity) == ("DP211", "warning") and "20 minutes" in finding.message


def test_live_feed_item_language_is_allowed_and_checked():
    """Roku's own live feed example carries a language on the item."""
    feed = full_feed()
    feed["liveFeeds"][0]["language"] = "en-us"
    for profile in PROFILES:
        assert validate_bytes(body(feed), profile=profile).findings == [], profile
    feed["liveFeeds"][0]["language"] = "English"
    assert codes_at(validate_bytes(body(feed), profile="spec")) == {("DP103", "$.liveFeeds[0].language")}
    # Only live feeds: a movie has its language in content.
    feed = full_feed()
    feed["movies"][0]["language"] = "en"
    assert codes_at(validate_bytes(body(feed), profile="spec")) == {("DP106", "$.movies[0].language")}


@pytest.mark.parametrize("rating,source", [(r, s) for s, values in RATINGS_BY_SOURCE.items() for r in values]
                         + [(r, "UK_CP") for r in RATINGS])
def test_every_rating_of_a_source_passes(rating, source):
    feed = full_feed()
    feed["movies"][0]["rating"] = {"rating": rating, "ratingSource": source}
    assert validate_bytes(body(feed), profile="strict").findings == []


def test_rating_pairing_names_the_fix():
    feed = full_feed()
    feed["movies"][0]["rating"] = {"rating": "PG", "ratingSource": "USA_PR"}
    [finding] = validate_bytes(body(feed), profile="spec").findings
    assert finding.code == "DP217" and finding.item_id == "item1"
    assert "USA_PR takes TVY, TVY7, TVG, TVPG, TV14, TVMA, UNRATED" in finding.message
    assert "'PG' belongs to MPAA" in finding.message and "the TV rating is 'TVPG'" in finding.message


def test_rating_lists_are_rokus_search_feed_lists():
    """RATINGS_BY_SOURCE holds exactly the DP ratings that Roku's search feed schema lists
    for each source (TVPG there also as TV-PG; UNRATED is Roku's NR)."""
    from packager.outputs import search_rating_values

    for source, values in RATINGS_BY_SOURCE.items():
        roku = set(search_rating_values(source))
        expected = {r for r in RATINGS if r in roku or f"TV-{r[2:]}" in roku and r.startswith("TV")} | {"UNRATED"}
        assert set(values) == expected, source
    assert search_rating_values("UK_CP") is None


def test_credit_role_written_in_capitals_says_how_to_write_it():
    feed = full_feed()
    feed["movies"][0]["credits"][0]["role"] = "Anchor"
    [finding] = validate_bytes(body(feed), profile="spec").findings
    assert (finding.code, finding.path) == ("DP104", "$.movies[0].credits[0].role")
    assert finding.message == "'Anchor' is not allowed; write 'anchor' (values are case sensitive)"


@pytest.mark.parametrize("credit,code,path", [
    ({"name": "Ana Ruiz", "role": "reporter", "birthDate": "1980-02-03"}, "DP104", "$.series[0].credits[0].role"),
    ({"name": "Ana Ruiz", "role": "anchor", "birthDate": "1980-02-30"}, "DP103", "$.series[0].credits[0].birthDate"),
    ({"name": "Ana Ruiz", "role": "anchor", "birthDate": "03/02/1980"}, "DP103", "$.series[0].credits[0].birthDate"),
    ({"name": "", "role": "anchor", "birthDate": "1980-02-03"}, "DP105", "$.series[0].credits[0].name"),
    ({"role": "anchor", "birthDate": "1980-02-03"}, "DP101", "$.series[0].credits[0].name"),
    ({"name": "Ana Ruiz", "birthDate": "1980-02-03"}, "DP101", "$.series[0].credits[0].role"),
    ({"name": "Ana Ruiz", "role": "anchor"}, "DP218", "$.series[0].credits[0].birthDate"),
    ({"name": "Ana Ruiz", "role": "anchor", "birthDate": "1980-02-03", "photo": "x"}, "DP106", "$.series[0].credits[0].photo"),
])
def test_credits_follow_the_spec_credit_table(credit, code, path):
    feed = full_feed()
    feed["series"][0]["credits"] = [credit]
    assert codes_at(validate_bytes(body(feed), profile="spec")) == {(code, path)}


@pytest.mark.parametrize("raw,kind", [(b"[1, 2]", "a list"), (b'"feed"', "a string"), (b"null", "null")])
def test_json_that_is_not_an_object_is_an_invalid_feed(cli, tmp_path, raw, kind):
    """Valid JSON, invalid feed: exit 1 with the error listed (not 2, "can't be read")."""
    path = tmp_path / "feed.json"
    path.write_bytes(raw)
    r = cli("validate", path, "--format", "json")
    assert r.code == 1, r
    report = json.loads(r.out)
    found = {(f["code"], f["severity"], f["path"]) for f in report["findings"]}
    assert ("DP102", "error", "$") in found and ("DP002", "error", "$") in found
    assert any(kind in f["message"] for f in report["findings"] if f["code"] == "DP102")
    spec = validate_bytes(raw, profile="spec")
    assert not spec.valid and [f.code for f in spec.errors] == ["DP102"]
