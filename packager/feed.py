"""Articles + renditions -> the Direct Publisher feed (a dict), and its canonical bytes.

Every content type, series grouped from episodes, rows (categories, playlists, one row per
section), and a feed that always fits Roku's size limit: items are measured once and kept
featured-first, then newest-first, until the budget is spent."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from packager.config import Category, Channel, Playlist, SeriesInfo
from packager.dp import ARRAY_OF_KIND, dumps, serialize
from packager.errors import ArticleError
from packager.ids import normalize_query, section_tag
from packager.model import Article, ImportedSeason, ImportedSeries, Rendition, Video
from packager.text import cut


def iso_datetime(dt: datetime) -> str:
    """Roku wants YYYY-MM-DDThh:mm:ss+hh:mm; everything is written in UTC."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


# ---------------------------------------------------------------- items

def video_entry(video: Video) -> dict:
    entry = {"url": video.url, "quality": video.quality, "videoType": video.video_type}
    if video.bitrate is not None:  # an imported MP4 may lack one: left out, not null (DP210 says so)
        entry["bitrate"] = video.bitrate
    return entry


def content_of(article: Article, channel: Channel) -> dict:
    content = {
        "dateAdded": iso_datetime(article.date),
        "duration": article.video.duration,
        "videos": [video_entry(v) for v in (article.video, *article.extra_videos)],
        "language": article.language or channel.language,
    }
    if article.captions:
        content["captions"] = [dict(c) for c in article.captions]
    if article.trickplay:
        content["trickPlayFiles"] = [dict(t) for t in article.trickplay]
    if article.ad_breaks:
        content["adBreaks"] = list(article.ad_breaks)
    if article.available_from:
        content["validityPeriodStart"] = iso_datetime(article.available_from)
    if article.available_until:
        content["validityPeriodEnd"] = iso_datetime(article.available_until)
    return content


def build_item(article: Article, rendition: Rendition, channel: Channel) -> dict:
    """One feed item (or episode); `rendition` is the article's first (thumbnail) rendition."""
    item = {"id": article.id, "title": article.title, "shortDescription": article.short_description}
    if article.long_description:
        item["longDescription"] = article.long_description
    item["thumbnail"] = rendition.url or channel.base_url + rendition.relpath
    # An imported item's own releaseDate; else the article's calendar date, as the newsroom dated it.
    item["releaseDate"] = (article.release_date or article.date.date()).isoformat()
    if article.kind == "episode":
        item["episodeNumber"] = article.series.episode
    else:
        item["genres"] = list(article.genres)
    if article.tags:
        item["tags"] = list(article.tags)
    if article.rating and article.kind != "series":
        item["rating"] = dict(article.rating)
    if article.credits:
        item["credits"] = [dict(c) for c in article.credits]
    if article.external_ids:
        item["externalIds"] = [dict(x) for x in article.external_ids]
    item["content"] = content_of(article, channel)
    return item


def newest_first_key(x: Article | Unit) -> tuple[float, str]:
    """The one newest-first order of articles and units: the id breaks ties so equal dates
    still give one order."""
    return (-x.date.timestamp(), x.id)


def newest_first(articles: list[Article]) -> list[Article]:
    return sorted(articles, key=newest_first_key)


# ---------------------------------------------------------------- series

def check_series(articles: list[Article]) -> tuple[list[Article], list[ArticleError]]:
    """Episodes need a number, unique within their season (or series), and a series
    either uses seasons for all its episodes or for none."""
    errors, bad = [], set()
    by_series: dict[str, list[Article]] = {}
    for a in articles:
        if a.kind == "episode":
            by_series.setdefault(a.series.id, []).append(a)
    for sid, eps in by_series.items():
        with_season = [a for a in eps if a.series.season is not None]
        if with_season and len(with_season) != len(eps):
            for a in eps:
                if a.series.season is None:
                    errors.append(ArticleError(a.source, "series.season", f"other episodes of {sid!r} have a season "
                                               f"(e.g. {with_season[0].source}); give this one a season too"))
                    bad.add(a.source)
        seen: dict[tuple, Article] = {}
        for a in sorted(eps, key=lambda a: a.source):
            if a.source in bad:
                continue
            if a.series.episode is None:
                errors.append(ArticleError(a.source, "series.episode", f"is required for episodes of {sid!r}: their number, e.g. episode: 3"))
                bad.add(a.source)
                continue
            key = (a.series.season, a.series.episode)
            if key in seen:
                where = f"season {key[0]} episode {key[1]}" if key[0] is not None else f"episode {key[1]}"
                errors.append(ArticleError(a.source, "series.episode", f"{where} of {sid!r} is also {seen[key].source}; renumber one of them"))
                bad.add(a.source)
                continue
            seen[key] = a
    return [a for a in articles if a.source not in bad], errors


