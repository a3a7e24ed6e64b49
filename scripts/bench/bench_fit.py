"""Feed fitting speed: 5,000 articles into the 500 KiB budget. Prints the time of
build_feed (which fits) next to one json serialization of all 5,000 items (the baseline,
same run): fitting must cost a few serializations, not one per dropped item.

    python scripts/bench/bench_fit.py [N]
"""

import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from packager.config import ArtworkSettings, Channel
from packager.dp import dumps
from packager.feed import build_feed, build_item
from packager.model import Article, Rendition, Video


def main(n: int) -> None:
    channel = Channel(root=Path("."), provider_name="Bench", language="en", base_url="https://cdn.example.com/tv/",
                      articles_dir=Path("articles"), genres=("news",), artwork=ArtworkSettings())
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    articles, renditions = [], {}
    for i in range(n):
        a = Article(source=f"articles/a{i}.md", id=f"a{i}", title=f"Story {i}", date=start + timedelta(hours=i),
                    short_description=f"Short description of story {i}, a sentence or two long.",
                    long_description=f"The longer description of story {i}. " * 6, tags=("local",), genres=("news",),
                    photo=None, video=Video(f"https://cdn.example.com/v/{i}.m3u8", 120, "HLS"),
                    featured=i % 500 == 0)
        articles.append(a)
        renditions[a.id] = (Rendition(f"artwork/{i:024x}.jpg", 1280, 720),)
    now = start + timedelta(hours=n)
    t = time.perf_counter()
    feed = build_feed(channel, articles, renditions, now=now)
    fit = time.perf_counter() - t
    t = time.perf_counter()
    whole = dumps([build_item(a, renditions[a.id][0], channel) for a in articles])
    base = time.perf_counter() - t
    kept = len(feed["shortFormVideos"])
    print(f"{n:,} articles ({len(whole) / 1e6:.1f} MB as JSON): build_feed with fitting {fit * 1000:.0f} ms, "
          f"{kept:,} items kept; baseline: build + serialize all items once {base * 1000:.0f} ms; "
          f"ratio {fit / base:.1f}x (a naive re-serialize per dropped item would be ~{n - kept:,}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
