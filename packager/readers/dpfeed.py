"""The dp-feed reader: an existing Direct Publisher feed (a migration), carried over as it
is: ids, releaseDate, content.language, every video, captions, trick play files, ad breaks,
ratings, credits, external ids, series and seasons with their own metadata, categories and
playlists, in the feed's own order.

The import policy (issue #21): never drop an item Roku's template could play, i.e. one with
an id, a title and a video URL. Everything else that is wrong or missing is repaired, and a
warning says what was assumed (a bitrate estimated from the file's size, seasons numbered by
position, a live stream's duration, a title card for a missing thumbnail, ...); a malformed
optional field is left out with a warning. Warnings are grouped: one line per rule with a
count and the first ids. Numbers written as text ("1", as in the spec's own example) are read
as numbers."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from packager.articles import LIVE_DURATION, MAX_DURATION, check_text, imported_series_parts, parse_date
from packager.config import Category, Playlist
from packager.dp import (
    BITRATE_REQUIRED,
    CATEGORY_ORDERS,
    EXTENSION_TYPES,
    LANGUAGE,
    PLAYLIST_NAME_MAX,
    RATINGS,
    VIDEO_QUALITIES,
    VIDEO_TYPES,
    feed_schema,
    is_http_url,
    query_operator_problem,
)
from packager.errors import ArticleError, excerpt
from packager.ids import normalize_query
from packager.model import ImportedSeason, ImportedSeries
from packager.readers import Content
from packager.readers.common import build_article, load_bytes
from packager.remote import MAX_PHOTO_BYTES, RemoteError

# Seconds a feed's import may spend on HEAD requests for bitrate estimates, all together.
HEAD_BUDGET = 120.0

_DP_KINDS = {"movies": "movie", "shortFormVideos": "shortFormVideo", "tvSpecials": "tvSpecial", "liveFeeds": "liveFeed"}


# Our field names (the front matter's, which build_article checks) -> the DP feed's, so a
# line names the field as the feed writes it.
_DP_NAMES = (
    (r"^summary\b", "shortDescription"), (r"^long_description\b", "longDescription"),
    (r"^date\b", "content.dateAdded"), (r"^photo\b", "thumbnail"),
    (r"^series\.episode\b", "episodeNumber"), (r"^series\.season\b", "seasonNumber"),
    (r"^available\.from\b", "content.validityPeriodStart"), (r"^available\.until\b", "content.validityPeriodEnd"),
    (r"^available\b", "content.validityPeriod"), (r"^rating\.source\b", "rating.ratingSource"),
    (r"\.birth_date\b", ".birthDate"), (r"^(captions\[\d+\])\.type\b", r"\1.captionType"),
    (r"^(external_ids\[\d+\])\.type\b", r"\1.idType"), (r"^captions\b", "content.captions"),
    (r"^external_ids\b", "externalIds"), (r"^ad_breaks\b", "content.adBreaks"), (r"^trickplay\b", "content.trickPlayFiles"),
)


def _dp_field(field: str | None) -> str | None:
    for ours, theirs in _DP_NAMES:
        field = re.sub(ours, theirs, field) if field else field
    return field


def _dp_line(line: str, label: str) -> str:
    """A warning of build_article's with the field named as the DP feed names it."""
    if not line.startswith(label + ": "):
        return line
    field, sep, rest = line[len(label) + 2:].partition(": ")
    return f"{label}: {_dp_field(field)}{sep}{rest}" if sep else line


def _missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _number(value, label: str, where: str, warnings: list[str]):
    """A number written as text is read as one (with a warning); anything else is returned
    as it is, for the field's own check to judge."""
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,12}(\.\d{1,6})?\s*", value):
        number = float(value) if "." in value else int(value)
        warnings.append(f"{label}: {where}: {value.strip()!r} is a number written as text; read as {number}")
        return number
    return value


