"""The top-level guard: whatever escapes is one line and a documented exit code (3 for a bug,
130 for Ctrl-C at any moment), a traceback only under --debug; error quotes stay short."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from conftest import ROOT, article_text

from packager.cli import main
from packager.errors import excerpt

ALIAS_BOMB = "\n".join(
    [f"{a}: &{a} [x,x,x,x,x,x,x,x,x]" if a == "a" else f"{a}: &{a} [{', '.join(['*' + prev] * 9)}]"
     for prev, a in zip("-abcdefgh", "abcdefghi", strict=True)]) + "\n"


def run(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "packager", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, **kw)


class Boom(Exception):
    pass


def test_an_unexpected_exception_is_one_line_and_exit_3(capsys, monkeypatch):
    import packager.cli as cli

    parser = cli.make_parser()

    def boom(args):
        raise Boom("something went wrong\nwith a second line")

    monkeypatch.setattr(cli, "make_parser", lambda: parser)
    parser._subparsers._group_actions[0].choices["validate"].set_defaults(func=boom)
    assert main(["validate", "x.json"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error, please report: Boom" in err and "Traceback" not in err
    assert "--debug" in err
    assert main(["--debug", "validate", "x.json"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error, please report" in err
    assert main(["validate", "x.json", "--debug"]) == 3  # the flag is global: any position
    assert "Traceback" in capsys.readouterr().err


def test_help_lists_exit_3_and_debug():
    r = run("--help")
    assert "internal error" in r.stdout and "130" in r.stdout
    assert "--debug" in r.stdout


def test_ctrl_c_while_the_command_imports_is_one_line_and_130(capsys, example_channel):
    """KeyboardInterrupt raised by an import inside the command (what Ctrl-C in the first
    second of a command does) is caught by the guard."""
    class Interrupting:
        def find_spec(self, name, path=None, target=None):
            if name == "packager.build":
                raise KeyboardInterrupt
            return None

    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k == "packager.build"}
    sys.meta_path.insert(0, Interrupting())
    try:
        assert main(["build", str(example_channel)]) == 130
    finally:
        sys.meta_path.pop(0)
        sys.modules.update(saved)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "interrupted" in err


def test_ctrl_c_while_the_parser_is_made_is_caught(capsys, monkeypatch):
    import packager.cli as cli

    def interrupted():
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "make_parser", interrupted)
    assert main(["build", "x"]) == 130
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("delay", [0.05, 0.15, 0.3, 0.6, 1.0])
def test_sigint_at_any_moment_of_a_build_is_one_line(example_channel, delay):
    proc = subprocess.Popen([sys.executable, "-m", "packager", "build", str(example_channel)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    if "KeyboardInterrupt" in err and "packager" not in err:
        # A loaded machine: the signal came while Python itself started (site, runpy), before any code of ours ran.
        pytest.skip("SIGINT landed in the interpreter's own start-up")
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 130, -signal.SIGINT), (proc.returncode, err)
    if proc.returncode == 130:
        assert err.strip().splitlines()[-1].startswith("roku-packager: interrupted")


def test_excerpt_of_an_alias_bomb_is_short_and_quick():
    data = yaml.safe_load(ALIAS_BOMB + "title: &t [" + ", ".join(["*i"] * 9) + "]\n")
    t = time.process_time()
    text = excerpt(data["title"])
    assert time.process_time() - t < 0.5
    assert len(text) <= 63 and text.endswith("...") and text.startswith("[[[")


@pytest.mark.parametrize("value, expected", [
    ("short", "'short'"),
    ("a\x00b\ud800", "'a\\x00b\\ud800'"),
    ({"k": [1, 2]}, "{'k': [1, 2]}"),
    (None, "None"),
])
def test_excerpt_quotes_escaped(value, expected):
    assert excerpt(value) == expected


def test_excerpt_of_huge_and_recursive_values():
    assert len(excerpt("x" * 10_000)) <= 63
    loop = []
    loop.append(loop)
    assert excerpt(loop) == "[...]"
    deep = []
    for _ in range(100_000):
        deep = [deep]
    assert len(excerpt(deep)) <= 63
    sys.set_int_max_str_digits(4300)
    assert "digits" in excerpt(10 ** 5000)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_surrogate_in_an_item_id_is_printed_escaped(tmp_path, fmt):
    (tmp_path / "feed.json").write_text('{"shortFormVideos": [{"id": "\\ud800", "title": 1}]}')
    r = run("validate", tmp_path / "feed.json", "--format", fmt)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "internal error" not in r.stderr, r
    assert "\\ud800" in r.stdout


def test_aws_profile_flag_and_its_old_spelling(cli, example_channel, tmp_path):
    """--aws-profile names the AWS profile; --profile, its old spelling, still works with a note."""
    missing = "no-such-profile-xyz"
    new = cli("history", example_channel, "--to", "s3://bucket/prefix", "--aws-profile", missing)
    old = cli("history", example_channel, "--to", "s3://bucket/prefix", "--profile", missing)
    assert missing in new.err and "old spelling" not in new.err, new
    assert missing in old.err and "--aws-profile" in old.err, old


def test_sigterm_while_publish_waits_is_one_line_and_143(built_example, tmp_path):
    """SIGTERM (a cancelled CI job) ends a publish with the README's code 143 and one line,
    unwinding like an error: another publisher's lock is left as it was."""
    import json
    import signal
    import time

    from packager.publish import LOCK_KEY

    target = tmp_path / "cdn"
    lock = target / LOCK_KEY
    lock.parent.mkdir(parents=True)
    now = time.time()
    held = json.dumps({"token": "x", "host": "newsroom-1", "pid": 4242, "started": now, "expires": now + 600})
    lock.write_text(held)
    proc = subprocess.Popen([sys.executable, "-m", "packager", "publish", str(built_example), "--to", str(target),
                             "--lock-wait", "120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:  # publish has built and waits for the lock
        lines.append(line)
        if "waiting for another" in line:
            break
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    assert proc.wait(timeout=60) == 143, (lines, rest)
    assert rest.splitlines() == ["roku-packager: terminated (SIGTERM); the publish lock is released and the live feed is whole"]
    assert lock.read_text() == held and not (target / "feed.json").exists()


@pytest.mark.parametrize("args,flag", [
    (["build", "CH", "--render-jobs", "0"], "--render-jobs"),
    (["publish", "CH", "--retries", "0"], "--retries"),
    (["publish", "CH", "--keep-history", "-1"], "--keep-history"),
    (["publish", "CH", "--upload-jobs", "65"], "--upload-jobs"),
    (["serve", "CH", "--port", "65536"], "--port"),
])
def test_flag_values_out_of_range_are_usage_errors(cli, example_channel, args, flag):
    """A flag that sets a [publish] key has the schema's range; every bad value is exit 2,
    one line, before any work."""
    r = cli(*[example_channel if a == "CH" else a for a in args])
    assert r.code == 2 and flag in r.err and not (example_channel / "dist").exists(), r


def test_build_format_json_lists_every_problem_as_data(make_channel, cli):
    """`build --format json`: one object on stdout (the feed, counts, exit code, every problem
    with kind, severity, origin, field, message, code); stderr keeps the same lines as text."""
    root = make_channel({
        "good.md": article_text(),
        "bad-date.md": article_text(title="Dated", date="next tuesday"),
        "missing.md": article_text(title="Missing photo", photo="../photos/nowhere.jpg"),
    })
    text = cli("build", root)
    r = cli("build", root, "--format", "json")
    assert r.code == text.code == 0, r
    # The lines for a person are the same in both formats (how much was rendered aside: the
    # second build reuses the first's pictures).
    assert [x for x in r.err.splitlines() if not x.startswith("rendered ")] == \
        [x for x in text.err.splitlines() if not x.startswith("rendered ")]
    data = json.loads(r.out)
    assert data["items"] == 1 and data["skipped"] == 2 and data["exit"] == 0
    assert data["feed"].endswith("feed.json") and data["bytes"] == len((root / "dist" / "feed.json").read_bytes())
    skipped = {p["origin"].rsplit("/", 1)[-1]: p for p in data["problems"] if p["severity"] == "skipped"}
    assert set(skipped) == {"bad-date.md", "missing.md"}, data["problems"]
    assert skipped["bad-date.md"]["field"] == "date" and skipped["missing.md"]["field"] == "photo"
    assert all(p["kind"] == "article" for p in skipped.values())
    # Each problem is one of the lines on stderr, word for word.
    for p in data["problems"]:
        if p["kind"] != "rule":
            line = f"{p['severity']}: " + "".join(f"{x}: " for x in (p["origin"], p["field"]) if x) + p["message"]
            assert line in r.err.splitlines(), line
    strict = cli("build", root, "--format", "json", "--strict")
    assert strict.code == 1 and json.loads(strict.out)["exit"] == 1
