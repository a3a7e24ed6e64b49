"""channel.toml -> a Channel: the settings every later stage reads.

The parsed TOML is checked against schemas/channel.schema.json first (types, ranges, enums,
unknown keys with a "did you mean"), and the schema's defaults fill what is left out, so the
schema is the one place where keys, limits and defaults live. What a schema can't say (16:9
sizes, files that must exist, templates that must parse) is checked here after it."""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

from packager.dp import APP_MAX_BODY, GENRES, MIN_ARTWORK, TEMPLATE_MAX_BODY, genre_of, query_operator_problem
from packager.errors import ConfigError, excerpt
from packager.ids import normalize_id
from packager.resources import schema_path
from packager.safepath import resolve_inside

CONFIG_NAME = "channel.toml"
SCHEMA_NAME = "channel.schema.json"
MIN_WIDTH, MIN_HEIGHT = MIN_ARTWORK


@cache
def channel_schema() -> dict:
    return json.loads(schema_path(SCHEMA_NAME).read_text(encoding="utf-8"))


def _table(*path: str) -> dict:
    node = channel_schema()
    for name in path:
        node = node["properties"][name]
        if node.get("type") == "array":
            node = node["items"]
    return node


def default(*path: str):
    """The schema's default for a key, e.g. default("artwork", "quality") -> 85."""
    *tables, key = path
    value = _table(*tables)["properties"][key].get("default")
    return tuple(value) if isinstance(value, list) else value


# ---------------------------------------------------------------- the settings

@dataclass(frozen=True)
class Category:
    name: str
    order: str
    query: str | None = None
    playlist: str | None = None


@dataclass(frozen=True)
class SeriesInfo:
    """A [[series]] table (or an imported feed's series): metadata for the series item its
    episodes are grouped into."""
    id: str
    title: str | None = None
    description: str | None = None
    photo: Path | None = None
    genres: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Playlist:
    name: str
    items: tuple[str, ...] = ()
    featured: bool = False  # collect articles with featured: true, newest first
    limit: int | None = None


@dataclass(frozen=True)
class Rows:
    from_sections: bool = default("rows", "from_sections")
    emit: str = default("rows", "emit")  # categories | none


@dataclass(frozen=True)
class FeedLimits:
    # Roku's template refuses 500 KiB; 4 KiB of margin for proxies that add a few bytes.
    max_bytes: int = default("feed", "max_bytes")
    max_items: int | None = None
    max_age_days: int | None = None
    # Who reads the feed: Roku's DP template, or the generated app (channel.toml has [app]),
    # whose limit is what it loads within Roku's launch budget (dp.APP_MAX_BODY).
    consumer: str = "roku-template"
    max_bytes_set: bool = False  # [feed] max_bytes written in channel.toml

    @property
    def consumer_limit(self) -> int:
        return APP_MAX_BODY if self.consumer == "app" else TEMPLATE_MAX_BODY

    def describe(self) -> str:
        """The limit as build reports it: how many bytes, for which consumer, from where."""
        who = "the generated app's ([app])" if self.consumer == "app" else "Roku's DP template's"
        how = "set by [feed] max_bytes" if self.max_bytes_set else "the default"
        return f"feed limit {self.max_bytes:,} bytes ({how}; {who} limit is {self.consumer_limit:,})"


@dataclass(frozen=True)
class Outputs:
    mrss: bool = default("outputs", "mrss")
    search_feed: bool = default("outputs", "search_feed")
    countries: tuple[str, ...] = default("search_feed", "countries")
    advisory_rating: tuple[tuple[str, str], ...] = (("source", "USA_PR"), ("value", "TV-PG"))


@dataclass(frozen=True)
class Source:
    """A [[sources]] table: where articles come from."""
    type: str  # a reader's name: markdown | json | rss | dp-feed | wordpress
    path: Path | None = None
    url: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # our field name -> the export's (dotted) name
    allow_remote: bool = False
    # wordpress only: filters (slugs, names or ids), posts published after, at most `limit` posts
    categories: tuple[str | int, ...] = ()
    tags: tuple[str | int, ...] = ()
    after: str | None = None
    limit: int | None = None
    order: str = "source"  # dp-feed: items written in the source's order, or "newest" first

    @property
    def name(self) -> str:
        return self.url or str(self.path)


