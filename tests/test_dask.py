"""--executor dask against Dask's real scheduler and worker processes (a LocalCluster on
127.0.0.1): the same bytes as a local build, a worker killed mid-clip, render errors on a
worker, and an unreachable scheduler."""

import contextlib
import logging
import os
import signal
import threading
import time

import photos
import pytest
from test_clips import CLIPS, text_article

from packager.build import build

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def _cluster():
    # Two single-threaded worker processes, each under a nanny that restarts it if killed.
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        yield c
    finally:
        # The last tests kill workers; closing while a nanny is still restarting one can raise
        # inside distributed ("can only join a started process"). The cluster is going away anyway.
        with contextlib.suppress(Exception):
            c.close()


@pytest.fixture
def cluster(_cluster):
    """The module's cluster with both workers up: a test that killed them may have run just
    before (in any order, with pytest-xdist), and their nannies take a while to restart them
    on a busy machine."""
    with distributed.Client(_cluster.scheduler_address, set_as_default=False) as c:
        c.wait_for_workers(2)
    return _cluster


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as c:
        yield c


def tree(root) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != ".roku-packager-photos.json"}


@pytest.fixture
def clip_channel(make_channel):
    """Three text articles (clips) sharing photos, and one with its own video."""
    articles = {f"story{i}.md": text_article(title=f"Bridge closes for repairs, part {i}") for i in range(3)}
    articles["video.md"] = text_article(title="Has its own video", extra="video:\n  url: https://cdn.test/v/a.m3u8\n  duration: 60\n")
    root = make_channel(articles, CLIPS)
    photos.scene(1600, 900, 21).save(root / "photos" / "a.jpg", quality=90)
    photos.scene(1200, 800, 22).save(root / "photos" / "b.jpg", quality=90)
    return root


