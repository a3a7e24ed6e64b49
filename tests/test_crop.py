"""Crops that keep what matters (issue 20): faces, then attention, then the centre; graphics
contained whole; photo_focus wins; the same bytes give the same crop in any process. On
real photos in tests/crop/ (sources, licences and hand-recorded subject boxes in
subjects.json) and a chart as matplotlib exports it (transparent, 4:3, title on top)."""

import io
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, article_text
from PIL import Image, ImageChops, ImageStat

from packager import crop
from packager.artwork import rendition_names
from packager.imaging import RenderSpec, cover_box, decode, render_photo

CROP = ROOT / "tests" / "crop"
CASES = {c["file"]: c for c in json.loads((CROP / "subjects.json").read_text())["photos"]}
PHOTOS = [name for name in CASES if not name.startswith("chart")]
LIMIT = 100_000_000


def spec(**kw) -> RenderSpec:
    # min_size lowered: the photos here are small copies; where a crop goes doesn't depend on it.
    return RenderSpec(**{"renditions": ((1280, 720),), "min_size": (16, 9), **kw})


def layout(name: str, **kw):
    path = CROP / name
    return decode(path.read_bytes(), path.suffix, spec(**kw), LIMIT)[1]


def holds(box, subject) -> bool:
    return box[0] - 1 <= subject[0] and box[1] - 1 <= subject[1] and subject[2] <= box[2] + 1 and subject[3] <= box[3] + 1


def only_artwork(root):
    (path,) = (root / "dist" / "artwork").iterdir()
    return Image.open(path).convert("RGB")


def test_transparent_chart_is_contained_whole(make_channel, cli):
    """The reported case: a 4:3 chart with a transparent background counted as close to
    16:9 and was cropped through its title. Built with default settings, the whole chart
    is on the artwork, as flattened onto [artwork] background."""
    root = make_channel({"chart.md": article_text(photo="../photos/chart.png")})
    shutil.copy(CROP / "chart-transparent.png", root / "photos" / "chart.png")
    r = cli("build", root)
    assert r.code == 0, r
    art = only_artwork(root)
    assert art.size == (1280, 720)
    chart = Image.open(CROP / "chart-transparent.png")
    flat = Image.new("RGBA", chart.size, (255, 255, 255, 255))
    flat.alpha_composite(chart)
    shown = art.crop((160, 0, 1120, 720))  # 960 x 720 fits unscaled, centred
    diff = ImageStat.Stat(ImageChops.difference(shown, flat.convert("RGB"))).mean
    assert max(diff) < 3, diff
    assert layout("chart-transparent.png", crop="centre").fit == "cover"  # the old crop cut it


def test_chart_saved_as_jpeg_is_contained_too():
    """No transparency to go by: few flat colours make it a graphic."""
    assert layout("chart-white.jpg", crop="smart").fit == "contain"
    assert layout("chart-white.jpg", crop="smart", fit="cover").fit == "cover"  # an explicit cover is obeyed


def test_graphics_and_photos_are_told_apart():
    for name in CASES:
        im = Image.open(CROP / name).convert("RGB")
        assert crop.is_graphic(im) == name.startswith("chart"), name


@pytest.mark.parametrize("name", ["astronaut-43.jpg", "obama-blue-room-43.jpg", "biden-blue-room-43.jpg", "coffee.jpg"])
def test_off_centre_subject_is_kept(name):
    """Heads near the top of a 4:3 frame (the council photo's case) and a cup off-centre:
    the centre crop cuts them, the smart crop keeps the whole subject box."""
    subject = CASES[name]["subject"]
    assert not holds(layout(name, crop="centre", fit="cover").box, subject)
    smart = layout(name, crop="smart", fit="cover")
    assert smart.fit == "cover" and holds(smart.box, subject), smart.box


def test_faces_are_found_where_the_heads_are():
    for name in ("astronaut-43.jpg", "obama-43.jpg", "obama-blue-room-43.jpg", "hopper-43.jpg"):
        im = Image.open(CROP / name).convert("RGB")
        small = crop.analysis_copy(im)
        k = im.size[0] / small.size[0]
        faces = crop.find_faces(small)
        left, top, right, bottom = CASES[name]["subject"]
        assert len(faces) == 1, (name, faces)
        x, y, w, h = (v * k for v in faces[0])
        assert left - 0.2 * w <= x and x + w <= right + 0.2 * w and top <= y + h / 2 <= bottom, (name, faces)
    chart = Image.open(CROP / "chart-white.jpg").convert("RGB")
    assert crop.find_faces(crop.analysis_copy(chart)) == []


