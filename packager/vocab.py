"""Roku vocabularies, read from the project's schema so there is one list of each."""

import json
from functools import cache

from packager.resources import schema_path


@cache
def feed_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


def _enum(name: str, prop: str | None = None) -> tuple[str, ...]:
    node = feed_schema()["$defs"][name]
    if prop:
        node = node["properties"][prop]
    return tuple(node["enum"])


GENRES = _enum("genre")
VIDEO_TYPES = _enum("video", "videoType")
VIDEO_QUALITIES = _enum("video", "quality")
CATEGORY_ORDERS = _enum("category", "order")
RATINGS = _enum("rating", "rating")
RATING_SOURCES = _enum("rating", "ratingSource")
CREDIT_ROLES = _enum("credit", "role")
ID_TYPES = _enum("externalId", "idType")
CAPTION_TYPES = _enum("caption", "captionType")
# Non-adaptive files must declare a bitrate (DP spec, video object).
BITRATE_REQUIRED = ("MP4", "MOV", "M4V")
# Longest shortFormVideo in seconds (DP spec: 15 minutes).
SHORT_FORM_MAX_SECONDS = 900
# Roku's conversion template refuses bodies of this many bytes or more.
TEMPLATE_MAX_BODY = 500 * 1024
