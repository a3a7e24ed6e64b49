"""Validation speed: builds a synthetic 10,000-item DP feed (and a ~500 KB one), validates
each with the project's validator, and prints the time next to a baseline measured in the
same run (json.loads of the same body), so the ratio survives a noisy machine.

    python scripts/bench/bench_validate.py [N_ITEMS]
"""

import json
import sys
import time

from packager.validate import validate_bytes


def synthetic_feed(n: int) -> bytes:
    items = []
    for i in range(n):
        items.append({
            "id": f"item{i:06d}",
            "title": f"Story number {i}",
            "shortDescription": f"A short description of story {i} for the grid.",
            "longDescription": f"A longer description of story {i}, with more words for the details screen.",
            "thumbnail": f"https://cdn.example.com/tv/artwork/{i:024x}.jpg",
            "releaseDate": "2026-11-24",
            "genres": ["news"],
            "tags": ["local", f"t{i % 50}"],
            "content": {
                "dateAdded": "2026-11-24T10:00:00+00:00",
                "duration": 120 + i % 600,
                "videos": [{"url": f"https://cdn.example.com/v/{i}.m3u8", "quality": "HD", "videoType": "HLS"}],
                "language": "en",
            },
        })
    feed = {"providerName": "Bench", "language": "en", "lastUpdated": "2026-11-24T10:00:00+00:00",
            "shortFormVideos": items, "categories": [{"name": "Local", "query": "local", "order": "most_recent"}]}
    return json.dumps(feed, separators=(",", ":")).encode()


def best_of(fn, runs=3) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(n: int) -> None:
    for label, count in (("~500 KB feed", 1000), (f"{n:,}-item feed", n)):
        body = synthetic_feed(count)
        report = validate_bytes(body, profile="spec")
        assert report.valid, report.findings[:3]
        base = best_of(lambda body=body: json.loads(body))
        took = best_of(lambda body=body: validate_bytes(body, profile="spec"))
        print(f"{label}: {len(body) / 1e3:,.0f} KB, {count:,} items: validate {took * 1000:.0f} ms "
              f"(json.loads baseline {base * 1000:.1f} ms, ratio {took / base:.0f}x); goal < 1000 ms")
        # The same feed with two broken items: only those go through the error-listing validator.
        broken = json.loads(body)
        broken["shortFormVideos"][count // 3]["releaseDate"] = "2026-11-24T10:00:00Z"
        broken["shortFormVideos"][-1]["content"]["videos"][0]["quality"] = "XHD"
        bad = json.dumps(broken, separators=(",", ":")).encode()
        took_bad = best_of(lambda bad=bad: validate_bytes(bad, profile="spec"))
        errors = len(validate_bytes(bad, profile="spec").errors)
        print(f"{label} with 2 broken items: validate {took_bad * 1000:.0f} ms, {errors} errors listed "
              f"(ratio to json.loads {took_bad / base:.0f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
