"""Messages on the page, shown literally: a message that quotes a strategy label, a symbol or
a file name is user text, so it passes through :func:`orchestrator.app.markdown.literal`
before Streamlit renders it as Markdown."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

import streamlit as st

from orchestrator.app.markdown import literal

__all__ = ["Level", "say", "say_list"]

Level = Literal["error", "warning", "info", "success"]


def _alert(level: Level) -> Callable[[str], object]:
    alerts = {"error": st.error, "warning": st.warning, "info": st.info, "success": st.success}
    return alerts[level]


def say(level: Level, message: object) -> None:
    """Show ``message`` as an alert of ``level``, exactly as written."""
    _alert(level)(literal(message))


def say_list(level: Level, messages: Iterable[object]) -> None:
    """Show ``messages`` as one alert of ``level``, one bullet each, each exactly as written."""
    _alert(level)("\n".join(f"- {literal(m)}" for m in messages))
