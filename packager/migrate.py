"""`roku-packager migrate FEED DIR`: a Direct Publisher feed becomes a channel folder in one
command. It keeps a copy of the feed in the folder (the channel's dp-feed source), writes a
channel.toml the first time (its [channel] from the feed's providerName and language, the
artwork rules, an [app] table: the generated app reads the feed), builds the channel and
writes the channel app. Run again, it refreshes the copy from FEED and builds again; the
channel.toml is the publisher's from then on and is never rewritten."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from packager.config import CONFIG_NAME, read_toml
from packager.dp import ITEM_ARRAYS, LANGUAGE, count_items
from packager.errors import ConfigError, FeedReadError
from packager.writer import write_atomic

FEED_COPY = "dp-feed.json"  # the copy of FEED the channel reads (a dp-feed source)
PLACEHOLDER_BASE = "https://example.com/tv/"


@dataclass
class Migration:
    channel_dir: Path
    wrote_toml: bool
    source_items: int
    result: object = None  # the BuildResult
    app_zip: Path | None = None
    notes: list[str] = field(default_factory=list)


def _toml_string(text: str) -> str:
    # A TOML basic string: JSON's escapes are TOML's (\" \\ \n \uXXXX).
    return json.dumps(text, ensure_ascii=False)


def channel_toml(feed: dict, feed_spec: str, base_url: str, allow_remote: bool) -> str:
    """The first channel.toml: what the feed says about the channel, and where to edit."""
    name = feed.get("providerName")
    name = name.strip() if isinstance(name, str) and name.strip() else "My channel"
    language = feed.get("language")
    language = language.strip() if isinstance(language, str) and LANGUAGE.match(language.strip()) else "en"
    lines = [
        f"# Written by roku-packager migrate from {feed_spec}.",
        "# Yours to edit: `roku-packager migrate` again refreshes " + FEED_COPY + " from the feed and",
        "# builds; it never rewrites this file.",
        "",
        "[channel]",
        f"provider_name = {_toml_string(name)}",
        f"language = {_toml_string(language)}",
        "# Where dist/ is published: the app reads base_url + \"feed.json\", title cards live under it.",
        f"base_url = {_toml_string(base_url)}",
        "",
        "[[sources]]",
        'type = "dp-feed"',
        f"path = {_toml_string(FEED_COPY)}",
        "# true: estimate missing MP4 bitrates (one HEAD request per file) and re-render thumbnails.",
        f"allow_remote = {'true' if allow_remote else 'false'}",
        "# \"source\": items in the feed's own order; \"newest\": newest first.",
        'order = "source"',
        "",
        "[artwork]",
        "# Items without a thumbnail get a title card (their headline on the channel's colours).",
        'fallback = "title-card"',
        "",
        "# The generated channel app (roku-packager channel) reads the feed: its limit, not",
        "# Roku's DP template's 500 KiB, bounds feed.json.",
        "[app]",
        f"title = {_toml_string(name[:100])}",
        "",
    ]
    return "\n".join(lines)


def _base_url(feed_spec: str, given: str | None) -> tuple[str, str | None]:
    if given:
        return (given if given.endswith("/") else given + "/"), None
    if re.match(r"^https?://", feed_spec, re.I):
        parts = urlsplit(feed_spec)
        return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/', 1)[0]}/", None
    return PLACEHOLDER_BASE, (f"[channel] base_url is {PLACEHOLDER_BASE}: set it in {CONFIG_NAME} to where you will "
                              "publish dist/ (or pass --base-url) before publishing")


def _check_folder(root: Path) -> bool:
    """True when `root` is a channel migrate wrote before (its channel.toml reads FEED_COPY as
    a dp-feed source); a folder holding anything else of the publisher's is refused."""
    toml = root / CONFIG_NAME
    if toml.exists():
        data = read_toml(toml)
        sources = data.get("sources") if isinstance(data.get("sources"), list) else []
        if not any(isinstance(s, dict) and s.get("type") == "dp-feed" and s.get("path") == FEED_COPY for s in sources):
            raise ConfigError(f"{toml}: has no [[sources]] type = \"dp-feed\", path = \"{FEED_COPY}\": not a channel "
                              "migrate wrote; nothing was changed (choose another folder)")
        return True
    if (root / FEED_COPY).exists():
        raise ConfigError(f"{root / FEED_COPY}: exists, and {root} has no {CONFIG_NAME}: not written by migrate; "
                          "nothing was changed (choose another folder)")
    return False


