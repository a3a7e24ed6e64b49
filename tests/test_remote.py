"""Network fetches fetch only what was asked, bounded (issue 14, "Network"): against real
servers on 127.0.0.1 — raw sockets scripting hostile answers, an FTP-ish listener."""

import io
import json
import time

import photos
import pytest
from conftest import CHANNEL_TOML
from feeds import full_feed
from netservers import FtpListener, RawServer, drip, reply

from packager.remote import MAX_FEED_BYTES, RemoteError, fetch

FEED = json.dumps(full_feed()).encode()


def jpeg_bytes():
    buf = io.BytesIO()
    photos.scene(1600, 900, 7).save(buf, "JPEG")
    return buf.getvalue()


def make_answer(ftp_port=None, jpeg=b""):
    def answer(path, conn):
        if path == "/feed.json":
            reply(conn, headers=[b"Content-Length: %d" % len(FEED)], body=FEED)
        elif path == "/good.jpg":
            reply(conn, headers=[b"Content-Length: %d" % len(jpeg), b"Content-Type: image/jpeg"], body=jpeg)
        elif path == "/to-ftp":
            reply(conn, b"HTTP/1.1 302 Found", [b"Location: ftp://127.0.0.1:%d/feed.json" % ftp_port])
        elif path == "/to-bad-url":
            reply(conn, b"HTTP/1.1 302 Found", [b"Location: http://[::1"])
        elif path == "/to-file":
            reply(conn, b"HTTP/1.1 301 Moved", [b"Location: file:///etc/passwd"])
        elif path.startswith("/loop") and int(path[5:] or 0) < 6:  # /loop0 takes 6 hops, /loop6 is a 404
            n = int(path[5:] or 0)
            reply(conn, b"HTTP/1.1 302 Found", [b"Location: /loop%d" % (n + 1)])
        elif path == "/hop3":
            reply(conn, b"HTTP/1.1 307 Temporary Redirect", [b"Location: /loop3"])
        elif path == "/garbage":
            conn.sendall(b"SPLAT 200 whatever\r\n\r\n{}")
        elif path == "/huge-length":
            reply(conn, headers=[b"Content-Length: 1000000000000"], body=b"{")
        elif path == "/endless":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            chunk = b"[" * 65536
            for _ in range(MAX_FEED_BYTES // len(chunk) + 64):
                conn.sendall(chunk)
        elif path == "/drip-body":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            drip(conn, every=0.3, total=30)
        elif path == "/drip-headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            drip(conn, b"X", every=0.3, total=30)
        else:
            reply(conn, b"HTTP/1.1 404 Not Found", [b"Content-Length: 0"])
    return answer


@pytest.fixture
def servers():
    with FtpListener() as ftp, RawServer(make_answer(ftp.port, jpeg_bytes())) as web:
        yield web, ftp


def one_line(r):
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    return lines[0]


def test_validate_url_works_and_upper_case_scheme_is_a_url(servers, cli):
    web, _ = servers
    assert cli("validate", f"{web.url}/feed.json").code == 0
    r = cli("validate", f"HTTP://127.0.0.1:{web.port}/feed.json")
    assert r.code == 0, r
    r = cli("validate", "FTP://127.0.0.1/feed.json")
    assert r.code == 2 and "only http(s)" in one_line(r)


def test_a_redirect_to_ftp_is_not_followed(servers, cli):
    web, ftp = servers
    r = cli("validate", f"{web.url}/to-ftp")
    assert r.code == 2 and "only http(s) redirects" in one_line(r), r
    time.sleep(0.2)
    assert ftp.connections == 0 and bytes(ftp.received) == b""


def test_a_redirect_to_a_file_is_not_followed(servers, cli):
    web, _ = servers
    r = cli("validate", f"{web.url}/to-file")
    assert r.code == 2 and "file:///etc/passwd" in one_line(r) and "root:" not in r.out + r.err


def test_at_most_five_redirects(servers, cli):
    web, _ = servers
    r = cli("validate", f"{web.url}/loop0")
    assert r.code == 2 and "more than 5 redirects" in one_line(r)
    assert len(web.requests) == 6
    with pytest.raises(RemoteError, match="HTTP 404"):  # 4 hops are fine (then a 404)
        fetch(f"{web.url}/hop3", 1000, 5)


@pytest.mark.parametrize("path", ["/drip-body", "/drip-headers"])
def test_a_slow_server_cannot_stretch_the_timeout(servers, cli, path):
    web, _ = servers
    start = time.monotonic()
    r = cli("validate", f"{web.url}{path}", "--timeout", "2")
    elapsed = time.monotonic() - start
    assert r.code == 2 and "within the timeout of 2 s" in one_line(r), r
    assert elapsed < 8, elapsed  # a byte every 0.3 s for 30 s would have kept a per-read timeout alive


@pytest.mark.parametrize("path, words", [
    ("/garbage", "can't fetch"),
    ("/to-bad-url", "not a valid URL"),  # found by tests/fuzz
    ("/huge-length", "1000000000000 bytes is over the limit"),
    ("/endless", f"more than {MAX_FEED_BYTES:,} bytes"),
])
def test_hostile_answers_are_one_clean_line(servers, cli, path, words):
    web, _ = servers
    r = cli("validate", f"{web.url}{path}")
    assert r.code == 2 and words in one_line(r), r


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "-inf", "soon"])
def test_validate_timeout_must_be_a_positive_finite_number(cli, value):
    r = cli("validate", "http://127.0.0.1:9/feed.json", f"--timeout={value}")
    assert r.code == 2 and "positive number of seconds" in r.err


