"""Article fields -> an Article. Every reader maps its items onto the fields the Markdown
front matter uses (title, date, photo, video, ...) and calls build_article, so every source
checks fields the same way and reports a bad one as one ArticleError: the file or item, the
field, what to fix."""

from __future__ import annotations

import contextlib
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
    LONG_DESCRIPTION_MAX,
    RATING_SOURCES,
    RATINGS,
    SHORT_FORM_MAX_SECONDS,
    TRICKPLAY_QUALITIES,
    VIDEO_QUALITIES,
    VIDEO_TYPES,
    genre_of,
)
from packager.errors import ArticleError, MissingVideo, excerpt
from packager.ids import TAG_MAX, normalize_id, normalize_tag, section_tag
from packager.model import Article, CaptionFile, ClipPhoto, SeriesRef, Video, VideoFile
from packager.safepath import resolve_inside, same_name_inside
from packager.text import cut, markdown_to_text
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


def _tags(fields: dict, source: str, warnings: list[str], imported: bool = False) -> tuple[str, ...]:
    """Tags as Roku matches them: lowercase, unique. A tag Roku can't take (empty, not a
    word, over 20 characters) is left out with a warning; the article stays."""
    raw = fields.get("tags")
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        _left_out(ArticleError(source, "tags", "must be a list of words, e.g. [military, iraq]"), warnings, imported)
        return ()
    out: list[str] = []
    for t in raw:
        if isinstance(t, bool) or not isinstance(t, (str, int)):
            warnings.append(f"{source}: tags: {excerpt(t, 40)} is not a word, so it was left out")
            continue
        tag = normalize_tag(str(t))
        if not tag:
            warnings.append(f"{source}: tags: an empty tag was left out")
            continue
        if len(tag) > TAG_MAX:
            warnings.append(f"{source}: tags: {excerpt(tag, 40)} is {len(tag)} characters; Roku allows {TAG_MAX}, "
                            "so it was left out (shorten it to keep it)")
            continue
        if tag not in out:
            out.append(tag)
    return tuple(out)


def _genres(fields: dict, source: str, default: tuple[str, ...], warnings: list[str],
            imported: bool = False) -> tuple[str, ...]:
    """The article's Roku genres. In an import, one that isn't Roku's is left out with a
    warning instead of refusing the item."""
    raw = fields.get("genres")
    if raw is None:
        return default
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or (not imported and not all(isinstance(g, str) for g in raw)):
        if not imported:
            raise ArticleError(source, "genres", "must be a list of Roku genres, e.g. [news]")
        warnings.append(f"{source}: genres: {excerpt(raw, 40)} is not a list of Roku genres; left out")
        return default
    out: list[str] = []
    for g in raw:
        genre = genre_of(g)
        if genre is None:
            if not imported:
                raise ArticleError(source, "genres", f"{excerpt(g)} is not a Roku genre; use one of: {', '.join(GENRES)}")
            warnings.append(f"{source}: genres: {excerpt(g, 40)} is not a Roku genre; left out")
            continue
        if genre not in out:
            out.append(genre)
    return tuple(out) or default


# Roku's players hold durations in 32-bit integers.
MAX_DURATION = 2**31 - 1
LIVE_DURATION = 24 * 3600  # a live stream has no length; Roku's content object wants one