def test_dask_build_is_byte_identical_to_local(clip_channel, cluster, cli, tmp_path):
    local = cli("build", clip_channel, "--out", tmp_path / "local")
    assert local.code == 0, local
    r = cli("build", clip_channel, "--out", tmp_path / "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert r.code == 0, r
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")
    assert len(list((tmp_path / "dask" / "clips").glob("*.mp4"))) == 3
    # Where the tasks ran: 2 photos (a.jpg's renditions, shared) ... and 3 clips, on workers.
    (line,) = [x for x in r.err.splitlines() if x.startswith("rendered ")]
    assert f"on the Dask cluster at {cluster.scheduler_address}" in line and "3 clips" in line
    assert "on tcp://127.0.0.1:" in line


def test_scheduler_from_the_environment_and_channel_toml(clip_channel, cluster, cli, monkeypatch):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    r = cli("build", clip_channel, "--executor", "dask")
    assert r.code == 0 and "on the Dask cluster" in r.err, r
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    toml = clip_channel / "channel.toml"
    toml.write_text(toml.read_text() + f'\n[render]\nexecutor = "dask"\nscheduler = "{cluster.scheduler_address}"\n')
    story = clip_channel / "articles" / "story0.md"
    story.write_text(story.read_text().replace("part 0", "part zero"))  # one clip to render again
    r = cli("build", clip_channel)
    assert r.code == 0 and "rendered 1 clip on the Dask cluster" in r.err, r


def _executing(dask_worker) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


def test_worker_killed_mid_clip_is_rescheduled_and_output_is_identical(clip_channel, cluster, client, tmp_path, cli):
    assert cli("build", clip_channel, "--out", tmp_path / "local").code == 0
    results, errors = {}, []

    def run():
        try:
            results["build"] = build(clip_channel, out=tmp_path / "dask", executor="dask",
                                     scheduler=cluster.scheduler_address)
        except BaseException as e:  # surfaced by the assertion below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    killed = None
    while killed is None and t.is_alive():
        # The worker process executing a clip task right now: kill it (SIGKILL, no goodbye).
        try:
            executing = client.run(_executing, on_error="ignore")
        except OSError:  # a worker between lives
            continue
        for worker, keys in executing.items():
            if any(k.startswith("render_clip_task-") for k in keys):
                pid = client.run(os.getpid, workers=[worker])[worker]
                os.kill(pid, signal.SIGKILL)
                killed = worker
                break
        time.sleep(0.02)
    t.join(timeout=600)
    assert killed is not None, "no clip task was seen running on a worker"
    assert not errors, errors
    result = results["build"]
    assert not result.skipped and "3 clips" in result.rendered, result.rendered
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")


def test_render_error_on_a_worker_is_the_same_one_line_skip(clip_channel, cluster, cli):
    b = clip_channel / "photos" / "b.jpg"  # the clips' second photo (not the thumbnail): cut short
    b.write_bytes(b.read_bytes()[:3000])
    r = cli("build", clip_channel, "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert r.code == 0, r
    local = cli("build", clip_channel)
    skipped = sorted(x for x in r.err.splitlines() if x.startswith("skipped:"))
    assert skipped == sorted(x for x in local.err.splitlines() if x.startswith("skipped:"))
    assert "skipped: articles/story0.md: photos: b.jpg is truncated or corrupt" in r.err


def test_unreachable_scheduler_fails_fast_with_one_line(clip_channel, cli):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    r = cli("build", clip_channel, "--executor", "dask", "--scheduler", address)
    assert r.code == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and address in lines[0] and "Dask scheduler" in lines[0], r
    assert not (clip_channel / "dist").exists()


def test_dask_without_an_address_is_a_usage_error(clip_channel, cli, monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    r = cli("build", clip_channel, "--executor", "dask")
    assert r.code == 2 and "--scheduler" in r.err and "DASK_SCHEDULER_ADDRESS" in r.err, r


def test_video_packages_on_dask_are_byte_identical_to_local(make_channel, cluster, cli, tmp_path):
    """A local video file's range, audio and poster tasks on two worker processes (the
    source's bytes travel with each task): the same package, byte for byte."""
    from videos import make_video

    root = make_channel({}, "\n[video]\nladder = [\"180p\", {height = 144, bitrate_kbps = 150}]\nsegment_seconds = 2\n")
    make_video(root / "media" / "clip.mp4", seconds=4.5, size=(320, 180), fps=20)
    (root / "articles" / "v.md").write_text("---\ntitle: Clip\ndate: 2026-01-01\nvideo: ../media/clip.mp4\n---\nA clip.\n")
    local = cli("build", root, "--out", tmp_path / "local")
    assert local.code == 0, local
    remote = cli("build", root, "--out", tmp_path / "dask", "--executor", "dask", "--scheduler", cluster.scheduler_address)
    assert remote.code == 0, remote
    assert "video task" in remote.err and "on the Dask cluster" in remote.err, remote.err
    assert tree(tmp_path / "local") == tree(tmp_path / "dask")
    assert any(k.endswith("master.m3u8") for k in tree(tmp_path / "dask"))


def test_a_task_that_kills_every_worker_stops_with_one_message(cluster, client):
    """Not a bad input but a crash (out of memory, say): after Dask's retries, the build
    stops with a PackagerError (one line, exit 1), not a traceback. It leaves the workers
    restarting (last of this file's cluster tests; the `cluster` fixture waits for them)."""
    from packager.errors import PackagerError
    from packager.executor import DaskExecutor, Task

    ex = DaskExecutor(cluster.scheduler_address)
    try:
        with pytest.raises(PackagerError, match="took down every Dask worker"):
            list(ex.run([Task("x", os._exit, lambda: (1,))], "clip"))
    finally:
        ex.close()


# ---------------------------------------------------------------- hostile peers (issue 26)

@pytest.fixture
def photo_channel(make_channel):
    from conftest import article_text

    return make_channel({"a.md": article_text()})


@pytest.mark.parametrize("trickle", [None, b"\x00", b"HTTP/1.0 200 OK\r\n"])
def test_a_port_that_accepts_and_never_answers_fails_within_the_promised_5_s(photo_channel, cli, trickle):
    from netservers import SilentListener

    with SilentListener(trickle) as silent:
        address = f"tcp://127.0.0.1:{silent.port}"
        import distributed  # noqa: F401 (loaded before the clock starts: the promise is about the wait)
        start = time.monotonic()
        r = cli("build", photo_channel, "--executor", "dask", "--scheduler", address)
        elapsed = time.monotonic() - start
    assert r.code == 2, r
    lines = r.err.strip().splitlines()
    words = "no answer within 5 s" if trickle is None else "isn't a Dask scheduler"
    assert len(lines) == 1 and address in lines[0] and words in lines[0], r
    assert elapsed < 8, elapsed
    assert not (photo_channel / "dist").exists()


@pytest.mark.parametrize("address", ["tcp://[::1", "tcp://127.0.0.1:99999", "nope://x", "tcp://a b:1",
                                     "tcp://host:1:2", "http://127.0.0.1:8786/path", "tcp://\ud800:1"])
def test_a_malformed_scheduler_address_is_one_line_at_once(photo_channel, cli, address, capfd):
    start = time.monotonic()
    r = cli("build", photo_channel, "--executor", "dask", "--scheduler", address)
    elapsed = time.monotonic() - start
    assert r.code == 2 and "is not one: give it like tcp://host:8786" in r.err, r
    assert len(r.err.strip().splitlines()) == 1, r
    assert elapsed < 3, elapsed
    import gc

    gc.collect()
    assert "Exception ignored" not in capfd.readouterr().err


def test_a_scheduler_without_workers_says_so_within_the_bound(photo_channel, cli, monkeypatch):
    import packager.executor

    monkeypatch.setattr(packager.executor, "WORKER_WAIT_SECONDS", 2)
    c = distributed.LocalCluster(n_workers=0, processes=True, host="127.0.0.1", dashboard_address=None,
                                 silence_logs=logging.CRITICAL)
    try:
        start = time.monotonic()
        r = cli("build", photo_channel, "--executor", "dask", "--scheduler", c.scheduler_address)
        elapsed = time.monotonic() - start
    finally:
        with contextlib.suppress(Exception):
            c.close()
    assert r.code == 2, r
    waiting, failed = r.err.strip().splitlines()
    assert waiting.startswith("waiting up to 2 s for a worker to join the Dask scheduler at tcp://127.0.0.1:")
    assert "has no workers (waited 2 s): start some with `dask worker tcp://127.0.0.1:" in failed, r
    assert elapsed < 10, elapsed


def _sleep_task(seconds):
    time.sleep(seconds)
    return seconds


def test_a_cluster_that_loses_every_worker_stops_the_build_within_the_bound(monkeypatch):
    import packager.executor
    from packager.errors import PackagerError
    from packager.executor import DaskExecutor, Task

    monkeypatch.setattr(packager.executor, "WORKER_WAIT_SECONDS", 2)
    c = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None, silence_logs=logging.CRITICAL)
    ex = DaskExecutor(c.scheduler_address)
    try:
        results = ex.run([Task("slow", _sleep_task, lambda: (60,))], "clip")
        threading.Timer(1.0, lambda: c.scale(0)).start()  # every worker leaves while the task runs
        start = time.monotonic()
        with pytest.raises(PackagerError, match="has had no workers for 2 s"):
            list(results)
        assert time.monotonic() - start < 20
    finally:
        ex.close()
        with contextlib.suppress(Exception):
            c.close()
