"""A 1-2 MB Direct Publisher feed in the shape a Vimeo-to-Roku exporter writes for a large
church/community channel: one flat shortFormVideos list of ~1,500 items, HLS URLs with long
signed query strings, 960x540 thumbnails, a genre outside Roku's list ("Entertainment"),
empty tag lists on most items and a tag over 20 characters on some, durations from 3 s to
several hours, no categories. Generated, not committed, so the repository stays small; the
output is the same bytes on every run (no clock, no randomness)."""

from __future__ import annotations

import json
import sys

ITEMS = 1500
LONG_TAG = "no rights infringement meant"  # 28 characters: over Roku's 20
LONG_TAG_EVERY = 7  # about one item in seven carries it, as in the real feed


def _item(n: int) -> dict:
    vid = 1_100_000_000 - n * 7919
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    year = 2025 - n // 336
    date = f"{year:04d}-{month:02d}-{day:02d}"
    token = f"{(n * 2654435761) % 2**32:08x}{(n * 40503) % 2**16:04x}" * 2
    tags: list[str] = []
    if n % LONG_TAG_EVERY == 0:
        tags.append(LONG_TAG)
    if n % 11 == 0:
        tags.append("Social")
    title = f"Sunday Service {date} - Community Hall broadcast part {n % 4 + 1}"
    return {
        "id": f"vimeo-{vid}",
        "title": title,
        "shortDescription": f"{title}  #together",
        "longDescription": f"{title}  #together - recorded live at the community hall",
        "releaseDate": date,
        "thumbnail": f"https://i.example.com/video/{vid}-{token}-d_960x540?&r=pad&region=us",
        "content": {
            "dateAdded": f"{date}T{n % 24:02d}:{n % 60:02d}:{(n * 7) % 60:02d}Z",
            "duration": 3 + (n * 97) % 9000,
            "videos": [{
                "url": (f"https://player.example.com/play/{token[:8]}-{token[8:12]}-{token[12:16]}"
                        f"/hls.m3u8?s={vid}_1769995804_{token}&context=Example%5CController%5CApi"
                        f"%5CResources%5CUser%5CVideosController.&log_user=0&oauth2_token_id=1807134934"),
                "quality": "HD",
                "videoType": "HLS",
            }],
        },
        "tags": tags,
        "genres": ["Entertainment"],
    }


def large_feed() -> dict:
    return {
        "providerName": "Example Community Media",
        "language": "en",
        "lastUpdated": "2026-01-31T21:41:44Z",
        "shortFormVideos": [_item(n) for n in range(ITEMS)],
    }


def large_feed_bytes() -> bytes:
    return json.dumps(large_feed(), indent=2, ensure_ascii=False).encode("utf-8")


if __name__ == "__main__":
    sys.stdout.buffer.write(large_feed_bytes())
