"""channel.toml -> a Channel: the settings every later stage reads."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packager.errors import ConfigError
from packager.vocab import CATEGORY_ORDERS, GENRES

CONFIG_NAME = "channel.toml"
MIN_WIDTH, MIN_HEIGHT = 800, 450

_KNOWN = {
    "channel": {"provider_name", "language", "base_url", "articles", "genres", "allow_remote"},
    "outputs": {"mrss", "search_feed"},
    "search_feed": {"countries", "advisory_rating"},
    "artwork": {"width", "height", "quality", "background", "max_pixels", "renditions", "fit",
                "fit_tolerance", "contain_fill", "small", "format", "tv_safe", "fallback", "title_card"},
    "rows": {"from_sections", "emit"},
    "clips": {"render", "width", "height", "fps", "seconds_per_photo", "intro_seconds", "music",
              "bitrate_kbps", "font", "trickplay", "trickplay_interval", "preset"},
    "feed": {"max_bytes", "max_items", "max_age_days"},
    "templates": {"title", "short_description", "long_description"},
    "publish": {"target", "endpoint_url", "region", "profile", "path_style", "acl",
                "checksums", "jobs", "retries", "keep_history"},
}
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class Category:
    name: str
    order: str
    query: str | None = None
    playlist: str | None = None


@dataclass(frozen=True)
class SeriesInfo:
    """A [[series]] table: metadata for the series item its episodes are grouped into."""
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
    from_sections: bool = False
    emit: str = "categories"  # categories | none


@dataclass(frozen=True)
class FeedLimits:
    # Roku's template refuses 500 KiB; 4 KiB of margin for proxies that add a few bytes.
    max_bytes: int = 500 * 1024 - 4 * 1024
    max_items: int | None = None
    max_age_days: int | None = None


@dataclass(frozen=True)
class Outputs:
    mrss: bool = False
    search_feed: bool = False
    countries: tuple[str, ...] = ("us",)
    advisory_rating: tuple[tuple[str, str], ...] = (("source", "USA_PR"), ("value", "TV-PG"))


@dataclass(frozen=True)
class Source:
    """A [[sources]] table: where articles come from."""
    type: str  # markdown | json | rss | dp-feed
    path: Path | None = None
    url: str | None = None
    fields: tuple[tuple[str, str], ...] = ()  # our field name -> the export's (dotted) name
    allow_remote: bool = False

    @property
    def name(self) -> str:
        return self.url or str(self.path)


@dataclass(frozen=True)
class ClipSettings:
    render: str = "off"  # off | missing (articles without video) | always
    width: int = 1280
    height: int = 720
    fps: int = 30
    seconds_per_photo: tuple[float, float] = (6.0, 12.0)  # from reading time, clamped
    intro_seconds: float = 3.0
    music: Path | None = None
    bitrate_kbps: int = 2500
    font: Path | None = None
    trickplay: bool = False
    trickplay_interval: int = 10  # seconds between BIF frames
    # x264 preset. superfast: 5.0x real time at 720p on 2 cores; veryfast: 3.6x, 0.3 dB better.
    preset: str = "superfast"


@dataclass(frozen=True)
class TitleCardSettings:
    font: Path | None = None  # a TrueType/OpenType file; None: Pillow's bundled font
    background: tuple[int, int, int] = (20, 33, 61)
    color: tuple[int, int, int] = (255, 255, 255)
    logo: Path | None = None


@dataclass(frozen=True)
class ArtworkSettings:
    width: int = 1280
    height: int = 720
    quality: int = 85
    background: tuple[int, int, int] = (255, 255, 255)
    max_pixels: int = 100_000_000
    # Sizes to render; the first is the feed's thumbnail. Default: (width, height).
    renditions: tuple[tuple[int, int], ...] = ((1280, 720),)
    fit: str = "auto"  # auto | cover | contain
    fit_tolerance: float = 0.25  # auto: cover when the aspect is within this of 16:9
    contain_fill: str | tuple[int, int, int] = "blur"
    small: str = "refuse"  # refuse | pad
    format: str = "jpeg"  # jpeg | png
    tv_safe: bool = False
    fallback: str | None = None  # "title-card": articles without a photo get a card
    title_card: TitleCardSettings = field(default_factory=TitleCardSettings)


@dataclass(frozen=True)
class PublishSettings:
    target: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    path_style: bool = False
    acl: str | None = None
    checksums: str | None = None
    jobs: int = 8
    retries: int = 5
    keep_history: int = 5
    prune_grace: int = 3600  # seconds: prune never deletes objects uploaded more recently


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
    outputs: Outputs = field(default_factory=Outputs)
    sources: tuple[Source, ...] = ()
    allow_remote: bool = False


def _fail(key: str, message: str) -> ConfigError:
    return ConfigError(f"{CONFIG_NAME}: {key}: {message}")


def _string(table: dict, section: str, key: str, required: bool = False) -> str | None:
    value = table.get(key)
    if value is None:
        if required:
            raise _fail(f"[{section}] {key}", "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"[{section}] {key}", "must be a non-empty string")
    return value.strip()


def _int(table: dict, section: str, key: str, default: int, lo: int, hi: int) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _fail(f"[{section}] {key}", f"must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def parse_color(value: str, key: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip()) if isinstance(value, str) else None
    if not m:
        raise _fail(key, f"must be a colour like \"#1a1a1a\", got {value!r}")
    h = m.group(1)
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))


def check_genres(values, key: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _fail(key, "must be a list of strings, e.g. [\"news\"]")
    out = []
    for v in values:
        g = v.strip().lower()
        if g not in GENRES:
            raise _fail(key, f"{v!r} is not a Roku genre; use one of: {', '.join(GENRES)}")
        if g not in out:
            out.append(g)
    return tuple(out)


def query_operator_problem(query: str) -> str | None:
    """Roku queries are tags joined by AND or by OR, never both."""
    words = set(re.findall(r"\b(AND|OR)\b", query))
    if len(words) > 1:
        return f"query {query!r} mixes AND and OR; Roku supports only one of them per query"
    return None


def _categories(raw) -> tuple[Category, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail("[[categories]]", "must be an array of tables ([[categories]])")
    out = []
    names = set()
    for i, cat in enumerate(raw, 1):
        key = f"[[categories]] #{i}"
        if not isinstance(cat, dict):
            raise _fail(key, "must be a table")
        name = _string(cat, f"categories #{i}", "name", required=True)
        key = f"[[categories]] {name!r}"
        query, playlist = cat.get("query"), cat.get("playlist")
        if (query is None) == (playlist is None):
            raise _fail(key, "needs exactly one of query = \"tag\" or playlist = \"name\"")
        for k, v in (("query", query), ("playlist", playlist)):
            if v is not None and (not isinstance(v, str) or not v.strip()):
                raise _fail(key, f"{k} must be a non-empty string")
        if query is not None and (problem := query_operator_problem(query)):
            raise _fail(key, problem)
        if playlist is not None and len(playlist.strip()) > 20:
            raise _fail(key, "playlist names are at most 20 characters")
        order = cat.get("order", "manual" if playlist is not None else "most_recent")
        if order not in CATEGORY_ORDERS:
            raise _fail(key, f"order {order!r} is not one of {', '.join(CATEGORY_ORDERS)}")
        if order == "manual" and playlist is None:
            raise _fail(key, "order \"manual\" needs a playlist; use most_recent or chronological with a query")
        if name in names:
            raise _fail(key, "two categories have this name; rows need distinct names")
        names.add(name)
        out.append(Category(name=name, order=order,
                            query=query.strip() if query else None,
                            playlist=playlist.strip() if playlist else None))
    return tuple(out)


def _size(value, key: str) -> tuple[int, int]:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+\s*[xX×]\s*\d+\s*", value):
        w, h = (int(v) for v in re.split(r"[xX×]", value))
    elif isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        w, h = value
    else:
        raise _fail(key, f"{value!r} must be a size like \"1280x720\"")
    if w * 9 != h * 16:
        raise _fail(key, f"{w}x{h} is not 16:9; try 1280x720 or 1920x1080")
    if w < MIN_WIDTH or h < MIN_HEIGHT or w > 7680:
        raise _fail(key, f"{w}x{h} must be at least {MIN_WIDTH}x{MIN_HEIGHT} and at most 7680x4320")
    return w, h


def _choice(table: dict, key: str, default: str, choices: tuple[str, ...]) -> str:
    value = table.get(key, default)
    if value not in choices:
        raise _fail(f"[artwork] {key}", f"{value!r} is not one of: {', '.join(choices)}")
    return value


def _channel_path(ref: str, label: str, root: Path, folder_ok: bool = False) -> Path:
    """A file (or folder) named in channel.toml: relative to it, inside the channel folder."""
    from packager.safepath import resolve_inside

    try:
        path = resolve_inside(root, root, ref)
    except ValueError as e:
        raise _fail(label, str(e)) from None
    if not (path.exists() if folder_ok else path.is_file()):
        raise _fail(label, f"{ref} not found (paths are relative to channel.toml)")
    return path


def _channel_file(table: dict, section: str, key: str, root: Path) -> Path | None:
    ref = _string(table, section, key)
    return _channel_path(ref, f"[{section}] {key}", root) if ref is not None else None


def _title_card(table, root: Path) -> TitleCardSettings:
    if not isinstance(table, dict):
        raise _fail("[artwork.title_card]", "must be a table")
    return TitleCardSettings(
        font=_channel_file(table, "artwork.title_card", "font", root),
        logo=_channel_file(table, "artwork.title_card", "logo", root),
        background=parse_color(table.get("background", "#14213d"), "[artwork.title_card] background"),
        color=parse_color(table.get("color", "#ffffff"), "[artwork.title_card] color"))


def _artwork(table: dict, root: Path) -> ArtworkSettings:
    width = _int(table, "artwork", "width", 1280, MIN_WIDTH, 7680)
    height = _int(table, "artwork", "height", 720, MIN_HEIGHT, 4320)
    if width * 9 != height * 16:
        raise _fail("[artwork] width/height", f"{width}x{height} is not 16:9; try 1280x720 or 1920x1080")
    quality = _int(table, "artwork", "quality", 85, 1, 95)
    background = parse_color(table.get("background", "#ffffff"), "[artwork] background")
    max_pixels = _int(table, "artwork", "max_pixels", 100_000_000, 1_000_000, 1_000_000_000)
    raw = table.get("renditions")
    if raw is None:
        renditions = ((width, height),)
    else:
        if not isinstance(raw, list) or not raw:
            raise _fail("[artwork] renditions", "must be a list of sizes, e.g. [\"1920x1080\", \"1280x720\"]")
        renditions = tuple(dict.fromkeys(_size(v, "[artwork] renditions") for v in raw))
    tolerance = table.get("fit_tolerance", 0.25)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 <= tolerance < 1:
        raise _fail("[artwork] fit_tolerance", f"{tolerance!r} must be a number from 0 to 0.99")
    fill = table.get("contain_fill", "blur")
    if fill != "blur":
        fill = parse_color(fill, "[artwork] contain_fill")
    tv_safe = table.get("tv_safe", False)
    if not isinstance(tv_safe, bool):
        raise _fail("[artwork] tv_safe", "must be true or false")
    fallback = table.get("fallback")
    if fallback not in (None, "title-card"):
        raise _fail("[artwork] fallback", f"{fallback!r}: the only fallback is \"title-card\"")
    return ArtworkSettings(
        width=renditions[0][0], height=renditions[0][1], quality=quality, background=background,
        max_pixels=max_pixels, renditions=renditions,
        fit=_choice(table, "fit", "auto", ("auto", "cover", "contain")),
        fit_tolerance=float(tolerance), contain_fill=fill,
        small=_choice(table, "small", "refuse", ("refuse", "pad")),
        format=_choice(table, "format", "jpeg", ("jpeg", "png")),
        tv_safe=tv_safe, fallback=fallback,
        title_card=_title_card(table.get("title_card", {}), root))


def _publish(table: dict) -> PublishSettings:
    s = {k: _string(table, "publish", k) for k in ("target", "endpoint_url", "region", "profile", "acl", "checksums")}
    path_style = table.get("path_style", False)
    if not isinstance(path_style, bool):
        raise _fail("[publish] path_style", "must be true or false")
    if s["checksums"] not in (None, "when_required", "when_supported"):
        raise _fail("[publish] checksums", "must be \"when_required\" or \"when_supported\"")
    return PublishSettings(
        **s, path_style=path_style,
        jobs=_int(table, "publish", "jobs", 8, 1, 64),
        retries=_int(table, "publish", "retries", 5, 1, 20),
        keep_history=_int(table, "publish", "keep_history", 5, 0, 1000),
        prune_grace=_int(table, "publish", "prune_grace", 3600, 0, 30 * 86400),
    )


def _series_tables(raw, root: Path) -> tuple[SeriesInfo, ...]:
    from packager.safepath import resolve_inside

    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise _fail("[[series]]", "must be an array of tables ([[series]])")
    out, seen = [], set()
    for i, t in enumerate(raw, 1):
        sid = t.get("id")
        if isinstance(sid, bool) or not isinstance(sid, (str, int)) or not str(sid).strip():
            raise _fail(f"[[series]] #{i}", "needs an id, e.g. id = \"evening-bulletin\"")
        from packager.sources import normalize_id
        sid = normalize_id(str(sid).strip())
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
        out.append(SeriesInfo(id=sid, title=_string(t, key, "title"), description=_string(t, key, "description"),
                              photo=photo, genres=genres))
    return tuple(out)


def _playlists(raw) -> tuple[Playlist, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise _fail("[[playlists]]", "must be an array of tables ([[playlists]])")
    out, names = [], set()
    for i, t in enumerate(raw, 1):
        name = _string(t, f"playlists #{i}", "name", required=True)
        key = f"[[playlists]] {name!r}"
        if len(name) > 20:
            raise _fail(key, "playlist names are at most 20 characters")
        if name in names:
            raise _fail(key, "is defined twice")
        names.add(name)
        items, featured = t.get("items"), t.get("featured", False)
        if not isinstance(featured, bool):
            raise _fail(f"{key} featured", "must be true or false")
        if (items is None) == (not featured):
            raise _fail(key, "needs items = [\"id\", ...] or featured = true (one of them)")
        if items is not None and (not isinstance(items, list) or not items
                                  or not all(isinstance(x, (str, int)) and not isinstance(x, bool) for x in items)):
            raise _fail(f"{key} items", "must be a non-empty list of item ids")
        limit = t.get("limit")
        if limit is not None:
            limit = _int(t, f"playlists {name!r}", "limit", 0, 1, 10_000)
        out.append(Playlist(name=name, items=tuple(str(x) for x in items or ()), featured=featured, limit=limit))
    return tuple(out)


def _rows(t: dict) -> Rows:
    from_sections = t.get("from_sections", False)
    if not isinstance(from_sections, bool):
        raise _fail("[rows] from_sections", "must be true or false")
    emit = t.get("emit", "categories")
    if emit not in ("categories", "none"):
        raise _fail("[rows] emit", f"{emit!r} must be \"categories\" or \"none\"")
    return Rows(from_sections=from_sections, emit=emit)


def _feed_limits(t: dict) -> FeedLimits:
    return FeedLimits(
        max_bytes=_int(t, "feed", "max_bytes", 500 * 1024 - 4 * 1024, 10_000, 100_000_000),
        max_items=_int(t, "feed", "max_items", 0, 1, 1_000_000) if t.get("max_items") is not None else None,
        max_age_days=_int(t, "feed", "max_age_days", 0, 1, 100_000) if t.get("max_age_days") is not None else None)


def _templates(t: dict, root: Path) -> tuple[tuple[str, str], ...]:
    """[templates] values are Jinja2 text, or a .j2 file relative to channel.toml."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from packager.safepath import resolve_inside

    out = []
    for name in ("title", "short_description", "long_description"):
        src = t.get(name)
        if src is None:
            continue
        if not isinstance(src, str):
            raise _fail(f"[templates] {name}", "must be Jinja2 text or a .j2 file name")
        if src.strip().endswith(".j2") and "{" not in src:
            try:
                src = resolve_inside(root, root, src.strip()).read_text(encoding="utf-8")
            except (ValueError, OSError) as e:
                raise _fail(f"[templates] {name}", str(e)) from None
        try:
            ImmutableSandboxedEnvironment().parse(src)
        except TemplateSyntaxError as e:
            raise _fail(f"[templates] {name}", f"template error at line {e.lineno}: {e.message}") from None
        out.append((name, src))
    return tuple(out)


