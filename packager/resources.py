"""Where the schemas and templates are: inside the installed package (the wheel copies the
repository's top-level schemas/ and templates/ there), else at the top of a source checkout."""

from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"roku-packager installation is missing its {name}/ folder")


def schema_path(name: str = "roku-feed.schema.json") -> Path:
    return resource_dir("schemas") / name


def templates_dir() -> Path:
    return resource_dir("templates")
