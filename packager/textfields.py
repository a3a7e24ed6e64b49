"""Compose an item's title and descriptions with the Jinja2 templates in templates/text/.
Templates run in a sandbox with autoescape off: their output is plain text, and article data
can never reach Python objects through them."""

from __future__ import annotations

from functools import cache

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from packager.dp import LONG_DESCRIPTION_MAX, SHORT_DESCRIPTION_MAX
from packager.resources import templates_dir
from packager.text import collapse, cut, html_to_text


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir() / "text")),
        autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False,
    )


@cache
def compile_template(source: str):
    """A [templates] entry compiled in the sandbox; unknown filters and syntax errors raise
    jinja2's TemplateError here, when channel.toml is read, not mid-build."""
    return _environment().from_string(source)


def _render(name: str, context: dict, overrides: dict) -> str:
    """A channel's [templates] entry, else the bundled templates/text/<name>.j2."""
    key = name.removesuffix(".j2")
    template = compile_template(overrides[key]) if key in overrides else _environment().get_template(name)
    try:
        return collapse(template.render(context))
    except Exception as e:  # undefined names, sandbox refusals: the template's author must fix it
        raise ValueError(f"[templates] {key}: {e}") from None


def compose_text(channel, *, title: str, summary: str | None, body_text: str, fields: dict,
                 short_max: int = SHORT_DESCRIPTION_MAX) -> dict:
    context = {
        "title": html_to_text(title),
        "summary": html_to_text(summary) if summary else "",
        "body": body_text,
        "provider_name": channel.provider_name,
        "fields": fields,  # the article's own front matter, read-only in the sandbox
    }
    overrides = dict(channel.templates)
    short = cut(_render("short_description.j2", context, overrides), short_max)
    long = cut(_render("long_description.j2", context, overrides), LONG_DESCRIPTION_MAX)
    return {
        "title": cut(_render("title.j2", context, overrides), 200),
        "short_description": short,
        # Roku requires longDescription to differ from shortDescription.
        "long_description": long if long and long != short else None,
    }
