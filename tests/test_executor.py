"""The local executor: one pool for artwork and clips, tasks run as they are fed, the line
saying where they ran, and no Dask anywhere near a local build."""

import subprocess
import sys

import photos
from test_clips import CLIPS, text_article

from packager.artwork import render_photo_task
from packager.executor import LocalExecutor, Task, open_executor
from packager.imaging import RenderSpec


def test_tasks_run_in_a_window_and_unreadable_inputs_are_results(tmp_path):
    good = tmp_path / "a.jpg"
    photos.scene(1600, 900, 3).save(good)
    spec = RenderSpec(renditions=((1280, 720), (800, 450)))
    tasks = [Task(i, render_photo_task, lambda: (good.read_bytes(), ".jpg", spec, 10 ** 8)) for i in range(7)]
    tasks.append(Task("gone", render_photo_task, lambda: ((tmp_path / "gone.jpg").read_bytes(), ".jpg", spec, 10 ** 8)))
    tasks.append(Task("tiny", render_photo_task, lambda: (b"not an image", ".jpg", spec, 10 ** 8)))
    ex = LocalExecutor(jobs=2)
    try:
        results = dict(ex.run(tasks, "photo"))
    finally:
        ex.close()
    assert sorted(results, key=str) == sorted([*range(7), "gone", "tiny"], key=str)
    assert len({tuple(r) for k, r in results.items() if isinstance(k, int)}) == 1  # same bytes every time
    assert [(w, h) for w, h, _ in results[0]] == [(1280, 720), (800, 450)]
    assert isinstance(results["gone"], FileNotFoundError)
    assert results["tiny"].startswith("is not an image")
    assert ex.summary() == "rendered 8 photos here (2 slots)"


def test_default_is_local_sized_to_jobs():
    ex = open_executor(None, None, None, jobs=3)
    assert isinstance(ex, LocalExecutor) and ex.slots == 3
    ex.close()


def test_local_build_says_where_tasks_ran_and_never_imports_dask(make_channel, tmp_path):
    root = make_channel({"story.md": text_article()}, CLIPS)
    photos.scene(1600, 900, 21).save(root / "photos" / "a.jpg", quality=90)
    photos.scene(1200, 800, 22).save(root / "photos" / "b.jpg", quality=90)
    code = ("import sys; from packager.cli import main; code = main(['build', sys.argv[1]]); "
            "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')); "
            "print('HEAVY', heavy); sys.exit(code)")
    r = subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout
    assert "rendered 1 photo and 1 clip here (" in r.stderr


def test_render_table_is_checked_by_the_schema(make_channel, cli):
    root = make_channel({"story.md": text_article()}, CLIPS + '\n[render]\nexecutor = "spark"\n')
    r = cli("build", root)
    assert r.code == 2 and "executor" in r.err and "spark" in r.err, r


def test_progress_line_counts_finished_tasks_on_a_terminal(monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    ex = LocalExecutor(jobs=2)
    try:
        assert sorted(k for k, _ in ex.run([Task(i, len, lambda: (b"abc",)) for i in range(3)], "photo")) == [0, 1, 2]
    finally:
        ex.close()
    shown = term.getvalue()
    assert [f"{n}/3" in shown for n in (1, 2, 3)] == [True] * 3
    assert shown.endswith("\r\033[K")  # the line is cleared when the tasks are done
