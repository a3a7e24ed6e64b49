"""Artwork from every kind of newsroom photo: orientation, colour, alpha, bit depth,
formats, fit modes, renditions, title cards, safety, determinism and reuse."""

import io
import json
import os
import subprocess
import sys

import photos
import pytest
from conftest import ROOT, article_text
from PIL import Image, ImageChops, ImageCms, ImageStat

from packager.channelart import CHANNEL_ART
from packager.imaging import PhotoError, RenderSpec, compose, decode, render_photo

SPEC = RenderSpec(renditions=((1280, 720),))
LIMIT = 100_000_000


def render(data: bytes, suffix=".jpg", **spec) -> Image.Image:
    s = RenderSpec(**{"renditions": ((1280, 720),), **spec})
    (w, h, out), *_ = render_photo(data, suffix, s, LIMIT)
    im = Image.open(io.BytesIO(out))
    im.load()
    assert im.size == (w, h)
    return im


def close(a, b, tol=12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def mean(im, box=None) -> tuple:
    region = im.crop(box) if box else im
    return tuple(round(v) for v in ImageStat.Stat(region).mean)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_puts_the_marker_top_left(orientation):
    im = render(photos.oriented_jpeg(orientation))
    assert im.size == (1280, 720)
    w, h = im.size
    assert close(mean(im, (10, 10, 60, 60)), (230, 20, 20), 25), orientation
    for corner in ((w - 60, 10), (10, h - 60), (w - 60, h - 60)):
        assert close(mean(im, (*corner, corner[0] + 50, corner[1] + 50)), (60, 90, 120), 25), (orientation, corner)


def test_cmyk_jpeg_keeps_its_colour():
    src = Image.new("RGB", (1600, 900), (200, 60, 50))
    im = render(photos.save(src.convert("CMYK"), "JPEG", quality=95))
    assert im.mode == "RGB" and close(mean(im), (200, 60, 50), 8)


def test_display_p3_is_converted_to_srgb():
    profile = photos.matrix_profile(**photos.DISPLAY_P3)
    src = Image.new("RGB", (1600, 900), (180, 120, 60))
    im = render(photos.save(src, "JPEG", quality=95, icc_profile=profile))
    expected = ImageCms.profileToProfile(src, ImageCms.ImageCmsProfile(io.BytesIO(profile)),
                                         ImageCms.createProfile("sRGB")).getpixel((0, 0))
    got = mean(im)
    assert close(got, expected, 3), (got, expected)
    assert not close(got, (180, 120, 60), 4)  # the conversion really happened
    assert "icc_profile" not in im.info


@pytest.mark.parametrize("mode,fill", [("RGBA", (0, 0, 0, 0)), ("LA", (0, 0)), ("P", None)])
def test_transparency_is_flattened_onto_the_background(mode, fill):
    if mode == "P":
        src = Image.new("P", (1600, 900), 0)
        src.putpalette([0, 0, 0, 200, 30, 30] + [0] * 762)
        src.paste(1, (400, 200, 1200, 700))
        data = photos.save(src, "PNG", transparency=0)
    else:
        src = Image.new(mode, (1600, 900), fill)
        src.paste((200, 30, 30, 255) if mode == "RGBA" else (90, 255), (400, 200, 1200, 700))
        data = photos.save(src, "PNG")
    im = render(data, ".png", background=(0, 200, 0))
    assert close(im.getpixel((5, 5)), (0, 200, 0), 6)  # transparent corner: the background
    assert not close(im.getpixel((640, 360)), (0, 200, 0), 30)  # the opaque middle: the picture


def test_16bit_greyscale_png_is_scaled_not_clipped():
    src = Image.new("I;16", (1600, 900), 0x8000)
    im = render(photos.save(src, "PNG"), ".png")
    assert close(mean(im), (128, 128, 128), 3)


def test_16bit_rgb_png():
    im = render(photos.png16_rgb((1600, 900), (0xC800, 0x3200, 0x3200)), ".png")
    assert close(mean(im), (200, 50, 50), 3)


def test_greyscale_jpeg_becomes_rgb():
    im = render(photos.save(Image.new("L", (1600, 900), 90), "JPEG"))
    assert im.mode == "RGB" and close(mean(im), (90, 90, 90), 3)


@pytest.mark.parametrize("fmt,suffix,kw", [("WEBP", ".webp", {"quality": 95}), ("TIFF", ".tiff", {}),
                                           ("JPEG", ".jpg", {"progressive": True, "quality": 95})])
def test_other_formats(fmt, suffix, kw):
    im = render(photos.save(Image.new("RGB", (1600, 900), (40, 160, 90)), fmt, **kw), suffix)
    assert close(mean(im), (40, 160, 90), 5)
    assert not im.info.get("progressive")


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (1600, 900), c) for c in ((220, 30, 30), (30, 30, 220))]
    data = photos.save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert close(mean(render(data, ".gif")), (220, 30, 30), 12)


