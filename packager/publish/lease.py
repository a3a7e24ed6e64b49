"""The lease: a lock object renewed while a publish, rollback or prune works, taken,
renewed and released by compare-and-swap, so two of them never interleave on one prefix;
and `unlock`, which releases it by hand."""

from __future__ import annotations

import json
import math
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timezone

from packager.errors import PublishError, excerpt
from packager.publish.layout import LOCK_KEY, _json

LEASE_SECONDS = 30.0


def _holder_text(holder: dict) -> str:
    when = datetime.fromtimestamp(holder.get("started", 0), timezone.utc).strftime("%H:%M:%S UTC")
    def text(key, default):
        value = holder.get(key, default)
        return value if isinstance(value, str) and value.isprintable() and len(value) <= 80 else excerpt(value, 40)
    return f"{text('command', 'publish')} by host {text('host', '?')}, pid {text('pid', '?')}, since {when}"


# A lease is renewed every ttl/3 and expires ttl after; one that claims to run for longer
# than this (beyond any clock skew) was not written by a publish.
LEASE_HORIZON = 24 * 3600.0
_LEASE_TIMES = ("started", "renewed", "expires")


def _parse_lock(raw: bytes, now: float | None = None) -> dict:
    """The lease in the lock object. Anything else there (not JSON, nested past the
    recursion limit, times that aren't numbers, a lease ending centuries from now) is not
    a lease a publish wrote: it is free, and "foreign" says why."""
    holder = _json(raw)
    if not isinstance(holder, dict):
        return {"released": True, "foreign": "it is not a JSON object"}
    now = time.time() if now is None else now
    for key in _LEASE_TIMES:
        value = holder.get(key, 0)
        if type(value) not in (int, float) or not math.isfinite(value) or not 0 <= value <= now + LEASE_HORIZON:
            return {"released": True, "foreign": f"its {key} is {excerpt(value, 30)}"}
    if not isinstance(holder.get("released", False), bool):
        return {"released": True, "foreign": f"its released is {excerpt(holder.get('released'), 30)}"}
    return holder


def _lease_free(holder: dict, now: float) -> bool:
    return bool(holder.get("released")) or holder.get("expires", 0) < now