def _video(fields: dict, source: str, live: bool = False, key: str = "video", duration_key: str = "video.duration",
           imported: bool = False) -> Video:
    raw = fields.get("video")
    if raw is None:
        raise ArticleError(source, "video", "is required: give url and duration (seconds)")
    if not isinstance(raw, dict):
        raise ArticleError(source, key, "must be fields: url, duration, and optionally type, quality, bitrate")
    url = raw.get("url")
    if not isinstance(url, str) or not HTTP_URL.match(url.strip()):
        raise ArticleError(source, f"{key}.url", f"{excerpt(url)} is not an http(s) URL")
    url = url.strip()
    duration = raw.get("duration")
    if duration is None and live:
        duration = LIVE_DURATION
    if duration is None:
        raise ArticleError(source, duration_key, "is required: the video's length in seconds")
    if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration <= 0:
        raise ArticleError(source, duration_key, f"{excerpt(duration)} must be a positive number of seconds")
    if duration > MAX_DURATION:
        raise ArticleError(source, duration_key, f"{excerpt(duration)} seconds is longer than a Roku player can count "
                                                 f"(at most {MAX_DURATION:,}); give the video's real length")
    vtype = raw.get("type")
    if vtype is None:
        ext = Path(urlsplit(url).path).suffix.lower()
        vtype = EXTENSION_TYPES.get(ext)
        if vtype is None:
            raise ArticleError(source, f"{key}.type", f"can't tell the type from the URL's extension {ext or '(none)'!r}; set type: to one of {', '.join(VIDEO_TYPES)}")
    elif not isinstance(vtype, str) or vtype.strip().upper() not in VIDEO_TYPES:
        raise ArticleError(source, f"{key}.type", f"{excerpt(vtype)} is not one of {', '.join(VIDEO_TYPES)}")
    vtype = vtype.strip().upper()
    quality = raw.get("quality", "HD")
    if not isinstance(quality, str) or quality.strip().upper() not in VIDEO_QUALITIES:
        raise ArticleError(source, f"{key}.quality", f"{excerpt(quality)} is not one of {', '.join(VIDEO_QUALITIES)}")
    bitrate = raw.get("bitrate")
    if bitrate is not None and (isinstance(bitrate, bool) or not isinstance(bitrate, int) or bitrate <= 0):
        raise ArticleError(source, f"{key}.bitrate", f"{excerpt(bitrate)} must be a positive whole number of kbps")
    # An imported file without one is kept (Roku's template never reads it): the import
    # estimated it or said it is missing, and the validator's profile judges it.
    if bitrate is None and vtype in BITRATE_REQUIRED and not imported:
        raise ArticleError(source, f"{key}.bitrate", f"is required for {vtype} files: the average bitrate in kbps, e.g. 2500")
    return Video(url=url, duration=math.ceil(duration), video_type=vtype,
                 quality=quality.strip().upper(), bitrate=bitrate)


CAPTION_SUFFIXES = (".vtt", ".srt")


def local_video(channel: Channel, fields: dict, source: str, path: Path) -> VideoFile | None:
    """`video: media/x.mp4` or `video: {file: media/x.mp4, captions: x.srt}`: a file of ours to
    package, with its captions (named, else the .srt/.vtt sidecars beside it: x.srt, x.en.vtt)."""
    raw = fields.get("video")
    if isinstance(raw, str) and not HTTP_URL.match(raw.strip()):
        raw = {"file": raw}
    if not isinstance(raw, dict) or raw.get("file") is None:
        return None
    ref = raw["file"]
    if not isinstance(ref, str) or not ref.strip():
        raise ArticleError(source, "video.file", f"{excerpt(ref)} must be a video file relative to the article")
    try:
        file = resolve_inside(channel.root, path.parent, ref.strip())
    except ValueError as e:
        raise ArticleError(source, "video.file", f"{e}; put the video inside the channel folder") from None
    # Where it was looked for and the likely path, as for a photo: `media/x.mp4` written in
    # articles/ is articles/media/x.mp4, and a newcomer's video is at the channel's top.
    _must_exist(channel, source, "video.file", file, path.parent)
    if not file.is_file():
        raise ArticleError(source, "video.file", f"{ref.strip()} is not a file; give the video file's path relative to the article")
    named = raw.get("captions")
    entries = named if isinstance(named, list) else [named] if named is not None else []
    captions = []
    for i, c in enumerate(entries):
        c = {"file": c} if isinstance(c, str) else c
        where = f"video.captions[{i}]" if isinstance(named, list) else "video.captions"
        if not isinstance(c, dict) or not isinstance(c.get("file"), str):
            raise ArticleError(source, where, "must be a caption file (.srt or .vtt) or {file: ..., language: en}")
        try:
            cpath = resolve_inside(channel.root, path.parent, c["file"].strip())
        except ValueError as e:
            raise ArticleError(source, where, f"{e}; put the captions inside the channel folder") from None
        if cpath.suffix.lower() not in CAPTION_SUFFIXES or not cpath.is_file():
            raise ArticleError(source, where, f"{c['file']} must be an existing .srt or .vtt file")
        language = c.get("language") or _caption_language(cpath, file) or channel.language
        if not isinstance(language, str) or not LANGUAGE.match(language):
            raise ArticleError(source, f"{where}.language", f"{excerpt(language)} must be a language code like en")
        captions.append(CaptionFile(cpath, language))
    if named is None:  # sidecars: interview.srt, interview.en.vtt
        for side in sorted(file.parent.glob(glob_escape(file.stem) + ".*")):
            if side.suffix.lower() in CAPTION_SUFFIXES and side.is_file():
                captions.append(CaptionFile(side, _caption_language(side, file) or channel.language))
    return VideoFile(file, tuple(captions))


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def _caption_language(caption: Path, video: Path) -> str | None:
    """interview.en.vtt beside interview.mp4 -> en."""
    middle = caption.name[len(video.stem):-len(caption.suffix)].strip(".")
    return middle if middle and LANGUAGE.match(middle) else None


