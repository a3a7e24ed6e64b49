"""Article text -> plain text for TV: Markdown/HTML rendered, markup dropped, whitespace
collapsed, cut on a word boundary with an ellipsis."""

from __future__ import annotations

import html
import re
import unicodedata
from functools import cache
from html.parser import HTMLParser

ELLIPSIS = "…"
# Elements whose text never belongs in a TV description.
_DROP = {"script", "style", "figcaption", "figure", "noscript", "template", "iframe", "object", "svg", "head", "title"}
_BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
          "pre", "tr", "td", "th", "table", "section", "article", "header", "footer", "hr"}
_WS = re.compile(r"\s+")


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in _DROP:
            self.skip += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in _DROP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return collapse(html.unescape("".join(parser.parts)))


@cache
def _markdown():
    from markdown_it import MarkdownIt  # noqa: PLC0415 (heavy)

    # commonmark + tables/strikethrough; raw HTML passes through and is stripped afterwards.
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


_DROP_BLOCKS = re.compile(r"<(script|style|noscript|template|iframe|svg|figcaption)\b.*?</\1\s*>", re.I | re.S)
# Markdown inside raw HTML blocks is not rendered (CommonMark): clear what is left of it.
_LEFTOVER = [
    (re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
]


def markdown_to_text(source: str) -> str:
    # Scripts and styles go before parsing: an HTML block would swallow the Markdown after it.
    source = _DROP_BLOCKS.sub(" ", source)
    rendered = _markdown().render(source)
    # Images are dropped: their alt text is a caption, not a description.
    rendered = re.sub(r"<img\b[^>]*>", " ", rendered)
    text = html_to_text(rendered)
    for pattern, repl in _LEFTOVER:
        text = pattern.sub(repl, text)
    return text


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def cut(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters on a word boundary, adding "…" when cut.
    A single word longer than the limit is cut between characters, never inside a
    combining sequence."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    head = text[: room + 1]
    space = head.rfind(" ")
    if space > 0:
        head = head[:space]
    else:
        head = head[:room]
        while head and unicodedata.combining(text[len(head)]):
            head = head[:-1]
    head = head.rstrip(" ,;:-–—")
    return head + ELLIPSIS
