"""A dead publish never blocks the next one. Faults come from a real HTTP proxy of our own
in front of the S3 server (500s, or connections dropped after the request reached the
server, from request N on, for every N); publishes are killed with SIGKILL mid-upload.
After each, a clean publish, history, rollback and prune run in a row, within one lease."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CHANNEL_TOML, ROOT, article_text, mark_as_built, photo

from packager.errors import PublishError
from packager.publish import LOCK_KEY, feed_references, list_versions, publish_tree, rollback
from packager.stores import open_store
from packager.validate import validate_bytes

BASE = "https://cdn.example.com/riverside/"
FAULTED_LEASE = 2.0  # the faulted publish's lease: what a clean publish may have to wait
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "expect", "proxy-connection", "te", "upgrade"}


class FaultProxy:
    """An HTTP proxy on 127.0.0.1 in front of `upstream`. From request `fail_from` on it
    answers 500 ("500"), or forwards the request and then drops the connection without an
    answer ("drop": the server did the work, the client never hears of it)."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream).netloc
        self.fail_from: int | None = None
        self.mode = "500"
        self.count = 0
        self.cut_gets = 0  # this many GET answers lose their body (headers sent, then the connection drops)
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                return None

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with proxy.lock:
                    proxy.count += 1
                    faulted = proxy.fail_from is not None and proxy.count >= proxy.fail_from
                    mode = proxy.mode
                if faulted and mode == "500":
                    payload = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    self.send_response(500)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if faulted:  # "drop": the request took effect; its answer is lost
                    self.close_connection = True
                    return
                with proxy.lock:
                    cut = self.command == "GET" and resp.status == 200 and data and proxy.cut_gets > 0
                    proxy.cut_gets -= 1 if cut else 0
                if cut:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.close_connection = True
                    return
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in HOP_BY_HOP | {"content-length", "date", "server"}:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def reset(self, fail_from: int | None = None, mode: str = "500") -> None:
        with self.lock:
            self.count, self.fail_from, self.mode = 0, fail_from, mode

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(s3_server):
    p = FaultProxy(s3_server)
    yield p
    p.close()


@pytest.fixture
def versions(versions_with_outputs):
    return versions_with_outputs


def _two_small_versions(folder: Path) -> None:
    """A one-story channel with the MRSS and Search feeds on (A), and a second story (B):
    every kind of object a publish writes, in few requests, for the walks below."""
    from packager.build import build

    channel = folder / "channel"
    (channel / "articles").mkdir(parents=True)
    toml = CHANNEL_TOML.replace('"https://cdn.test/tv/"', f'"{BASE}"')
    (channel / "channel.toml").write_text(toml + "\n[outputs]\nmrss = true\nsearch_feed = true\n")
    photo(channel / "photos" / "a.jpg")
    (channel / "articles" / "first.md").write_text(article_text(title="First story"))
    build(channel, out=folder / "A")
    (channel / "articles" / "second.md").write_text(article_text(title="Second story", date="2026-01-03T10:00:00+00:00"))
    build(channel, out=folder / "B")


@pytest.fixture
def small_versions(built_once) -> tuple[Path, Path]:
    folder = built_once("small-versions-with-outputs", _two_small_versions)
    return folder / "A", folder / "B"


def live_feed(client, bucket, prefix) -> bytes:
    """The live feed parses, validates, and every object it references exists."""
    live = client.get_object(Bucket=bucket, Key=f"{prefix}/feed.json")["Body"].read()
    assert validate_bytes(live).valid
    keys = {o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/")
            for o in page.get("Contents", [])}
    refs = feed_references(live, BASE)
    assert refs and all(f"{prefix}/{k}" in keys for k in refs)
    return live


