"""channel-art with careless input (issue 14): each is one clean line and exit 2, and the
message names the option actually at fault."""

import os

import pytest
from conftest import photo


@pytest.fixture
def logo(tmp_path):
    return photo(tmp_path / "logo.png", size=(800, 400), mode="RGBA", color=(200, 30, 30, 255))


def one_line(r):
    lines = [line for line in r.err.strip().splitlines() if not line.startswith("usage:") and not line.startswith(" ")]
    assert len(lines) == 1, r
    return lines[0]


def test_out_is_an_existing_file(cli, tmp_path, logo):
    (tmp_path / "file").write_text("keep me")
    r = cli("channel-art", logo, "--out", tmp_path / "file")
    assert r.code == 2 and "--out" in one_line(r) and "not a folder" in r.err, r
    assert (tmp_path / "file").read_text() == "keep me"


def test_out_under_a_file(cli, tmp_path, logo):
    (tmp_path / "file").write_text("keep me")
    r = cli("channel-art", logo, "--out", tmp_path / "file" / "sub")
    assert r.code == 2 and "--out" in one_line(r), r


def test_a_folder_as_input_image(cli, tmp_path):
    (tmp_path / "folder.png").mkdir()
    r = cli("channel-art", tmp_path / "folder.png", "--out", tmp_path / "o")
    assert r.code == 2 and "is a folder" in one_line(r), r
    assert not (tmp_path / "o").exists()


def test_a_fifo_as_input_image_does_not_hang(cli, tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    r = cli("channel-art", tmp_path / "pipe.png", "--out", tmp_path / "o")
    assert r.code == 2 and "not a regular file" in one_line(r), r


def test_background_red_is_blamed_on_the_option_not_channel_toml(cli, tmp_path, logo):
    r = cli("channel-art", logo, "--background", "red", "--out", tmp_path / "o")
    assert r.code == 2 and "--background" in r.err and "channel.toml" not in r.err, r
    assert not (tmp_path / "o").exists()