@dataclass(frozen=True)
class ClipSettings:
    render: str = default("clips", "render")  # off | missing (articles without video) | always
    width: int = default("clips", "width")
    height: int = default("clips", "height")
    fps: int = default("clips", "fps")
    seconds_per_photo: tuple[float, float] = (6.0, 12.0)  # from reading time, clamped (schema default)
    intro_seconds: float = float(default("clips", "intro_seconds"))
    music: Path | None = None
    bitrate_kbps: int = default("clips", "bitrate_kbps")
    font: Path | None = None
    trickplay: bool = default("clips", "trickplay")
    trickplay_interval: int = default("clips", "trickplay_interval")  # seconds between BIF frames
    # x264 preset. superfast: 5.0x real time at 720p on 2 cores; veryfast: 3.6x, 0.3 dB better.
    preset: str = default("clips", "preset")
    format: str = default("clips", "format")  # mp4 | hls (packaged like a video file)


# Default video bitrates (kbps) by rendition height; the lowest near Roku's ~400 kbps start.
LADDER_KBPS = {2160: 16000, 1440: 9000, 1080: 5000, 720: 3000, 540: 2000, 480: 1200, 360: 400, 240: 300, 144: 200}


@dataclass(frozen=True)
class Rung:
    """One rendition of the HLS ladder."""
    height: int
    bitrate_kbps: int


@dataclass(frozen=True)
class VideoSettings:
    """[video]: how local video files are packaged."""
    ladder: tuple[Rung, ...] = tuple(Rung(h, LADDER_KBPS[h]) for h in (1080, 720, 480, 360))
    segment_seconds: int = default("video", "segment_seconds")
    preset: str = default("video", "preset")
    audio_kbps: int = default("video", "audio_kbps")
    loudness: float = float(default("video", "loudness"))
    mp4: bool = default("video", "mp4")
    trickplay: bool = default("video", "trickplay")
    trickplay_interval: int = default("video", "trickplay_interval")
    max_bytes: int = default("video", "max_bytes")


@dataclass(frozen=True)
class RenderSettings:
    """Where artwork and clips are rendered; --executor/--scheduler override these."""
    executor: str = default("render", "executor")  # local | dask
    scheduler: str | None = default("render", "scheduler")  # tcp://host:8786


def parse_color(value, key: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip()) if isinstance(value, str) else None
    if not m:
        raise _fail(key, f"must be a colour like \"#1a1a1a\", got {excerpt(value)}")
    h = m.group(1)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def _color_default(*path: str) -> tuple[int, int, int]:
    return parse_color(default(*path), "/".join(path))


@dataclass(frozen=True)
class TitleCardSettings:
    font: Path | None = None  # a TrueType/OpenType file; None: Pillow's bundled font
    background: tuple[int, int, int] = _color_default("artwork", "title_card", "background")
    color: tuple[int, int, int] = _color_default("artwork", "title_card", "color")
    logo: Path | None = None


@dataclass(frozen=True)
class ArtworkSettings:
    width: int = default("artwork", "width")
    height: int = default("artwork", "height")
    quality: int = default("artwork", "quality")
    background: tuple[int, int, int] = _color_default("artwork", "background")
    max_pixels: int = default("artwork", "max_pixels")
    # Sizes to render; the first is the feed's thumbnail. Default: (width, height).
    renditions: tuple[tuple[int, int], ...] = ((default("artwork", "width"), default("artwork", "height")),)
    fit: str = default("artwork", "fit")  # auto | cover | contain
    fit_tolerance: float = default("artwork", "fit_tolerance")  # auto: cover within this of 16:9
    crop: str = default("artwork", "crop")  # smart | centre: where a cover crop goes
    contain_fill: str | tuple[int, int, int] = default("artwork", "contain_fill")
    small: str = default("artwork", "small")  # refuse | pad
    format: str = default("artwork", "format")  # jpeg | png
    tv_safe: bool = default("artwork", "tv_safe")
    fallback: str = default("artwork", "fallback")  # title-card: articles without a photo get a card | none
    title_card: TitleCardSettings = field(default_factory=TitleCardSettings)


@dataclass(frozen=True)
class PublishSettings:
    target: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    path_style: bool = default("publish", "path_style")
    acl: str | None = None
    checksums: str | None = None
    jobs: int = default("publish", "jobs")
    retries: int = default("publish", "retries")
    keep_history: int = default("publish", "keep_history")
    prune_grace: int = default("publish", "prune_grace")  # seconds: prune never deletes objects uploaded more recently