@pytest.mark.parametrize("url", ["http://[::1", "http://[::1]:99999/x", "http://", "https://exa mple.com/x",
                                 "http://127.0.0.1:1/feed.json"])
def test_malformed_or_unreachable_urls_are_one_clean_line(cli, url):
    r = cli("validate", url, "--timeout", "2")
    assert r.code == 2, r
    one_line(r)


def photo_channel(tmp_path, base, bad_path):
    root = tmp_path / "ch"
    root.mkdir()
    (root / "channel.toml").write_text(CHANNEL_TOML + '[[sources]]\ntype = "rss"\npath = "feed.rss"\nallow_remote = true\n')
    item = """<item><title>{t}</title><guid isPermaLink="false">{g}</guid><pubDate>Tue, 24 Nov 2026 15:30:00 +0000</pubDate>
      <description>Something happened.</description>
      <media:content url="https://video.example/{g}.m3u8" medium="video" duration="95"/>
      <media:thumbnail url="{u}"/></item>"""
    (root / "feed.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>x</title>'
        + item.format(t="Good", g="good", u=f"{base}/good.jpg") + item.format(t="Bad", g="bad", u=f"{base}{bad_path}")
        + "</channel></rss>")
    return root


@pytest.mark.parametrize("bad_path, words", [
    ("/garbage", "can't fetch"),
    ("/to-ftp", "only http(s) redirects"),
    ("/huge-length", "over the limit"),
    ("/loop0", "more than 5 redirects"),
])
def test_a_bad_photo_fetch_skips_that_article_only(tmp_path, servers, cli, bad_path, words):
    web, ftp = servers
    root = photo_channel(tmp_path, web.url, bad_path)
    r = cli("build", root)
    assert r.code == 0, r
    skipped = [line for line in r.err.splitlines() if line.startswith("skipped:")]
    assert len(skipped) == 1 and "(bad)" in skipped[0] and words in skipped[0], r
    assert [i["id"] for i in json.loads((root / "dist" / "feed.json").read_bytes())["shortFormVideos"]] == ["good"]
    assert ftp.connections == 0


def test_the_environment_proxy_is_used_like_urllib_did(monkeypatch):
    def proxy(path, conn):
        body = path.encode()
        reply(conn, headers=[b"Content-Length: %d" % len(body)], body=body)

    with RawServer(proxy) as p:
        for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("http_proxy", p.url)
        assert fetch("http://feeds.example.invalid:8081/feed.json?x=1", 1000, 5).body == \
            b"http://feeds.example.invalid:8081/feed.json?x=1"
        monkeypatch.setenv("no_proxy", "feeds.example.invalid")
        with pytest.raises(RemoteError):
            fetch("http://feeds.example.invalid/feed.json", 1000, 5)
