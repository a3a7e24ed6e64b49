"""search-feed.json: Roku's search feed schema kept whole (its per-source rating lists), with
only its two known bugs fixed; DP ratings that don't fit those lists are mapped or left out
with a warning, so a real feed's ratings never make an invalid search feed."""

import pytest
from feeds import full_feed

from packager.dp import RATINGS, RATINGS_BY_SOURCE
from packager.outputs import _search_schema, build_search_feed, search_feed_errors

DEFAULT = {"source": "USA_PR", "value": "TV-PG"}


def search_of(feed, countries=("us",)):
    warnings = []
    doc = build_search_feed(feed, list(countries), DEFAULT, warnings)
    return doc, warnings


def asset(doc, asset_id):
    return next(a for a in doc["assets"] if a["id"] == asset_id)


def minimal(**asset_fields) -> dict:
    a = {"id": "a1", "type": "shortForm", "titles": [{"value": "T", "languages": ["en"]}]}
    a.update(asset_fields)
    return {"version": "1", "defaultLanguage": "en", "defaultAvailabilityCountries": ["us"], "assets": [a]}


def test_schema_keeps_rokus_per_source_rating_lists():
    definitions = _search_schema()["definitions"]
    for source in ("ACB", "BBFC", "CHVRS", "CLASSIND", "CPR", "FSF", "FSK", "MPAA", "RTC", "USA_PR"):
        assert definitions[f"{source}_values"]["enum"], source
    assert "TV-PG" in definitions["USA_PR_values"]["enum"] and "PG" not in definitions["USA_PR_values"]["enum"]
    assert search_feed_errors(minimal(advisoryRatings=[{"source": "USA_PR", "value": "TV-PG"}])) == []
    assert search_feed_errors(minimal(advisoryRatings=[{"source": "MPAA", "value": "PG-13"}])) == []
    errors = search_feed_errors(minimal(advisoryRatings=[{"source": "USA_PR", "value": "PG"}]))
    assert len(errors) == 1 and errors[0].startswith("$.assets[0].advisoryRatings[0].value: 'PG' is not one of")


def test_schema_fixes_only_rokus_two_known_bugs():
    # Every country is checked, not only the first.
    doc = minimal()
    doc["defaultAvailabilityCountries"] = ["us", "xx"]
    assert [e.split(":")[0] for e in search_feed_errors(doc)] == ["$.defaultAvailabilityCountries[1]"]
    # media.videos: quality takes qualities and videoType takes video types.
    video = {"url": "https://cdn.test/v.m3u8", "quality": "fhd", "videoType": "hls"}
    assert search_feed_errors(minimal(content={"media": {"videos": [video]}})) == []
    swapped = {"url": "https://cdn.test/v.m3u8", "quality": "hls", "videoType": "fhd"}
    assert len(search_feed_errors(minimal(content={"media": {"videos": [swapped]}}))) == 2
    # Otherwise Roku's schema as it is: draft-07, its own loose required list.
    schema = _search_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["required"] == ["version", "assets"]


def test_film_rating_under_usa_pr_is_written_as_the_tv_rating_with_a_warning():
    """The DP spec's own example: {"rating": "PG", "ratingSource": "USA_PR"}."""
    feed = full_feed()
    feed["movies"][0]["rating"] = {"rating": "PG", "ratingSource": "USA_PR"}
    doc, warnings = search_of(feed)
    assert search_feed_errors(doc) == []
    assert asset(doc, "item1")["advisoryRatings"] == [{"source": "USA_PR", "value": "TV-PG"}]
    assert warnings == ["search-feed.json: item item1: rating 'PG' under USA_PR is not a TV rating; "
                        "written as TV-PG; fix rating in the item"]


@pytest.mark.parametrize("rating,source", [("PG13", "USA_PR"), ("TVMA", "MPAA"), ("Uc", "BBFC"), ("A", "UK_CP"), ("TVY14", "USA_PR")])
def test_rating_that_fits_no_list_is_left_out_with_a_warning(rating, source):
    feed = full_feed()
    feed["movies"][0]["rating"] = {"rating": rating, "ratingSource": source}
    doc, warnings = search_of(feed)
    assert search_feed_errors(doc) == []
    assert asset(doc, "item1")["advisoryRatings"] == [DEFAULT]
    assert len(warnings) == 1 and warnings[0].startswith("search-feed.json: item item1: ")
    assert "left out, so [search_feed] advisory_rating (USA_PR TV-PG) applies" in warnings[0]


@pytest.mark.parametrize("rating,source", [(r, s) for s, values in RATINGS_BY_SOURCE.items() for r in values])
def test_every_rating_that_fits_its_source_is_carried_without_a_warning(rating, source):
    feed = full_feed()
    feed["movies"][0]["rating"] = {"rating": rating, "ratingSource": source}
    doc, warnings = search_of(feed)
    assert search_feed_errors(doc) == [] and warnings == []
    [carried] = asset(doc, "item1")["advisoryRatings"]
    assert carried["source"] == source
    assert carried["value"] == {"UNRATED": "NR", "TVPG": "TV-PG", "TVY7": "TV-Y7", "TVMA": "TV-MA"}.get(rating, carried["value"])


def test_no_dp_rating_makes_an_invalid_search_feed():
    for source in ("BBFC", "CHVRS", "CPR", "MPAA", "UK_CP", "USA_PR"):
        for rating in RATINGS:
            feed = full_feed()
            feed["movies"][0]["rating"] = {"rating": rating, "ratingSource": source}
            doc, _ = search_of(feed)
            assert search_feed_errors(doc) == [], (rating, source)


def test_language_roku_does_not_list_falls_back_to_its_primary_subtag():
    feed = full_feed()
    feed["language"] = "es-419"
    doc, warnings = search_of(feed)
    assert doc["defaultLanguage"] == "es" and search_feed_errors(doc) == []
    assert warnings == ["search-feed.json: language 'es-419' is not in Roku's search feed list; written as 'es'"]
    feed["language"] = "en-US"
    doc, warnings = search_of(feed)
    assert doc["defaultLanguage"] == "en-us" and warnings == []


def test_full_feed_makes_a_valid_search_feed_without_warnings():
    doc, warnings = search_of(full_feed(), countries=("us", "ca", "gb"))
    assert search_feed_errors(doc) == [] and warnings == []
