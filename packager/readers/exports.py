"""The json reader: CMS exports as a .json file (one article object or an array), a .jsonl
file, or a folder of them. [[sources]] fields map our names onto the export's."""

from __future__ import annotations

import json
from pathlib import Path

from packager.articles import check_text
from packager.errors import ArticleError
from packager.readers import Content
from packager.readers.common import build_article, load_bytes, map_fields, stable_id, with_mapped_name


def _json_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in (".json", ".jsonl")
                      and not any(x.startswith((".", "_")) for x in p.relative_to(path).parts))
    return [path]


def json_items(data: bytes, name: str, jsonl: bool) -> list[tuple[str, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ArticleError(name, None, f"is not UTF-8 text (byte {e.start})") from None
    if jsonl:
        items = []
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append((f"{name} line {n}", json.loads(line)))
                except (ValueError, RecursionError) as e:
                    raise ArticleError(f"{name} line {n}", None, f"not valid JSON: {getattr(e, 'msg', 'too deep or too long')}") from None
        return items
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ArticleError(name, None, f"not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except (ValueError, RecursionError):
        raise ArticleError(name, None, "not JSON this tool can read: a number too long or nesting too deep") from None
    if isinstance(doc, dict):
        return [(name, doc)]
    if isinstance(doc, list):
        return [(f"{name} item {i + 1}", x) for i, x in enumerate(doc)]
    raise ArticleError(name, None, "must hold an article object or an array of them")


def read(channel, source, fetcher, short_max, exclude=()) -> Content:
    articles, errors = [], []
    files = [(None, source.url)] if source.url else [(p, None) for p in _json_files(source.path)]
    for path, url in files:
        try:
            if url:
                data, name, base = load_bytes(channel, source, fetcher)[0], url, channel.root / "channel.toml"
            else:
                data, name, base = path.read_bytes(), path.relative_to(channel.root).as_posix(), path
            items = json_items(data, name, (url or path.name).lower().endswith(".jsonl"))
        except ArticleError as e:
            errors.append(e)
            continue
        for label, raw in items:
            if not isinstance(raw, dict):
                errors.append(ArticleError(label, None, "must be an object with the article's fields"))
                continue
            fields = map_fields(raw, source.fields)
            label = f"{label} ({fields['id']})" if isinstance(fields.get("id"), (str, int)) else label
            if "id" not in fields:
                fields["id"] = stable_id(fields, label)
            body = fields.get("body") if isinstance(fields.get("body"), str) else ""
            try:
                check_text(fields, label)
                articles.append(build_article(channel, label, base, fields, body, short_max, fetcher))
            except ArticleError as e:
                errors.append(with_mapped_name(e, source.fields))
    return Content(articles=articles, errors=errors)