def _videos(fields: dict, source: str, warnings: list[str], live: bool) -> tuple[Video, tuple[Video, ...]]:
    """An imported item's videos (a list of video fields, each with the item's duration): a
    bad one is left out with a warning while another one plays; with none, the item can't."""
    raw = fields.get("videos")
    if not isinstance(raw, list) or not raw:
        raise ArticleError(source, "content.videos", "is required: at least one video with url, quality and videoType")
    good, bad = [], []
    for i, v in enumerate(raw):
        try:
            good.append(_video({"video": v}, source, live, f"content.videos[{i}]", "content.duration", imported=True))
        except ArticleError as e:
            bad.append(e)
    if not good:
        raise bad[0]
    warnings += [f"{e}; that video was left out" for e in bad]
    return good[0], tuple(good[1:])


def _left_out(problem: ArticleError, warnings: list[str], imported: bool) -> None:
    """A bad optional field: a strict source stops on it; an import notes it in
    `warnings` and leaves the value out."""
    if not imported:
        raise problem
    warnings.append(f"{problem}; left out")


def _optional(parse, default, warnings: list[str], imported: bool):
    """A field only an import may lose: its error becomes a warning and the field is left out."""
    try:
        return parse()
    except ArticleError as e:
        _left_out(e, warnings, imported)
        return default


