"""The shape of the code: imports point one way (no cycles, at module level or inside
functions), the heavy libraries stay out of start-up, and channel.toml's schema is the one
list of keys (README and schema agree; jsonschema agrees with our walker)."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys

import pytest
from conftest import ROOT

PACKAGE = ROOT / "packager"


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports, anywhere in its body."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("packager"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("packager"))
        graph[name] = deps
    return {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state and (found := visit(d)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycles():
    graph = import_graph()
    # A package's __init__ importing its own submodules lazily is its registry, not a cycle.
    for m in graph:
        graph[m] = {d for d in graph[m] if not (m.startswith(d + ".") and d in graph)}
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_module_imports_alone():
    """Each module imported first in a fresh interpreter: a hidden cycle would fail with
    'partially initialized module'."""
    names = sorted(m for m in import_graph() if m != "packager.__main__")
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n    [sys.modules.pop(k) for k in list(sys.modules) if k.startswith('packager')]\n"
    r = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


HEAVY = ("jsonschema", "boto3", "botocore", "av", "numpy", "feedparser", "playwright", "PIL", "jinja2",
         "fastjsonschema", "yaml", "dask", "distributed")


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--help"], ["build", "--help"]])
def test_start_up_imports_nothing_heavy(argv):
    code = ("import sys\nfrom packager.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules}))")
    r = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT)
    loaded = set(json.loads(r.stdout.strip().splitlines()[-1].replace("'", '"')))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_validating_a_valid_feed_does_not_load_jsonschema(tmp_path):
    from feeds import full_feed

    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(full_feed()))
    code = ("import sys\nfrom packager.cli import main\nrc = main(['validate', sys.argv[1]])\n"
            "print(rc, 'jsonschema' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code, str(feed)], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip().splitlines()[-1] == "0 False", r


# ---------------------------------------------------------------- channel.toml schema

def test_channel_schema_is_valid_json_schema():
    from jsonschema import Draft202012Validator

    from packager.config import channel_schema

    Draft202012Validator.check_schema(channel_schema())


def _schema_keys() -> set[str]:
    from packager.config import channel_schema

    keys = set()

    def walk(node, table):
        for name, sub in node.get("properties", {}).items():
            inner = sub.get("items", sub) if sub.get("type") == "array" else sub
            # A table of tables ([artwork.title_card]); an inline table with a default is one key.
            if inner.get("type") == "object" and "properties" in inner and "default" not in inner:
                walk(inner, f"{table}.{name}" if table else name)
            elif table:
                keys.add(f"{table}.{name}")

    walk(channel_schema(), "")
    return keys


def _readme_keys() -> set[str]:
    """Keys in the README's channel.toml reference block: `key =` lines under [table]s."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("### channel.toml"):]
    block = block[block.index("```toml") + 7:]
    block = block[:block.index("```")]
    keys, table = set(), ""
    for line in block.splitlines():
        if m := re.match(r"^\[\[?([\w.]+)\]\]?", line):
            table = m.group(1)
        elif table:
            # `key = ...` at the start of a line, or an alternative named in a comment: `# or path = ...`
            for m in re.finditer(r"(?:^|#\s*or:?\s+)([a-z][a-z0-9_]*)\s*=", line):
                keys.add(f"{table}.{m.group(1)}")
    return keys


def test_readme_channel_reference_matches_schema():
    schema, readme = _schema_keys(), _readme_keys()
    assert schema - readme == set(), f"in the schema, missing from the README: {sorted(schema - readme)}"
    assert readme - schema == set(), f"in the README, not in the schema: {sorted(readme - schema)}"


def test_every_source_type_has_a_reader():
    from packager.config import channel_schema
    from packager.readers import READERS, reader

    types = channel_schema()["properties"]["sources"]["items"]["properties"]["type"]["enum"]
    assert sorted(types) == sorted(READERS)
    assert all(callable(reader(t)) for t in types)
