"""Serve a built channel on the local network, to try it on a Roku before it goes live.

The feed is served with its base URL rewritten to this server, so the device loads the
artwork (and clips) from here too; files get the Content-Types a CDN would send. Only the
folder's own files are answered: no hidden files, no listings, no links leading out."""

from __future__ import annotations

import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote_to_bytes

from packager.publish import CONTENT_TYPES
from packager.writer import FEED_NAME


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class BadPath(Exception):
    """A request path that can't name a file: answered 400."""


def request_key(raw_path: str) -> str:
    """The request path, percent-decoded (UTF-8, strictly), without query or empty segments,
    as a key relative to the served folder ("" for the root). Raises BadPath for what no
    file can be called. "." and ".." stay in the key: like every name starting with a dot,
    they are 404, so no path climbs; links are checked when the file is read."""
    if not raw_path.startswith("/"):
        raise BadPath("the path must start with /")  # "*", absolute-form URLs
    path = raw_path.split("?", 1)[0].split("#", 1)[0]
    if re.search(r"%(?![0-9A-Fa-f]{2})", path):
        raise BadPath("a bad percent-escape")
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise BadPath("not UTF-8") from None
    if any(not c.isprintable() for c in decoded) or "\\" in decoded:
        raise BadPath("control characters or backslashes")
    return "/".join(part for part in decoded.split("/") if part)


class ChannelHandler(BaseHTTPRequestHandler):
    server_version = "roku-packager"
    root: Path = Path(".")
    feed_body: bytes = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self._answer(body=True)

    def do_HEAD(self):  # noqa: N802
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        try:
            key = request_key(self.path)
        except BadPath:
            self.send_error(400)
            return
        # Checked on the decoded key: %2e-encoded names are hidden too, and ".." never climbs.
        if any(part.startswith(".") for part in key.split("/")):
            self.send_error(404)  # build bookkeeping (and anything hidden) stays private
            return
        if key == "":
            self.send_response(302)
            self.send_header("Location", "/preview.html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if key == FEED_NAME:
            self._send(self.feed_body, CONTENT_TYPES[".json"], body, no_cache=True)
            return
        data = self._read(key)
        if data is None:
            self.send_error(404)
            return
        self._send(data, CONTENT_TYPES.get(Path(key).suffix.lower(), "application/octet-stream"), body)

    def _read(self, key: str) -> bytes | None:
        """The file's bytes, if `key` is a regular file whose real path (links followed) lies
        inside the served folder; None for folders (no listings), links out, and the missing."""
        root = self.root.resolve()
        try:
            path = (root / key).resolve()
            if not path.is_relative_to(root) or not path.is_file():
                return None
            return path.read_bytes()
        except (OSError, ValueError, RuntimeError):  # too long, a loop, unreadable: not there
            return None

    def _send(self, data: bytes, content_type: str, body: bool, no_cache: bool = False) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if no_cache:
            self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, fmt, *args):  # one quiet line per request on stderr, escaped
        line = fmt % args
        sys.stderr.write(f"  {self.address_string()} {line.encode('ascii', 'backslashreplace').decode()[:300]}\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # a client that hung up: one line, no traceback
        exc = sys.exc_info()[1]
        sys.stderr.write(f"  {client_address[0]} connection error: {type(exc).__name__}\n")


def make_server(root: Path, host: str, port: int) -> tuple[ThreadingHTTPServer, type]:
    handler = type("Handler", (ChannelHandler,), {"feed_body": b"", "root": Path(root)})
    return _Server((host, port), handler), handler


def local_feed(body: bytes, base_url: str, server_url: str) -> bytes:
    """The feed with every URL under base_url pointing at this server instead."""
    return body.replace(base_url.encode(), server_url.encode())


def start(root: Path, body: bytes, base_url: str, host: str = "0.0.0.0", port: int = 8080):
    """Start serving in a thread; returns (server, feed URL, the rewritten feed)."""
    server, handler = make_server(root, host, port)
    shown = lan_address() if host in ("0.0.0.0", "") else host
    server_url = f"http://{shown}:{server.server_address[1]}/"
    handler.feed_body = local_feed(body, base_url, server_url)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server_url + FEED_NAME, handler.feed_body
