"""Robustness of a sweep, not only its best cell: the spread of a metric across the grid, how
the best cell's neighbours do (a plateau or a spike), and the in-sample caveat.

Pure functions over the table :func:`orchestrator.sweep` returns, shared by the CLI, the HTML
report and the dashboard.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from orchestrator.errors import ConfigError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_METRIC",
    "LOWER_IS_BETTER",
    "PLATEAU_THRESHOLD",
    "MetricSpread",
    "Neighbours",
    "best_rows",
    "caveat_text",
    "metric_column",
    "metric_names",
    "metric_spread",
    "neighbours",
]

DEFAULT_METRIC = "Portfolio.sharpe_ratio"
#: Figures where a smaller value is the better one (every other figure: larger is better;
#: max_drawdown is <= 0, so larger, i.e. nearer 0, is better too).
LOWER_IS_BETTER = frozenset({"annual_volatility", "max_drawdown_duration", "total_costs"})
#: Plateau score at or above which the best cell's neighbours count as a plateau.
PLATEAU_THRESHOLD = 0.5
_PORTFOLIO = "Portfolio"


def _metrics(table: pd.DataFrame) -> list[str]:
    info = table.attrs.get("sweep", {})
    names = info.get("metrics")
    if names:
        return list(names)
    settings = set(info.get("settings", ()))
    return [
        c
        for c in table.columns
        if c not in ("combination", "error") and c not in settings and table[c].dtype == "float64"
    ]


def metric_names(strategy_ids: Sequence[str]) -> list[str]:
    """The metric columns a sweep of strategies with these ids has: ``<id>.<figure>`` for each
    strategy and ``Portfolio``, the figures of the comparison table (weight aside)."""
    from dataclasses import fields

    from orchestrator.core.metrics import PerformanceMetrics

    figures = ["allocated_capital", "final_equity", *(f.name for f in fields(PerformanceMetrics))]
    return [f"{sid}.{fig}" for sid in [*strategy_ids, _PORTFOLIO] for fig in figures]


def metric_column(table_or_names: pd.DataFrame | Sequence[str], name: str) -> str:
    """The column a metric name means: ``sharpe_ratio`` is the portfolio's, ``<id>.<figure>``
    one strategy's. An unknown name raises ConfigError with "did you mean"."""
    names = (
        list(table_or_names)
        if isinstance(table_or_names, list | tuple)
        else _metrics(table_or_names)  # type: ignore[arg-type]
    )
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"metric must be a name like sharpe_ratio; found {name!r}")
    name = name.strip()
    candidates = [name, f"{_PORTFOLIO}.{name}"]
    for candidate in candidates:
        if candidate in names:
            return candidate
    figures = sorted({n.rpartition(".")[2] for n in names})
    hint = did_you_mean(name, figures) if "." not in name else did_you_mean(name, names)
    starts = [f for f in figures if f.startswith(name)]
    if not hint and len(starts) == 1:  # "sharp" is too short for difflib, yet plain
        hint = f"; did you mean {starts[0]!r}?"
    raise ConfigError(
        f"unknown metric {name!r}{hint}; use a figure ({', '.join(figures)}) for the portfolio's "
        "or <strategy>.<figure> for one strategy's"
    )


def higher_is_better(column: str) -> bool:
    """Whether a larger value of this metric column is the better one."""
    return column.rpartition(".")[2] not in LOWER_IS_BETTER


@dataclass(frozen=True)
class MetricSpread:
    """The distribution of one metric across the combinations that ran (failed ones and NaN
    values are counted apart)."""

    metric: str
    count: int
    missing: int
    minimum: float
    q25: float
    median: float
    q75: float
    maximum: float
    mean: float
    std: float

    def text(self) -> str:
        """``min -0.12 | 25% 0.30 | median 0.41 | 75% 0.52 | max 0.90 (36 of 40; 4 failed)``."""
        parts = [
            f"min {self.minimum:.4g}",
            f"25% {self.q25:.4g}",
            f"median {self.median:.4g}",
            f"75% {self.q75:.4g}",
            f"max {self.maximum:.4g}",
        ]
        tail = f" ({self.count} of {self.count + self.missing}"
        tail += f"; {self.missing} failed or undefined)" if self.missing else ")"
        return " | ".join(parts) + tail