def build_series(sid: str, episodes: list[tuple[Article, Rendition]], channel: Channel,
                 series_art: dict[str, Rendition], info: SeriesInfo | None = None, short_max: int = 200) -> dict:
    if all(a.position is not None for a, _ in episodes):
        # An imported series: its seasons and episodes as the feed had them.
        first = {}
        for a, _ in sorted(episodes, key=lambda p: p[0].position):
            first.setdefault(a.series.season, a.position)
        ordered = sorted(episodes, key=lambda p: (first[p[0].series.season], p[0].position))
    else:
        ordered = sorted(episodes, key=lambda p: (p[0].series.season or 0, p[0].series.episode))
    newest = max((a for a, _ in episodes), key=lambda a: (a.date, a.id))
    oldest = min(a.date for a, _ in episodes)
    title = (info.title if info and info.title else None) or next(
        (a.series.title for a, _ in sorted(episodes, key=lambda p: p[0].date, reverse=True) if a.series.title), sid)
    imported = info if isinstance(info, ImportedSeries) else None
    # short_max: 110 under The Roku Channel's strict rules, which apply to series too.
    short = cut(info.description, short_max) if info and info.description else newest.short_description
    thumb = series_art.get(sid) or next(r for a, r in episodes if a is newest)
    item = {"id": sid, "title": title, "shortDescription": short}
    if imported:
        # An imported series keeps its own text, picture, date and tags (its rows query them).
        if imported.long_description:
            item["longDescription"] = imported.long_description
    elif info and info.description and len(info.description) > short_max:
        item["longDescription"] = cut(info.description, 500)
    item["thumbnail"] = (imported.thumbnail_url if imported and imported.thumbnail_url and sid not in series_art
                         else thumb.url or channel.base_url + thumb.relpath)
    item["releaseDate"] = (imported.release_date if imported and imported.release_date else oldest.date()).isoformat()
    item["genres"] = list(info.genres if info and info.genres else channel.genres)
    tags = list(imported.tags) if imported else sorted({t for a, _ in episodes for t in a.tags})[:20]
    if tags:
        item["tags"] = tags
    if imported and imported.credits:
        item["credits"] = [dict(c) for c in imported.credits]
    if imported and imported.external_ids:
        item["externalIds"] = [dict(x) for x in imported.external_ids]
    eps = [build_item(a, r, channel) for a, r in ordered]
    if any(a.series.season is not None for a, _ in ordered):
        seasons: dict[int, list] = {}
        for (a, _), ep in zip(ordered, eps):
            seasons.setdefault(a.series.season, []).append(ep)
        about = {s.number: s for s in imported.seasons} if imported else {}
        numbers = list(seasons) if all(a.position is not None for a, _ in ordered) else sorted(seasons)
        item["seasons"] = [{"seasonNumber": n, **_season_about(about.get(n)), "episodes": seasons[n]} for n in numbers]
    else:
        item["episodes"] = eps
    return item


def _season_about(season: ImportedSeason | None) -> dict:
    out = {}
    if season and season.title:
        out["title"] = season.title
    if season and season.thumbnail_url:
        out["thumbnail"] = season.thumbnail_url
    return out


# ---------------------------------------------------------------- units, rows, fitting

@dataclass
class Unit:
    """One root-level item with what fitting needs to know about it."""
    kind: str  # the root array
    item: dict
    date: datetime
    featured: bool
    articles: tuple[Article, ...] = ()  # the article, or a series' episodes
    size: int = 0

    @property
    def order(self) -> tuple:
        """Where it goes in its array: an imported feed's items where the feed had them (a
        series where its first episode was), then ours newest first."""
        positions = [a.position for a in self.articles if a.position is not None]
        if positions:
            return (False, min(positions), 0.0, self.id)
        return (True, 0, *newest_first_key(self))

    @property
    def id(self) -> str:
        return self.item["id"]


