"""The README's Python example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _example() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- readme-example[^>]*-->\s*```python\n(.*?)```", text, re.S)
    if match is None:
        raise AssertionError("README.md has no <!-- readme-example --> python block")
    return match.group(1)


def test_readme_example_runs_and_gives_results() -> None:
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(_example(), str(README), "exec"), namespace)
    result = namespace["result"]
    momentum = namespace["momentum"]
    assert list(result.comparison_table.index)[-1] == "Portfolio"  # type: ignore[attr-defined]
    assert momentum.strategy_id == "momentum"  # type: ignore[attr-defined]
    assert len(result.portfolio_equity) > 1000  # type: ignore[attr-defined]
