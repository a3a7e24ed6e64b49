"""Where a cover crop goes, and which pictures are graphics rather than photos.

A cover crop keeps faces first (OpenCV's LBP frontal-face cascade, evaluated here with
numpy), then what draws the eye (edges, skin and saturation: the measures of libvips'
`attention` and smartcrop.js), then the centre. A chart, map, logo or screenshot (few
colours in flat areas, or transparency) is contained whole instead. Everything runs on a
small copy of the decoded photo, in integers wherever a sum decides, so the same bytes give
the same crop on any machine."""

from __future__ import annotations

import functools
import math
from pathlib import Path

from PIL import Image

ANALYSIS_SIDE = 256  # long side of the copy the analysis looks at (faces from 24 px)
ATTENTION_SIDE = 96  # and of the attention grid: fine texture (grass, wood grain) averages out
CASCADE = Path(__file__).resolve().parent / "cascades" / "lbpcascade_frontalface.xml"

# Graphics: the 16 commonest exact colours of a chart cover most of it, in flat areas
# (most pixels the same colour as their neighbour). A photo's cover a few percent; a
# low-contrast greyscale photo's can cover most, but neighbours still differ (measured
# on real photos and charts: photos at most 0.62 and 0.60, charts at least 0.92 and 0.84).
GRAPHIC_TOP_COLOURS = 16
GRAPHIC_SIDE = 160  # long side of the sample whose colours are counted
GRAPHIC_SHARE = 0.8
GRAPHIC_FLAT = 0.7
# Faces: scale step of the detection pyramid, and how many overlapping hits make a face.
FACE_SCALE_STEP = 1.25
FACE_MIN_HITS = 3
# Attention: a window must beat the centre by this share of the photo's attention to move.
MOVE_MARGIN = 0.02


def analysis_copy(im: Image.Image) -> Image.Image:
    """At most ANALYSIS_SIDE pixels on the long side, each the average of 3 x 3 samples of
    the photo (a full box filter reads every pixel, and costs 4x more on a 12 MP photo)."""
    w, h = im.size
    k = ANALYSIS_SIDE / max(w, h)
    if k >= 1:
        return im
    size = (max(1, round(w * k)), max(1, round(h * k)))
    if w < 3 * size[0] or h < 3 * size[1]:
        return im.resize(size, Image.Resampling.BOX)
    return im.resize((3 * size[0], 3 * size[1]), Image.Resampling.NEAREST).reduce(3)


def has_transparency(im: Image.Image) -> bool:
    """Any real transparency (at least 0.5% of the pixels not opaque), before flattening."""
    if im.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        alpha = im.getchannel(im.mode[-1])
    elif "transparency" in im.info and im.mode in ("P", "L", "RGB"):
        alpha = im.convert("RGBA").getchannel("A")
    else:
        return False
    return sum(alpha.histogram()[:250]) >= 0.005 * im.size[0] * im.size[1]


