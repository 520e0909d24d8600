"""Exact arithmetic on strategy weights for interactive front ends: totals, the cash remainder,
by how much a total exceeds 1.0, and normalising to 100 %.

Weights are Decimals of their string form (``Decimal(str(0.35))`` is exactly ``0.35``), so
0.35 + 0.65 is exactly 1.0, as the engine counts them (see :func:`orchestrator.core.models.
to_decimal`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from orchestrator.core.models import to_decimal
from orchestrator.errors import ConfigError

__all__ = ["STEP", "WeightCheck", "cash_text", "check_weights", "normalise_weights", "to_weight"]

STEP = Decimal("0.01")
ONE = Decimal(1)


def to_weight(value: object, step: Decimal = STEP) -> Decimal:
    """Return ``value`` as an exact Decimal on the ``step`` grid.

    A slider moved in a browser may report ``0.35000000000000003``; on a 0.01 grid that is
    0.35, which is what the user saw and meant.
    """
    return to_decimal(value, "weight").quantize(step, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class WeightCheck:
    """The total of some weights and what it leaves: ``cash = 1 - total`` (negative when the
    total exceeds 1), ``excess = max(total - 1, 0)``."""

    total: Decimal
    cash: Decimal
    excess: Decimal

    @property
    def ok(self) -> bool:
        """Whether the weights can run: a total of at most 1.0."""
        return self.excess == 0

    @property
    def message(self) -> str | None:
        """The error to show when the total exceeds 1.0, else None."""
        if self.ok:
            return None
        return (
            f"Total weight {_plain(self.total)} exceeds 1.0 by {_plain(self.excess)}: lower "
            f'the weights or use "Normalise to 100%".'
        )


def _plain(value: Decimal) -> str:
    """``Decimal("1.10")`` as ``"1.10"``, ``Decimal("1")`` as ``"1.0"``, no exponent."""
    text = format(value, "f")
    return text if "." in text else f"{text}.0"


def check_weights(weights: Sequence[object]) -> WeightCheck:
    """Total the weights exactly and return what the total leaves as cash or exceeds."""
    total = sum((to_decimal(w, f"weight #{i + 1}") for i, w in enumerate(weights)), Decimal(0))
    return WeightCheck(total=total, cash=ONE - total, excess=max(total - ONE, Decimal(0)))


def normalise_weights(weights: Sequence[object], step: Decimal = STEP) -> list[Decimal]:
    """Scale the weights to sum exactly 1.0 on the ``step`` grid.

    Each weight becomes ``w / total`` rounded to ``step``; what rounding leaves over (a few
    steps at most) goes to the largest weight (the first of equals), so the sum is exactly 1.
    All-zero weights become equal shares. An empty list stays empty.
    """
    values = [to_decimal(w, f"weight #{i + 1}") for i, w in enumerate(weights)]
    if any(v < 0 for v in values):
        raise ConfigError(f"weights must be >= 0 to normalise; found {[str(v) for v in values]}")
    if not values:
        return []
    total = sum(values, Decimal(0))
    if total == 0:
        values = [ONE] * len(values)
        total = Decimal(len(values))
    scaled = [(v / total).quantize(step, rounding=ROUND_HALF_EVEN) for v in values]
    largest = max(range(len(values)), key=lambda i: (values[i], -i))
    scaled[largest] += ONE - sum(scaled, Decimal(0))
    return scaled


def cash_text(check: WeightCheck, capital: float) -> str:
    """The cash remainder as a weight and in money, plainly: ``"0.10 (10,000)"``."""
    return f"{check.cash:.2f} ({float(check.cash) * capital:,.0f})"
