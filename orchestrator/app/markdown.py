"""User text shown literally where Streamlit renders Markdown.

Streamlit renders Markdown (and its own additions: ``:red[...]`` colours, ``:material/x:``
icons, ``$...$`` maths, bare ``www.`` and ``http://`` links) in headings, widget labels, help
tips, captions, expander titles, tab names and the texts of ``st.error``/``st.warning``/
``st.info``. A strategy label from a shared link or the Label box, a symbol or a file name
from an upload, and any message that quotes one of them is user text: shown as Markdown, a
label like ``**bold** [click me](http://evil.example) ![x](http://evil.example/x.png)``
becomes a clickable link and loads a remote image. :func:`literal` makes such text read
exactly as typed; every piece of user text that meets Streamlit passes through it.

Pure Python, no Streamlit: unit-tested and property-tested without a page.
"""

from __future__ import annotations

import re

__all__ = ["JOINER", "literal", "unescape"]

# What is escaped. CommonMark lets any ASCII punctuation be backslash-escaped, and an escaped
# character is always literal text; but Streamlit also puts a widget's label, escapes and
# all, into its accessible name (a slider's aria-label), so only the characters that can
# start or end a construct are escaped, and only where they can:
# - anywhere: ``\`` (escapes, hard breaks), ``` ` ``` (code), ``*`` (emphasis), ``[`` and
#   ``]`` (links, images, footnotes and Streamlit's ``:red[...]``: without them ``!``, ``(``
#   and ``)`` start nothing), ``<`` and ``>`` (HTML, autolinks), ``~`` (strikethrough),
#   ``|`` (tables), ``$`` (maths), ``:`` (Streamlit's icons and emoji, ``:smile:``);
# - ``_`` unless inside a word (``sma_crossover``: CommonMark never reads an intraword
#   underscore as emphasis);
# - ``&`` where an entity (``&amp;``, ``&#65;``) would follow;
# - at the start of a line: ``#`` (headings); ``-``, ``+``, ``=`` before a space, the end or
#   their like (lists, rules, setext headings); the ``.`` or ``)`` after a number before a
#   space or the end (ordered lists: "1. x" is one, "0.5" is not).
_ALWAYS = frozenset("\\`*[]<>~|$:")
_LINE_START = frozenset("-+=")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_ORDERED = re.compile(r"[ \t]*[0-9]{1,9}")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Escapes cannot stop what Streamlit finds in the text once the escapes are read: GFM's bare
# links (``http://...``, ``www.x``, ``a@b.c``), emoji and icon short codes (``:smile:``,
# ``:material/home:``, ``:streamlit:``) and typographic arrows (`` -> `` becomes an arrow).
# An invisible WORD JOINER (U+2060: no line break, nothing shown) inside each such pattern
# keeps it plain text. Each pair is (what precedes, what follows) a joiner.
JOINER = "\u2060"
_JOINS = (
    ("http", ":"),
    ("https", ":"),
    ("www", r"\."),
    ("@", ""),
    (":", r"[\w+-]"),
    ("[<>~-]", "[-=>]"),
)
_JOIN_AT = re.compile("(?i)" + "|".join(f"(?<={b})(?={a})" for b, a in _JOINS))
_JOINED = re.compile("(?i)" + "|".join(f"(?<={b}){JOINER}(?={a})" for b, a in _JOINS))


def _needs_escape(line: str, i: int) -> bool:
    """Whether the character at ``i`` of ``line`` could start or end Markdown there."""
    c = line[i]
    if c in _ALWAYS:
        return True
    before = line[:i]
    if c == "_":
        inside = 0 < i < len(line) - 1 and line[i - 1].isalnum() and line[i + 1].isalnum()
        return not inside
    if c == "&":
        return _ENTITY.match(line, i) is not None
    after = line[i + 1 : i + 2]
    if c == "#":
        return not before.strip(" \t")
    if c in _LINE_START:  # a list marker, rule or underline is followed by a space or its like
        return not before.strip(" \t") and (after in ("", " ", "\t") or after == c)
    if c in ".)":  # "1. " starts a list, "0.5" does not
        return _ORDERED.fullmatch(before) is not None and after in ("", " ", "\t")
    return False


def literal(text: object) -> str:
    """``text`` (made a string) shown exactly as written where Streamlit renders Markdown:
    a backslash before each character that could start Markdown where it stands (no
    emphasis, link, image, HTML, code, colour, icon, maths, heading or list), and a
    :data:`JOINER` inside each bare link, short code and arrow (``http://``, ``www.``,
    ``a@b``, ``:smile:``, ``->``). Plain names (``sma_crossover#2``, ``S&P 500``) come out
    unchanged. Line breaks stay (a message may have several lines)."""
    joined = _JOIN_AT.sub(JOINER, str(text))
    lines = []
    for line in joined.split("\n"):
        lines.append("".join(f"\\{c}" if _needs_escape(line, i) else c for i, c in enumerate(line)))
    return "\n".join(lines)


def unescape(text: str) -> str:
    """The inverse of :func:`literal`: what a reader sees of escaped text (the backslashes
    before ASCII punctuation and the joiners it added dropped), e.g. to compare a shown
    message with the one that was meant. Exact for text without a joiner of its own."""
    return _JOINED.sub("", _ESCAPED.sub(r"\1", text))