def article_from_fields(channel: Channel, source: str, path: Path, fields: dict, body: str,
                        short_max: int = 200, has_thumbnail: bool = False, imported: bool = False) -> Article:
    warnings: list[str] = []
    article_id = _article_id(fields, source, path, imported)
    title = _text(fields, source, "title", required=True)
    when = parse_date(fields.get("date"), source)
    summary = _optional(lambda: _text(fields, source, "summary"), None, warnings, imported)
    caption = _text(fields, source, "photo_caption")
    photos = _photos(channel, fields, source, path)
    video_file = None if imported else local_video(channel, fields, source, path)
    # A video of our own gives a poster frame when there is no photo; an imported item
    # without a thumbnail gets a title card (the import says so).
    photo_ref = _text(fields, source, "photo", required=channel.artwork.fallback == "none" and not photos
                      and not has_thumbnail and video_file is None and not imported)
    photo = None if photo_ref is None else _file_inside(channel, source, path, "photo", photo_ref, "the photo")
    focus = _focus(fields, source)
    if photo is None and photos:
        photo, focus = photos[0].path, focus or photos[0].focus
    if not photos and photo is not None:
        photos = (ClipPhoto(photo, caption, focus),)
    audio = None
    if fields.get("audio") is not None:
        audio = _file_inside(channel, source, path, "audio", _text(fields, source, "audio") or "", "the audio file")
    kind, video, extra_videos = _kind_and_video(channel, fields, source, imported, video_file, warnings)
    series = _series(fields, source, keep_id=imported)
    if series is not None and kind != "episode":
        if fields.get("type") not in (None, "auto"):
            raise ArticleError(source, "series", f"only episodes belong to a series; set type: episode (it says {kind})")
        kind = "episode"
    if kind == "episode" and series is None:
        raise ArticleError(source, "series", "an episode needs series: {id: ..., episode: N}")
    available_from, available_until = _optional(lambda: _available(fields, source), (None, None), warnings, imported)
    section = _text(fields, source, "section")
    featured = fields.get("featured", False)
    if not isinstance(featured, bool):
        raise ArticleError(source, "featured", f"{excerpt(featured)} must be true or false")
    body_text, texts = _texts(channel, fields, source, title, summary, body, short_max, imported, warnings)
    tags = _tags(fields, source, warnings, imported)
    if section:
        tag = section_tag(section)
        tags = tags if tag in tags else tags + (tag,)
    return Article(
        source=source, id=article_id, title=texts["title"], date=when,
        short_description=texts["short_description"], long_description=texts["long_description"],
        tags=tags, genres=_genres(fields, source, channel.genres, warnings, imported),
        photo=photo, photo_caption=caption, photo_focus=focus, video=video, body_text=body_text,
        kind=kind, series=series, section=section, featured=featured,
        available_from=available_from, available_until=available_until,
        rating=_optional(lambda: _rating(fields, source), None, warnings, imported),
        credits=_records_field(fields, source, "credits", _credit, warnings, imported),
        captions=_records_field(fields, source, "captions", _caption, warnings, imported),
        external_ids=_records_field(fields, source, "external_ids", _external_id, warnings, imported),
        ad_breaks=_ad_breaks(fields, source, warnings, imported),
        trickplay=_records_field(fields, source, "trickplay", _trickplay_file, warnings, imported),
        photos=photos, audio=audio, extra_videos=extra_videos, video_file=video_file,
        release_date=_optional(lambda: _release_date(fields, source, warnings), None, warnings, imported),
        language=_optional(lambda: _language(fields, source), None, warnings, imported),
        warnings=tuple(warnings),
    )


def _article_id(fields: dict, source: str, path: Path, imported: bool) -> str:
    raw_id = fields.get("id", path.stem)
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise ArticleError(source, "id", f"{excerpt(raw_id)} must be a short text id, e.g. us-troops-iraq")
    # An imported DP id never changes (Roku keys bookmarks and search on it): a profile that
    # rejects it says so; ours (file names) are made safe.
    return str(raw_id) if imported else normalize_id(str(raw_id).strip())


def _file_inside(channel: Channel, source: str, path: Path, key: str, ref: str, what: str) -> Path:
    """A photo or audio file the article names, inside the channel folder and there."""
    try:
        target = resolve_inside(channel.root, path.parent, ref)
    except ValueError as e:
        raise ArticleError(source, key, f"{e}; put {what} inside the channel folder") from None
    _must_exist(channel, source, key, target, path.parent)
    return target


def _kind_and_video(channel: Channel, fields: dict, source: str, imported: bool, video_file: VideoFile | None,
                    warnings: list[str]) -> tuple[str, Video | None, tuple[Video, ...]]:
    """The item kind (before series) and its video: None when a clip will be rendered or a
    video file of our own packaged."""
    kind = _kind(fields, source)
    # An imported DP item keeps its videos (one without any is skipped, as the DP spec has it);
    # only render = "always" replaces them. A video file of our own is packaged, never replaced.
    clip_wanted = video_file is None and (channel.clips.render == "always" or (
        channel.clips.render == "missing" and not imported and fields.get("video") is None))
    if clip_wanted and kind == "liveFeed":
        raise ArticleError(source, "video", "a liveFeed needs its stream URL; clips are for articles")
    extra_videos: tuple[Video, ...] = ()
    if clip_wanted or video_file is not None:
        video = None
    elif imported:
        video, extra_videos = _videos(fields, source, warnings, kind == "liveFeed")
    elif fields.get("video") is None and kind != "liveFeed":
        raise MissingVideo(source)
    else:
        video = _video(fields, source, live=kind == "liveFeed")
    if kind == "auto" and video_file is None:  # with a video file, the video stage decides (its length)
        # A rendered clip is a few photos long: short-form.
        kind = "shortFormVideo" if video is None or video.duration <= SHORT_FORM_MAX_SECONDS else "tvSpecial"
    return kind, video, extra_videos