def _when(value, label: str, where: str, warnings: list[str]):
    """dateAdded as a datetime. Besides ISO 8601, real feeds write epoch seconds (or
    milliseconds) and RFC 2822 dates: read with a warning. Anything else is returned as it
    is, for parse_date to report."""
    if isinstance(value, str):
        try:
            return parse_date(value, label, where)
        except ArticleError:
            if re.fullmatch(r"\s*\d{9,13}\s*", value):
                value = int(value)
            else:
                try:
                    dt = parsedate_to_datetime(value)
                except (TypeError, ValueError, IndexError):
                    return value
                warnings.append(f"{label}: {where}: {value!r} is an RFC 2822 date; read as {dt.isoformat()}")
                return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        seconds = value / 1000 if value > 1e11 else value
        try:
            dt = datetime.fromtimestamp(seconds, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return value
        warnings.append(f"{label}: {where}: {value!r} is a timestamp; read as {dt.isoformat()}")
        return dt
    return value


def _id(value, label: str, warnings: list[str]):
    if isinstance(value, int) and not isinstance(value, bool):
        warnings.append(f"{label}: id: {value} is a number; read as the text {str(value)!r}")
        return str(value)
    return value


def _text_ok(node: dict, label: str, keep: tuple[str, ...], warnings: list[str], prefix: str = "") -> dict:
    """`node` without the optional fields whose text can't be written (a lone surrogate from
    a broken \\u escape), each left out with a warning; in a field in `keep` it is an
    ArticleError."""
    node = dict(node)
    while True:
        try:
            check_text(node, label)
            return node
        except ArticleError as e:
            key = (e.field or "").split(".")[0]
            if key not in node or key in keep:
                raise ArticleError(label, prefix + (e.field or ""), f"{e.detail}; the item is skipped") from None
            warnings.append(f"{label}: {prefix}{e.field}: {e.detail}; left out")
            del node[key]


def _video_fields(video, duration, label: str, i: int, warnings: list[str], estimate=None):
    """A DP video in our field names. What Roku's template can play without is repaired
    with a warning: the quality (HD assumed), the type (from the URL's extension), the
    bitrate of an MP4/MOV/M4V file (estimated by `estimate(url)`, else left out)."""
    if not isinstance(video, dict):
        return video  # the video check names it
    where = f"content.videos[{i}]"
    url = video.get("url")
    vtype = video.get("videoType")
    if not (isinstance(vtype, str) and vtype.strip().upper() in VIDEO_TYPES) and isinstance(url, str):
        guess = EXTENSION_TYPES.get(PurePosixPath(urlsplit(url.strip()).path).suffix.lower()) if is_http_url(url) else None
        if guess is not None:
            warnings.append(f"{label}: {where}.videoType: {'missing' if vtype is None else excerpt(vtype)}; "
                            f"{guess} assumed from the URL's extension")
            vtype = guess
    quality = video.get("quality")
    if not (isinstance(quality, str) and quality.strip().upper() in VIDEO_QUALITIES):
        warnings.append(f"{label}: {where}.quality: {'missing' if quality is None else excerpt(quality)}; HD assumed")
        quality = "HD"
    out = {"url": url, "duration": duration, "type": vtype, "quality": quality}
    raw = video.get("bitrate")
    bitrate = _number(raw, label, f"{where}.bitrate", warnings) if raw is not None else None
    if isinstance(bitrate, int) and not isinstance(bitrate, bool) and bitrate > 0:
        out["bitrate"] = bitrate
        return out
    said = "missing" if "bitrate" not in video else "null" if raw is None else f"{excerpt(raw)} is not a number of kbps"
    if not (isinstance(vtype, str) and vtype.strip().upper() in BITRATE_REQUIRED):
        if "bitrate" in video:  # optional for adaptive streams: nothing to repair
            warnings.append(f"{label}: {where}.bitrate: {said}; left out")
        return out
    kbps, why = estimate(url) if estimate is not None else (None, "remote fetches are off for this source")
    if kbps:
        warnings.append(f"{label}: {where}.bitrate: {said}; estimated as {kbps} kbps from the file's size "
                        "(Content-Length × 8 ÷ duration)")
        out["bitrate"] = kbps
    else:
        warnings.append(f"{label}: {where}.bitrate: {said}; left out ({why}; Roku's template never reads it, "
                        "validate --profile spec flags it)")
    return out


def _in_our_names(raw, mapping: dict[str, str]):
    """DP entries (credits, captions, ...) in our field names; non-entries pass through for
    the entry check to name."""
    if not isinstance(raw, list):
        return raw
    return [{ours: e[theirs] for ours, theirs in mapping.items() if e.get(theirs) is not None} if isinstance(e, dict) else e
            for e in raw]


def _content_from_item(item: dict, label: str, warnings: list[str]) -> dict:
    """Hand-made feeds put a video's url/videoType, or the duration, on the item itself:
    moved into content, where Roku's template reads them."""
    content = item.get("content")
    if not isinstance(content, dict) and is_http_url(item.get("url")):
        video = {k: item[k] for k in ("url", "videoType", "quality", "bitrate") if k in item}
        warnings.append(f"{label}: content: {'missing' if content is None else excerpt(content)}; "
                        "made from the item's url and videoType")
        content = {"videos": [video]}
        item = {k: v for k, v in item.items() if k not in video}
    if isinstance(content, dict):
        for key in ("videos", "captions", "trickPlayFiles"):
            if isinstance(content.get(key), dict):  # one entry written without its list
                warnings.append(f"{label}: content.{key}: one object, not a list; read as a list of one")
                content = {**content, key: [content[key]]}
        moved = [k for k in ("duration", "dateAdded", "language") if item.get(k) is not None and content.get(k) is None
                 and not (k == "language" and item.get("content") is not None)]
        if moved:
            warnings.append(f"{label}: {', '.join(moved)}: on the item, not in content; read as content.{moved[0]}")
            content = {**content, **{k: item[k] for k in moved}}
        item = {**item, "content": content}
    return item


def _playable(content) -> bool:
    videos = content.get("videos") if isinstance(content, dict) else None
    return isinstance(videos, list) and any(isinstance(v, dict) and is_http_url(v.get("url")) for v in videos)


def _rating_of(item: dict, label: str, warnings: list[str]):
    """A rating as {rating, ratingSource}, rebuilt where the feed's intent is clear: a
    one-element list, a text rating beside the item's own ratingSource."""
    rating = item.get("rating")
    if rating is None and isinstance(item.get("ratings"), (dict, list)):
        warnings.append(f"{label}: ratings: read as rating (the DP name)")
        rating = item["ratings"]
    if isinstance(rating, list) and len(rating) == 1:
        warnings.append(f"{label}: rating: a list of one rating; read as that rating")
        rating = rating[0]
    if isinstance(rating, (str, int)) and not isinstance(rating, bool) and isinstance(item.get("ratingSource"), str):
        warnings.append(f"{label}: rating: {excerpt(rating)} with the item's ratingSource {excerpt(item['ratingSource'])}; "
                        "read as one rating object")
        rating = {"rating": rating, "ratingSource": item["ratingSource"]}
    if isinstance(rating, dict) and isinstance(rating.get("rating"), str) and rating["rating"] not in RATINGS:
        plain = re.sub(r"[\s-]", "", rating["rating"]).upper()
        if plain in RATINGS:  # "TV-G", "pg-13": Roku's spelling, said
            warnings.append(f"{label}: rating.rating: {excerpt(rating['rating'])}; read as {plain!r}")
            rating = {**rating, "rating": plain}
    if rating is not None and not isinstance(rating, dict):
        warnings.append(f"{label}: rating: {excerpt(rating)} is not a rating object {{rating, ratingSource}}; left out")
        return None
    return rating


def item_fields(item: dict, kind: str, label: str, warnings: list[str], job: "_Import | None" = None) -> tuple[dict, str]:
    """A DP item (or episode) in the article fields build_article checks, repaired where
    Roku's template could still play it; one ArticleError when it could not (no id, no
    title or no video URL)."""
    item = _content_from_item(item, label, warnings)
    if isinstance(item.get("content"), dict):
        item = {**item, "content": _text_ok(item["content"], label, ("videos",), warnings, "content.")}
    item = _text_ok(item, label, ("id", "title", "content"), warnings)
    content = item.get("content")
    missing = [k for k in ("id", "title") if _missing(item.get(k))]
    if not _playable(content):
        missing.append("content.videos[].url")
    if missing:
        raise ArticleError(label, ", ".join(missing), "is missing: Roku's template needs an id, a title and a video URL; "
                                                      "the item is skipped")
    nulls = [k for k, v in item.items() if v is None] + [f"content.{k}" for k, v in content.items() if v is None]
    if nulls:
        warnings.append(f"{label}: {', '.join(nulls)}: null; left out")
    when = _when(content.get("dateAdded"), label, "content.dateAdded", warnings)
    if not isinstance(when, datetime):
        when = _date_added(when, item.get("releaseDate"), label, warnings, job)
    duration, estimate = _duration_of(content, kind, label, warnings, job)
    videos = content["videos"]
    summary = item.get("shortDescription")
    if _missing(summary) and not isinstance(item.get("longDescription"), str):
        warnings.append(f"{label}: shortDescription: missing; the title is used")
        summary = item.get("title")
    if kind in ("movie", "tvSpecial", "shortFormVideo", "liveFeed") and item.get("genres") is None and job is not None:
        warnings.append(f"{label}: genres: missing; the channel's ({', '.join(job.channel.genres)}) used")
    if item.get("releaseDate") is None:
        warnings.append(f"{label}: releaseDate: missing; dateAdded's date used")
    rating = _rating_fields(item, label, warnings)
    long = item.get("longDescription")
    if long is not None and not isinstance(long, str):
        warnings.append(f"{label}: longDescription: must be text, got {excerpt(long)}; left out")
        long = None
    photo = _photo_of(item, label, warnings, job)
    start, end = content.get("validityPeriodStart"), content.get("validityPeriodEnd")
    fields = {
        "id": _id(item.get("id"), label, warnings), "title": item.get("title"), "summary": summary,
        "date": when, "release_date": item.get("releaseDate"), "tags": item.get("tags"), "genres": item.get("genres"),
        "photo": photo, "type": kind, "language": content.get("language"),
        "videos": [_video_fields(v, duration, label, i, warnings, estimate) for i, v in enumerate(videos)],
        "rating": rating,
        "credits": _in_our_names(item.get("credits"), {"name": "name", "role": "role", "birth_date": "birthDate"}),
        "captions": _in_our_names(content.get("captions"), {"url": "url", "language": "language", "type": "captionType"}),
        "external_ids": _in_our_names(item.get("externalIds"), {"id": "id", "type": "idType"}),
        "trickplay": content.get("trickPlayFiles"), "ad_breaks": content.get("adBreaks"),
        "available": {"from": start, "until": end} if start is not None or end is not None else None,
    }
    return {k: v for k, v in fields.items() if v is not None}, long or ""


def _duration_of(content: dict, kind: str, label: str, warnings: list[str], job) -> tuple[float, object]:
    """content.duration, or what is written instead (said which); and the bitrate estimator's
    guess for it when the feed's own length is used."""
    duration = _number(content.get("duration"), label, "content.duration", warnings)
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) \
            or not 0 < duration <= MAX_DURATION:
        said = "missing" if content.get("duration") is None else f"{excerpt(content['duration'])} is not a length in seconds"
        if kind == "liveFeed":
            warnings.append(f"{label}: content.duration: {said}; {LIVE_DURATION} s written (a live stream has no length)")
            return LIVE_DURATION, None
        warnings.append(f"{label}: content.duration: {said}; 1 s written (the DP minimum; players read the real "
                        "length from the stream)")
        return 1, None
    return duration, (job.estimator(duration) if job is not None else None)


