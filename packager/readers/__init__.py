"""Readers, one per source type, registered by the name [[sources]] type uses. A channel
without [[sources]] reads its articles folder with the markdown reader, so there is one path
through read_content. Readers return what they found (articles, the errors of bad items,
and the series, categories and playlists an imported feed brings); they never change the
channel's configuration."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from packager.config import Category, Channel, Playlist, SeriesInfo, Source
from packager.errors import ArticleError
from packager.model import Article
from packager.remote import Fetcher


@dataclass
class Content:
    """What the sources hold. For read_content's result, series, categories and playlists are
    the channel's own followed by the imported ones whose names are new."""
    articles: list[Article] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    series: list[SeriesInfo] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    playlists: list[Playlist] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, other: "Content") -> None:
        self.articles += other.articles
        self.errors += other.errors
        self.warnings += other.warnings
        for mine, theirs, key in ((self.series, other.series, "id"), (self.categories, other.categories, "name"),
                                  (self.playlists, other.playlists, "name")):
            have = {getattr(x, key) for x in mine}
            mine += [x for x in theirs if getattr(x, key) not in have]


class Reader(Protocol):
    """What every reader module's read() is: one source of the channel -> its Content.
    `fetcher` is None unless the source allows remote fetches; `short_max` is the
    shortDescription limit of the validation profile; `exclude` the folders not to read
    (the output folder inside the channel)."""

    def __call__(self, channel: Channel, source: Source, fetcher: Fetcher | None, short_max: int,
                 exclude: tuple[Path, ...] = ()) -> Content: ...


# Source type -> the module whose read() reads it. Imported on first use, so a channel that
# only has an articles folder never loads the feed parsers.
READERS = {"markdown": "folder", "json": "exports", "rss": "rss", "dp-feed": "dpfeed", "wordpress": "wordpress"}


def reader(source_type: str) -> Reader:
    read: Reader = importlib.import_module(f"packager.readers.{READERS[source_type]}").read
    return read


def sources_of(channel: Channel) -> tuple[Source, ...]:
    return channel.sources or (Source(type="markdown", path=channel.articles_dir),)


def read_content(channel: Channel, short_max: int = 200, exclude: tuple[Path, ...] = ()) -> Content:
    """Every source in order, duplicate ids refused (the second is skipped, naming both)."""
    fetcher = None
    if any(s.allow_remote for s in channel.sources):
        fetcher = Fetcher(channel.root)
    content = Content(series=list(channel.series), categories=list(channel.categories),
                      playlists=list(channel.playlists))
    for source in sources_of(channel):
        content.add(reader(source.type)(channel, source, fetcher if source.allow_remote else None, short_max, exclude))
    articles, seen = [], {}
    for article in content.articles:
        if article.id in seen:
            content.errors.append(ArticleError(article.source, "id", f"{article.id!r} is also the id of {seen[article.id]}; "
                                                                      "give one of them another id"))
            continue
        seen[article.id] = article.source
        articles.append(article)
        content.warnings += article.warnings
    content.articles = articles
    return content
