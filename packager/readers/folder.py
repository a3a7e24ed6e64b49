"""The default reader: a folder of articles, Markdown with YAML front matter or JSON, one
article a file. Each bad file becomes one ArticleError; the others are read on."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import yaml

from packager.articles import check_text
from packager.config import Channel, Source
from packager.errors import ArticleError
from packager.model import Article
from packager.readers import Content
from packager.readers.common import build_article
from packager.safepath import is_inside

ARTICLE_SUFFIXES = (".md", ".markdown", ".json")
MAX_ARTICLE_BYTES = 5 * 1024 * 1024  # a story is text; anything larger is a mistake


class _FrontMatterLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader (5-10x faster) with timestamps kept as text: YAML would build
    datetimes itself and abort on an impossible date (2023-02-29) in any field. Dates are
    parsed where they are used, so a bad one is that field's error."""


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _FrontMatterLoader.construct_yaml_str)


def article_files(folder: Path, exclude: tuple[Path, ...] = (), outside: list[Path] | None = None) -> list[Path]:
    """Article files in a stable order; names starting with . or _ are ignored, and so are
    the tool's own output and publish folders (with articles = "." they lie inside). Links
    to folders are not followed; those leading out of `folder`'s channel go in `outside`."""
    if not folder.is_dir():
        return []
    skip = {p.resolve() for p in exclude}
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and (here / d).resolve() not in skip)
        if outside is not None:
            outside += [here / d for d in dirnames if (here / d).is_symlink()]
        for name in sorted(filenames):
            path = here / name
            if not name.startswith((".", "_")) and path.suffix.lower() in ARTICLE_SUFFIXES:
                found.append(path)
    return sorted(found)


def read(channel: Channel, source: Source, fetcher, short_max: int, exclude: tuple[Path, ...] = ()) -> Content:
    content = Content()
    links: list[Path] = []
    for path in article_files(source.path, exclude, links):
        try:
            content.articles.append(read_article(channel, path, short_max))
        except ArticleError as e:
            content.errors.append(e)
    for link in links:
        if not is_inside(channel.root, link):
            content.warnings.append(f"{_source_name(channel, link)}: is a link to a folder outside the channel folder; "
                                    "its articles are not read (move or copy them in)")
    return content


def _source_name(channel: Channel, path: Path) -> str:
    try:
        name = path.relative_to(channel.root).as_posix()
    except ValueError:
        name = str(path)
    # A file name that isn't UTF-8 must still print: its odd bytes are shown as U+FFFD.
    return os.fsencode(name).decode("utf-8", "replace")


def read_article(channel: Channel, path: Path, short_max: int = 200) -> Article:
    source = _source_name(channel, path)
    try:
        os.fsencode(path.name).decode("utf-8")
    except UnicodeDecodeError:
        raise ArticleError(source, None, "the file name is not UTF-8; rename the file") from None
    if not is_inside(channel.root, path):
        raise ArticleError(source, None, "is a link that leads outside the channel folder (or a link loop); copy the file in instead")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(source, None, "is not a regular file; articles are text files")
        if info.st_size > MAX_ARTICLE_BYTES:
            raise ArticleError(source, None, f"is {info.st_size:,} bytes; an article file may be at most {MAX_ARTICLE_BYTES:,}")
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ArticleError(source, None, f"is not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    except OSError as e:
        raise ArticleError(source, None, f"can't be read: {e.strerror or e}") from None
    if path.suffix.lower() == ".json":
        fields, body = _parse_json(source, raw)
    else:
        fields, body = _parse_markdown(source, raw)
    check_text(fields, source)
    return build_article(channel, source, path, fields, body, short_max)


def _parse_json(source: str, raw: str) -> tuple[dict, str]:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ArticleError(source, None, f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except ValueError as e:  # a number of thousands of digits
        raise ArticleError(source, None, f"not JSON this tool can read: {str(e)[:80]}") from None
    except RecursionError:
        raise ArticleError(source, None, "not JSON this tool can read: nested too deeply") from None
    if not isinstance(data, dict):
        raise ArticleError(source, None, "must hold one JSON object with the article's fields")
    body = data.get("body", "")
    if not isinstance(body, str):
        raise ArticleError(source, "body", "must be a string of Markdown or HTML")
    return data, body


def _parse_markdown(source: str, raw: str) -> tuple[dict, str]:
    lines = raw.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ArticleError(source, "front matter", "the file must start with a '---' line, then YAML fields, then '---'")
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        raise ArticleError(source, "front matter", "no closing '---' line after the YAML fields")
    try:
        data = yaml.load("".join(lines[1:end]), Loader=_FrontMatterLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ArticleError(source, "front matter", f"invalid YAML{where}: {problem}") from None
    except ValueError as e:  # a number of thousands of digits
        raise ArticleError(source, "front matter", f"a value YAML can't read: {str(e)[:80]}") from None
    except RecursionError:
        raise ArticleError(source, "front matter", "nested too deeply") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ArticleError(source, "front matter", "must be YAML fields (key: value), not a list or a single value")
    return data, "".join(lines[end + 1:])