def _rating_fields(item: dict, label: str, warnings: list[str]):
    """The item's rating in our names (its number as text, as DP writes it)."""
    rating = _rating_of(item, label, warnings)
    if isinstance(rating, dict):
        rating = {"rating": rating.get("rating"), "source": rating.get("ratingSource")}
        if isinstance(rating["rating"], int) and not isinstance(rating["rating"], bool):
            rating["rating"] = str(rating["rating"])
    return rating


def _photo_of(item: dict, label: str, warnings: list[str], job) -> str | None:
    """The thumbnail as the item's photo: an http(s) URL or a file beside the feed, else None
    (a title card is drawn)."""
    photo = item.get("thumbnail")
    if not is_http_url(photo) and not (job is not None and job.local_file(photo)):
        warnings.append(f"{label}: thumbnail: {'missing' if _missing(photo) else excerpt(photo) + ' is not an http(s) URL'}; "
                        "a title card is drawn")
        return None
    return photo


def _date_added(value, release, label: str, warnings: list[str], job) -> datetime:
    """content.dateAdded that is missing or unreadable: the item's releaseDate, else the
    feed's lastUpdated, else 1970-01-01 (said which)."""
    try:
        return parse_date(value, label, "content.dateAdded")
    except ArticleError:
        pass
    said = "missing" if value is None else f"{excerpt(value)} is not a date"
    for what, raw in (("releaseDate", release), ("the feed's lastUpdated", job.last_updated if job else None)):
        try:
            when = _when(raw, label, what, []) if raw is not None else None
            when = when if isinstance(when, datetime) else parse_date(raw, label) if raw is not None else None
        except ArticleError:
            when = None
        if when is not None:
            warnings.append(f"{label}: content.dateAdded: {said}; {what} used")
            return when
    warnings.append(f"{label}: content.dateAdded: {said}; 1970-01-01 used")
    return datetime(1970, 1, 1, tzinfo=timezone.utc)


