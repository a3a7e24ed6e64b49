"""More outputs from the same feed: DP MRSS (feed.xml, short-form items) and a Roku Search
Feed 2.0 (search-feed.json). Both are derived from the built DP feed, so they always agree
with it."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from functools import cache

from packager.dp import SEARCH_ASSET_TYPE
from packager.resources import schema_path

MRSS_NAME = "feed.xml"
SEARCH_NAME = "search-feed.json"
MEDIA = "http://search.yahoo.com/mrss/"
DCTERMS = "http://purl.org/dc/terms/"


# ---------------------------------------------------------------- DP MRSS

def build_mrss(feed: dict, base_url: str) -> bytes:
    """Short-form items as DP MRSS. For Roku's conversion template, media:thumbnail is also
    nested inside media:content, and plain title/description sit beside media:title and
    media:description (the template reads the plain ones)."""
    ET.register_namespace("media", MEDIA)
    ET.register_namespace("dcterms", DCTERMS)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = feed["providerName"]
    ET.SubElement(channel, "link").text = base_url
    ET.SubElement(channel, "description").text = feed["providerName"]
    ET.SubElement(channel, "language").text = feed["language"]
    ET.SubElement(channel, "lastBuildDate").text = feed["lastUpdated"]
    for item in feed.get("shortFormVideos", []):
        el = ET.SubElement(channel, "item")
        ET.SubElement(el, "guid", {"isPermaLink": "false"}).text = item["id"]
        ET.SubElement(el, "title").text = item["title"]
        ET.SubElement(el, "description").text = item["shortDescription"]
        ET.SubElement(el, "pubDate").text = item["content"]["dateAdded"]
        ET.SubElement(el, f"{{{MEDIA}}}title").text = item["title"]
        ET.SubElement(el, f"{{{MEDIA}}}description").text = item["shortDescription"]
        if item.get("tags"):
            ET.SubElement(el, f"{{{MEDIA}}}keywords").text = ",".join(item["tags"])
        for genre in item.get("genres", []):
            ET.SubElement(el, f"{{{MEDIA}}}category").text = genre
        ET.SubElement(el, f"{{{MEDIA}}}thumbnail", {"url": item["thumbnail"]})
        content = item["content"]
        video = content["videos"][0]
        attrs = {"url": video["url"], "duration": str(content["duration"]), "medium": "video"}
        if "bitrate" in video:
            attrs["bitrate"] = str(video["bitrate"])
        if content.get("language"):
            attrs["lang"] = content["language"]
        media = ET.SubElement(el, f"{{{MEDIA}}}content", attrs)
        ET.SubElement(media, f"{{{MEDIA}}}thumbnail", {"url": item["thumbnail"]})
        for cap in content.get("captions", []):
            ET.SubElement(el, f"{{{MEDIA}}}subTitle", {"href": cap["url"], "lang": cap["language"]})
        if content.get("validityPeriodStart") or content.get("validityPeriodEnd"):
            parts = [f"start={content['validityPeriodStart']}" if content.get("validityPeriodStart") else "",
                     f"end={content['validityPeriodEnd']}" if content.get("validityPeriodEnd") else ""]
            ET.SubElement(el, f"{{{DCTERMS}}}valid").text = ";".join(p for p in parts if p)
    ET.indent(rss, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(rss, encoding="utf-8") + b"\n"


# ---------------------------------------------------------------- Roku Search Feed 2.0

def _loc(value: str, lang: str) -> list[dict]:
    return [{"value": value, "languages": [lang]}]


def _rating(item: dict, default: dict) -> list[dict]:
    r = item.get("rating")
    if r:
        # DP writes TV ratings as TVPG; the search feed's USA_PR values are TV-PG.
        value = r["rating"]
        if r["ratingSource"] == "USA_PR" and value.startswith("TV") and "-" not in value:
            value = "TV-" + value[2:]
        return [{"source": r["ratingSource"], "value": value}]
    return [dict(default)]


def _asset(item: dict, kind: str, lang: str, countries: list[str], default_rating: dict) -> dict:
    asset = {
        "id": item["id"],
        "type": kind,
        "titles": _loc(item["title"], lang),
        "shortDescriptions": _loc(item["shortDescription"], lang),
    }
    if item.get("longDescription"):
        asset["longDescriptions"] = _loc(item["longDescription"], lang)
    asset.update({
        "releaseDate": item.get("releaseDate", "1970-01-01"),
        "genres": list(item.get("genres") or ["news"]),
        "advisoryRatings": _rating(item, default_rating),
        "images": [{"type": "main", "url": item["thumbnail"], "languages": [lang]}],
    })
    if item.get("tags"):
        asset["tags"] = list(item["tags"])
    content = item.get("content")
    if content:
        asset["durationInSeconds"] = content["duration"]
        quality = content["videos"][0]["quality"].lower()
        asset["content"] = {"playOptions": [{
            "license": "free", "quality": quality, "playId": item["id"],  # the deep-link id
            "availabilityInfo": {"country": list(countries)},
        }]}
    return asset


def build_search_feed(feed: dict, countries: list[str], default_rating: dict) -> dict:
    lang = feed["language"].lower()
    assets = []
    for key, kind in SEARCH_ASSET_TYPE.items():
        for item in feed.get(key, []):
            assets.append(_asset(item, kind, lang, countries, default_rating))
    for series in feed.get("series", []):
        s = _asset(series, "series", lang, countries, default_rating)
        assets.append(s)
        seasons = series.get("seasons") or [{"seasonNumber": None, "episodes": series.get("episodes", [])}]
        for season in seasons:
            number = season["seasonNumber"]
            if number is not None:
                season_asset = {
                    "id": f"{series['id']}-s{number}"[:50], "type": "season",
                    "titles": _loc(f"{series['title']}: season {number}", lang),
                    "shortDescriptions": _loc(series["shortDescription"], lang),
                    "releaseDate": min(e["releaseDate"] for e in season["episodes"]),
                    "genres": s["genres"], "advisoryRatings": s["advisoryRatings"], "images": s["images"],
                    "seasonInfo": {"seriesId": series["id"], "seasonNumber": number},
                }
                assets.append(season_asset)
            for ep in season["episodes"]:
                a = _asset(ep | {"genres": ep.get("genres") or series.get("genres")}, "episode", lang, countries, default_rating)
                a["episodeInfo"] = {"seriesId": series["id"], "episodeNumber": ep["episodeNumber"]}
                if number is not None:
                    a["episodeInfo"] = {"seriesId": series["id"], "seasonNumber": number, "episodeNumber": ep["episodeNumber"]}
                assets.append(a)
    return {"version": "1", "defaultLanguage": lang, "defaultAvailabilityCountries": list(countries), "assets": assets}


@cache
def _search_schema() -> dict:
    return json.loads(schema_path("roku-search-feed.schema.json").read_text(encoding="utf-8"))


@cache
def _fast_search_validator():
    import fastjsonschema  # noqa: PLC0415 (validator loads on use)

    from packager.validate import format_checks  # noqa: PLC0415 (validator loads on use)

    return fastjsonschema.compile(copy.deepcopy(_search_schema()), formats=format_checks())


def search_feed_errors(doc: dict) -> list[str]:
    """Every way doc breaks the Search Feed schema; the slow full validator runs only when
    the compiled one has already found a fault."""
    import fastjsonschema  # noqa: PLC0415 (validator loads on use)

    try:
        _fast_search_validator()(doc)
    except fastjsonschema.JsonSchemaException:
        return _listed_search_errors(doc)
    return []


def _listed_search_errors(doc: dict) -> list[str]:
    from packager.validate import _full_validator  # noqa: PLC0415 (validator loads on use)

    out = []
    for err in sorted(_full_validator(_search_schema()).iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
        out.append(f"{path}: {err.message}")
    return out
