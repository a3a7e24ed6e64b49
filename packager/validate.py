"""Check a Direct Publisher feed: the body, the project's JSON Schema, the rules a schema
can't express, and what Roku's real consumers demand (profiles). Every finding has a stable
rule code, a JSON path and a message that says what to change."""

from __future__ import annotations

import copy
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import unquote

from packager.dp import (
    APP_MAX_BODY,
    BITRATE_REQUIRED,
    DEFAULT_PROFILE,
    ID_ALNUM,
    ID_CHARS,
    ITEM_ARRAYS,
    KIND_OF_ARRAY,
    MIN_ARTWORK,
    PROFILES,
    RATINGS,
    RATINGS_BY_SOURCE,
    SHORT_FORM_USUAL_MAX_SECONDS,
    STRICT_SHORT_DESCRIPTION_MAX,
    TEMPLATE_MAX_BODY,
    feed_schema,
    query_tags,
    walk_items,
)
from packager.errors import FeedReadError

# Every rule code, its default severity and what it means. The README lists these.
RULES: dict[str, tuple[str, str]] = {
    "DP001": ("error", "body starts with a UTF-8 byte order mark"),
    "DP002": ("error", "body does not start with '{' (leading whitespace or not a JSON object)"),
    "DP003": ("error", "body is not valid UTF-8"),
    "DP004": ("error", "body is 500 KiB or more: Roku's conversion template refuses it"),
    "DP101": ("error", "required field missing"),
    "DP102": ("error", "wrong type (e.g. rating as a string, duration as text, a list at the root); a null bitrate on an HLS/DASH/SMOOTH video is a warning under roku-template"),
    "DP103": ("error", "bad format: dates YYYY-MM-DD, datetimes with offset, http(s) URLs, language codes, hh:mm:ss"),
    "DP104": ("error", "value not in the allowed list (genre, quality, videoType, rating, role, ...)"),
    "DP105": ("error", "text too long or empty"),
    "DP106": ("warning", "unknown key (error in the strict profile)"),
    "DP107": ("error", "array empty where at least one entry is required (categories and playlists too)"),
    "DP108": ("error", "number out of range"),
    "DP109": ("error", "series needs exactly one of seasons or episodes"),
    "DP201": ("error", "id used more than once in the feed (episodes included)"),
    "DP202": ("error", "playlist itemId matches no item"),
    "DP203": ("error", "playlist itemId is an episode"),
    "DP204": ("error", "category needs exactly one of playlistName or query"),
    "DP205": ("error", "order 'manual' without a playlist"),
    "DP206": ("error", "query mixes AND and OR"),
    "DP207": ("warning", "query tag matches no item"),
    "DP208": ("error", "longDescription equals shortDescription (a warning under roku-template: the template shows one or the other)"),
    "DP209": ("error", "seasonNumber or episodeNumber repeated within its parent"),
    "DP210": ("error", "bitrate missing for an MP4/MOV/M4V video (a warning under roku-template: the template never reads it)"),
    "DP211": ("warning", "shortFormVideo longer than 20 minutes (1200 seconds)"),
    "DP213": ("error", "no content at all: every content array is missing"),
    "DP214": ("error", "validityPeriodEnd is not after validityPeriodStart"),
    "DP215": ("error", "category playlistName matches no playlist"),
    "DP216": ("warning", "id has characters outside [A-Za-z0-9_-]"),
    "DP217": ("warning", "rating value does not belong to its ratingSource (error in the strict profile)"),
    "DP218": ("warning", "credit without birthDate (the spec's credit table lists it as required)"),
    "DP301": ("error", "item without genres (Roku's template reads genres[0])"),
    "DP302": ("error", "item or episode without content.videos[0].url (said once: not beside DP101/DP107 for the same content)"),
    "DP303": ("error", "item or episode without a thumbnail"),
    "DP401": ("error", "strict: id not alphanumeric or over 50 characters"),
    "DP402": ("error", "strict: shortDescription over 110 characters (series included)"),
    "DP403": ("error", "strict: emoji in a title or description"),
    "DP404": ("error", "strict: thumbnail is not a 1920x1080 JPEG"),
    "DP501": ("error", "thumbnail file missing under --assets"),
    "DP502": ("error", "thumbnail is not a readable JPEG or PNG"),
    "DP503": ("error", "thumbnail smaller than {}x{}".format(*MIN_ARTWORK)),
    "DP504": ("error", "thumbnail not 16:9 (within 1%)"),
    "DP505": ("error", "thumbnail is not RGB"),
    "DP506": ("error", "thumbnail URL is not under the base URL"),
}


