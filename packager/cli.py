"""The roku-packager command line: a thin layer over build, validate and publish.

Exit codes (outcome decides them; the README's table lists them all): 0 success; 1 the work
failed (no valid feed, an invalid feed, a failed publish, or --strict with skipped articles);
2 usage errors and input that can't be read; 3 an internal error (a bug: please report it);
130 interrupted (Ctrl-C); 143 terminated (SIGTERM)."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import time
import traceback
from pathlib import Path

from packager import __version__
from packager.dp import DEFAULT_PROFILE, PROFILES
from packager.errors import ConfigError, FeedReadError, PackagerError, PublishError, excerpt
from packager.outcome import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    build_json,
    exit_code,
    failed,
    format_text,
    print_build,
    problems,
    report_exit,
    say,
    skipped_count,
    strict_failure,
    summary,
    terminated,
)


def _printable(text: str) -> str:
    """Text from a feed as stdout can carry it: a lone surrogate or a character the terminal's
    encoding lacks becomes an escape, not a crash."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def cmd_build(args) -> int:
    from packager.build import build  # noqa: PLC0415 (start-up: each command loads its stages)

    published = None
    if args.reuse_from is not None:
        from packager.config import load_channel  # noqa: PLC0415 (start-up)
        from packager.publish import published_objects  # noqa: PLC0415 (start-up)

        store = _open_target(args, "--reuse-from", args.reuse_from, load_channel(args.channel_dir).publish)
        published = published_objects(store, store.list())
    result = build(args.channel_dir, out=args.out, profile=args.profile, jobs=args.jobs, published=published,
                   **_render(args))
    print_build(result)
    _rendered(result)
    if args.format == "json":  # for CI: the problems as data; the same lines still go to stderr
        code = strict_failure(result, args.strict) or EXIT_OK
        print(json.dumps(build_json(result, code), indent=2, ensure_ascii=False))
        return code
    print(summary(result))
    return strict_failure(result, args.strict) or EXIT_OK


def cmd_init(args) -> int:
    import shlex  # noqa: PLC0415 (start-up: only init quotes paths)

    from packager.starter import make_starter  # noqa: PLC0415 (start-up: each command loads its stages)

    done = make_starter(args.channel_dir, name=args.name, base_url=args.base_url)
    where = shlex.quote(str(args.channel_dir))
    print(f"made a channel in {args.channel_dir}: {', '.join(done.written)}"
          + (f" ({', '.join(done.kept)} already there, kept)" if done.kept else ""))
    print("next:")
    print(f"  roku-packager build {where}      # feed.json, artwork and a clip of each story without video, in {args.channel_dir}/dist")
    print(f"  roku-packager preview {where}    # {args.channel_dir}/dist/preview.html: the channel as a Roku shows it")
    print(f"  roku-packager publish {where} --to s3://BUCKET/PREFIX   # after setting base_url to where that is served")
    return EXIT_OK


def cmd_validate(args) -> int:
    from packager.remote import read_feed_input  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.validate import validate_bytes  # noqa: PLC0415 (start-up: each command loads its stages)

    body, name = read_feed_input(args.feed, timeout=args.timeout)
    if args.assets is not None and not Path(args.assets).is_dir():
        raise FeedReadError(f"--assets {args.assets}: not a folder")
    report = validate_bytes(body, profile=args.profile, assets=Path(args.assets) if args.assets else None,
                            base_url=args.base_url, source=name)
    text = json.dumps(report.to_json(), indent=2, ensure_ascii=False) if args.format == "json" else format_text(report)
    print(_printable(text))
    return report_exit(report)


def cmd_diff(args) -> int:
    from packager.diff import diff_feeds  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.remote import read_feed_input  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.validate import parse_body  # noqa: PLC0415 (start-up: each command loads its stages)

    feeds = []
    for spec in (args.old, args.new):
        body, name = read_feed_input(spec, timeout=args.timeout)
        feed, _ = parse_body(body, name)
        if not isinstance(feed, dict):
            raise FeedReadError(f"{name}: not a DP feed: the JSON is not an object {{...}}")
        feeds.append(feed)
    diff = diff_feeds(*feeds)
    if args.format == "json":
        print(_printable(json.dumps(diff.to_json(), indent=2, ensure_ascii=False)))
    else:
        print(_printable("\n".join(diff.lines())))
    return EXIT_OK  # a difference is news, not a failure