def clean_round(s3_server, name, prefix, a, b, client) -> None:
    """A clean publish, history, rollback and a pruning publish, each within one lease
    of the faulted publish's (so none waits out a lock)."""
    store = open_store(f"s3://{name}/{prefix}", endpoint_url=s3_server)
    wait = FAULTED_LEASE + 3
    publish_tree(b, store, base_url=BASE, lock_wait=wait, log=lambda *_: None)
    assert live_feed(client, name, prefix) == (b / "feed.json").read_bytes()
    versions = list_versions(store)
    assert versions[-1].live and set(versions[-1].files) == {"feed.json", "feed.xml", "search-feed.json"}
    rollback(store, BASE, lock_wait=wait, log=lambda *_: None)
    assert live_feed(client, name, prefix) == (a / "feed.json").read_bytes()
    for doc in ("feed.xml", "search-feed.json"):
        assert client.get_object(Bucket=name, Key=f"{prefix}/{doc}")["Body"].read() == (a / doc).read_bytes()
    # B again, which the rollback took off the air: deliberately (--force).
    publish_tree(b, store, base_url=BASE, prune=True, prune_grace=0, lock_wait=wait, log=lambda *_: None, force=True)
    assert live_feed(client, name, prefix) == (b / "feed.json").read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["500", "drop"])
def test_faults_from_request_n_on_never_block_what_comes_next(small_versions, s3_server, bucket, proxy, mode):
    client, name = bucket
    a, b = small_versions
    # How many requests a publish of B over A makes, through the proxy without faults.
    publish_tree(a, open_store(f"s3://{name}/probe", endpoint_url=s3_server), base_url=BASE)
    proxy.reset()
    publish_tree(b, open_store(f"s3://{name}/probe", endpoint_url=proxy.url), base_url=BASE)
    total = proxy.count
    assert total >= 12
    outcomes = []
    for n in range(1, total + 2):
        prefix = f"f{mode}{n}"
        publish_tree(a, open_store(f"s3://{name}/{prefix}", endpoint_url=s3_server), base_url=BASE)
        proxy.reset(fail_from=n, mode=mode)
        faulted = open_store(f"s3://{name}/{prefix}", endpoint_url=proxy.url, retries=1)
        try:
            publish_tree(b, faulted, base_url=BASE, lease_seconds=FAULTED_LEASE, lock_wait=0, log=lambda *_: None)
            outcomes.append("ok")
        except PublishError as e:
            assert "\n" not in str(e)
            outcomes.append("failed")
        proxy.reset()
        assert live_feed(client, name, prefix) in ((a / "feed.json").read_bytes(), (b / "feed.json").read_bytes())
        clean_round(s3_server, name, prefix, a, b, client)
    assert outcomes[0] == "failed" and outcomes[-1] == "ok", outcomes


def _publisher(tree: Path, target: str, endpoint: str) -> subprocess.Popen:
    code = ("import sys; from pathlib import Path; from packager.publish import publish_tree; "
            "from packager.stores import open_store; "
            "publish_tree(Path(sys.argv[1]), open_store(sys.argv[2], endpoint_url=sys.argv[3]), "
            f"base_url={BASE!r}, jobs=2, log=lambda *_: None)")
    return subprocess.Popen([sys.executable, "-c", code, str(tree), target, endpoint], cwd=ROOT,
                            env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_mid_upload(proc: subprocess.Popen, client, name: str, prefix: str) -> None:
    """SIGKILL once the publish holds its lease and has uploaded some artwork."""

    def state():
        keys = {o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=name, Prefix=prefix + "/")
                for o in page.get("Contents", [])}
        try:
            lock = json.loads(client.get_object(Bucket=name, Key=f"{prefix}/{LOCK_KEY}")["Body"].read())
        except client.exceptions.NoSuchKey:
            lock = {}
        return sum("/artwork/" in k for k in keys), lock

    before, _ = state()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count, lock = state()
        if lock.get("pid") == proc.pid and not lock.get("released") and count >= before + 5:
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    count, lock = state()
    assert not lock["released"] and lock["pid"] == proc.pid


@pytest.fixture
def big_tree(built_example):
    """The example channel's build plus 300 extra artwork objects: an upload that takes a while."""
    out = built_example / "dist"
    for i in range(300):
        (out / "artwork" / f"extra{i:04d}.jpg").write_bytes(os.urandom(150_000))
    mark_as_built(out)
    return out


