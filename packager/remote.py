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
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from packager.errors import excerpt

CACHE_DIR = ".roku-packager-cache/remote"
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 40 * 1024 * 1024
TIMEOUT = 30.0  # a photo or a source feed: the whole transfer, redirects included
MAX_REDIRECTS = 5
SCHEMES = ("http", "https")
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class RemoteError(Exception):
    """A fetch that failed or was refused; the message names the URL."""


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
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{value!r} must be a positive number of seconds")
    return float(value)


def fetch(url: str, max_bytes: int, timeout: float, headers: dict[str, str] | None = None,
          method: str = "GET") -> Response:
    """GET (or HEAD) `url` within `timeout` seconds in all (connection, redirects, body).
    Answers other than 2xx/304 and every failure are RemoteError."""
    timeout = check_timeout(timeout)
    deadline = time.monotonic() + timeout
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        resp = _get_once(current, max_bytes, deadline, timeout, headers or {}, method)
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
            current = target
            continue
        if resp.status == 304 or 200 <= resp.status < 300:
            return resp
        raise RemoteError(f"{show(url)}: the server answered HTTP {resp.status}")
    raise RemoteError(f"{show(url)}: more than {MAX_REDIRECTS} redirects; refused")


def _get_once(url: str, max_bytes: int, deadline: float, timeout: float, headers: dict[str, str],
              method: str = "GET") -> Response:
    import http.client  # noqa: PLC0415 (only when fetching: 20 ms kept off every command's start-up)

    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
    except ValueError as e:
        raise RemoteError(f"{show(url)}: not a valid URL ({e})") from None
    if scheme not in SCHEMES:
        raise RemoteError(f"{show(url)}: only http(s) URLs are fetched")
    if not host:
        raise RemoteError(f"{show(url)}: the URL has no host")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RemoteError(f"{show(url)}: can't fetch: no answer within the timeout of {timeout:g} s")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if any(c in target or c in host for c in "\r\n\0 ") or not target.isascii():
        raise RemoteError(f"{show(url)}: the URL has characters that must be percent-encoded")
    conn, target = _connection(scheme, host, port, target, remaining)
    expired = threading.Event()

    def cut():  # the deadline: whatever the connection is waiting for, it stops now
        expired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing left to wait for
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    timer = threading.Timer(remaining, cut)
    timer.daemon = True
    timer.start()
    try:
        conn.request(method, target, headers={"User-Agent": "roku-packager", "Accept-Encoding": "identity", **headers})
        resp = conn.getresponse()
        status = resp.status
        got = {k.lower(): v for k, v in resp.getheaders()}
        body = b""
        if method == "GET" and status not in (301, 302, 303, 304, 307, 308) and 200 <= status < 300:
            declared = got.get("content-length", "").strip()
            if declared.isdigit() and int(declared) > max_bytes:
                raise RemoteError(f"{show(url)}: {excerpt(int(declared), 30)} bytes is over the limit of {max_bytes:,}")
            chunks, size = [], 0
            while size <= max_bytes:
                chunk = resp.read(min(65536, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > max_bytes:
                raise RemoteError(f"{show(url)}: more than {max_bytes:,} bytes; refused")
            body = b"".join(chunks)
        if expired.is_set():
            raise TimeoutError
        return Response(url, status, got, body)
    except RemoteError:
        raise
    except (http.client.HTTPException, OSError, ValueError, UnicodeError) as e:
        if expired.is_set() or isinstance(e, TimeoutError):
            raise RemoteError(f"{show(url)}: can't fetch: no complete answer within the timeout of {timeout:g} s") from None
        reason = getattr(e, "reason", None) or getattr(e, "strerror", None) or f"{type(e).__name__}: {excerpt(str(e), 80)}"
        raise RemoteError(f"{show(url)}: can't fetch: {reason}") from None
    finally:
        timer.cancel()
        conn.close()


def _connection(scheme: str, host: str, port: int | None, target: str, timeout: float):
    """A connection to the server, or through the proxy the environment names (HTTP_PROXY,
    HTTPS_PROXY, NO_PROXY), as urllib would; returns it with the request target to send."""
    import http.client  # noqa: PLC0415 (only when fetching)
    import urllib.request  # noqa: PLC0415 (only when fetching)

    kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return kind(host, port, timeout=timeout), target
    p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
    if not p.hostname:
        raise RemoteError(f"the {scheme}_proxy setting {show(proxy)} names no host")
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
    def __init__(self, channel_root: Path, timeout: float = TIMEOUT):
        self.dir = channel_root / CACHE_DIR
        self.timeout = timeout
        self.lock = threading.Lock()
        try:
            self.index = json.loads((self.dir / "index.json").read_text())
        except (OSError, ValueError):
            self.index = {}

    def fetch(self, url: str, max_bytes: int, suffix: str = "") -> Path:
        """Download (or revalidate) `url` into the cache; returns the local file."""
        entry = self.index.get(url)
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
