"""publish --dry-run shows what viewers would see change, item by item, against the live feed."""

from __future__ import annotations

from conftest import article_text


def test_dry_run_lists_item_changes_against_the_live_feed(example_channel, cli, tmp_path):
    target = (tmp_path / "public").as_uri()
    first = cli("publish", example_channel, "--to", target, "--dry-run")
    assert first.code == 0 and "no live feed yet; everything is new:" in first.out, first
    assert "providerName" not in first.out, first.out  # nothing was live: nothing "changed"
    assert cli("publish", example_channel, "--to", target).code == 0
    article = example_channel / "articles" / "council-budget.md"
    article.write_text(article.read_text().replace('title: "', 'title: "UPDATE: ', 1))
    (example_channel / "articles" / "soccer-preview.md").unlink()
    r = cli("publish", example_channel, "--to", target, "--dry-run")
    assert r.code == 0, r
    assert "against the live feed:" in r.out
    assert "items: 0 added, 1 removed, 1 changed" in r.out, r.out
    assert "~ council-budget" in r.out and "title" in r.out.split("~ council-budget", 1)[1].splitlines()[0]
    # Nothing changed on the target: the live feed still has the old title.
    assert b"UPDATE: " not in (tmp_path / "public" / "feed.json").read_bytes()


def test_a_users_own_file_in_the_output_folder_is_kept_but_never_published(example_channel, cli, tmp_path):
    assert cli("build", example_channel).code == 0
    (example_channel / "dist" / "notes.txt").write_text("for the newsroom only")
    assert cli("publish", example_channel, "--to", (tmp_path / "public").as_uri()).code == 0
    assert (example_channel / "dist" / "notes.txt").read_text() == "for the newsroom only"
    assert not (tmp_path / "public" / "notes.txt").exists()
    assert (tmp_path / "public" / "feed.json").is_file()


def test_publishing_with_the_example_base_url_init_writes_warns(make_channel, cli, tmp_path):
    """`init` writes base_url under cdn.example.com for a channel that builds at once; publishing
    it unchanged sends viewers to artwork that isn't there, so publish says so (and still publishes)."""
    root = make_channel({"a.md": article_text()})
    r = cli("publish", root, "--to", tmp_path / "real")
    assert r.code == 0 and "example address" not in r.err, r  # https://cdn.test/tv/: a real address here
    toml = root / "channel.toml"
    toml.write_text(toml.read_text().replace("https://cdn.test/tv/", "https://cdn.example.com/riverside/"))
    r = cli("publish", root, "--to", tmp_path / "placeholder")
    assert r.code == 0 and (tmp_path / "placeholder" / "feed.json").is_file(), r
    assert ("warning: [channel] base_url https://cdn.example.com/riverside/ is an example address: the feed's "
            "artwork and video URLs point nowhere; set base_url in channel.toml") in r.err, r.err
