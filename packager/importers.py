"""Articles from other places than Markdown files: CMS JSON exports, RSS/Atom/MRSS feeds
and existing Direct Publisher feeds. Each item is mapped onto the article fields the
Markdown front matter uses, then checked by the same code, so every source reports bad
items the same way: the file or URL, the item, the field, what to fix."""

from __future__ import annotations

import calendar
import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from packager.config import Category, Channel, Playlist, SeriesInfo, Source
from packager.errors import ArticleError
from packager.model import Article
from packager.remote import MAX_FEED_BYTES, Fetcher, RemoteError
from packager.sources import build_article, normalize_id, read_article


def dotted(data, name: str):
    """data["image"]["src"] for "image.src"; list items by number ("images.0.url")."""
    node = data
    for part in name.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def map_fields(item: dict, fields: tuple[tuple[str, str], ...]) -> dict:
    out = dict(item)
    for ours, theirs in fields:
        value = dotted(item, theirs)
        if value is not None:
            out[ours] = value
    return out


def _load_bytes(channel: Channel, source: Source, fetcher: Fetcher | None) -> tuple[bytes, str]:
    if source.url:
        try:
            return fetcher.fetch(source.url, MAX_FEED_BYTES).read_bytes(), source.url
        except RemoteError as e:
            raise ArticleError(source.url, None, str(e)) from None
    name = source.path.relative_to(channel.root).as_posix()
    try:
        return source.path.read_bytes(), name
    except OSError as e:
        raise ArticleError(name, None, f"can't be read: {e.strerror or e}") from None


# ---------------------------------------------------------------- JSON exports

def _json_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".jsonl")
                      and not any(x.startswith((".", "_")) for x in p.relative_to(path).parts))
    return [path]


