"""The generated channel in a real SceneGraph runtime: brs-engine's browser engine with its
brs-scenegraph extension (both pinned in tests/roku/package.json), in Debian's Chromium
driven by Playwright.

`RunnerServer` (127.0.0.1) serves the runner page, the engine, the app zip and a channel's
built files under /channel/, with the cross-origin isolation headers the engine's
SharedArrayBuffer needs; its route table lets a test make a URL fail, answer slowly or
change. `SceneGraphApp` runs one app zip in one browser page: what the app prints arrives
in `log`, keys go in through the engine's remote-control API, `screenshot()` saves what the
viewer would see, and `tree()` reads the scene's node tree (through a probe the tests add
to the zip: see `with_probe`)."""

from __future__ import annotations

import fcntl
import http.server
import io
import mimetypes
import shutil
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROKU = ROOT / "tests" / "roku"
MODULES = ROKU / "node_modules"
STATIC = {
    "/": ROKU / "sg" / "index.html",
    "/lib/brs.api.js": MODULES / "brs-engine" / "lib" / "brs.api.js",
    "/lib/brs.worker.js": MODULES / "brs-engine" / "lib" / "brs.worker.js",
    "/lib/brs-sg.js": MODULES / "brs-scenegraph" / "lib" / "brs-sg.js",
    # The SceneGraph extension's common: volume is a superset of the engine's (fonts,
    # images, the Roku_Ads mock).
    "/assets/common.zip": MODULES / "brs-scenegraph" / "assets" / "common.zip",
}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
Route = Callable[["Handler"], bool]
# brs-engine 2.1.0's page side turns every frame the worker paints into an ImageBitmap and
# drops the one before without close(): while a video plays that is a 1080p bitmap per frame
# left for the garbage collector, and Chromium's renderer grew past 20 GB and was killed on a
# 24 GB machine. The runner serves the engine with the previous bitmap closed.
ENGINE_PATCHES = {
    "/lib/brs.api.js": [("createImageBitmap(a).then(e=>{zh=e})", "createImageBitmap(a).then(e=>{zh&&zh.close&&zh.close(),zh=e})")],
}


def _static(path: str) -> bytes:
    body = STATIC[path].read_bytes()
    for old, new in ENGINE_PATCHES.get(path, []):
        # Exactly once: a new engine release that moved the code fails loudly here.
        assert body.count(old.encode()) == 1, f"{STATIC[path]} changed: update ENGINE_PATCHES"
        body = body.replace(old.encode(), new.encode())
    return body


def available() -> str | None:
    """Why the runner can't run here, or None."""
    missing = [str(p) for p in STATIC.values() if not p.is_file()]
    if missing:
        return f"run `npm ci` in tests/roku: missing {missing[0]}"
    if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        return "Debian's chromium is not installed"
    return None


class RunnerServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, channel: Path | None = None):
        self.app_zip = b""
        self.channel = channel
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.queries: list[str] = []
        super().__init__(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class Handler(http.server.BaseHTTPRequestHandler):
    server: RunnerServer

    def log_message(self, *args):
        return

    def answer(self, code: int, body: bytes, ctype: str = "application/octet-stream"):
        start, end = 0, len(body)
        wanted = self.headers.get("Range", "")
        if code == 200 and wanted.startswith("bytes=") and body and ctype.startswith("video/"):
            first, _, last = wanted[6:].split(",")[0].partition("-")
            start = int(first or 0)
            end = min(int(last) + 1 if last else len(body), len(body))
            code = 206
        self.send_response(code)
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", ctype)
        if code == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{len(body)}")
        self.send_header("Content-Length", str(end - start))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body[start:end])

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def do_GET(self):  # noqa: N802
        path, _, query = self.path.partition("?")
        self.server.hits[path] = self.server.hits.get(path, 0) + 1
        if query:
            self.server.queries.append(f"{path}?{query}")
        route = self.server.routes.get(path)
        if route is not None and route(self):
            return
        if path in STATIC:
            ctype = "text/html" if path == "/" else mimetypes.guess_type(path)[0] or "application/octet-stream"
            self.answer(200, _static(path), ctype)
        elif path == "/app.zip":
            self.answer(200, self.server.app_zip, "application/zip")
        elif path.startswith("/channel/") and self.server.channel is not None:
            base = self.server.channel.resolve()
            target = (base / path.removeprefix("/channel/")).resolve()
            if target.is_relative_to(base) and target.is_file():
                self.answer(200, target.read_bytes(), mimetypes.guess_type(target.name)[0] or "application/octet-stream")
            else:
                self.answer(404, b"not found", "text/plain")
        else:
            self.answer(404, b"not found", "text/plain")


