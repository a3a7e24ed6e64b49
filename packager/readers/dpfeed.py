"""The dp-feed reader: an existing Direct Publisher feed (a migration), carried over as it
is: ids, releaseDate, content.language, every video, captions, trick play files, ad breaks,
ratings, credits, external ids, series and seasons with their own metadata, categories and
playlists. A malformed optional field is left out with a warning naming feed, item and
field; a missing required field (DP spec) skips that item with one line. Numbers written as
text ("1", as in the spec's own example) are read as numbers, with a warning."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from packager.articles import build_article, check_text, imported_series_parts, parse_date
from packager.config import Category, Playlist
from packager.dp import CATEGORY_ORDERS, LANGUAGE, PLAYLIST_NAME_MAX, feed_schema, is_http_url, query_operator_problem
from packager.errors import ArticleError, excerpt
from packager.ids import normalize_query
from packager.model import ImportedSeason, ImportedSeries
from packager.readers import Content
from packager.readers.common import load_bytes
from packager.remote import MAX_PHOTO_BYTES, RemoteError

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


def _required(kind: str) -> tuple[str, ...]:
    """What the DP spec (our feed schema) says an object can't be without."""
    return tuple(feed_schema()["$defs"][kind]["required"])


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


def _video_fields(video, duration, label: str, i: int, warnings: list[str]):
    if not isinstance(video, dict):
        return video  # the video check names it
    out = {"url": video.get("url"), "duration": duration, "type": video.get("videoType"), "quality": video.get("quality")}
    if "bitrate" in video and video["bitrate"] is None:
        warnings.append(f"{label}: content.videos[{i}].bitrate: null; left out")
    elif "bitrate" in video:
        bitrate = _number(video["bitrate"], label, f"content.videos[{i}].bitrate", warnings)
        if isinstance(bitrate, int) and not isinstance(bitrate, bool) and bitrate > 0:
            out["bitrate"] = bitrate
        else:
            # Optional for adaptive streams; an MP4/MOV/M4V then lacks it, which skips the item.
            warnings.append(f"{label}: content.videos[{i}].bitrate: {excerpt(video['bitrate'])} is not a number of kbps; left out")
    return out


def _entries(raw, mapping: dict[str, str]):
    """DP entries (credits, captions, ...) in our field names; non-entries pass through for
    the entry check to name."""
    if not isinstance(raw, list):
        return raw
    return [{ours: e[theirs] for ours, theirs in mapping.items() if e.get(theirs) is not None} if isinstance(e, dict) else e
            for e in raw]


def item_fields(item: dict, kind: str, label: str, warnings: list[str]) -> tuple[dict, str]:
    """A DP item (or episode) in the article fields build_article checks, or one
    ArticleError naming every required field it lacks."""
    if isinstance(item.get("content"), dict):
        item = {**item, "content": _text_ok(item["content"], label, _required("content"), warnings, "content.")}
    item = _text_ok(item, label, (*_required(kind), "content"), warnings)
    content = item.get("content")
    missing = [k for k in _required(kind) if _missing(item.get(k))]
    if isinstance(content, dict):
        missing += [f"content.{k}" for k in _required("content") if _missing(content.get(k))]
    elif "content" not in missing:
        missing.append("content")
    if missing:
        raise ArticleError(label, ", ".join(missing), "is required by the DP spec; the item is skipped")
    nulls = [k for k, v in item.items() if v is None] + [f"content.{k}" for k, v in content.items() if v is None]
    if nulls:
        warnings.append(f"{label}: {', '.join(nulls)}: null; left out")
    duration = _number(content["duration"], label, "content.duration", warnings)
    videos = content["videos"]
    if not isinstance(videos, list):
        raise ArticleError(label, "content.videos", f"{excerpt(videos)} must be a list of videos; the item is skipped")
    rating = item.get("rating")
    if rating is not None and not isinstance(rating, dict):
        warnings.append(f"{label}: rating: {excerpt(rating)} is not a rating object {{rating, ratingSource}}; left out")
        rating = None
    if isinstance(rating, dict):
        rating = {"rating": rating.get("rating"), "source": rating.get("ratingSource")}
        if isinstance(rating["rating"], int) and not isinstance(rating["rating"], bool):
            rating["rating"] = str(rating["rating"])
    long = item.get("longDescription")
    if long is not None and not isinstance(long, str):
        warnings.append(f"{label}: longDescription: must be text, got {excerpt(long)}; left out")
        long = None
    start, end = content.get("validityPeriodStart"), content.get("validityPeriodEnd")
    fields = {
        "id": _id(item.get("id"), label, warnings), "title": item.get("title"), "summary": item.get("shortDescription"),
        "date": _when(content.get("dateAdded"), label, "content.dateAdded", warnings),  # else parse_date names it
        "release_date": item.get("releaseDate"), "tags": item.get("tags"), "genres": item.get("genres"),
        "photo": item.get("thumbnail"), "type": kind, "language": content.get("language"),
        "videos": [_video_fields(v, duration, label, i, warnings) for i, v in enumerate(videos)],
        "rating": rating,
        "credits": _entries(item.get("credits"), {"name": "name", "role": "role", "birth_date": "birthDate"}),
        "captions": _entries(content.get("captions"), {"url": "url", "language": "language", "type": "captionType"}),
        "external_ids": _entries(item.get("externalIds"), {"id": "id", "type": "idType"}),
        "trickplay": content.get("trickPlayFiles"), "ad_breaks": content.get("adBreaks"),
        "available": {"from": start, "until": end} if start is not None or end is not None else None,
    }
    return {k: v for k, v in fields.items() if v is not None}, long or ""


