"""Request paths for `serve`, drawn by hypothesis and sent raw to a real server on
127.0.0.1: every answer is a status line (never a traceback), and a 200 is always one of
the served folder's own, visible files — never a hidden file, a listing or a file outside."""

import contextlib
import io
import os
import socket
import threading

import pytest
from fuzzing import fuzz_settings, tried
from hypothesis import given
from hypothesis import strategies as st

from packager.serve import make_server

FEED = b'{"providerName": "fuzz"}'
VISIBLE = {b"\xff\xd8jpeg-a", b"\x89PNG-b", b"<html>preview", FEED}
SECRET = b"SECRET"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("serve")
    root = base / "dist"
    (root / "artwork" / "sub").mkdir(parents=True)
    (root / "artwork" / "a.jpg").write_bytes(b"\xff\xd8jpeg-a")
    (root / "artwork" / "sub" / "b.png").write_bytes(b"\x89PNG-b")
    (root / "preview.html").write_bytes(b"<html>preview")
    (root / ".roku-packager-photos.json").write_bytes(SECRET + b" photos")
    (root / ".roku-packager-output").write_bytes(SECRET + b" marker")
    (root / ".git").mkdir()
    (root / ".git" / "config").write_bytes(SECRET + b" git")
    (base / "outside.txt").write_bytes(SECRET + b" outside")
    os.symlink(base, root / "up")
    os.symlink(base / "outside.txt", root / "out.jpg")
    server, handler = make_server(root, "127.0.0.1", 0)
    handler.feed_body = FEED
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        yield server.server_address[1], err
        server.shutdown()
        server.server_close()
    assert "Traceback" not in err.getvalue() and "connection error" not in err.getvalue(), err.getvalue()[-3000:]


SEGMENTS = st.sampled_from(["", ".", "..", "%2e", "%2E%2e", ".git", "config", "artwork", "sub", "a.jpg", "b.png",
                            "preview.html", "feed.json", "up", "outside.txt", "out.jpg", ".roku-packager-photos.json",
                            "%2eroku-packager-output", "%00", "%", "%zz", "%c0%ae", "%ff", "\\", "..\\", "%5c",
                            "%2f", "?x=1", "#f", ";", "%20", "a%2fb", "~"])
PATHS = st.one_of(
    st.lists(SEGMENTS, max_size=6).map(lambda parts: "/" + "/".join(parts)),
    st.text(max_size=60).map(lambda t: "/" + t),
    st.binary(max_size=60).map(lambda b: "/" + "".join(f"%{x:02x}" for x in b)),
)


def ask(port, method: str, target: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(method.encode() + b" " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


@fuzz_settings()
@given(path=PATHS, method=st.sampled_from(["GET", "HEAD"]))
def test_serve_answers_only_with_visible_files_inside(served, path, method):
    tried("serve request path")
    port, _ = served
    target = path.encode("utf-8", "surrogateescape").replace(b" ", b"%20").replace(b"\r", b"").replace(b"\n", b"")
    data = ask(port, method, target)
    assert SECRET not in data, (target, data[:300])
    head, _, body = data.partition(b"\r\n\r\n")
    assert data == b"" or data.startswith(b"HTTP/1."), data[:200]
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.") else None
    assert status in (None, 200, 302, 400, 404, 414), (target, head)
    if status == 200 and method == "GET":
        assert body in VISIBLE, (target, body[:200])
