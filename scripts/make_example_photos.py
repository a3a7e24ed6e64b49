"""Create the example channel's photos: photo-like pictures of varied shapes (landscape,
portrait, square, a small one, a CMYK JPEG, an EXIF-rotated one, a PNG with transparency, a
panorama). Deterministic: the same bytes on every run with the same Pillow.

    python scripts/make_example_photos.py [OUT_DIR]   (default examples/channel/photos)
"""

import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter


def scene(w: int, h: int, seed: int, sky=(90, 140, 200), ground=(70, 110, 60)) -> Image.Image:
    """A sky gradient, hills, some shapes, blur and grain: enough detail to look like a photo."""
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h))
    px = ImageDraw.Draw(im)
    for y in range(h):
        t = y / max(h - 1, 1)
        c = tuple(int(sky[i] * (1 - t) + ground[i] * t) for i in range(3))
        px.line([(0, y), (w, y)], fill=c)
    for _ in range(12):
        x, y = rnd.randrange(w), rnd.randrange(h // 3, h)
        r = rnd.randrange(min(w, h) // 12, min(w, h) // 3)
        col = tuple(max(0, min(255, ground[i] + rnd.randrange(-40, 40))) for i in range(3))
        px.ellipse([x - r * 2, y - r, x + r * 2, y + r], fill=col)
    for _ in range(25):
        x, y = rnd.randrange(w), rnd.randrange(h)
        s = rnd.randrange(8, max(9, min(w, h) // 10))
        col = tuple(rnd.randrange(256) for _ in range(3))
        px.rectangle([x, y, x + s, y + s * 2], fill=col)
    im = im.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise((w, h), 18).convert("RGB")
    return Image.blend(im, noise, 0.08)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    scene(1600, 1000, 1).save(out / "landscape.jpg", quality=72)
    scene(900, 1600, 2, sky=(200, 150, 110)).save(out / "portrait.jpg", quality=72)
    scene(1400, 1400, 3, sky=(120, 120, 160)).save(out / "square.jpg", quality=72)
    scene(1000, 600, 4).save(out / "small.jpg", quality=72)
    scene(1800, 1200, 5, ground=(140, 90, 50)).convert("CMYK").save(out / "cmyk.jpg", quality=72)
    # Stored sideways with EXIF orientation 6: viewers rotate it 90 degrees clockwise.
    rotated = scene(1500, 1000, 6).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(out / "rotated.jpg", quality=72, exif=exif)
    graphic = Image.new("RGBA", (1600, 900), (0, 0, 0, 0))
    d = ImageDraw.Draw(graphic)
    d.rounded_rectangle([200, 150, 1400, 750], radius=60, fill=(200, 30, 40, 255))
    d.ellipse([650, 300, 950, 600], fill=(255, 255, 255, 200))
    graphic.save(out / "graphic.png", optimize=True)
    scene(2400, 800, 8, sky=(60, 80, 140)).save(out / "panorama.jpg", quality=72)
    scene(1920, 1080, 9, sky=(30, 40, 70), ground=(20, 20, 30)).save(out / "studio.jpg", quality=72)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "examples/channel/photos")
