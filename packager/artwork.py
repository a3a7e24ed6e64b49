"""Photos -> named 16:9 renditions: render specs from the channel's settings, names that hash
the source bytes and every setting that changes the output, reuse of files an earlier build
wrote, and rendering in parallel. The pixels themselves are imaging's."""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from packager.config import ArtworkSettings
from packager.digests import DigestMemo, SourceError
from packager.errors import ArticleError
from packager.executor import Executor, LocalExecutor, Task
from packager.imaging import PhotoError, RenderSpec, render_image, render_photo, title_card_image
from packager.model import Article, Published, Rendition

# Bump when the pipeline's output for the same input changes, so names change with it.
PIPELINE_VERSION = "3"
ARTWORK_DIR = "artwork"


def render_spec(s: ArtworkSettings, focus=None) -> RenderSpec:
    return RenderSpec(renditions=tuple(s.renditions), quality=s.quality, background=tuple(s.background),
                      fit=s.fit, fit_tolerance=s.fit_tolerance, crop=s.crop,
                      contain_fill=s.contain_fill if isinstance(s.contain_fill, str) else tuple(s.contain_fill),
                      small=s.small, format=s.format, tv_safe=s.tv_safe, focus=focus)


def spec_key(spec: RenderSpec) -> bytes:
    """Every setting that changes the output bytes, and the pipeline's version. `small` never
    does (refuse writes nothing; pad only acts where refuse would): it is hashed as its old
    default, so changing the default (or the key) renames no artwork a bucket already holds."""
    return json.dumps([PIPELINE_VERSION, spec.__dict__ | {"small": "refuse"}], sort_keys=True, default=list).encode()


def rendition_names(digest: str, spec: RenderSpec) -> list[str]:
    """artwork/<hash>.jpg for each requested size; the hash covers source and settings."""
    names = []
    key = spec_key(spec)
    for w, h in spec.renditions:
        hsh = hashlib.sha256(key + f"\0{w}x{h}\0{digest}".encode()).hexdigest()[:24]
        names.append(f"{ARTWORK_DIR}/{hsh}{spec.suffix}")
    return names


def render_title_card(title: str, settings: ArtworkSettings, spec: RenderSpec) -> list[tuple[int, int, bytes]]:
    return render_image(title_card_image(title, settings.title_card, spec.renditions[0]), spec)


@dataclass(frozen=True)
class ArtworkJob:
    """One picture to render: an article's photo (or title card), or a series' photo."""
    key: str  # the article id, or "series:<id>"
    source: str  # the file to name in messages
    photo: Path | None
    title: str
    focus: tuple[float, float] | None = None

    @classmethod
    def for_article(cls, article: Article) -> "ArtworkJob":
        return cls(article.id, article.source, article.photo, article.title, article.photo_focus)


def title_card_digest(article: ArtworkJob, settings: ArtworkSettings) -> str:
    card = settings.title_card
    h = hashlib.sha256(b"title-card\0" + article.title.encode())
    for path in (card.font, card.logo):
        h.update(b"\0" + (path.read_bytes() if path is not None else b""))
    h.update(json.dumps([card.background, card.color]).encode())
    return h.hexdigest()


# ---------------------------------------------------------------- per article, in parallel

def _read_photo(article: ArtworkJob, memo: DigestMemo) -> tuple[str, bytes | None]:
    name = article.photo.name
    try:
        return memo.digest(article.photo)
    except FileNotFoundError:
        raise ArticleError(article.source, "photo", f"{name} not found; check the path (relative to the article file)") from None
    except SourceError as e:
        raise ArticleError(article.source, "photo", f"{name} {e.strerror}") from None
    except IsADirectoryError:
        raise ArticleError(article.source, "photo", f"{name} is a folder, not a photo") from None
    except OSError as e:
        if os.path.isdir(article.photo):
            raise ArticleError(article.source, "photo", f"{name} is a folder, not a photo") from None
        raise ArticleError(article.source, "photo", f"{name} can't be read: {e.strerror or e}") from None


def _cached(names: list[str], cache_dir: Path | None, published: Published | None = None) -> list[Rendition] | None:
    """An earlier build's files for these names, else (the bucket is the cache) the target's
    objects when every name is published there; None when they must be rendered."""
    if cache_dir is None:
        return _published(names, published)
    out = []
    for name in names:
        path = cache_dir / name
        try:
            with Image.open(path) as im:  # reads the header only
                out.append(Rendition(name, im.size[0], im.size[1], origin=path))
        except (OSError, UnidentifiedImageError):
            return _published(names, published)  # not rendered before, or damaged: render again
    return out