@dataclass(frozen=True)
class Finding:
    severity: str
    code: str
    path: str
    message: str
    item_id: str | None = None


@dataclass
class Report:
    profile: str
    source: str = "feed"
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json(self) -> dict:
        return {"source": self.source, "profile": self.profile, "valid": self.valid,
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [asdict(f) for f in self.findings]}


# ---------------------------------------------------------------- paths and walking

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(parts) -> str:
    out = "$"
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        elif _IDENT.match(p):
            out += f".{p}"
        else:
            out += "[" + json.dumps(p) + "]"
    return out


def _item_id_at(feed, parts) -> str | None:
    """The id of the innermost item (or episode) on the way to `parts`."""
    node, found = feed, None
    for i, p in enumerate(parts):
        try:
            node = node[p]
        except (KeyError, IndexError, TypeError):
            break
        parent = parts[i - 1] if i else None
        if (isinstance(p, int) and (parent in ITEM_ARRAYS or parent == "episodes")
                and isinstance(node, dict) and isinstance(node.get("id"), str)):
            found = node["id"]
    return found


# ---------------------------------------------------------------- schema

def _full_validator(schema: dict):
    """jsonschema's validator, which lists every error with its path. Imported only when a
    feed has already failed the fast check; it checks the same formats as the fast one."""
    if "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules:
        # jsonschema's format extras register IRI checks from rfc3987_syntax, which builds a
        # Lark grammar when imported: ~2.5 s of CPU for formats no schema here uses. Without
        # it, jsonschema loads in ~0.3 s (a None entry makes the import fail; removed after).
        sys.modules["rfc3987_syntax"] = None
        try:
            import jsonschema  # noqa: F401, PLC0415 (heavy)
        finally:
            del sys.modules["rfc3987_syntax"]
    from jsonschema import Draft202012Validator, FormatChecker  # noqa: PLC0415 (heavy)
    from jsonschema.validators import validator_for  # noqa: PLC0415 (heavy)

    checker = FormatChecker(formats=())
    for name, check in format_checks().items():
        checker.checks(name)(check)
    cls = validator_for(schema, default=Draft202012Validator)  # Roku's search feed schema is draft-07
    return cls(schema, format_checker=checker)


def format_checks() -> dict:
    """The formats the feed schema uses, checked by the same functions jsonschema's
    format-nongpl extra uses, so both engines accept exactly the same values."""
    from rfc3339_validator import validate_rfc3339  # noqa: PLC0415 (heavy)
    from rfc3986_validator import validate_rfc3986  # noqa: PLC0415 (heavy)

    def is_date(value) -> bool:
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            return not isinstance(value, str)
        try:
            return bool(date.fromisoformat(value))
        except ValueError:
            return False

    return {
        "date": is_date,
        "date-time": lambda v: not isinstance(v, str) or bool(validate_rfc3339(v.upper())),
        "uri": lambda v: not isinstance(v, str) or bool(validate_rfc3986(v, rule="URI")),
    }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


@cache
def _fast_validator():
    """The same schema compiled to Python by fastjsonschema (about 15x faster), with
    jsonschema's own format checks, so both engines accept exactly the same feeds. A valid
    feed is checked by this alone; jsonschema then lists every error of an invalid one."""
    import fastjsonschema  # noqa: PLC0415 (heavy)

    return fastjsonschema.compile(copy.deepcopy(feed_schema()), formats=format_checks())  # it annotates what it is given


def _schema_is_valid(feed) -> bool:
    return _passes(_fast_validator(), feed)


def _passes(fast, instance) -> bool:
    import fastjsonschema  # noqa: PLC0415 (heavy)
    try:
        fast(instance)
        return True
    except fastjsonschema.JsonSchemaException:
        return False


@cache
def _allowed_keys() -> dict[str, frozenset]:
    """Known keys of every object type, read from the schema."""
    defs = feed_schema()["$defs"]
    out = {}
    for name, node in defs.items():
        props = set(node.get("properties", {}))
        refs = [node.get("$ref", "")] + [sub.get("$ref", "") for sub in node.get("allOf", [])]
        for ref in refs:
            if ref.startswith("#/$defs/"):
                props |= set(defs[ref[len("#/$defs/"):]].get("properties", {}))
        if props:
            out[name] = frozenset(props)
    out["root"] = frozenset(feed_schema()["properties"])
    return out


_FORMAT_HINTS = {
    "date": "must be a date written YYYY-MM-DD (not a timestamp)",
    "date-time": "must be a date and time with an offset, e.g. 2016-09-28T14:05:00+00:00",
    "uri": "must be an absolute http(s) URL",
}


