"""Tests of orchestrator.app.markdown: user text shown literally where Markdown renders."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from orchestrator.app.markdown import JOINER, literal, unescape

ATTACK = "**bold** [click me](http://evil.example) ![x](http://evil.example/x.png)"
# Text rich in what Markdown and Streamlit read: brackets, parens, emphasis, HTML, links.
MARKDOWN_ALPHABET = string.punctuation + "abchtpswx.:/ @\n\t01"
hostile = st.text(alphabet=st.sampled_from(list(MARKDOWN_ALPHABET)), max_size=80) | st.text(
    max_size=80
)
# One line of such text (a label, a name): no line breaks or tabs, no joiner of its own.
one_line = st.text(
    alphabet=st.sampled_from([c for c in MARKDOWN_ALPHABET if c not in "\n\t"]), max_size=80
) | st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=80)


def _unescaped(text: str, char: str) -> list[int]:
    """Positions of ``char`` in ``text`` not preceded by an odd number of backslashes."""
    found = []
    for i, c in enumerate(text):
        if c != char:
            continue
        slashes = len(text[:i]) - len(text[:i].rstrip("\\"))
        if slashes % 2 == 0:
            found.append(i)
    return found


def test_literal_attack_label_escaped_exactly() -> None:
    assert literal(ATTACK) == (
        r"\*\*bold\*\* \[click me\]\(http" + JOINER + r"\:\/\/evil\.example\) "
        r"\!\[x\]\(http" + JOINER + r"\:\/\/evil\.example\/x\.png\)"
    )


def test_literal_plain_text_unchanged() -> None:
    assert literal("sma crossover 2") == "sma crossover 2"
    assert literal(42) == "42"


def test_literal_breaks_bare_links_www_and_email() -> None:
    shown = literal("see WWW.x.invalid, https://x.invalid and me@x.invalid")
    assert not re.search(r"(?i)https?:|www\.|@[-\w]", shown.replace("\\", ""))
    assert unescape(shown) == "see WWW.x.invalid, https://x.invalid and me@x.invalid"


def test_literal_streamlit_directives_and_maths_escaped() -> None:
    assert literal(":red[x] $y$") == r"\:red\[x\] \$y\$"


def test_literal_keeps_line_breaks() -> None:
    assert literal("a\nb") == "a\nb"


@given(hostile)
def test_literal_property_no_unescaped_link_or_image_syntax(text: str) -> None:
    shown = literal(text)
    for char in "[]()!<>*_`":
        assert _unescaped(shown, char) == [], (char, shown)
    # No bare link either: the joiner sits inside every http(s):, www. and e-mail.
    visible = shown.replace("\\", "")
    assert not re.search(r"(?i)https?:|www\.|@[-\w]", visible)


@given(hostile)
def test_unescape_property_inverts_literal(text: str) -> None:
    if JOINER in text:
        text = text.replace(JOINER, "")
    assert unescape(literal(text)) == text


@given(one_line)
def test_literal_property_markdown_parser_sees_only_text(text: str) -> None:
    """A CommonMark parser (markdown-it, the one Rich uses) reads an escaped line as one
    paragraph of plain text: no link, image, emphasis, code or HTML, and the same characters
    (the joiners apart)."""
    text = text.strip()  # a paragraph drops its outer white space
    tokens = MarkdownIt("commonmark").enable("strikethrough").parse(literal(text))
    if not text:
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert {c.type for c in children} == {"text"}, [c.type for c in children]
    assert "".join(c.content for c in children).replace(JOINER, "") == text
