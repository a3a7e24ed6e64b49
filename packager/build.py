"""The pipeline: channel.toml and articles -> model -> artwork -> feed -> validation -> dist/.
All of it is computed first and written once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from packager.artwork import ArtworkJob, DigestMemo, render_artwork
from packager.config import Channel, load_channel
from packager.errors import ArticleError, PackagerError
from packager.feed import FeedNotes, build_feed, check_series, reference_time, serialize
from packager.model import Article, Rendition
from packager.sources import read_content
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
    DistWriter(out).check_target({"channel folder": channel.root, "articles folder": channel.articles_dir})  # fail before any work if --out is somebody else's folder

    channel, articles, errors = read_content(channel, short_max=110 if profile == "strict" else 200)
    result.channel = channel
    articles, series_errors = check_series(articles)
    result.articles = articles
    result.skipped.extend(errors + series_errors)
    cache_dir = out if out.is_dir() else None
    memo = DigestMemo.load(cache_dir)
    series_ids = {a.series.id for a in articles if a.series is not None}
    art_jobs = [ArtworkJob.for_article(a) for a in articles if a.thumbnail_url is None] + [
        ArtworkJob(f"series:{s.id}", f"channel.toml [[series]] {s.id}", s.photo, s.title or s.id)
        for s in channel.series if s.photo is not None and s.id in series_ids]
    renditions, art_errors = render_artwork(art_jobs, channel.artwork, cache_dir=cache_dir, jobs=jobs, memo=memo)
    for a in articles:
        if a.thumbnail_url is not None:  # imported, kept as a URL: nothing to render or write
            renditions[a.id] = (Rendition("", 0, 0, url=a.thumbnail_url),)
    result.renditions = renditions
    result.skipped.extend(art_errors)
    clash = {a.id for a in articles} & series_ids
    for a in articles:
        if a.id in clash and a.kind != "episode":
            result.skipped.append(ArticleError(a.source, "id", f"{a.id!r} is also a series id; give the article or the series another id"))
            renditions.pop(a.id, None)

    staging = None
    if any(a.video is None for a in articles):
        import tempfile
        out.absolute().parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.clips-", dir=out.absolute().parent))
    try:
        return _feed_and_write(result, channel, articles, out, cache_dir, staging, profile, jobs, memo, write)
    finally:
        if staging is not None:
            import shutil
            shutil.rmtree(staging, ignore_errors=True)


def extra_outputs(channel: Channel, feed: dict) -> list[tuple[str, bytes]]:
    """feed.xml (DP MRSS) and search-feed.json when [outputs] asks for them."""
    from packager.outputs import MRSS_NAME, SEARCH_NAME, build_mrss, build_search_feed, search_feed_errors

    out = []
    if channel.outputs.mrss:
        out.append((MRSS_NAME, build_mrss(feed, channel.base_url)))
    if channel.outputs.search_feed:
        doc = build_search_feed(feed, list(channel.outputs.countries), dict(channel.outputs.advisory_rating))
        errors = search_feed_errors(doc)
        if errors:
            raise PackagerError(f"{SEARCH_NAME} would not validate ({len(errors)} errors; first: {errors[0]}); "
                                "check [search_feed] in channel.toml")
        out.append((SEARCH_NAME, json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"))
    return out


def make_clips(channel: Channel, articles: list[Article], cache_dir: Path | None, staging: Path | None,
               jobs: int | None, result: BuildResult, memo: DigestMemo | None = None) -> tuple[list[Article], dict[str, Path]]:
    """Render (or reuse) a clip for every article that needs one; returns the articles with
    their clip as video, and the clip files to write."""
    import dataclasses
    import math

    from packager.clips import ClipError, ClipInfo, clip_name, probe, render_clip
    from packager.model import Video

    import os
    from concurrent.futures import ThreadPoolExecutor

    def one(a: Article):
        name = clip_name(a, channel.clips, channel.artwork.title_card,
                         (lambda path: memo.digest(path)[0]) if memo is not None else None)
        trick_name = name.removesuffix(".mp4") + "-hd.bif"
        earlier = cache_dir / name if cache_dir is not None else None
        files = {}
        try:
            if earlier is not None and earlier.is_file() and (not channel.clips.trickplay or (cache_dir / trick_name).is_file()):
                info = probe(earlier, name)  # rendered by an earlier build: measured, not rendered
                info = ClipInfo(name, info.duration, info.bitrate_kbps, info.width, info.height,
                                trick_name if channel.clips.trickplay else None)
                files[name] = earlier
                if info.trickplay:
                    files[trick_name] = cache_dir / trick_name
            else:
                info = render_clip(a, channel.clips, channel.artwork.title_card, staging, name,
                                   channel.artwork.max_pixels, frame_jobs)
                files[name] = staging / name
                if info.trickplay:
                    files[info.trickplay] = staging / info.trickplay
        except ClipError as e:
            return ArticleError(a.source, e.field, str(e)), None, {}
        video = Video(url=channel.base_url + name, duration=math.ceil(info.duration), video_type="MP4",
                      quality=info.quality, bitrate=info.bitrate_kbps)
        trick = a.trickplay + (({"url": channel.base_url + info.trickplay, "quality": "HD"},) if info.trickplay else ())
        return info, dataclasses.replace(a, video=video, trickplay=trick), files

    wanted = [a for a in articles if a.video is None and a.id in result.renditions]
    # Each clip draws its frames on two threads and x264 threads itself: a clip per two cores.
    cores = jobs or os.cpu_count() or 1
    frame_jobs = min(2, cores)
    with ThreadPoolExecutor(max_workers=max(1, cores // 2)) as pool:
        done = dict(zip((a.id for a in wanted), pool.map(one, wanted)))
    out_articles, files = [], {}
    for a in articles:
        if a.id not in done:
            out_articles.append(a)  # has its own video (or no artwork: skipped anyway)
            continue
        info, clipped, clip_files = done[a.id]
        if clipped is None:
            result.skipped.append(info)
            continue
        for w in info.warnings:
            result.notes.warnings.append(f"{a.source}: {w}")
        out_articles.append(clipped)
        files.update(clip_files)
    return out_articles, files


def _feed_and_write(result: BuildResult, channel: Channel, articles: list[Article], out: Path, cache_dir, staging,
            profile: str, jobs, memo, write: bool) -> BuildResult:
    """Clips, then the feed (validated; items that fail are skipped and it is built again),
    then the output folder, written once."""
    clip_notes = FeedNotes()
    result.notes = clip_notes
    articles, clip_files = make_clips(channel, articles, cache_dir, staging, jobs, result, memo)
    result.articles = articles
    now = reference_time()
    for _ in range(3):
        result.notes = FeedNotes(warnings=list(clip_notes.warnings))
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
                    if r.relpath:
                        writer.add(r.relpath, r.data or None, r.origin)
        body_text = body.decode("utf-8")
        for relpath, path in clip_files.items():
            if channel.base_url + relpath in body_text:
                writer.add(relpath, origin=path)
        writer.add(FEED_NAME, body)
        for name, data in extra_outputs(channel, feed):
            writer.add(name, data)
        writer.add(DigestMemo.NAME, memo.dump())
        writer.commit()
    return result
