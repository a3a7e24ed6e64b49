"""One place turns what happened into messages and an exit code: the lines every command
prints for a build (skipped articles, notes, warnings, the errors and the reason a build
failed), and which outcome means which exit code: the README's table of exit codes is this
module's, whole."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from packager.errors import ConfigError, FeedReadError, MissingVideo, PublishError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 143  # 128 + SIGTERM: what a shell reports for a process SIGTERM ended
PROG = "roku-packager"


def say(message: str) -> None:
    """A problem for the person at the terminal, one line (or one line per problem)."""
    if len(message) > 4000:  # a backstop: a message stays readable
        message = message[:4000] + "..."
    print(f"{PROG}: {message}", file=sys.stderr)


@dataclass(frozen=True)
class Problem:
    """One thing a build has to tell. kind: what it is about (channel: channel.toml or a
    source; article: one article; feed: what the feed left out; rule: a validator finding).
    severity: error (the feed can't be written as it is), skipped (one article left out),
    warning, note. origin: the article's file or the item id it is about ("" when the message
    names it itself); field: the key there (a front-matter name, or a JSON path in the feed);
    code: the validator's rule (DP...), or "missing-video" for an article skipped only for
    want of a video."""

    kind: str
    severity: str
    origin: str
    field: str | None
    message: str
    code: str | None = None

    def line(self) -> str:
        """The line on stderr, the same words in every command."""
        if self.kind == "rule":
            where = f" (item {self.origin})" if self.origin else ""
            return f"{self.severity}: {self.code} {self.field}{where}: {self.message}"
        where = "".join(f"{part}: " for part in (self.origin, self.field) if part)
        return f"{self.severity}: {where}{self.message}"

    def to_json(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "origin": self.origin or None, "field": self.field,
                "message": self.message, "code": self.code}


def problems(result) -> list[Problem]:
    """Everything a build has to tell, in the order it is printed: the channel's warnings,
    skipped articles, notes on the feed, the validator's warnings and errors."""
    out = [Problem("channel", "warning", "", None, w) for w in result.channel.warnings]
    out += [Problem("article", "skipped", e.source, e.field, e.detail, "missing-video" if isinstance(e, MissingVideo) else None)
            for e in result.skipped]
    out += [Problem("feed", "note", "", None, line) for line in result.notes.lines()]
    if result.report is not None:
        out += [Problem("rule", f.severity, f.item_id or "", f.path, f.message, f.code)
                for f in result.report.warnings + result.report.errors]
    return out


def build_lines(result) -> list[str]:
    """What a build has to tell, in the same words for build, publish, preview and serve:
    each problem's line, the validator's warnings grouped by rule (an imported library
    repeats one on hundreds of items)."""
    found = problems(result)
    lines = [p.line() for p in found if p.kind != "rule"]
    if result.report is not None:
        lines += grouped_findings(result.report.warnings)
        lines += [p.line() for p in found if p.kind == "rule" and p.severity == "error"]
    return lines


def build_json(result, code: int) -> dict:
    """`build --format json`: the feed written, its counts, every problem, the exit code."""
    return {"feed": str(result.feed_path), "items": result.item_count, "bytes": len(result.body),
            "skipped": len(result.skipped), "exit": code, "problems": [p.to_json() for p in problems(result)]}


SHOWN_IDS = 3


def grouped_findings(findings) -> list[str]:
    """Validator warnings, one line per rule: its first finding, and how many items more
    (an imported library repeats the same one on hundreds of items)."""
    by_code: dict[str, list] = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    lines = []
    for code, group in by_code.items():
        f = group[0]
        where = f" (item {f.item_id})" if f.item_id else ""
        line = f"warning: {code} {f.path}{where}: {f.message}"
        if len(group) > 1:
            ids = list(dict.fromkeys(g.item_id for g in group[1:] if g.item_id))
            shown = ", ".join(ids[:SHOWN_IDS]) + (f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else "")
            line += f"; the same {len(group) - 1} more time(s)" + (f" (items {shown})" if ids else "")
        lines.append(line)
    return lines