def _clips(t: dict, root: Path) -> ClipSettings:
    if not isinstance(t, dict):
        raise _fail("[clips]", "must be a table")
    render = t.get("render", "off")
    if render not in ("off", "missing", "always"):
        raise _fail("[clips] render", f"{render!r} must be \"off\", \"missing\" or \"always\"")
    width = _int(t, "clips", "width", 1280, 640, 1920)
    height = _int(t, "clips", "height", 720, 360, 1080)
    if width * 9 != height * 16 or width % 16:
        raise _fail("[clips] width/height", f"{width}x{height} must be 16:9 with a width divisible by 16, e.g. 1280x720")
    spp = t.get("seconds_per_photo", [6, 12])
    if isinstance(spp, (int, float)) and not isinstance(spp, bool):
        spp = [spp, spp]
    if (not isinstance(spp, list) or len(spp) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in spp)
            or not 2 <= spp[0] <= spp[1] <= 60):
        raise _fail("[clips] seconds_per_photo", f"{spp!r} must be [min, max] seconds, 2 to 60, e.g. [6, 12]")
    intro = t.get("intro_seconds", 3)
    if isinstance(intro, bool) or not isinstance(intro, (int, float)) or not 0 <= intro <= 15:
        raise _fail("[clips] intro_seconds", f"{intro!r} must be 0 to 15 seconds")
    paths = {key: _channel_file(t, "clips", key, root) for key in ("music", "font")}
    trickplay = t.get("trickplay", False)
    if not isinstance(trickplay, bool):
        raise _fail("[clips] trickplay", "must be true or false")
    return ClipSettings(render=render, width=width, height=height, fps=_int(t, "clips", "fps", 30, 10, 60),
                        seconds_per_photo=(float(spp[0]), float(spp[1])), intro_seconds=float(intro),
                        music=paths["music"], bitrate_kbps=_int(t, "clips", "bitrate_kbps", 2500, 300, 20000),
                        font=paths["font"], trickplay=trickplay,
                        trickplay_interval=_int(t, "clips", "trickplay_interval", 10, 1, 60),
                        preset=_preset(t))