def is_graphic(im: Image.Image) -> bool:
    """Few exact colours, in flat areas, over most of the picture: a chart, map, logo or
    screenshot."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    w, h = im.size
    k = min(1.0, GRAPHIC_SIDE / max(w, h))
    # Nearest-neighbour sampling keeps exact colours (a box filter would blend edges).
    small = im if k >= 1 else im.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.NEAREST)
    a = np.asarray(small.convert("RGB"), dtype=np.uint32)
    colours = a[..., 0] << 16 | a[..., 1] << 8 | a[..., 2]
    _, counts = np.unique(colours, return_counts=True)
    top = int(np.sort(counts)[::-1][:GRAPHIC_TOP_COLOURS].sum())
    flat = int((colours[:, 1:] == colours[:, :-1]).sum())
    return top >= GRAPHIC_SHARE * colours.size and flat >= GRAPHIC_FLAT * colours[:, 1:].size


# ---------------------------------------------------------------- attention

def skin_map(rgb):
    """0-255 per pixel: how close its colour's direction is to skin's (smartcrop.js's
    test: 1 - distance from (0.78, 0.57, 0.44) above 0.8), for pixels not too dark.
    Elementwise IEEE arithmetic only (exactly rounded), so the same on any machine."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    f = rgb.astype(np.float32)
    mag = np.sqrt(f[..., 0] * f[..., 0] + f[..., 1] * f[..., 1] + f[..., 2] * f[..., 2])
    safe = np.where(mag > 0, mag, np.float32(1))
    r, g, b = f[..., 0] / safe - np.float32(0.78), f[..., 1] / safe - np.float32(0.57), f[..., 2] / safe - np.float32(0.44)
    skin = np.clip((np.float32(0.2) - np.sqrt(r * r + g * g + b * b)) / np.float32(0.2), 0, 1)
    lum = (54 * rgb[..., 0] + 183 * rgb[..., 1] + 19 * rgb[..., 2]) >> 8
    return np.where((lum >= 51) & (mag > 0), np.floor(skin * 255), 0).astype(np.int32)


def skin_mask(rgb):
    """Where skin_map is above 0, in integers: the colour's direction within 0.2 of skin's,
    i.e. 2 (rgb . s) > (1 + |s|^2 - 0.04) |rgb| with s = (0.78, 0.57, 0.44), squared."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    a = rgb.astype(np.int64)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    dot = 78 * r + 57 * g + 44 * b
    return (40000 * dot * dot > 20869 * 20869 * (r * r + g * g + b * b)) & ((54 * r + 183 * g + 19 * b) >> 8 >= 51)


def attention_map(rgb, skin):
    """Per pixel, how much it draws the eye: edge strength, skin, and saturation
    (smartcrop.js's three measures and thresholds), as int32; rgb is int32 H x W x 3."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    lum = (54 * r + 183 * g + 19 * b) >> 8
    p = np.pad(lum, 1, mode="edge")
    edge = np.minimum(np.abs(4 * lum - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]), 255)
    hi, lo = rgb.max(axis=2), rgb.min(axis=2)
    light = hi + lo  # twice the lightness, 0-510
    denom = np.where(light > 255, 510 - light, light)
    sat = np.where(denom > 0, (hi - lo) / np.where(denom > 0, denom, 1), 0.0)
    sat = np.clip((sat - 0.4) / 0.6, 0.0, 1.0)
    sat = np.where((light >= 26) & (light <= 459), np.floor(sat * 255), 0).astype(np.int32)
    return 2 * edge + 18 * skin + sat


# ---------------------------------------------------------------- faces

@functools.cache
def _cascade():
    """The cascade as (window, stages of (threshold, leaf tables K x 256), and each stage's
    feature rectangles K x 4). Leaves and thresholds in fixed point (2**24 = 1.0): integer
    sums are exact in any order, so a window's verdict is the same on every machine."""
    import defusedxml.ElementTree as SafeET  # noqa: PLC0415 (only when a photo is analysed)
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    root = SafeET.parse(CASCADE).getroot().find("cascade")
    window = int(root.findtext("width")), int(root.findtext("height"))
    rects = [[int(v) for v in f.findtext("rect").split()] for f in root.find("features")]
    codes = np.arange(256)
    one = 1 << 24
    stages = []
    for stage in root.find("stages"):
        features, tables = [], []
        for tree in stage.find("weakClassifiers"):
            nodes = [int(v) for v in tree.findtext("internalNodes").split()]
            leaves = [round(float(v) * one) for v in tree.findtext("leafValues").split()]
            subset = np.array(nodes[3:11], dtype=np.int64) & 0xFFFFFFFF
            bit = (subset[codes >> 5] >> (codes & 31)) & 1
            features.append(rects[nodes[2]])
            tables.append(np.where(bit == 1, leaves[0], leaves[1]))
        # OpenCV loads every stage threshold minus 1e-5; a window passes at or above it.
        threshold = round((float(stage.findtext("stageThreshold")) - 1e-5) * one)
        stages.append((threshold, np.array(features, dtype=np.int64), np.array(tables, dtype=np.int64)))
    return window, [(threshold, tables) for threshold, _, tables in stages], [features for _, features, _ in stages]