class _Import:
    """One feed's import: its articles, the errors of skipped items, the warnings."""

    def __init__(self, channel, source, fetcher, short_max, name, language=None, last_updated=None):
        self.channel, self.short_max, self.name = channel, short_max, name
        self.base = source.path if source.path else channel.root / "channel.toml"
        self.fetcher = fetcher
        self.content = Content()
        self.last_updated = last_updated
        self.keep_order = getattr(source, "order", "source") == "source"
        self.position = 0
        self.head_deadline: float | None = None
        # The feed's own language is its items' unless they say otherwise (not the channel's).
        self.language = language.strip() if isinstance(language, str) and LANGUAGE.match(language.strip()) else None
        if language is not None and self.language is None:
            self.warn(f"{name}: language: {excerpt(language)} is not a language code; the channel's is used")

    def warn(self, line: str) -> None:
        self.content.warnings.append(line)

    def local_file(self, ref) -> bool:
        """A thumbnail given as a file in the channel folder (rendered like an article's)."""
        if not isinstance(ref, str) or not ref.strip() or "://" in ref:
            return False
        try:
            return (self.base.parent / ref.strip()).resolve().is_relative_to(self.channel.root) and \
                (self.base.parent / ref.strip()).is_file()
        except (OSError, ValueError):
            return False

    def estimator(self, duration):
        """url -> (kbps, None) from a HEAD request's Content-Length × 8 ÷ duration, or
        (None, why not). Bounded: HEAD_BUDGET seconds for the whole feed."""
        if self.fetcher is None:
            return None

        def estimate(url):
            if not is_http_url(url):
                return None, "no URL to ask"
            if self.head_deadline is None:
                self.head_deadline = time.monotonic() + HEAD_BUDGET
            if time.monotonic() > self.head_deadline:
                return None, f"the {HEAD_BUDGET:g} s for size requests were spent"
            try:
                size = self.fetcher.content_length(url.strip())
            except RemoteError as e:
                return None, f"its size is unknown: {e}"
            return max(1, round(size * 8 / duration / 1000)), None
        return estimate

    def next_position(self) -> int | None:
        self.position += 1
        return self.position if self.keep_order else None

    def item(self, label: str, item: dict, kind: str, series: dict | None = None) -> None:
        warnings: list[str] = []
        position = self.next_position()
        try:
            fields, body = item_fields(item, kind, label, warnings, self)
            # A live feed may name its language on the item (Roku's own live example does).
            language = fields.pop("language", None)
            if language is not None and not (isinstance(language, str) and LANGUAGE.match(language.strip())):
                warnings.append(f"{label}: content.language: {excerpt(language)} must be a language code like en or en-US; left out")
                language = None
            own = item.get("language") if kind == "liveFeed" and isinstance(item.get("language"), str) else None
            if language or own or self.language:
                fields["language"] = language or own or self.language
            if series is not None:
                fields["series"] = series
            article = build_article(self.channel, label, self.base, fields, body, self.short_max, self.fetcher,
                                    keep_remote_thumbnail=self.fetcher is None, imported=True)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, _dp_field(e.field), e.detail))
            return
        lines = tuple(warnings) + tuple(_dp_line(w, label) for w in article.warnings)
        self.content.articles.append(dataclasses.replace(article, warnings=lines, position=position))

    def series(self, i: int, series) -> None:
        sid = series.get("id") if isinstance(series, dict) else None
        label = f"{self.name} series[{i}] ({_shown(sid)})"
        if not isinstance(series, dict):
            self.content.errors.append(ArticleError(label, None, f"{excerpt(series)} is not a series object; skipped"))
            return
        warnings: list[str] = []
        try:
            own = _text_ok({k: v for k, v in series.items() if k not in ("seasons", "episodes")}, label,
                           ("id", "title"), warnings)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, e.field, "can't be written as text; the series and its episodes are skipped"))
            return
        series = {**own, **{k: series[k] for k in ("seasons", "episodes") if k in series}}
        seasons, episodes = series.get("seasons"), series.get("episodes")
        groups = seasons if isinstance(seasons, list) and seasons else None
        flat = episodes if groups is None and isinstance(episodes, list) and episodes else None
        count = sum(len(s["episodes"]) for s in groups or () if isinstance(s, dict) and isinstance(s.get("episodes"), list)) \
            + len(flat or ())
        missing = [k for k in ("id", "title") if _missing(series.get(k))]
        if groups is None and flat is None:
            missing.append("seasons or episodes")
        sid = _id(sid, label, warnings)
        if not missing and not isinstance(sid, str):
            missing.append("id")
        if missing:
            self.content.errors.append(ArticleError(label, ", ".join(missing), "is missing: a series needs an id, a title and "
                                                    f"episodes; the series and its {count} episode(s) are skipped"))
            return
        summary = series.get("shortDescription")
        if _missing(summary) and not isinstance(series.get("longDescription"), str):
            warnings.append(f"{label}: shortDescription: missing; the title is used")
            summary = series.get("title")
        if series.get("genres") is None:
            warnings.append(f"{label}: genres: missing; the channel's ({', '.join(self.channel.genres)}) used")
        if series.get("releaseDate") is None:
            warnings.append(f"{label}: releaseDate: missing; the oldest episode's date used")
        fields = {"title": series.get("title"), "summary": summary,
                  "long_description": series.get("longDescription"), "genres": series.get("genres"),
                  "tags": series.get("tags"), "release_date": series.get("releaseDate"),
                  "credits": _in_our_names(series.get("credits"), {"name": "name", "role": "role", "birth_date": "birthDate"}),
                  "external_ids": _in_our_names(series.get("externalIds"), {"id": "id", "type": "idType"})}
        try:
            parts = imported_series_parts({k: v for k, v in fields.items() if v is not None}, label, self.short_max, warnings)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, _dp_field(e.field), f"{e.detail}; the series and its {count} episode(s) are skipped"))
            return
        warnings = [_dp_line(w, label) for w in warnings]
        thumbnail, photo = self._series_thumbnail(label, series.get("thumbnail"), warnings)
        infos = self._seasons(label, sid, parts["title"], groups, flat, warnings)
        self.content.warnings += warnings
        self.content.series.append(ImportedSeries(id=sid, thumbnail_url=thumbnail.strip() if thumbnail else None, photo=photo,
                                                  seasons=tuple(infos), **parts))

    def _series_thumbnail(self, label: str, thumbnail, warnings: list[str]) -> tuple[str | None, Path | None]:
        """The series' thumbnail URL if it is one, and its photo when the source may fetch."""
        if not is_http_url(thumbnail):
            # One rule for a missing and a malformed one (Roku's template shows a series' tile).
            warnings.append(f"{label}: thumbnail: {'missing' if _missing(thumbnail) else excerpt(thumbnail) + ' is not an http(s) URL'}"
                            "; the newest episode's used")
            return None, None
        photo = None
        if thumbnail and self.fetcher is not None:
            # Rendered like the items' thumbnails when the source allows remote fetches.
            try:
                photo = self.fetcher.fetch(thumbnail.strip(), MAX_PHOTO_BYTES)
            except RemoteError as e:
                warnings.append(f"{label}: thumbnail: {e}; kept as a URL")
        return thumbnail, photo

    def _seasons(self, label: str, sid: str, series_title: str, groups: list | None, flat: list | None,
                 warnings: list[str]) -> list[ImportedSeason]:
        """Each season's episodes read as items (a series without seasons is one group), and
        what the seasons themselves say."""
        seasons_in = [(s, season) for s, season in enumerate(groups or [{"episodes": flat}])]
        usable = []
        for s, season in seasons_in:
            if not isinstance(season, dict) or not isinstance(season.get("episodes"), list) or not season["episodes"]:
                self.content.errors.append(ArticleError(f"{label} seasons[{s}]", "episodes", "is required: a list of episodes; "
                                                        "the season is skipped"))
                continue
            usable.append((s, season))
        numbers = self._season_numbers(label, usable, warnings) if groups is not None else [None] * len(usable)
        infos = []
        for (s, season), number in zip(usable, numbers, strict=True):
            where = f"{label} seasons[{s}]"
            if groups is not None:
                about = _text_ok({k: v for k, v in season.items() if k not in ("episodes", "seasonNumber")}, where, (), warnings)
                title, thumb = about.get("title"), about.get("thumbnail")
                infos.append(ImportedSeason(number, title.strip() if isinstance(title, str) and title.strip() else None,
                                            thumb.strip() if is_http_url(thumb) else None))
            ref = {"id": sid, "title": series_title, **({"season": number} if number is not None else {})}
            in_season = f" season {number}" if number is not None else ""
            episodes = season["episodes"]
            ep_numbers = self._episode_numbers(f"{self.name} series {_shown(sid)}{in_season}", episodes, warnings)
            for e, (ep, ep_number) in enumerate(zip(episodes, ep_numbers, strict=True)):
                eid = ep.get("id") if isinstance(ep, dict) else None
                ep_label = f"{self.name} series {_shown(sid)}{in_season} episodes[{e}] ({_shown(eid)})"
                if not isinstance(ep, dict):
                    self.content.errors.append(ArticleError(ep_label, None, f"{excerpt(ep)} is not an episode object; skipped"))
                    continue
                self.item(ep_label, ep, "episode", {**ref, "episode": ep_number})
        return infos

    def _season_numbers(self, label: str, seasons: list, warnings: list[str]) -> list[int]:
        """Each season's number: its own when every season has a distinct one, else by
        position (as Roku's template numbers them), each change said."""
        raw = [_number(season.get("seasonNumber"), f"{label} seasons[{s}]", "seasonNumber", warnings) for s, season in seasons]
        ok = [n for n in raw if isinstance(n, int) and not isinstance(n, bool) and n >= 0]
        if len(ok) == len(raw) and len(set(ok)) == len(ok):
            return raw
        for (s, _), n in zip(seasons, raw, strict=True):
            if n != s + 1:
                said = "missing" if n is None else f"{excerpt(n)} is repeated" if ok.count(n) > 1 \
                    else f"{excerpt(n)} (the others' are missing or repeated)" if n in ok else f"{excerpt(n)} is not a number"
                warnings.append(f"{label} seasons[{s}]: seasonNumber: {said}; numbered {s + 1} by its position")
        return [s + 1 for s in range(len(seasons))]

    def _episode_numbers(self, where: str, episodes: list, warnings: list[str]) -> list[int]:
        """Each episode's number: its own when all are distinct numbers, else 1, 2, ... in
        the feed's order, each change said."""
        raw = []
        for e, ep in enumerate(episodes):
            eid = ep.get("id") if isinstance(ep, dict) else None
            raw.append(_number(ep.get("episodeNumber"), f"{where} episodes[{e}] ({_shown(eid)})", "episodeNumber", warnings)
                       if isinstance(ep, dict) else None)
        ok = [n for n in raw if isinstance(n, int) and not isinstance(n, bool) and n >= 0]
        if len(ok) == len(raw) and len(set(ok)) == len(ok):
            return raw
        for e, (ep, n) in enumerate(zip(episodes, raw, strict=True)):
            if n != e + 1 and isinstance(ep, dict):
                said = "missing" if n is None else f"{excerpt(n)} is repeated" if ok.count(n) > 1 \
                    else f"{excerpt(n)} (the others' are missing or repeated)" if n in ok else f"{excerpt(n)} is not a number"
                warnings.append(f"{where} episodes[{e}] ({_shown(ep.get('id'))}): episodeNumber: {said}; numbered {e + 1} "
                                "in the feed's order")
        return [e + 1 for e in range(len(episodes))]

    def categories(self, raw, playlists: list[Playlist]) -> list[Category]:
        out = []
        names = {p.name for p in playlists}
        for i, c in enumerate(raw):
            where = f"{self.name} categories[{i}]"
            if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"].strip() or not _writable(c):
                self.warn(f"{where}: name: a category needs a name (text that can be written); left out")
                continue
            where = f"{where} ({c['name']})"
            query, playlist = c.get("query"), c.get("playlistName")
            if (query is None) == (playlist is None):
                self.warn(f"{where}: needs exactly one of query and playlistName; left out")
                continue
            if query is not None and (not isinstance(query, str) or not query.strip() or query_operator_problem(query)):
                self.warn(f"{where}: query: {query_operator_problem(query) if isinstance(query, str) and query.strip() else excerpt(query)}"
                          " is not a query of tags; left out")
                continue
            if playlist is not None and (not isinstance(playlist, str) or playlist not in names):
                self.warn(f"{where}: playlistName: {excerpt(playlist)} names no playlist kept; left out")
                continue
            order = c.get("order")
            fallback = "manual" if playlist is not None else "most_recent"
            if order not in CATEGORY_ORDERS or (order == "manual" and playlist is None):
                self.warn(f"{where}: order: {'missing' if order is None else excerpt(order)} is not one Roku takes "
                          f"for a {'playlist' if playlist is not None else 'query'} row; {fallback} is used")
                order = fallback
            out.append(Category(name=c["name"], order=order, query=normalize_query(query) if query is not None else None,
                                playlist=playlist))
        return out

    def playlists(self, raw) -> list[Playlist]:
        out = []
        for i, p in enumerate(raw):
            where = f"{self.name} playlists[{i}]"
            name = p.get("name") if isinstance(p, dict) and _writable(p) else None
            if not isinstance(name, str) or not name.strip() or len(name) > PLAYLIST_NAME_MAX:
                self.warn(f"{where}: name: {excerpt(name)} must be text of 1 to {PLAYLIST_NAME_MAX} characters; "
                          "the playlist (and its row) is left out")
                continue
            ids = p.get("itemIds")
            if not isinstance(ids, list):
                self.warn(f"{where} ({name}): itemIds: {excerpt(ids)} is not a list of ids; left out")
                continue
            kept = [str(x) for x in ids if isinstance(x, (str, int)) and not isinstance(x, bool)]
            if len(kept) != len(ids):
                self.warn(f"{where} ({name}): itemIds: {len(ids) - len(kept)} entries that aren't ids left out")
            out.append(Playlist(name=name, items=tuple(kept)))
        return out