def _describe_type(value) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), type(value).__name__)


def _schema_findings(err, feed, prefix: tuple = ()) -> list[Finding]:
    """The findings one jsonschema error stands for: one, except that a "required" error is
    one finding per missing field (jsonschema raises the same "required" error once per
    missing field without saying which: the caller drops the repeats)."""
    parts = list(prefix) + list(err.absolute_path)
    kw = err.validator
    value = err.instance
    if kw == "required":
        missing = [k for k in err.validator_value if not (isinstance(value, dict) and k in value)]
        return [Finding(RULES["DP101"][0], "DP101", json_path(parts + [name]), f"required field {name!r} is missing",
                        _item_id_at(feed, parts)) for name in missing]
    code, message = "DP109", err.message
    if kw == "type":
        want = err.validator_value
        want_text = {"object": "an object", "array": "a list", "string": "a string",
                     "integer": "a whole number", "number": "a number"}.get(want, str(want))
        code, message = "DP102", f"must be {want_text}, not {_describe_type(value)}"
        if parts and parts[-1] == "rating" and want == "object":
            message += ' (write {"rating": "TVPG", "ratingSource": "USA_PR"})'
    elif kw == "enum":
        allowed = err.validator_value
        shown = ", ".join(map(str, allowed[:12])) + (", ..." if len(allowed) > 12 else "")
        code, message = "DP104", f"{value!r} is not allowed; use one of: {shown}"
        same = [a for a in allowed if isinstance(value, str) and isinstance(a, str) and a.casefold() == value.casefold()]
        if same:
            message = f"{value!r} is not allowed; write {same[0]!r} (values are case sensitive)"
    elif kw in ("format", "pattern"):
        fmt = err.validator_value if kw == "format" else None
        hint = _FORMAT_HINTS.get(fmt) if fmt else None
        if hint is None:
            last = parts[-1] if parts else ""
            if last in ("language",):
                hint = "must be a language code like en or en-US"
            elif isinstance(last, int) and len(parts) > 1 and parts[-2] == "adBreaks":
                hint = "must be a time hh:mm:ss"
            elif last in ("releaseDate", "birthDate"):
                hint = _FORMAT_HINTS["date"]
            elif last in ("dateAdded", "lastUpdated", "validityPeriodStart", "validityPeriodEnd"):
                hint = _FORMAT_HINTS["date-time"]
            else:
                hint = _FORMAT_HINTS["uri"]
        code, message = "DP103", f"{value!r} {hint}"
    elif kw in ("maxLength", "minLength"):
        if kw == "minLength":
            code, message = "DP105", "is empty"
        else:
            code, message = "DP105", f"is {len(value)} characters; the limit is {err.validator_value}"
    elif kw == "minItems":
        code, message = "DP107", "is an empty list; remove it or add at least one entry"
    elif kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        code, message = "DP108", f"{value!r} is out of range ({kw} {err.validator_value})"
    elif kw == "oneOf" and isinstance(value, dict):
        code, message = "DP109", "a series needs either seasons or episodes (exactly one of them)"
    sev = RULES[code][0]
    return [Finding(sev, code, json_path(parts), message, _item_id_at(feed, parts))]


@cache
def _part_validator(name: str):
    """The full validator for one $defs entry, or for the root without looking inside its
    item arrays ("root"): an invalid feed is searched part by part, and only the parts that
    fail go through this slower validator that lists every error."""
    schema = feed_schema()
    if name == "root":
        part = copy.deepcopy(schema)
        for key in ITEM_ARRAYS:
            part["properties"][key] = {"type": "array", "minItems": 1}
    else:
        # Same $id as the whole schema, so every "#/$defs/..." resolves inside this document.
        part = {"$schema": schema["$schema"], "$id": schema["$id"], "$ref": f"#/$defs/{name}",
                "$defs": copy.deepcopy(schema["$defs"])}
    return _full_validator(part)


# A valid root around one item lets the compiled whole-feed validator check items one by one.
_WRAP = {"providerName": "x", "lastUpdated": "2000-01-01T00:00:00Z", "language": "en"}


def _failing_parts(feed) -> list[tuple[tuple, object, object]]:
    """(path prefix, instance, full validator) for the root and for each item that fails."""
    fast = _fast_validator()
    out = [((), feed, _part_validator("root"))]
    for key in ITEM_ARRAYS:
        if not isinstance(feed.get(key), list):
            continue
        for i, item in enumerate(feed[key]):
            if not _passes(fast, _WRAP | {key: [item]}):
                out.append(((key, i), item, _part_validator(KIND_OF_ARRAY[key])))
    return out


