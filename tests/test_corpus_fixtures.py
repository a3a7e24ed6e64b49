"""The corpus of real DP feed shapes stays consistent: every fixture has its expectations,
every expected id is in its fixture, and the large feed is deterministic and large."""

import importlib.util
import json
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
EXPECTATIONS = json.loads((CORPUS / "expectations.json").read_text(encoding="utf-8"))
FIXTURES = sorted(p.name for p in CORPUS.glob("*.json") if p.name != "expectations.json")
UNREADABLE = {"broken-json-vimeo-export.json"}


def _ids(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        if "id" in node and isinstance(node["id"], (str, int)):
            found.add(str(node["id"]))
        for value in node.values():
            found |= _ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= _ids(value)
    return found


def _large_module():
    spec = importlib.util.spec_from_file_location("make_large", CORPUS / "make_large.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_fixture_has_expectations_and_readme_line():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    assert len(FIXTURES) >= 20
    assert sorted(k for k in EXPECTATIONS if k.endswith(".json")) == FIXTURES
    for name in [*FIXTURES, "make_large.py"]:
        assert f"| {name} |" in readme, name


@pytest.mark.parametrize("name", FIXTURES)
def test_expected_ids_are_in_the_fixture(name):
    text = (CORPUS / name).read_text(encoding="utf-8")
    expected = EXPECTATIONS[name]
    listed = [*expected["items"], *expected["skipped"], *expected.get("either", [])]
    assert len(listed) == len(set(listed)), "an id is in two lists"
    if name in UNREADABLE:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        assert all(f'"{i}"' in text for i in listed)
        return
    assert set(listed) == _ids(json.loads(text)) - _nested_non_item_ids(json.loads(text))


def _nested_non_item_ids(feed) -> set[str]:
    """ids that are not content items: externalIds entries and additional-feed records."""
    out = set()
    if isinstance(feed, dict):
        for item_list in feed.values():
            for item in item_list if isinstance(item_list, list) else []:
                if isinstance(item, dict):
                    out |= {str(x.get("id")) for x in item.get("externalIds") or [] if isinstance(x, dict)}
        out |= {str(x.get("id")) for x in feed.get("additional_feeds") or []}
    return out


def test_large_feed_is_deterministic_and_over_the_template_limit():
    module = _large_module()
    first, second = module.large_feed_bytes(), module.large_feed_bytes()
    assert first == second
    assert 1_000_000 <= len(first) <= 2_000_000
    feed = module.large_feed()
    ids = [item["id"] for item in feed["shortFormVideos"]]
    assert len(ids) == len(set(ids)) == module.ITEMS
    assert EXPECTATIONS["make_large.py"]["items"] == "ALL"
