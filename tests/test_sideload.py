"""`roku-packager sideload` against a stand-in for a Roku's development installer: a real
HTTP server on 127.0.0.1 that enforces digest auth (user rokudev, qop=auth, MD5) as the
device does, parses the multipart upload and checks it is the channel zip, and serves a
screenshot through /plugin_inspect. Wrong password, unreachable device and a device not in
developer mode each get their own one-line message."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import io
import re
import secrets
import shutil
import socket
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ROOT

from packager.sideload import Device, SideloadError, install

PASSWORD = "s3cret pass"
SCREEN = b"\xff\xd8\xff\xe0" + b"fake jpeg from the device" + b"\xff\xd9"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class Installer(BaseHTTPRequestHandler):
    """What a Roku in developer mode answers on port 80."""
    password = PASSWORD
    answer = "Install Success."
    received: list = []
    nonces: set = set()
    posts: list = []

    def log_message(self, *args):
        return

    def _challenge(self):
        nonce = secrets.token_hex(16)
        self.nonces.add(nonce)
        self.send_response(401)
        self.send_header("WWW-Authenticate", f'Digest qop="auth", realm="rokudev", nonce="{nonce}"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        f = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
        if f.get("username") != "rokudev" or f.get("realm") != "rokudev" or f.get("nonce") not in self.nonces:
            return False
        if f.get("uri") != self.path or f.get("qop") != "auth":
            return False
        ha1 = _md5(f"rokudev:rokudev:{self.password}")
        ha2 = _md5(f"{self.command}:{f['uri']}")
        return f.get("response") == _md5(f"{ha1}:{f['nonce']}:{f['nc']}:{f['cnonce']}:auth:{ha2}")

    def _page(self, message: str, extra: str = "", code: int = 200):
        body = (f"<html><body><script>Shell.create('Roku.Message').trigger('Set message type', 'success')"
                f".trigger('Set message content', '{message}').trigger('Render', node);</script>{extra}"
                f"</body></html>").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _form(self) -> dict:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
        assert msg.is_multipart(), "the upload must be multipart/form-data"
        return {part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
                for part in msg.iter_parts()}

    def do_GET(self):  # noqa: N802
        if not self._authorized():
            return self._challenge()
        if self.path.startswith("/pkgs/dev.jpg"):
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(SCREEN)))
            self.end_headers()
            self.wfile.write(SCREEN)
            return
        self.send_error(404)

    def do_POST(self):  # noqa: N802
        self.posts.append(self.path)
        if not self._authorized():
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            return self._challenge()
        form = self._form()
        if self.path == "/plugin_install":
            if form.get("mysubmit") != b"Install" or not form.get("archive"):
                return self._page("Install Failure: no archive", code=400)
            with zipfile.ZipFile(io.BytesIO(form["archive"])) as z:
                names = z.namelist()
            if "manifest" not in names or "source/main.brs" not in names:
                return self._page("Install Failure: not a channel package")
            self.received.append(form["archive"])
            return self._page(self.answer)
        if self.path == "/plugin_inspect" and form.get("mysubmit") == b"Screenshot":
            return self._page("Screenshot ok", '<img src="pkgs/dev.jpg?time=1700000000">')
        self.send_error(404)


class NoInstaller(BaseHTTPRequestHandler):
    """A device whose port answers but has no development installer, and ECP stand-ins."""

    def log_message(self, *args):
        return

    def do_GET(self):  # noqa: N802
        if self.path == "/query/device-info":
            body = b"<device-info><developer-enabled>false</developer-enabled></device-info>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)

    def do_POST(self):  # noqa: N802
        self.send_error(404)


def _serve(handler, **attrs):
    cls = type(handler.__name__, (handler,), {"received": [], "nonces": set(), "posts": [], **attrs})
    server = ThreadingHTTPServer(("127.0.0.1", 0), cls)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cls


@pytest.fixture
def device():
    server, cls = _serve(Installer)
    yield f"127.0.0.1:{server.server_address[1]}", cls
    server.shutdown()


@pytest.fixture
def showcase(tmp_path):
    dest = tmp_path / "showcase"
    shutil.copytree(ROOT / "examples" / "showcase", dest, ignore=shutil.ignore_patterns("dist", "public"))
    return dest


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sideload_installs_the_channel_zip_and_saves_a_screenshot(cli, device, showcase, tmp_path):
    address, installer = device
    shot = tmp_path / "shots" / "home.jpg"
    r = cli("sideload", showcase, "--device", address, "--password", PASSWORD, "--screenshot", shot)
    assert r.code == 0, r
    assert r.out.splitlines()[0] == f"{address}: Install Success."
    assert PASSWORD not in r.out + r.err
    assert shot.read_bytes() == SCREEN
    # The device got exactly what `channel` writes.
    assert cli("channel", showcase, "--out", tmp_path / "app.zip").code == 0
    assert installer.received == [(tmp_path / "app.zip").read_bytes()]


def test_password_from_the_environment(cli, device, showcase, monkeypatch):
    address, installer = device
    monkeypatch.setenv("ROKU_DEV_PASSWORD", PASSWORD)
    r = cli("sideload", showcase, "--device", address)
    assert r.code == 0 and len(installer.received) == 1, r


def test_wrong_password(cli, device, showcase):
    address, installer = device
    r = cli("sideload", showcase, "--device", address, "--password", "not it")
    assert r.code == 1 and installer.received == [], r
    assert r.err.strip() == (f"roku-packager: {address} refused the password for user rokudev: use the one you set "
                             "when you turned on developer mode (--password or ROKU_DEV_PASSWORD)")
    assert "not it" not in r.err
    assert installer.posts == ["/plugin_install"] * 2  # challenged, refused: the upload isn't repeated


def test_no_password_is_a_usage_error(cli, showcase, monkeypatch):
    monkeypatch.delenv("ROKU_DEV_PASSWORD", raising=False)
    r = cli("sideload", showcase, "--device", "127.0.0.1")
    assert r.code == 2 and "--password P or ROKU_DEV_PASSWORD" in r.err, r


def test_unreachable_device(cli, showcase):
    port = _closed_port()
    r = cli("sideload", showcase, "--device", f"127.0.0.1:{port}", "--password", PASSWORD, "--timeout", "5")
    assert r.code == 1, r
    assert r.err.startswith(f"roku-packager: can't reach a Roku at 127.0.0.1:{port} (") and len(r.err.splitlines()) == 1


def test_not_in_developer_mode_port_closed_but_ecp_answers(showcase):
    """Developer mode off: port 80 is closed while ECP (8060) answers."""
    from packager.config import load_channel
    from packager.rokuapp import channel_zip

    ecp, _ = _serve(NoInstaller)
    try:
        with pytest.raises(SideloadError, match=r"is a Roku, but its development installer isn't answering: turn on developer mode"):
            install(Device("127.0.0.1", _closed_port()), PASSWORD, channel_zip(load_channel(showcase)), timeout=5,
                    ecp_port=ecp.server_address[1])
    finally:
        ecp.shutdown()


def test_not_in_developer_mode_no_installer(cli, showcase):
    server, _ = _serve(NoInstaller)
    try:
        r = cli("sideload", showcase, "--device", f"127.0.0.1:{server.server_address[1]}", "--password", PASSWORD)
    finally:
        server.shutdown()
    assert r.code == 1 and "turn on developer mode" in r.err and len(r.err.splitlines()) == 1, r


def test_device_refuses_the_package(cli, showcase):
    server, _ = _serve(Installer, answer="Install Failure: Compilation Failed.")
    try:
        r = cli("sideload", showcase, "--device", f"127.0.0.1:{server.server_address[1]}", "--password", PASSWORD)
    finally:
        server.shutdown()
    assert r.code == 1, r
    assert r.err.strip().endswith("did not install the channel: Install Failure: Compilation Failed.")


@pytest.mark.parametrize("text", ["", "http://roku", "roku:99999", "a b"])
def test_bad_device_address(text):
    with pytest.raises(SideloadError, match="HOST or HOST:PORT"):
        Device.parse(text)


def test_device_address():
    assert Device.parse("192.168.1.20") == Device("192.168.1.20", 80)
    assert str(Device.parse("roku.local:8080")) == "roku.local:8080"


# ---------------------------------------------------------------- hostile and careless (issue 26)

def one_line(r) -> str:
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    return lines[0]


@pytest.mark.parametrize("kind", ["http10", "close", "chunked", "silent"])
def test_a_trickling_device_cannot_stretch_the_timeout(cli, showcase, kind):
    import time

    from netservers import RawServer, slow_peer

    with RawServer(slow_peer(kind)) as peer:
        start = time.monotonic()
        r = cli("sideload", showcase, "--device", f"127.0.0.1:{peer.port}", "--password", PASSWORD, "--timeout", "2")
        elapsed = time.monotonic() - start
    assert r.code == 1 and "no complete answer within 2 s" in one_line(r), r
    assert elapsed < 6, (kind, elapsed)


def _raw_device(answer):
    from netservers import RawServer

    return RawServer(answer)


@pytest.mark.parametrize("name, answer, words", [
    ("garbage status line", lambda path, conn: conn.sendall(b"SPLAT 200 whatever\r\n\r\nhi"), "isn't HTTP"),
    ("a redirect elsewhere", lambda path, conn: conn.sendall(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n"),
     "HTTP 302 (to http://127.0.0.1:9/elsewhere): a Roku's development installer doesn't redirect"),
    ("an endless body", lambda path, conn: (conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"),
                                           [conn.sendall(b"<p>" * 65536) for _ in range(100)]),
     "more than 4,000,000 bytes"),
    ("a page that isn't the installer's", lambda path, conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Length: 27\r\n\r\n<html>router login</html>\r\n"), "did not confirm the install"),
    ("a login that isn't digest", lambda path, conn: conn.sendall(
        b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm="x"\r\nContent-Length: 0\r\n\r\n'),
     "asks for a login that isn't a Roku's"),
])
def test_an_answer_that_is_not_an_install_is_never_success(cli, showcase, name, answer, words):
    with _raw_device(answer) as peer:
        r = cli("sideload", showcase, "--device", f"127.0.0.1:{peer.port}", "--password", PASSWORD, "--timeout", "5")
    assert r.code == 1 and words in one_line(r), (name, r)
    assert r.out == ""


def test_the_same_package_again_is_success(cli, showcase):
    server, _ = _serve(Installer, answer="Application Received: Identical to previous version -- not replacing.")
    try:
        r = cli("sideload", showcase, "--device", f"127.0.0.1:{server.server_address[1]}", "--password", PASSWORD)
    finally:
        server.shutdown()
    assert r.code == 0 and "Identical to previous version" in r.out, r


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e300", "0", "soon"])
def test_sideload_timeout_must_be_a_positive_finite_number(cli, showcase, value):
    r = cli("sideload", showcase, "--device", "127.0.0.1:9", "--password", PASSWORD, f"--timeout={value}")
    assert r.code == 2 and "positive number of seconds" in r.err, r


@pytest.mark.parametrize("text", ["", "http://roku", "roku:99999", "a b", "roku:0", "x" * 300, "roku\0", "\ud800"])
def test_bad_device_values_are_usage_errors(cli, showcase, text):
    r = cli("sideload", showcase, "--device", text, "--password", PASSWORD)
    assert r.code == 2 and "HOST or HOST:PORT" in one_line(r), r


def test_screenshot_never_replaces_a_file_the_tool_did_not_write(cli, device, showcase, tmp_path):
    address, installer = device
    toml = showcase / "channel.toml"
    before = toml.read_bytes()
    r = cli("sideload", showcase, "--device", address, "--password", PASSWORD, "--screenshot", toml)
    assert r.code == 2 and "roku-packager did not write it" in one_line(r), r
    assert toml.read_bytes() == before and installer.received == []  # refused before the install
    # Its own screenshot, though, it may replace the next time.
    shot = tmp_path / "shots" / "home.jpg"
    for _ in range(2):
        r = cli("sideload", showcase, "--device", address, "--password", PASSWORD, "--screenshot", shot)
        assert r.code == 0 and shot.read_bytes() == SCREEN, r
    (tmp_path / "shots" / "mine.jpg").write_bytes(b"the user's")
    r = cli("sideload", showcase, "--device", address, "--password", PASSWORD, "--screenshot", tmp_path / "shots" / "mine.jpg")
    assert r.code == 2 and (tmp_path / "shots" / "mine.jpg").read_bytes() == b"the user's"


@pytest.mark.parametrize("where", ["folder", "under a file", "fifo", "long name"])
def test_screenshot_at_a_place_no_file_can_go_is_one_line_before_the_install(cli, device, showcase, tmp_path, where):
    import os

    address, installer = device
    target = {"folder": tmp_path, "under a file": showcase / "channel.toml" / "shot.jpg",
              "fifo": tmp_path / "fifo.jpg", "long name": tmp_path / ("x" * 300 + ".jpg")}[where]
    if where == "fifo":
        os.mkfifo(target)
    r = cli("sideload", showcase, "--device", address, "--password", PASSWORD, "--screenshot", target)
    assert r.code == 2 and "--screenshot" in one_line(r), r
    assert installer.received == []