def schema_findings(feed) -> list[Finding]:
    if _schema_is_valid(feed):
        return []
    findings = []
    seen = set()
    errors = []
    for prefix, instance, full in _failing_parts(feed):
        errors += [(prefix, e) for e in full.iter_errors(instance)]
    errors.sort(key=lambda pe: (list(map(str, pe[0] + tuple(pe[1].absolute_path))), pe[1].validator))
    for prefix, err in errors:
        if err.validator in ("$ref", "allOf"):
            continue
        for f in _schema_findings(err, feed, prefix):
            # A bad date fails both its format and its pattern; each missing field raises
            # its object's "required" error once more: say each once.
            if f.code in ("DP101", "DP103"):
                if (f.code, f.path) in seen:
                    continue
                seen.add((f.code, f.path))
            findings.append(f)
    return findings


def unknown_key_findings(feed, profile: str) -> list[Finding]:
    allowed = _allowed_keys()
    sev = "error" if profile == "strict" else "warning"
    out = []

    def check(kind, parts, obj):
        if not isinstance(obj, dict) or kind not in allowed:
            return
        for key in obj:
            if key not in allowed[kind]:
                p = list(parts) + [key]
                out.append(Finding(sev, "DP106", json_path(p), f"unknown key {key!r}; check its spelling (keys are case sensitive) or remove it", _item_id_at(feed, p)))

    check("root", (), feed)
    for kind, parts, item in walk_items(feed):
        check(kind, parts, item)
        content = item.get("content")
        check("content", parts + ("content",), content)
        if isinstance(content, dict):
            for sub, subkind in (("videos", "video"), ("captions", "caption"), ("trickPlayFiles", "trickPlayFile")):
                for j, x in enumerate(content.get(sub) or [] if isinstance(content.get(sub), list) else []):
                    check(subkind, parts + ("content", sub, j), x)
        check("rating", parts + ("rating",), item.get("rating"))
        for sub, subkind in (("credits", "credit"), ("externalIds", "externalId")):
            if isinstance(item.get(sub), list):
                for j, x in enumerate(item[sub]):
                    check(subkind, parts + (sub, j), x)
        if kind == "series" and isinstance(item.get("seasons"), list):
            for s, season in enumerate(item["seasons"]):
                check("season", parts + ("seasons", s), season)
    for key, kind in (("categories", "category"), ("playlists", "playlist")):
        if isinstance(feed.get(key), list):
            for i, x in enumerate(feed[key]):
                check(kind, (key, i), x)
    return out


# ---------------------------------------------------------------- rules beyond the schema

_EMOJI = re.compile("[\U0001F000-\U0001FAFF\U00002600-\U000027BF\U0001F1E6-\U0001F1FF\u2B50\u2B55\u231A\u231B\u23E9-\u23FA\uFE0F\u200D]")


def _f(code, parts, message, feed, severity=None) -> Finding:
    return Finding(severity or RULES[code][0], code, json_path(parts), message, _item_id_at(feed, list(parts)))


def rule_findings(feed: dict, profile: str = DEFAULT_PROFILE) -> list[Finding]:
    """The rules beyond the schema, in the feed's order: items, then playlists, then
    categories (which refer to both)."""
    out: list[Finding] = []
    if not any(isinstance(feed.get(k), list) and feed.get(k) for k in ITEM_ARRAYS):
        out.append(_f("DP213", (), "the feed has no items: add movies, series, shortFormVideos, tvSpecials or liveFeeds", feed))
    kinds_by_id: dict[str, str] = {}
    all_tags: set[str] = set()
    out += _item_rules(feed, profile, kinds_by_id, all_tags)
    playlist_names: set[str] = set()
    out += _playlist_rules(feed, kinds_by_id, playlist_names)
    out += _category_rules(feed, playlist_names, all_tags)
    return out


def _item_rules(feed: dict, profile: str, kinds_by_id: dict[str, str], all_tags: set[str]) -> list[Finding]:
    """Every item's own rules; fills kinds_by_id and all_tags for the rules that refer to items."""
    out: list[Finding] = []
    ids: dict[str, tuple] = {}
    for kind, parts, item in walk_items(feed):
        iid = item.get("id")
        if isinstance(iid, str):
            if iid in ids:
                out.append(_f("DP201", parts + ("id",), f"id {iid!r} is also used at {json_path(ids[iid])}; ids must be unique across the feed", feed))
            else:
                ids[iid] = parts + ("id",)
                kinds_by_id[iid] = kind
            if not ID_CHARS.match(iid):
                out.append(_f("DP216", parts + ("id",), f"id {iid!r} has characters outside A-Z a-z 0-9 _ -; some players and deep links break on them", feed))
        tags = item.get("tags")
        if isinstance(tags, list):
            all_tags.update(t.lower() for t in tags if isinstance(t, str))
        out += _fields_rules(feed, kind, parts, item, profile)
    return out


