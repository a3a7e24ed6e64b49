"""The SDK channel's own artwork from one logo or image: focus icons, splash screens, the
overhang logo and the store poster, plus the manifest lines that reference them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps

from packager.config import ArtworkSettings
from packager.imaging import PhotoError, cover_box, open_photo, to_rgb
from packager.writer import write_owned_files

MAX_IMAGE_BYTES = 200_000_000


@dataclass(frozen=True)
class ArtPiece:
    name: str
    width: int
    height: int
    ext: str  # png keeps transparency and sharp edges; splash screens are photos: jpg
    manifest_key: str | None  # None: not a manifest entry
    padding: float  # share of the canvas left around a logo


CHANNEL_ART = (
    ArtPiece("mm_icon_focus_fhd", 540, 405, "png", "mm_icon_focus_fhd", 0.12),
    ArtPiece("mm_icon_focus_hd", 290, 218, "png", "mm_icon_focus_hd", 0.12),
    ArtPiece("splash_screen_fhd", 1920, 1080, "jpg", "splash_screen_fhd", 0.30),
    ArtPiece("splash_screen_hd", 1280, 720, "jpg", "splash_screen_hd", 0.30),
    ArtPiece("splash_screen_sd", 720, 480, "jpg", "splash_screen_sd", 0.30),
    ArtPiece("overhang_logo", 400, 90, "png", None, 0.05),
    ArtPiece("store_poster", 540, 405, "png", None, 0.12),
)


def is_logo(im: Image.Image) -> bool:
    """A logo (transparent background) is centred with padding; a picture fills the frame."""
    return im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info


def render_piece(src: Image.Image, piece: ArtPiece, background: tuple[int, int, int], logo: bool) -> Image.Image:
    size = (piece.width, piece.height)
    transparent = logo and piece.ext == "png" and piece.name == "overhang_logo"
    canvas = Image.new("RGBA", size, background + ((0,) if transparent else (255,)))
    if logo or piece.name == "overhang_logo":
        pad_w, pad_h = round(piece.width * piece.padding), round(piece.height * piece.padding)
        fitted = src.copy()
        fitted.thumbnail((piece.width - 2 * pad_w, piece.height - 2 * pad_h), Image.Resampling.LANCZOS)
        x, y = (piece.width - fitted.size[0]) // 2, (piece.height - fitted.size[1]) // 2
        if transparent:
            canvas.paste(fitted, (x, y))
        else:
            canvas.alpha_composite(fitted, (x, y))
    else:
        w, h = src.size
        left, top, right, bottom = cover_box(w, h)
        # cover_box makes 16:9 crops; other shapes need their own.
        target = piece.width / piece.height
        if (right - left) / (bottom - top) != target:
            cw, ch = (h * target, h) if w / h > target else (w, w / target)
            left, top = (w - cw) / 2, (h - ch) / 2
            right, bottom = left + cw, top + ch
        canvas = src.resize(size, Image.Resampling.LANCZOS, box=(left, top, right, bottom)).convert("RGBA")
    return canvas if transparent else canvas.convert("RGB")


def render_channel_art(source: Path, out: Path, background: tuple[int, int, int] = (0, 0, 0),
                       max_pixels: int = ArtworkSettings.max_pixels) -> list[tuple[ArtPiece, Path]]:
    if not source.is_file():  # a FIFO or a device would block or never end
        raise PhotoError("is not a regular file; give the logo or image file")
    if source.stat().st_size > MAX_IMAGE_BYTES:
        raise PhotoError(f"is over {MAX_IMAGE_BYTES // 1_000_000} MB; export a smaller logo or image")
    data = source.read_bytes()
    im = open_photo(data, source.suffix, max_pixels)
    try:
        im.load()
    except (OSError, SyntaxError, ValueError) as e:
        raise PhotoError(f"is truncated or corrupt ({e}); re-export it") from None
    logo = is_logo(im)
    im = ImageOps.exif_transpose(im)
    src = im.convert("RGBA") if logo else to_rgb(im, background).convert("RGBA")
    images = {}
    for piece in CHANNEL_ART:
        img = render_piece(src, piece, background, logo)
        buf = io.BytesIO()
        if piece.ext == "jpg":
            img.save(buf, "JPEG", quality=90, optimize=True, progressive=False)
        else:
            img.save(buf, "PNG", optimize=True)
        images[f"{piece.name}.{piece.ext}"] = buf.getvalue()
    # The output-folder rule: the user's own files of the same names are never replaced.
    write_owned_files(out, images, "--out")
    return [(piece, out / f"{piece.name}.{piece.ext}") for piece in CHANNEL_ART]


def manifest_lines(written: list[tuple[ArtPiece, Path]], background: tuple[int, int, int], pkg_dir: str = "images") -> list[str]:
    lines = []
    for piece, path in written:
        if piece.manifest_key:
            lines.append(f"{piece.manifest_key}=pkg:/{pkg_dir}/{path.name}")
    lines.append("splash_color=#%02x%02x%02x" % background)
    lines.append("splash_min_time=1500")
    for piece, path in written:
        if piece.name == "overhang_logo":
            lines.append(f"# overhang logo ({piece.width}x{piece.height}): pkg:/{pkg_dir}/{path.name} -> the Overhang node's logoUri")
        elif piece.name == "store_poster":
            lines.append(f"# store poster ({piece.width}x{piece.height}): {path} -> upload it in the Developer Dashboard")
    return lines
