"""Photos -> named 16:9 renditions: render specs from the channel's settings, names that hash
the source bytes and every setting that changes the output, reuse of files an earlier build
wrote, and rendering in parallel. The pixels themselves are imaging's."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from packager.config import ArtworkSettings
from packager.digests import DigestMemo, SourceError
from packager.errors import ArticleError
from packager.imaging import PhotoError, RenderSpec, render_image, render_photo, title_card_image
from packager.model import Article, Rendition

# Bump when the pipeline's output for the same input changes, so names change with it.
PIPELINE_VERSION = "3"
ARTWORK_DIR = "artwork"


def render_spec(s: ArtworkSettings, focus=None) -> RenderSpec:
    return RenderSpec(renditions=tuple(s.renditions), quality=s.quality, background=tuple(s.background),
                      fit=s.fit, fit_tolerance=s.fit_tolerance,
                      contain_fill=s.contain_fill if isinstance(s.contain_fill, str) else tuple(s.contain_fill),
                      small=s.small, format=s.format, tv_safe=s.tv_safe, focus=focus)


def spec_key(spec: RenderSpec) -> bytes:
    """Every setting that changes the output bytes, and the pipeline's version."""
    return json.dumps([PIPELINE_VERSION, spec.__dict__], sort_keys=True, default=list).encode()


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


def _cached(names: list[str], cache_dir: Path | None) -> list[Rendition] | None:
    if cache_dir is None:
        return None
    out = []
    for name in names:
        path = cache_dir / name
        try:
            with Image.open(path) as im:  # reads the header only
                out.append(Rendition(name, im.size[0], im.size[1], origin=path))
        except (OSError, UnidentifiedImageError):
            return None  # not rendered before, or damaged: render again
    return out


class _Once:
    """Within one build, each distinct rendition set is rendered once, however many
    articles share the photo."""

    def __init__(self):
        self.lock = threading.Lock()
        self.results: dict[tuple, object] = {}
        self.events: dict[tuple, object] = {}

    def run(self, key: tuple, fn):
        with self.lock:
            if key in self.results:
                return self.results[key]
            event = self.events.get(key)
            owner = event is None
            if owner:
                event = self.events[key] = threading.Event()
        if not owner:
            event.wait()
            return self.results.get(key) or fn()
        try:
            result = fn()
            self.results[key] = result
            return result
        finally:
            event.set()


def render_article_artwork(article: ArtworkJob, settings: ArtworkSettings, cache_dir: Path | None,
                           memo: DigestMemo, once: _Once | None = None) -> tuple[Rendition, ...]:
    spec = render_spec(settings, article.focus)
    if article.photo is None:
        digest, data = title_card_digest(article, settings), None
    else:
        digest, data = _read_photo(article, memo)
    names = rendition_names(digest, spec)
    job = lambda: _render_job(article, settings, spec, names, data, cache_dir)  # noqa: E731
    try:
        return once.run(tuple(names), job) if once is not None else job()
    except PhotoError as e:
        raise ArticleError(article.source, "photo", f"{article.photo.name} {e}") from None


def _render_job(article: ArtworkJob, settings, spec, names, data, cache_dir) -> tuple[Rendition, ...]:
    cached = _cached(names, cache_dir)
    if cached is not None:
        return tuple(cached)
    try:
        if article.photo is None:
            rendered = render_title_card(article.title, settings, spec)
        else:
            if data is None:
                data = article.photo.read_bytes()
            rendered = render_photo(data, article.photo.suffix, spec, settings.max_pixels)
    except OSError as e:  # title-card font or logo unreadable
        raise ArticleError(article.source, "photo", f"the title card can't be drawn: {e}") from None
    return tuple(Rendition(name, w, h, data) for name, (w, h, data) in zip(names, rendered))


def render_artwork(articles: list, settings: ArtworkSettings, cache_dir: Path | None = None,
                   jobs: int | None = None, memo: DigestMemo | None = None
                   ) -> tuple[dict[str, tuple[Rendition, ...]], list[ArticleError]]:
    """Render every article's (or job's) artwork in parallel (Pillow releases the GIL while
    decoding, resampling and encoding). Returns renditions by key, and per-item errors."""
    memo = memo if memo is not None else DigestMemo.load(cache_dir)
    once = _Once()

    def one(item):
        job = item if isinstance(item, ArtworkJob) else ArtworkJob.for_article(item)
        try:
            return job.key, render_article_artwork(job, settings, cache_dir, memo, once)
        except ArticleError as e:
            return job.key, e

    renditions, errors = {}, []
    workers = max(1, jobs or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for article_id, result in pool.map(one, articles):
            if isinstance(result, ArticleError):
                errors.append(result)
            else:
                renditions[article_id] = result
    return renditions, errors