def _lbp_hits(flat, starts, level_of, offsets_by_stage, stages):
    """The windows (flat indices of their top-left corners in the integral image `flat`)
    the cascade accepts. Every scale and all of a stage's weak classifiers run together:
    a few hundred numpy calls per photo."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    # LBP bits in OpenCV's order: clockwise from the top-left of a feature's 3 x 3 blocks,
    # each set when that block's sum is at least the centre block's; packbits makes the
    # first one 128.
    order = [0, 1, 2, 5, 8, 7, 6, 3]
    alive, levels = starts, level_of
    for (threshold, tables), offsets in zip(stages, offsets_by_stage):
        k = len(tables)
        c = flat[alive[:, None, None] + offsets[levels]].reshape(alive.size, k, 4, 4)
        block = (c[..., :3, :3] - c[..., :3, 1:] - c[..., 1:, :3] + c[..., 1:, 1:]).reshape(alive.size, k, 9)
        code = np.packbits(block[..., order] >= block[..., 4:5], axis=-1)[..., 0]
        passed = tables[np.arange(k)[None, :], code].sum(axis=1) >= threshold
        alive, levels = alive[passed], levels[passed]
        if not alive.size:
            break
    return alive, levels


def _group(rects, min_hits: int, eps: float = 0.2):
    """OpenCV's groupRectangles: hits that agree within eps join; groups of at least
    min_hits become one face (their mean), and faces inside bigger ones are dropped."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    r = np.asarray(rects, dtype=np.float64)
    n = len(r)
    if n == 0:
        return []
    x, y, w, h = r[:, 0], r[:, 1], r[:, 2], r[:, 3]
    delta = eps * (np.minimum(w[:, None], w[None, :]) + np.minimum(h[:, None], h[None, :])) * 0.5
    near = ((np.abs(x[:, None] - x[None, :]) <= delta) & (np.abs(y[:, None] - y[None, :]) <= delta)
            & (np.abs(x[:, None] + w[:, None] - x[None, :] - w[None, :]) <= delta)
            & (np.abs(y[:, None] + h[:, None] - y[None, :] - h[None, :]) <= delta))
    labels = np.arange(n)
    while True:  # connected components by min-label propagation
        new = np.where(near, labels[None, :], n).min(axis=1)
        if (new == labels).all():
            break
        labels = new
    faces = []
    for label in np.unique(labels):
        members = r[labels == label]
        if len(members) >= min_hits:
            faces.append((tuple(members.mean(axis=0)), len(members)))
    kept = []
    for (fx, fy, fw, fh), hits in faces:
        inside = any(ox <= fx and oy <= fy and fx + fw <= ox + ow and fy + fh <= oy + oh and ohits >= hits
                     for (ox, oy, ow, oh), ohits in faces if (ox, oy, ow, oh) != (fx, fy, fw, fh))
        if not inside:
            kept.append((fx, fy, fw, fh))
    return kept


