"""The output folder: only folders the tool made are replaced, never the channel itself, and
files the tool didn't write survive every build (issue 14, "Destroys data")."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import article_text, photo

from packager.writer import MARKER_NAME, DistWriter, OutputError, clean_stale_staging

GOOD = article_text(title="Good story")


def tree(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_out_equal_to_the_channel_folder_is_refused_and_nothing_is_deleted(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    shutil.copy(root / "dist" / "feed.json", root / "feed.json")  # the old proof of ownership
    before = tree(root)
    r = cli("build", root, "--out", root)
    assert r.code == 2, r
    assert "channel folder" in r.err and len(r.err.strip().splitlines()) == 1
    assert tree(root) == before


@pytest.mark.parametrize("where", ["above", "articles", "above-articles"])
def test_out_containing_or_equal_to_the_channel_or_articles_folder_is_refused(make_channel, cli, tmp_path, where):
    root = make_channel({"a.md": GOOD})
    if where == "above-articles":
        (root / "channel.toml").write_text((root / "channel.toml").read_text().replace(
            "[channel]\n", '[channel]\narticles = "content/news"\n'))
        (root / "content").mkdir()
        shutil.move(root / "articles", root / "content" / "news")
    out = {"above": tmp_path, "articles": root / "articles", "above-articles": root / "content"}[where]
    (out / "feed.json").write_text("{}")
    before = tree(tmp_path)
    r = cli("build", root, "--out", out)
    assert r.code == 2, r
    assert tree(tmp_path) == before


def test_check_target_takes_the_protected_paths(tmp_path):
    (tmp_path / "ch" / "articles").mkdir(parents=True)
    with pytest.raises(OutputError, match="channel folder"):
        DistWriter(tmp_path).check_target(protected={"channel folder": tmp_path / "ch"})
    with pytest.raises(OutputError, match="articles folder"):
        DistWriter(tmp_path / "ch" / "articles").check_target(protected={"articles folder": tmp_path / "ch" / "articles"})
    DistWriter(tmp_path / "ch" / "dist").check_target(protected={"channel folder": tmp_path / "ch"})  # inside: fine


def test_a_feed_json_is_no_proof_foreign_files_are_refused(make_channel, cli, tmp_path):
    root = make_channel({"a.md": GOOD})
    out = tmp_path / "mine"
    out.mkdir()
    (out / "feed.json").write_text("{}")
    (out / "notes.txt").write_text("my notes")
    r = cli("build", root, "--out", out)
    assert r.code == 2, r
    assert "notes.txt" in r.err
    assert (out / "notes.txt").read_text() == "my notes"


def test_the_tool_marks_its_folders_and_keeps_files_it_never_wrote(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    marker = json.loads((root / "dist" / MARKER_NAME).read_text())
    assert marker["format"] == "roku-packager-output" and marker["version"] == 1
    assert "feed.json" in marker["files"]
    (root / "dist" / "notes.txt").write_text("my notes")
    (root / "dist" / "artwork" / "keep").mkdir()
    (root / "dist" / "artwork" / "keep" / "x.txt").write_text("x")
    photo(root / "photos" / "b.jpg", color=(10, 200, 30))
    (root / "articles" / "b.md").write_text(article_text(title="Second", photo="../photos/b.jpg"))
    assert cli("build", root).code == 0
    assert (root / "dist" / "notes.txt").read_text() == "my notes"
    assert (root / "dist" / "artwork" / "keep" / "x.txt").read_text() == "x"
    assert "notes.txt" not in json.loads((root / "dist" / MARKER_NAME).read_text())["files"]
    # Files the tool wrote and no longer needs do go.
    (root / "articles" / "b.md").unlink()
    first = set(json.loads((root / "dist" / MARKER_NAME).read_text())["files"])
    assert cli("build", root).code == 0
    now = set(json.loads((root / "dist" / MARKER_NAME).read_text())["files"])
    assert now < first
    assert all(not (root / "dist" / f).exists() for f in first - now)


def test_a_foreign_file_where_the_tool_wants_to_write_is_refused(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    marker = root / "dist" / MARKER_NAME
    data = json.loads(marker.read_text())
    data["files"].remove("feed.json")  # as if the user had put their own feed.json there
    marker.write_text(json.dumps(data))
    r = cli("build", root)
    assert r.code == 2, r
    assert "feed.json" in r.err


def test_a_marker_that_is_not_ours_is_refused(make_channel, cli, tmp_path):
    root = make_channel({"a.md": GOOD})
    out = tmp_path / "o"
    out.mkdir()
    (out / MARKER_NAME).write_text("hello")
    (out / "data.csv").write_text("1,2")
    assert cli("build", root, "--out", out).code == 2
    assert (out / "data.csv").exists()


def test_a_folder_from_the_previous_version_is_accepted_when_it_holds_only_tool_files(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    (root / "dist" / MARKER_NAME).unlink()  # what 0.1.0 left behind: feed.json, artwork/, memo
    assert cli("build", root).code == 0
    assert (root / "dist" / MARKER_NAME).exists()
    (root / "dist" / MARKER_NAME).unlink()
    (root / "dist" / "report.pdf").write_text("x")
    r = cli("build", root)
    assert r.code == 2 and "report.pdf" in r.err, r
    assert (root / "dist" / "report.pdf").exists()


def test_preview_html_is_recorded_as_written_by_the_tool(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("preview", root).code == 0
    assert "preview.html" in json.loads((root / "dist" / MARKER_NAME).read_text())["files"]


def test_stale_staging_folders_of_dead_builds_are_cleaned(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    stale = root / f".dist.staging-{pid}"
    shutil.copytree(root / "dist", stale)
    alive = root / f".dist.staging-{os.getppid()}"  # a build still running elsewhere
    alive.mkdir()
    (alive / MARKER_NAME).write_text("{}")
    notours = root / f".dist.staging-{pid + 1}x"
    notours.mkdir()
    assert cli("build", root).code == 0
    assert not stale.exists()
    assert alive.exists() and notours.exists()


def test_clean_stale_staging_restores_an_old_tree_left_by_a_dead_swap(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    old = tmp_path / f".dist.old-{pid}"
    old.mkdir()
    (old / MARKER_NAME).write_text(json.dumps({"format": "roku-packager-output", "version": 1, "files": ["feed.json"]}))
    (old / "feed.json").write_text("{}")
    clean_stale_staging(tmp_path / "dist")
    assert (tmp_path / "dist" / "feed.json").exists() and not old.exists()


def test_a_foreign_file_standing_where_the_tool_needs_a_folder_is_refused(make_channel, cli):
    root = make_channel({"a.md": GOOD})
    assert cli("build", root).code == 0
    shutil.rmtree(root / "dist" / "artwork")
    (root / "dist" / "artwork").write_text("my file called artwork")
    marker = root / "dist" / MARKER_NAME
    data = json.loads(marker.read_text())
    data["files"] = [f for f in data["files"] if not f.startswith("artwork/")]
    marker.write_text(json.dumps(data))
    r = cli("build", root)
    assert r.code == 2 and "artwork" in r.err, r
    assert (root / "dist" / "artwork").read_text() == "my file called artwork"
