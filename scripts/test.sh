#!/usr/bin/env bash
# Installs everything the tests need on a fresh machine, then runs the whole suite:
# Python packages (with moto for the S3 server), the BrightScript interpreter (npm, pinned
# by tests/roku/package-lock.json), and Debian's Chromium for the preview's browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
(cd tests/roku && npm ci --no-audit --no-fund --loglevel=error)
if ! command -v chromium >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get install -y -q chromium >/dev/null 2>&1 || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q chromium >/dev/null; }
fi
bash scripts/radosgw.sh install || echo "scripts/test.sh: Ceph radosgw could not be installed; its publish tests will be skipped" >&2
.venv/bin/ruff check --quiet packager tests scripts
exec .venv/bin/python -m pytest -q "$@"