def cmd_migrate(args) -> int:
    from packager.migrate import migrate, summary_lines  # noqa: PLC0415 (start-up: each command loads its stages)

    m = migrate(args.feed, args.channel_dir, base_url=args.base_url, allow_remote=args.allow_remote,
                timeout=args.timeout, profile=args.profile)
    print_build(m.result)
    print(summary(m.result))
    for line in summary_lines(m):
        print(_printable(line))
    return strict_failure(m.result, args.strict) or EXIT_OK


def _add_migrate(sub) -> None:
    m = sub.add_parser("migrate", help="turn a Direct Publisher feed into a channel folder, built, with its app",
                       description="Copy FEED into DIR as the channel's dp-feed source, write DIR/channel.toml the first "
                                   "time ([channel] from the feed's providerName and language, the artwork rules, an [app] "
                                   "table), build the channel and write the channel app. Every item Roku's template could "
                                   "play (an id, a title, a video URL) is kept; what had to be repaired is listed by rule. "
                                   "Run it again to refresh from the feed: channel.toml is never rewritten.")
    m.add_argument("feed", metavar="FEED", help="the DP JSON feed: a path or an http(s) URL")
    m.add_argument("channel_dir", metavar="DIR", type=Path, help="the channel folder to write (or refresh)")
    m.add_argument("--base-url", metavar="URL", help="where dist/ will be published (default: FEED's folder for a URL)")
    m.add_argument("--allow-remote", action="store_true", help="let the channel fetch over the network: missing MP4 "
                   "bitrates estimated from HEAD requests, thumbnails re-rendered (first run only: it goes in channel.toml)")
    m.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE, help=f"validation profile (default {DEFAULT_PROFILE})")
    m.add_argument("--strict", action="store_true", help="exit 1 if any item was left out")
    m.add_argument("--timeout", type=_seconds, default=30.0, metavar="S", help="seconds to wait for a FEED URL (default 30)")
    m.set_defaults(func=cmd_migrate)


def _add_diff(sub) -> None:
    d = sub.add_parser("diff", help="what changed between two DP feeds, item by item",
                       description="Compare two DP JSON feeds (paths, - for stdin, or http(s) URLs): items added, "
                                   "removed and changed (which fields), categories and playlists. Exit 0 whenever "
                                   "both can be read, 2 when either can't.")
    d.add_argument("old", metavar="OLD", help="the earlier feed: a path, - for stdin, or an http(s) URL")
    d.add_argument("new", metavar="NEW", help="the later feed: a path, - for stdin, or an http(s) URL")
    d.add_argument("--format", choices=("text", "json"), default="text", help="text summary or full json (default text)")
    d.add_argument("--timeout", type=_seconds, default=10.0, metavar="S", help="seconds to wait for each URL (default 10)")
    d.set_defaults(func=cmd_diff)


def _open_target(args, where: str, target: str, settings, base: Path | None = None, **overrides):
    """A store for a target given by the user; a target that can't be one is a usage error
    (exit 2) naming the command and where the value came from."""
    from packager.stores import open_store  # noqa: PLC0415 (start-up: each command loads its stages)

    try:
        return open_store(target, settings, base=base, **overrides)
    except ConfigError as e:
        raise ConfigError(f"{args.command}: {where + ' ' if where else ''}{e}") from None


def _store(args, channel):
    """--to (a plain path is relative to the working folder), else [publish] target (relative
    to the channel folder), else CHANNEL_DIR/public."""
    overrides = dict(endpoint_url=args.endpoint_url, region=args.region, profile=args.aws_profile, acl=args.acl,
                     path_style=args.path_style, checksums=args.checksums, retries=args.retries)
    if args.to is not None:
        return _open_target(args, "--to", args.to, channel.publish, **overrides)
    if channel.publish.target:
        return _open_target(args, "[publish] target in channel.toml:", channel.publish.target, channel.publish,
                            base=channel.root, **overrides)
    return _open_target(args, "", str(channel.root / "public"), channel.publish, **overrides)


