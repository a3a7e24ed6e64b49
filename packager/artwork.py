"""Photos -> 16:9 JPEG renditions. One fixed pipeline: open (pixel limit first) -> orient ->
colour (to sRGB RGB) -> crop -> scale -> encode. File names are a hash of the source bytes
and the render settings, so a re-run finds its earlier output and renders nothing."""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from packager.config import MIN_HEIGHT, MIN_WIDTH, ArtworkSettings
from packager.errors import ArticleError
from packager.model import Article, Rendition

# Bump when the pipeline's output for the same input changes, so names change with it.
PIPELINE_VERSION = "1"
ARTWORK_DIR = "artwork"
_FORMATS_BY_SUFFIX = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".jpe": "JPEG", ".png": "PNG", ".webp": "WEBP",
    ".gif": "GIF", ".tif": "TIFF", ".tiff": "TIFF",
}
# Pillow's process-wide bomb check would fire before ours with a different limit; ours runs
# on every photo before any pixel is decoded (open_photo).
Image.MAX_IMAGE_PIXELS = None
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class PhotoError(Exception):
    """Why a photo can't be rendered; the caller names the article and field."""


@dataclass(frozen=True)
class RenderSpec:
    width: int
    height: int
    quality: int
    background: tuple[int, int, int]

    @classmethod
    def from_settings(cls, s: ArtworkSettings) -> "RenderSpec":
        return cls(s.width, s.height, s.quality, tuple(s.background))


def rendition_name(source: bytes, spec: RenderSpec) -> str:
    h = hashlib.sha256()
    h.update(f"roku-packager-artwork/{PIPELINE_VERSION}\0".encode())
    h.update(json.dumps(asdict(spec), sort_keys=True).encode())
    h.update(b"\0")
    h.update(source)
    return f"{ARTWORK_DIR}/{h.hexdigest()[:24]}.jpg"


def largest_16x9(width: float, height: float) -> tuple[int, int]:
    """The largest exact 16:9 size (multiples of 16x9) that fits in width x height."""
    k = int(min(width / 16, height / 9))
    return 16 * k, 9 * k


def output_size(src_w: int, src_h: int, spec: RenderSpec) -> tuple[int, int]:
    """Never upscale: the target size, or the photo's own largest 16:9 size if smaller."""
    w, h = largest_16x9(src_w, src_h)
    if w >= spec.width:
        return spec.width, spec.height
    if w < MIN_WIDTH or h < MIN_HEIGHT:
        raise PhotoError(
            f"{src_w}x{src_h} is too small: its 16:9 crop is {w}x{h}, Roku needs at least "
            f"{MIN_WIDTH}x{MIN_HEIGHT}; use a larger photo")
    return w, h


def cover_box(w: int, h: int, focus: tuple[float, float] = (0.5, 0.5)) -> tuple[float, float, float, float]:
    """The 16:9 crop of a w x h image centred on `focus`, kept inside the image."""
    if w * 9 > h * 16:
        cw, ch = h * 16 / 9, float(h)
    else:
        cw, ch = float(w), w * 9 / 16
    left = min(max(focus[0] * w - cw / 2, 0.0), w - cw)
    top = min(max(focus[1] * h - ch / 2, 0.0), h - ch)
    return (left, top, left + cw, top + ch)


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # a broken EXIF block must not sink a good photo
        return 1


def open_photo(data: bytes, suffix: str, max_pixels: int) -> Image.Image:
    """Open without decoding pixels, refusing bombs and files that aren't what they say."""
    try:
        with warnings.catch_warnings():
            # Our own limit below replaces Pillow's global one; Image.open reads headers only.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise PhotoError("is not an image (expected JPEG, PNG, WebP, GIF or TIFF)") from None
    except Exception as e:
        raise PhotoError(f"can't be opened as an image: {e}") from None
    w, h = im.size
    if w * h > max_pixels:
        raise PhotoError(f"is {w}x{h} = {w * h:,} pixels, over the limit of {max_pixels:,} "
                         "([artwork] max_pixels); it may be a decompression bomb")
    fmt = "JPEG" if im.format == "MPO" else im.format
    expected = _FORMATS_BY_SUFFIX.get(suffix.lower())
    if fmt not in set(_FORMATS_BY_SUFFIX.values()):
        raise PhotoError(f"is a {im.format} image; use JPEG, PNG, WebP, GIF or TIFF")
    if expected and expected != fmt:
        raise PhotoError(f"is a {fmt} file but its name ends in {suffix}; rename it or re-export it")
    return im