@pytest.mark.slow
def test_a_sigkilled_publish_frees_the_target_within_a_minute(big_tree, s3_server, bucket, cli, example_channel):
    client, name = bucket
    target = f"s3://{name}/killed"
    proc = _publisher(big_tree, target, s3_server)
    _kill_mid_upload(proc, client, name, "killed")
    # The dead publisher's lease is still live: unlock names it and asks for --force.
    target_args = ["--to", target, "--endpoint-url", s3_server]
    r = cli("unlock", example_channel, *target_args)
    assert r.code == 1 and f"pid {proc.pid}" in r.err and "--force" in r.err, r
    # Nobody types anything: the next publish waits for the lease to run out (30 s) and
    # goes ahead; lock_wait bounds that wait to the minute.
    lines = []
    publish_tree(big_tree, open_store(target, endpoint_url=s3_server), base_url=BASE, lock_wait=60, log=lines.append)
    assert any(f"pid {proc.pid}" in line for line in lines), lines
    assert live_feed(client, name, "killed") == (big_tree / "feed.json").read_bytes()

    # Killed again; this time someone releases the lock by hand at once.
    for i in range(300):
        (big_tree / "artwork" / f"second{i:04d}.jpg").write_bytes(os.urandom(150_000))
    mark_as_built(big_tree)
    proc = _publisher(big_tree, target, s3_server)
    _kill_mid_upload(proc, client, name, "killed")
    r = cli("unlock", example_channel, *target_args, "--force")
    assert r.code == 0 and "released the publish lock of publish by host" in r.out, r
    publish_tree(big_tree, open_store(target, endpoint_url=s3_server), base_url=BASE, lock_wait=0, log=lambda *_: None)
    r = cli("unlock", example_channel, *target_args)
    assert r.code == 0 and "no publish lock held" in r.out, r


def test_a_publish_that_loses_its_lease_stops_before_going_live(versions, s3_server, bucket, cli, example_channel):
    """unlock --force while a publish is uploading: the publish notices at its next
    renewal or check and leaves the live feed as it was."""
    client, name = bucket
    a, b = versions
    store = open_store(f"s3://{name}/forced", endpoint_url=s3_server)
    publish_tree(a, store, base_url=BASE)
    for i in range(12):
        (b / "artwork" / f"extra{i}.jpg").write_bytes(os.urandom(1000))
    mark_as_built(b)
    slow = open_store(f"s3://{name}/forced", endpoint_url=s3_server)
    forced = threading.Event()

    def stall(params, **kw):  # each artwork PUT waits until the lock was forced away
        if "/artwork/" in params["url_path"]:
            forced.wait(10)
            time.sleep(0.3)

    slow.client.meta.events.register("before-call.s3.PutObject", stall)
    result = {}
    t = threading.Thread(target=lambda: result.update(
        error=pytest.raises(PublishError, publish_tree, b, slow, base_url=BASE, lease_seconds=6, jobs=1, log=lambda *_: None)))
    t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        r = cli("unlock", example_channel, "--to", f"s3://{name}/forced", "--endpoint-url", s3_server, "--force")
        if "released the publish lock" in r.out:
            break
        time.sleep(0.05)
    forced.set()
    t.join(30)
    assert "took the publish lock" in str(result["error"].value) or "lease" in str(result["error"].value)
    assert live_feed(client, name, "forced") == (a / "feed.json").read_bytes()


def test_a_get_whose_body_is_cut_short_is_asked_again(s3_server, bucket, proxy):
    """A GET answered with its headers and then a dropped connection (a body cut short) is
    asked again; if every attempt is cut, one line names the object."""
    from packager.stores import BODY_READ_ATTEMPTS  # noqa: PLC0415

    client, name = bucket
    client.put_object(Bucket=name, Key="tv/.roku-packager/manifest.json", Body=b'{"version": 1, "objects": {}}')
    store = open_store(f"s3://{name}/tv", endpoint_url=proxy.url)
    proxy.cut_gets = BODY_READ_ATTEMPTS - 1
    assert store.get(".roku-packager/manifest.json") == b'{"version": 1, "objects": {}}'
    assert proxy.cut_gets == 0  # every cut answer was used
    proxy.cut_gets = BODY_READ_ATTEMPTS
    with pytest.raises(PublishError, match=r"manifest\.json"):
        store.get(".roku-packager/manifest.json")