def print_build(result) -> None:
    for line in build_lines(result):
        print(line, file=sys.stderr)


def summary(result) -> str:
    n = result.item_count
    profile = result.report.profile if result.report is not None else "roku-template"
    return (f"wrote {result.feed_path} ({n} item{'s' * (n != 1)}, {len(result.body):,} bytes); "
            f"profile {profile}, {result.channel.feed.describe()}; {skipped_count(result)}")


def skipped_count(result) -> str:
    """The count of skipped articles, for a command's last line; articles skipped only for
    lacking a video (clips turned off) are counted apart, with the setting that carries them."""
    s = len(result.skipped)
    text = f"{s} article{'s' * (s != 1)} skipped"
    no_video = sum(1 for e in result.skipped if isinstance(e, MissingVideo))
    if no_video:
        text += f" ({no_video} for want of a video: [clips] render = \"missing\" makes a clip of each)"
    return text + (", listed above" if s else "")


def strict_failure(result, strict: bool, what: str = "") -> int | None:
    """--strict: any skipped article fails the command (warnings don't)."""
    if strict and result.skipped:
        say(f"--strict: {len(result.skipped)} article(s) were skipped{what}")
        return EXIT_FAILED
    return None


def report_exit(report) -> int:
    """validate: an invalid feed is a failure; warnings are not."""
    return EXIT_OK if report.valid else EXIT_FAILED


def failed(command: str, error: BaseException) -> int:
    """A command's work failed (not its input): one line naming the command."""
    say(f"{command}: {error}")
    return EXIT_FAILED


def terminated(signum=None, frame=None) -> None:
    """SIGTERM's handler where a command holds the publish lock (publish, rollback): one
    line, then unwind like an error, so the lock is released on the way out instead of
    running out; the live feed stays whole (feed.json goes up last)."""
    say("terminated (SIGTERM); the publish lock is released and the live feed is whole")
    raise SystemExit(EXIT_TERMINATED)


def exit_code(error: BaseException, context: str = "") -> int:
    """Print a user-facing error as one line and return its exit code."""
    from packager.writer import OutputError  # noqa: PLC0415 (kept off the start-up path)

    if getattr(error, "result", None) is not None:  # BuildFailed: what the build has to tell, then why
        print_build(error.result)
        say(f"{error}{context}" + _why(error.result))
        return EXIT_FAILED
    if isinstance(error, (ConfigError, FeedReadError, OutputError)):
        say(str(error))
        return EXIT_USAGE
    if isinstance(error, PublishError):
        say(f"publish failed: {error}")
        return EXIT_FAILED
    say(str(error))
    return EXIT_FAILED


def _why(result) -> str:
    """The reason no feed could be written, when the lines above don't make it obvious."""
    if result.report is not None and result.report.errors:
        return f": {len(result.report.errors)} validation error(s), listed above"
    if result.skipped and not result.articles:
        return f": all {len(result.skipped)} article(s) were skipped, see above"
    return ": the channel has no articles to package" if not result.skipped else ""


def format_text(report) -> str:
    """`validate`'s report as text: findings grouped by item, then the verdict."""
    lines = []
    groups: dict[str | None, list] = {}
    for f in report.findings:
        groups.setdefault(f.item_id, []).append(f)
    for item_id, findings in sorted(groups.items(), key=lambda kv: (kv[0] is not None, kv[0] or "")):
        lines.append(f"item {item_id}:" if item_id is not None else "feed:")
        for f in findings:
            lines.append(f"  {f.severity:<7} {f.code} {f.path}: {f.message}")
    n_e, n_w = len(report.errors), len(report.warnings)
    verdict = "valid" if report.valid else "INVALID"
    lines.append(f"{report.source}: {verdict} ({report.profile} profile): {n_e} error{'s' * (n_e != 1)}, {n_w} warning{'s' * (n_w != 1)}")
    return "\n".join(lines)
