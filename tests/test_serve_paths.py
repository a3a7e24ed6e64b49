"""`serve` answers only for the files of the served folder (issue 14, "serve"): the path is
decoded and normalised before every check; hidden files, listings and links out are 404;
malformed paths are 400 and never a traceback. A real server on 127.0.0.1."""

import http.client
import os
import socket
import threading

import pytest

from packager.serve import make_server

FEED = b'{"providerName": "x"}'


@pytest.fixture
def served(tmp_path, capfd):
    root = tmp_path / "dist"
    (root / "artwork" / "sub").mkdir(parents=True)
    (root / "artwork" / "a.jpg").write_bytes(b"\xff\xd8jpeg")
    (root / "artwork" / "sub" / "b.png").write_bytes(b"\x89PNGpng")
    (root / ".roku-packager-photos.json").write_text('{"/abs/path": [1, 2, 3]}')
    (root / ".roku-packager-output").write_text("{}")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.txt").write_text("secret")
    (root / "preview.html").write_text("<html>")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0")
    os.symlink(outside, root / "etclink")
    os.symlink(outside / "passwd", root / "passwd.jpg")
    os.symlink(root / "artwork" / "a.jpg", root / "inside.jpg")  # a link that stays inside: fine
    server, handler = make_server(root, "127.0.0.1", 0)
    handler.feed_body = FEED
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err, err


def get(port, path, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, body


def raw(port, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_the_channel_files_are_served(served):
    assert get(served, "/feed.json") == (200, FEED)
    assert get(served, "/artwork/a.jpg") == (200, b"\xff\xd8jpeg")
    assert get(served, "/artwork/sub/b.png?v=1") == (200, b"\x89PNGpng")
    assert get(served, "/artwork/%61.jpg") == (200, b"\xff\xd8jpeg")
    assert get(served, "/inside.jpg") == (200, b"\xff\xd8jpeg")
    assert get(served, "/artwork/a.jpg", "HEAD") == (200, b"")
    assert get(served, "/")[0] == 302


@pytest.mark.parametrize("path", [
    "/.roku-packager-photos.json", "/%2eroku-packager-photos.json", "/%2Eroku-packager-photos.json",
    "/artwork/../.roku-packager-photos.json", "/artwork/%2e%2e/.roku-packager-photos.json",
    "/.roku-packager-output", "/.hidden/x.txt", "/%2ehidden/x.txt", "/%2e/", "/.", "/./.roku-packager-output",
    "//.roku-packager-photos.json",
])
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_hidden_files_are_404(served, path, method):
    status, body = get(served, path, method)
    assert status == 404, (path, status, body)
    assert b"/abs/path" not in body and b"secret" not in body


@pytest.mark.parametrize("path", ["/artwork/", "/artwork", "/artwork/sub/", "/%61rtwork/"])
def test_no_directory_listings(served, path):
    status, body = get(served, path)
    assert status == 404 and b"a.jpg" not in body


@pytest.mark.parametrize("path", ["/etclink/passwd", "/passwd.jpg", "/%65tclink/passwd", "/../outside/passwd",
                                  "/%2e%2e/outside/passwd", "/artwork/%2e%2e/%2e%2e/outside/passwd"])
def test_links_and_dots_never_lead_out_of_the_folder(served, path):
    status, body = get(served, path)
    assert status in (400, 404) and b"root:" not in body


@pytest.mark.parametrize("path", ["/%00", "/a%00.jpg", "/%ff%fe.jpg", "/%", "/%zz", "/a\\..\\b", "/%0d%0aX:%20y", "/a%09b",
                                  "*", "http://evil/x", "/" + "a" * 5000])
def test_malformed_paths_are_400(served, path):
    status, _ = get(served, path)
    assert status in (400, 404, 414), (path, status)
    if "%00" in path or "%0d" in path or path in ("*", "http://evil/x") or "%ff" in path or path in ("/%", "/%zz"):
        assert status == 400, (path, status)


@pytest.mark.parametrize("request_bytes", [b"GET /%00 HTTP/1.1\r\n\r\n", b"GARBAGE\r\n\r\n", b"GET\r\n\r\n",
                                           b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n"])
def test_garbage_requests_get_an_answer_not_a_traceback(served, request_bytes):
    data = raw(served, request_bytes)
    assert data == b"" or data.startswith(b"HTTP/") or b"Error code" in data, data[:100]
    assert get(served, "/artwork/a.jpg")[0] == 200  # and the server goes on


@pytest.mark.parametrize("port", ["-1", "70000", "http"])
def test_serve_port_out_of_range_is_a_usage_error(cli, tmp_path, port):
    r = cli("serve", tmp_path, f"--port={port}")
    assert r.code == 2 and "port" in r.err