@dataclass(frozen=True)
class Channel:
    root: Path
    provider_name: str
    language: str
    base_url: str
    articles_dir: Path
    genres: tuple[str, ...]
    artwork: ArtworkSettings
    categories: tuple[Category, ...] = ()
    publish: PublishSettings = field(default_factory=PublishSettings)
    warnings: tuple[str, ...] = ()
    series: tuple[SeriesInfo, ...] = ()
    playlists: tuple[Playlist, ...] = ()
    rows: Rows = field(default_factory=Rows)
    feed: FeedLimits = field(default_factory=FeedLimits)
    templates: tuple[tuple[str, str], ...] = ()  # (name, Jinja2 source) overriding templates/text/
    clips: ClipSettings = field(default_factory=ClipSettings)
    video: VideoSettings = field(default_factory=VideoSettings)
    render: RenderSettings = field(default_factory=RenderSettings)
    outputs: Outputs = field(default_factory=Outputs)
    sources: tuple[Source, ...] = ()
    allow_remote: bool = False
    app: AppSettings | None = None  # always set by load_channel


# ---------------------------------------------------------------- schema check

def _fail(key: str, message: str) -> ConfigError:
    return ConfigError(f"{CONFIG_NAME}: {key}: {message}")


_TYPE_WORDS = {"object": "a table", "array": "a list", "string": "text in quotes", "integer": "a whole number",
               "number": "a number", "boolean": "true or false"}


def _is_type(value, type_name: str) -> bool:
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, {"object": dict, "array": list, "string": str, "boolean": bool}[type_name])


def _where(table: str, key) -> str:
    return f"{table} {key}" if table else f"[{key}]"


def schema_problems(value, schema: dict, table: str = "", key: str | None = None) -> list[str]:
    """Every way `value` breaks the channel schema, each as 'where: what to do'. A small
    walker over the keywords the schema uses, so each message can name the TOML table and
    key and suggest the nearest known key; tests check it against jsonschema."""
    label = _where(table, key) if key is not None else (table or "channel.toml")
    if "oneOf" in schema:
        if any(not schema_problems(value, s, table, key) for s in schema["oneOf"]):
            return []
        return [f"{label}: {excerpt(value)} must be {schema.get('description', 'one of the documented forms')}"]
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is_type(value, k) for k in kinds):
            want = " or ".join(_TYPE_WORDS[k] for k in kinds)
            return [f"{label}: must be {want}, not {excerpt(value)}"]
    out = _value_problems(value, schema, label)
    if isinstance(value, list):
        out += _list_problems(value, schema, table, key, label)
    if isinstance(value, dict):
        out += _table_problems(value, schema, table, key, label)
    return out


