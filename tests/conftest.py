"""Shared fixtures: copies of the example channel (and of builds made once per test run),
small channels built from text, the CLI run in-process, and real S3 servers over HTTP:
moto on 127.0.0.1 (`s3_server`, `bucket`), and moto and Ceph's RADOS Gateway each in turn
(`s3_endpoint`, `s3_bucket`)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import shutil
import socket
import textwrap
from pathlib import Path

import pytest

# Property tests explore the same examples on every run: CI must not find new ones by chance.
from hypothesis import settings as _hypothesis_settings
from PIL import Image
from s3impl import IMPLEMENTATIONS, endpoint_for, forget_gateway, leave_gateway, make_bucket

from packager.cli import main

_hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
_hypothesis_settings.load_profile("repeatable")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "channel"


def copy_example(dest: Path) -> Path:
    """The example channel's sources (no dist/, no public/) copied to dest."""
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("dist", "public"))
    return dest


@pytest.fixture
def example_channel(tmp_path) -> Path:
    return copy_example(tmp_path / "channel")


@pytest.fixture(scope="session")
def _made_once(tmp_path_factory) -> Path:
    """Where builds made once per test run live: with pytest-xdist, the run's shared temp
    folder (every worker uses the build the first one made)."""
    root = tmp_path_factory.getbasetemp()
    return (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "made-once"


@pytest.fixture
def built_once(_made_once, tmp_path):
    """built_once(name, make) -> a folder: make(folder) runs once per test run (the first time a
    test asks for `name`, in any worker), and every test gets its own copy of the folder it
    filled. For builds of the example channel that tests only read or publish: a build is
    deterministic, so the copy holds the bytes the test's own build would have made."""

    def get(name: str, make) -> Path:
        folder = _made_once / name
        _made_once.mkdir(exist_ok=True)
        with open(_made_once / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another worker making it: wait for it
            if not (_made_once / f"{name}.done").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a make that failed part-way
                folder.mkdir()
                make(folder)
                (_made_once / f"{name}.done").touch()
        dest = tmp_path / name
        shutil.copytree(folder, dest, symlinks=True)
        return dest

    return get


def _build_example(folder: Path) -> None:
    from packager.build import build

    build(copy_example(folder / "channel"))


@pytest.fixture
def built_example(built_once) -> Path:
    """A copy of the example channel with dist/ as `build` leaves it (built once per test run)."""
    return built_once("example", _build_example) / "channel"


class CliResult:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"<exit {self.code}\nstdout:\n{self.out}\nstderr:\n{self.err}>"


def run_cli(*args) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:
            code = e.code
    result = CliResult(code, out.getvalue(), err.getvalue())
    assert "Traceback" not in result.err, result
    return result


@pytest.fixture
def cli():
    return run_cli


def photo(path: Path, size=(1600, 900), mode="RGB", color=(120, 80, 40), fmt=None, **save) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    im = Image.new(mode, size, color)
    im.save(path, fmt, **save)
    return path


CHANNEL_TOML = """\
[channel]
provider_name = "Test News"
language = "en"
base_url = "https://cdn.test/tv/"
"""


def article_text(title="A story", date="2026-01-02T10:00:00+00:00", photo="../photos/a.jpg",
                 video="url: https://cdn.test/v/a.m3u8\n  duration: 60", extra="", body="Body text of the story.") -> str:
    return textwrap.dedent(f"""\
        ---
        title: "{title}"
        date: {date}
        photo: {photo}
        """) + (f"video:\n  {video}\n" if video else "") + extra + "---\n" + body + "\n"


@pytest.fixture
def make_channel(tmp_path):
    """make_channel({"a.md": text, ...}, toml_extra="") -> channel folder with photos/a.jpg."""

    def make(articles: dict[str, str], toml_extra: str = "", name: str = "ch") -> Path:
        root = tmp_path / name
        (root / "articles").mkdir(parents=True)
        (root / "channel.toml").write_text(CHANNEL_TOML + toml_extra)
        photo(root / "photos" / "a.jpg")
        for fname, text in articles.items():
            (root / "articles" / fname).write_text(text)
        return root

    return make


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def brs() -> Path:
    """The off-device BrightScript interpreter (tests/roku, pinned by its lockfile)."""
    path = ROOT / "tests" / "roku" / "node_modules" / ".bin" / "brs"
    assert path.exists(), "the BrightScript interpreter is missing: run `npm ci` in tests/roku (the README's test command does)"
    return path


@pytest.fixture(scope="session")
def s3_server():
    """A real S3 server (moto) speaking HTTP on 127.0.0.1; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret",
                 "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ[k] = v
    os.environ.pop("AWS_PROFILE", None)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, request):
    """(client, name): a new bucket on moto."""
    return make_bucket(s3_server, request.node.name)


def _versions_with_outputs(folder: Path) -> None:
    from packager.build import build

    channel = copy_example(folder / "channel")
    toml = channel / "channel.toml"
    toml.write_text(toml.read_text() + "\n[outputs]\nmrss = true\nsearch_feed = true\n")
    build(channel, out=folder / "A")
    (channel / "articles" / "late.md").write_text(
        article_text(title="Late story", date="2026-11-25T09:00:00+00:00", photo="../photos/square.jpg"))
    build(channel, out=folder / "B")


@pytest.fixture
def versions_with_outputs(built_once) -> tuple[Path, Path]:
    """Two builds of the example channel with the MRSS and search feeds on: A, and B with a
    new article (built once per test run; each test gets its own copy)."""
    folder = built_once("example-versions-with-outputs", _versions_with_outputs)
    return folder / "A", folder / "B"


@pytest.fixture(params=IMPLEMENTATIONS)
def s3_endpoint(request, s3_server) -> str:
    """Each test that takes it runs against moto and against Ceph's RADOS Gateway (started on
    first use by tests/s3impl.py; skipped where Ceph isn't installed)."""
    return endpoint_for(request.param, s3_server)


@pytest.fixture
def s3_bucket(s3_endpoint, request):
    """(client, name): a new bucket on `s3_endpoint`."""
    return make_bucket(s3_endpoint, request.node.name)


def pytest_collection_modifyitems(config, items):
    """With pytest-xdist, each worker starts its part of the list with that part's slow
    tests: worksteal hands every worker a contiguous part, and a long test left at the end
    of one would be the run's tail. Tests stay in their worker's part, beside the tests that
    share their module's fixtures (a channel built and served once, a Dask cluster). Every
    worker collects, and orders, alike."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers <= 1:
        return
    ordered, left = [], list(items)
    for k in range(workers):
        size = len(left) // (workers - k)  # as worksteal cuts the list
        part, left = left[:size], left[size:]
        ordered += sorted(part, key=lambda item: item.get_closest_marker("slow") is None)  # stable
    items[:] = ordered


def _fuzzing():
    """tests/fuzz/fuzzing.py as the fuzz tests import it (collected there; loaded here in
    pytest-xdist's controller, which collects nothing)."""
    import importlib
    import sys

    if "fuzzing" not in sys.modules:
        sys.path.insert(0, str(ROOT / "tests" / "fuzz"))
        importlib.import_module("fuzzing")
    return sys.modules["fuzzing"]


def pytest_sessionfinish(session):
    """A pytest-xdist worker hands its fuzz counts to the controller, and leaves the shared
    RADOS Gateway (before it tells the controller it is done); the controller, after every
    worker, removes the gateway's state files."""
    import sys

    if hasattr(session.config, "workeroutput") and "fuzzing" in sys.modules:
        session.config.workeroutput["fuzz_counts"] = dict(sys.modules["fuzzing"].COUNTS)
    leave_gateway()
    if not hasattr(session.config, "workerinput"):
        forget_gateway()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    counts = getattr(node, "workeroutput", {}).get("fuzz_counts")
    if counts:
        _fuzzing().COUNTS.update(counts)


def pytest_configure(config):
    """One id for the run, known to the controller too (xdist would make one only for its
    workers): shared state files are named by it, and the controller removes them at the end."""
    if not hasattr(config, "workerinput") and getattr(config.option, "testrunuid", "") is None:
        import uuid

        config.option.testrunuid = uuid.uuid4().hex
        os.environ["PYTEST_XDIST_TESTRUNUID"] = config.option.testrunuid


def pytest_terminal_summary(terminalreporter):
    """The fuzz suite's cases tried per input kind (tests/fuzz/fuzzing.py counts them)."""
    import sys

    fuzzing = sys.modules.get("fuzzing")
    if fuzzing is not None and fuzzing.COUNTS:
        fuzzing.report(terminalreporter.write_line)


def mark_as_built(out: Path) -> None:
    """Record files a test put into a built folder in its marker, as if the build wrote them:
    publish uploads only what the tool wrote."""
    from packager.writer import record_written

    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            record_written(out, rel.as_posix())
