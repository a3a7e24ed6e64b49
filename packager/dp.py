"""The Direct Publisher vocabulary, once: item arrays and kinds, the enumerations (read from
the project's feed schema), id/URL patterns, tag and query rules, walking a feed's items, and
the feed's canonical bytes. Feed, validate, readers, outputs and preview all use this module."""

from __future__ import annotations

import json
import re
from functools import cache

from packager.ids import TAG_MAX as TAG_MAX  # re-exported: the DP vocabulary in one place
from packager.resources import schema_path


@cache
def feed_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def _enum(name: str, prop: str | None = None) -> tuple[str, ...]:
    node = feed_schema()["$defs"][name]
    if prop:
        node = node["properties"][prop]
    return tuple(node["enum"])


# Validation profiles: the spec as written, what Roku's template needs, The Roku Channel's rules.
PROFILES = ("spec", "roku-template", "strict")
DEFAULT_PROFILE = "roku-template"

# ---------------------------------------------------------------- kinds and arrays

# Root arrays in the order a feed is written (consumers enumerate keys sorted anyway).
ARRAY_OF_KIND = {"movie": "movies", "series": "series", "shortFormVideo": "shortFormVideos",
                 "tvSpecial": "tvSpecials", "liveFeed": "liveFeeds"}
KIND_OF_ARRAY = {array: kind for kind, array in ARRAY_OF_KIND.items()}
ITEM_ARRAYS = tuple(ARRAY_OF_KIND.values())
# What an article may say it is ("auto": short-form or tvSpecial by its length).
ARTICLE_KINDS = ("auto", "shortFormVideo", "tvSpecial", "movie", "episode", "liveFeed")
# Roku Search Feed 2.0 asset types of the arrays it covers (live feeds have none).
SEARCH_ASSET_TYPE = {"movies": "movie", "shortFormVideos": "shortForm", "tvSpecials": "tvSpecial"}

# ---------------------------------------------------------------- enumerations

GENRES = _enum("genre")
VIDEO_TYPES = _enum("video", "videoType")
VIDEO_QUALITIES = _enum("video", "quality")
CATEGORY_ORDERS = _enum("category", "order")
RATINGS = _enum("rating", "rating")
RATING_SOURCES = _enum("rating", "ratingSource")
CREDIT_ROLES = _enum("credit", "role")
# Which of DP's rating values each ratingSource takes: the values that Roku's search feed
# schema lists for that source (USA_PR_values, MPAA_values, ...; TVPG there is also TV-PG),
# and UNRATED (Roku's NR). UK_CP has no list there, so any rating goes with it.
RATINGS_BY_SOURCE = {
    "USA_PR": ("TVY", "TVY7", "TVG", "TVPG", "TV14", "TVMA", "UNRATED"),
    "MPAA": ("G", "PG", "PG13", "R", "NC17", "UNRATED"),
    "BBFC": ("U", "PG", "12A", "12", "15", "18", "R18", "UNRATED"),
    "CHVRS": ("G", "PG", "14A", "18A", "R", "E", "UNRATED"),
    "CPR": ("C", "C8", "G", "PG", "14+", "18+", "E", "UNRATED"),
}
ID_TYPES = _enum("externalId", "idType")
CAPTION_TYPES = _enum("caption", "captionType")
TRICKPLAY_QUALITIES = ("HD", "FHD")
# Non-adaptive files must declare a bitrate (DP spec, video object).
BITRATE_REQUIRED = ("MP4", "MOV", "M4V")
# The video type a file's extension implies.
EXTENSION_TYPES = {".m3u8": "HLS", ".mpd": "DASH", ".ism": "SMOOTH", ".mp4": "MP4", ".mov": "MOV", ".m4v": "M4V"}
# Roku's smallest 16:9 poster (DP spec: thumbnails at least 800x450).
MIN_ARTWORK = (800, 450)
# The build's auto kind: an article whose video runs up to this many seconds becomes a
# shortFormVideo, a longer one a tvSpecial (README: `type: auto`).
SHORT_FORM_MAX_SECONDS = 900
# The validator's line for a shortFormVideo that looks long-form (DP211): Roku's spec text
# says short-form videos are "usually less than 20 minutes long".
SHORT_FORM_USUAL_MAX_SECONDS = 1200
# Roku's conversion template refuses bodies of this many bytes or more.
TEMPLATE_MAX_BODY = 500 * 1024
# The generated app's feed limit (channel.toml with [app]): what its data layer fetches,
# parses and models within Roku's 20-second launch budget, measured by
# scripts/bench_app_feed.py in brs-cli as CPU time (3,800,964 bytes fitted through 396 to
# 3,000 items of 1.3 KB; README), rounded down to 3.5 MiB. One number for the build, the
# validator and the docs.
APP_MAX_BODY = 3584 * 1024

