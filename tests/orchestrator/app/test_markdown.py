"""Tests of orchestrator.app.markdown: user text shown literally where Markdown renders."""

from __future__ import annotations

import re
import string

import pytest
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
PARSER = MarkdownIt("commonmark").enable(["strikethrough", "table"])
# One line of such text (a label, a name): no line breaks or tabs, no joiner of its own.
one_line = st.text(
    alphabet=st.sampled_from([c for c in MARKDOWN_ALPHABET if c not in "\n\t"]), max_size=80
) | st.text(alphabet=st.characters(exclude_categories=["Cc", "Cs", "Zl", "Zp"]), max_size=80)


# What Streamlit 1.67 (remark-gfm, remark-emoji and its own plug-ins) replaces in text nodes.
STREAMLIT_TEXT_PATTERNS = (
    r"(?i)https?://|www\.",  # GFM bare links
    r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+",  # GFM e-mail links
    r":[\w+-][\w_+-]*:",  # emoji short codes, :material_x: icons, :streamlit:
    r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)",  # typographic arrows and dashes
)


def unescape_escapes(text: str) -> str:
    """What Markdown leaves of backslash escapes (the joiners kept): a text node."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


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
        r"\*\*bold\*\* \[click me\](http" + JOINER + r"\://evil.example) "
        r"!\[x\](http" + JOINER + r"\://evil.example/x.png)"
    )


@pytest.mark.parametrize(
    "name", ["sma_crossover", "sma_crossover#2", "S&P 500", "mom (fast)", "0.5 of cash", "a-b"]
)
def test_literal_plain_names_unchanged(name: str) -> None:
    # Streamlit puts a widget label, backslashes and all, into its accessible name.
    assert literal(name) == name


def test_literal_escapes_only_where_markdown_could_start() -> None:
    assert literal("_x_ and a_b") == r"\_x\_ and a_b"
    assert literal("&amp; &#65; S&P") == r"\&amp; \&#65; S&P"
    assert literal("# h\n- a\n+ b\n===\n12. c\n3) d\n x # y") == (
        "\\# h\n\\- a\n\\+ b\n\\===\n12\\. c\n3\\) d\n x # y"
    )
    assert literal("back\\slash") == "back\\\\slash"
    assert literal(42) == "42"


def test_literal_breaks_bare_links_www_and_email() -> None:
    shown = literal("see WWW.x.invalid, https://x.invalid and me@x.invalid")
    assert not re.search(r"(?i)https?:|www\.|@[-\w]", shown.replace("\\", ""))
    assert unescape(shown) == "see WWW.x.invalid, https://x.invalid and me@x.invalid"


def test_literal_streamlit_directives_and_maths_escaped() -> None:
    shown = literal(":red[x] $y$ :smile: :material/home: :streamlit: a -> b <= c -- d")
    assert shown == (
        rf"\:{JOINER}red\[x\] \$y\$ \:{JOINER}smile\: \:{JOINER}material/home\: "
        rf"\:{JOINER}streamlit\: a -{JOINER}\> b \<{JOINER}= c -{JOINER}- d"
    )


def test_literal_keeps_line_breaks() -> None:
    assert literal("a\nb") == "a\nb"


@given(hostile)
def test_literal_property_no_unescaped_link_or_image_syntax(text: str) -> None:
    shown = literal(text)
    for char in "[]<>*`~|$:":
        assert _unescaped(shown, char) == [], (char, shown)
    # Without an unescaped "[" no link or image can start; "](" never appears unescaped.
    assert "](" not in shown.replace("\\]", "")
    # Nothing Streamlit finds in the source or in the text once escapes are read: no bare
    # link (http(s):, www., e-mail), short code (:smile:, :material/x:, :streamlit:) or arrow.
    assert ":material/" not in shown
    text_node = unescape_escapes(shown)
    for pattern in STREAMLIT_TEXT_PATTERNS:
        assert not re.search(pattern, text_node), (pattern, shown)


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
    text = text.replace(JOINER, "").strip()  # a paragraph drops its outer white space
    tokens = PARSER.parse(literal(text))
    if not text:
        assert tokens == []
        return
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children or []
    assert {c.type for c in children} == {"text"}, [c.type for c in children]
    assert "".join(c.content for c in children).replace(JOINER, "") == text


@given(st.lists(one_line, max_size=6))
def test_literal_property_markdown_parser_lines_stay_paragraphs(lines: list[str]) -> None:
    """Several lines (a message): paragraphs of plain text and line breaks, never a heading,
    list, quote, rule, table or code."""
    text = "\n".join(line.replace(JOINER, "").strip() for line in lines)
    tokens = PARSER.parse(literal(text))
    assert {t.type for t in tokens} <= {"paragraph_open", "inline", "paragraph_close"}
    children = [c for t in tokens for c in t.children or []]
    assert {c.type for c in children} <= {"text", "softbreak"}