def _texts(channel: Channel, fields: dict, source: str, title: str, summary: str | None, body: str, short_max: int,
           imported: bool, warnings: list[str]) -> tuple[str, dict]:
    """The body as plain text, and the title and descriptions the feed shows."""
    if imported:
        body_text = body.strip()
        texts = _imported_texts(title, summary, body_text, source, short_max, warnings)
    else:
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
    return body_text, texts


def _imported_texts(title: str, summary: str | None, long: str, source: str, short_max: int,
                    warnings: list[str]) -> dict:
    """An imported item's text as it was written (no Markdown, no templates); cut only where
    Roku's limits would refuse it, with a warning."""
    short = summary or ""
    if not short and long:
        short = cut(long, short_max)
        warnings.append(f"{source}: shortDescription: missing; made from longDescription")
    if len(short) > short_max:
        warnings.append(f"{source}: shortDescription: {len(short)} characters; cut to {short_max}")
        short = cut(short, short_max)
    if len(long) > LONG_DESCRIPTION_MAX:
        warnings.append(f"{source}: longDescription: {len(long)} characters; cut to {LONG_DESCRIPTION_MAX}")
        long = cut(long, LONG_DESCRIPTION_MAX)
    if long and long == short:
        # Roku refuses a longDescription equal to the shortDescription.
        warnings.append(f"{source}: longDescription: the same as shortDescription; left out")
        long = ""
    return {"title": title, "short_description": short, "long_description": long or None}


def _release_date(fields: dict, source: str, warnings: list[str]) -> date | None:
    raw = fields.get("release_date")
    if raw is None:
        return None
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
        with contextlib.suppress(ValueError):  # an impossible date falls through to parse_date's message
            return date.fromisoformat(raw.strip())
    day = parse_date(raw, source, "releaseDate").date()
    warnings.append(f"{source}: releaseDate: {excerpt(raw)} is a timestamp; its date {day.isoformat()} is kept")
    return day


def _language(fields: dict, source: str) -> str | None:
    raw = fields.get("language")
    if raw is None:
        return None
    if not isinstance(raw, str) or not LANGUAGE.match(raw.strip()):
        raise ArticleError(source, "content.language", f"{excerpt(raw)} must be a language code like en or en-US")
    return raw.strip()


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
        _must_exist(channel, source, f"photos[{i}].path", resolved, path.parent)
        caption = p.get("caption")
        if caption is not None and not isinstance(caption, str):
            raise ArticleError(source, f"photos[{i}].caption", "must be text")
        focus = _focus({"photo_focus": p.get("focus")}, source) if p.get("focus") is not None else None
        out.append(ClipPhoto(resolved, caption.strip() if caption else None, focus))
    return tuple(out)


def _must_exist(channel: Channel, source: str, key: str, target: Path, base: Path) -> None:
    """A file an article names must be there. The message shows where it was looked for (from
    the channel folder) and, when a file of that name is elsewhere in the channel, how to
    write the path to it."""
    if target.exists():
        return
    root = channel.root.resolve()
    message = f"{target.relative_to(root).as_posix()} not found (paths are relative to the article file)"
    likely = same_name_inside(root, target.name, 1)
    if likely:
        message += (f"; there is {likely[0].relative_to(root).as_posix()}: "
                    f"write {Path(os.path.relpath(likely[0], base.resolve())).as_posix()}")
    raise ArticleError(source, key, message)


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


def _series(fields: dict, source: str, keep_id: bool = False) -> SeriesRef | None:
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
        id=str(raw["id"]) if keep_id else normalize_id(str(raw["id"]).strip()), title=title.strip() if title else None,
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


def _records_field(fields: dict, source: str, key: str, one, warnings: list[str], imported: bool) -> tuple[dict, ...]:
    """A list of entries (credits, captions, ...), each checked by `one(entry, where)`. For
    an import a bad entry (or a list that isn't one) is left out with a warning."""
    try:
        records = _records(fields, source, key)
    except ArticleError as e:
        _left_out(e, warnings, imported)
        return ()
    out = []
    for i, entry in enumerate(records):
        try:
            out.append(one(entry, source, f"{key}[{i}]"))
        except ArticleError as e:
            _left_out(e, warnings, imported)
    return tuple(out)