def _duration(text: str) -> float:
    """--prune-grace: seconds, or 90s / 30m / 1h."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([smh]?)", text.strip())
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds or a duration like 30m or 1h")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _exit_on_sigterm() -> None:
    """SIGTERM (a CI job cancelled, a service stopped) unwinds like an error, so the
    publish lease is released on the way out instead of running out."""
    signal.signal(signal.SIGTERM, terminated)


def cmd_publish(args) -> int:
    from packager.build import BuildFailed, build  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.publish import placeholder_note, publish_tree, published_objects  # noqa: PLC0415 (start-up)

    # The bucket is the cache: one listing (and the live feed) tells the build what is already
    # published, so a clean checkout renders nothing the target has; the plan reuses the listing.
    store = _store(args, load_channel(args.channel_dir))
    listing = store.list()
    try:
        result = build(args.channel_dir, out=args.out, jobs=args.jobs, published=published_objects(store, listing),
                       **_render(args))
    except BuildFailed as e:
        return exit_code(e, "; nothing was published")
    print_build(result)
    _rendered(result)
    if (failed := strict_failure(result, args.strict, "; nothing was published")) is not None:
        return failed
    channel = result.channel
    if (note := placeholder_note(channel.base_url)) is not None:
        print(note, file=sys.stderr)
    _exit_on_sigterm()
    keep = args.keep_history if args.keep_history is not None else channel.publish.keep_history
    grace = args.prune_grace if args.prune_grace is not None else channel.publish.prune_grace
    summary = publish_tree(result.out, store, base_url=channel.base_url,
                           jobs=args.publish_jobs or channel.publish.jobs, dry_run=args.dry_run,
                           prune=args.prune, keep_history=keep, lock_wait=args.lock_wait, prune_grace=grace,
                           log=lambda line: print(line, file=sys.stderr), listing=listing, force=args.force)
    if args.format == "json":
        print(json.dumps({**summary.to_json(), "problems": [p.to_json() for p in problems(result)]}, indent=2))
        return EXIT_OK
    print(summary.line())
    for line in summary.viewer_lines():  # what viewers see change, as `diff` prints it
        print(_printable(line))
    if not args.dry_run:
        print(f"feed: {store.describe('feed.json')}")
    _skips_last(result)
    return EXIT_OK


def _skips_last(result) -> None:
    """A command that built and skipped articles ends on their count (build's summary has it)."""
    if result.skipped:
        print(skipped_count(result))


def cmd_history(args) -> int:
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.publish import list_versions  # noqa: PLC0415 (start-up: each command loads its stages)

    channel = load_channel(args.channel_dir)
    store = _store(args, channel)
    versions = list_versions(store)
    if not versions:
        print(f"no feed history at {store.describe()}")
        return EXIT_OK
    for v in reversed(versions):
        mark = "  (live)" if v.live else ""
        print(f"{v.name}  {v.time.strftime('%Y-%m-%d %H:%M:%S UTC')}  {v.items:>5} items  {v.size:>9,} bytes  "
              f"{' '.join(sorted(v.files))}{mark}")
    return EXIT_OK


def cmd_rollback(args) -> int:
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.publish import rollback  # noqa: PLC0415 (start-up: each command loads its stages)

    channel = load_channel(args.channel_dir)
    store = _store(args, channel)
    _exit_on_sigterm()
    chosen = rollback(store, channel.base_url, args.version, log=lambda line: print(line, file=sys.stderr),
                      lock_wait=args.lock_wait)
    print(f"live feed is now {chosen.name} ({chosen.items} items, published "
          f"{chosen.time.strftime('%Y-%m-%d %H:%M:%S UTC')}; restored {', '.join(sorted(chosen.files))})")
    return EXIT_OK


def cmd_unlock(args) -> int:
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.publish import unlock  # noqa: PLC0415 (start-up: each command loads its stages)

    channel = load_channel(args.channel_dir)
    store = _store(args, channel)
    try:
        print(unlock(store, force=args.force))
    except PublishError as e:
        return failed("unlock", e)
    return EXIT_OK


def cmd_channel_art(args) -> int:
    from packager.channelart import manifest_lines, render_channel_art  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.imaging import PhotoError  # noqa: PLC0415 (start-up: each command loads its stages)

    image, out = args.image, args.out
    if image.is_dir():
        raise ConfigError(f"{image}: is a folder; give the logo or image file")
    if image.exists() and not image.is_file():
        raise ConfigError(f"{image}: is not a regular file; give the logo or image file")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: exists and is not a folder; choose a folder for the images")
    try:
        written = render_channel_art(image, out, args.background)
    except FileNotFoundError as e:
        if not image.exists():
            raise ConfigError(f"{image}: no such file") from None
        raise ConfigError(f"--out {out}: can't be made: {e.strerror}") from None
    except PhotoError as e:
        raise ConfigError(f"{image} {e}") from None
    except OSError as e:  # the folder can't be made or written (a file in the way, permissions, disk full)
        raise ConfigError(f"--out {out}: can't write the images: {e.strerror or e}") from None
    for piece, path in written:
        print(f"wrote {path} ({piece.width}x{piece.height})", file=sys.stderr)
    print("\n".join(manifest_lines(written, args.background, out.name or "images")))
    return EXIT_OK


def cmd_preview(args) -> int:
    from packager.build import build  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.preview import write_preview  # noqa: PLC0415 (start-up: each command loads its stages)

    result = build(args.channel_dir, out=args.out, jobs=args.jobs, **_render(args))
    print_build(result)
    _rendered(result)
    path = write_preview(result.out, result.feed, result.channel.base_url, _preview_warnings(result))
    print(f"preview: {path.resolve().as_uri()}")
    _skips_last(result)
    return EXIT_OK


def _preview_warnings(result) -> list[str]:
    lines = [f"{f.code} {f.path}{f' (item {f.item_id})' if f.item_id else ''}: {f.message}" for f in result.report.warnings]
    lines += [f"skipped: {e}" for e in result.skipped] + list(result.notes.lines())
    return lines


def cmd_serve(args) -> int:
    from packager.build import build  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.preview import write_preview  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.serve import start  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.validate import validate_bytes  # noqa: PLC0415 (start-up: each command loads its stages)

    result = build(args.channel_dir, out=args.out, jobs=args.jobs)
    print_build(result)
    write_preview(result.out, result.feed, result.channel.base_url, _preview_warnings(result))
    try:
        server, feed_url, body = start(result.out, result.body, result.channel.base_url, args.host, args.port)
    except OSError as e:
        raise ConfigError(f"can't listen on {args.host}:{args.port}: {e.strerror or e}") from None
    report = validate_bytes(body, profile="roku-template")
    if not report.valid:
        print(f"warning: this feed would fail Roku's template ({len(report.errors)} errors); "
              f"run roku-packager validate on it", file=sys.stderr)
    print(f"serving {result.out} at {feed_url.rsplit('/', 1)[0]}/")
    print(f"FEED_URL={feed_url}   (put this in your channel's manifest to try it on a Roku on this network)")
    print(f"preview: {feed_url.rsplit('/', 1)[0]}/preview.html   Ctrl-C stops.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        return EXIT_OK


# ---------------------------------------------------------------- the channel app: channel, sideload

def cmd_channel(args) -> int:
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.rokuapp import channel_zip, default_zip_path, write_channel_zip  # noqa: PLC0415 (start-up)
    from packager.writer import OutputError, check_file_target  # noqa: PLC0415 (start-up)

    channel = load_channel(args.channel_dir)
    for w in channel.warnings:
        print(f"warning: {w}", file=sys.stderr)
    out = args.out or default_zip_path(channel)
    check_file_target(out, "--out")  # a FIFO would hang the check for our zip; a file in the way, a long name
    data = channel_zip(channel)
    try:
        out = write_channel_zip(data, out)
    except OSError as e:  # the folder can't be made or written (permissions, disk full)
        raise OutputError(f"--out {out}: can't be written: {e.strerror or e}") from None
    print(f"wrote {out} ({len(data):,} bytes); the channel reads {channel.app.feed_url}")
    return EXIT_OK


def cmd_sideload(args) -> int:
    from packager.config import load_channel  # noqa: PLC0415 (start-up: each command loads its stages)
    from packager.rokuapp import channel_zip  # noqa: PLC0415 (start-up)
    from packager.sideload import Device, install, screenshot  # noqa: PLC0415 (start-up)
    from packager.writer import OutputError, check_file_target, owned_file_problem, write_owned_files  # noqa: PLC0415 (start-up)

    password = args.password or os.environ.get("ROKU_DEV_PASSWORD")
    if not password:
        raise ConfigError("sideload needs the developer password: --password P or ROKU_DEV_PASSWORD")
    device = Device.parse(args.device)
    shot = args.screenshot
    if shot is not None:  # before the install: a place it can't go is known now, not after
        check_file_target(shot, "--screenshot")
        if problem := owned_file_problem(shot):
            raise OutputError(f"--screenshot {shot}: {problem}; choose another file name")
    channel = load_channel(args.channel_dir)
    for w in channel.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"{device}: {install(device, password, channel_zip(channel), timeout=args.timeout)}")
    if shot is not None:
        image, ext = screenshot(device, password, timeout=args.timeout)
        write_owned_files(shot.parent, {shot.name: image}, "--screenshot")
        print(f"screenshot: {shot} ({ext.upper()}, {len(image):,} bytes)")
    return EXIT_OK


def _channel_app_parsers(sub) -> None:
    c = sub.add_parser("channel", help="write the Roku SceneGraph channel that plays the feed, as a sideloadable zip",
                       description="Generate the channel app from channel.toml [app]: it reads the published feed, "
                                   "shows its rows, details, series and live items, and plays them. The zip is the "
                                   "same bytes for the same inputs; `build` keeps it in dist/ and `publish` leaves it out.")
    c.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    c.add_argument("--out", metavar="FILE", type=Path, help="zip to write (default: CHANNEL_DIR/dist/roku-channel.zip)")
    c.set_defaults(func=cmd_channel)

    s = sub.add_parser("sideload", help="install the channel app on a Roku in developer mode",
                       description="Package the channel app (as `channel` does) and install it through the "
                                   "device's development installer (user rokudev, HTTP digest auth).")
    s.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    s.add_argument("--device", required=True, metavar="HOST[:PORT]", help="the Roku's address on this network")
    s.add_argument("--password", metavar="P", help="developer password (default: ROKU_DEV_PASSWORD)")
    s.add_argument("--screenshot", metavar="FILE", type=Path, help="after installing, save the device's screenshot here")
    s.add_argument("--timeout", type=_seconds, default=60.0, metavar="S", help="seconds to wait for the device (default 60)")
    s.set_defaults(func=cmd_sideload)

# ---------------------------------------------------------------- end of the channel app commands


def _seconds(text: str) -> float:
    """--timeout: a deadline a timer can hold (remote.check_timeout is the one rule)."""
    from packager.remote import MAX_TIMEOUT, check_timeout  # noqa: PLC0415 (start-up: only when --timeout is given)

    try:
        return check_timeout(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{excerpt(text, 30)} is not a positive number of seconds "
                                         f"(at most {MAX_TIMEOUT:,.0f})") from None


def _color(text: str) -> tuple[int, int, int]:
    from packager.config import parse_color  # noqa: PLC0415 (start-up: config reads its schema)

    try:
        return parse_color(text, "--background")
    except ConfigError:  # its message names channel.toml; this value came from the command line
        raise argparse.ArgumentTypeError(f"{text!r} is not a colour like \"#14213d\"") from None


def _setting(table: str, key: str):
    """The type of a flag that overrides [table] key: the schema's range is the one rule."""

    def parse(text: str) -> int:
        from packager.config import channel_schema  # noqa: PLC0415 (start-up: config reads its schema)

        rule = channel_schema()["properties"][table]["properties"][key]
        low, high = rule["minimum"], rule["maximum"]
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{excerpt(text, 30)} is not a whole number from {low} to {high} "
                                             f"(as [{table}] {key})")
        return value

    return parse