def _preset(t: dict) -> str:
    presets = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow")
    value = t.get("preset", "superfast")
    if value not in presets:
        raise _fail("[clips] preset", f"{value!r} is not one of: {', '.join(presets)}")
    return value


SOURCE_TYPES = ("markdown", "json", "rss", "dp-feed")
SEARCH_COUNTRIES = ("ar", "at", "au", "bo", "br", "ca", "cl", "co", "cr", "de", "ec", "es", "fr", "gb", "gt", "hn",
                    "ie", "mx", "ni", "pa", "pe", "sv", "us")


def _outputs(out: dict, search: dict) -> Outputs:
    for table, key in ((out, "mrss"), (out, "search_feed")):
        if not isinstance(table.get(key, False), bool):
            raise _fail(f"[outputs] {key}", "must be true or false")
    countries = search.get("countries", ["us"])
    if not isinstance(countries, list) or not countries or any(c not in SEARCH_COUNTRIES for c in countries):
        raise _fail("[search_feed] countries", f"{countries!r} must be a list of lowercase country codes Roku Search "
                                               f"knows: {', '.join(SEARCH_COUNTRIES)}")
    rating = search.get("advisory_rating", {"source": "USA_PR", "value": "TV-PG"})
    if not isinstance(rating, dict) or not all(isinstance(rating.get(k), str) and rating.get(k) for k in ("source", "value")):
        raise _fail("[search_feed] advisory_rating", "must be { source = \"USA_PR\", value = \"TV-PG\" }")
    return Outputs(mrss=out.get("mrss", False), search_feed=out.get("search_feed", False), countries=tuple(countries),
                   advisory_rating=(("source", rating["source"]), ("value", rating["value"])))