def metric_spread(table: pd.DataFrame, metric: str) -> MetricSpread:
    """Quantiles (linear interpolation), mean and sample standard deviation of ``metric``."""
    import numpy as np

    column = metric_column(table, metric)
    values = table[column].to_numpy(dtype=float)
    ok = values[np.isfinite(values)]
    nan = math.nan
    if not len(ok):
        return MetricSpread(column, 0, len(values), nan, nan, nan, nan, nan, nan, nan)
    low, q25, mid, q75, high = (float(x) for x in np.quantile(ok, [0.0, 0.25, 0.5, 0.75, 1.0]))
    std = float(ok.std(ddof=1)) if len(ok) > 1 else nan
    return MetricSpread(
        column, len(ok), len(values) - len(ok), low, q25, mid, q75, high, float(ok.mean()), std
    )


def best_rows(table: pd.DataFrame, metric: str, n: int = 5) -> pd.DataFrame:
    """The ``n`` best rows by ``metric`` (NaN last), best first."""
    column = metric_column(table, metric)
    ascending = not higher_is_better(column)
    ordered = table.sort_values(column, ascending=ascending, na_position="last", kind="stable")
    return ordered.head(n)


@dataclass(frozen=True)
class Neighbours:
    """How the best cell's neighbours do.

    Neighbours are the cells one grid step away on any numeric setting axis (up to 3^k - 1
    cells for k axes), with every non-numeric setting equal. ``score`` is ``(median of the
    neighbours - median of the grid) / (best - median of the grid)``: 1 when the neighbours
    are as good as the best (a plateau), 0 or less when they are no better than a typical cell
    (a spike); NaN without neighbours or when the best is the median.
    """

    metric: str
    best_combination: int
    best: float
    grid_median: float
    values: tuple[float, ...]
    score: float

    @property
    def verdict(self) -> str:
        """ "plateau", "spike" or "no neighbours"."""
        if not self.values or math.isnan(self.score):
            return "no neighbours"
        return "plateau" if self.score >= PLATEAU_THRESHOLD else "spike"

    def text(self) -> str:
        if not self.values:
            return f"best cell #{self.best_combination}: no neighbours ran (a sparse grid?)"
        import statistics

        return (
            f"best cell #{self.best_combination} ({self.best:.4g}): its {len(self.values)} "
            f"neighbours have a median of {statistics.median(self.values):.4g} against "
            f"{self.grid_median:.4g} for the grid; score {self.score:.2f}: {self.verdict}"
        )


def neighbours(
    table: pd.DataFrame, metric: str, settings: Sequence[str] | None = None
) -> Neighbours:
    """Score the best cell of ``metric`` against its grid neighbours (see :class:`Neighbours`)."""
    import numpy as np
    import pandas as pd

    column = metric_column(table, metric)
    names = list(
        settings if settings is not None else table.attrs.get("sweep", {}).get("settings", ())
    )
    values = table[column].to_numpy(dtype=float)
    finite = np.isfinite(values)
    if not finite.any():
        raise ConfigError(f"no combination has a value of {column}; nothing to score")
    sign = 1.0 if higher_is_better(column) else -1.0
    best_at = int(np.nanargmax(np.where(finite, sign * values, -np.inf)))
    best = float(values[best_at])
    median = float(np.median(values[finite]))
    numeric = [
        n for n in names if pd.api.types.is_numeric_dtype(table[n]) and table[n].dtype != bool
    ]
    fixed = [n for n in names if n not in numeric]
    positions = {}
    for n in numeric:
        levels = np.unique(table[n].to_numpy(dtype=float))
        positions[n] = np.searchsorted(levels, table[n].to_numpy(dtype=float))
    near = finite.copy()
    near[best_at] = False
    for n in numeric:
        near &= np.abs(positions[n] - positions[n][best_at]) <= 1
    for n in fixed:
        near &= (table[n] == table[n].iloc[best_at]).to_numpy()
    around = tuple(float(v) for v in values[near])
    score = math.nan
    if around and best != median:
        score = (float(np.median(around)) - median) / (best - median)
    combination = int(table["combination"].iloc[best_at]) if "combination" in table else best_at
    return Neighbours(column, combination, best, median, around, score)


def caveat_text(count: int, metric: str) -> str:
    """The plain warning that goes with the best of a sweep."""
    return (
        f"The best of {count:,} combinations is an in-sample result: it was chosen on the same "
        f"data it is scored on, and with {count:,} tries some combination looks good by chance "
        f"alone. Prefer a plateau (neighbours almost as good) to a spike, look at the spread of "
        f"{metric} across the grid, and confirm a choice out of sample with a walk-forward test "
        "(fit on one period, test on the next) before trusting it."
    )
