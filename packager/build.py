"""The pipeline: channel.toml and articles -> model -> artwork -> feed -> validation -> dist/.
All of it is computed first and written once."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from packager.artwork import ArtworkJob, DigestMemo, render_artwork
from packager.config import Channel, load_channel
from packager.errors import ArticleError, PackagerError
from packager.feed import FeedNotes, build_feed, check_series, reference_time, serialize
from packager.model import Article, Rendition
from packager.sources import read_articles
from packager.validate import DEFAULT_PROFILE, Report, validate_feed
from packager.writer import FEED_NAME, DistWriter

DEFAULT_OUT = "dist"


class BuildFailed(PackagerError):
    def __init__(self, message: str, result: "BuildResult"):
        super().__init__(message)
        self.result = result


@dataclass
class BuildResult:
    channel: Channel
    out: Path
    feed: dict | None = None
    body: bytes | None = None
    report: Report | None = None
    articles: list[Article] = field(default_factory=list)
    renditions: dict[str, tuple[Rendition, ...]] = field(default_factory=dict)
    skipped: list[ArticleError] = field(default_factory=list)
    notes: FeedNotes = field(default_factory=FeedNotes)

    @property
    def feed_path(self) -> Path:
        return self.out / FEED_NAME

    @property
    def item_count(self) -> int:
        """Items in the written feed, episodes included."""
        if not self.feed:
            return 0
        from packager.validate import walk_items
        return sum(1 for kind, _, _ in walk_items(self.feed) if kind != "series")


def _drop_items_with_errors(result: BuildResult, report: Report) -> bool:
    """A finding inside an item skips that article (reported like any bad article)."""
    by_id = {a.id: a for a in result.articles}
    dropped = False
    for f in report.errors:
        article = by_id.get(f.item_id) if f.item_id else None
        if article is not None and article.id in result.renditions:
            del result.renditions[article.id]
            field_name = f.path.split(".")[-1]
            result.skipped.append(ArticleError(article.source, field_name, f"{f.message} ({f.code} at {f.path})"))
            dropped = True
    return dropped


def build(channel_dir: Path | str, out: Path | str | None = None, profile: str = DEFAULT_PROFILE,
          jobs: int | None = None, write: bool = True) -> BuildResult:
    channel = load_channel(channel_dir)
    out = Path(out) if out is not None else channel.root / DEFAULT_OUT
    result = BuildResult(channel=channel, out=out)
    DistWriter(out).check_target()  # fail before any work if --out is somebody else's folder

    articles, errors = read_articles(channel, short_max=110 if profile == "strict" else 200)
    articles, series_errors = check_series(articles)
    result.articles = articles
    result.skipped.extend(errors + series_errors)
    cache_dir = out if out.is_dir() else None
    memo = DigestMemo.load(cache_dir)
    series_ids = {a.series.id for a in articles if a.series is not None}
    art_jobs = [ArtworkJob.for_article(a) for a in articles] + [
        ArtworkJob(f"series:{s.id}", f"channel.toml [[series]] {s.id}", s.photo, s.title or s.id)
        for s in channel.series if s.photo is not None and s.id in series_ids]
    renditions, art_errors = render_artwork(art_jobs, channel.artwork, cache_dir=cache_dir, jobs=jobs, memo=memo)
    result.renditions = renditions
    result.skipped.extend(art_errors)
    clash = {a.id for a in articles} & series_ids
    for a in articles:
        if a.id in clash and a.kind != "episode":
            result.skipped.append(ArticleError(a.source, "id", f"{a.id!r} is also a series id; give the article or the series another id"))
            renditions.pop(a.id, None)

    now = reference_time()
    for _ in range(3):
        result.notes = FeedNotes()
        feed = build_feed(channel, articles, result.renditions, now=now, notes=result.notes)
        body = serialize(feed)
        report = validate_feed(feed, body, profile=profile, source=str(out / FEED_NAME))
        if report.valid or not _drop_items_with_errors(result, report):
            break
    result.feed, result.body, result.report = feed, body, report
    result.skipped.sort(key=lambda e: e.source)
    if not report.valid:
        raise BuildFailed(f"{channel.root}: no valid feed could be written", result)

    if write:
        writer = DistWriter(out)
        from packager.validate import walk_items
        in_feed = {item.get("id") for _, _, item in walk_items(feed)}
        # Only the artwork of items in the feed: fitting or expiry may have left some out.
        for key, renditions in result.renditions.items():
            if key.removeprefix("series:") in in_feed:
                for r in renditions:
                    writer.add(r.relpath, r.data or None, r.origin)
        writer.add(FEED_NAME, body)
        writer.add(DigestMemo.NAME, memo.dump())
        writer.commit()
    return result
