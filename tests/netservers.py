"""Real servers on 127.0.0.1 for the network tests: a raw socket server that answers each
request with whatever bytes a test scripts (garbage status lines, drips, endless bodies),
and an FTP-ish listener that records anything a client sends it."""

from __future__ import annotations

import socket
import threading
import time


class RawServer:
    """answer(path, conn) writes the raw reply for a request to `path` on socket `conn`."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._stop = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn):
        with conn:
            conn.settimeout(30)
            data = b""
            try:
                while b"\r\n\r\n" not in data and len(data) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                path = line.split(" ")[1] if line.count(" ") >= 2 else "/"
                self.requests.append(path)
                self.answer(path, conn)
            except OSError:
                return  # the client gave up (a deadline, a size limit): that's the point

    def close(self):
        self._stop = True
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FtpListener:
    """Greets like an FTP server and records every byte a client sends."""

    def __init__(self):
        self.received = bytearray()
        self.connections = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                try:
                    conn.sendall(b"220 ftp ready\r\n")
                    while chunk := conn.recv(4096):
                        self.received += chunk
                        conn.sendall(b"331 password please\r\n" if chunk.startswith(b"USER") else b"230 ok\r\n")
                except OSError:
                    continue

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def reply(conn, status=b"HTTP/1.1 200 OK", headers=(), body=b""):
    head = status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"Connection: close\r\n\r\n"
    conn.sendall(head + body)


def drip(conn, byte=b" ", every=0.5, total=60.0):
    """A byte every `every` seconds for `total` seconds: no single read ever times out."""
    end = time.monotonic() + total
    while time.monotonic() < end:
        conn.sendall(byte)
        time.sleep(every)


# ---------------------------------------------------------------- slow peers (issue 26)
# How a server can hold a client that only has per-read timeouts: each kind sends a byte
# every `every` seconds (or nothing at all) for `total` seconds. Every fetcher, sideload and
# the Dask client must give up at their deadline against each of them.
SLOW_PEERS = ("http10", "close", "chunked", "keepalive", "headers", "silent")


def slow_peer(kind: str, every: float = 0.5, total: float = 20.0):
    """An answer for RawServer that trickles the response in the way `kind` names."""
    heads = {
        "http10": b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{",
        "close": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{",
        "chunked": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
        "keepalive": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
        "headers": b"HTTP/1.1 200 OK\r\nX-Slow: ",
        "silent": b"",
    }
    drops = {"chunked": b"1\r\n \r\n", "headers": b"x"}

    def answer(path, conn):
        conn.sendall(heads[kind])
        if kind == "silent":
            time.sleep(total)
            return
        drip(conn, drops.get(kind, b" "), every=every, total=total)
    return answer


class SilentListener:
    """Accepts connections and never says a word (a port held by something that isn't the
    server the client expects, or a hung one); with `trickle`, sends that byte every half
    second instead, never reading what the client says."""

    def __init__(self, trickle: bytes | None = None):
        self.trickle = trickle
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)  # kept open, never read, never answered
            if self.trickle:
                threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn):
        try:
            drip(conn, self.trickle, every=0.5, total=20)
        except OSError:
            return

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