@dataclass
class FeedNotes:
    """What the build left out, for the report."""
    expired: list[str] = field(default_factory=list)  # sources
    left_out: int = 0
    left_out_reasons: dict[str, int] = field(default_factory=dict)
    left_out_ids: list[str] = field(default_factory=list)  # root item ids, in the order fitting dropped them
    oldest_kept: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{src}: available.until has passed; left out of the feed" for src in self.expired]
        if self.left_out:
            why = ", ".join(f"{n} by {k}" for k, n in sorted(self.left_out_reasons.items()))
            kept = f"; oldest kept {self.oldest_kept.date().isoformat()}" if self.oldest_kept else ""
            ids = ", ".join(self.left_out_ids[:5]) + (f" and {len(self.left_out_ids) - 5} more" if len(self.left_out_ids) > 5 else "")
            out.append(f"{self.left_out} older items left out to fit the feed ({why}){kept}: {ids}")
        return out + self.warnings


def category_entry(category: Category) -> dict:
    entry = {"name": category.name}
    if category.playlist is not None:
        entry["playlistName"] = category.playlist
    else:
        entry["query"] = normalize_query(category.query)  # tags match lowercase, whatever the source wrote
    entry["order"] = category.order
    return entry


@dataclass(frozen=True)
class Catalog:
    """The rows and series metadata a feed is built with: channel.toml's own, then what an
    imported feed brought."""
    series: tuple[SeriesInfo, ...] = ()
    categories: tuple[Category, ...] = ()
    playlists: tuple[Playlist, ...] = ()


def rows(channel: Channel, catalog: Catalog, units: list[Unit], articles: list[Article], notes: FeedNotes) -> tuple[list, list]:
    """Categories and playlists for the units kept."""
    if channel.rows.emit == "none":
        return [], []
    kept_ids = {u.id for u in units}
    playlists = []
    for pl in catalog.playlists:
        if pl.featured:
            ids = [u.id for u in sorted(units, key=newest_first_key) if u.featured]
        else:
            ids = [i for i in pl.items if i in kept_ids]
            gone = [i for i in pl.items if i not in kept_ids]
            if gone:
                notes.warnings.append(f"playlist {pl.name!r}: {len(gone)} item(s) not in the feed left out ({', '.join(gone[:3])})")
        if pl.limit:
            ids = ids[:pl.limit]
        if ids:
            playlists.append({"name": pl.name, "itemIds": ids})
        else:
            notes.warnings.append(f"playlist {pl.name!r} is empty; it and its row are left out")
    names = {p["name"] for p in playlists}
    categories = [category_entry(c) for c in catalog.categories if c.playlist is None or c.playlist in names]
    if channel.rows.from_sections:
        taken = {c["name"] for c in categories}
        for a in newest_first(articles):
            if a.section and a.section not in taken and len(categories) < 100:
                categories.append({"name": a.section, "query": section_tag(a.section), "order": "most_recent"})
                taken.add(a.section)
    return categories, playlists


def fit(units: list[Unit], base: int, budget: int, limits, now: datetime, notes: FeedNotes) -> list[Unit]:
    """Keep featured units, then the newest, within max_items, max_age_days and max_bytes.
    Each unit is serialized once; the feed's size is the sum of the parts."""
    order = sorted(units, key=lambda u: (not u.featured, *newest_first_key(u)))
    cutoff = now - timedelta(days=limits.max_age_days) if limits.max_age_days else None
    kept, used, arrays = [], base, set()
    for u in order:
        reason = None
        if cutoff and not u.featured and u.date < cutoff:
            reason = "max_age_days"
        elif limits.max_items and len(kept) >= limits.max_items:
            reason = "max_items"
        else:
            # the item, a comma, and for a new array its key: ,"shortFormVideos":[]
            extra = u.size + 1 + (0 if u.kind in arrays else len(u.kind) + 6)
            if used + extra > budget:
                reason = "max_bytes"
            else:
                used += extra
                arrays.add(u.kind)
                kept.append(u)
        if reason:
            notes.left_out += 1
            notes.left_out_ids.append(u.id)
            notes.left_out_reasons[reason] = notes.left_out_reasons.get(reason, 0) + 1
    if notes.left_out and kept:
        notes.oldest_kept = min(u.date for u in kept)
    return kept


