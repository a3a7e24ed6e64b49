"""`roku-packager init DIR`: a channel that builds at once, and never a file overwritten."""

import json
import re
import tomllib

import av

from packager.config import channel_schema, default, schema_problems
from packager.starter import CHANNEL_TOML, welcome_photo


def test_init_then_build_plays_the_example_story(tmp_path, cli):
    root = tmp_path / "riverside-news"
    r = cli("init", root)
    assert r.code == 0 and r.err == "", r
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) == [
        "articles/welcome.md", "channel.toml", "photos/welcome.jpg"]
    commands = [line.split("#")[0].strip() for line in r.out.splitlines() if line.startswith("  roku-packager ")]
    assert commands == [f"roku-packager build {root}", f"roku-packager preview {root}",
                        f"roku-packager publish {root} --to s3://BUCKET/PREFIX"], r
    config = tomllib.loads((root / "channel.toml").read_text())
    assert config == {"channel": {"provider_name": "Riverside News", "language": "en",
                                  "base_url": "https://cdn.example.com/riverside-news/"}}

    b = cli("build", root)
    assert b.code == 0 and "skipped" not in b.err, b
    feed = json.loads((root / "dist" / "feed.json").read_bytes())
    (item,) = feed["shortFormVideos"]
    assert item["title"] == "Welcome to Riverside News" and item["tags"] == ["local"]
    with av.open(str(root / "dist" / item["content"]["videos"][0]["url"].removeprefix(config["channel"]["base_url"]))) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.duration > 0
    assert cli("validate", root / "dist" / "feed.json", "--assets", root / "dist").code == 0


def test_init_never_overwrites(tmp_path, cli):
    root = tmp_path / "ch"
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "welcome.md").write_text("ours\n")
    r = cli("init", root, "--name", 'The "Valley" Herald', "--base-url", "https://tv.example.org/valley")
    assert r.code == 0, r
    assert "(articles/welcome.md already there, kept)" in r.out
    assert (root / "articles" / "welcome.md").read_text() == "ours\n"
    assert tomllib.loads((root / "channel.toml").read_text())["channel"] == {
        "provider_name": 'The "Valley" Herald', "language": "en", "base_url": "https://tv.example.org/valley/"}

    before = (root / "channel.toml").read_bytes()
    again = cli("init", root)
    assert again.code == 2 and again.out == "", again
    assert again.err.splitlines() == [f"roku-packager: {root / 'channel.toml'} already exists; init never "
                                      "overwrites a channel (choose another folder)"]
    assert (root / "channel.toml").read_bytes() == before


def test_every_commented_key_is_a_real_key_with_a_valid_value():
    """Uncommented, the starter's channel.toml passes the schema: the comments can't drift from it."""
    lines = []
    for line in CHANNEL_TOML.format(name='"x"', base_url='"https://x.example/"').splitlines():
        m = re.match(r"^# (\[\[?[\w.]+\]\]?.*|[a-z_]+ = .*)$", line)
        lines.append(m.group(1) if m else line)
    uncommented = tomllib.loads("\n".join(lines))
    assert set(uncommented) == {"channel", "artwork", "clips", "categories", "rows", "feed", "outputs", "publish", "app"}
    assert "title_card" in uncommented["artwork"]
    assert schema_problems(uncommented, channel_schema()) == []
    # The values shown are the defaults where a default exists.
    for table in ("artwork", "clips"):
        for key, value in uncommented[table].items():
            if (d := default(table, key)) is not None:
                assert value == (list(d) if isinstance(d, tuple) else d), (table, key)


def test_the_example_photo_is_the_same_bytes_every_time():
    assert welcome_photo() == welcome_photo()
