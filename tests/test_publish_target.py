"""publish --to file:// naming a file (or a path under a file) is one clean line, exit 2,
and the file is left alone (issue 14)."""

import pytest
from conftest import article_text


@pytest.mark.parametrize("under", [False, True])
def test_publish_to_a_file_is_a_usage_error(make_channel, cli, tmp_path, under):
    root = make_channel({"a.md": article_text()})
    target = tmp_path / "a-file.txt"
    target.write_text("keep me")
    r = cli("publish", root, "--to", (target / "sub" if under else target).as_uri())
    assert r.code == 2, r
    errors = [line for line in r.err.splitlines() if line.startswith("roku-packager:")]
    assert len(errors) == 1 and "not a folder" in errors[0], r
    assert target.read_text() == "keep me"