def _fields_rules(feed: dict, kind: str, parts: tuple, item: dict, profile: str) -> list[Finding]:
    out: list[Finding] = []
    short, long = item.get("shortDescription"), item.get("longDescription")
    if isinstance(long, str) and long == short:
        out.append(_f("DP208", parts + ("longDescription",), "is the same as shortDescription; remove it or write a longer text",
                      feed, _consumer_severity(profile)))
    content = item.get("content")
    if isinstance(content, dict):
        out += _content_rules(feed, kind, parts, content, profile)
    rating = item.get("rating")
    if isinstance(rating, dict):
        out += _rating_rules(feed, parts, rating, profile)
    credits = item.get("credits")
    if isinstance(credits, list):
        for j, credit in enumerate(credits):
            if isinstance(credit, dict) and "birthDate" not in credit:
                out.append(_f("DP218", parts + ("credits", j, "birthDate"), "is missing; the DP spec's credit table "
                              "lists name, role and birthDate (YYYY-MM-DD) as required", feed))
    if kind == "series":
        out += _numbering_rules(feed, parts, item)
    return out


def _playlist_rules(feed: dict, kinds_by_id: dict[str, str], playlist_names: set[str]) -> list[Finding]:
    """References from playlists to items; fills playlist_names for the categories."""
    out: list[Finding] = []
    playlists = feed.get("playlists") if isinstance(feed.get("playlists"), list) else []
    for i, pl in enumerate(playlists):
        if not isinstance(pl, dict):
            continue
        if isinstance(pl.get("name"), str):
            playlist_names.add(pl["name"])
        for j, ref in enumerate(pl.get("itemIds") or [] if isinstance(pl.get("itemIds"), list) else []):
            if not isinstance(ref, str):
                continue
            if ref not in kinds_by_id:
                out.append(_f("DP202", ("playlists", i, "itemIds", j), f"{ref!r} matches no item id in the feed", feed))
            elif kinds_by_id[ref] == "episode":
                out.append(_f("DP203", ("playlists", i, "itemIds", j), f"{ref!r} is an episode; playlists may hold movies, series, shortFormVideos and tvSpecials only", feed))
    return out


def _category_rules(feed: dict, playlist_names: set[str], all_tags: set[str]) -> list[Finding]:
    out: list[Finding] = []
    categories = feed.get("categories") if isinstance(feed.get("categories"), list) else []
    for i, cat in enumerate(categories):
        if not isinstance(cat, dict):
            continue
        has_pl, has_q = "playlistName" in cat, "query" in cat
        if has_pl == has_q:
            out.append(_f("DP204", ("categories", i), "needs exactly one of playlistName or query", feed))
        if cat.get("order") == "manual" and not has_pl:
            out.append(_f("DP205", ("categories", i, "order"), "'manual' order needs a playlistName; use most_recent or chronological for a query", feed))
        if has_pl and isinstance(cat["playlistName"], str) and cat["playlistName"] not in playlist_names:
            out.append(_f("DP215", ("categories", i, "playlistName"), f"{cat['playlistName']!r} matches no playlist name", feed))
        if has_q and isinstance(cat["query"], str):
            tags, ops = query_tags(cat["query"])
            if len(ops) > 1:
                out.append(_f("DP206", ("categories", i, "query"), f"{cat['query']!r} mixes AND and OR; Roku supports only one operator per query", feed))
            for t in tags:
                if t not in all_tags:
                    out.append(_f("DP207", ("categories", i, "query"), f"tag {t!r} is on no item, so this row may be empty", feed))
    return out


def _rating_rules(feed, parts, rating: dict, profile: str) -> list[Finding]:
    """A rating value belongs to its source (Roku's per-source lists); the schema has already
    checked each against DP's lists, so only a pairing of two known values is judged here."""
    value, source = rating.get("rating"), rating.get("ratingSource")
    takes = RATINGS_BY_SOURCE.get(source) if isinstance(source, str) else None
    if takes is None or not isinstance(value, str) or value in takes or value not in RATINGS:
        return []
    fits = [s for s, values in RATINGS_BY_SOURCE.items() if value in values]
    hint = f"; {value!r} belongs to {', '.join(fits)}" if fits else ""
    if "TV" + value in takes:
        hint += f"; the TV rating is {'TV' + value!r}"
    return [_f("DP217", parts + ("rating", "rating"), f"{value!r} is not a rating of {source}: {source} takes "
               f"{', '.join(takes)}{hint}", feed, "error" if profile == "strict" else None)]