def _published(names: list[str], published: Published | None) -> list[Rendition] | None:
    if published is None or not all(n in published.keys for n in names):
        return None
    return [Rendition(n, 0, 0, remote=True) for n in names]


def render_photo_task(data: bytes, suffix: str, spec: RenderSpec, max_pixels: int):
    """A render task (pure: bytes and settings in, bytes out, on any worker):
    [(width, height, encoded bytes)] in the order of spec.renditions, or the PhotoError's
    message."""
    try:
        return render_photo(data, suffix, spec, max_pixels)
    except PhotoError as e:
        return str(e)


@dataclass
class _Pending:
    """One distinct rendition set to render (several articles may share a photo)."""
    names: list[str]
    photo: Path
    spec: RenderSpec
    sharing: list[ArtworkJob]  # every article job that shares these renditions


def _prepare(job: ArtworkJob, settings: ArtworkSettings, cache_dir: Path | None, memo: DigestMemo,
             published: Published | None = None):
    """Names (content hashes) and reuse, before any rendering: the renditions if an earlier
    build has them or the job is a title card (drawn here: it needs the channel's font and
    logo, and is cheap), else what to render."""
    spec = render_spec(settings, job.focus)
    if job.photo is None:
        names = rendition_names(title_card_digest(job, settings), spec)
        cached = _cached(names, cache_dir, published)
        if cached is not None:
            return tuple(cached)
        try:
            rendered = render_title_card(job.title, settings, spec)
        except OSError as e:  # title-card font or logo unreadable
            raise ArticleError(job.source, "photo", f"the title card can't be drawn: {e}") from None
        return tuple(Rendition(name, w, h, data) for name, (w, h, data) in zip(names, rendered))
    digest, _ = _read_photo(job, memo)
    names = rendition_names(digest, spec)
    cached = _cached(names, cache_dir, published)
    if cached is not None:
        return tuple(cached)
    return _Pending(names, job.photo, spec, [job])


def render_artwork(articles: list, settings: ArtworkSettings, cache_dir: Path | None = None,
                   jobs: int | None = None, memo: DigestMemo | None = None, executor: Executor | None = None,
                   published: Published | None = None) -> tuple[dict[str, tuple[Rendition, ...]], list[ArticleError]]:
    """Every article's (or job's) artwork. Names and reuse are worked out here, on threads
    (reading and hashing photos); the renders run as tasks on the executor (this machine's
    pool by default), each distinct rendition set once however many articles share it.
    Returns renditions by key, and per-item errors."""
    memo = memo if memo is not None else DigestMemo.load(cache_dir)
    own = executor is None
    executor = executor if executor is not None else LocalExecutor(jobs)

    def prepare(item):
        job = item if isinstance(item, ArtworkJob) else ArtworkJob.for_article(item)
        try:
            return job, _prepare(job, settings, cache_dir, memo, published)
        except ArticleError as e:
            return job, e

    renditions, errors = {}, []
    pending: dict[tuple[str, ...], _Pending] = {}

    def tasks():
        # Hashing on threads here overlaps with rendering there: each new rendition set is
        # sent as soon as it is known (its bytes read again when sent, so an archive's
        # photos are never all in memory).
        with ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1)) as pool:
            for job, result in pool.map(prepare, articles):
                if isinstance(result, ArticleError):
                    errors.append(result)
                elif isinstance(result, _Pending):
                    same = pending.setdefault(tuple(result.names), result)
                    if same is not result:
                        same.sharing.append(job)
                        continue
                    yield Task(tuple(result.names), render_photo_task, lambda p=result: (
                        p.photo.read_bytes(), p.photo.suffix, p.spec, settings.max_pixels))
                else:
                    renditions[job.key] = result

    try:
        rendered = dict(executor.run(tasks(), "photo", refused=lambda r: isinstance(r, (str, OSError))))
    finally:
        if own:
            executor.close()
    for key, p in pending.items():  # every article sharing the set, found before or after it was sent
        result = rendered[key]
        for job in p.sharing:
            if isinstance(result, OSError):
                errors.append(ArticleError(job.source, "photo", f"{job.photo.name} can't be read: {result.strerror or result}"))
            elif isinstance(result, str):
                errors.append(ArticleError(job.source, "photo", f"{job.photo.name} {result}"))
            else:
                renditions[job.key] = tuple(Rendition(name, w, h, data) for name, (w, h, data) in zip(p.names, result))
    return renditions, errors