# BrightScript added to a test copy of the app: an roInputEvent {probe: "tree"} prints every
# visible node with its scene rectangle, text and focus, one line each, then PROBE_END.
PROBE_BRS = r"""
sub TestProbe(scene as Object, info as Object)
    if info.probe = invalid then return
    print "PROBE_BEGIN"
    testprobe_Walk(scene, "", scene.GetChildCount() >= 0)
    print "PROBE_END"
end sub

sub testprobe_Walk(node as Object, path as String, visible as Boolean)
    if node = invalid or not node.HasField("visible") then return ' Tasks, content nodes
    visible = visible and node.visible
    if not visible then return
    name = node.Subtype()
    if node.id <> "" then name = name + "#" + node.id
    here = path + "/" + name
    rect = node.sceneBoundingRect()
    text = ""
    if node.HasField("text") and type(node.text) <> "Invalid" then text = node.text
    focus = ""
    if node.HasFocus() then focus = "F"
    extra = ""
    if node.HasField("itemFocused") then extra = "itemFocused=" + node.itemFocused.ToStr()
    if node.HasField("rowItemFocused") and node.rowItemFocused <> invalid and node.rowItemFocused.Count() = 2 then
        extra = "rowItemFocused=" + node.rowItemFocused[0].ToStr() + "," + node.rowItemFocused[1].ToStr()
    end if
    print "PROBE" + Chr(9) + here + Chr(9) + Str(rect.x).Trim() + Chr(9) + Str(rect.y).Trim() + Chr(9) + Str(rect.width).Trim() + Chr(9) + Str(rect.height).Trim() + Chr(9) + focus + Chr(9) + extra + Chr(9) + text
    for i = 0 to node.GetChildCount() - 1
        testprobe_Walk(node.GetChild(i), here, true)
    end for
end sub
"""
_PROBE_HOOK = "                info = msg.GetInfo()\n"


_LIBRARY = 'Library "Roku_Ads.brs"\n'


def with_probe(app_zip: bytes) -> bytes:
    """The app zip with the node-tree probe wired into main.brs's input loop, and RAF made
    loadable in AdsTask: brs-scenegraph 0.1.0 ignores a Library statement in a component
    script (fixed upstream in 0.3.0, which npm doesn't have yet), so the Task includes the
    engine's own Roku_Ads mock (from its common: volume) as a script instead."""
    src = zipfile.ZipFile(io.BytesIO(app_zip))
    out = io.BytesIO()
    mock = zipfile.ZipFile(STATIC["/assets/common.zip"]).read("roku_ads/Roku_Ads.brs")
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "source/main.brs":
                text = data.decode()
                assert _PROBE_HOOK in text, "main.brs changed: update the probe hook"
                data = text.replace(_PROBE_HOOK, _PROBE_HOOK + "                TestProbe(scene, info)\n").encode()
            elif info.filename == "components/AdsTask.brs":
                text = data.decode()
                assert text.startswith(_LIBRARY), "AdsTask.brs must start with its Library statement"
                data = text.removeprefix(_LIBRARY).encode()
            elif info.filename == "components/AdsTask.xml":
                text = data.decode()
                data = text.replace('<script type="text/brightscript" uri="AdsTask.brs" />',
                                    '<script type="text/brightscript" uri="RokuAdsMock.brs" />\n'
                                    '    <script type="text/brightscript" uri="AdsTask.brs" />').encode()
            z.writestr(info, data)
        z.writestr("source/testprobe.brs", PROBE_BRS)
        z.writestr("components/RokuAdsMock.brs", mock)
    return out.getvalue()


