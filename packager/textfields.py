"""Compose an item's title and descriptions with the Jinja2 templates in templates/text/.
Templates run in a sandbox with autoescape off: their output is plain text, and article data
can never reach Python objects through them. The sandbox also bounds what a template can
make: at most MAX_OUTPUT characters of text (in any string, list or the whole output) and
integers of at most MAX_INT_DIGITS digits, refused before they are made, so
`{{ 'x' * 1000000000 }}` or `{{ 10 ** 10000000 }}` is one line about the template, not a
machine out of memory."""

from __future__ import annotations

import math
import re
from functools import cache, wraps

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from packager.dp import LONG_DESCRIPTION_MAX, SHORT_DESCRIPTION_MAX
from packager.resources import templates_dir
from packager.text import collapse, cut, html_to_text

MAX_OUTPUT = 100_000  # characters; a long description is at most 4,000
MAX_INT_DIGITS = 4_300  # Python's own limit for printing an integer
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
# A width or precision of 100,000 or more (or one taken from the arguments) in a format string.
_PERCENT_WIDE = re.compile(r"%(\([^)]*\))?[-+ #0]*(\d{6,}|\*|\d*\.(\d{6,}|\*))")
_BRACE_WIDE = re.compile(r"\{[^{}]*:[^{}]*(\d{6,}|\{)")
_SIZED_ARGS = {"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap", "truncate", "batch", "slice"}


def _too_big(what: str) -> SecurityError:
    return SecurityError(f"{what}: a template may make at most {MAX_OUTPUT:,} characters and integers of "
                         f"{MAX_INT_DIGITS:,} digits")


def _sized(value):
    """`value`, unless it is text, a list or an integer over the limits."""
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_OUTPUT:
        raise _too_big(f"a result of {len(value):,} {'characters' if isinstance(value, str) else 'items'}")
    if isinstance(value, int) and value.bit_length() > _MAX_INT_BITS:
        raise _too_big("an integer of more digits")
    return value


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_binop(op: str, left, right) -> None:
    if op == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        if right * math.log2(abs(left)) > _MAX_INT_BITS:
            raise _too_big(f"{left} ** {right}")
    elif op == "*":
        seq, n = (left, right) if _is_int(right) else (right, left)
        if isinstance(seq, (str, list, tuple)) and _is_int(n) and len(seq) * n > MAX_OUTPUT:
            raise _too_big(f"repeating {len(seq):,} {'characters' if isinstance(seq, str) else 'items'} {n} times")
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > _MAX_INT_BITS:
            raise _too_big("a product of two integers")
    elif op == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)):
        _sized_length(len(left) + len(right))
    elif op == "%" and isinstance(left, str) and _PERCENT_WIDE.search(left):
        raise _too_big("a format with a width of 100,000 or more")


def _sized_length(n: int) -> None:
    if n > MAX_OUTPUT:
        raise _too_big(f"a result of {n:,} characters")


def _check_sizes(name: str, base, args: tuple, kwargs: dict) -> None:
    """Before a string method or a filter runs: the size its arguments would make."""
    numbers = [v for v in (*args, *kwargs.values()) if _is_int(v)]
    if name in _SIZED_ARGS and any(abs(v) > MAX_OUTPUT for v in numbers):
        raise _too_big(f"{name}() with a size over {MAX_OUTPUT:,}")
    if name in ("format", "format_map") and isinstance(base, str) and (_BRACE_WIDE.search(base)
                                                                       or _PERCENT_WIDE.search(base)):
        raise _too_big("a format with a width of 100,000 or more")
    if name == "replace" and isinstance(base, str) and len(args) >= 2 and all(isinstance(a, str) for a in args[:2]):
        old, new = args[0], args[1]
        count = base.count(old) if old else len(base) + 1
        _sized_length(len(base) + count * (len(new) - len(old)))
    if name == "join":  # str.join(items) or the filter items|join(sep)
        items, sep = (args[0], base) if isinstance(base, str) and args else (base, args[0] if args else kwargs.get("d", ""))
        if isinstance(items, (list, tuple)) and isinstance(sep, str):
            _sized_length(sum(len(x) if isinstance(x, str) else 0 for x in items) + len(sep) * len(items))


class _BoundedConcat(CodeGenerator):
    """`a ~ b` joins through the environment's concat, which counts what it joins."""

    def visit_Concat(self, node, frame) -> None:  # noqa: N802 (jinja2's visitor naming)
        self.write("environment.concat(map(str, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


class TextSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _BoundedConcat

    def __init__(self, **options):
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # placeholder text by the paragraph: nothing a title needs
        for name, fn in list(self.filters.items()):
            self.filters[name] = _bounded_filter(name, fn)

    def call_binop(self, context, operator, left, right):
        _check_binop(operator, left, right)
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (jinja2's signature)
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        base = getattr(target, "__self__", None)
        if isinstance(base, str):
            _check_sizes(getattr(target, "__name__", ""), base, args, kwargs)
        return _sized(super().call(__context, __obj, *args, **kwargs))

    def concat(self, pieces) -> str:  # the whole output, a macro's, a block's, and `~`
        out, size = [], 0
        for piece in pieces:
            size += len(piece)
            _sized_length(size)
            out.append(piece)
        return "".join(out)


def _bounded_filter(name: str, fn):
    @wraps(fn)
    def bounded(*args, **kwargs):
        values = args[1:] if getattr(fn, "jinja_pass_arg", None) else args  # the context comes first
        if values:
            _check_sizes(name, values[0], tuple(values[1:]), kwargs)
        return _sized(fn(*args, **kwargs))
    return bounded


@cache
def _environment() -> ImmutableSandboxedEnvironment:
    return TextSandbox(
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
