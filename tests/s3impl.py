"""The second real S3 implementation for the publish tests: Ceph's RADOS Gateway, single
node, started once per test run by scripts/radosgw.sh (which scripts/test.sh installs).
Unlike moto it checks request signatures, Content-MD5 and the 1,000-key limit of
DeleteObjects."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "radosgw.sh"
ACCESS_KEY, SECRET_KEY = "rokupackager", "rokupackager-secret"
IMPLEMENTATIONS = ["moto", "radosgw"]

_state: dict = {}


def _start() -> str:
    missing = [b for b in ("radosgw", "ceph-mon", "ceph-osd") if shutil.which(b) is None]
    if missing:
        return "skip:" + (f"Ceph's {', '.join(missing)} not installed (scripts/test.sh installs them: "
                          "scripts/radosgw.sh install)")
    workdir = tempfile.mkdtemp(prefix="radosgw-")
    try:
        run = subprocess.run(["bash", str(SCRIPT), "start", workdir], capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        run = None
    atexit.register(lambda: (subprocess.run(["bash", str(SCRIPT), "stop", workdir], capture_output=True, timeout=60),
                             shutil.rmtree(workdir, ignore_errors=True)))
    if run is None or run.returncode != 0:
        detail = "timed out after 180 s" if run is None else (run.stderr.strip().splitlines() or ["no output"])[-1]
        return f"fail:radosgw did not start ({detail}); logs in {workdir}/log"
    return run.stdout.strip().splitlines()[-1]


def radosgw_endpoint() -> str:
    """The gateway's endpoint URL (started on first use); skips the test if Ceph isn't
    installed, fails it if Ceph is installed but won't start."""
    if "endpoint" not in _state:
        _state["endpoint"] = _start()
    endpoint = _state["endpoint"]
    if endpoint.startswith("skip:"):
        pytest.skip(endpoint[5:])
    if endpoint.startswith("fail:"):
        pytest.fail(endpoint[5:])
    # moto accepts any keys; the gateway only its user's.
    os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = ACCESS_KEY, SECRET_KEY
    return endpoint


def endpoint_for(kind: str, moto_endpoint: str) -> str:
    return moto_endpoint if kind == "moto" else radosgw_endpoint()


def make_bucket(endpoint: str, node_name: str):
    import hashlib
    import re

    import boto3

    slug = re.sub(r"[^a-z0-9-]+", "-", node_name.lower().replace("_", "-"))[:40].strip("-")
    name = f"b-{slug}-{hashlib.sha1(node_name.encode()).hexdigest()[:8]}"
    # A fresh session: the default one keeps the first credentials it found.
    client = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    return client, name