@functools.lru_cache(maxsize=16)
def _pyramid(w: int, h: int):
    """The detection windows of a w x h analysis copy, which depend on its size only (and
    photos come in a few sizes). The features are scaled, not the photo (Viola and Jones'
    way: one integral image serves every scale). Returns each scale's window side, and for
    every window its scale, the flat index of its corner in the integral image (rows w + 1
    long) and the flat corners of its middle half (a face's eyes, nose and mouth) with that
    area; then per stage, per scale, the K x 16 offsets of its features' corner grids."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    window, _, features = _cascade()
    stride = w + 1
    grid = np.arange(4)
    sides, level_of, starts, middles, offsets = [], [], [], [], []
    scale = 1.0
    while round(window[0] * scale) <= w and round(window[1] * scale) <= h:
        # Every feature's blocks at this scale, rounded to whole pixels.
        scaled = [np.maximum(np.rint(f * scale).astype(np.int64), [0, 0, 1, 1]) for f in features]
        reach_x = max(int((f[:, 0] + 3 * f[:, 2]).max()) for f in scaled)
        reach_y = max(int((f[:, 1] + 3 * f[:, 3]).max()) for f in scaled)
        side = max(round(window[0] * scale), reach_x, reach_y)
        if side > w or side > h:
            break
        # OpenCV's: every other position while windows are small, but at least every third
        # pixel, so a big face still gives several hits.
        step = min(round(2 * scale if scale < 2 else scale), 3)
        ys, xs = np.mgrid[0:h - side + 1:step, 0:w - side + 1:step]
        ys, xs = ys.ravel(), xs.ravel()
        q, m = side // 4, side - 2 * (side // 4)
        middles.append(np.stack([(ys + q) * stride + xs + q, (ys + q) * stride + xs + q + m,
                                 (ys + q + m) * stride + xs + q, (ys + q + m) * stride + xs + q + m, np.full(xs.size, m * m)]))
        level_of.append(np.full(xs.size, len(sides)))
        starts.append(ys * stride + xs)
        offsets.append([((f[:, 1, None, None] + grid[None, :, None] * f[:, 3, None, None]) * stride
                         + f[:, 0, None, None] + grid[None, None, :] * f[:, 2, None, None]).reshape(len(f), 16) for f in scaled])
        sides.append(side)
        scale *= FACE_SCALE_STEP
    if not sides:
        return [], None, None, None, None
    by_stage = [np.stack([level[i] for level in offsets]) for i in range(len(features))]
    return sides, np.concatenate(level_of), np.concatenate(starts), np.concatenate(middles, axis=1), by_stage


def _integral(a, dtype):
    """Summed-area table of a 2-D array, flattened, one zero row and column in front."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    h, w = a.shape
    ii = np.zeros((h + 1, w + 1), dtype=dtype)
    ii[1:, 1:] = a.cumsum(0, dtype=dtype).cumsum(1, dtype=dtype)
    return ii.ravel()


