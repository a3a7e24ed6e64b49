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


# ---------------------------------------------------------------- layering

# ARCHITECTURE.md's stage table, earliest first: a module may import modules of its own stage
# or of an earlier one, never of a later one (inside functions too). Every module of the
# package has a place here; a new module needs one (test_every_module_has_a_stage).
# Where the table and the imports disagree on order, the imports decide and the line says why.
STAGES: list[tuple[str, set[str]]] = [
    ("vocabulary", {"ids", "dp", "resources"}),
    # Helpers of every stage: messages' exceptions, paths kept inside a folder, Markdown/HTML
    # to text, sandboxed Jinja2 text, bounded http(s) fetches, the photo digest memo.
    ("helpers", {"errors", "safepath", "text", "textfields", "remote", "digests"}),
    ("config", {"config", "model"}),
    # Every field check, shared by the readers: they call it, so it comes before them.
    ("articles", {"articles"}),
    ("readers", {"readers", "readers.common", "readers.folder", "readers.exports", "readers.rss",
                 "readers.dpfeed", "readers.wordpress"}),
    # The render executor runs the pixel and clip tasks that artwork and clips submit.
    ("pixels", {"imaging", "crop", "executor"}),
    ("artwork", {"artwork"}),
    ("video", {"video", "video.bif", "video.captions", "video.encode", "video.fmp4", "video.loudness",
               "video.probe", "video.stage"}),
    ("clips", {"clips", "clips.plan", "clips.text", "clips.pictures", "clips.audio", "clips.encode", "clips.task"}),
    ("feed", {"feed"}),
    ("validate", {"validate"}),
    # Beside the pipeline, files from a built dist/ or one image (channelart writes through writer).
    ("writer", {"writer", "outputs", "preview", "diff", "channelart"}),
    ("build", {"build", "starter"}),
    ("publish", {"stores", "target", "publish", "publish.layout", "publish.tree", "publish.history",
                 "publish.plan", "publish.lease", "publish.upload", "publish.rollback", "serve", "rokuapp",
                 "sideload", "migrate"}),
    ("outcome", {"outcome"}),
    ("cli", {"cli", "__main__", ""}),  # "": the package's __init__ (its version)
]


def stage_of() -> dict[str, int]:
    return {m: i for i, (_, mods) in enumerate(STAGES) for m in mods}


def _short(module: str) -> str:
    return module.removeprefix("packager").removeprefix(".")


def test_every_module_has_a_stage():
    stages = stage_of()
    missing = sorted(_short(m) for m in import_graph() if _short(m) not in stages)
    assert not missing, f"give these modules a stage in STAGES (and a line in ARCHITECTURE.md): {missing}"
    gone = sorted(set(stages) - {_short(m) for m in import_graph()})
    assert not gone, f"STAGES names modules that no longer exist: {gone}"


def layering_violations(graph: dict[str, set[str]], stages: dict[str, int]) -> list[str]:
    return [f"{_short(m)} ({STAGES[stages[_short(m)]][0]}) imports {_short(d)} ({STAGES[stages[_short(d)]][0]})"
            for m, deps in sorted(graph.items()) for d in sorted(deps)
            # `from packager import crop` names the package too: its __init__ runs for every import.
            if d != "packager" and stages.get(_short(d), -1) > stages.get(_short(m), len(STAGES))]


def test_imports_point_from_later_stages_to_earlier_ones():
    assert layering_violations(import_graph(), stage_of()) == []


def test_layering_check_catches_an_import_against_the_flow():
    graph = {"packager.feed": {"packager.publish"}, "packager.publish": {"packager.feed"}}
    assert layering_violations(graph, stage_of()) == ["feed (feed) imports publish (publish)"]


def test_every_module_is_on_the_map():
    """Each module (or package) is named in ARCHITECTURE.md, as `name` or `package/`."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`([a-z_]+)/?`", text))
    modules = {_short(m).split(".")[0] for m in import_graph()} - {"", "__main__"}
    assert sorted(modules - named) == []


def test_cli_imports_only_the_thin_layer_at_start_up():
    """ARCHITECTURE: `cli` imports only `outcome`, `errors`, `dp` and `ids` (and the version);
    each command imports its stages when it runs."""
    tree = ast.parse((PACKAGE / "cli.py").read_text(encoding="utf-8"))
    top = {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("packager")}
    assert top <= {"packager", "packager.outcome", "packager.errors", "packager.dp", "packager.ids"}, top


def test_both_stores_satisfy_the_store_protocol():
    """publish talks to a target only through target.Store: both stores have each of its
    members, with its parameters (names and kinds; defaults are each store's own)."""
    import inspect

    from packager.stores import FileStore, S3Store
    from packager.target import Store

    members = [n for n, v in vars(Store).items() if callable(v) and not n.startswith("_")]
    assert {"list", "get", "put", "delete", "describe"} <= set(members)
    for store in (FileStore, S3Store):
        for name in members:
            want = [(p.name, p.kind) for p in inspect.signature(getattr(Store, name)).parameters.values()]
            have = [(p.name, p.kind) for p in inspect.signature(getattr(store, name)).parameters.values()]
            assert have == want, (store.__name__, name, have, want)
    assert "url" in Store.__annotations__


def test_every_reader_has_the_reader_signature():
    import inspect
    from importlib import import_module

    from packager.readers import READERS, Reader

    want = [p.name for p in inspect.signature(Reader.__call__).parameters.values()][1:]
    for module in READERS.values():
        read = import_module(f"packager.readers.{module}").read
        assert [p.name for p in inspect.signature(read).parameters.values()] == want, module