def _consumer_severity(profile: str) -> str | None:
    """What the spec requires and Roku's template never reads: a warning under
    roku-template, the rule's own severity (an error) under spec and strict."""
    return "warning" if profile == "roku-template" else None


def _content_rules(feed, kind, parts, content, profile: str = DEFAULT_PROFILE) -> list[Finding]:
    out = []
    cparts = parts + ("content",)
    videos = content.get("videos")
    if isinstance(videos, list):
        for j, v in enumerate(videos):
            if isinstance(v, dict) and v.get("videoType") in BITRATE_REQUIRED and v.get("bitrate") is None:
                out.append(_f("DP210", cparts + ("videos", j, "bitrate"), f"{v['videoType']} files need a bitrate in kbps "
                              "(the DP spec); Roku's template plays them without", feed, _consumer_severity(profile)))
    duration = content.get("duration")
    if (kind == "shortFormVideo" and isinstance(duration, (int, float)) and not isinstance(duration, bool)
            and duration > SHORT_FORM_USUAL_MAX_SECONDS):
        out.append(_f("DP211", cparts + ("duration",), f"{duration} s is over 20 minutes (Roku's spec: short-form videos are "
                      "usually less than 20 minutes long); make it a tvSpecial or movie", feed))
    start, end = content.get("validityPeriodStart"), content.get("validityPeriodEnd")
    s, e = _when(start), _when(end)
    if s is not None and e is not None and e <= s:  # (bad formats are the schema's DP103)
        out.append(_f("DP214", cparts + ("validityPeriodEnd",), "must be after validityPeriodStart", feed))
    return out


def _when(value):
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _numbering_rules(feed, parts, series) -> list[Finding]:
    out = []

    def dupes(entries, key, prefix):
        seen = {}
        for j, x in enumerate(entries):
            if isinstance(x, dict) and isinstance(x.get(key), int) and not isinstance(x.get(key), bool):
                if x[key] in seen:
                    out.append(_f("DP209", prefix + (j, key), f"{key} {x[key]} is used twice here (also at index {seen[x[key]]})", feed))
                else:
                    seen[x[key]] = j

    seasons = series.get("seasons")
    if isinstance(seasons, list):
        dupes(seasons, "seasonNumber", parts + ("seasons",))
        for s, season in enumerate(seasons):
            if isinstance(season, dict) and isinstance(season.get("episodes"), list):
                dupes(season["episodes"], "episodeNumber", parts + ("seasons", s, "episodes"))
    if isinstance(series.get("episodes"), list):
        dupes(series["episodes"], "episodeNumber", parts + ("episodes",))
    return out


# ---------------------------------------------------------------- profiles

def template_findings(feed: dict, reported: set[str]) -> list[Finding]:
    """What Roku's conversion template and the course loader read without checking."""
    out = []
    for kind, parts, item in walk_items(feed):
        if kind != "episode":
            g = item.get("genres")
            if not (isinstance(g, list) and g):
                out.append(_f("DP301", parts + ("genres",), "is missing or empty; Roku's template reads genres[0], add e.g. [\"news\"]", feed))
        if kind != "series":
            content = item.get("content")
            videos = content.get("videos") if isinstance(content, dict) else None
            first = videos[0] if isinstance(videos, list) and videos else None
            if not (isinstance(first, dict) and isinstance(first.get("url"), str) and first["url"]):
                out.append(_f("DP302", parts + ("content", "videos", 0, "url"), "is missing; Roku's template plays content.videos[0].url", feed))
        if not (isinstance(item.get("thumbnail"), str) and item["thumbnail"]):
            out.append(_f("DP303", parts + ("thumbnail",), "is missing; every tile needs a 16:9 thumbnail URL", feed))
    # The schema already named these paths (or the object they are in): say each problem once.
    return [f for f in out if not any(p in reported for p in _path_and_parents(f.path))]


def _path_and_parents(path: str):
    """"a[1].b" -> "a[1].b", "a", "a[1]": the path and every object or array it is in."""
    yield path
    for i, c in enumerate(path):
        if c in ".[" and i:
            yield path[:i]


