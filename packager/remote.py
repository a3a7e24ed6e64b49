"""Fetching over the network, only where a channel allows it, and only what was asked for:
http(s) only (redirects too, at most MAX_REDIRECTS), a size limit read from the first bytes,
and a deadline for the whole transfer that a slow server can't stretch. A cache keyed by URL
and ETag keeps an unchanged file from being downloaded again."""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from packager.errors import FeedReadError, excerpt

CACHE_DIR = ".roku-packager-cache/remote"
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 40 * 1024 * 1024
TIMEOUT = 30.0  # a photo or a source feed: the whole transfer, redirects included
MAX_TIMEOUT = 86_400.0  # a day: any longer is a typo (and past what a timer can wait)
MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class RemoteError(Exception):
    """A fetch that failed or was refused; the message names the URL. `kind` says which way:
    "timeout", "connect" (no connection), "protocol" (not an HTTP answer), "size", or
    "refused" (anything else: a scheme, a status, a redirect)."""

    def __init__(self, message: str, kind: str = "refused"):
        super().__init__(message)
        self.kind = kind


def is_url(spec: str) -> bool:
    """Looks like a URL of any scheme (HTTP://, ftp://), as opposed to a file name."""
    return bool(_URL.match(spec))


def show(url: str) -> str:
    """The URL as it goes into a message: short and escaped when it isn't plain."""
    return url if len(url) <= 200 and url.isprintable() and url.isascii() else excerpt(url, 120)


@dataclass
class Response:
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    body: bytes


def check_timeout(value: float) -> float:
    if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0
            or value > MAX_TIMEOUT):
        raise ValueError(f"{excerpt(value, 30)} must be a positive number of seconds, at most {MAX_TIMEOUT:,.0f}")
    return float(value)


def fetch(url: str, max_bytes: int, timeout: float, headers: dict[str, str] | None = None,
          accept: tuple[int, ...] = (), method: str = "GET") -> Response:
    """GET (or HEAD) `url` within `timeout` seconds in all (connection, redirects, body). Answers
    other than 2xx/304 and every failure are RemoteError, except the statuses in `accept`,
    returned with their (bounded) body: an API's error object says what went wrong."""
    timeout = check_timeout(timeout)
    deadline = time.monotonic() + timeout
    current = url
    headers = dict(headers or {})
    for _ in range(MAX_REDIRECTS + 1):
        resp = _get_once(current, max_bytes, deadline, timeout, headers, accept, method)
        if resp.status in (301, 302, 303, 307, 308):
            location = resp.headers.get("location")
            if not location:
                raise RemoteError(f"{show(url)}: the server answered HTTP {resp.status} without a Location")
            try:
                target = urljoin(current, location.strip())
                scheme = urlsplit(target).scheme.lower()
            except ValueError:
                raise RemoteError(f"{show(url)}: redirected to {show(location)}, which is not a valid URL") from None
            if scheme not in SCHEMES:
                raise RemoteError(f"{show(url)}: redirected to {show(target)}; only http(s) redirects are followed")
            if _origin(target) != _origin(current):  # credentials stay with the server they were meant for
                headers = {k: v for k, v in headers.items() if k.lower() not in ("authorization", "cookie")}
            current = target
            continue
        if resp.status == 304 or 200 <= resp.status < 300 or resp.status in accept:
            return resp
        raise RemoteError(f"{show(url)}: the server answered HTTP {resp.status}")
    raise RemoteError(f"{show(url)}: more than {MAX_REDIRECTS} redirects; refused")


def request(url: str, max_bytes: int, timeout: float, method: str = "GET", body: bytes | None = None,
            headers: dict[str, str] | None = None, proxy: bool = True) -> Response:
    """One HTTP exchange within `timeout` seconds, whatever the server does: every answer
    comes back as it is (redirects are not followed, error pages are read), its body at most
    `max_bytes`. For talking to a device (`proxy=False`: it is on the local network)."""
    timeout = check_timeout(timeout)
    return _exchange(url, max_bytes, time.monotonic() + timeout, timeout, headers or {},
                     method=method, body=body, read_all=True, proxy=proxy)


def _origin(url: str) -> tuple:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.hostname, parts.port


def _get_once(url: str, max_bytes: int, deadline: float, timeout: float, headers: dict[str, str],
              accept: tuple[int, ...] = (), method: str = "GET") -> Response:
    return _exchange(url, max_bytes, deadline, timeout, headers, accept=accept, method=method)


