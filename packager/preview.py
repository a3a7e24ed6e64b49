"""A local preview of the channel: dist/preview.html, rows and 16:9 posters the way a Roku
grid shows them, opened straight from disk (relative paths, no network)."""

from __future__ import annotations

import json
import shutil
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from packager.dp import ITEM_ARRAYS, query_tags
from packager.resources import templates_dir
from packager.writer import record_written

PREVIEW_NAME = "preview.html"
# hls.js (vendored from npm with its licence) plays HLS in browsers without native HLS.
HLS_JS_DIR = Path(__file__).resolve().parent / "vendor" / "hls.js"
HLS_JS = "preview/hls.min.js"
HLS_JS_LICENSE = "preview/hls.js-LICENSE"


@cache
def _environment() -> Environment:
    # Article text goes into HTML: autoescape everything.
    return Environment(loader=FileSystemLoader(str(templates_dir())), autoescape=select_autoescape(default=True))


def _duration(seconds) -> str:
    if not isinstance(seconds, int):
        return ""
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def _poster(url: str, base_url: str) -> str:
    return url[len(base_url):] if base_url and url.startswith(base_url) else url


def _card(item: dict, kind: str, base_url: str) -> dict:
    episodes = ""
    if kind == "series":
        n = sum(len(s.get("episodes", [])) for s in item.get("seasons", [])) or len(item.get("episodes", []))
        episodes = f"{n} episodes"
    content = item.get("content") or {}
    video = next((v for v in content.get("videos") or [] if isinstance(v, dict) and v.get("url")), None)
    captions = [{"src": _poster(c["url"], base_url), "lang": c.get("language", ""), "label": c.get("language", "")}
                for c in content.get("captions") or [] if isinstance(c, dict) and str(c.get("url", "")).endswith(".vtt")]
    return {"id": item.get("id", ""), "title": item.get("title", ""), "poster": _poster(item.get("thumbnail", ""), base_url),
            "video": _poster(video["url"], base_url) if video else "", "videoType": video.get("videoType", "") if video else "",
            "captions": captions,
            "short": item.get("shortDescription", ""), "long": item.get("longDescription", ""),
            "release": item.get("releaseDate", ""), "duration": _duration(content.get("duration")),
            "kind": kind, "episodes": episodes}


def _sort(items: list[dict], order: str) -> list[dict]:
    def when(x):
        return (x.get("content") or {}).get("dateAdded") or x.get("releaseDate") or ""
    if order == "most_recent":
        return sorted(items, key=when, reverse=True)
    if order == "chronological":
        return sorted(items, key=when)
    return items


def rows_of(feed: dict, base_url: str) -> tuple[list[dict], dict[str, dict]]:
    """Category rows (query or playlist) first, then one row per content type, as Roku's
    template shows them."""
    by_id, kinds = {}, {}
    for key in ITEM_ARRAYS:
        for item in feed.get(key, []) or []:
            by_id[item.get("id")] = item
            kinds[item.get("id")] = key
    playlists = {p.get("name"): p.get("itemIds", []) for p in feed.get("playlists", []) or []}
    rows = []
    for cat in feed.get("categories", []) or []:
        if "playlistName" in cat:
            items = [by_id[i] for i in playlists.get(cat["playlistName"], []) if i in by_id]
            note = f"playlist {cat['playlistName']}"
        else:
            tags, ops = query_tags(cat.get("query", ""))
            match = all if ops == {"AND"} else any

            def hit(item, match=match, tags=tags):
                have = {t.lower() for t in item.get("tags", []) or []}
                return match(t in have for t in tags)
            items = [x for x in by_id.values() if hit(x)]
            note = f"query: {cat.get('query', '')}"
        items = _sort(items, cat.get("order", "manual"))
        rows.append({"title": cat.get("name", ""), "kind": "category", "note": note,
                     "items": [_card(x, kinds[x["id"]], base_url) for x in items]})
    for key in ITEM_ARRAYS:
        if feed.get(key):
            rows.append({"title": key, "kind": "type", "note": "as Roku's template shows it",
                         "items": [_card(x, key, base_url) for x in feed[key]]})
    cards = {c["id"]: c for row in rows for c in row["items"]}
    return rows, cards


def render_preview(feed: dict, base_url: str, warnings: list[str]) -> str:
    rows, cards = rows_of(feed, base_url)
    # </script> can't end the JSON block early: escape '<' inside it.
    cards_json = json.dumps(cards, ensure_ascii=False).replace("<", "\\u003c")
    return _environment().get_template("preview.html.j2").render(
        provider=feed.get("providerName", ""), language=feed.get("language", "en"),
        last_updated=feed.get("lastUpdated", ""), rows=rows, warnings=warnings,
        item_count=len({c for c in cards}), cards_json=Markup(cards_json))


def write_preview(out: Path, feed: dict, base_url: str, warnings: list[str]) -> Path:
    path = out / PREVIEW_NAME
    path.write_text(render_preview(feed, base_url, warnings), encoding="utf-8")
    record_written(out, PREVIEW_NAME)
    (out / "preview").mkdir(exist_ok=True)
    for name, rel in (("hls.min.js", HLS_JS), ("LICENSE", HLS_JS_LICENSE)):
        shutil.copyfile(HLS_JS_DIR / name, out / rel)
        record_written(out, rel)
    return path
