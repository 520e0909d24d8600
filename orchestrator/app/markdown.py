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
import string

__all__ = ["JOINER", "literal", "unescape"]

# CommonMark lets any ASCII punctuation be backslash-escaped, and an escaped character is
# always literal text: escaping all of them (not a hand-picked few) leaves no construct to
# start, whatever a later Markdown extension adds. ``<`` is among them, so no HTML tag opens,
# and ``:`` and ``$`` among them, so no Streamlit colour, icon or maths starts.
_PUNCTUATION = frozenset(string.punctuation)
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
# Escapes cannot stop GFM's bare links: Streamlit finds ``http://...``, ``www.x`` and
# ``a@b.c`` in the text after the escapes are read. An invisible WORD JOINER (U+2060, no line
# break, nothing shown) inside each of those patterns keeps them plain text.
JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")
_JOINED = re.compile(r"(?i)(?:(?<=http)|(?<=https))\u2060(?=:)|(?<=www)\u2060(?=\.)|(?<=@)\u2060")


def literal(text: object) -> str:
    """``text`` (made a string) shown exactly as written where Streamlit renders Markdown:
    every ASCII punctuation character backslash-escaped (no emphasis, link, image, HTML,
    colour, icon, maths or list), and a :data:`JOINER` after ``http``/``https`` before
    ``:``, after ``www`` before ``.`` and after ``@`` (no bare link). Line breaks stay (a
    message may have several lines)."""
    joined = _AUTOLINK.sub(lambda m: m.group(1) + JOINER, str(text))
    return "".join(f"\\{c}" if c in _PUNCTUATION else c for c in joined)


def unescape(text: str) -> str:
    """The inverse of :func:`literal`: what a reader sees of escaped text (the backslashes
    before ASCII punctuation and the joiners it added dropped), e.g. to compare a shown
    message with the one that was meant. Exact for text without a joiner of its own."""
    return _JOINED.sub("", _ESCAPED.sub(r"\1", text))
