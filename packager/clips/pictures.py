"""A clip's frames: each photo prepared once (cropped like artwork, in the encoder's Y'CbCr
planes), then drawn frame by frame with its motion, lower third and crossfades."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image

from packager.clips.plan import CROSSFADE, ClipError, motion_box, plan_segments, timeline, total_seconds
from packager.clips.text import lower_third
from packager.config import ClipSettings, TitleCardSettings
from packager.imaging import PhotoError, RenderSpec, compose, decode, load_font, missing_glyphs, title_card_image
from packager.model import Article, ClipPhoto

ZOOM = 1.12  # the most a photo is zoomed during its segment

# RGB -> BT.709 limited-range Y'CbCr as a 3x4 matrix for Image.convert: frames are drawn
# straight in the encoder's format (luma at full size, chroma at half), so no per-frame
# colour conversion is needed, and the stream is tagged BT.709 as HD players assume.
_BT709 = (0.18259, 0.61423, 0.06201, 16.0,
          -0.10064, -0.33857, 0.43922, 128.0,
          0.43922, -0.39894, -0.04027, 128.0)


@dataclass
class Planes:
    y: Image.Image  # L, full size
    cb: Image.Image  # L, half size
    cr: Image.Image


def planes_of(rgb: Image.Image) -> Planes:
    y, cb, cr = rgb.convert("RGB", _BT709).split()
    half = (max(1, rgb.size[0] // 2), max(1, rgb.size[1] // 2))
    return Planes(y, cb.resize(half, Image.Resampling.BOX), cr.resize(half, Image.Resampling.BOX))


@dataclass
class Overlay:
    rgb: Image.Image  # RGBA band
    at: tuple[int, int]  # even coordinates, so chroma lines up
    planes: Planes
    mask: Image.Image
    mask_half: Image.Image

    @classmethod
    def of(cls, band: Image.Image, at: tuple[int, int]) -> "Overlay":
        at = (at[0] - at[0] % 2, at[1] - at[1] % 2)
        alpha = band.getchannel("A")
        half = (band.size[0] // 2, band.size[1] // 2)
        return cls(band, at, planes_of(band.convert("RGB")), alpha, alpha.resize(half, Image.Resampling.BOX))

    def apply(self, frame: Planes) -> None:
        x, y = self.at
        frame.y.paste(self.planes.y, (x, y), self.mask)
        frame.cb.paste(self.planes.cb, (x // 2, y // 2), self.mask_half)
        frame.cr.paste(self.planes.cr, (x // 2, y // 2), self.mask_half)


@dataclass
class PreparedPhoto:
    base: Image.Image  # RGB cover crop, at most ZOOM x the frame
    planes: Planes
    zoom_max: float
    focus: tuple[float, float]
    overlay: Overlay | None = None


def prepare_photo(photo: ClipPhoto, size: tuple[int, int], max_pixels: int) -> PreparedPhoto:
    w, h = size
    try:
        data = photo.path.read_bytes()
    except FileNotFoundError:
        raise ClipError("photos", f"{photo.path.name} not found") from None
    except OSError as e:
        raise ClipError("photos", f"{photo.path.name} can't be read: {e.strerror or e}") from None
    target = (16 * math.ceil(w * ZOOM / 16), 9 * math.ceil(w * ZOOM / 16))
    # A photo covers the frame; one whose 16:9 crop is under 800x450 (or the frame, whichever
    # is smaller) is padded whole onto a blurred canvas of that size instead of refused. Below
    # the frame it is shown still, never zoomed.
    # As artwork's smart crop: the window follows the faces or the attention (unless the article
    # gives photo_focus), and a graphic (a chart, a transparent PNG) is shown whole on the blur.
    # fit "auto" with the widest tolerance covers every photo and contains only graphics.
    spec = RenderSpec(renditions=(target,), fit="auto", fit_tolerance=0.999, crop="smart", focus=photo.focus,
                      min_size=(min(800, w), min(450, h)), small="pad")
    try:
        im, layout, ow = decode(data, photo.path.suffix, spec, max_pixels)
    except PhotoError as e:
        raise ClipError("photos", f"{photo.path.name} {str(e).split('; use a larger')[0]}; use a larger photo") from None
    base = compose(im, layout, ow, spec)
    zoom = min(ZOOM, base.size[0] / w)
    if base.size[0] < w:
        # Smaller than the frame: shown still at frame size, never zoomed further.
        base, zoom = base.resize(size, Image.Resampling.LANCZOS), 1.0
    return PreparedPhoto(base, planes_of(base), zoom, photo.focus or (0.5, 0.5))


def photo_planes(pp: PreparedPhoto, index: int, p: float, size: tuple[int, int]) -> Planes:
    box = motion_box(index, p, pp.base.size, pp.focus, pp.zoom_max)
    fx, fy = pp.planes.cb.size[0] / pp.base.size[0], pp.planes.cb.size[1] / pp.base.size[1]
    half_box = (box[0] * fx, box[1] * fy, box[2] * fx, box[3] * fy)
    half = (size[0] // 2, size[1] // 2)
    # One resample of a sub-pixel box per plane: the scale stays within 1-1.12, where
    # bilinear is sharp.
    frame = Planes(pp.planes.y.resize(size, Image.Resampling.BILINEAR, box=box),
                   pp.planes.cb.resize(half, Image.Resampling.BILINEAR, box=half_box),
                   pp.planes.cr.resize(half, Image.Resampling.BILINEAR, box=half_box))
    if pp.overlay is not None:
        pp.overlay.apply(frame)
    return frame


def photo_rgb(pp: PreparedPhoto, index: int, p: float, size: tuple[int, int]) -> Image.Image:
    """The same frame in RGB (trick-play thumbnails, tests)."""
    box = motion_box(index, p, pp.base.size, pp.focus, pp.zoom_max)
    frame = pp.base.resize(size, Image.Resampling.BILINEAR, box=box)
    if pp.overlay is not None:
        frame.paste(pp.overlay.rgb, pp.overlay.at, pp.overlay.rgb)
    return frame


class Renderer:
    """Draws frame k of a planned clip, as encoder planes or as RGB."""

    def __init__(self, article: Article, settings: ClipSettings, card: TitleCardSettings, max_pixels: int):
        self.size = (settings.width, settings.height)
        self.fps = settings.fps
        self.segments = plan_segments(article, settings)
        self.warnings: list[str] = []
        self.title = title_card_image(article.title, card, self.size, settings.font)
        gone = missing_glyphs(article.title, load_font(settings.font or card.font, 24))
        if gone:
            self.warnings.append(f"the clip font has no glyphs for the headline ({''.join(gone[:5])}…); "
                                 "it is left out of the clip")
        self.title_planes = planes_of(self.title)
        self.photos: dict[int, PreparedPhoto] = {}
        for seg in self.segments:
            if seg.kind == "photo":
                pp = prepare_photo(seg.photo, self.size, max_pixels)
                band = lower_third(article.title if seg.index == 0 else "", seg.caption, self.size,
                                   settings.font, self.warnings)
                pp.overlay = Overlay.of(*band) if band else None
                self.photos[seg.index] = pp
        self.warnings = list(dict.fromkeys(self.warnings))
        self.spans = timeline(self.segments)

    def stretch_to(self, seconds: float) -> None:
        """Lengthen the photo segments so the pictures last as long as the narration."""
        now = total_seconds(self.segments)
        if seconds > now:
            photos = [s for s in self.segments if s.kind != "intro"]
            for s in photos:
                s.seconds += (seconds - now) / len(photos)
            self.spans = timeline(self.segments)

    @property
    def frame_count(self) -> int:
        return max(1, round(total_seconds(self.segments) * self.fps))

    def _active(self, k: int) -> tuple[float, list[int]]:
        t = k / self.fps
        return t, [i for i, (s, e) in enumerate(self.spans) if s <= t < e] or [len(self.spans) - 1]

    def _segment(self, i: int, t: float, rgb: bool):
        seg = self.segments[i]
        if seg.kind in ("intro", "card"):
            return self.title.copy() if rgb else self.title_planes
        start, end = self.spans[i]
        draw = photo_rgb if rgb else photo_planes
        return draw(self.photos[seg.index], seg.index, (t - start) / (end - start), self.size)

    def _alpha(self, t: float, nxt: int) -> float:
        return min(1.0, max(0.0, (t - self.spans[nxt][0]) / CROSSFADE))

    def frame(self, k: int) -> Planes:
        t, active = self._active(k)
        first = self._segment(active[0], t, False)
        if len(active) == 1:
            return first
        second, a = self._segment(active[1], t, False), self._alpha(t, active[1])
        return Planes(*(Image.blend(p, q, a) for p, q in zip((first.y, first.cb, first.cr), (second.y, second.cb, second.cr))))

    def frame_rgb(self, k: int) -> Image.Image:
        t, active = self._active(k)
        first = self._segment(active[0], t, True)
        if len(active) == 1:
            return first
        return Image.blend(first, self._segment(active[1], t, True), self._alpha(t, active[1]))


def video_frame(planes: Planes, k: int):
    import av  # noqa: PLC0415 (heavy)

    frame = av.VideoFrame(planes.y.size[0], planes.y.size[1], "yuv420p")
    for plane, img in zip(frame.planes, (planes.y, planes.cb, planes.cr)):
        data = img.tobytes()
        if plane.line_size != img.size[0]:  # the encoder's rows may be padded
            pad = b"\0" * (plane.line_size - img.size[0])
            data = b"".join(data[r * img.size[0]:(r + 1) * img.size[0]] + pad for r in range(img.size[1]))
        plane.update(data)
    frame.pts = k
    return frame