def test_photo_focus_wins(make_channel, cli):
    """An article's photo_focus places the crop even where a face pulls elsewhere, and the
    pixels are those of the plain geometric crop around that point."""
    data = (CROP / "astronaut-43.jpg").read_bytes()
    w, h = Image.open(io.BytesIO(data)).size
    assert layout("astronaut-43.jpg", crop="smart", fit="cover", focus=(0.5, 1.0)).box == cover_box(w, h, (0.5, 1.0))
    assert layout("chart-white.jpg", crop="smart", focus=(0.5, 0.5)).fit == "cover"  # the publisher chose a crop
    root = make_channel({"a.md": article_text(extra="photo_focus: [0.5, 1.0]\n")}, toml_extra='[artwork]\nsmall = "pad"\n')
    (root / "photos" / "a.jpg").write_bytes(data)
    assert cli("build", root).code == 0
    expected = render_photo(data, ".jpg", RenderSpec(renditions=((1280, 720),), crop="centre", focus=(0.5, 1.0), small="pad"), LIMIT)
    assert only_artwork(root).tobytes() == Image.open(io.BytesIO(expected[0][2])).convert("RGB").tobytes()


def test_crop_centre_keeps_the_geometric_crop(make_channel, cli):
    data = (CROP / "astronaut-43.jpg").read_bytes()
    root = make_channel({"a.md": article_text()}, toml_extra='[artwork]\ncrop = "centre"\nsmall = "pad"\n')
    (root / "photos" / "a.jpg").write_bytes(data)
    assert cli("build", root).code == 0
    expected = render_photo(data, ".jpg", RenderSpec(renditions=((1280, 720),), small="pad"), LIMIT)
    assert only_artwork(root).tobytes() == Image.open(io.BytesIO(expected[0][2])).convert("RGB").tobytes()


def test_unknown_crop_setting_is_refused(make_channel, cli):
    root = make_channel({"a.md": article_text()}, toml_extra='[artwork]\ncrop = "center"\n')
    r = cli("build", root)
    assert r.code == 2 and "[artwork] crop" in r.err and "smart" in r.err, r


def test_the_crop_setting_is_in_the_names():
    smart, centre = spec(crop="smart"), spec(crop="centre")
    assert rendition_names("d" * 64, smart) != rendition_names("d" * 64, centre)


_LAYOUTS = """
import json, sys
from pathlib import Path
from packager.imaging import RenderSpec, decode
out = {}
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix in (".jpg", ".png"):
        spec = RenderSpec(renditions=((1280, 720),), min_size=(16, 9), crop="smart")
        lay = decode(path.read_bytes(), path.suffix, spec, 100_000_000)[1]
        out[path.name] = [lay.fit, list(lay.box)]
print(json.dumps(out))
"""


def test_same_bytes_same_crop_in_another_process():
    """Deterministic: another interpreter (fresh caches, its own hash seed) places every
    crop exactly where this one does."""
    here = {}
    for name in CASES:
        lay = layout(name, crop="smart")
        here[name] = [lay.fit, list(lay.box)]
    again = {name: [lay.fit, list(lay.box)] for name in CASES for lay in [layout(name, crop="smart")]}
    assert again == here
    r = subprocess.run([sys.executable, "-c", _LAYOUTS, str(CROP)], capture_output=True, text=True, check=True,
                       env={"PYTHONHASHSEED": "123", "PATH": "/usr/bin:/bin"}, cwd=ROOT)
    assert json.loads(r.stdout) == here


def test_clips_crop_as_artwork_does(tmp_path):
    """A clip's photo is placed the same way (issue 20): the transparent chart is shown whole
    (contained on the blur, not cut through its title), an off-centre subject stays in."""
    from packager.clips import prepare_photo
    from packager.model import ClipPhoto

    chart = prepare_photo(ClipPhoto(CROP / "chart-transparent.png"), (1280, 720), LIMIT).base
    flat = Image.new("RGBA", Image.open(CROP / "chart-transparent.png").size, (255, 255, 255, 255))
    flat.alpha_composite(Image.open(CROP / "chart-transparent.png"))
    w, h = chart.size  # the frame and some room to zoom
    shown = chart.crop((round(w * 160 / 1280), 0, round(w * 1120 / 1280), h)).resize(flat.size)
    diff = ImageStat.Stat(ImageChops.difference(shown, flat.convert("RGB"))).mean
    assert max(diff) < 8, diff
    name = "astronaut-43.jpg"
    im = Image.open(CROP / name).convert("RGB")
    big = tmp_path / name  # three times the size: over 800x450, so covered rather than padded
    im.resize((im.size[0] * 3, im.size[1] * 3)).save(big, quality=95)
    base = prepare_photo(ClipPhoto(big), (1280, 720), LIMIT).base.resize((160, 90))
    smart = layout(name, crop="smart", fit="cover").box
    centre = layout(name, crop="centre", fit="cover").box
    assert holds(smart, CASES[name]["subject"]) and not holds(centre, CASES[name]["subject"])

    def distance(box):
        view = im.crop(tuple(round(v) for v in box)).resize((160, 90))
        return max(ImageStat.Stat(ImageChops.difference(base, view)).mean)

    assert distance(smart) < distance(centre) / 2, (distance(smart), distance(centre))