def find_faces(im: Image.Image) -> list[tuple[float, float, float, float]]:
    """Frontal faces as (x, y, w, h) in `im`'s pixels (im is the small analysis copy).
    Only windows whose middle has contrast and, in a colour photo, is half skin go to the
    cascade: most of a photo isn't, and that is what keeps detection cheap."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    _, stages, _ = _cascade()
    grey = im.convert("L")
    w, h = grey.size
    sides, level_of, starts, middles, offsets = _pyramid(w, h)
    if not sides:
        return []
    i00, i01, i10, i11, area = middles
    rgb = np.asarray(im.convert("RGB"), dtype=np.int32)
    spread = np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2]) - np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])
    keep = np.arange(starts.size)
    if int(spread.sum()) >= 12 * w * h:  # a colour photo: half the middle skin
        skin = _integral(skin_mask(rgb), np.int32)
        keep = np.flatnonzero(2 * (skin[i11] - skin[i01] - skin[i10] + skin[i00]) >= area)
    # And contrast there: grey levels' deviation at least 12 (eyes, brows, mouth).
    g = np.asarray(grey, dtype=np.int32)
    sums, squares = _integral(g, np.int32), _integral(g.astype(np.int64) ** 2, np.int64)
    c = [corner[keep] for corner in middles]
    total = (sums[c[3]] - sums[c[1]] - sums[c[2]] + sums[c[0]]).astype(np.int64)
    contrast = c[4] * (squares[c[3]] - squares[c[1]] - squares[c[2]] + squares[c[0]]) - total * total >= 144 * c[4] * c[4]
    keep = keep[contrast]
    if not keep.size:
        return []
    alive, levels = _lbp_hits(sums, starts[keep], level_of[keep], offsets, stages)
    hits = [(x, y, sides[level], sides[level]) for (y, x), level in zip(zip(*np.divmod(alive, w + 1)), levels.tolist())]
    return _group(hits, FACE_MIN_HITS)


# ---------------------------------------------------------------- the window

def _head(face, axis: int, size: tuple[int, int], margin: bool = True) -> tuple[float, float]:
    """A face's head along the axis the crop moves on, as fractions of that axis: from the
    hair above the detected box to the chin just below it, or the ears beside it; without
    `margin`, the face alone."""
    x, y, w, h = face
    m = 1.0 if margin else 0.0
    # Cutting hair is better than cutting a chin: the margin is above, the box ends below it.
    lo, hi = (x - 0.2 * m * w, x + (1 + 0.2 * m) * w) if axis == 0 else (y - 0.5 * m * h, y + 1.1 * h)
    return max(lo, 0) / size[axis], min(hi, size[axis]) / size[axis]


def window_start(small: Image.Image, axis: int, span: float, default: float) -> float:
    """Where a window `span` long (a fraction of the axis) starts along `axis` (0 = x,
    1 = y) of `small`, as a fraction: the one holding the most of the faces' heads, then the
    most attention (its outer tenths count half, so a subject isn't left on an edge), else
    `default` when attention is even."""
    import numpy as np  # noqa: PLC0415 (numpy loads only when a photo is analysed)

    w, h = small.size
    k = min(1.0, ATTENTION_SIDE / max(w, h))
    coarse = small if k >= 1 else small.resize((max(1, round(w * k)), max(1, round(h * k))), Image.Resampling.BOX)
    rgb = np.asarray(coarse.convert("RGB"), dtype=np.int32)
    profile = attention_map(rgb, skin_map(rgb)).sum(axis=1 - axis, dtype=np.int64)
    size = profile.size
    length = max(1, min(size, int(span * size)))  # rounded down: the real window holds this one
    cs = np.concatenate([[0], np.cumsum(profile)])
    offsets = np.arange(size - length + 1)
    band = max(1, length // 10)
    score = 2 * (cs[offsets + length] - cs[offsets]) - (cs[offsets + band] - cs[offsets]) \
        - (cs[offsets + length] - cs[offsets + length - band])
    start = min(max(round(default * size), 0), size - length)
    faces = find_faces(small)
    if faces:
        # How much of each head the window holds, the face itself counting twice.
        kept = np.zeros(offsets.size, dtype=np.int64)
        for face in faces:
            for lo, hi in (_head(face, axis, (w, h)), _head(face, axis, (w, h), margin=False)):
                lo, hi = math.floor(lo * size), math.ceil(hi * size)
                kept += np.maximum(0, np.minimum(offsets + length, hi) - np.maximum(offsets, lo))
        score = kept * (2 * int(cs[-1]) + 1) + score
    elif int(score.max() - score[start]) <= MOVE_MARGIN * 2 * int(cs[-1]):
        return default
    best = np.flatnonzero(score == score.max())
    chosen = int(best[np.argmin(np.abs(best - start))])
    return default if chosen == start else chosen / size  # the default exactly, not its grid cell


def cover_window(im: Image.Image, w: int, h: int, box: tuple[float, float, float, float],
                 default: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Move the cover box (its size fixed, in the w x h oriented photo's coordinates) along
    the axis it can move on; `default` is where it goes when nothing stands out. `im` is
    the decoded photo at any scale."""
    cw, ch = box[2] - box[0], box[3] - box[1]
    axis = 0 if w - cw > h - ch else 1
    full, span = (w, cw) if axis == 0 else (h, ch)
    start = window_start(analysis_copy(im), axis, span / full, default[axis] / full) * full
    start = min(max(start, 0.0), full - span)
    return (start, box[1], start + cw, box[3]) if axis == 0 else (box[0], start, box[2], start + ch)
