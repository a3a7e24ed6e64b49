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
        "artwork/372b8453f5ac882b4ebdb95c.jpg": "81b76fc7770b09aa",
        "artwork/383a1619916450aff5024dca.jpg": "e65214c271923fe1",
        "artwork/562f946d1bfe201b4dd2f9bc.jpg": "ee67ce3c797b5181",
        "artwork/6b6a2e2b7620a37b3ca9ca66.jpg": "81b76fc7770b09aa",
        "artwork/70cad972c8d2f1241e12b478.jpg": "e4a760c6fe405ec9",
        "artwork/911c929c9bd9331f09f9ba3c.jpg": "248e166db4df362a",
        "artwork/a7a553c4f464c3b561e431a7.jpg": "cb8fa391749f1141",
        "artwork/c671927160bef38128e81283.jpg": "1bc7219d3214e8dc",
        "artwork/c91f8a544d29f5811911da08.jpg": "5954f2d720e5a361",
        "artwork/d088ee986da6abcca6fb81cb.jpg": "5954f2d720e5a361",
        "clips/clip0.en.vtt": "3fb200a85a801aa0",
        "clips/clip0.mp4": "7fbfe1f4f9234a42",
        "feed.json": "12f155e810d49458",
        "feed.xml": "b5d8f3102be26894",
        "search-feed.json": "4ad2c4090ff4b2ec",
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
