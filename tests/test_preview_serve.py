"""The preview in a real headless browser (Debian's Chromium driven by Playwright), and
`serve` over HTTP on 127.0.0.1."""

import json
import shutil
import subprocess
import sys
import urllib.request

import pytest
from conftest import ROOT, article_text

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page


def test_preview_shows_the_channel_like_a_roku_grid(example_channel, cli, browser):
    r = cli("preview", example_channel)
    assert r.code == 0, r
    html = example_channel / "dist" / "preview.html"
    assert f"preview: {html.resolve().as_uri()}" in r.out
    assert "http" not in "".join(line for line in html.read_text().splitlines() if "src=" in line)  # posters are local
    feed = json.loads((example_channel / "dist" / "feed.json").read_bytes())
    items = feed["shortFormVideos"] + feed["tvSpecials"]

    page = open_page(browser, html)
    images = page.evaluate("[...document.images].map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])")
    assert images and all(ok and width > 0 for _, ok, width in images), images
    rows = page.evaluate("""[...document.querySelectorAll('.row')].map(r =>
        [r.querySelector('h3').firstChild.textContent, r.querySelectorAll('.item').length])""")

    def tagged(*tags):
        return sum(1 for i in items if set(i.get("tags", [])) & set(tags))
    assert rows == [["Local News", tagged("local")], ["Sports", tagged("sports")],
                    ["Weather & Science", tagged("weather", "science")],
                    ["shortFormVideos", len(feed["shortFormVideos"])], ["tvSpecials", len(feed["tvSpecials"])]]
    # Selecting a tile shows its details.
    page.click(".row[data-kind=type] .item >> nth=1")
    details = page.inner_text("#details")
    second = feed["shortFormVideos"][1]
    assert second["title"] in details and second["shortDescription"][:40] in details and second["releaseDate"] in details
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "preview.png"), full_page=True)
    assert (ARTIFACTS / "preview.png").stat().st_size > 10_000
    page.close()


def test_preview_escapes_article_text_and_lists_warnings(make_channel, cli, browser):
    root = make_channel({"x.md": article_text(title="<script>window.pwned=1</script> & <b>bold</b>",
                                              extra="tags: [local]\n")},
                        '[[categories]]\nname = "Politics"\nquery = "politics"\n')
    assert cli("preview", root).code == 0
    page = open_page(browser, root / "dist" / "preview.html")
    assert page.evaluate("window.pwned") is None
    banner = page.inner_text("#warnings")
    assert banner.startswith("1 warning:") and "DP207" in banner and "politics" in banner
    rows = page.evaluate("[...document.querySelectorAll('.row h3')].map(h => h.firstChild.textContent)")
    assert rows == ["Politics", "shortFormVideos"]
    assert page.inner_text(".empty") == "No items match this row."
    page.close()


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.status, resp.headers.get("Content-Type"), resp.read()


def test_preview_banner_counts_skipped_articles_apart_from_warnings(make_channel, cli, browser):
    """A skipped article is not a validation warning: the banner's heading says which is which."""
    root = make_channel({"x.md": article_text(extra="tags: [local]\n"),
                         "broken.md": article_text(title="Broken", photo="../photos/nope.jpg")},
                        '[[categories]]\nname = "Politics"\nquery = "politics"\n')
    assert cli("preview", root).code == 0
    page = open_page(browser, root / "dist" / "preview.html")
    banner = page.inner_text("#warnings")
    assert banner.startswith("1 warning and 1 article skipped:"), banner
    assert "skipped: articles/broken.md: photo: photos/nope.jpg not found" in banner and "DP207" in banner
    page.close()


def test_serve_over_http(example_channel, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "packager", "serve", str(example_channel), "--host", "127.0.0.1",
                             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        feed_url = None
        for line in proc.stdout:
            if line.startswith("FEED_URL="):
                feed_url = line.split("=", 1)[1].split()[0]
                break
        assert feed_url and feed_url.startswith("http://127.0.0.1:") and feed_url.endswith("/feed.json"), feed_url
        base = feed_url.removesuffix("feed.json")
        status, ctype, body = fetch(feed_url)
        assert status == 200 and ctype == "application/json; charset=utf-8" and body.startswith(b"{")
        feed = json.loads(body)
        thumb = feed["shortFormVideos"][0]["thumbnail"]
        assert thumb.startswith(base + "artwork/")  # served from here, not the CDN
        status, ctype, jpeg = fetch(thumb)
        assert status == 200 and ctype == "image/jpeg" and jpeg[:2] == b"\xff\xd8"
        status, ctype, page = fetch(base + "preview.html")
        assert status == 200 and ctype.startswith("text/html") and b"Riverside Evening News" in page
        with pytest.raises(urllib.error.HTTPError):
            fetch(base + "../channel.toml")
        with pytest.raises(urllib.error.HTTPError):
            fetch(base + ".roku-packager-photos.json")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
