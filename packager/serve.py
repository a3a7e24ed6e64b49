"""Serve a built channel on the local network, to try it on a Roku before it goes live.

The feed is served with its base URL rewritten to this server, so the device loads the
artwork (and clips) from here too; files get the Content-Types a CDN would send."""

from __future__ import annotations

import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


class ChannelHandler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES, ".html": "text/html; charset=utf-8"}
    feed_body: bytes = b""

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if any(part.startswith(".") for part in self.path.split("?", 1)[0].split("/")):
            self.send_error(404)  # build bookkeeping (and anything hidden) stays private
            return
        if self.path.split("?", 1)[0] in ("/" + FEED_NAME, "/"):
            if self.path.split("?", 1)[0] == "/":
                self.send_response(302)
                self.send_header("Location", "/preview.html")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPES[".json"])
            self.send_header("Content-Length", str(len(self.feed_body)))
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(self.feed_body)
            return
        super().do_GET()

    def log_message(self, fmt, *args):  # one quiet line per request on stderr
        import sys
        sys.stderr.write(f"  {self.address_string()} {fmt % args}\n")


def make_server(root: Path, host: str, port: int) -> tuple[ThreadingHTTPServer, type]:
    handler = type("Handler", (ChannelHandler,), {"feed_body": b""})
    return ThreadingHTTPServer((host, port), partial(handler, directory=str(root))), handler


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