def json_items(data: bytes, name: str, jsonl: bool) -> list[tuple[str, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ArticleError(name, None, f"is not UTF-8 text (byte {e.start})") from None
    if jsonl:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append((f"{name} line {n}", json.loads(line)))
                except json.JSONDecodeError as e:
                    raise ArticleError(f"{name} line {n}", None, f"not valid JSON: {e.msg}") from None
        return items
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArticleError(name, None, f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if isinstance(doc, dict):
        return [(name, doc)]
    if isinstance(doc, list):
        return [(f"{name} item {i + 1}", x) for i, x in enumerate(doc)]
    raise ArticleError(name, None, "must hold an article object or an array of them")


def read_json_source(channel, source, fetcher, short_max):
    articles, errors = [], []
    files = [(None, source.url)] if source.url else [(p, None) for p in _json_files(source.path)]
    for path, url in files:
        try:
            if url:
                data, name, base = _load_bytes(channel, source, fetcher)[0], url, channel.root / "channel.toml"
            else:
                data, name, base = path.read_bytes(), path.relative_to(channel.root).as_posix(), path
            items = json_items(data, name, (url or path.name).lower().endswith(".jsonl"))
        except ArticleError as e:
            errors.append(e)
            continue
        for label, raw in items:
            if not isinstance(raw, dict):
                errors.append(ArticleError(label, None, "must be an object with the article's fields"))
                continue
            fields = map_fields(raw, source.fields)
            label = f"{label} ({fields['id']})" if isinstance(fields.get("id"), (str, int)) else label
            if "id" not in fields:
                fields["id"] = _stable_id(fields, label)
            body = fields.get("body") if isinstance(fields.get("body"), str) else ""
            try:
                articles.append(build_article(channel, label, base, fields, body, short_max,
                                              fetcher if source.allow_remote else None))
            except ArticleError as e:
                errors.append(e)
    return articles, errors


def _stable_id(fields: dict, label: str) -> str:
    """An id for an item that has none: from its link or title, never from its position."""
    for key in ("guid", "link", "url", "title"):
        if isinstance(fields.get(key), str) and fields[key].strip():
            text = fields[key].strip()
            slug = re.sub(r"^https?://[^/]+", "", text).strip("/").rsplit("/", 1)[-1] or text
            slug = slug if key != "title" else text
            # "?p=1201" -> "p-1201": cleaned here so only truly long ids get a hash suffix.
            return normalize_id(re.sub(r"[^A-Za-z0-9_-]+", "-", slug).strip("-") or slug)
    return normalize_id(label)


# ---------------------------------------------------------------- RSS, Atom, MRSS

def check_xml(data: bytes, name: str) -> None:
    """Refuse hostile XML before any feed parser sees it: no DTD entities, no external
    references (billion laughs, XXE)."""
    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

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
    fields["id"] = _stable_id({"guid": entry.get("id"), "link": link, "title": entry.get("title")}, "item")
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


def read_rss_source(channel, source, fetcher, short_max):
    import feedparser

    try:
        data, name = _load_bytes(channel, source, fetcher)
        check_xml(data, name)
    except ArticleError as e:
        return [], [e]
    parsed = feedparser.parse(data)
    if parsed.get("bozo") and not parsed.entries:
        return [], [ArticleError(name, None, f"is not an RSS or Atom feed: {parsed.get('bozo_exception')}")]
    articles, errors = [], []
    base = source.path if source.path else channel.root / "channel.toml"
    for n, entry in enumerate(parsed.entries, 1):
        fields, body = rss_fields(entry)
        fields = {k: v for k, v in fields.items() if v not in (None, [], "")}
        mapped = map_fields(dict(entry) | fields, source.fields) if source.fields else fields
        label = f"{name} item {n} ({fields.get('id')})"
        try:
            articles.append(build_article(channel, label, base, mapped, body if isinstance(body, str) else "",
                                          short_max, fetcher if source.allow_remote else None))
        except ArticleError as e:
            errors.append(e)
    return articles, errors


# ---------------------------------------------------------------- existing DP feeds

_DP_KINDS = {"movies": "movie", "shortFormVideos": "shortFormVideo", "tvSpecials": "tvSpecial", "liveFeeds": "liveFeed"}


def dp_item_fields(item: dict, kind: str) -> tuple[dict, str]:
    content = item.get("content") or {}
    videos = content.get("videos") or [{}]
    v = videos[0] if isinstance(videos[0], dict) else {}
    fields = {
        "id": item.get("id"), "title": item.get("title"), "summary": item.get("shortDescription"),
        "date": content.get("dateAdded") or item.get("releaseDate"), "tags": item.get("tags"),
        "genres": item.get("genres"), "photo": item.get("thumbnail"), "type": kind,
        "video": {"url": v.get("url"), "duration": content.get("duration"), "type": v.get("videoType"),
                  "quality": v.get("quality", "HD"), **({"bitrate": v["bitrate"]} if "bitrate" in v else {})},
    }
    if item.get("rating"):
        fields["rating"] = {"rating": item["rating"].get("rating"), "source": item["rating"].get("ratingSource")}
    if item.get("credits"):
        fields["credits"] = [{"name": c.get("name"), "role": c.get("role"), **({"birth_date": c["birthDate"]} if c.get("birthDate") else {})}
                             for c in item["credits"]]
    if content.get("captions"):
        fields["captions"] = [{"url": c.get("url"), "language": c.get("language"), "type": c.get("captionType")} for c in content["captions"]]
    if item.get("externalIds"):
        fields["external_ids"] = [{"id": x.get("id"), "type": x.get("idType")} for x in item["externalIds"]]
    if content.get("trickPlayFiles"):
        fields["trickplay"] = content["trickPlayFiles"]
    if content.get("adBreaks"):
        fields["ad_breaks"] = content["adBreaks"]
    if content.get("validityPeriodStart") or content.get("validityPeriodEnd"):
        fields["available"] = {"from": content.get("validityPeriodStart"), "until": content.get("validityPeriodEnd")}
    return {k: v for k, v in fields.items() if v is not None}, item.get("longDescription") or ""


def read_dp_source(channel, source, fetcher, short_max):
    """Items, series, categories and playlists of an existing DP feed. Thumbnails are
    downloaded and re-rendered with allow_remote; otherwise kept as URLs."""
    try:
        data, name = _load_bytes(channel, source, fetcher)
        feed = json.loads(data.decode("utf-8-sig"))
        if not isinstance(feed, dict):
            raise ValueError("not a JSON object")
    except ArticleError as e:
        return [], [e], {}
    except (ValueError, UnicodeDecodeError) as e:
        return [], [ArticleError(source.name, None, f"is not a DP JSON feed: {e}")], {}
    base = source.path if source.path else channel.root / "channel.toml"
    remote = fetcher if source.allow_remote else None
    articles, errors = [], []

    def add(label, fields, body):
        try:
            articles.append(build_article(channel, label, base, fields, body, short_max, remote, keep_remote_thumbnail=remote is None))
        except ArticleError as e:
            errors.append(e)

    for key, kind in _DP_KINDS.items():
        for i, item in enumerate(feed.get(key) or []):
            if isinstance(item, dict):
                add(f"{name} {key}[{i}] ({item.get('id')})", *dp_item_fields(item, kind))
    series_infos = []
    for i, series in enumerate(feed.get("series") or []):
        if not isinstance(series, dict) or not series.get("id"):
            errors.append(ArticleError(f"{name} series[{i}]", "id", "a series needs an id"))
            continue
        sid = str(series["id"])
        series_infos.append(SeriesInfo(id=normalize_id(sid), title=series.get("title"),
                                       description=series.get("shortDescription"), genres=tuple(series.get("genres") or ()) or None))
        seasons = series.get("seasons") or [{"seasonNumber": None, "episodes": series.get("episodes") or []}]
        for season in seasons:
            for j, ep in enumerate(season.get("episodes") or []):
                fields, body = dp_item_fields(ep, "episode")
                fields["series"] = {"id": sid, "title": series.get("title"), "episode": ep.get("episodeNumber"),
                                    **({"season": season["seasonNumber"]} if season.get("seasonNumber") is not None else {})}
                fields.setdefault("genres", series.get("genres"))
                add(f"{name} series {sid} episode {ep.get('episodeNumber', j + 1)} ({ep.get('id')})", fields, body)
    rows = {
        "series": series_infos,
        "categories": [Category(name=c["name"], order=c.get("order", "most_recent"), query=c.get("query"),
                                playlist=c.get("playlistName"))
                       for c in feed.get("categories") or [] if isinstance(c, dict) and c.get("name")],
        "playlists": [Playlist(name=p["name"], items=tuple(str(x) for x in p.get("itemIds") or ()))
                      for p in feed.get("playlists") or [] if isinstance(p, dict) and p.get("name") and p.get("itemIds")],
    }
    return articles, errors, rows


# ---------------------------------------------------------------- all sources

def read_sources(channel: Channel, short_max: int = 200) -> tuple[Channel, list[Article], list[ArticleError]]:
    """Every [[sources]] entry in order. Rows and series an imported DP feed brings are added
    after the channel's own (which win on name clashes)."""
    fetcher = Fetcher(channel.root) if any(s.allow_remote for s in channel.sources) else None
    articles, errors = [], []
    series, categories, playlists = list(channel.series), list(channel.categories), list(channel.playlists)
    for source in channel.sources:
        if source.type == "markdown":
            from packager.sources import article_files
            for path in article_files(replace(channel, articles_dir=source.path)):
                try:
                    articles.append(read_article(channel, path, short_max))
                except ArticleError as e:
                    errors.append(e)
        elif source.type == "json":
            a, e = read_json_source(channel, source, fetcher, short_max)
            articles += a
            errors += e
        elif source.type == "rss":
            a, e = read_rss_source(channel, source, fetcher, short_max)
            articles += a
            errors += e
        else:
            a, e, rows = read_dp_source(channel, source, fetcher, short_max)
            articles += a
            errors += e
            have = {s.id for s in series}
            series += [s for s in rows.get("series", []) if s.id not in have]
            names = {c.name for c in categories}
            categories += [c for c in rows.get("categories", []) if c.name not in names]
            pnames = {p.name for p in playlists}
            playlists += [p for p in rows.get("playlists", []) if p.name not in pnames]
    channel = replace(channel, series=tuple(series), categories=tuple(categories), playlists=tuple(playlists))
    return channel, articles, errors
