#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs the whole suite:
# Python packages (with moto for the S3 server), the BrightScript interpreter (npm, pinned
# by tests/roku/package-lock.json), Debian's Chromium for the browser tests and Ceph's
# RADOS Gateway for the second S3 implementation. The three installs run side by side.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's packages, in the background: Chromium, then Ceph (apt takes one at a time).
(
  if ! command -v chromium >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get install -y -q chromium >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
  fi
  bash scripts/radosgw.sh install || echo "scripts/test.sh: Ceph radosgw could not be installed; its publish tests will be skipped" >&2
) &
apt_job=$!
(cd tests/roku && npm ci --no-audit --no-fund --loglevel=error) &
npm_job=$!

python3 -m venv .venv
# uv installs the test extras in seconds (pip takes over a minute); pip if uv can't be had.
if .venv/bin/pip install -q --disable-pip-version-check uv==0.13.9 2>/dev/null; then
  .venv/bin/uv pip install -q --python .venv/bin/python -e '.[test]'
else
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
fi
wait "$npm_job"
wait "$apt_job"

.venv/bin/ruff check --quiet packager tests scripts
# Two workers per core: many tests mostly wait (for a lease to lapse, a browser, a slow
# peer), so the cores stay busy. ROKU_TEST_WORKERS=0 runs the suite in this process.
exec .venv/bin/python -m pytest -q -n "${ROKU_TEST_WORKERS:-$(($(nproc) * 2))}" --dist worksteal "$@"
