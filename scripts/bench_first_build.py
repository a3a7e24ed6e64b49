"""What the defaults of #20 cost, each beside a baseline measured in the same run:
(1) reading a channel of 2,000 stories whose photo paths are all wrong (each "not found"
line looks for a file of that name in the channel: one walk of the folder, then an index)
against the same channel with the right paths (goal: under 2x);
(2) the first build of a three-key channel (a captioned photo, a text-only story, a 300x200
photo: three default 720p clips) against the same build with [clips] render = "off" and
videos given (artwork only): the price of every story reaching the screen.

    python scripts/bench_first_build.py [--read-only]
"""

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_example_photos import scene  # noqa: E402

from packager.build import build  # noqa: E402
from packager.config import load_channel  # noqa: E402
from packager.readers import read_content  # noqa: E402
from packager.safepath import _names  # noqa: E402

TOML = '[channel]\nprovider_name = "Bench"\nlanguage = "en"\nbase_url = "https://cdn.test/tv/"\n'
VIDEO = "video:\n  url: https://cdn.test/v/a.m3u8\n  duration: 60\n"


def best(fn, runs: int = 3) -> float:
    out = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def bench_not_found(tmp: Path, n: int = 2000, rounds: int = 3) -> None:
    def archive(name: str, ref: str) -> Path:
        root = tmp / name
        (root / "photos").mkdir(parents=True)
        (root / "articles").mkdir()
        (root / "channel.toml").write_text(TOML)
        for i in range(n):
            (root / "photos" / f"p{i}.jpg").write_bytes(b"x")  # only names are looked at
            (root / "articles" / f"s{i}.md").write_text(f"---\ntitle: \"Story {i}\"\ndate: 2026-11-20T10:00:00Z\n"
                                                       f"photo: {ref}p{i}.jpg\n{VIDEO}---\nText.\n")
        return root

    right = load_channel(archive("right", "../photos/"))
    wrong = load_channel(archive("wrong", "photos/"))  # the README-layout mistake: relative to the article
    content = read_content(wrong)
    assert len(content.errors) == n and "write ../photos/p0.jpg" in str(content.errors[0]), content.errors[:1]
    t_right = t_wrong = float("inf")
    for _ in range(rounds):  # alternated: the machine's load hits both alike
        t_right = min(t_right, best(lambda: read_content(right), 1))
        # Each run pays the walk of the folder again, as a new process would.
        t_wrong = min(t_wrong, best(lambda: (_names.cache_clear(), read_content(wrong)), 1))
    print(f"read {n} stories: right paths {t_right:.2f} s; all {n} not found, each with its likely path "
          f"{t_wrong:.2f} s = {t_wrong / t_right:.2f}x (goal < 2x)")


def bench_first_build(tmp: Path) -> None:
    def channel(name: str, extra: str, video: str) -> Path:
        root = tmp / name
        (root / "articles").mkdir(parents=True)
        (root / "photos").mkdir()
        (root / "channel.toml").write_text(TOML + extra)
        scene(1024, 768, 5).save(root / "photos" / "troops.jpg", quality=88)
        scene(300, 200, 6).save(root / "photos" / "rex.jpg", quality=88)
        stories = {"troops": "photo: ../photos/troops.jpg\nphoto_caption: \"Soldiers board a plane.\"\n",
                   "roads": "", "rex": "photo: ../photos/rex.jpg\nphoto_caption: \"Rex, home again.\"\n"}
        for i, (sid, fields) in enumerate(stories.items()):
            (root / "articles" / f"{sid}.md").write_text(f"---\ntitle: \"Story {sid}\"\ndate: 2026-11-2{i}T10:00:00Z\n"
                                                         f"{fields}{video}---\nText of the story.\n")
        return root

    base = channel("off", '[clips]\nrender = "off"\n', VIDEO)
    full = channel("default", "", "")
    t_off = best(lambda: (shutil.rmtree(base / "dist", ignore_errors=True), build(base)), runs=2)
    t_all = best(lambda: (shutil.rmtree(full / "dist", ignore_errors=True), build(full)), runs=2)
    feed = json.loads((full / "dist" / "feed.json").read_bytes())
    seconds = sum(v["content"]["duration"] for v in feed["shortFormVideos"])
    print(f"first build, 3 stories: artwork only {t_off:.2f} s; with the 3 default clips ({seconds} s of 720p video) "
          f"{t_all:.2f} s = {t_all / t_off:.1f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bench_not_found(Path(tmp))
        if "--read-only" not in sys.argv:
            bench_first_build(Path(tmp))


if __name__ == "__main__":
    main()