class _Import:
    """One feed's import: its articles, the errors of skipped items, the warnings."""

    def __init__(self, channel, source, fetcher, short_max, name, language=None):
        self.channel, self.short_max, self.name = channel, short_max, name
        self.base = source.path if source.path else channel.root / "channel.toml"
        self.fetcher = fetcher
        self.content = Content()
        # The feed's own language is its items' unless they say otherwise (not the channel's).
        self.language = language.strip() if isinstance(language, str) and LANGUAGE.match(language.strip()) else None
        if language is not None and self.language is None:
            self.warn(f"{name}: language: {excerpt(language)} is not a language code; the channel's is used")

    def warn(self, line: str) -> None:
        self.content.warnings.append(line)

    def item(self, label: str, item: dict, kind: str, series: dict | None = None) -> None:
        warnings: list[str] = []
        try:
            fields, body = item_fields(item, kind, label, warnings)
            # A live feed may name its language on the item (Roku's own live example does).
            language = fields.pop("language", None)
            if language is not None and not (isinstance(language, str) and LANGUAGE.match(language.strip())):
                warnings.append(f"{label}: content.language: {excerpt(language)} must be a language code like en or en-US; left out")
                language = None
            own = item.get("language") if kind == "liveFeed" and isinstance(item.get("language"), str) else None
            if language or own or self.language:
                fields["language"] = language or own or self.language
            if series is not None:
                number = _number(item.get("episodeNumber"), label, "episodeNumber", warnings)
                fields["series"] = {**series, "episode": number}
            article = build_article(self.channel, label, self.base, fields, body, self.short_max, self.fetcher,
                                    keep_remote_thumbnail=self.fetcher is None, imported=True)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, _dp_field(e.field), e.detail))
            return
        lines = tuple(warnings) + tuple(_dp_line(w, label) for w in article.warnings)
        self.content.articles.append(dataclasses.replace(article, warnings=lines))

    def series(self, i: int, series) -> None:
        sid = series.get("id") if isinstance(series, dict) else None
        label = f"{self.name} series[{i}] ({_shown(sid)})"
        if not isinstance(series, dict):
            self.content.errors.append(ArticleError(label, None, f"{excerpt(series)} is not a series object; skipped"))
            return
        warnings: list[str] = []
        try:
            own = _text_ok({k: v for k, v in series.items() if k not in ("seasons", "episodes")}, label,
                           _required("series"), warnings)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, e.field, "can't be written as text; the series and its episodes are skipped"))
            return
        series = {**own, **{k: series[k] for k in ("seasons", "episodes") if k in series}}
        seasons, episodes = series.get("seasons"), series.get("episodes")
        groups = seasons if isinstance(seasons, list) and seasons else None
        flat = episodes if groups is None and isinstance(episodes, list) and episodes else None
        count = sum(len(s["episodes"]) for s in groups or () if isinstance(s, dict) and isinstance(s.get("episodes"), list)) \
            + len(flat or ())
        missing = [k for k in _required("series") if _missing(series.get(k))]
        if groups is None and flat is None:
            missing.append("seasons or episodes")
        sid = _id(sid, label, warnings)
        if not missing and not isinstance(sid, str):
            missing.append("id")
        if missing:
            self.content.errors.append(ArticleError(label, ", ".join(missing), "is required by the DP spec; the series "
                                                    f"and its {count} episode(s) are skipped"))
            return
        fields = {"title": series.get("title"), "summary": series.get("shortDescription"),
                  "long_description": series.get("longDescription"), "genres": series.get("genres"),
                  "tags": series.get("tags"), "release_date": series.get("releaseDate"),
                  "credits": _entries(series.get("credits"), {"name": "name", "role": "role", "birth_date": "birthDate"}),
                  "external_ids": _entries(series.get("externalIds"), {"id": "id", "type": "idType"})}
        try:
            parts = imported_series_parts({k: v for k, v in fields.items() if v is not None}, label, self.short_max, warnings)
        except ArticleError as e:
            self.content.errors.append(ArticleError(e.source, _dp_field(e.field), f"{e.detail}; the series and its {count} episode(s) are skipped"))
            return
        warnings = [_dp_line(w, label) for w in warnings]
        thumbnail = series.get("thumbnail")
        if not is_http_url(thumbnail):
            warnings.append(f"{label}: thumbnail: {excerpt(thumbnail)} is not an http(s) URL; the newest episode's is used")
            thumbnail = None
        photo = None
        if thumbnail and self.fetcher is not None:
            # Rendered like the items' thumbnails when the source allows remote fetches.
            try:
                photo = self.fetcher.fetch(thumbnail.strip(), MAX_PHOTO_BYTES)
            except RemoteError as e:
                warnings.append(f"{label}: thumbnail: {e}; kept as a URL")
        infos = []
        for s, season in enumerate(groups or [{"episodes": flat}]):
            where = f"{label} seasons[{s}]"
            if not isinstance(season, dict) or not isinstance(season.get("episodes"), list) or not season["episodes"]:
                self.content.errors.append(ArticleError(where, "episodes", "is required: a list of episodes; the season is skipped"))
                continue
            number = None
            if groups is not None:
                number = _number(season.get("seasonNumber"), where, "seasonNumber", warnings)
                if isinstance(number, bool) or not isinstance(number, int) or number < 0:
                    self.content.errors.append(ArticleError(where, "seasonNumber", f"{excerpt(number)} is not a season number "
                                                            f"(required by the DP spec); its {len(season['episodes'])} episode(s) are skipped"))
                    continue
                about = _text_ok({k: v for k, v in season.items() if k != "episodes"}, where, ("seasonNumber",), warnings)
                title, thumb = about.get("title"), about.get("thumbnail")
                infos.append(ImportedSeason(number, title.strip() if isinstance(title, str) and title.strip() else None,
                                            thumb.strip() if is_http_url(thumb) else None))
            ref = {"id": sid, "title": parts["title"], **({"season": number} if number is not None else {})}
            for e, ep in enumerate(season["episodes"]):
                eid = ep.get("id") if isinstance(ep, dict) else None
                ep_label = f"{self.name} series {_shown(sid)}" + (f" season {number}" if number is not None else "") + f" episodes[{e}] ({_shown(eid)})"
                if not isinstance(ep, dict):
                    self.content.errors.append(ArticleError(ep_label, None, f"{excerpt(ep)} is not an episode object; skipped"))
                    continue
                self.item(ep_label, ep, "episode", ref)
        self.content.warnings += warnings
        self.content.series.append(ImportedSeries(id=sid, thumbnail_url=thumbnail.strip() if thumbnail else None, photo=photo,
                                                  seasons=tuple(infos), **parts))

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
    job = _Import(channel, source, fetcher, short_max, name, feed.get("language"))

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
    return job.content
