"""A deadline holds whatever the peer does (issue 26): every fetcher (validate URL, diff URL,
a remote photo, RSS and dp-feed sources), sideload and the Dask client, against real servers
on 127.0.0.1 that trickle an answer a byte at a time over HTTP/1.0, HTTP/1.1 with
`Connection: close`, chunked or keep-alive, trickle the headers, or never answer at all.
Deadlines here are 2 s; each peer would keep a per-read timeout alive for 20 s."""

from __future__ import annotations

import json
import time

import pytest
from conftest import CHANNEL_TOML
from feeds import full_feed
from netservers import SLOW_PEERS, RawServer, reply, slow_peer
from test_remote import jpeg_bytes, one_line, photo_channel

import packager.remote
from packager.remote import RemoteError, fetch, request

FEED = json.dumps(full_feed()).encode()
BOUND = 6.0  # a 2 s deadline, with room for a slow shared machine; the peers trickle for 20 s


def peer_and_files(kind):
    jpeg = jpeg_bytes()

    def answer(path, conn):
        if path == "/feed.json":
            reply(conn, headers=[b"Content-Length: %d" % len(FEED)], body=FEED)
        elif path == "/good.jpg":
            reply(conn, headers=[b"Content-Length: %d" % len(jpeg), b"Content-Type: image/jpeg"], body=jpeg)
        else:
            slow_peer(kind)(path, conn)
    return RawServer(answer)


class Clock:
    def __enter__(self):
        self.start = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.monotonic() - self.start


@pytest.mark.parametrize("kind", SLOW_PEERS)
def test_validate_url_deadline_holds(cli, kind):
    with peer_and_files(kind) as web, Clock() as clock:
        r = cli("validate", f"{web.url}/slow", "--timeout", "2")
    assert r.code == 2 and "within the timeout of 2 s" in one_line(r), r
    assert clock.elapsed < BOUND, (kind, clock.elapsed)


@pytest.mark.parametrize("kind", ["http10", "close", "silent"])
def test_diff_url_deadline_holds(cli, kind):
    with peer_and_files(kind) as web, Clock() as clock:
        r = cli("diff", f"{web.url}/feed.json", f"{web.url}/slow", "--timeout", "2")
    assert r.code == 2 and "within the timeout of 2 s" in one_line(r), r
    assert clock.elapsed < BOUND, (kind, clock.elapsed)


@pytest.mark.parametrize("kind", ["http10", "close", "chunked", "silent"])
def test_the_api_deadline_holds_and_says_so(kind):
    with peer_and_files(kind) as web, Clock() as clock:
        with pytest.raises(RemoteError, match="within the timeout") as e:
            fetch(f"{web.url}/slow", 10_000_000, 2)
        assert e.value.kind == "timeout"
        with pytest.raises(RemoteError, match="within the timeout"):
            request(f"{web.url}/slow", 10_000_000, 1, method="POST", body=b"x", proxy=False)
    assert clock.elapsed < 2 * BOUND, (kind, clock.elapsed)


@pytest.fixture
def short_fetches(monkeypatch):
    monkeypatch.setattr(packager.remote, "TIMEOUT", 2.0)


@pytest.mark.parametrize("kind", ["http10", "close", "silent"])
def test_a_remote_photo_deadline_holds(tmp_path, cli, short_fetches, kind):
    with peer_and_files(kind) as web:
        root = photo_channel(tmp_path, web.url, "/slow.jpg")
        with Clock() as clock:
            r = cli("build", root)
    assert r.code == 0, r
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "(bad)" in skipped[0] and "within the timeout of 2 s" in skipped[0], r
    assert clock.elapsed < 3 * BOUND, (kind, clock.elapsed)  # a build, one photo fetch among its work


@pytest.mark.parametrize("source", ["rss", "dp-feed"])
@pytest.mark.parametrize("kind", ["http10", "close"])
def test_a_remote_source_deadline_holds(tmp_path, cli, short_fetches, kind, source):
    root = tmp_path / "ch"
    root.mkdir()
    with peer_and_files(kind) as web:
        (root / "channel.toml").write_text(CHANNEL_TOML + f'[[sources]]\ntype = "{source}"\nurl = "{web.url}/slow"\n'
                                           "allow_remote = true\n")
        with Clock() as clock:
            r = cli("build", root)
    assert r.code in (1, 2), r
    assert "within the timeout of 2 s" in r.err and "Traceback" not in r.err, r
    assert clock.elapsed < BOUND, (kind, clock.elapsed)


@pytest.mark.parametrize("value", ["1e10", "nan", "-1", "0", "inf", "1e300", "soon"])
@pytest.mark.parametrize("command", ["validate", "diff"])
def test_timeouts_out_of_range_are_usage_errors(cli, command, value):
    urls = ["http://127.0.0.1:9/feed.json"] * (2 if command == "diff" else 1)
    r = cli(command, *urls, f"--timeout={value}")
    assert r.code == 2 and "positive number of seconds" in r.err, r


def test_a_day_is_the_longest_timeout():
    with pytest.raises(ValueError, match="at most 86,400"):
        fetch("http://127.0.0.1:9/", 10, 1e10)