def _value_problems(value, schema: dict, label: str) -> list[str]:
    """enum, and a text's or a number's own limits."""
    out = []
    if "enum" in schema and value not in schema["enum"]:
        near = difflib.get_close_matches(str(value) if isinstance(value, str) else "", schema["enum"], n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        out.append(f"{label}: {excerpt(value)} must be one of: {', '.join(map(str, schema['enum']))}{hint}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            # x-must: what a value of this key must be, in words (an annotation; validators ignore it).
            must = schema.get("x-must") or f"valid: {schema.get('description', 'see the README')}"
            out.append(f"{label}: {excerpt(value)} must be {must}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{label}: must not be empty")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(f"{label}: is {len(value)} characters; at most {schema['maxLength']}")
    if _is_type(value, "number"):
        lo, hi, hi_x = schema.get("minimum"), schema.get("maximum"), schema.get("exclusiveMaximum")
        if (lo is not None and value < lo) or (hi is not None and value > hi) or (hi_x is not None and value >= hi_x):
            top = f"up to {hi}" if hi is not None else f"below {hi_x}"
            number = "a whole number" if schema.get("type") == "integer" else "a number"
            out.append(f"{label}: must be {number} from {lo} {top}, got {excerpt(value)}")
    return out


def _list_problems(value: list, schema: dict, table: str, key: str | None, label: str) -> list[str]:
    """A list's length, then each entry ([[sources]] entries are tables, named by number)."""
    out = []
    if len(value) < schema.get("minItems", 0):
        out.append(f"{label}: must have at least {schema['minItems']} entr{'y' if schema['minItems'] == 1 else 'ies'}")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        out.append(f"{label}: must have at most {schema['maxItems']} entries")
    items = schema.get("items")
    if items is not None:
        is_table = items.get("type") == "object"
        for i, x in enumerate(value, 1):
            where = f"[[{key}]] #{i}" if is_table and not table else f"{label} #{i}"
            out += schema_problems(x, items, where, None) if is_table else schema_problems(x, items, label, f"#{i}")
    return out


def _table_problems(value: dict, schema: dict, table: str, key: str | None, label: str) -> list[str]:
    """A table's required keys, then each key: known ones checked, unknown ones named with
    the nearest known key."""
    out = []
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            # What to write, from the schema: the line is all a newcomer reads.
            what = props.get(name, {}).get("x-must") or props.get(name, {}).get("description", "").rstrip(".")
            out.append(f"{_where(label if table or key else '', name)}: is required" + (f": {what}" if what else ""))
    extra = schema.get("additionalProperties", True)
    for name, sub in value.items():
        child_table = label if (table or key) else ""
        if name in props:
            sub_schema = props[name]
            if sub_schema.get("type") == "object" and "properties" in sub_schema:
                out += schema_problems(sub, sub_schema, f"[{_dotted(child_table, name)}]", None)
            else:
                out += schema_problems(sub, sub_schema, child_table, name)
        elif extra is False:
            near = difflib.get_close_matches(name, list(props), n=1, cutoff=0.6)
            hint = f"; did you mean `{near[0]}`?" if near else f"; known keys: {', '.join(props)}"
            out.append(f"{_where(child_table, name)}: unknown key{hint}")
        elif isinstance(extra, dict):
            out += schema_problems(sub, extra, child_table, name)
    return out


def _dotted(table: str, name: str) -> str:
    inner = table.strip("[]").split(" ")[0] if table else ""
    return f"{inner}.{name}" if inner else name


def _with_defaults(data: dict, schema: dict) -> dict:
    """A copy of a table with the schema's defaults filled in (tables of tables too)."""
    out = dict(data)
    for name, sub in schema.get("properties", {}).items():
        if name not in out and "default" in sub:
            out[name] = sub["default"]
        elif sub.get("type") == "object" and "properties" in sub:
            out[name] = _with_defaults(out.get(name, {}), sub)
        elif sub.get("type") == "array" and sub.get("items", {}).get("type") == "object" and name in out:
            out[name] = [_with_defaults(x, sub["items"]) for x in out[name]]
    return out


# ---------------------------------------------------------------- checks beyond the schema

def check_genres(values, key: str) -> tuple[str, ...]:
    out = []
    for v in values:
        g = genre_of(v)
        if g is None:
            raise _fail(key, f"{excerpt(v)} is not a Roku genre; use one of: {', '.join(GENRES)}")
        if g not in out:
            out.append(g)
    return tuple(out)


def _size(value: str, key: str) -> tuple[int, int]:
    w, h = (int(v) for v in re.split(r"[xX×]", value.strip()))
    if w * 9 != h * 16:
        raise _fail(key, f"{w}x{h} is not 16:9; try 1280x720 or 1920x1080")
    if w < MIN_WIDTH or h < MIN_HEIGHT or w > 7680:
        raise _fail(key, f"{w}x{h} must be at least {MIN_WIDTH}x{MIN_HEIGHT} and at most 7680x4320")
    return w, h


def _channel_path(ref: str, label: str, root: Path, folder_ok: bool = False) -> Path:
    """A file (or folder) named in channel.toml: relative to it, inside the channel folder."""
    try:
        path = resolve_inside(root, root, ref)
    except ValueError as e:
        raise _fail(label, str(e)) from None
    if not folder_ok and path.is_dir():
        raise _fail(label, f"{ref} is a folder, not a file; name an image file")
    if not (path.exists() if folder_ok else path.is_file()):
        raise _fail(label, f"{ref} not found (paths are relative to channel.toml)")
    return path


def _channel_file(table: dict, label: str, key: str, root: Path) -> Path | None:
    ref = table.get(key)
    return _channel_path(ref.strip(), f"{label} {key}", root) if ref is not None else None


def _artwork(t: dict, root: Path) -> ArtworkSettings:
    width, height = t["width"], t["height"]
    if width * 9 != height * 16:
        raise _fail("[artwork] width/height", f"{width}x{height} is not 16:9; try 1280x720 or 1920x1080")
    raw = t.get("renditions")
    renditions = ((width, height),) if raw is None else tuple(dict.fromkeys(_size(v, "[artwork] renditions") for v in raw))
    card = t["title_card"]
    fill = t["contain_fill"]
    return ArtworkSettings(
        width=renditions[0][0], height=renditions[0][1], quality=t["quality"],
        background=parse_color(t["background"], "[artwork] background"),
        max_pixels=t["max_pixels"], renditions=renditions, fit=t["fit"], fit_tolerance=float(t["fit_tolerance"]),
        crop=t["crop"],
        contain_fill=fill if fill == "blur" else parse_color(fill, "[artwork] contain_fill"),
        small=t["small"], format=t["format"], tv_safe=t["tv_safe"], fallback=t["fallback"],
        title_card=TitleCardSettings(
            font=_channel_file(card, "[artwork.title_card]", "font", root),
            logo=_channel_file(card, "[artwork.title_card]", "logo", root),
            background=parse_color(card["background"], "[artwork.title_card] background"),
            color=parse_color(card["color"], "[artwork.title_card] color")))


def _categories(raw: list, playlist_names: set[str]) -> tuple[Category, ...]:
    out, names = [], set()
    for cat in raw:
        name = cat["name"].strip()
        key = f"[[categories]] {name!r}"
        query, playlist = cat.get("query"), cat.get("playlist")
        if (query is None) == (playlist is None):
            raise _fail(key, "needs exactly one of query = \"tag\" or playlist = \"name\"")
        if query is not None and (problem := query_operator_problem(query)):
            raise _fail(key, problem)
        if playlist is not None and playlist.strip() not in playlist_names:
            raise _fail(key, f"playlist {playlist!r} is not defined; add a [[playlists]] table with that name")
        order = cat.get("order", "manual" if playlist is not None else "most_recent")
        if order == "manual" and playlist is None:
            raise _fail(key, "order \"manual\" needs a playlist; use most_recent or chronological with a query")
        if name in names:
            raise _fail(key, "two categories have this name; rows need distinct names")
        names.add(name)
        out.append(Category(name=name, order=order, query=query.strip() if query else None,
                            playlist=playlist.strip() if playlist else None))
    return tuple(out)


def _series_tables(raw: list, root: Path) -> tuple[SeriesInfo, ...]:
    out, seen = [], set()
    for i, t in enumerate(raw, 1):
        sid = str(t["id"]).strip()
        if not sid:
            raise _fail(f"[[series]] #{i} id", "must not be empty, e.g. id = \"evening-bulletin\"")
        sid = normalize_id(sid)
        key = f"[[series]] {sid!r}"
        if sid in seen:
            raise _fail(key, "is defined twice")
        seen.add(sid)
        photo = None
        if t.get("photo") is not None:
            try:
                photo = resolve_inside(root, root, t["photo"])
            except ValueError as e:
                raise _fail(f"{key} photo", str(e)) from None
        genres = check_genres(t["genres"], f"{key} genres") if t.get("genres") is not None else None
        out.append(SeriesInfo(id=sid, title=(t.get("title") or "").strip() or None,
                              description=(t.get("description") or "").strip() or None, photo=photo, genres=genres))
    return tuple(out)


def _playlists(raw: list) -> tuple[Playlist, ...]:
    out, names = [], set()
    for t in raw:
        name = t["name"].strip()
        key = f"[[playlists]] {name!r}"
        if name in names:
            raise _fail(key, "is defined twice")
        names.add(name)
        items, featured = t.get("items"), t["featured"]
        if (items is None) == (not featured):
            raise _fail(key, "needs items = [\"id\", ...] or featured = true (one of them)")
        out.append(Playlist(name=name, items=tuple(str(x) for x in items or ()), featured=featured, limit=t.get("limit")))
    return tuple(out)


def _templates(t: dict, root: Path) -> tuple[tuple[str, str], ...]:
    """[templates] values are Jinja2 text, or a .j2 file relative to channel.toml. Each is
    compiled here, so a syntax error or a filter that doesn't exist stops at the config."""
    from jinja2 import TemplateError  # noqa: PLC0415 (only with [templates])

    from packager.textfields import compile_template  # noqa: PLC0415 (only with [templates])

    out = []
    for name in ("title", "short_description", "long_description"):
        src = t.get(name)
        if src is None:
            continue
        if src.strip().endswith(".j2") and "{" not in src:
            try:
                src = resolve_inside(root, root, src.strip()).read_text(encoding="utf-8")
            except (ValueError, OSError, UnicodeDecodeError) as e:
                raise _fail(f"[templates] {name}", str(e)) from None
        try:
            compile_template(src)
        except TemplateError as e:
            line = f" at line {e.lineno}" if getattr(e, "lineno", None) else ""
            raise _fail(f"[templates] {name}", f"template error{line}: {e.message or e}") from None
        out.append((name, src))
    return tuple(out)


def _clips(t: dict, root: Path) -> ClipSettings:
    width, height = t["width"], t["height"]
    if width * 9 != height * 16 or width % 16:
        raise _fail("[clips] width/height", f"{width}x{height} must be 16:9 with a width divisible by 16, e.g. 1280x720")
    spp = t["seconds_per_photo"]
    spp = [spp, spp] if not isinstance(spp, list) else spp
    if spp[0] > spp[1]:
        raise _fail("[clips] seconds_per_photo", f"{spp!r}: the first (min) must not exceed the second (max)")
    return ClipSettings(render=t["render"], width=width, height=height, fps=t["fps"],
                        seconds_per_photo=(float(spp[0]), float(spp[1])), intro_seconds=float(t["intro_seconds"]),
                        music=_channel_file(t, "[clips]", "music", root), bitrate_kbps=t["bitrate_kbps"],
                        font=_channel_file(t, "[clips]", "font", root), trickplay=t["trickplay"],
                        trickplay_interval=t["trickplay_interval"], preset=t["preset"], format=t["format"])


def _video(t: dict) -> VideoSettings:
    rungs: dict[int, Rung] = {}
    for i, r in enumerate(t["ladder"]):
        height = int(r[:-1]) if isinstance(r, str) else r["height"]
        if height % 2:
            raise _fail(f"[video] ladder[{i}]", f"{height}p: heights must be even (4:2:0 video)")
        kbps = r.get("bitrate_kbps") if isinstance(r, dict) else None
        if kbps is None:
            near = min(LADDER_KBPS, key=lambda h: abs(h - height))
            kbps = round(LADDER_KBPS[near] * height / near)
        if height in rungs:
            raise _fail(f"[video] ladder[{i}]", f"{height}p is in the ladder twice; keep one")
        rungs[height] = Rung(height, kbps)
    return VideoSettings(ladder=tuple(sorted(rungs.values(), key=lambda r: -r.height)),
                         **{k: t[k] for k in ("segment_seconds", "preset", "audio_kbps", "mp4", "trickplay",
                                              "trickplay_interval", "max_bytes")}, loudness=float(t["loudness"]))


def _outputs(out: dict, search: dict) -> Outputs:
    rating = search["advisory_rating"]
    return Outputs(mrss=out["mrss"], search_feed=out["search_feed"], countries=tuple(search["countries"]),
                   advisory_rating=(("source", rating["source"]), ("value", rating["value"])))


def _sources(raw: list, root: Path, allow_all: bool) -> tuple[Source, ...]:
    out = []
    for i, t in enumerate(raw, 1):
        key = f"[[sources]] #{i}"
        path, url = t.get("path"), t.get("url")
        if (path is None) == (url is None):
            raise _fail(key, "needs exactly one of path = \"...\" (relative to channel.toml) or url = \"https://...\"")
        only = [k for k in ("categories", "tags", "after", "limit") if k in t]
        if only and t["type"] != "wordpress":
            raise _fail(f"{key} {only[0]}", "is for wordpress sources only")
        allow = t.get("allow_remote", allow_all)
        resolved = None
        if path is not None:
            if t["type"] == "wordpress":
                raise _fail(key, "a wordpress source is a site: use url = \"https://news.example/\"")
            resolved = _channel_path(path, f"{key} path", root, folder_ok=True)
        else:
            if t["type"] == "markdown":
                raise _fail(key, "markdown sources are folders: use path")
            if not allow:
                raise _fail(f"{key} url", "fetching over the network is off: set allow_remote = true "
                                          "in this [[sources]] table (or in [channel])")
            if t["type"] == "wordpress" and "@" in url.split("/", 3)[2]:
                # The URL goes into messages; a password in it would be printed.
                raise _fail(f"{key} url", "has a user name or password in it; give the site's address alone and "
                                          "put credentials in WORDPRESS_USER and WORDPRESS_APP_PASSWORD")
        if t.get("after") is not None:
            try:
                datetime.fromisoformat(t["after"].strip().replace(" ", "T", 1).replace("Z", "+00:00"))
            except ValueError:
                raise _fail(f"{key} after", f"{t['after']!r} is not a real date; write e.g. \"2026-01-01\"") from None
        fields = t.get("fields", {})
        out.append(Source(type=t["type"], path=resolved, url=url, fields=tuple(sorted(fields.items())), allow_remote=allow,
                          categories=tuple(t.get("categories", ())), tags=tuple(t.get("tags", ())),
                          after=t.get("after"), limit=t.get("limit"), order=t.get("order", "source")))
    return tuple(out)


def _publish(t: dict) -> PublishSettings:
    return PublishSettings(**{k: t.get(k) for k in ("target", "endpoint_url", "region", "profile", "acl", "checksums")},
                           path_style=t["path_style"], jobs=t["jobs"], retries=t["retries"], keep_history=t["keep_history"],
                           prune_grace=t["prune_grace"])


# ---------------------------------------------------------------- [app]: the SDK channel app

APP_RESOLUTIONS = ("sd", "hd", "fhd")


@dataclass(frozen=True)
class AdSettings:
    """[app.ads]: video ads through the Roku Advertising Framework (RAF)."""
    url: str  # a VAST/VMAP ad tag; RAF's macros (ROKU_ADS_*) are passed through for RAF to fill
    preroll: bool = default("app", "ads", "preroll")
    midroll_minutes: int = default("app", "ads", "midroll_minutes")
    min_minutes_between: int = default("app", "ads", "min_minutes_between")
    live_preroll: bool = default("app", "ads", "live_preroll")


@dataclass(frozen=True)
class AppSettings:
    """[app]: the generated Roku SceneGraph channel (roku-packager channel / sideload)."""
    title: str
    feed_url: str
    version: tuple[int, int, int] = (1, 0, 0)  # manifest major_version, minor_version, build_version
    logo: Path | None = None  # icons, splash and overhang through the channel-art renderer
    background: tuple[int, int, int] = _color_default("app", "background")
    accent: tuple[int, int, int] = _color_default("app", "accent")
    resolutions: tuple[str, ...] = default("app", "resolutions")
    search_feed_url: str | None = None  # the generated search-feed.json, for deep links
    analytics_url: str | None = None  # a GET beacon per play
    refresh_minutes: int = default("app", "refresh_minutes")
    ads: AdSettings | None = None


# Text that ends a manifest line or a BrightScript string literal early (or that a reader may
# take for a line break): control characters, NEL and the Unicode line/paragraph separators.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
APP_TITLE_MAX = 100


def app_text(label: str, value: str) -> str:
    """The one gate for every value written into the app's manifest or BrightScript: one line
    of text, or a ConfigError naming the key and the character."""
    bad = _NOT_ONE_LINE.search(value)
    if bad:
        raise _fail(label, f"contains a line break or control character (U+{ord(bad.group()):04X} at character "
                           f"{bad.start() + 1}); give one line of text")
    return value


def _app_url(label: str, raw: str) -> str:
    """An http(s) URL with a host and a valid port (the schema's pattern can't check those)."""
    from urllib.parse import urlsplit  # noqa: PLC0415 (only [app] needs it)

    url = app_text(label, raw.strip())
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        raise _fail(label, f"{excerpt(url)} is not a valid URL ({e}); give an http(s) URL like "
                           "https://cdn.example.com/feed.json") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(label, f"{excerpt(url)} is not an http(s) URL with a host")
    if port == 0:
        raise _fail(label, f"{excerpt(url)}: port 0 is not a port")
    return url


def _app_title(t: dict, provider_name: str) -> str:
    label = "[app] title" if "title" in t else "[app] title (from [channel] provider_name)"
    title = app_text(label, t.get("title", provider_name).strip())
    if not title:
        raise _fail(label, "is blank; give the channel's name")
    if len(title) > APP_TITLE_MAX:
        raise _fail(label, f"is {len(title):,} characters; a Roku channel title may have {APP_TITLE_MAX}"
                           + ("" if "title" in t else ": set a shorter [app] title"))
    return title


def _ads(t: dict) -> AdSettings | None:
    if "url" not in t:
        return None
    return AdSettings(url=_app_url("[app.ads] url", t["url"]), preroll=t["preroll"],
                      midroll_minutes=t["midroll_minutes"], min_minutes_between=t["min_minutes_between"],
                      live_preroll=t["live_preroll"])


def _app(t: dict, provider_name: str, base_url: str, search_feed_output: bool, root: Path) -> AppSettings:
    """[app] after the schema check; its defaults that depend on other tables are computed here."""
    major, minor, *build = (int(v) for v in t["version"].split("."))
    resolutions = t["resolutions"]
    resolutions = [resolutions] if isinstance(resolutions, str) else resolutions
    search = t.get("search_feed", search_feed_output)
    if search and not search_feed_output:
        raise _fail("[app] search_feed", "needs the search feed: set [outputs] search_feed = true")
    title = _app_title(t, provider_name)
    feed_url = _app_url("[app] feed_url", t.get("feed_url", base_url + "feed.json"))
    analytics = t.get("analytics_url")
    return AppSettings(
        title=title, feed_url=feed_url,
        version=(major, minor, build[0] if build else 0),
        logo=_channel_file(t, "[app]", "logo", root),
        background=parse_color(t["background"], "[app] background"),
        accent=parse_color(t["accent"], "[app] accent"),
        resolutions=tuple(dict.fromkeys(r.lower() for r in resolutions)),
        search_feed_url=feed_url.rsplit("/", 1)[0] + "/search-feed.json" if search else None,
        analytics_url=_app_url("[app] analytics_url", analytics) if analytics is not None else None,
        refresh_minutes=t["refresh_minutes"], ads=_ads(t["ads"]))


# ---------------------------------------------------------------- load

def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; a channel folder needs a {CONFIG_NAME}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: can't be read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML a reader can handle: nested too deeply") from None
    except ValueError as e:  # an integer of thousands of digits
        raise ConfigError(f"{path}: not valid TOML a reader can handle: {str(e)[:80]}") from None


def load_channel(channel_dir: Path | str) -> Channel:
    root = Path(channel_dir)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the channel folder that holds {CONFIG_NAME}")
    data = read_toml(root / CONFIG_NAME)
    problems = schema_problems(data, channel_schema())
    if problems:
        raise ConfigError("\n".join(f"{CONFIG_NAME}: {p}" for p in problems))
    has_app = "app" in data
    max_bytes_set = "max_bytes" in data.get("feed", {})
    data = _with_defaults(data, channel_schema())
    root = root.resolve()

    ch = data["channel"]
    base_url = ch["base_url"].strip()
    if not base_url.endswith("/"):
        base_url += "/"
    try:
        articles_dir = resolve_inside(root, root, ch["articles"])
    except ValueError as e:
        raise _fail("[channel] articles", str(e)) from None
    playlists = _playlists(data.get("playlists", []))
    return Channel(
        root=root, provider_name=ch["provider_name"].strip(), language=ch["language"], base_url=base_url,
        articles_dir=articles_dir, genres=check_genres(ch["genres"], "[channel] genres"),
        artwork=_artwork(data["artwork"], root),
        categories=_categories(data.get("categories", []), {p.name for p in playlists}),
        publish=_publish(data["publish"]),
        series=_series_tables(data.get("series", []), root),
        playlists=playlists,
        rows=Rows(**data["rows"]),
        feed=FeedLimits(max_bytes=data["feed"]["max_bytes"] if max_bytes_set or not has_app else APP_MAX_BODY,
                        max_items=data["feed"].get("max_items"), max_age_days=data["feed"].get("max_age_days"),
                        consumer="app" if has_app else "roku-template", max_bytes_set=max_bytes_set),
        templates=_templates(data["templates"], root),
        clips=_clips(data["clips"], root),
        video=_video(data["video"]),
        render=RenderSettings(**data["render"]),
        outputs=_outputs(data["outputs"], data["search_feed"]),
        sources=_sources(data.get("sources", []), root, ch["allow_remote"]),
        allow_remote=ch["allow_remote"],
        app=_app(data["app"], ch["provider_name"].strip(), base_url, data["outputs"]["search_feed"], root),
    )