# ---------------------------------------------------------------- lengths and patterns

PLAYLIST_NAME_MAX = 20
ID_MAX = 50
SHORT_DESCRIPTION_MAX = 200
LONG_DESCRIPTION_MAX = 500
# The Roku Channel's stricter limit for short descriptions.
STRICT_SHORT_DESCRIPTION_MAX = 110

HTTP_URL = re.compile(r"^https?://[^\s/]+\S*$")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
# Ids every player and deep link handles.
ID_CHARS = re.compile(r"^[A-Za-z0-9_-]+$")
ID_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
# The Roku Channel's "alphanumeric" ids.
ID_ALNUM = re.compile(r"^[A-Za-z0-9]{1,50}$")


def is_http_url(value) -> bool:
    return isinstance(value, str) and bool(HTTP_URL.match(value.strip()))


# ---------------------------------------------------------------- genres, tags, queries

def genre_of(value) -> str | None:
    """The Roku genre a value names (case and spaces forgiven), or None."""
    if not isinstance(value, str):
        return None
    g = value.strip().lower()
    return g if g in GENRES else None


_QUERY_SPLIT = re.compile(r"\s+\b(AND|OR)\b\s+")


def query_tags(query: str) -> tuple[list[str], set[str]]:
    """A category query's tags (lowercased: tags match case-insensitively) and operators."""
    ops = set(re.findall(r"\b(AND|OR)\b", query))
    tags = [t.strip().strip("\"'").lower() for t in _QUERY_SPLIT.split(query) if t not in ("AND", "OR")]
    return [t for t in tags if t], ops


def query_operator_problem(query: str) -> str | None:
    """Roku queries are tags joined by AND or by OR, never both."""
    if len(query_tags(query)[1]) > 1:
        return f"query {query!r} mixes AND and OR; Roku supports only one of them per query"
    return None


# ---------------------------------------------------------------- walking a feed

def walk_items(feed: dict):
    """Yield (kind, parts, item) for every item and episode in the feed; parts is the JSON
    path to the item as a tuple of keys and indexes."""
    for key in ITEM_ARRAYS:
        arr = feed.get(key)
        if not isinstance(arr, list):
            continue
        for i, item in enumerate(arr):
            if not isinstance(item, dict):
                continue
            yield KIND_OF_ARRAY[key], (key, i), item
            if key != "series":
                continue
            seasons = item.get("seasons")
            if isinstance(seasons, list):
                for s, season in enumerate(seasons):
                    if isinstance(season, dict) and isinstance(season.get("episodes"), list):
                        for e, ep in enumerate(season["episodes"]):
                            if isinstance(ep, dict):
                                yield "episode", (key, i, "seasons", s, "episodes", e), ep
            episodes = item.get("episodes")
            if isinstance(episodes, list):
                for e, ep in enumerate(episodes):
                    if isinstance(ep, dict):
                        yield "episode", (key, i, "episodes", e), ep


def count_items(feed) -> int:
    """Playable items in a feed: everything but the series wrappers (episodes count)."""
    return sum(1 for kind, _, _ in walk_items(feed) if kind != "series") if isinstance(feed, dict) else 0


# ---------------------------------------------------------------- bytes

def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def serialize(feed: dict) -> bytes:
    """Canonical bytes: UTF-8 without BOM, starts with '{', compact, key order as built."""
    return dumps(feed) + b"\n"
