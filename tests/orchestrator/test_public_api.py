"""Pins the public API of the ``orchestrator`` package and the engine's import weight."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import orchestrator

REQUIRED = {
    "StrategyOrchestrator",
    "OrchestratorConfig",
    "OrchestratorResult",
    "StrategyResult",
    "StrategyAllocation",
    "HistoricalDataBar",
    "Trade",
    "CapitalBreach",
    "PerformanceMetrics",
    "OrchestratorError",
    "ConfigError",
    "DataError",
    "StrategyError",
}


def test_public_api_all_includes_required_names() -> None:
    missing = REQUIRED - set(orchestrator.__all__)
    assert not missing, f"orchestrator.__all__ lacks {sorted(missing)}"


def test_public_api_all_has_no_duplicates_and_is_sorted() -> None:
    names = list(orchestrator.__all__)
    assert len(names) == len(set(names))
    assert names == sorted(names)


def test_public_api_every_exported_name_importable() -> None:
    for name in orchestrator.__all__:
        namespace: dict[str, object] = {}
        exec(f"from orchestrator import {name}", namespace)  # a name from __all__ only
        assert namespace[name] is getattr(orchestrator, name), name


def test_public_api_error_hierarchy() -> None:
    assert issubclass(orchestrator.ConfigError, orchestrator.OrchestratorError)
    assert issubclass(orchestrator.DataError, orchestrator.OrchestratorError)
    assert issubclass(orchestrator.StrategyError, orchestrator.OrchestratorError)
    assert issubclass(orchestrator.ConfigError, ValueError)
    assert issubclass(orchestrator.DataError, ValueError)
    assert issubclass(orchestrator.StrategyError, RuntimeError)


def test_public_api_version_string() -> None:
    assert isinstance(orchestrator.__version__, str)
    assert orchestrator.__version__.count(".") == 2


def _modules_after_import(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("statement", ["import orchestrator.core.engine", "import orchestrator"])
def test_public_api_import_engine_without_streamlit_or_plotly(statement: str) -> None:
    loaded = _modules_after_import(statement)
    assert "orchestrator.core.engine" in loaded
    heavy = sorted(m for m in loaded if m.split(".")[0] in {"streamlit", "plotly", "matplotlib"})
    assert not heavy, f"{statement!r} imported {heavy[:5]}"