def _credit(c: dict, source: str, where: str) -> dict:
    name = c.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ArticleError(source, f"{where}.name", "is required")
    entry = {"name": name.strip(), "role": _pick(c.get("role"), source, f"{where}.role", CREDIT_ROLES, upper=True)}
    if c.get("birth_date") is not None:
        entry["birthDate"] = parse_date(c["birth_date"], source, f"{where}.birth_date").date().isoformat()
    return entry


def _caption(c: dict, source: str, where: str) -> dict:
    language = c.get("language")
    if not isinstance(language, str) or not LANGUAGE.match(language):
        raise ArticleError(source, f"{where}.language", f"{excerpt(language)} must be a language code like en")
    return {"url": _url(c.get("url"), source, f"{where}.url"), "language": language,
            "captionType": _pick(c.get("type", "CLOSED_CAPTION"), source, f"{where}.type", CAPTION_TYPES)}


def _external_id(x: dict, source: str, where: str) -> dict:
    value = x.get("id")
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise ArticleError(source, f"{where}.id", "is required")
    return {"id": str(value).strip(), "idType": _pick(x.get("type"), source, f"{where}.type", ID_TYPES)}


def _ad_breaks(fields: dict, source: str, warnings: list[str], imported: bool = False) -> tuple[str, ...]:
    raw = fields.get("ad_breaks")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _left_out(ArticleError(source, "ad_breaks", "must be a list of times, e.g. [\"00:05:00\", \"00:12:30\"]"),
                  warnings, imported)
        return ()
    out = []
    for i, t in enumerate(raw):
        if isinstance(t, int) and not isinstance(t, bool) and t >= 0:  # YAML reads 00:05:00 as 300 seconds
            t = f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"
        if not isinstance(t, str) or not re.fullmatch(r"\d{1,2}:[0-5]\d:[0-5]\d", t.strip()):
            _left_out(ArticleError(source, f"ad_breaks[{i}]", f"{excerpt(t)} must be a time hh:mm:ss"), warnings, imported)
            continue
        out.append(t.strip())
    return tuple(out)


def _trickplay_file(x: dict, source: str, where: str) -> dict:
    return {"url": _url(x.get("url"), source, f"{where}.url"),
            "quality": _pick(x.get("quality", "HD"), source, f"{where}.quality", TRICKPLAY_QUALITIES)}


def _focus(fields: dict, source: str) -> tuple[float, float] | None:
    raw = fields.get("photo_focus")
    if raw is None:
        return None
    if (not isinstance(raw, list) or len(raw) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in raw)):
        raise ArticleError(source, "photo_focus", f"{excerpt(raw)} must be [x, y] with both between 0 and 1, e.g. [0.5, 0.3]")
    return (float(raw[0]), float(raw[1]))


def imported_series_parts(fields: dict, source: str, short_max: int, warnings: list[str]) -> dict:
    """An imported series' own metadata, checked like an item's: title and shortDescription
    required (an ArticleError), the rest left out with a warning when malformed. Keys are
    those of ImportedSeries."""
    title = _text(fields, source, "title", required=True)
    summary = _optional(lambda: _text(fields, source, "summary"), None, warnings, True)
    long = _optional(lambda: _text(fields, source, "long_description"), None, warnings, True)
    texts = _imported_texts(title, summary, long or "", source, short_max, warnings)
    if not texts["short_description"]:
        raise ArticleError(source, "shortDescription", "is required")
    genres = _genres(fields, source, (), warnings, True)
    return {
        "title": title, "description": texts["short_description"], "long_description": texts["long_description"],
        "genres": genres or None, "tags": _tags(fields, source, warnings, True),
        "release_date": _optional(lambda: _release_date(fields, source, warnings), None, warnings, True),
        "credits": _records_field(fields, source, "credits", _credit, warnings, True),
        "external_ids": _records_field(fields, source, "external_ids", _external_id, warnings, True),
    }
