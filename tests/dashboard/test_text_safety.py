"""A guard on the dashboard's source: errors and warnings (which quote strategy labels,
symbols and file names) reach Streamlit only through orchestrator.ui.alerts.say, which shows
them literally; a widget label or heading built from a variable goes through literal()."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = [ROOT / "dashboard.py", *sorted((ROOT / "orchestrator" / "ui").glob("*.py"))]
ALERTS = ROOT / "orchestrator" / "ui" / "alerts.py"


def _streamlit_calls(path: Path, names: set[str]) -> list[ast.Call]:
    """Calls ``st.<name>(...)`` or ``<column>.<name>(...)`` in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    ]


def _is_literal_call(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "literal"
    )


def _safe_text(node: ast.expr) -> bool:
    """A constant, or an f-string whose every formatted part is literal(...) or a number."""
    if isinstance(node, ast.Constant):
        return True
    if _is_literal_call(node):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            isinstance(part, ast.Constant)
            or (isinstance(part, ast.FormattedValue) and _is_literal_call(part.value))
            or (isinstance(part, ast.FormattedValue) and part.format_spec is not None)
            for part in node.values
        )
    return False


@pytest.mark.parametrize("path", [p for p in UI_FILES if p != ALERTS], ids=lambda p: p.name)
def test_ui_source_errors_and_warnings_only_through_say(path: Path) -> None:
    calls = _streamlit_calls(path, {"error", "warning", "exception"})
    lines = [c.lineno for c in calls]
    assert lines == [], f"{path.name}: st.error/st.warning at lines {lines}; use say(level, ...)"


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_ui_source_markdown_and_labels_from_variables_are_literal(path: Path) -> None:
    widgets = {"markdown", "slider", "number_input", "multiselect", "checkbox", "text_input"}
    unsafe = [
        c.lineno for c in _streamlit_calls(path, widgets) if c.args and not _safe_text(c.args[0])
    ]
    assert unsafe == [], f"{path.name}: text from a variable not passed through literal(): {unsafe}"