def _exchange(url: str, max_bytes: int, deadline: float, timeout: float, headers: dict[str, str], *,
              method: str = "GET", body: bytes | None = None, read_all: bool = False, proxy: bool = True,
              accept: tuple[int, ...] = ()) -> Response:
    """The exchange runs on a thread of its own and this one waits for it until the deadline:
    no server can stretch that wait (a byte every second, a connection that never closes, a
    TLS handshake that never ends: socket timeouts only bound each read). At the deadline
    its sockets are shut, which ends the thread's reads, and the fetch fails."""
    scheme, host, port, target = _request_target(url)
    late = f"{show(url)}: can't fetch: no complete answer within the timeout of {timeout:g} s"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RemoteError(late, "timeout")
    conn, target = _connection(scheme, host, port, target, remaining, proxy)
    # Every socket the connection opens, recorded as it is made: http.client hands the socket
    # to the response and forgets it when the answer says it will close (HTTP/1.0,
    # Connection: close), so conn.sock alone can't be relied on to stop a transfer.
    sockets: list[socket.socket] = []
    make = conn._create_connection

    def recorded(*args, **kwargs):
        sock = make(*args, **kwargs)
        sockets.append(sock)
        return sock

    conn._create_connection = recorded
    outcome: dict = {}
    finished = threading.Event()

    def talk():
        try:
            conn.connect()
            sockets.append(conn.sock)  # https: the TLS socket that wraps the one recorded
            outcome["response"] = _talk(conn, url, method, target, body, headers, max_bytes, read_all, accept)
        except BaseException as e:  # handed to the waiting thread, which decides what it means
            outcome["error"] = e
        finally:
            conn.close()
            finished.set()

    def cut():
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed: nothing left to wait for
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    threading.Thread(target=talk, name="roku-packager-fetch", daemon=True).start()
    try:
        in_time = finished.wait(max(remaining, 0.001))
    except BaseException:  # Ctrl-C while waiting: the transfer stops too
        cut()
        raise
    if not in_time:
        cut()
        raise RemoteError(late, "timeout")
    error = outcome.get("error")
    if error is None:
        return outcome["response"]
    raise _explained(error, url, late) from None


def _request_target(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, path?query) of an http(s) URL that can go on a request line."""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as e:
        raise RemoteError(f"{show(url)}: not a valid URL ({e})") from None
    if scheme not in SCHEMES:
        raise RemoteError(f"{show(url)}: only http(s) URLs are fetched")
    if not host:
        raise RemoteError(f"{show(url)}: the URL has no host")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c in target or c in host for c in "\r\n\0 ") or not target.isascii():
        raise RemoteError(f"{show(url)}: the URL has characters that must be percent-encoded")
    return scheme, host, port, target


def _explained(error: BaseException, url: str, late: str) -> BaseException:
    """What the exchange's thread raised, as the RemoteError it means (anything else as is)."""
    import http.client  # noqa: PLC0415 (only when fetching: 20 ms kept off every command's start-up)

    if isinstance(error, RemoteError):
        return error
    if isinstance(error, (http.client.HTTPException, OSError, ValueError, UnicodeError)):
        if isinstance(error, TimeoutError):
            return RemoteError(late, "timeout")
        kind = "protocol" if isinstance(error, (http.client.HTTPException, ValueError, UnicodeError)) else "connect"
        reason = (getattr(error, "reason", None) or getattr(error, "strerror", None)
                  or f"{type(error).__name__}: {excerpt(str(error), 80)}")
        return RemoteError(f"{show(url)}: can't fetch: {reason}", kind)
    return error


