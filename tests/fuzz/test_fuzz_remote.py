"""Remote answers from a real local server, drawn by hypothesis: status lines, headers,
bodies and redirects. A fetch gives a result or one RemoteError, `validate URL` gives a
report or one clean line (exit 0/1/2); nothing else is ever contacted (an FTP-ish
listener stands by for the redirects)."""

import json

import pytest
from conftest import run_cli
from feeds import full_feed
from fuzzing import fuzz_settings, tried
from hypothesis import given
from hypothesis import strategies as st
from netservers import FtpListener, RawServer

from packager.remote import CACHE_DIR, Fetcher, RemoteError, fetch

FEED = json.dumps(full_feed()).encode()


def spoke_ftp(ftp) -> bool:
    """An FTP command reached the listener (an HTTP request to its port is allowed: an
    http:// redirect may name any port)."""
    return any(line.split(b" ", 1)[0] in (b"USER", b"PASS", b"RETR", b"TYPE", b"PASV", b"EPSV", b"LIST")
               for line in bytes(ftp.received).splitlines())


class Scripted:
    """The bytes the server sends for the next request (the same for every request, so a
    relative redirect loops until the redirect limit)."""
    reply = b""

    def __call__(self, path, conn):
        conn.sendall(self.reply)


@pytest.fixture(scope="module")
def net():
    script = Scripted()
    with FtpListener() as ftp, RawServer(script) as web:
        yield script, web, ftp


STATUS_LINES = st.one_of(
    st.sampled_from([b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK", b"HTTP/1.1 404 Not Found", b"HTTP/1.1 500 Oops",
                     b"HTTP/1.1 302 Found", b"HTTP/1.1 301 Moved", b"HTTP/1.1 304 Not Modified",
                     b"HTTP/1.1 307 Temporary", b"HTTP/1.1 308 Permanent", b"HTTP/1.1 204 No Content",
                     b"HTTP/1.1 100 Continue", b"HTTP/1.1 999 Weird", b"HTTP/1.1 20 OK", b"HTTP/2 200",
                     b"ICY 200 OK", b"", b"HTTP/1.1 200"]),
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
    st.builds(lambda n, r: b"HTTP/1.1 %d %s" % (n, r), st.integers(-10, 1200), st.binary(max_size=12).filter(lambda b: b"\n" not in b)),
)


def location(ftp_port):
    return st.one_of(
        st.sampled_from([b"ftp://127.0.0.1:%d/x" % ftp_port, b"file:///etc/passwd", b"/again", b"again",
                         b"http://127.0.0.1:1/", b"https:///", b"http://[::1", b"//127.0.0.1:%d/" % ftp_port,
                         b"FTP://127.0.0.1:%d/" % ftp_port, b"gopher://127.0.0.1/", b"", b"   ", b"javascript:1",
                         b"data:text/plain,hi", b"http://127.0.0.1:%d/x" % ftp_port]),
        st.binary(max_size=60).filter(lambda b: b"\n" not in b and b"\r" not in b))


def headers(ftp_port):
    length = st.one_of(st.integers(-5, 10**13).map(lambda n: b"%d" % n), st.binary(max_size=12))
    header = st.one_of(
        st.tuples(st.just(b"Content-Length"), length),
        st.tuples(st.just(b"Location"), location(ftp_port)),
        st.tuples(st.just(b"Transfer-Encoding"), st.sampled_from([b"chunked", b"gzip", b"chunked, chunked", b"x"])),
        st.tuples(st.just(b"Content-Encoding"), st.sampled_from([b"gzip", b"br", b"identity"])),
        st.tuples(st.sampled_from([b"ETag", b"Content-Type", b"X-A", b""]), st.binary(max_size=30)),
    ).map(lambda kv: kv[0] + b": " + kv[1].replace(b"\r", b"").replace(b"\n", b""))
    return st.lists(header, max_size=6)


BODIES = st.one_of(st.just(FEED), st.binary(max_size=300), st.just(b"0\r\n\r\n"),
                   st.builds(lambda n, d: b"%x\r\n" % n + d + b"\r\n0\r\n\r\n", st.integers(0, 2**40), st.binary(max_size=20)),
                   st.just(FEED[: len(FEED) // 2]), st.just(b"[" * 5000))


@st.composite
def responses(draw, ftp_port):
    status = draw(STATUS_LINES)
    hs = draw(headers(ftp_port))
    body = draw(BODIES)
    raw = draw(st.booleans())
    if raw:  # no header block at all, or cut anywhere
        whole = status + b"\r\n" + b"".join(h + b"\r\n" for h in hs) + b"\r\n" + body
        return whole[: draw(st.integers(0, len(whole)))]
    return status + b"\r\n" + b"".join(h + b"\r\n" for h in hs) + b"Connection: close\r\n\r\n" + body


def test_fetch_gives_a_result_or_one_remote_error(net):
    script, web, ftp = net

    @fuzz_settings()
    @given(responses(ftp.port))
    def prop(reply):
        tried("remote response (fetch)")
        script.reply = reply
        try:
            resp = fetch(web.url + "/feed.json", 4096, 3)
        except RemoteError as e:
            assert "\n" not in str(e) and len(str(e)) < 600, str(e)
        else:
            assert len(resp.body) <= 4096 and (resp.status == 304 or 200 <= resp.status < 300)
        assert not spoke_ftp(ftp), bytes(ftp.received[:200])

    prop()


def test_validate_url_gives_a_report_or_one_clean_line(net):
    script, web, ftp = net

    @fuzz_settings()
    @given(responses(ftp.port))
    def prop(reply):
        tried("remote response (validate URL)")
        script.reply = reply
        r = run_cli("validate", web.url + "/feed.json", "--timeout", "3")  # asserts no traceback
        assert r.code in (0, 1, 2), r
        if r.code == 2:
            assert len(r.err.strip().splitlines()) == 1, r
        assert not spoke_ftp(ftp), bytes(ftp.received[:200])

    prop()


def test_the_photo_fetcher_writes_only_into_its_cache(net, tmp_path):
    script, web, ftp = net
    channel = tmp_path / "channel"
    channel.mkdir()
    fetcher = Fetcher(channel, timeout=3)

    @fuzz_settings()
    @given(responses(ftp.port), st.sampled_from(["/a.jpg", "/x/../b.png", "/c?d=1", "/%2e%2e/e.jpg", "/f.jpg/"]))
    def prop(reply, path):
        tried("remote response (photo fetch)")
        script.reply = reply
        try:
            got = fetcher.fetch(web.url + path, 4096)
        except RemoteError as e:
            assert "\n" not in str(e), str(e)
        else:
            assert got.resolve().is_relative_to((channel / CACHE_DIR).resolve()) and got.stat().st_size <= 4096
        written = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert all(p.resolve().is_relative_to((channel / CACHE_DIR).resolve()) for p in written), written
        assert not spoke_ftp(ftp), bytes(ftp.received[:200])

    prop()