def migrate(feed_spec: str, channel_dir: Path, base_url: str | None = None, allow_remote: bool = False,
            timeout: float = 30.0, profile: str | None = None) -> Migration:
    """Copy FEED into the channel folder, write channel.toml the first time, build, and write
    the channel app. Nothing is written when FEED can't be read as a DP JSON feed."""
    from packager.build import build  # noqa: PLC0415 (start-up: the command loads its stages)
    from packager.remote import read_feed_input  # noqa: PLC0415 (start-up)
    from packager.rokuapp import channel_zip, default_zip_path, write_channel_zip  # noqa: PLC0415 (start-up)
    from packager.validate import DEFAULT_PROFILE  # noqa: PLC0415 (start-up)

    body, name = read_feed_input(feed_spec, timeout=timeout)
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise FeedReadError(f"{name}: not a DP JSON feed: it is XML (an MRSS or RSS feed?); read it with a "
                            '[[sources]] table, type = "rss", in a channel.toml of your own')
    try:
        feed = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise FeedReadError(f"{name}: not a DP JSON feed: {str(e)[:120]}") from None
    if not isinstance(feed, dict):
        raise FeedReadError(f"{name}: not a DP JSON feed: its root is a JSON {type(feed).__name__}, not an object")
    # Checked before anything is written: a folder for a feed with nothing to carry over
    # would only be in the way of the next try.
    if not any(isinstance(feed.get(key), list) for key in ITEM_ARRAYS):
        what = ("it is a Roku Search feed (assets), which a DP feed's channel publishes beside it"
                if "assets" in feed else f"it has none of {', '.join(ITEM_ARRAYS)}")
        raise FeedReadError(f"{name}: not a DP JSON feed: {what}; give the channel's DP feed (its feed.json)")
    root = Path(channel_dir)
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root}: is a file; give the folder the channel goes in")
    root.mkdir(parents=True, exist_ok=True)
    existed = _check_folder(root)
    migration = Migration(channel_dir=root, wrote_toml=not existed, source_items=count_items(feed))
    write_atomic(root / FEED_COPY, body)
    if not existed:
        url, note = _base_url(feed_spec, base_url)
        if note:
            migration.notes.append(note)
        write_atomic(root / CONFIG_NAME, channel_toml(feed, name, url, allow_remote).encode("utf-8"))
    elif base_url:
        migration.notes.append(f"--base-url is ignored: {root / CONFIG_NAME} exists (edit [channel] base_url there)")
    migration.result = build(root, profile=profile or DEFAULT_PROFILE)
    channel = migration.result.channel
    migration.app_zip = write_channel_zip(channel_zip(channel), default_zip_path(channel))
    return migration


def summary_lines(m: Migration) -> list[str]:
    """What migrate prints: items kept of the source's, repairs by rule, and what was left
    out with why."""
    from packager.readers.dpfeed import tally  # noqa: PLC0415 (start-up)

    r = m.result
    kept = r.item_count
    lines = [f"{'wrote' if m.wrote_toml else 'kept'} {m.channel_dir / CONFIG_NAME}"
             + ("" if m.wrote_toml else " (yours: not rewritten); refreshed " + FEED_COPY)]
    lines.append(f"kept {kept} of the feed's {m.source_items} item(s) (episodes included)")
    repairs = tally(r.notes.warnings)
    if repairs:
        lines.append(f"repaired ({len(repairs)} rule(s)):")
        lines += [f"  {n:>6} x {rule}" for rule, n in repairs]
    left = [str(e) for e in r.skipped]
    # The notes' own lines: expired items, then the items fitting the feed limit left out.
    left += r.notes.lines()[:len(r.notes.expired) + (1 if r.notes.left_out else 0)]
    if left:
        lines.append(f"left out ({len(left)}):")
        lines += [f"  {line}" for line in left]
    lines.append(f"channel app: {m.app_zip} (reads {r.channel.app.feed_url})")
    return lines + [f"note: {n}" for n in m.notes]
