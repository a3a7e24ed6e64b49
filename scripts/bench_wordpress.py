"""The wordpress source against a WordPress on 127.0.0.1 (tests/wpserver.py, real response
shapes) holding N posts (default 250, each with a featured image and a video in the media
library), in the same run:

1. the first build: wall time, requests by kind;
2. the same build again, nothing changed: requests (goal: the site info and the post list's
   pages, all conditional, no post and no photo read), and its time as a ratio of the first;
3. one post edited and one added: requests (goal: the list, plus one read of the 2 posts and
   1 photo), time ratio;
4. 2 again against a site that sends no ETags (stock WordPress): the list is read in full,
   still no post.

    python scripts/bench_wordpress.py [--posts N]
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))


def kinds(requests) -> dict:
    def kind(r):
        if r["route"] is None:
            return "upload" if "/wp-content/" in r["path"] else "page"
        if r["route"] == "/wp/v2/posts":
            return "posts (full)" if "_embed" in r["query"] else "post list"
        return r["route"]
    return dict(sorted(Counter(kind(r) + (" (conditional)" if r["conditional"] else "") for r in requests).items()))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--posts", type=int, default=250)
    args = p.parse_args()

    from conftest import run_cli
    from wpserver import WordPress

    for etags in (True, False):
        with WordPress(page_size=100, etags=etags) as wp, tempfile.TemporaryDirectory() as tmp:
            model = next(x for x in wp.posts if x["id"] == 6012)
            posts = []
            for i in range(args.posts):
                post = copy.deepcopy(model)
                pid = 10_000 + i
                post.update(id=pid, slug=f"story-{pid}", guid={"rendered": f"{wp.url}?p={pid}"},
                            date=f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:00:00",
                            modified_gmt=f"2025-12-01T00:{i % 60:02d}:00", title={"rendered": f"Story {pid}"})
                media = post["_embedded"]["wp:featuredmedia"][0]
                media["media_details"]["sizes"] = {}
                media["source_url"] = f"{wp.url}wp-content/uploads/2025/bench-{pid}-1280x720.jpg"
                posts.append(post)
            wp.posts = posts
            root = Path(tmp) / "ch"
            root.mkdir()
            (root / "channel.toml").write_text(f"""[channel]
provider_name = "Bench"
language = "en"
base_url = "https://cdn.example.com/tv/"

[[sources]]
type = "wordpress"
url = "{wp.url}"
allow_remote = true
""")
            runs = []
            for step in ("first", "unchanged", "1 edited + 1 new"):
                if step == "1 edited + 1 new":
                    posts[5]["title"]["rendered"] = "Edited"
                    posts[5]["modified_gmt"] = "2026-01-01T00:00:00"
                    new = copy.deepcopy(posts[0])
                    new.update(id=99_999, slug="new", guid={"rendered": f"{wp.url}?p=99999"}, date="2026-01-02T00:00:00")
                    new["_embedded"]["wp:featuredmedia"][0]["source_url"] = f"{wp.url}wp-content/uploads/2026/new-1280x720.jpg"
                    posts.append(new)
                if not etags and step != "unchanged":
                    if step == "first":
                        run_cli("build", root)
                    continue
                before = len(wp.requests)
                t = time.perf_counter()
                r = run_cli("build", root)
                took = time.perf_counter() - t
                assert r.code == 0, r
                runs.append(took)
                label = step if etags else "unchanged, no ETags (stock WordPress)"
                ratio = f", {took / runs[0]:.3f}x the first" if len(runs) > 1 else ""
                print(f"{label}: {took:.2f} s{ratio}; {len(wp.requests) - before} requests {kinds(wp.requests[before:])}")


if __name__ == "__main__":
    main()