def strict_findings(feed: dict) -> list[Finding]:
    """The Roku Channel (TRC) rules."""
    out = []
    for _, parts, item in walk_items(feed):
        iid = item.get("id")
        if isinstance(iid, str) and not ID_ALNUM.match(iid):
            out.append(_f("DP401", parts + ("id",), f"{iid!r}: The Roku Channel wants ids of letters and digits only, at most 50", feed))
        short = item.get("shortDescription")
        if isinstance(short, str) and len(short) > STRICT_SHORT_DESCRIPTION_MAX:
            out.append(_f("DP402", parts + ("shortDescription",), f"is {len(short)} characters; The Roku Channel allows "
                          f"{STRICT_SHORT_DESCRIPTION_MAX}", feed))
        for key in ("title", "shortDescription", "longDescription"):
            v = item.get(key)
            if isinstance(v, str) and _EMOJI.search(v):
                out.append(_f("DP403", parts + (key,), "contains emoji; The Roku Channel refuses them in titles and descriptions", feed))
    return out


# ---------------------------------------------------------------- artwork on disk

def common_base_url(urls: list[str]) -> str:
    if not urls:
        return ""
    prefix = urls[0]
    for u in urls[1:]:
        while not u.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("/") + 1]


def assets_base_url(urls: list[str], root: Path) -> str:
    """The common prefix of the thumbnail URLs, moved up while its last folder is a folder
    of `root`: with --assets dist, .../tv/artwork/x.jpg maps to dist/artwork/x.jpg."""
    base = common_base_url(urls)
    while True:
        head, _, last = base.rstrip("/").rpartition("/")
        if not last or "://" not in head or not (root / last).is_dir() or head.endswith(":/"):
            return base
        base = head + "/"


def asset_findings(feed: dict, assets: Path, base_url: str | None, profile: str) -> list[Finding]:
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 (heavy)

    thumbs = [(parts, item["thumbnail"]) for _, parts, item in walk_items(feed)
              if isinstance(item.get("thumbnail"), str)]
    root = assets.resolve()
    base = base_url or assets_base_url([u for _, u in thumbs], root)
    out = []
    checked: dict[str, list[tuple[str, str]]] = {}
    for parts, url in thumbs:
        p = parts + ("thumbnail",)
        if not url.startswith(base):
            out.append(_f("DP506", p, f"{url} is not under the base URL {base}; pass --base-url", feed))
            continue
        rel = unquote(url[len(base):].split("?", 1)[0].split("#", 1)[0])
        if "\0" in rel:  # %00: no file can have that name
            out.append(_f("DP501", p, f"{url} names no file (it holds a NUL byte)", feed))
            continue
        path = (root / rel).resolve()
        if not path.is_relative_to(root):
            out.append(_f("DP506", p, f"{url} maps outside {assets}", feed))
            continue
        if rel not in checked:
            problems = []
            try:
                with Image.open(path) as im:
                    fmt, (w, h), mode = im.format, im.size, im.mode
                if fmt not in ("JPEG", "PNG"):
                    problems.append(("DP502", f"{rel} is {fmt}; use JPEG or PNG"))
                if w < MIN_ARTWORK[0] or h < MIN_ARTWORK[1]:
                    problems.append(("DP503", f"{rel} is {w}x{h}; the minimum is {MIN_ARTWORK[0]}x{MIN_ARTWORK[1]}"))
                if abs((w / h) / (16 / 9) - 1) > 0.01:
                    problems.append(("DP504", f"{rel} is {w}x{h}, not 16:9"))
                if fmt in ("JPEG", "PNG") and mode not in ("RGB", "RGBA", "P"):
                    problems.append(("DP505", f"{rel} is in {mode} colour; convert it to RGB"))
                if profile == "strict" and (fmt != "JPEG" or (w, h) != (1920, 1080)):
                    problems.append(("DP404", f"{rel} is a {w}x{h} {fmt}; The Roku Channel wants 1920x1080 JPEG"))
            except FileNotFoundError:
                problems.append(("DP501", f"{rel} not found under {assets}"))
            except (UnidentifiedImageError, OSError) as e:
                problems.append(("DP502", f"{rel} can't be read as an image ({e.__class__.__name__})"))
            checked[rel] = problems
        for code, msg in checked[rel]:
            out.append(_f(code, p, msg, feed))
    return out


# ---------------------------------------------------------------- entry points