def _sources(raw, root: Path, allow_all: bool) -> tuple[Source, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise _fail("[[sources]]", "must be an array of tables ([[sources]])")
    out = []
    for i, t in enumerate(raw, 1):
        key = f"[[sources]] #{i}"
        kind = t.get("type")
        if kind not in SOURCE_TYPES:
            raise _fail(f"{key} type", f"{kind!r} must be one of: {', '.join(SOURCE_TYPES)}")
        path, url = t.get("path"), t.get("url")
        if (path is None) == (url is None):
            raise _fail(key, "needs exactly one of path = \"...\" (relative to channel.toml) or url = \"https://...\"")
        allow = t.get("allow_remote", allow_all)
        if not isinstance(allow, bool):
            raise _fail(f"{key} allow_remote", "must be true or false")
        resolved = None
        if path is not None:
            if not isinstance(path, str):
                raise _fail(f"{key} path", "must be a file or folder name")
            resolved = _channel_path(path, f"{key} path", root, folder_ok=True)
        else:
            if kind == "markdown":
                raise _fail(key, "markdown sources are folders: use path")
            if not isinstance(url, str) or not re.match(r"^https?://[^\s/]+", url):
                raise _fail(f"{key} url", f"{url!r} must be an http(s) URL")
            if not allow:
                raise _fail(f"{key} url", "fetching over the network is off: set allow_remote = true "
                                          "in this [[sources]] table (or in [channel])")
        fields = t.get("fields", {})
        if not isinstance(fields, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
            raise _fail(f"{key} fields", "must map our field names to the export's, e.g. { title = \"headline\" }")
        out.append(Source(type=kind, path=resolved, url=url, fields=tuple(sorted(fields.items())), allow_remote=allow))
    return tuple(out)


def load_channel(channel_dir: Path | str) -> Channel:
    root = Path(channel_dir)
    path = root / CONFIG_NAME
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the channel folder that holds {CONFIG_NAME}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; a channel folder needs a {CONFIG_NAME}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: can't be read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    root = root.resolve()

    warnings = []
    names = {p.get("name") for p in data.get("playlists", []) if isinstance(p, dict)} if isinstance(data.get("playlists"), list) else set()
    for cat in data.get("categories", []) if isinstance(data.get("categories"), list) else []:
        if isinstance(cat, dict) and isinstance(cat.get("playlist"), str) and cat["playlist"].strip() not in names:
            raise _fail(f"[[categories]] {cat.get('name')!r}", f"playlist {cat['playlist']!r} is not defined; add a [[playlists]] table with that name")
    for section, known in _KNOWN.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise _fail(f"[{section}]", "must be a table")
        for key in table:
            if key not in known:
                warnings.append(f"{CONFIG_NAME}: [{section}] {key}: unknown setting, ignored")

    ch = data.get("channel")
    if not isinstance(ch, dict):
        raise _fail("[channel]", "is required (provider_name, language, base_url)")
    provider = _string(ch, "channel", "provider_name", required=True)
    language = _string(ch, "channel", "language", required=True)
    if not _LANGUAGE.match(language):
        raise _fail("[channel] language", f"{language!r} is not an ISO 639 code like \"en\" or \"en-US\"")
    base_url = _string(ch, "channel", "base_url", required=True)
    if not re.match(r"^https?://[^\s/]+", base_url):
        raise _fail("[channel] base_url", f"{base_url!r} must be an http(s) URL, e.g. https://cdn.example.com/tv/")
    if not base_url.endswith("/"):
        base_url += "/"
    articles = _string(ch, "channel", "articles") or "articles"
    from packager.safepath import resolve_inside
    try:
        articles_dir = resolve_inside(root, root, articles)
    except ValueError as e:
        raise _fail("[channel] articles", str(e)) from None
    genres = check_genres(ch.get("genres", ["news"]), "[channel] genres") or ("news",)
    allow_remote = ch.get("allow_remote", False)
    if not isinstance(allow_remote, bool):
        raise _fail("[channel] allow_remote", "must be true or false")

    return Channel(
        root=root, provider_name=provider, language=language, base_url=base_url,
        articles_dir=articles_dir, genres=genres,
        artwork=_artwork(data.get("artwork", {}), root),
        categories=_categories(data.get("categories")),
        publish=_publish(data.get("publish", {})),
        warnings=tuple(warnings),
        series=_series_tables(data.get("series"), root),
        playlists=_playlists(data.get("playlists")),
        rows=_rows(data.get("rows", {})),
        feed=_feed_limits(data.get("feed", {})),
        templates=_templates(data.get("templates", {}), root),
        clips=_clips(data.get("clips", {}), root),
        outputs=_outputs(data.get("outputs", {}), data.get("search_feed", {})),
        sources=_sources(data.get("sources"), root, allow_remote),
        allow_remote=allow_remote,
    )
