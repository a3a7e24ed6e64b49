"""Article fields -> an Article. Every reader maps its items onto the fields the Markdown
front matter uses (title, date, photo, video, ...) and calls build_article, so every source
checks fields the same way and reports a bad one as one ArticleError: the file or item, the
field, what to fix."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from datetime import date, datetime, time, timezone
from pathlib import Path
from urllib.parse import urlsplit

from packager.config import Channel
from packager.dp import (
    ARTICLE_KINDS,
    BITRATE_REQUIRED,
    CAPTION_TYPES,
    CREDIT_ROLES,
    EXTENSION_TYPES,
    GENRES,
    HTTP_URL,
    ID_TYPES,
    LANGUAGE,
    RATING_SOURCES,
    RATINGS,
    SHORT_FORM_MAX_SECONDS,
    TRICKPLAY_QUALITIES,
    VIDEO_QUALITIES,
    VIDEO_TYPES,
)
from packager.errors import ArticleError, excerpt
from packager.ids import TAG_MAX, normalize_id, normalize_tag, section_tag
from packager.model import Article, ClipPhoto, SeriesRef, Video
from packager.remote import MAX_PHOTO_BYTES, RemoteError
from packager.safepath import resolve_inside
from packager.text import markdown_to_text
from packager.textfields import compose_text


def _text(fields: dict, source: str, key: str, required: bool = False) -> str | None:
    value = fields.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ArticleError(source, key, "is required")
        return None
    if not isinstance(value, str):
        raise ArticleError(source, key, f"must be text, got {type(value).__name__} {excerpt(value)}; put it in quotes")
    return value.strip()


def parse_date(value, source: str, key: str = "date") -> datetime:
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise ArticleError(source, key, f"{excerpt(value)} is not a date (or not a real one); "
                                            "write 2016-09-28 or 2016-09-28T14:05:00+00:00") from None
    elif value is None:
        raise ArticleError(source, key, "is required (publication time, e.g. 2016-09-28T14:05:00+00:00)")
    else:
        raise ArticleError(source, key, f"{excerpt(value)} is not a date; write 2016-09-28 or 2016-09-28T14:05:00+00:00")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        dt.astimezone(timezone.utc)  # the feed writes UTC: 9999-12-31T23:00-05:00 has no UTC time
    except OverflowError:
        raise ArticleError(source, key, f"{excerpt(value)} is out of range once converted to UTC") from None
    return dt


def check_text(fields, source: str) -> None:
    """Refuse text that can't be written as UTF-8 (a lone surrogate such as "\\ud800" from a
    JSON escape). Each container is visited once, so a YAML alias bomb costs nothing."""
    seen: set[int] = set()
    stack = [(fields, "")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise ArticleError(source, where or None, "holds a lone surrogate (a broken \\u escape); fix the text") from None
        elif isinstance(node, (dict, list)) and id(node) not in seen:
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for k, v in items:
                if isinstance(k, str):
                    stack.append((k, where))
                stack.append((v, f"{where}.{k}" if where else str(k)))


def _tags(fields: dict, source: str, warnings: list[str]) -> tuple[str, ...]:
    """Tags as Roku matches them: lowercase, unique. A tag Roku can't take (over 20
    characters) is left out with a warning; the article stays."""
    raw = fields.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in raw):
        raise ArticleError(source, "tags", "must be a list of words, e.g. [military, iraq]")
    out: list[str] = []
    for t in raw:
        tag = normalize_tag(str(t))
        if not tag:
            continue
        if len(tag) > TAG_MAX:
            warnings.append(f"{source}: tags: {excerpt(tag, 40)} is {len(tag)} characters; Roku allows {TAG_MAX}, "
                            "so it was left out (shorten it to keep it)")
            continue
        if tag not in out:
            out.append(tag)
    return tuple(out)


def _genres(fields: dict, source: str, default: tuple[str, ...]) -> tuple[str, ...]:
    raw = fields.get("genres")
    if raw is None:
        return default
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(g, str) for g in raw):
        raise ArticleError(source, "genres", "must be a list of Roku genres, e.g. [news]")
    out: list[str] = []
    for g in raw:
        genre = g.strip().lower()
        if genre not in GENRES:
            raise ArticleError(source, "genres", f"{excerpt(g)} is not a Roku genre; use one of: {', '.join(GENRES)}")
        if genre not in out:
            out.append(genre)
    return tuple(out) or default


LIVE_DURATION = 24 * 3600  # a live stream has no length; Roku's content object wants one


def _video(fields: dict, source: str, live: bool = False) -> Video:
    raw = fields.get("video")
    if raw is None:
        raise ArticleError(source, "video", "is required: give url and duration (seconds)")
    if not isinstance(raw, dict):
        raise ArticleError(source, "video", "must be fields: url, duration, and optionally type, quality, bitrate")
    url = raw.get("url")
    if not isinstance(url, str) or not HTTP_URL.match(url.strip()):
        raise ArticleError(source, "video.url", f"{excerpt(url)} is not an http(s) URL")
    url = url.strip()
    duration = raw.get("duration")
    if duration is None and live:
        duration = LIVE_DURATION
    if duration is None:
        raise ArticleError(source, "video.duration", "is required: the video's length in seconds")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration <= 0:
        raise ArticleError(source, "video.duration", f"{excerpt(duration)} must be a positive number of seconds")
    vtype = raw.get("type")
    if vtype is None:
        ext = Path(urlsplit(url).path).suffix.lower()
        vtype = EXTENSION_TYPES.get(ext)
        if vtype is None:
            raise ArticleError(source, "video.type", f"can't tell the type from the URL's extension {ext or '(none)'!r}; set type: to one of {', '.join(VIDEO_TYPES)}")
    elif not isinstance(vtype, str) or vtype.strip().upper() not in VIDEO_TYPES:
        raise ArticleError(source, "video.type", f"{excerpt(vtype)} is not one of {', '.join(VIDEO_TYPES)}")
    vtype = vtype.strip().upper()
    quality = raw.get("quality", "HD")
    if not isinstance(quality, str) or quality.strip().upper() not in VIDEO_QUALITIES:
        raise ArticleError(source, "video.quality", f"{excerpt(quality)} is not one of {', '.join(VIDEO_QUALITIES)}")
    bitrate = raw.get("bitrate")
    if bitrate is not None and (isinstance(bitrate, bool) or not isinstance(bitrate, int) or bitrate <= 0):
        raise ArticleError(source, "video.bitrate", f"{excerpt(bitrate)} must be a positive whole number of kbps")
    if bitrate is None and vtype in BITRATE_REQUIRED:
        raise ArticleError(source, "video.bitrate", f"is required for {vtype} files: the average bitrate in kbps, e.g. 2500")
    return Video(url=url, duration=math.ceil(duration), video_type=vtype,
                 quality=quality.strip().upper(), bitrate=bitrate)


def build_article(channel: Channel, source: str, path: Path, fields: dict, body: str,
                  short_max: int = 200, fetcher=None, keep_remote_thumbnail: bool = False) -> Article:
    """One article from its fields (front matter, or an export's item mapped to our names).
    Photo URLs are downloaded with a fetcher (allow_remote), kept as thumbnail URLs for an
    imported DP feed, and otherwise refused."""
    photo_url = fields.get("photo") if isinstance(fields.get("photo"), str) and re.match(r"^https?://", fields["photo"].strip(), re.I) else None
    thumbnail_url = None
    if photo_url:
        fields = dict(fields)
        if fetcher is not None:
            try:
                # The cache is inside the channel folder, so the usual path checks apply.
                fields["photo"] = os.path.relpath(fetcher.fetch(photo_url.strip(), MAX_PHOTO_BYTES), path.parent)
            except RemoteError as e:
                raise ArticleError(source, "photo", str(e)) from None
        elif keep_remote_thumbnail:
            fields.pop("photo")
            thumbnail_url = photo_url.strip()
        else:
            raise ArticleError(source, "photo", f"{photo_url} is a URL; set allow_remote = true for this source to download it")
    article = _build_article(channel, source, path, fields, body, short_max, thumbnail_url is not None)
    if thumbnail_url:
        article = dataclasses.replace(article, thumbnail_url=thumbnail_url)
    return article


def _build_article(channel: Channel, source: str, path: Path, fields: dict, body: str,
                   short_max: int = 200, has_thumbnail: bool = False) -> Article:
    raw_id = fields.get("id", path.stem)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ArticleError(source, "id", f"{excerpt(raw_id)} must be a short text id, e.g. us-troops-iraq")
    article_id = normalize_id(str(raw_id).strip())
    title = _text(fields, source, "title", required=True)
    when = parse_date(fields.get("date"), source)
    summary = _text(fields, source, "summary")
    caption = _text(fields, source, "photo_caption")
    photos = _photos(channel, fields, source, path)
    photo_ref = _text(fields, source, "photo", required=channel.artwork.fallback is None and not photos and not has_thumbnail)
    photo = None
    if photo_ref is not None:
        try:
            photo = resolve_inside(channel.root, path.parent, photo_ref)
        except ValueError as e:
            raise ArticleError(source, "photo", f"{e}; put the photo inside the channel folder") from None
    focus = _focus(fields, source)
    if photo is None and photos:
        photo, focus = photos[0].path, focus or photos[0].focus
    if not photos and photo is not None:
        photos = (ClipPhoto(photo, caption, focus),)
    audio = None
    if fields.get("audio") is not None:
        try:
            audio = resolve_inside(channel.root, path.parent, _text(fields, source, "audio") or "")
        except ValueError as e:
            raise ArticleError(source, "audio", f"{e}; put the audio file inside the channel folder") from None
    kind = _kind(fields, source)
    clip_wanted = channel.clips.render == "always" or (channel.clips.render == "missing" and fields.get("video") is None)
    if clip_wanted and kind == "liveFeed":
        raise ArticleError(source, "video", "a liveFeed needs its stream URL; clips are for articles")
    video = None if clip_wanted else _video(fields, source, live=kind == "liveFeed")
    if kind == "auto":
        # A rendered clip is a few photos long: short-form.
        kind = "shortFormVideo" if video is None or video.duration <= SHORT_FORM_MAX_SECONDS else "tvSpecial"
    series = _series(fields, source)
    if series is not None and kind != "episode":
        if fields.get("type") not in (None, "auto"):
            raise ArticleError(source, "series", f"only episodes belong to a series; set type: episode (it says {kind})")
        kind = "episode"
    if kind == "episode" and series is None:
        raise ArticleError(source, "series", "an episode needs series: {id: ..., episode: N}")
    available_from, available_until = _available(fields, source)
    section = _text(fields, source, "section")
    featured = fields.get("featured", False)
    if not isinstance(featured, bool):
        raise ArticleError(source, "featured", f"{excerpt(featured)} must be true or false")
    body_text = markdown_to_text(body) if body.strip() else ""
    try:
        texts = compose_text(channel, title=title, summary=summary, body_text=body_text, fields=fields,
                             short_max=short_max)
    except ValueError as e:
        raise ArticleError(source, "templates", str(e)) from None
    if not texts["title"]:
        raise ArticleError(source, "title", "is empty once markup is removed")
    if not texts["short_description"]:
        raise ArticleError(source, "summary", "the article has no summary and an empty body; add a summary")
    warnings: list[str] = []
    tags = _tags(fields, source, warnings)
    if section:
        tag = section_tag(section)
        tags = tags if tag in tags else tags + (tag,)
    return Article(
        source=source, id=article_id, title=texts["title"], date=when,
        short_description=texts["short_description"], long_description=texts["long_description"],
        tags=tags, genres=_genres(fields, source, channel.genres),
        photo=photo, photo_caption=caption, photo_focus=focus, video=video, body_text=body_text,
        kind=kind, series=series, section=section, featured=featured,
        available_from=available_from, available_until=available_until,
        rating=_rating(fields, source), credits=_credits(fields, source), captions=_captions(fields, source),
        external_ids=_external_ids(fields, source), ad_breaks=_ad_breaks(fields, source),
        trickplay=_trickplay(fields, source), photos=photos, audio=audio, warnings=tuple(warnings),
    )


def _photos(channel: Channel, fields: dict, source: str, path: Path) -> tuple[ClipPhoto, ...]:
    out = []
    for i, p in enumerate(_records(fields, source, "photos", wrap_single=False)):
        ref = p.get("path")
        if not isinstance(ref, str) or not ref.strip():
            raise ArticleError(source, f"photos[{i}].path", "is required: a photo file relative to the article")
        try:
            resolved = resolve_inside(channel.root, path.parent, ref)
        except ValueError as e:
            raise ArticleError(source, f"photos[{i}].path", f"{e}; put the photo inside the channel folder") from None
        caption = p.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise ArticleError(source, f"photos[{i}].caption", "must be text")
        focus = _focus({"photo_focus": p.get("focus")}, source) if p.get("focus") is not None else None
        out.append(ClipPhoto(resolved, caption.strip() if caption else None, focus))
    return tuple(out)


def _kind(fields: dict, source: str) -> str:
    raw = fields.get("type", "auto")
    for k in ARTICLE_KINDS:
        if isinstance(raw, str) and raw.strip().lower() == k.lower():
            return k
    raise ArticleError(source, "type", f"{excerpt(raw)} is not one of: {', '.join(ARTICLE_KINDS)}")


def _whole(value, source: str, key: str, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise ArticleError(source, key, f"{excerpt(value)} must be a whole number of at least {lo}")
    return value


def _series(fields: dict, source: str) -> SeriesRef | None:
    raw = fields.get("series")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = {"id": raw}
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), (str, int)) or isinstance(raw.get("id"), bool):
        raise ArticleError(source, "series", "must be {id: daily-bulletin, season: 1, episode: 3} (id required)")
    season = raw.get("season")
    episode = raw.get("episode")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        raise ArticleError(source, "series.title", "must be text")
    return SeriesRef(
        id=normalize_id(str(raw["id"]).strip()), title=title.strip() if title else None,
        season=_whole(season, source, "series.season") if season is not None else None,
        episode=_whole(episode, source, "series.episode") if episode is not None else None)


def _available(fields: dict, source: str):
    raw = fields.get("available")
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise ArticleError(source, "available", "must be {from: 2026-01-01T00:00:00Z, until: 2026-02-01T00:00:00Z}")
    start = parse_date(raw["from"], source, "available.from") if raw.get("from") is not None else None
    end = parse_date(raw["until"], source, "available.until") if raw.get("until") is not None else None
    if start and end and end <= start:
        raise ArticleError(source, "available.until", "must be after available.from")
    return start, end


def _records(fields: dict, source: str, key: str, wrap_single: bool = True) -> list[dict]:
    raw = fields.get(key)
    if raw is None:
        return []
    if isinstance(raw, dict) and wrap_single:
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        raise ArticleError(source, key, "must be a list of entries, e.g. [{...}, {...}]")
    return raw


def _pick(value, source: str, key: str, allowed: tuple[str, ...], upper: bool = True) -> str:
    if isinstance(value, str):
        wanted = value.strip()
        for a in allowed:
            if wanted == a or (upper and wanted.upper() == a.upper()):
                return a
    raise ArticleError(source, key, f"{excerpt(value)} is not one of: {', '.join(allowed)}")


def _url(value, source: str, key: str) -> str:
    if not isinstance(value, str) or not HTTP_URL.match(value.strip()):
        raise ArticleError(source, key, f"{excerpt(value)} is not an http(s) URL")
    return value.strip()


def _rating(fields: dict, source: str) -> dict | None:
    raw = fields.get("rating")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ArticleError(source, "rating", "must be {rating: TVPG, source: USA_PR}, not text")
    return {"rating": _pick(str(raw.get("rating")) if raw.get("rating") is not None else None, source, "rating.rating", RATINGS),
            "ratingSource": _pick(raw.get("source"), source, "rating.source", RATING_SOURCES)}


def _credits(fields: dict, source: str) -> tuple[dict, ...]:
    out = []
    for i, c in enumerate(_records(fields, source, "credits")):
        name = c.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ArticleError(source, f"credits[{i}].name", "is required")
        entry = {"name": name.strip(), "role": _pick(c.get("role"), source, f"credits[{i}].role", CREDIT_ROLES, upper=True)}
        if c.get("birth_date") is not None:
            entry["birthDate"] = parse_date(c["birth_date"], source, f"credits[{i}].birth_date").date().isoformat()
        out.append(entry)
    return tuple(out)


def _captions(fields: dict, source: str) -> tuple[dict, ...]:
    out = []
    for i, c in enumerate(_records(fields, source, "captions")):
        language = c.get("language")
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise ArticleError(source, f"captions[{i}].language", f"{excerpt(language)} must be a language code like en")
        out.append({"url": _url(c.get("url"), source, f"captions[{i}].url"), "language": language,
                    "captionType": _pick(c.get("type", "CLOSED_CAPTION"), source, f"captions[{i}].type", CAPTION_TYPES)})
    return tuple(out)


def _external_ids(fields: dict, source: str) -> tuple[dict, ...]:
    out = []
    for i, x in enumerate(_records(fields, source, "external_ids")):
        value = x.get("id")
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            raise ArticleError(source, f"external_ids[{i}].id", "is required")
        out.append({"id": str(value).strip(), "idType": _pick(x.get("type"), source, f"external_ids[{i}].type", ID_TYPES)})
    return tuple(out)


def _ad_breaks(fields: dict, source: str) -> tuple[str, ...]:
    raw = fields.get("ad_breaks")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ArticleError(source, "ad_breaks", "must be a list of times, e.g. [\"00:05:00\", \"00:12:30\"]")
    out = []
    for i, t in enumerate(raw):
        if isinstance(t, int) and not isinstance(t, bool) and t >= 0:  # YAML reads 00:05:00 as 300 seconds
            t = f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
        if not isinstance(t, str) or not re.fullmatch(r"\d{1,2}:[0-5]\d:[0-5]\d", t.strip()):
            raise ArticleError(source, f"ad_breaks[{i}]", f"{excerpt(t)} must be a time hh:mm:ss")
        out.append(t.strip())
    return tuple(out)


def _trickplay(fields: dict, source: str) -> tuple[dict, ...]:
    return tuple({"url": _url(x.get("url"), source, f"trickplay[{i}].url"),
                  "quality": _pick(x.get("quality", "HD"), source, f"trickplay[{i}].quality", TRICKPLAY_QUALITIES)}
                 for i, x in enumerate(_records(fields, source, "trickplay")))


def _focus(fields: dict, source: str) -> tuple[float, float] | None:
    raw = fields.get("photo_focus")
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in raw)):
        raise ArticleError(source, "photo_focus", f"{excerpt(raw)} must be [x, y] with both between 0 and 1, e.g. [0.5, 0.3]")
    return (float(raw[0]), float(raw[1]))
