"""Property tests for the text rules: descriptions are always short enough, are the start
of the plain text cut on a word boundary, and never carry markup."""

import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from packager.text import ELLIPSIS, collapse, cut, html_to_text, markdown_to_text

# Random words (no '&': an escaped "&lt;b&gt;" is meant to show as text) plus the markup,
# scripts and writing systems newsroom text really has.
WORDS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="&"),
            min_size=1, max_size=12),
    st.sampled_from(["**bold**", "<b>tag</b>", "[link](http://x.y)", "# Head", "&amp;", "<script>evil()</script>",
                     "<style>p{}</style>", "اخبار", "新闻", "🏆", "e\u0301", "a" * 300, "<img src=x alt=caption>",
                     "`code`", "> quote", "well-known", "end,", "- item"]),
)
BODIES = st.lists(WORDS, min_size=0, max_size=120).map(" ".join)
TAG = re.compile(r"<(b|/b|script|/script|style|img|p|/p|a|/a|em|strong|code|h1|blockquote)\b[^>]*>")


@settings(max_examples=300, deadline=None)
@given(BODIES, st.integers(min_value=2, max_value=500))
def test_cut_is_a_word_boundary_prefix(text, limit):
    plain = collapse(text)
    out = cut(plain, limit)
    assert len(out) <= limit
    if len(plain) <= limit:
        assert out == plain
        return
    assert out.endswith(ELLIPSIS)
    head = out[: -len(ELLIPSIS)]
    assert plain.startswith(head)
    rest = plain[len(head):]
    room = limit - len(ELLIPSIS)
    if " " in plain[1: room + 1]:
        # Cut at a space; only trailing punctuation before it was dropped.
        assert re.match(r"[,;:\-–— ]* ", rest), (head, rest[:20])
    else:
        # One word longer than the limit: cut between characters, never before a combining mark.
        assert not unicodedata.combining(rest[0])


@settings(max_examples=200, deadline=None)
@given(BODIES)
def test_short_description_from_markdown_has_no_markup(body):
    short = cut(markdown_to_text(body), 200)
    assert len(short) <= 200
    assert not TAG.search(short), short
    assert "evil()" not in short
    assert "**bold**" not in short and "](http://x.y)" not in short
    assert short == collapse(short)


@given(st.text(max_size=300))
def test_html_to_text_drops_scripts_and_styles(text):
    out = html_to_text(f"<p>{text}</p><script>alert(1)</script><style>p{{color:red}}</style>")
    assert "color:red" not in out or "color:red" in text
    assert out.count("alert(1)") <= text.count("alert(1)")
    assert out == collapse(out)
