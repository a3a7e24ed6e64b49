"""The example channels build to pinned bytes. Refactors are checked against these hashes:
behaviour changes must show up here as a deliberate re-pin.

Clip names are content hashes of the clip's inputs; they are replaced by their order of
appearance before hashing, so a change in how clips are *named* doesn't move the pins. A
clip's bytes are pinned like any file's: the encoder runs on one thread, so they don't
depend on the machine's load (see test_clips)."""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest
from conftest import ROOT

_CLIP = re.compile(rb"clips/([0-9a-f]{8,64})")


def normalized_tree(root) -> dict[str, str]:
    files = {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}
    names: dict[bytes, bytes] = {}
    for rel in sorted(files):
        for m in _CLIP.finditer(rel.encode()):
            names.setdefault(m.group(1), b"clip%d" % len(names))

    def norm(data: bytes) -> bytes:
        return _CLIP.sub(lambda m: b"clips/" + names.get(m.group(1), b"unknown"), data)

    return {norm(rel.encode()).decode(): hashlib.sha256(norm(data)).hexdigest()[:16] for rel, data in files.items()}


# Pinned from the first round's code (f6ba4b3) before the house was reshaped.
# Re-pinned for [artwork] crop = "smart" (issue 20): the setting is in every artwork name, and
# three synthetic example photos' cover crops moved to where their attention is.
PINNED = {
    "channel": {
        "artwork/22e83cbb3fa29a01c6a190a0.jpg": "983f82a6920d46c4",
        "artwork/3f3a37054aa80a4d36573600.jpg": "ee67ce3c797b5181",
        "artwork/4e0d0b410a684234d304b7dc.jpg": "157a695ae164ed23",
        "artwork/6824ed87fb82b844dc8909d9.jpg": "c8a3668f4f2ae59f",
        "artwork/80a91db008bc42d6cd728d08.jpg": "41367aad5e91377a",
        "artwork/a55280ac215973331e29f4d0.jpg": "e65214c271923fe1",
        "artwork/c406ef629132a0da48a343ec.jpg": "52cea9c37a8fde89",
        "artwork/f588ba7b54cb8f480bdc16da.jpg": "86a78ffde9b3cabb",
        "artwork/f8353a330ccce33f98001b53.jpg": "81b76fc7770b09aa",
        "feed.json": "7e7733892879ac02",
    },
    "showcase": {
        "artwork/075163ed8d1c0a80bc395f1b.jpg": "ee67ce3c797b5181",
        "artwork/1d252ecb9fed855bce2d489c.jpg": "e4a760c6fe405ec9",
        "artwork/267cf4d61153aa90daa79ee4.jpg": "e65214c271923fe1",
        "artwork/5b3c12b72d994f969782d2bc.jpg": "1bc7219d3214e8dc",
        "artwork/85a4bd67bbac5c23ac8f0e03.jpg": "81b76fc7770b09aa",
        "artwork/9bb7c93a0e87701af7a4de50.jpg": "c61edb457d4cb676",
        "artwork/ce49f044a04bf2ec1db92eb5.jpg": "5954f2d720e5a361",
        "artwork/e7320252c9ea19beb02d07b7.jpg": "5954f2d720e5a361",
        "artwork/ec91be62c13d67d7dcfb98d6.jpg": "81b76fc7770b09aa",
        "artwork/ff1422f2c7aad35b88690043.jpg": "c8a3668f4f2ae59f",
        "clips/clip0.en.vtt": "3fb200a85a801aa0",
        "clips/clip0.mp4": "78894ed7a2e7879e",
        "feed.json": "32dd6ad08eee9b2c",
        "feed.xml": "40794499dd5e5e9c",
        "search-feed.json": "c9882d5a4bc011ec",
    },
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_example_output_is_pinned(name, tmp_path, cli, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")  # 2026-11-19: fixes what has expired
    channel = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, channel, ignore=shutil.ignore_patterns("dist", "public"))
    r = cli("build", channel)
    assert r.code == 0, r
    got = normalized_tree(channel / "dist")
    assert got == PINNED[name]


def test_names_do_not_depend_on_where_the_channel_is(tmp_path, cli, monkeypatch):
    """The same channel checked out in two folders names every artwork and clip the same
    (clip names hash input bytes, never paths): a CI runner's clone matches the target."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")
    names = []
    for where in ("a/deep/checkout", "elsewhere"):
        channel = tmp_path / where / "showcase"
        shutil.copytree(ROOT / "examples" / "showcase", channel, ignore=shutil.ignore_patterns("dist", "public"))
        assert cli("build", channel).code == 0
        dist = channel / "dist"
        names.append(sorted(p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()
                            and p.relative_to(dist).parts[0] in ("artwork", "clips")))
    assert names[0] == names[1] and any(n.startswith("clips/") for n in names[0])
