"""Fetching over the network, only where a channel allows it: http(s) only, size limits,
timeouts, and a cache keyed by URL and ETag so an unchanged file is not downloaded again."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

CACHE_DIR = ".roku-packager-cache/remote"
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_PHOTO_BYTES = 40 * 1024 * 1024
TIMEOUT = 15.0


class RemoteError(Exception):
    """A fetch that failed or was refused; the message names the URL."""


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
        if urlsplit(url).scheme not in ("http", "https"):
            raise RemoteError(f"{url}: only http(s) URLs are fetched")
        entry = self.index.get(url)
        headers = {"User-Agent": "roku-packager"}
        if entry and (self.dir / entry["file"]).is_file() and entry.get("etag"):
            headers["If-None-Match"] = entry["etag"]
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                declared = resp.headers.get("Content-Length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise RemoteError(f"{url}: {int(declared):,} bytes is over the limit of {max_bytes:,}")
                data = resp.read(max_bytes + 1)
                if len(data) > max_bytes:
                    raise RemoteError(f"{url}: more than {max_bytes:,} bytes; refused")
                etag = resp.headers.get("ETag")
        except urllib.error.HTTPError as e:
            if e.code == 304 and entry:
                return self.dir / entry["file"]
            raise RemoteError(f"{url}: the server answered HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            raise RemoteError(f"{url}: can't fetch: {getattr(e, 'reason', None) or e} (timeout {self.timeout:g} s)") from None
        name = hashlib.sha256(url.encode()).hexdigest()[:32] + (suffix or Path(urlsplit(url).path).suffix.lower()[:6])
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{name}.{os.getpid()}.part"
        tmp.write_bytes(data)
        os.replace(tmp, self.dir / name)
        with self.lock:
            self.index[url] = {"file": name, "etag": etag}
            (self.dir / "index.json").write_text(json.dumps(self.index, sort_keys=True, indent=1))
        return self.dir / name
