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


def search_rating_values(source: str) -> tuple[str, ...] | None:
    """The values Roku's search feed schema lists for a rating source (USA_PR_values, ...),
    or None for a source it doesn't take (UK_CP)."""
    definitions = _search_schema()["definitions"]
    if source not in definitions["advisory_ratings_source_type"]["enum"]:
        return None
    values = definitions.get(f"{source}_values")
    return tuple(values["enum"]) if values else None


def search_rating(rating: dict) -> tuple[dict | None, str | None]:
    """A DP rating as a search feed advisory rating, with a note when it had to be mapped or
    can't be carried (the search feed checks each value against its source's list)."""
    value, source = rating.get("rating"), rating.get("ratingSource")
    allowed = search_rating_values(source) if isinstance(source, str) else None
    if allowed is None or not isinstance(value, str):
        return None, f"rating source {source!r} has no place in Roku's search feed; left out"
    # DP writes UNRATED and TVPG; the search feed writes NR and prefers TV-PG.
    spelled = "NR" if value == "UNRATED" else f"TV-{value[2:]}" if source == "USA_PR" and value.startswith("TV") and "-" not in value else value
    if spelled in allowed:
        return {"source": source, "value": spelled}, None
    if value in allowed:
        return {"source": source, "value": value}, None
    if source == "USA_PR" and f"TV-{value}" in allowed:  # "PG" under USA_PR, as in the DP spec's own example
        return {"source": source, "value": f"TV-{value}"}, f"rating {value!r} under USA_PR is not a TV rating; written as TV-{value}"
    return None, f"rating {value!r} is not in Roku's {source} list ({', '.join(allowed)}); left out"


def _rating(item: dict, default: dict, warnings: list[str]) -> list[dict]:
    r = item.get("rating")
    if isinstance(r, dict):
        mapped, note = search_rating(r)
        if note:
            fallback = "" if mapped else f", so [search_feed] advisory_rating ({default.get('source')} {default.get('value')}) applies"
            warnings.append(f"{SEARCH_NAME}: item {item['id']}: {note}{fallback}; fix rating in the item")
        if mapped:
            return [mapped]
    return [dict(default)]


def search_language(language: str, warnings: list[str]) -> str:
    """The feed's language as Roku's search feed lists it: lowercase, and the primary subtag
    when the region isn't listed (es-419 -> es)."""
    lang = language.lower().replace("_", "-")
    listed = _search_schema()["definitions"]["language_type"]["enum"]
    primary = lang.split("-", 1)[0]
    if lang not in listed and primary in listed:
        warnings.append(f"{SEARCH_NAME}: language {language!r} is not in Roku's search feed list; written as {primary!r}")
        return primary
    return lang


def _asset(item: dict, asset_type: str, lang: str, countries: list[str], default_rating: dict, warnings: list[str]) -> dict:
    asset = {
        "id": item["id"],
        "type": asset_type,
        "titles": _loc(item["title"], lang),
        "shortDescriptions": _loc(item["shortDescription"], lang),
    }
    if item.get("longDescription"):
        asset["longDescriptions"] = _loc(item["longDescription"], lang)
    asset.update({
        "releaseDate": item.get("releaseDate", "1970-01-01"),
        "genres": list(item.get("genres") or ["news"]),
        "advisoryRatings": _rating(item, default_rating, warnings),
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


def build_search_feed(feed: dict, countries: list[str], default_rating: dict, warnings: list[str] | None = None) -> dict:
    """The search feed of a built DP feed. What can't be carried as it is (a rating outside
    its source's list, a language Roku doesn't list) is mapped or left out, with a line
    appended to `warnings`."""
    warnings = [] if warnings is None else warnings
    lang = search_language(feed["language"], warnings)
    assets = []
    for key, asset_type in SEARCH_ASSET_TYPE.items():
        for item in feed.get(key, []):
            assets.append(_asset(item, asset_type, lang, countries, default_rating, warnings))
    for series in feed.get("series", []):
        s = _asset(series, "series", lang, countries, default_rating, warnings)
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
                a = _asset(ep | {"genres": ep.get("genres") or series.get("genres")}, "episode", lang, countries, default_rating, warnings)
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