def body_findings(body: bytes, profile: str, consumer: str = "roku-template") -> list[Finding]:
    """`consumer`: who reads the feed, Roku's DP template or the generated app ([app]), whose
    limit is what it loads within Roku's launch budget (a warning: the app still reads more)."""
    soft = "warning" if profile == "spec" else "error"
    out = []
    if body.startswith(b"\xef\xbb\xbf"):
        out.append(Finding(soft, "DP001", "$", "the body starts with a byte order mark; save as UTF-8 without BOM"))
    elif not body.startswith(b"{"):
        out.append(Finding(soft, "DP002", "$", "the body must start with '{' (no whitespace or BOM before it); Roku's template sniffs the first bytes"))
    if consumer == "app" and len(body) > APP_MAX_BODY:
        out.append(Finding("warning", "DP004", "$", f"the body is {len(body):,} bytes; the generated app loads "
                           f"{APP_MAX_BODY:,} within Roku's 20-second launch budget: drop old items or lower [feed] max_bytes"))
    elif consumer != "app" and len(body) >= TEMPLATE_MAX_BODY:
        out.append(Finding(soft, "DP004", "$", f"the body is {len(body):,} bytes; Roku's conversion template refuses {TEMPLATE_MAX_BODY:,} or more: drop old items"))
    return out


def parse_body(body: bytes, source: str = "feed") -> tuple[object, list[Finding]]:
    """Bytes -> the JSON value (a feed when it is an object), or FeedReadError saying where
    the JSON breaks."""
    extra = []
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        extra.append(Finding("error", "DP003", "$", f"byte {e.start} is not valid UTF-8; save the feed as UTF-8"))
        text = body.decode("utf-8", errors="replace")
    text = text.removeprefix("\ufeff")
    try:
        feed = json.loads(text)
    except json.JSONDecodeError as e:
        raise FeedReadError(f"{source}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise FeedReadError(f"{source}: not JSON a reader can handle: nested too deeply") from None
    except ValueError as e:  # a number of thousands of digits (Python refuses to convert it)
        raise FeedReadError(f"{source}: not JSON a reader can handle: {str(e)[:80]}") from None
    return feed, extra


def validate_feed(feed, body: bytes | None = None, profile: str = DEFAULT_PROFILE,
                  assets: Path | None = None, base_url: str | None = None, source: str = "feed",
                  consumer: str = "roku-template") -> Report:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; use one of {', '.join(PROFILES)}")
    report = Report(profile=profile, source=source)
    if body is not None:
        report.findings += body_findings(body, profile, consumer)
    if not isinstance(feed, dict):  # valid JSON, but no feed: nothing else can be checked
        report.findings.append(Finding("error", "DP102", "$", f"the feed must be a JSON object {{...}} with providerName, "
                                       f"lastUpdated, language and its item arrays, not {_describe_type(feed)}"))
        return report
    schema = _soften(schema_findings(feed), feed, profile)
    report.findings += schema
    report.findings += unknown_key_findings(feed, profile)
    report.findings += rule_findings(feed, profile)
    if profile in ("roku-template", "strict"):
        reported = {f.path for f in schema if f.code in ("DP101", "DP102", "DP107")}
        report.findings += template_findings(feed, reported)
    if profile == "strict":
        report.findings += strict_findings(feed)
    if assets is not None:
        report.findings += asset_findings(feed, assets, base_url, profile)
    return report


_VIDEO_BITRATE = re.compile(r"^(?P<video>.*\.videos\[\d+\])\.bitrate$")


def _soften(findings: list[Finding], feed, profile: str) -> list[Finding]:
    """Schema findings a consumer doesn't care about, by profile: under roku-template a null
    bitrate on an adaptive stream (HLS, DASH, SMOOTH) is a warning; the spec's type stays an
    error under spec and strict."""
    if profile != "roku-template":
        return findings
    out = []
    for f in findings:
        m = _VIDEO_BITRATE.match(f.path) if f.code == "DP102" else None
        if m and f.message.endswith("not null") and _video_type_at(feed, m["video"]) not in BITRATE_REQUIRED:
            f = Finding("warning", f.code, f.path, f.message + " (adaptive streams need no bitrate; Roku's template never reads it)",
                        f.item_id)
        out.append(f)
    return out


def _video_type_at(feed, path: str):
    node = feed
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path.removeprefix("$")):
        try:
            node = node[name] if name else node[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    return node.get("videoType") if isinstance(node, dict) else None


def validate_bytes(body: bytes, profile: str = DEFAULT_PROFILE, assets: Path | None = None,
                   base_url: str | None = None, source: str = "feed") -> Report:
    feed, extra = parse_body(body, source)
    report = validate_feed(feed, body, profile, assets, base_url, source)
    report.findings[:0] = extra
    return report