# ---------------------------------------------------------------- fit modes

def halves(size=(3200, 900)) -> bytes:
    """Left half red, right half blue."""
    im = Image.new("RGB", size, (20, 40, 220))
    im.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    return photos.save(im, "PNG")


def test_cover_follows_the_focus_point():
    left = render(halves(), ".png", fit="cover", focus=(0.05, 0.5))
    right = render(halves(), ".png", fit="cover", focus=(0.95, 0.5))
    assert close(mean(left), (220, 30, 30), 3) and close(mean(right), (20, 40, 220), 3)
    centred = render(halves(), ".png", fit="cover")
    assert close(centred.getpixel((100, 360)), (220, 30, 30), 3) and close(centred.getpixel((1180, 360)), (20, 40, 220), 3)


def test_contain_shows_the_whole_photo_on_a_solid_colour():
    portrait = photos.save(Image.new("RGB", (900, 1600), (240, 240, 240)), "PNG")
    im = render(portrait, ".png", fit="contain", contain_fill=(0, 0, 0))
    assert im.size == (1280, 720)
    assert im.getpixel((5, 360)) == (0, 0, 0) and close(im.getpixel((640, 360)), (240, 240, 240), 2)
    # 900x1600 fitted into 720 rows is 405 wide, centred.
    assert close(im.getpixel((640 - 195, 360)), (240, 240, 240), 2) and im.getpixel((640 - 210, 360)) == (0, 0, 0)


def test_contain_blur_background_is_a_darkened_version_of_the_photo():
    src = photos.scene(900, 1600, 7)
    im = render(photos.save(src, "PNG"), ".png", fit="contain")
    side = mean(im, (0, 0, 200, 720))
    assert side != (0, 0, 0) and sum(side) < sum(mean(src)) * 0.8


@pytest.mark.parametrize("size,expected_fit", [((1600, 1200), "cover"), ((1500, 1000), "cover"),
                                               ((1400, 1400), "contain"), ((900, 1600), "contain"),
                                               ((3000, 900), "contain")])
def test_auto_covers_near_16x9_and_contains_the_rest(size, expected_fit):
    im = render(photos.save(Image.new("RGB", size, (240, 240, 240)), "PNG"), ".png", contain_fill=(0, 0, 0))
    corner_is_photo = close(im.getpixel((2, 2)), (240, 240, 240), 2)
    assert corner_is_photo == (expected_fit == "cover")


def test_portrait_cover_keeps_the_top_third():
    im = Image.new("RGB", (900, 1600), (240, 240, 240))
    im.paste((220, 30, 30), (0, 300, 900, 420))  # a "face" band in the upper part
    out = render(photos.save(im, "PNG"), ".png", fit="cover")
    assert any(close(out.getpixel((448, y)), (220, 30, 30), 10) for y in range(0, out.size[1], 4))


def test_small_photo_is_refused_or_padded():
    tiny = photos.save(photos.scene(400, 300, 3), "JPEG")
    with pytest.raises(PhotoError, match="400x300 is too small"):
        render(tiny, small="refuse")
    im = render(tiny)  # [artwork] small's default: pad
    assert im.size == (800, 450)
    assert close(mean(im, (200, 75, 600, 375)), mean(photos.scene(400, 300, 3)), 12)


def test_huge_declared_size_is_refused_before_decoding():
    with pytest.raises(PhotoError, match="over the limit"):
        render(photos.png_declaring(40000, 40000), ".png")


def test_renditions_are_derived_and_never_upscaled():
    s = RenderSpec(renditions=((1920, 1080), (1280, 720), (800, 450)))
    out = render_photo(photos.save(photos.scene(1600, 900, 2), "JPEG"), ".jpg", s, LIMIT)
    assert [(w, h) for w, h, _ in out] == [(1600, 900), (1280, 720), (800, 450)]
    for w, h, data in out:
        assert Image.open(io.BytesIO(data)).size == (w, h)