def _threads(text: str) -> int:
    """--render-jobs: at least one thread."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{excerpt(text, 30)} is not a number of threads (1 or more)")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535; 0 picks a free one)")
    return value


def _render(args) -> dict:
    """--executor/--scheduler, for build."""
    return {"executor": args.executor, "scheduler": args.scheduler}


def _rendered(result) -> None:
    if result.rendered:
        print(result.rendered, file=sys.stderr)


def _render_args(p) -> None:
    p.add_argument("--executor", choices=("local", "dask"), help="where artwork and clips render: local (default: "
                   "[render] executor, else this machine's cores) or dask (a Dask cluster; the dask extra)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler, e.g. tcp://host:8786 "
                   "(default: DASK_SCHEDULER_ADDRESS, else [render] scheduler)")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors: one line, exit 2
        self.print_usage(sys.stderr)
        say(message)
        raise SystemExit(EXIT_USAGE)


class _AwsProfile(argparse.Action):
    """--aws-profile; the old spelling --profile (which build and validate use for the validation profile)
    still works in the target commands, with a note."""

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string == "--profile":
            say("note: --profile here is the AWS profile; its name is now --aws-profile (the old spelling still works)")
        setattr(namespace, self.dest, values)


def _target_args(p) -> None:
    p.add_argument("--to", metavar="TARGET", help="s3://bucket/prefix, file:///abs/path, or a folder path (relative to "
                   "the working folder) (default: [publish] target, else CHANNEL_DIR/public)")
    p.add_argument("--endpoint-url", metavar="URL", help="S3-compatible endpoint (MinIO, R2, B2, Spaces, Wasabi)")
    p.add_argument("--region", help="S3 region")
    p.add_argument("--aws-profile", "--profile", dest="aws_profile", metavar="NAME", action=_AwsProfile,
                   help="AWS credentials profile (--profile is the old spelling)")
    p.add_argument("--path-style", action="store_true", default=None, help="path-style bucket addressing (MinIO and others)")
    p.add_argument("--acl", choices=("public-read", "private"), help="object ACL (default: none; many buckets forbid ACLs)")
    p.add_argument("--checksums", choices=("when_required", "when_supported"),
                   help="when_required: for stores that reject boto3's newer checksum headers")
    p.add_argument("--retries", type=_setting("publish", "retries"), metavar="N", help="attempts per request (default [publish] retries, 5)")


def _add_build(sub) -> None:
    b = sub.add_parser("build", help="build feed.json and artwork into an output folder",
                       description="Build CHANNEL_DIR into DIR/feed.json and DIR/artwork/ (default DIR: CHANNEL_DIR/dist).")
    b.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    b.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: CHANNEL_DIR/dist); replaced atomically")
    b.add_argument("--strict", action="store_true", help="exit 1 if any article was skipped")
    b.add_argument("--format", choices=("text", "json"), default="text",
                   help="json: instead of the summary line, one JSON object on stdout: the feed, its counts and "
                        "every problem (kind, severity, origin, field, message, code) (default text)")
    b.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE, help=f"validation profile (default {DEFAULT_PROFILE})")
    b.add_argument("--render-jobs", "--jobs", dest="jobs", type=_threads, metavar="N",
                   help="render artwork and clips on N threads (default: CPU count); --jobs is the old spelling")
    b.add_argument("--reuse-from", metavar="TARGET", help="skip rendering artwork and clips already published at TARGET "
                   "(s3://bucket/prefix or file:///path; endpoint and credentials from [publish]); they are not "
                   "written to the output folder")
    _render_args(b)
    b.set_defaults(func=cmd_build)


def _add_init(sub) -> None:
    i = sub.add_parser("init", help="make a new channel folder that builds at once",
                       description="Make CHANNEL_DIR a working channel: channel.toml (the required keys, every common "
                                   "one commented), one example story with a photo, and the articles/ and photos/ "
                                   "folders. An existing channel.toml is never overwritten (exit 2).")
    i.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    i.add_argument("--name", help="the channel's provider_name (default: from the folder's name)")
    i.add_argument("--base-url", metavar="URL", help="where the published folder will be served from "
                   "(default: a placeholder under https://cdn.example.com/ to change before publishing)")
    i.set_defaults(func=cmd_init)


def _add_validate(sub) -> None:
    v = sub.add_parser("validate", help="check any Direct Publisher JSON feed",
                       description="Check a DP JSON feed: schema, rules, and what Roku's consumers need.")
    v.add_argument("feed", metavar="FEED", help="a path, - for stdin, or an http(s) URL")
    v.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE, help=f"rule set (default {DEFAULT_PROFILE})")
    v.add_argument("--format", choices=("text", "json"), default="text", help="report format (default text)")
    v.add_argument("--assets", metavar="DIR", help="check thumbnails: the folder the feed's base URL maps to")
    v.add_argument("--base-url", metavar="URL", help="base URL of --assets (default: common prefix of thumbnail URLs)")
    v.add_argument("--timeout", type=_seconds, default=10.0, metavar="S",
                   help="seconds for the whole download when FEED is a URL (default 10)")
    v.set_defaults(func=cmd_validate)


def _add_publish(sub) -> None:
    u = sub.add_parser("publish", help="build, then upload the tree (artwork first, feed.json last)",
                       description="Build CHANNEL_DIR, then upload what changed to TARGET: artwork first, "
                                   "a history copy, feed.json last.")
    u.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    _target_args(u)
    u.add_argument("--out", metavar="DIR", type=Path, help="build folder (default: CHANNEL_DIR/dist)")
    u.add_argument("--prune", action="store_true", help="after the new feed is live, delete artwork no kept feed version uses")
    u.add_argument("--keep-history", type=_setting("publish", "keep_history"), metavar="K", help="feed versions kept for rollback (default [publish] keep_history, 5)")
    u.add_argument("--lock-wait", type=float, default=60.0, metavar="S", help="seconds to wait for another publish to the same target (default 60)")
    u.add_argument("--prune-grace", type=_duration, metavar="AGE", help="--prune never deletes objects uploaded less than AGE ago "
                   "(seconds, or 30m, 1h; default [publish] prune_grace, 1h)")
    u.add_argument("--format", choices=("text", "json"), default="text", help="summary format on stdout (default text)")
    u.add_argument("--dry-run", action="store_true", help="print what would be uploaded and change nothing")
    u.add_argument("--strict", action="store_true", help="publish nothing if any article was skipped")
    u.add_argument("--force", action="store_true", help="publish even a feed.json that `rollback` took off the air "
                   "(refused otherwise, so a scheduled publish can't undo a rollback)")
    u.add_argument("--upload-jobs", "--jobs", dest="publish_jobs", type=_setting("publish", "jobs"), metavar="N",
                   help="parallel uploads (default [publish] jobs, 8); --jobs is the old spelling")
    u.add_argument("--render-jobs", dest="jobs", type=_threads, metavar="N", help="render threads (default: CPU count)")
    _render_args(u)
    u.set_defaults(func=cmd_publish)


def _add_history(sub) -> None:
    h = sub.add_parser("history", help="list the published feed versions",
                       description="List the feed versions kept on the target: time, item count, size, which is live.")
    h.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    _target_args(h)
    h.set_defaults(func=cmd_history)


def _add_rollback(sub) -> None:
    r = sub.add_parser("rollback", help="make an earlier feed version live again",
                       description="Make a kept feed version live (default: the one before the live one): all its "
                                   "feed files, after checking each parses and all its artwork still exists.")
    r.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    r.add_argument("--version", metavar="VERSION", help="a version name from `history`, or a unique part of it")
    r.add_argument("--lock-wait", type=float, default=60.0, metavar="S", help="seconds to wait for a publish to the same target (default 60)")
    _target_args(r)
    r.set_defaults(func=cmd_rollback)


def _add_unlock(sub) -> None:
    ul = sub.add_parser("unlock", help="release the publish lock of a target by hand",
                        description="Release the publish lock on the target. A lock whose holder died frees itself "
                                    "within its lease (30 s); a live lease is released only with --force.")
    ul.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    ul.add_argument("--force", action="store_true", help="release a lease that is still being renewed")
    _target_args(ul)
    ul.set_defaults(func=cmd_unlock)


def _add_preview(sub) -> None:
    pv = sub.add_parser("preview", help="build, then write DIR/preview.html: the channel as a Roku grid",
                        description="Build CHANNEL_DIR and write preview.html into the output folder: rows, 16:9 "
                                    "posters, a details panel and a banner of validation warnings and skipped articles. Open it from disk.")
    pv.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    pv.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: CHANNEL_DIR/dist)")
    pv.add_argument("--render-jobs", "--jobs", dest="jobs", type=_threads, metavar="N",
                    help="render threads (default: CPU count); --jobs is the old spelling")
    _render_args(pv)
    pv.set_defaults(func=cmd_preview)


def _add_serve(sub) -> None:
    sv = sub.add_parser("serve", help="build, then serve the channel on this network to try it on a Roku",
                        description="Build CHANNEL_DIR and serve it over HTTP with the right Content-Types; the feed's "
                                    "URLs point at this server. Prints the FEED_URL for a channel's manifest.")
    sv.add_argument("channel_dir", metavar="CHANNEL_DIR", type=Path)
    sv.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0: the whole network)")
    sv.add_argument("--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)")
    sv.add_argument("--out", metavar="DIR", type=Path, help="output folder (default: CHANNEL_DIR/dist)")
    sv.add_argument("--render-jobs", "--jobs", dest="jobs", type=_threads, metavar="N",
                    help="render threads (default: CPU count); --jobs is the old spelling")
    sv.set_defaults(func=cmd_serve)


def _add_channel_art(sub) -> None:
    a = sub.add_parser("channel-art", help="render the SDK channel's icons, splash screens and logos from one image",
                       description="Render mm_icon_focus_fhd/hd, splash_screen_fhd/hd/sd, the overhang logo and "
                                   "the store poster from LOGO_OR_IMAGE, and print the manifest lines. A logo with "
                                   "transparency is centred on --background; a picture fills each frame.")
    a.add_argument("image", metavar="LOGO_OR_IMAGE", type=Path)
    a.add_argument("--background", type=_color, default="#000000", metavar="COLOR", help="background colour, e.g. \"#14213d\" (default black)")
    a.add_argument("--out", type=Path, default=Path("images"), metavar="DIR", help="output folder (default ./images)")
    a.set_defaults(func=cmd_channel_art)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="roku-packager", description=(
        "Turn a channel folder of articles and photos into a validated Roku Direct Publisher "
        "feed with 16:9 artwork, and publish it to S3 or a folder."),
        epilog="Exit codes: 0 ok; 1 failed (invalid feed, nothing valid to write, publish failed, "
               "--strict with skipped articles); 2 usage error or unreadable input; 3 internal "
               "error (please report); 130 interrupted (Ctrl-C); 143 terminated (SIGTERM).")
    p.add_argument("--version", action="version", version=f"roku-packager {__version__}")
    p.add_argument("--debug", action="store_true", help="show the traceback of an internal error (any position)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _add_build(sub)
    _add_init(sub)
    _add_validate(sub)
    _add_diff(sub)
    _add_migrate(sub)
    _add_publish(sub)
    _add_history(sub)
    _add_rollback(sub)
    _add_unlock(sub)
    _add_preview(sub)
    _add_serve(sub)
    _add_channel_art(sub)
    _channel_app_parsers(sub)
    return p

def _internal_error(e: BaseException, debug: bool) -> int:
    if debug:
        traceback.print_exception(e)
    detail = excerpt(str(e), 120) if str(e) else ""
    say(f"internal error, please report: {type(e).__name__}{': ' + detail if detail else ''}"
         f"{'' if debug else ' (run again with --debug for the details)'}")
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> int:
    """Every way out is one line and a documented exit code; a traceback only with --debug."""
    argv = list(sys.argv[1:] if argv is None else argv)
    end = argv.index("--") if "--" in argv else len(argv)
    debug = "--debug" in argv[:end]
    if debug:  # a global flag, accepted before or after the command
        argv = [a for a in argv[:end] if a != "--debug"] + argv[end:]
    try:
        args = make_parser().parse_args(argv)
        return args.func(args)
    except PackagerError as e:
        return exit_code(e)
    except KeyboardInterrupt:
        say("interrupted; the previous output and live feed are unchanged")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_OK
    except SystemExit:
        raise
    except BaseException as e:  # a bug (or MemoryError, RecursionError): one line, not a traceback
        try:
            return _internal_error(e, debug)
        except KeyboardInterrupt:
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