def reference_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH for reproducible builds (it decides what has expired)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), timezone.utc)
    return datetime.now(timezone.utc)


def assemble(channel: Channel, units: list[Unit], categories: list, playlists: list, last_updated: datetime | None) -> dict:
    feed: dict = {
        "providerName": channel.provider_name,
        "language": channel.language,
        "lastUpdated": iso_datetime(last_updated) if last_updated else "1970-01-01T00:00:00+00:00",
    }
    for kind in ARRAY_OF_KIND.values():
        items = [u.item for u in sorted(units, key=lambda u: u.order) if u.kind == kind]
        if items:
            feed[kind] = items
    if categories:
        feed["categories"] = categories
    if playlists:
        feed["playlists"] = playlists
    return feed


def make_units(channel: Channel, catalog: Catalog, articles: list[Article],
               renditions: dict[str, tuple[Rendition, ...]], short_max: int = 200) -> list[Unit]:
    """One unit per root item: each article, and each series with its episodes. Every
    article must have its renditions (or an imported thumbnail URL) by now."""
    units: list[Unit] = []
    episodes: dict[str, list] = {}
    for a in newest_first(articles):
        if a.kind == "episode":
            episodes.setdefault(a.series.id, []).append((a, renditions[a.id][0]))
        else:
            units.append(Unit(ARRAY_OF_KIND[a.kind], build_item(a, renditions[a.id][0], channel), a.date, a.featured, (a,)))
    series_art = {k.removeprefix("series:"): v[0] for k, v in renditions.items() if k.startswith("series:")}
    infos = {s.id: s for s in catalog.series}
    for sid, eps in episodes.items():
        newest = max(a.date for a, _ in eps)
        units.append(Unit("series", build_series(sid, eps, channel, series_art, infos.get(sid), short_max), newest,
                          any(a.featured for a, _ in eps), tuple(a for a, _ in eps)))
    return units


def split_expired(articles: list[Article], now: datetime, notes: FeedNotes) -> list[Article]:
    """The articles still available at `now`; the others are noted, not skipped."""
    live = []
    for a in newest_first(articles):
        if a.available_until and a.available_until <= now:
            notes.expired.append(a.source)
        else:
            live.append(a)
    return live


@dataclass
class FeedResult:
    feed: dict
    units: list[Unit]  # the root items kept, with their articles

    @property
    def articles(self) -> list[Article]:
        return [a for u in self.units for a in u.articles]


def fit_feed(channel: Channel, catalog: Catalog, units: list[Unit], now: datetime, notes: FeedNotes) -> FeedResult:
    """The feed of the units that fit the limits, with its rows. lastUpdated is the newest
    included article's date, never the wall clock, so the same inputs give the same bytes."""
    for u in units:
        u.size = len(dumps(u.item))
    all_articles = [a for u in units for a in u.articles]
    # Rows at their largest (every unit kept) bound the root's size from above.
    categories, playlists = rows(channel, catalog, units, all_articles, FeedNotes())
    base = len(serialize(assemble(channel, [], categories, playlists, now)))
    kept = fit(units, base, channel.feed.max_bytes, channel.feed, now, notes)
    kept_articles = [a for u in kept for a in u.articles]
    categories, playlists = rows(channel, catalog, kept, kept_articles, notes)
    newest = max((u.date for u in kept), default=None)
    return FeedResult(assemble(channel, kept, categories, playlists, newest), kept)


def build_feed(channel: Channel, articles: list[Article], renditions: dict[str, tuple[Rendition, ...]],
               now: datetime | None = None, notes: FeedNotes | None = None, catalog: Catalog | None = None) -> dict:
    """The feed of the given articles in one call (no per-item validation): for tools and
    benchmarks. The build validates units between make_units and fit_feed."""
    now = now or reference_time()
    notes = notes if notes is not None else FeedNotes()
    catalog = catalog or Catalog(channel.series, channel.categories, channel.playlists)
    live = split_expired(articles, now, notes)
    return fit_feed(channel, catalog, make_units(channel, catalog, live, renditions), now, notes).feed