def _talk(conn, url: str, method: str, target: str, body: bytes | None, headers: dict[str, str], max_bytes: int,
          read_all: bool, accept: tuple[int, ...] = ()) -> Response:
    conn.request(method, target, body=body,
                 headers={"User-Agent": "roku-packager", "Accept-Encoding": "identity", **headers})
    resp = conn.getresponse()
    status = resp.status
    got = {k.lower(): v for k, v in resp.getheaders()}
    data = b""
    if method != "HEAD" and (read_all or (status not in (301, 302, 303, 304, 307, 308) and (200 <= status < 300 or status in accept))):
        declared = got.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise RemoteError(f"{show(url)}: {excerpt(int(declared), 30)} bytes is over the limit of {max_bytes:,}",
                              "size")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = resp.read(min(65536, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise RemoteError(f"{show(url)}: more than {max_bytes:,} bytes; refused", "size")
        data = b"".join(chunks)
    return Response(url, status, got, data)


def _connection(scheme: str, host: str, port: int | None, target: str, timeout: float, proxy: bool = True):
    """A connection to the server, or through the proxy the environment names (HTTP_PROXY,
    HTTPS_PROXY, NO_PROXY), as urllib would; returns it with the request target to send."""
    import http.client  # noqa: PLC0415 (only when fetching)
    import urllib.request  # noqa: PLC0415 (only when fetching)

    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    proxy_url = urllib.request.getproxies().get(scheme) if proxy else None
    if not proxy_url or urllib.request.proxy_bypass(host):
        return kind(host, port, timeout=timeout), target
    p = urlsplit(proxy_url if "://" in proxy_url else "http://" + proxy_url)
    if not p.hostname:
        raise RemoteError(f"the {scheme}_proxy setting {show(proxy_url)} names no host")
    netloc = f"[{host}]" if ":" in host else host
    if scheme == "https":  # a CONNECT tunnel: the proxy never sees the request
        conn = kind(p.hostname, p.port or 8080, timeout=timeout)
        conn.set_tunnel(netloc, port or 443)
        return conn, target
    return http.client.HTTPConnection(p.hostname, p.port or 8080, timeout=timeout), \
        f"http://{netloc}{f':{port}' if port else ''}{target}"


def fetch_feed(url: str, timeout: float, max_bytes: int = MAX_FEED_BYTES) -> bytes:
    """A DP feed for `validate URL`: bounded like a source feed."""
    return fetch(url, max_bytes, timeout).body


# A video's size for a bitrate estimate: one HEAD request each, a few seconds at most.
HEAD_TIMEOUT = 5.0


class Fetcher:
    def __init__(self, channel_root: Path, timeout: float | None = None):
        self.dir = channel_root / CACHE_DIR
        self.timeout = TIMEOUT if timeout is None else timeout
        self.lock = threading.Lock()
        try:
            self.index = json.loads((self.dir / "index.json").read_text())
        except (OSError, ValueError):
            self.index = {}

    def fetch(self, url: str, max_bytes: int, suffix: str = "", revalidate: bool = True) -> Path:
        """Download (or revalidate) `url` into the cache; returns the local file. Without
        `revalidate`, a file already in the cache is used as it is (for URLs whose content
        never changes, such as a CMS's uploads), with no request."""
        entry = self.index.get(url)
        if not revalidate and entry and (self.dir / entry["file"]).is_file():
            return self.dir / entry["file"]
        headers = {}
        if entry and (self.dir / entry["file"]).is_file() and entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        resp = fetch(url, max_bytes, self.timeout, headers)
        if resp.status == 304:
            if entry:
                return self.dir / entry["file"]
            raise RemoteError(f"{show(url)}: the server answered HTTP 304 to a request that wasn't conditional")
        name = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32] + (
            suffix or re.sub(r"[^a-z0-9.]", "", Path(urlsplit(url).path).suffix.lower())[:6])
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{name}.{os.getpid()}.part"
        tmp.write_bytes(resp.body)
        os.replace(tmp, self.dir / name)
        with self.lock:
            self.index[url] = {"file": name, "etag": resp.headers.get("etag")}
            (self.dir / "index.json").write_text(json.dumps(self.index, sort_keys=True, indent=1))
        return self.dir / name

    def content_length(self, url: str) -> int:
        """The size a HEAD request for `url` declares (Content-Length), remembered in the
        cache index so a rebuild asks again only for URLs it has not seen. RemoteError when
        the server gives no size."""
        key = "HEAD " + url
        if key in self.index:
            size = self.index[key].get("length")
            if isinstance(size, int) and size > 0:
                return size
        resp = fetch(url, MAX_FEED_BYTES, min(self.timeout, HEAD_TIMEOUT), method="HEAD")
        declared = resp.headers.get("content-length", "").strip()
        if not declared.isdigit() or int(declared) <= 0:
            raise RemoteError(f"{show(url)}: the server gave no Content-Length")
        with self.lock:
            self.index[key] = {"length": int(declared)}
            self.dir.mkdir(parents=True, exist_ok=True)
            (self.dir / "index.json").write_text(json.dumps(self.index, sort_keys=True, indent=1))
        return int(declared)


# ---------------------------------------------------------------- a feed to read: path, '-' or URL

def read_feed_input(spec: str, timeout: float = 10.0) -> tuple[bytes, str]:
    """A path, '-' for stdin, or an http(s) URL -> (bytes, name for messages)."""
    if spec == "-":
        return _read_bounded(sys.stdin.buffer, "<stdin>"), "<stdin>"
    if is_url(spec):
        try:
            return fetch_feed(spec, timeout), spec
        except RemoteError as e:
            raise FeedReadError(str(e)) from None
    try:
        with open(spec, "rb") as f:  # a pipe is fine (validate <(curl ...)); /dev/zero is cut off
            return _read_bounded(f, spec), spec
    except FileNotFoundError:
        raise FeedReadError(f"{spec}: no such file") from None
    except IsADirectoryError:
        raise FeedReadError(f"{spec}: is a folder; give the feed file, e.g. {spec.rstrip('/')}/feed.json") from None
    except OSError as e:
        raise FeedReadError(f"{spec}: can't be read: {e.strerror or e}") from None


def _read_bounded(stream, name: str) -> bytes:
    """At most MAX_FEED_BYTES, the limit a fetched feed has: a device or an endless pipe is
    refused in one line, not read until memory runs out."""
    data = stream.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        raise FeedReadError(f"{name}: more than {MAX_FEED_BYTES:,} bytes; a DP feed is far smaller: "
                            "is this the feed file?")
    return data
