"""Fuzzing what a newsroom types: front matter (YAML and JSON articles) and channel.toml.
Each property: a clean result or clean one-line errors, never a traceback (exit 3), never a
write outside the output folder."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from conftest import article_text, photo
from fuzzing import fuzz_settings, run_cli, tried
from hypothesis import given
from hypothesis import strategies as st

# Field names the articles reader knows, and some it doesn't.
FIELDS = ["id", "title", "date", "summary", "tags", "genres", "photo", "photo_caption", "photo_focus", "video", "type",
          "series", "rating", "credits", "captions", "external_ids", "available", "ad_breaks", "trickplay", "section",
          "featured", "photos", "audio", "unknown_field"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30) | st.floats(allow_nan=True)
    | st.text(max_size=30) | st.sampled_from(["2023-02-29", "../../etc/passwd", "https://x/a.m3u8", "00:05:00", "9" * 400]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(FIELDS + ["url", "duration"]),
                                                                         children, max_size=4),
    max_leaves=12)

YAML_SCALARS = st.sampled_from(["", "~", "yes", "no", "0x1F", "1e999", ".nan", "2023-02-29", "2026-11-31T18:00:00-05:00",
                                "[", "{a: 1", "&a [1, *a]", "!!python/object:os.system ls", "|\n  text", "'quoted",
                                '"\\ud800"', "9" * 5000, "- a\n- b", "2016-09-28", "- {path: ../photos/a.jpg}"])


def _channel() -> Path:
    root = Path(tempfile.mkdtemp(prefix="fuzz-channel-"))
    (root / "articles").mkdir()
    # Articles without video get clips (the default): small, short ones keep the fuzzing fast.
    (root / "channel.toml").write_text('[channel]\nprovider_name = "Fuzz"\nlanguage = "en"\nbase_url = "https://cdn.test/tv/"\n'
                                       '[clips]\nwidth = 640\nheight = 360\nfps = 10\nseconds_per_photo = 2\nintro_seconds = 0\n')
    photo(root / "photos" / "a.jpg")
    (root / "articles" / "good.md").write_text(article_text(title="Good"))
    return root


def _no_escape(root: Path) -> None:
    outside = sorted(p.name for p in root.iterdir())
    assert set(outside) <= {"articles", "channel.toml", "photos", "dist", ".dist.lock"}, outside


@fuzz_settings()
@given(fields=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
def test_any_json_article_is_a_result_or_one_line(fields):
    tried("front matter (JSON)")
    root = _channel()
    try:
        (root / "articles" / "x.json").write_text(json.dumps(fields, default=str))
        code, out, err = run_cli("build", str(root))
        assert code in (0, 1), err
        assert "internal error" not in err and "Traceback" not in err, err
        assert all(line.startswith(("skipped: ", "note: ", "warning: ", "error: ", "roku-packager: ", "rendered "))
                   for line in err.splitlines()), err
        _no_escape(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@fuzz_settings()
@given(pairs=st.lists(st.tuples(st.sampled_from(FIELDS), YAML_SCALARS | st.text(max_size=20)), max_size=6))
def test_any_yaml_front_matter_is_a_result_or_one_line(pairs):
    tried("front matter (YAML)")
    root = _channel()
    try:
        body = "".join(f"{k}: {v}\n" for k, v in pairs)
        (root / "articles" / "x.md").write_text("---\n" + body + "---\nBody.\n")
        code, out, err = run_cli("build", str(root))
        assert code in (0, 1), err
        assert "internal error" not in err and "Traceback" not in err, err
        _no_escape(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


TABLES = ["channel", "artwork", "artwork.title_card", "clips", "feed", "rows", "outputs", "search_feed", "publish",
          "templates", "render", "app", "clip"]
KEYS = ["provider_name", "language", "base_url", "articles", "genres", "allow_remote", "width", "height", "quality",
        "background", "renditions", "fit", "render", "max_bytes", "emit", "mrss", "countries", "acl", "jobs", "title",
        "executor", "version", "qualty", "color", "font", "logo", "music"]
TOML_VALUES = st.sampled_from(['"x"', "1", "-1", "0", "9" * 30, "9" * 5000, "true", "3.5", "nan", "inf", '["a"]', "[]",
                               '"../../etc"', '"#zzz"', '"1280x720"', '["999999x720"]', '{a = 1}', '"https://x/ y"',
                               "[" * 50 + "]" * 50, '"{{ title|nope }}"', '"dask"', '"1.0.0"', '"fhd"'])


@fuzz_settings()
@given(entries=st.lists(st.tuples(st.sampled_from(TABLES), st.sampled_from(KEYS), TOML_VALUES), max_size=6))
def test_any_channel_toml_is_a_result_or_clean_exit_2(entries):
    tried("channel.toml")
    root = _channel()
    try:
        text = '[channel]\nprovider_name = "Fuzz"\nlanguage = "en"\nbase_url = "https://cdn.test/tv/"\n'
        for table, key, value in entries:
            text += f"\n[{table}]\n{key} = {value}\n" if table != "channel" else ""
        (root / "channel.toml").write_text(text)
        code, out, err = run_cli("build", str(root))
        assert code in (0, 1, 2), err
        assert "internal error" not in err and "Traceback" not in err, err
        if code == 2:
            assert all(line.startswith(("roku-packager: ", "channel.toml: ")) for line in err.splitlines()), err
        _no_escape(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