def _shown(value) -> str:
    """An id as messages name it: escapes for text that can't be printed, cut when long."""
    text = str(value).encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= 80 else text[:77] + "..."


def _writable(node) -> bool:
    try:
        check_text(node, "")
    except ArticleError:
        return False
    return True


def read(channel, source, fetcher, short_max, exclude=()) -> Content:
    """Items, series, categories and playlists of an existing DP feed. Thumbnails are
    downloaded and re-rendered with allow_remote; otherwise kept as URLs."""
    try:
        data, name = load_bytes(channel, source, fetcher)
        feed = json.loads(data.decode("utf-8-sig"))
        if not isinstance(feed, dict):
            raise ValueError(f"its root is a JSON {type(feed).__name__}, not an object")
    except ArticleError as e:
        return Content(errors=[e])
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        return Content(errors=[ArticleError(source.name, None, f"is not a DP JSON feed: {e}")])
    renamed: dict[str, str] = {}
    feed = _camel_keys(feed, renamed)
    job = _Import(channel, source, fetcher, short_max, name, feed.get("language"), feed.get("lastUpdated"))
    if renamed:
        job.warn(f"{name}: {len(renamed)} snake_case key(s) read as the DP names: "
                 + ", ".join(f"{k} as {v}" for k, v in sorted(renamed.items())[:6]) + ("..." if len(renamed) > 6 else ""))

    def array(key: str) -> list:
        value = feed.get(key)
        if value is not None and not isinstance(value, list):
            job.warn(f"{name}: {key}: {excerpt(value)} is not a list; left out")
        return value if isinstance(value, list) else []

    for key, kind in _DP_KINDS.items():
        for i, item in enumerate(array(key)):
            label = f"{name} {key}[{i}] ({_shown(item.get('id') if isinstance(item, dict) else None)})"
            if isinstance(item, dict):
                job.item(label, item, kind)
            else:
                job.content.errors.append(ArticleError(label, None, f"{excerpt(item)} is not an item object; skipped"))
    for i, series in enumerate(array("series")):
        job.series(i, series)
    if not any(isinstance(feed.get(key), list) for key in (*_DP_KINDS, "series")):
        others = [f"{k} ({len(v)})" for k, v in feed.items() if isinstance(v, list) and v and k not in ("categories", "playlists")]
        job.content.errors.append(ArticleError(name, None, "has none of the DP content arrays (movies, series, shortFormVideos, "
                                               "tvSpecials, liveFeeds)" + (f"; not read: {', '.join(others)}" if others else "")))
    job.content.playlists = job.playlists(array("playlists"))
    job.content.categories = job.categories(array("categories"), job.content.playlists)
    # Every line of this feed's import, grouped by rule (read_content adds articles' own).
    lines = job.content.warnings + [w for a in job.content.articles for w in a.warnings]
    job.content.articles = [dataclasses.replace(a, warnings=()) for a in job.content.articles]
    job.content.warnings = group_warnings(lines, name)
    return job.content