class Lease:
    """One publish, rollback or prune per prefix at a time. The lock object holds a lease
    that expires `ttl` seconds after its last renewal; a background thread renews it every
    ttl/3 while the work goes on. Taking, renewing and releasing are compare-and-swap PUTs
    (If-None-Match: * to create, If-Match on the ETag to replace), so of two contenders
    exactly one wins, and a holder that dies (SIGKILL, a lost network) frees the target
    within `ttl` without anyone typing a command. Release writes a "released" lease rather
    than deleting, so it can never remove a lease someone else has taken since.

    Clocks: expiry is judged by the waiting machine's clock against the holder's; keep
    publishing hosts on NTP (a skew of s seconds shortens or lengthens the wait by s)."""

    def __init__(self, store, *, command: str = "publish", ttl: float = LEASE_SECONDS, wait: float = 60.0, log=print):
        self.store, self.command, self.ttl, self.wait, self.log = store, command, float(ttl), wait, log
        self.token = uuid.uuid4().hex
        self.started = time.time()
        self.seq = 0
        self.etag: str | None = None
        self.expires = 0.0
        self.lost: str | None = None
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _body(self, released: bool = False) -> bytes:
        now = time.time()
        self.seq += 1
        return json.dumps({"token": self.token, "host": socket.gethostname(), "pid": os.getpid(),
                           "command": self.command, "started": self.started, "renewed": now,
                           "expires": now + self.ttl, "ttl": self.ttl, "seq": self.seq,
                           "released": released}).encode()

    def _ours(self) -> str | None:
        """The lock's ETag if the stored lease is exactly the one we last wrote (a PUT whose
        reply was lost may have landed, and its retry then fails its own condition)."""
        got = self.store.get_with_etag(LOCK_KEY)
        if got is None:
            return None
        holder = _parse_lock(got[0])
        return got[1] if holder.get("token") == self.token and holder.get("seq") == self.seq else None

    def __enter__(self):
        deadline = time.monotonic() + self.wait
        announced = False
        while True:
            got = self.store.get_with_etag(LOCK_KEY)
            holder = _parse_lock(got[0]) if got else None
            if holder is not None and holder.get("token") == self.token and not holder.get("released"):
                etag = got[1]  # our own earlier PUT landed though its reply was lost
            elif holder is None or _lease_free(holder, time.time()):
                if holder is not None and holder.get("foreign"):
                    self.log(f"the publish lock {self.store.describe(LOCK_KEY)} is not a lease roku-packager wrote "
                             f"({holder['foreign']}); taking it over")
                elif holder is not None and not holder.get("released"):
                    ago = time.time() - holder.get("expires", 0)
                    self.log(f"taking over an expired publish lease ({_holder_text(holder)}; expired {ago:.0f} s ago)")
                try:
                    self.store.put_conditional(LOCK_KEY, self._body(), if_match=got[1] if got else None)
                    # Read it back: the lease is ours only if what is stored is what we wrote
                    # (a lost reply may hide a success; a store that ignores the conditions
                    # lets the last writer win, and this makes the earlier one wait).
                    etag = self._ours()
                except PublishError:
                    self._abandon()
                    raise
            else:
                etag = None
                if time.monotonic() >= deadline:
                    left = holder.get("expires", 0) - time.time()
                    raise PublishError(
                        f"another {_holder_text(holder)} holds {self.store.describe()}; its lease "
                        f"expires in {max(left, 0):.0f} s unless renewed. Try again later; if that process "
                        f"is gone, `roku-packager unlock CHANNEL_DIR --force` releases it")
                if not announced:
                    self.log(f"waiting for another {_holder_text(holder)} to finish...")
                    announced = True
            if etag is not None:
                self.etag, self.expires = etag, time.time() + self.ttl
                self._thread = threading.Thread(target=self._renew_loop, name="publish-lease", daemon=True)
                self._thread.start()
                return self
            time.sleep(min(0.5, max(self.ttl / 10, 0.05)))

    def _abandon(self) -> None:
        """Taking the lease failed half-way: if our lease landed, release it."""
        try:
            etag = self._ours()
            if etag is not None:
                self.store.put_conditional(LOCK_KEY, self._body(released=True), if_match=etag)
        except PublishError:
            self.log(f"warning: a publish lease may be left at {self.store.describe(LOCK_KEY)}; "
                     f"it frees itself within {self.ttl:.0f} s")

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            with self._mutex:
                if self._stop.is_set() or self.lost:
                    return
                try:
                    etag = self.store.put_conditional(LOCK_KEY, self._body(), if_match=self.etag)
                    if etag is None:
                        etag = self._ours()
                    if etag is None:
                        self.lost = "another process took the publish lock (unlock --force?)"
                        return
                    self.etag, self.expires = etag, time.time() - 1 + self.ttl
                except PublishError as e:
                    if time.time() > self.expires:
                        self.lost = f"could not renew the publish lease: {e}"
                        return

    def check(self) -> None:
        """Raise unless the lease is certainly still ours: called before each step that
        changes what the live feed is or deletes anything."""
        if self.lost is None and time.time() > self.expires:
            self.lost = "the publish lease could not be renewed in time"
        if self.lost:
            raise PublishError(f"{self.lost}; stopped before changing the live feed further")

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.ttl)
        with self._mutex:
            if self.lost or self.etag is None:
                return False
            for attempt in range(3):
                try:
                    if self.store.put_conditional(LOCK_KEY, self._body(released=True), if_match=self.etag) is None:
                        self._ours()  # taken over meanwhile, or our release already landed
                    return False
                except PublishError:
                    time.sleep(0.2 * (attempt + 1))
        self.log(f"warning: could not release the publish lock {self.store.describe(LOCK_KEY)}; "
                 f"it frees itself within {self.ttl:.0f} s")
        return False


def unlock(store, force: bool = False) -> str:
    """Release the lock by hand (`roku-packager unlock`): at once if its lease has expired,
    only with force while it is live (the holder then stops before its next live change)."""
    got = store.get_with_etag(LOCK_KEY)
    if got is None:
        return f"no publish lock at {store.describe()}"
    holder = _parse_lock(got[0])
    foreign = holder.get("foreign")
    if holder.get("released") and not foreign:
        return f"no publish lock held at {store.describe()}"
    now = time.time()
    left = holder.get("expires", 0) - now if not foreign else 0.0
    if left > 0 and not force:
        raise PublishError(f"the lock is held by a running {_holder_text(holder)}; its lease was renewed "
                           f"{now - holder.get('renewed', now):.0f} s ago and expires in {left:.0f} s. "
                           "If that process is gone it frees itself by then; pass --force to release it now "
                           "(a running publish then stops before changing the live feed)")
    body = json.dumps({"token": "unlock", "host": socket.gethostname(), "pid": os.getpid(), "command": "unlock",
                       "started": now, "renewed": now, "expires": now, "released": True}).encode()
    if store.put_conditional(LOCK_KEY, body, if_match=got[1]) is None:
        raise PublishError("the lock changed while releasing it (its holder renewed it); run unlock again")
    if foreign:
        return f"released {store.describe(LOCK_KEY)}: it was not a lease roku-packager wrote ({foreign})"
    state = f"expired {-left:.0f} s ago" if left <= 0 else f"live for {left:.0f} s more"
    return f"released the publish lock of {_holder_text(holder)} ({state})"
