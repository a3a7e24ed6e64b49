"""What changed between two DP feeds, as a viewer would notice it: items added, removed and
changed (which fields, by item id; episodes and series included), and the rows (categories
and playlists). Works on two parsed feeds, so `roku-packager diff` and `publish --dry-run`
(the live feed against the new one) tell the same story."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from packager.dp import walk_items

_ABSENT = object()


@dataclass(frozen=True)
class ItemRef:
    id: str
    kind: str
    title: str


@dataclass(frozen=True)
class ItemChange:
    id: str
    kind: str
    title: str
    fields: tuple[str, ...]  # "title", "content.duration", "kind", "series" (an episode moved), ...
    old_kind: str | None = None  # when the item moved to another array


@dataclass(frozen=True)
class RowChange:
    name: str
    fields: tuple[str, ...]
    added_ids: tuple[str, ...] = ()  # playlists: itemIds that came in
    removed_ids: tuple[str, ...] = ()
    reordered: bool = False  # playlists: the ids kept are in another order


@dataclass
class RowsDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    reordered: bool = False  # the rows both feeds have are in another order

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.reordered)


@dataclass
class FeedDiff:
    added: list[ItemRef] = field(default_factory=list)
    removed: list[ItemRef] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0
    categories: RowsDiff = field(default_factory=RowsDiff)
    playlists: RowsDiff = field(default_factory=RowsDiff)
    feed_fields: tuple[str, ...] = ()  # root fields that changed (lastUpdated apart: it always does)
    last_updated: tuple[object, object] = (None, None)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.feed_fields) and self.categories.empty and self.playlists.empty

    def lines(self, limit: int | None = 20) -> list[str]:
        """A short summary for a person: counts, then up to `limit` entries per section
        (items, categories, playlists); None lists them all."""
        if self.empty:
            return [f"no changes: the same {self.unchanged} item{'s' * (self.unchanged != 1)}, categories and playlists"]
        counts = [f"{len(self.added)} added", f"{len(self.removed)} removed", f"{len(self.changed)} changed",
                  f"{self.unchanged} unchanged"]
        out = ["items: " + ", ".join(counts)]
        entries = [f"  + {i.id} ({i.kind}) {i.title!r}" for i in self.added]
        entries += [f"  - {i.id} ({i.kind}) {i.title!r}" for i in self.removed]
        entries += [f"  ~ {c.id} ({_kind_text(c)}) {c.title!r}: {', '.join(c.fields)}" for c in self.changed]
        out += _limited(entries, limit)
        for label, rows in (("categories", self.categories), ("playlists", self.playlists)):
            if rows.empty:
                continue
            what = [f"{len(rows.added)} added", f"{len(rows.removed)} removed", f"{len(rows.changed)} changed"]
            out.append(f"{label}: " + ", ".join(what) + (" (rows in a new order)" if rows.reordered else ""))
            entries = [f"  + {n}" for n in rows.added] + [f"  - {n}" for n in rows.removed]
            entries += [f"  ~ {c.name}: {_row_change_text(c)}" for c in rows.changed]
            out += _limited(entries, limit)
        if self.feed_fields:
            out.append(f"feed: {', '.join(self.feed_fields)} changed")
        return out

    def to_json(self) -> dict:
        """Everything, for machines: no limits."""
        def item(i: ItemRef) -> dict:
            return {"id": i.id, "kind": i.kind, "title": i.title}

        def change(c: ItemChange) -> dict:
            out = {"id": c.id, "kind": c.kind, "title": c.title, "fields": list(c.fields)}
            if c.old_kind is not None:
                out["oldKind"] = c.old_kind
            return out

        def rows(r: RowsDiff, playlists: bool) -> dict:
            changed = []
            for c in r.changed:
                entry = {"name": c.name, "fields": list(c.fields)}
                if playlists and "itemIds" in c.fields:
                    entry["itemIds"] = {"added": list(c.added_ids), "removed": list(c.removed_ids), "reordered": c.reordered}
                changed.append(entry)
            return {"added": list(r.added), "removed": list(r.removed), "changed": changed, "reordered": r.reordered}

        return {
            "changed": not self.empty,
            "items": {"added": [item(i) for i in self.added], "removed": [item(i) for i in self.removed],
                      "changed": [change(c) for c in self.changed], "unchanged": self.unchanged},
            "categories": rows(self.categories, False),
            "playlists": rows(self.playlists, True),
            "feed": {"changed": list(self.feed_fields),
                     "lastUpdated": {"old": self.last_updated[0], "new": self.last_updated[1]}},
        }


def diff_feeds(old: dict, new: dict) -> FeedDiff:
    """What changed from `old` to `new` (two parsed DP feeds; anything malformed in them is
    compared as it is, never refused)."""
    before, after = _items(old), _items(new)
    d = FeedDiff()
    for iid, (kind, parent, item) in after.items():
        if iid not in before:
            d.added.append(ItemRef(iid, kind, _title(item)))
            continue
        old_kind, old_parent, old_item = before[iid]
        fields = _changed_fields(old_item, item)
        if kind == "series" and old_kind == "series" and _layout(old_item) != _layout(item):
            fields.append("seasons" if "seasons" in item or "seasons" in old_item else "episodes")
        if kind != old_kind:
            fields.insert(0, "kind")
        if parent != old_parent:
            fields.append("series")
        if fields:
            d.changed.append(ItemChange(iid, kind, _title(item), tuple(fields), old_kind if kind != old_kind else None))
        else:
            d.unchanged += 1
    d.removed = [ItemRef(iid, kind, _title(item)) for iid, (kind, _, item) in before.items() if iid not in after]
    d.categories = _rows(old.get("categories"), new.get("categories"), playlists=False)
    d.playlists = _rows(old.get("playlists"), new.get("playlists"), playlists=True)
    d.feed_fields = tuple(k for k in ("providerName", "language") if old.get(k, _ABSENT) != new.get(k, _ABSENT))
    d.last_updated = (old.get("lastUpdated"), new.get("lastUpdated"))
    return d


# ---------------------------------------------------------------- items

def _items(feed: dict) -> dict[str, tuple[str, tuple, dict]]:
    """id -> (kind, parent, item), in feed order; parent is (series id, season number) for an
    episode. An id used twice counts once (its first use), as a player would find it."""
    out: dict[str, tuple[str, tuple, dict]] = {}
    for kind, parts, item in walk_items(feed):
        iid = item.get("id")
        if not isinstance(iid, str) or iid in out:
            continue
        parent = ()
        if kind == "episode":
            series = feed[parts[0]][parts[1]]
            season = series["seasons"][parts[3]].get("seasonNumber") if parts[2] == "seasons" else None
            parent = (series.get("id"), season)
        out[iid] = (kind, parent, item)
    return out


def _title(item: dict) -> str:
    title = item.get("title")
    return title if isinstance(title, str) else ""


def _changed_fields(old: dict, new: dict) -> list[str]:
    """Top-level fields that differ; inside an object (content, rating), the keys that do."""
    out = []
    for key in _keys(old, new):
        if key in ("seasons", "episodes"):  # a series' episodes are items of their own
            continue
        a, b = old.get(key, _ABSENT), new.get(key, _ABSENT)
        if _same(a, b):
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            out += [f"{key}.{k}" for k in _keys(a, b) if not _same(a.get(k, _ABSENT), b.get(k, _ABSENT))]
        else:
            out.append(key)
    return out


def _keys(a: dict, b: dict) -> list[str]:
    """Keys of both, in a's order then b's new ones: output follows the feed."""
    return list(a) + [k for k in b if k not in a]


def _same(a, b) -> bool:
    """Equal as JSON: true is not 1, 120 is not 120.0 (Python's == says both are), and NaN
    is NaN (Python says it isn't). Walked with a stack, not recursion: a feed may nest as
    deep as its parser allowed."""
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if x.keys() != y.keys():
                return False
            pending.extend((v, y[k]) for k, v in x.items())
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y))
        elif x != y and not (isinstance(x, float) and math.isnan(x) and math.isnan(y)):
            return False
    return True


def _layout(series: dict) -> object:
    """A series' own structure: its seasons (without their episodes) and which episodes each
    holds, in order."""
    def ids(episodes) -> list:
        return [e.get("id") for e in episodes if isinstance(e, dict)] if isinstance(episodes, list) else []

    seasons = series.get("seasons")
    if isinstance(seasons, list):
        return [({k: v for k, v in s.items() if k != "episodes"}, ids(s.get("episodes"))) if isinstance(s, dict) else s
                for s in seasons]
    return ids(series.get("episodes"))


# ---------------------------------------------------------------- rows

def _rows(old, new, playlists: bool) -> RowsDiff:
    before, after = _named(old), _named(new)
    d = RowsDiff()
    d.added = [n for n in after if n not in before]
    d.removed = [n for n in before if n not in after]
    for name, row in after.items():
        if name not in before:
            continue
        fields = [k for k in _keys(before[name], row) if not _same(before[name].get(k, _ABSENT), row.get(k, _ABSENT))]
        if not fields:
            continue
        change = RowChange(name, tuple(fields))
        if playlists and "itemIds" in fields:
            was, now = _ids(before[name].get("itemIds")), _ids(row.get("itemIds"))
            kept_was = [i for i in was if i in now]
            kept_now = [i for i in now if i in was]
            change = RowChange(name, tuple(fields), tuple(i for i in now if i not in was),
                               tuple(i for i in was if i not in now), kept_was != kept_now)
        d.changed.append(change)
    common = [n for n in before if n in after]
    d.reordered = common != [n for n in after if n in before]
    return d


def _named(rows) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for row in rows if isinstance(rows, list) else []:
        if isinstance(row, dict) and isinstance(row.get("name"), str) and row["name"] not in out:
            out[row["name"]] = row
    return out


def _ids(value) -> list[str]:
    return [i for i in value if isinstance(i, str)] if isinstance(value, list) else []


# ---------------------------------------------------------------- text

def _kind_text(c: ItemChange) -> str:
    return f"{c.old_kind} -> {c.kind}" if c.old_kind else c.kind


def _row_change_text(c: RowChange) -> str:
    parts = []
    for f in c.fields:
        if f == "itemIds" and (c.added_ids or c.removed_ids or c.reordered):
            ids = [f"+{i}" for i in c.added_ids] + [f"-{i}" for i in c.removed_ids] + (["new order"] if c.reordered else [])
            shown = ", ".join(ids[:6]) + (f", … {len(ids) - 6} more" if len(ids) > 6 else "")
            parts.append(f"itemIds ({shown})")
        else:
            parts.append(f)
    return ", ".join(parts)


def _limited(entries: list[str], limit: int | None) -> list[str]:
    if limit is None or len(entries) <= limit:
        return entries
    return entries[:limit] + [f"  … and {len(entries) - limit} more"]