def _to_rgb(im: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Any mode -> RGB in sRGB: alpha flattened onto `background`, ICC profiles converted."""
    icc = im.info.get("icc_profile")
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit greyscale: scale to 8 bits instead of clipping.
        im = im.convert("I").point(lambda v: v / 256).convert("L")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode in ("PA", "LA", "La", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        canvas = Image.new("RGBA", im.size, background + (255,))
        canvas.alpha_composite(im)
        im = canvas.convert("RGB")
    if icc and im.mode in ("RGB", "CMYK", "L"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            im = ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # an unusable profile: fall back to the plain conversion below
    if im.mode != "RGB":
        im = im.convert("RGB")
    return im


def render_photo(data: bytes, suffix: str, spec: RenderSpec, max_pixels: int) -> tuple[int, int, bytes]:
    """One photo -> (width, height, JPEG bytes)."""
    im = open_photo(data, suffix, max_pixels)
    try:
        if getattr(im, "n_frames", 1) > 1:
            im.seek(0)  # animated GIF/WebP: the first frame
        orientation = _orientation(im)
        w, h = im.size
        ow, oh = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
        box = cover_box(ow, oh)
        out_w, out_h = output_size(round(box[2] - box[0]), round(box[3] - box[1]), spec)
        if im.format == "JPEG":
            # Decode at the smallest DCT scale that still covers the output (fast path).
            scale = out_w / (box[2] - box[0])
            need = (math.ceil(w * scale), math.ceil(h * scale))
            im.draft(None, need)
        im.load()
        im = ImageOps.exif_transpose(im)
        im = _to_rgb(im, spec.background)
        box = cover_box(*im.size)
        im = im.resize((out_w, out_h), Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=spec.quality, optimize=True, progressive=False)
        return out_w, out_h, buf.getvalue()
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        reason = str(e) or type(e).__name__
        raise PhotoError(f"is truncated or corrupt ({reason}); re-export it") from None


def render_article_artwork(article: Article, spec: RenderSpec, max_pixels: int,
                           cache_dir: Path | None) -> Rendition:
    try:
        data = article.photo.read_bytes()
    except FileNotFoundError:
        raise ArticleError(article.source, "photo", f"{article.photo.name} not found; check the path (relative to the article file)") from None
    except IsADirectoryError:
        raise ArticleError(article.source, "photo", f"{article.photo.name} is a folder, not a photo") from None
    except OSError as e:
        raise ArticleError(article.source, "photo", f"{article.photo.name} can't be read: {e.strerror or e}") from None
    relpath = rendition_name(data, spec)
    if cache_dir is not None:
        cached = cache_dir / relpath
        try:
            with Image.open(cached) as im:  # reads the header only
                w, h = im.size
            return Rendition(relpath, w, h, origin=cached)
        except (OSError, UnidentifiedImageError):
            pass  # not rendered before, or damaged: render again
    try:
        w, h, jpeg = render_photo(data, article.photo.suffix, spec, max_pixels)
    except PhotoError as e:
        raise ArticleError(article.source, "photo", f"{article.photo.name} {e}") from None
    return Rendition(relpath, w, h, jpeg)


def render_artwork(articles: list[Article], settings: ArtworkSettings, cache_dir: Path | None = None,
                   jobs: int | None = None) -> tuple[dict[str, Rendition], list[ArticleError]]:
    """Render every article's photo in parallel (Pillow releases the GIL while decoding,
    resampling and encoding). Returns renditions by article id, and per-article errors."""
    spec = RenderSpec.from_settings(settings)

    def one(article: Article):
        try:
            return article.id, render_article_artwork(article, spec, settings.max_pixels, cache_dir)
        except ArticleError as e:
            return article.id, e

    renditions, errors = {}, []
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        for article_id, result in pool.map(one, articles):
            if isinstance(result, ArticleError):
                errors.append(result)
            else:
                renditions[article_id] = result
    return renditions, errors
