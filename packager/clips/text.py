"""The lower third: the headline and a photo's caption on a translucent band."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from packager.imaging import load_font, missing_glyphs, wrap_lines


def lower_third(headline: str, caption: str | None, size: tuple[int, int], font: Path | None,
                warnings: list[str]) -> tuple[Image.Image, tuple[int, int]] | None:
    """A translucent band in the title-safe area's lower part, with the headline (and the
    photo's caption). Text the font can't draw is left out rather than shown as boxes."""
    w, h = size
    big, small = load_font(font, max(14, h // 22)), load_font(font, max(12, h // 32))
    lines: list[tuple[str, object]] = []
    for text, face, what in ((headline, big, "headline"), (caption, small, "caption")):
        if not text:
            continue
        gone = missing_glyphs(text, face)
        if gone:
            warnings.append(f"the clip font has no glyphs for the {what} ({''.join(gone[:5])}…); it is left out of the clip")
            continue
        probe = ImageDraw.Draw(Image.new("L", (1, 1)))
        wrapped = wrap_lines(probe, text, face, int(w * 0.76))[:2]
        lines += [(line, face) for line in wrapped]
    if not lines:
        return None
    pad = h // 40
    heights = [round(f.size * 1.3) for _, f in lines]
    band_w, band_h = int(w * 0.8), sum(heights) + 2 * pad
    band = Image.new("RGBA", (band_w, band_h), (0, 0, 0, 170))
    draw = ImageDraw.Draw(band)
    y = pad
    for (line, face), lh in zip(lines, heights):
        draw.text((pad * 2, y), line, font=face, fill=(255, 255, 255, 255))
        y += lh
    # Bottom edge on the title-safe line (10% up from the bottom).
    return band, (int(w * 0.1), int(h * 0.9) - band_h)
