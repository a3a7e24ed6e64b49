"""The fuzz suite (tests/fuzz/) for longer than CI runs it: rounds of the same properties
with the "night" hypothesis profile (new examples every round, failures kept in
.hypothesis/ and replayed first next time) until the minutes are up. Prints the cases tried
per input kind; exits 1 at the first failure, with hypothesis's falsifying example above.

    python scripts/fuzz.py --minutes 60 [--examples 300] [-k serve]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, required=True, help="keep starting rounds until this much time has passed")
    p.add_argument("--examples", type=int, default=300, help="examples per property per round (default 300)")
    p.add_argument("-k", dest="select", help="only the properties matching this pytest -k expression")
    args = p.parse_args()
    if args.minutes <= 0 or args.examples <= 0:
        p.error("--minutes and --examples must be positive")

    total: Counter = Counter()
    end = time.monotonic() + args.minutes * 60
    rounds = 0
    with tempfile.TemporaryDirectory() as tmp:
        counts_file = Path(tmp) / "counts.json"
        env = {**os.environ, "ROKU_FUZZ_PROFILE": "night", "ROKU_FUZZ_EXAMPLES": str(args.examples),
               "ROKU_FUZZ_COUNTS": str(counts_file)}
        while time.monotonic() < end:
            rounds += 1
            counts_file.unlink(missing_ok=True)
            cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/fuzz"]
            if args.select:
                cmd += ["-k", args.select]
            result = subprocess.run(cmd, cwd=ROOT, env=env)
            if counts_file.exists():
                total.update(json.loads(counts_file.read_text()))
            left = max(0.0, end - time.monotonic()) / 60
            print(f"round {rounds}: {'ok' if result.returncode == 0 else 'FAILED'}; {left:.1f} min left", flush=True)
            if result.returncode != 0:
                _print_counts(total, rounds)
                return 1
    _print_counts(total, rounds)
    return 0


def _print_counts(total: Counter, rounds: int) -> None:
    print(f"cases tried in {rounds} round{'s' * (rounds != 1)}:")
    for kind, n in sorted(total.items()):
        print(f"  {kind:<34} {n:>8,}")
    print(f"  {'total':<34} {sum(total.values()):>8,}")


if __name__ == "__main__":
    sys.exit(main())