@cache
def _dp_keys() -> frozenset[str]:
    schema = feed_schema()
    keys = set(schema["properties"])
    for node in schema["$defs"].values():
        keys |= set(node.get("properties", {}))
    return frozenset(keys)


def _camel_keys(node, renamed: dict[str, str]):
    """Keys some generators write in snake_case (short_description, video_type) as the DP
    names, where the DP name isn't there already."""
    if isinstance(node, list):
        return [_camel_keys(x, renamed) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        camel = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), k) if isinstance(k, str) and "_" in k else k
        if camel != k and camel in _dp_keys() and camel not in node:
            renamed[k] = camel
            k = camel
        out[k] = _camel_keys(v, renamed)
    return out


# A line of the import: "<feed> <where> (<id>): <field>: <what>".
_LINE = re.compile(r"^(?P<where>.*?\((?P<id>[^()]*)\)(?: seasons\[\d+\])?): (?P<rest>.*)$", re.S)
SHOWN_IDS = 3


def rule_of(rest: str) -> str:
    """A line's rule: its field and message with indexes, quoted values and numbers taken
    out, so the same repair on 1,700 items is one rule."""
    rule = re.sub(r"\[\d+\]", "[]", rest)
    rule = re.sub(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", "…", rule)
    return re.sub(r"\b\d[\d,.]*\b", "N", rule)


def group_warnings(lines: list[str], name: str) -> list[str]:
    """One line per rule with how many items it touched and the first ids; a rule met
    once keeps its own line."""
    groups: dict[str, list[tuple[str, str]]] = {}
    order: list[str] = []
    for line in lines:
        m = _LINE.match(line)
        key = rule_of(m["rest"]) if m else line
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append((m["id"], line) if m else ("", line))
    out = []
    for key in order:
        entries = groups[key]
        ids = list(dict.fromkeys(i for i, _ in entries))
        if len(ids) == 1:
            out += [line for _, line in entries]
            continue
        first = _LINE.match(entries[0][1])
        shown = ", ".join(ids[:SHOWN_IDS]) + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
        out.append(f"{name}: {len(ids)} items ({shown}): {first['rest'] if first else entries[0][1]}"
                   + ("" if all(line.endswith(first["rest"]) for _, line in entries) else " (and alike)"))
    return out


_GROUPED = re.compile(r"^.*?: (?P<n>\d+) items \((?P<ids>[^)]*)\): (?P<rest>.*)$", re.S)


def tally(lines: list[str]) -> list[tuple[str, int]]:
    """(rule as first said, items it touched) for the import's lines, grouped or not, in the
    order first met: migrate's "repaired by rule"."""
    counts: dict[str, int] = {}
    shown: dict[str, str] = {}
    for line in lines:
        m = _GROUPED.match(line)
        n = int(m["n"]) if m else 1
        m = m or _LINE.match(line)
        if not m:
            continue
        rest = m["rest"].removesuffix(" (and alike)")
        key = rule_of(rest)
        counts[key] = counts.get(key, 0) + n
        shown.setdefault(key, rest)
    return [(shown[k], counts[k]) for k in counts]
