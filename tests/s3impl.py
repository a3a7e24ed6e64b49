"""The second real S3 implementation for the publish tests: Ceph's RADOS Gateway, single
node, started on first use by scripts/radosgw.sh (which scripts/test.sh installs) and shared
by every pytest-xdist worker of the run. Unlike moto it checks request signatures,
Content-MD5 and the 1,000-key limit of DeleteObjects."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
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


def _start() -> tuple[str, str | None]:
    """(the endpoint URL, the gateway's folder), or ("skip:why" or "fail:why", None)."""
    missing = [b for b in ("radosgw", "ceph-mon", "ceph-osd") if shutil.which(b) is None]
    if missing:
        return "skip:" + (f"Ceph's {', '.join(missing)} not installed (scripts/test.sh installs them: "
                          "scripts/radosgw.sh install)"), None
    workdir = tempfile.mkdtemp(prefix="radosgw-")
    try:
        run = subprocess.run(["bash", str(SCRIPT), "start", workdir], capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired:
        run = None
    if run is None or run.returncode != 0:
        subprocess.run(["bash", str(SCRIPT), "stop", workdir], capture_output=True, timeout=60)  # logs kept
        detail = "timed out after 180 s" if run is None else (run.stderr.strip().splitlines() or ["no output"])[-1]
        return f"fail:radosgw did not start ({detail}); logs in {workdir}/log", None
    return run.stdout.strip().splitlines()[-1], workdir


def _stop(workdir: str) -> None:
    subprocess.run(["bash", str(SCRIPT), "stop", workdir], capture_output=True, timeout=60)
    shutil.rmtree(workdir, ignore_errors=True)


def _state_path() -> Path:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    return Path(tempfile.gettempdir()) / f"roku-radosgw-{run}.json"


def forget_gateway() -> None:
    """At the end of the run (every worker gone): the state and lock files go too."""
    _state_path().unlink(missing_ok=True)
    _state_path().with_suffix(".lock").unlink(missing_ok=True)


@contextlib.contextmanager
def _shared_state():
    """The gateway's state file, under an exclusive lock: with pytest-xdist every worker of
    one run shares one gateway (the last worker to finish stops it)."""
    path = _state_path()
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(path.read_text()) if path.exists() else {"endpoint": None, "workdir": None, "users": 0}
        yield state
        if state["users"] or (state["endpoint"] or "").startswith(("skip:", "fail:")):
            path.write_text(json.dumps(state))
        else:
            path.unlink(missing_ok=True)


def _use_gateway() -> str:
    with _shared_state() as state:
        if state["endpoint"] is None:
            state["endpoint"], state["workdir"] = _start()
        if state["workdir"] is not None:
            state["users"] += 1
            _state["using"] = True
            atexit.register(leave_gateway)  # if the session never finishes
        return state["endpoint"]


def leave_gateway() -> None:
    """This process is done with the gateway (at the end of its session); the last user
    stops it."""
    if not _state.pop("using", False):
        return
    with _shared_state() as state:
        state["users"] -= 1
        if state["users"] <= 0 and state["workdir"] is not None:
            _stop(state["workdir"])
            state["endpoint"], state["workdir"], state["users"] = None, None, 0


def radosgw_endpoint() -> str:
    """The gateway's endpoint URL (started on first use); skips the test if Ceph isn't
    installed, fails it if Ceph is installed but won't start."""
    if "endpoint" not in _state:
        _state["endpoint"] = _use_gateway()
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
    key = (endpoint, os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY"))
    if key not in _clients:  # a session per server and keys: the default one keeps the first credentials it found
        _clients[key] = boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client = _clients[key]
    client.create_bucket(Bucket=name)
    return client, name


_clients: dict = {}