def test_tv_safe_range_and_png_output():
    src = Image.new("RGB", (1600, 900), (0, 0, 0))
    src.paste((255, 255, 255), (800, 0, 1600, 900))
    im = render(photos.save(src, "PNG"), ".png", tv_safe=True, format="png")
    assert im.format == "PNG" and im.mode == "RGB"
    lo, hi = zip(*im.getextrema())
    assert min(lo) >= 16 and max(hi) <= 235


def test_fast_path_matches_a_full_decode_lanczos_reference():
    """Quality guard: DCT-scaled decoding of a photo-like 12 MP JPEG stays >= 40 dB PSNR
    against decoding every pixel and resampling with LANCZOS."""
    data = photos.save(photos.scene(4000, 3000, 11), "JPEG", quality=90)
    spec = RenderSpec(renditions=((1280, 720),))
    im, layout, ow = decode(data, ".jpg", spec, LIMIT)
    assert im.size[0] < 4000  # the draft shortcut really was taken
    fast = compose(im, layout, ow, spec)
    full = Image.open(io.BytesIO(data)).convert("RGB")
    reference = full.resize((1280, 720), Image.Resampling.LANCZOS, box=layout.box)
    mse = sum(v * v for v in ImageStat.Stat(ImageChops.difference(fast, reference)).rms) / 3
    psnr = 10 * __import__("math").log10(255 ** 2 / max(mse, 1e-9))
    assert psnr >= 40, psnr


def test_png_graphics_skip_the_dct_shortcut():
    data = photos.save(photos.scene(3200, 1800, 4), "PNG")
    im, _, _ = decode(data, ".png", SPEC, LIMIT)
    assert im.size == (3200, 1800)


# ---------------------------------------------------------------- in a build

def test_renditions_setting_and_png_format_in_a_build(make_channel, cli):
    root = make_channel({"a.md": article_text()},
                        toml_extra='[artwork]\nrenditions = ["1920x1080", "1280x720"]\nformat = "png"\n')
    photos.scene(2400, 1350, 5).save(root / "photos" / "a.jpg", quality=90)
    assert cli("build", root).code == 0
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    thumb = feed["shortFormVideos"][0]["thumbnail"]
    assert thumb.startswith("https://cdn.test/tv/artwork/") and thumb.endswith(".png")
    files = sorted((root / "dist" / "artwork").iterdir())
    sizes = sorted(Image.open(p).size for p in files)
    assert sizes == [(1280, 720), (1920, 1080)]
    assert Image.open(root / "dist" / thumb.removeprefix("https://cdn.test/tv/")).size == (1920, 1080)


def test_photo_focus_front_matter(make_channel, cli):
    root = make_channel({"a.md": article_text(extra="photo_focus: [0.05, 0.5]\n"),
                         "b.md": article_text(extra="photo_focus: [2, 0]\n")},
                        toml_extra='[artwork]\nfit = "cover"\n')
    (root / "photos" / "a.jpg").write_bytes(halves())
    (root / "photos" / "a.png").write_bytes(halves())
    for name in ("a.md",):
        p = root / "articles" / name
        p.write_text(p.read_text().replace("a.jpg", "a.png"))
    r = cli("build", root)
    assert "articles/b.md: photo_focus: [2, 0] must be [x, y] with both between 0 and 1" in r.err
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    (item,) = feed["shortFormVideos"]
    im = Image.open(root / "dist" / item["thumbnail"].removeprefix("https://cdn.test/tv/"))
    assert close(mean(im), (220, 30, 30), 3)


def test_title_card_for_articles_without_a_photo(make_channel, cli):
    toml = ('[artwork]\nfallback = "title-card"\n[artwork.title_card]\n'
            'background = "#102030"\ncolor = "#ffffff"\nlogo = "logo.png"\n')
    root = make_channel({"a.md": article_text(title="Storm closes the harbour bridge for the night", photo=None)
                         .replace("photo: None\n", "")}, toml_extra=toml)
    logo = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    logo.paste((250, 200, 0, 255), (0, 0, 300, 100))
    logo.save(root / "logo.png")
    r = cli("build", root)
    assert r.code == 0, r
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    im = Image.open(root / "dist" / feed["shortFormVideos"][0]["thumbnail"].removeprefix("https://cdn.test/tv/")).convert("RGB")
    w, h = im.size
    assert (w, h) == (1280, 720)
    # Outside the title-safe area: only the background colour.
    for box in ((0, 0, w, 70), (0, h - 70, w, h), (0, 0, 125, h), (w - 125, 0, w, h)):
        assert close(mean(im, box), (16, 32, 48), 3), box
    inside = im.crop((128, 72, w - 128, h - 72))
    colors = [c for _, c in inside.getcolors(1 << 24)]
    assert any(close(px, (250, 200, 0), 30) for px in colors)  # the logo
    assert any(px[0] > 200 and px[2] > 200 for px in colors)  # white headline text