class Node:
    def __init__(self, fields: list[str]):
        self.path, x, y, w, h, focus, extra, self.text = (fields + [""] * 8)[:8]
        self.x, self.y, self.width, self.height = float(x), float(y), float(w), float(h)
        self.focused = focus == "F"
        self.extra = extra
        self.kind = self.path.rsplit("/", 1)[-1].split("#")[0]
        self.id = self.path.rsplit("/", 1)[-1].partition("#")[2]

    def __repr__(self):
        return f"{self.path} [{self.x:.0f},{self.y:.0f} {self.width:.0f}x{self.height:.0f}] {self.text!r}"


# Apps running at once on this machine, whatever the number of test workers: a renderer
# playing video peaks at several GB.
BROWSER_SLOTS = 2


def _browser_slot():
    """An open, locked slot file (closing it frees the slot); waits for one to be free."""
    while True:
        for i in range(BROWSER_SLOTS):
            fh = open(Path(tempfile.gettempdir()) / f"roku-packager-sg-slot-{i}.lock", "w")
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fh
            except BlockingIOError:
                fh.close()
        time.sleep(0.2)


class SceneGraphApp:
    """One app run in one browser page. Use as a context manager."""

    def __init__(self, server: RunnerServer, app_zip: bytes):
        self.server = server
        server.app_zip = app_zip
        self._pw = self._browser = self.page = None
        self.page_errors: list[str] = []

    def __enter__(self) -> SceneGraphApp:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only the browser tests load it)

        self._slot = _browser_slot()
        self._pw = sync_playwright().start()
        path = shutil.which("chromium") or "/usr/bin/chromium"
        self._browser = self._pw.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        self.page = self._browser.new_page(viewport={"width": 1920, "height": 1080})
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.goto(self.server.base + "/")
        return self

    def __exit__(self, *exc):
        try:
            if self._browser is not None:
                self._browser.close()
            if self._pw is not None:
                self._pw.stop()
        finally:
            self._slot.close()  # the next app may start

    # ------------------------------------------------------------ driving

    def start(self, mode: str = "1080p", deep_link: dict | None = None):
        self.started = time.monotonic()
        self.page.evaluate("([m, d]) => window.runApp(m, d)", [mode, deep_link])

    @property
    def log(self) -> list[str]:
        return [line.split("\t", 1)[-1] for line in self.page.evaluate("window.brsLog")]

    @property
    def events(self) -> list[str]:
        return self.page.evaluate("window.brsEvents")

    def wait_for(self, prefix: str, timeout: float = 60, after: int = 0) -> str:
        """The first printed line at index >= after that starts with prefix."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log
            for line in lines[after:]:
                if line.startswith(prefix):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no line starting {prefix!r} in {timeout} s; the app printed:\n"
                                     + "\n".join(lines[-60:]) + "\nevents: " + "\n".join(self.events))
            time.sleep(0.1)

    def mark(self) -> int:
        return len(self.log)

    def press(self, *keys: str, pause: float = 0.5):
        for key in keys:
            self.page.evaluate("(k) => brs.sendKeyPress(k, 80)", key)
            time.sleep(pause)

    def input(self, params: dict):
        """An roInputEvent (a deep link while the channel runs)."""
        self.page.evaluate("(p) => brs.sendInput(p)", params)

    def tree(self) -> list[Node]:
        """The visible nodes (needs a zip made by with_probe)."""
        mark = self.mark()
        self.input({"probe": "tree"})
        self.wait_for("PROBE_END", 20, after=mark)
        lines = self.log[mark:]
        lines = lines[lines.index("PROBE_BEGIN") + 1:lines.index("PROBE_END")]
        return [Node(line.split("\t")[1:]) for line in lines if line.startswith("PROBE\t")]

    def screenshot(self, path: Path) -> Path | None:
        """What the viewer sees, as a PNG (an artifact to look at: on a machine too busy to
        paint in time there is none, and the test goes on)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: PLC0415 (as above)

        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.page.screenshot(path=str(path), clip={"x": 0, "y": 0, "width": 1920, "height": 1080}, timeout=60_000)
        except PlaywrightTimeout:
            return None
        return path
