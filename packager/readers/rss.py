"""The rss reader: RSS 2.0, Atom and MRSS (a file or a URL), refused before parsing when
the XML declares entities or external references."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from packager.errors import ArticleError
from packager.readers import Content
from packager.readers.common import build_article, load_bytes, map_fields, stable_id


def check_xml(data: bytes, name: str) -> None:
    """Refuse hostile XML before any feed parser sees it: no DTD entities, no external
    references (billion laughs, XXE)."""
    try:
        DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise ArticleError(name, None, f"refused: the XML declares {type(e).__name__.replace('Forbidden', '').lower() or 'forbidden'} "
                                       "constructs (entities or external references) that could attack this machine") from None
    except Exception as e:
        raise ArticleError(name, None, f"is not well-formed XML: {e}") from None


def _duration(value) -> float | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if ":" in text:
            total = 0.0
            for part in text.split(":"):
                total = total * 60 + float(part)
            return total
        return float(text)
    except ValueError:
        return None


def _media(entry) -> tuple[dict | None, str | None]:
    video, photo = None, None
    for m in entry.get("media_content", []) or []:
        kind = (m.get("medium") or m.get("type") or "").lower()
        url = m.get("url", "")
        if not video and ("video" in kind or re.search(r"\.(m3u8|mp4|mpd|mov|m4v)(\?|$)", url)):
            video = {"url": url, "duration": _duration(m.get("duration")), "bitrate": m.get("bitrate")}
        elif not photo and ("image" in kind or re.search(r"\.(jpe?g|png|webp|gif)(\?|$)", url, re.I)):
            photo = url
    for enc in entry.get("enclosures", []) or []:
        kind = (enc.get("type") or "").lower()
        if not video and (kind.startswith("video/") or "mpegurl" in kind or "dash+xml" in kind):
            video = {"url": enc.get("href"), "duration": _duration(entry.get("itunes_duration"))}
        elif not photo and kind.startswith("image/"):
            photo = enc.get("href")
    thumbs = entry.get("media_thumbnail") or []
    if thumbs and thumbs[0].get("url"):
        photo = thumbs[0]["url"]
    return video, photo


def rss_fields(entry) -> tuple[dict, str]:
    fields: dict = {}
    link = entry.get("link")
    fields["id"] = stable_id({"guid": entry.get("id"), "link": link, "title": entry.get("title")}, "item")
    fields["title"] = entry.get("title")
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    fields["date"] = datetime.fromtimestamp(calendar.timegm(stamp), timezone.utc) if stamp else None
    body = ""
    if entry.get("content"):
        body = entry["content"][0].get("value", "")
    if entry.get("summary"):
        fields["summary"] = re.sub(r"<[^>]+>", " ", entry["summary"])
        body = body or entry["summary"]
    fields["tags"] = [t.get("term") for t in entry.get("tags", []) or [] if t.get("term")][:20]
    video, photo = _media(entry)
    if video:
        fields["video"] = {k: v for k, v in video.items() if v is not None}
        if isinstance(fields["video"].get("bitrate"), str) and fields["video"]["bitrate"].isdigit():
            fields["video"]["bitrate"] = int(fields["video"]["bitrate"])
    if photo:
        fields["photo"] = photo
    return fields, body


def read(channel, source, fetcher, short_max, exclude=()) -> Content:
    import feedparser  # noqa: PLC0415 (heavy)

    try:
        data, name = load_bytes(channel, source, fetcher)
        check_xml(data, name)
    except ArticleError as e:
        return Content(errors=[e])
    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.entries:
        return Content(errors=[ArticleError(name, None, f"is not an RSS or Atom feed: {parsed.get('bozo_exception')}")])
    articles, errors = [], []
    base = source.path if source.path else channel.root / "channel.toml"
    for n, entry in enumerate(parsed.entries, 1):
        fields, body = rss_fields(entry)
        fields = {k: v for k, v in fields.items() if v not in (None, [], "")}
        mapped = map_fields(dict(entry) | fields, source.fields) if source.fields else fields
        label = f"{name} item {n} ({fields.get('id')})"
        try:
            articles.append(build_article(channel, label, base, mapped, body if isinstance(body, str) else "",
                                          short_max, fetcher))
        except ArticleError as e:
            errors.append(e)
    return Content(articles=articles, errors=errors)