def test_with_fallback_none_a_missing_photo_is_an_error(make_channel, cli):
    root = make_channel({"a.md": article_text(), "b.md": article_text().replace("photo: ../photos/a.jpg\n", "")},
                        '[artwork]\nfallback = "none"\n')
    r = cli("build", root)
    assert "skipped: articles/b.md: photo: is required" in r.err


def test_small_photo_is_padded_by_default(make_channel, cli):
    root = make_channel({"a.md": article_text()})
    photos.scene(300, 200, 4).save(root / "photos" / "a.jpg")
    r = cli("build", root)
    assert r.code == 0 and "skipped" not in r.err, r
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    im = Image.open(root / "dist" / feed["shortFormVideos"][0]["thumbnail"].removeprefix("https://cdn.test/tv/"))
    assert im.size == (800, 450)
    assert close(mean(im, (250, 125, 550, 325)), mean(photos.scene(300, 200, 4)), 12)  # the photo, unscaled, centred


def test_byte_identical_across_processes(example_channel, tmp_path):
    outs = []
    for n, seed in enumerate(("1", "2")):
        out = tmp_path / f"out{n}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "packager", "build", str(example_channel), "--out", str(out)],
                       env=env, check=True, capture_output=True, cwd=ROOT)
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")})
    assert outs[0] == outs[1] and len(outs[0]) == 10


def test_noop_rebuild_reuses_every_rendition(example_channel, cli):
    assert cli("build", example_channel).code == 0
    art = example_channel / "dist" / "artwork"
    before = {p.name: p.stat().st_ino for p in art.iterdir()}
    assert cli("build", example_channel).code == 0
    after = {p.name: p.stat().st_ino for p in art.iterdir()}
    assert after == before  # the same files, hard-linked: nothing was rendered or written
    # One changed photo: only its rendition is new.
    photo = example_channel / "photos" / "landscape.jpg"
    photos.scene(1600, 1000, 99).save(photo, quality=72)
    assert cli("build", example_channel).code == 0
    changed = {p.name: p.stat().st_ino for p in art.iterdir()}
    assert len(set(changed) - set(before)) == 1 and len(set(before) - set(changed)) == 1
    assert all(changed[n] == before[n] for n in set(changed) & set(before))


# ---------------------------------------------------------------- channel art

def test_channel_art_sizes_and_manifest(cli, tmp_path):
    logo = Image.new("RGBA", (800, 300), (0, 0, 0, 0))
    logo.paste((255, 255, 255, 255), (100, 50, 700, 250))
    logo.save(tmp_path / "logo.png")
    r = cli("channel-art", tmp_path / "logo.png", "--background", "#14213d", "--out", tmp_path / "images")
    assert r.code == 0, r
    for piece in CHANNEL_ART:
        im = Image.open(tmp_path / "images" / f"{piece.name}.{piece.ext}")
        assert im.size == (piece.width, piece.height), piece.name
        assert im.format == ("JPEG" if piece.ext == "jpg" else "PNG")
    assert "mm_icon_focus_fhd=pkg:/images/mm_icon_focus_fhd.png" in r.out.splitlines()
    assert "splash_screen_sd=pkg:/images/splash_screen_sd.jpg" in r.out.splitlines()
    assert "splash_color=#14213d" in r.out.splitlines()
    splash = Image.open(tmp_path / "images" / "splash_screen_fhd.jpg")
    assert close(splash.getpixel((5, 5)), (0x14, 0x21, 0x3d), 4) and close(splash.getpixel((960, 540)), (255, 255, 255), 4)
    overhang = Image.open(tmp_path / "images" / "overhang_logo.png")
    assert overhang.mode == "RGBA" and overhang.getpixel((0, 0))[3] == 0


def test_channel_art_bad_input(cli, tmp_path):
    (tmp_path / "x.png").write_bytes(b"nope")
    r = cli("channel-art", tmp_path / "x.png", "--out", tmp_path / "o")
    assert r.code == 2 and "is not an image" in r.err
