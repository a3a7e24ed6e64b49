"""Articles + renditions -> the Direct Publisher feed (a dict), and its canonical bytes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from packager.config import Channel
from packager.model import Article, Rendition
from packager.vocab import BITRATE_REQUIRED, SHORT_FORM_MAX_SECONDS


def iso_datetime(dt: datetime) -> str:
    """Roku wants YYYY-MM-DDThh:mm:ss+hh:mm; everything is written in UTC."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def item_kind(article: Article) -> str:
    return "shortFormVideos" if article.video.duration <= SHORT_FORM_MAX_SECONDS else "tvSpecials"


def build_item(article: Article, rendition: Rendition, channel: Channel) -> dict:
    """One feed item; `rendition` is the article's first (thumbnail) rendition."""
    video = {"url": article.video.url, "quality": article.video.quality, "videoType": article.video.video_type}
    if article.video.bitrate is not None or article.video.video_type in BITRATE_REQUIRED:
        video["bitrate"] = article.video.bitrate
    item = {
        "id": article.id,
        "title": article.title,
        "shortDescription": article.short_description,
    }
    if article.long_description:
        item["longDescription"] = article.long_description
    item.update({
        "thumbnail": channel.base_url + rendition.relpath,
        # The article's own calendar date, as the newsroom dated it.
        "releaseDate": article.date.date().isoformat(),
        "genres": list(article.genres),
    })
    if article.tags:
        item["tags"] = list(article.tags)
    item["content"] = {
        "dateAdded": iso_datetime(article.date),
        "duration": article.video.duration,
        "videos": [video],
        "language": channel.language,
    }
    return item


def newest_first(articles: list[Article]) -> list[Article]:
    # The id breaks ties so equal dates still give one order.
    return sorted(articles, key=lambda a: (-a.date.timestamp(), a.id))


def build_feed(channel: Channel, articles: list[Article], renditions: dict[str, tuple[Rendition, ...]]) -> dict:
    """The feed for every article that has a rendition. lastUpdated is the newest article's
    date, never the wall clock, so the same inputs give the same bytes."""
    ordered = [a for a in newest_first(articles) if a.id in renditions]
    feed: dict = {
        "providerName": channel.provider_name,
        "language": channel.language,
        "lastUpdated": iso_datetime(ordered[0].date) if ordered else "1970-01-01T00:00:00+00:00",
    }
    for article in ordered:
        feed.setdefault(item_kind(article), []).append(build_item(article, renditions[article.id][0], channel))
    if channel.categories:
        feed["categories"] = [category_entry(c) for c in channel.categories]
    return feed


def category_entry(category) -> dict:
    entry = {"name": category.name}
    if category.playlist is not None:
        entry["playlistName"] = category.playlist
    else:
        entry["query"] = category.query
    entry["order"] = category.order
    return entry


def serialize(feed: dict) -> bytes:
    """Canonical bytes: UTF-8 without BOM, starts with '{', compact, key order as built."""
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
