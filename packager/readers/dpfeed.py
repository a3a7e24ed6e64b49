"""The dp-feed reader: an existing Direct Publisher feed (a migration): its items, series,
categories and playlists."""

from __future__ import annotations

import json

from packager.articles import build_article
from packager.config import Category, Playlist, SeriesInfo
from packager.errors import ArticleError
from packager.ids import normalize_id
from packager.readers import Content
from packager.readers.common import load_bytes

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


def read(channel, source, fetcher, short_max, exclude=()) -> Content:
    """Items, series, categories and playlists of an existing DP feed. Thumbnails are
    downloaded and re-rendered with allow_remote; otherwise kept as URLs."""
    try:
        data, name = load_bytes(channel, source, fetcher)
        feed = json.loads(data.decode("utf-8-sig"))
        if not isinstance(feed, dict):
            raise ValueError("not a JSON object")
    except ArticleError as e:
        return Content(errors=[e])
    except (ValueError, UnicodeDecodeError) as e:
        return Content(errors=[ArticleError(source.name, None, f"is not a DP JSON feed: {e}")])
    base = source.path if source.path else channel.root / "channel.toml"
    remote = fetcher
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
    return Content(
        articles=articles, errors=errors, series=series_infos,
        categories=[Category(name=c["name"], order=c.get("order", "most_recent"), query=c.get("query"),
                                playlist=c.get("playlistName"))
                    for c in feed.get("categories") or [] if isinstance(c, dict) and c.get("name")],
        playlists=[Playlist(name=p["name"], items=tuple(str(x) for x in p.get("itemIds") or ()))
                   for p in feed.get("playlists") or [] if isinstance(p, dict) and p.get("name") and p.get("itemIds")])
