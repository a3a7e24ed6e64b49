"""The pipeline: channel.toml and sources -> articles -> artwork and clips -> items, each
validated -> the feed, fitted once -> dist/. All of it is computed first and written once.

Membership is explicit: an article is in the feed when it is in the FeedResult; every one
left out has a reason (skipped with an ArticleError, expired, or fitted out, in notes)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from packager.artwork import ArtworkJob, render_artwork
from packager.config import Channel, load_channel
from packager.digests import DigestMemo
from packager.dp import SHORT_DESCRIPTION_MAX, STRICT_SHORT_DESCRIPTION_MAX, count_items, serialize
from packager.errors import ArticleError, PackagerError
from packager.executor import Executor, open_executor
from packager.feed import Catalog, FeedNotes, Unit, check_series, fit_feed, make_units, reference_time, split_expired
from packager.model import Article, Published, Rendition
from packager.outputs import MRSS_NAME, SEARCH_NAME, build_mrss, build_search_feed, search_feed_errors
from packager.readers import read_content
from packager.validate import DEFAULT_PROFILE, Report, validate_feed
from packager.writer import FEED_NAME, DistWriter

DEFAULT_OUT = "dist"
PUBLISH_DIR = "public"  # the default file:// publish target inside the channel folder


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
    articles: list[Article] = field(default_factory=list)  # in the feed
    renditions: dict[str, tuple[Rendition, ...]] = field(default_factory=dict)
    skipped: list[ArticleError] = field(default_factory=list)
    notes: FeedNotes = field(default_factory=FeedNotes)
    rendered: str | None = None  # how many render tasks ran, and where

    @property
    def feed_path(self) -> Path:
        return self.out / FEED_NAME

    @property
    def item_count(self) -> int:
        """Items in the written feed, episodes included."""
        return count_items(self.feed)


def build(channel_dir: Path | str, out: Path | str | None = None, profile: str = DEFAULT_PROFILE,
          jobs: int | None = None, executor: str | None = None, scheduler: str | None = None,
          published: Published | None = None) -> BuildResult:
    """`published`: what the publish target already holds; artwork and clips found there are
    not rendered (the bucket is the cache) and not written to dist/ (publish has them)."""
    channel = load_channel(channel_dir)
    out = Path(out) if out is not None else channel.root / DEFAULT_OUT
    result = BuildResult(channel=channel, out=out)
    # Fail before any work if --out is somebody else's folder, or holds the channel itself.
    DistWriter(out).check_target({"channel folder": channel.root, "articles folder": channel.articles_dir})
    renderer = open_executor(executor, scheduler, channel.render, jobs)  # an unreachable scheduler fails here
    try:
        return _build(channel, out, profile, jobs, renderer, result, published)
    finally:
        renderer.close()


def _build(channel: Channel, out: Path, profile: str, jobs: int | None, renderer: Executor,
           result: BuildResult, published: Published | None) -> BuildResult:
    strict = profile == "strict"
    content = read_content(channel, short_max=STRICT_SHORT_DESCRIPTION_MAX if strict else SHORT_DESCRIPTION_MAX,
                           exclude=(out, channel.root / PUBLISH_DIR))
    result.notes.warnings += content.warnings
    catalog = Catalog(tuple(content.series), tuple(content.categories), tuple(content.playlists))
    articles, series_errors = check_series(content.articles)
    result.skipped += content.errors + series_errors

    series_ids = {a.series.id for a in articles if a.series is not None}
    clash = [a for a in articles if a.id in series_ids and a.kind != "episode"]
    for a in clash:
        result.skipped.append(ArticleError(a.source, "id", f"{a.id!r} is also a series id; give the article or the series another id"))
    articles = [a for a in articles if a not in clash]

    cache_dir = out if out.is_dir() else None
    memo = DigestMemo.load(cache_dir)
    staging = None
    if any(a.video is None for a in articles):
        # The scratch folder of clips and video packages; named with this process's id so a
        # killed build's is cleaned.
        out.absolute().parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.clips-{os.getpid()}-", dir=out.absolute().parent))
    try:
        return _build_media(channel, out, profile, jobs, renderer, result, published, articles, catalog,
                            series_ids, cache_dir, memo, staging)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _build_media(channel: Channel, out: Path, profile: str, jobs: int | None, renderer: Executor,
                 result: BuildResult, published: Published | None, articles: list[Article], catalog: Catalog,
                 series_ids: set[str], cache_dir: Path | None, memo: DigestMemo, staging: Path | None) -> BuildResult:
    media_files: dict[str, dict[str, Path]] = {}
    if staging is not None and any(a.video_file is not None for a in articles):
        from packager.video.stage import make_videos  # noqa: PLC0415 (only channels with video files pay for it)

        packaged = make_videos(channel, articles, cache_dir, staging, renderer, published)
        result.skipped += packaged.errors
        result.notes.warnings += packaged.warnings
        articles, media_files = packaged.articles, packaged.files
    renditions, art_errors = render_artwork(_artwork_jobs(articles, catalog, series_ids), channel.artwork,
                                            cache_dir=cache_dir, jobs=jobs, memo=memo, executor=renderer,
                                            published=published)
    result.skipped += art_errors
    for a in articles:
        if a.thumbnail_url is not None:  # imported, kept as a URL: nothing to render or write
            renditions[a.id] = (Rendition("", 0, 0, url=a.thumbnail_url),)
    articles = [a for a in articles if a.id in renditions]

    clip_files: dict[str, dict[str, Path]] = dict(media_files)
    if staging is not None and any(a.video is None for a in articles):
        from packager.clips import make_clips  # noqa: PLC0415 (only channels with text-only articles pay for it)

        clipped = make_clips(channel, articles, cache_dir, staging, jobs, memo, renderer, published)
        result.skipped += clipped.errors
        result.notes.warnings += clipped.warnings
        articles, clip_files = clipped.articles, clip_files | clipped.files
        if channel.clips.format == "hls" and clipped.files:
            from packager.video.stage import package_clips  # noqa: PLC0415 (only HLS clips pay for it)

            packaged = package_clips(channel, articles, clip_files, cache_dir, staging, renderer, published)
            result.skipped += packaged.errors
            result.notes.warnings += packaged.warnings
            articles, clip_files = packaged.articles, packaged.files
    result.rendered = renderer.summary() if renderer.ran else None

    now = reference_time()
    live = split_expired(articles, now, result.notes)
    units = _valid_units(channel, catalog, live, renditions, profile, result)
    fitted = fit_feed(channel, catalog, units, now, result.notes)
    body = serialize(fitted.feed)
    report = validate_feed(fitted.feed, body, profile=profile, source=str(out / FEED_NAME),
                           consumer=channel.feed.consumer)
    result.feed, result.body, result.report = fitted.feed, body, report
    result.articles = fitted.articles
    result.skipped.sort(key=lambda e: e.source)
    if not report.valid:
        raise BuildFailed(f"{channel.root}: no valid feed could be written", result)
    _write(result, fitted.units, renditions, clip_files, memo)
    return result


def _artwork_jobs(articles: list[Article], catalog: Catalog, series_ids: set[str]) -> list[ArtworkJob]:
    return [ArtworkJob.for_article(a) for a in articles if a.thumbnail_url is None] + [
        ArtworkJob(f"series:{s.id}", f"channel.toml [[series]] {s.id}", s.photo, s.title or s.id)
        for s in catalog.series if s.photo is not None and s.id in series_ids]


# A valid root around one item, so each item is validated alone before fitting.
_WRAP = {"providerName": "x", "language": "en", "lastUpdated": "2000-01-01T00:00:00+00:00"}


def _valid_units(channel: Channel, catalog: Catalog, articles: list[Article], renditions,
                 profile: str, result: BuildResult) -> list[Unit]:
    """Each root item validated on its own; an error inside an item (or an episode) skips
    that article, reported like any bad article. A series losing an episode is rebuilt."""
    short_max = STRICT_SHORT_DESCRIPTION_MAX if profile == "strict" else SHORT_DESCRIPTION_MAX
    units, pending = [], make_units(channel, catalog, articles, renditions, short_max)
    while pending:
        unit = pending.pop(0)
        report = validate_feed(_WRAP | {unit.kind: [unit.item]}, profile=profile)
        by_id = {a.id: a for a in unit.articles}
        bad: dict[str, ArticleError] = {}
        for f in report.errors:
            article = by_id.get(f.item_id) if f.item_id else None
            targets = [article] if article is not None else list(unit.articles)  # the series wrapper: all episodes
            for a in targets:
                bad.setdefault(a.id, ArticleError(a.source, f.path.split(".")[-1], f"{f.message} ({f.code} at {f.path})"))
        if not bad:
            units.append(unit)
            continue
        result.skipped += bad.values()
        left = [a for a in unit.articles if a.id not in bad]
        if left and unit.kind == "series":
            pending += make_units(channel, catalog, left, renditions, short_max)
    return units


def extra_outputs(channel: Channel, feed: dict, warnings: list[str] | None = None) -> list[tuple[str, bytes]]:
    """feed.xml (DP MRSS) and search-feed.json when [outputs] asks for them; what the search
    feed had to map or leave out is added to `warnings`."""
    out = []
    if channel.outputs.mrss:
        out.append((MRSS_NAME, build_mrss(feed, channel.base_url)))
    if channel.outputs.search_feed:
        doc = build_search_feed(feed, list(channel.outputs.countries), dict(channel.outputs.advisory_rating), warnings)
        errors = search_feed_errors(doc)
        if errors:
            raise PackagerError(f"{SEARCH_NAME} would not validate ({len(errors)} errors; first: {errors[0]}); "
                                "check [search_feed] in channel.toml")
        out.append((SEARCH_NAME, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"))
    return out


def _write(result: BuildResult, units: list[Unit], renditions, clip_files: dict[str, dict[str, Path]],
           memo: DigestMemo) -> None:
    """Exactly the files of the items kept: their artwork, their series' artwork, their clips."""
    writer = DistWriter(result.out)
    keys = [a.id for u in units for a in u.articles] + [f"series:{u.id}" for u in units if u.kind == "series"]
    for key in keys:
        for r in renditions.get(key, ()):
            if r.relpath and not r.remote:  # a published one stays on the target, not in dist/
                writer.add(r.relpath, r.data or None, r.origin)
        for relpath, path in clip_files.get(key, {}).items():
            writer.add(relpath, origin=path)
    writer.add(FEED_NAME, result.body)
    for name, data in extra_outputs(result.channel, result.feed, result.notes.warnings):
        writer.add(name, data)
    writer.add(DigestMemo.NAME, memo.dump())
    writer.commit()
