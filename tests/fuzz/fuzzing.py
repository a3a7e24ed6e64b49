"""The fuzz suite's settings and bookkeeping. ROKU_FUZZ_PROFILE picks the hypothesis profile: "ci" (default: a bounded, repeatable run inside the normal suite) or "night"
(scripts/fuzz.py: many more examples, new ones each run). Cases tried are counted per
input kind; tests/conftest.py prints them at the end of a run, and ROKU_FUZZ_COUNTS=path
also writes them there as JSON (scripts/fuzz.py adds the rounds up)."""

from __future__ import annotations

import json
import os
from collections import Counter

from hypothesis import HealthCheck, settings

COUNTS: Counter = Counter()

settings.register_profile("fuzz-ci", max_examples=int(os.environ.get("ROKU_FUZZ_EXAMPLES", 60)), deadline=None,
                          derandomize=True, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz-night", max_examples=int(os.environ.get("ROKU_FUZZ_EXAMPLES", 1000)), deadline=None,
                          derandomize=False, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def fuzz_settings():
    """The settings for a fuzz property (applied as a decorator)."""
    return settings(settings.get_profile("fuzz-" + os.environ.get("ROKU_FUZZ_PROFILE", "ci")))


def tried(kind: str) -> None:
    COUNTS[kind] += 1


def report(write) -> None:
    write("fuzz cases tried: " + ", ".join(f"{k} {v}" for k, v in sorted(COUNTS.items())))
    path = os.environ.get("ROKU_FUZZ_COUNTS")
    if path:
        with open(path, "w") as fh:
            json.dump(dict(COUNTS), fh, sort_keys=True)


def run_cli(*args: str) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr), through UTF-8 streams that fail on
    what a real terminal or pipe would (a lone surrogate on stdout is an error, as it is
    for `roku-packager ... > file`; stderr escapes, as Python's own does)."""
    import contextlib
    import io

    from packager.cli import main

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as e:
            code = e.code
        out.flush()
        err.flush()
    return code, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()
