"""The weights axis of a sweep grid: every set of weights on multiples of a step, each at least
a minimum, whose total is at most a budget (or exactly a given total), in exact decimals.

``{step = 0.25}`` for two strategies gives (0, 0), (0, 0.25), ..., (1, 0): 15 points, as stars
and bars count them (``C(4 + 2, 2)``). The points are enumerated only after they are counted,
so a step that is too fine is an error, not a hang.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from orchestrator.errors import ConfigError

__all__ = ["WEIGHTS_KEYS", "count_points", "grid_number", "simplex_points"]

#: Options of the ``weights`` grid key.
WEIGHTS_KEYS = ("step", "min", "total", "strategies")


def grid_number(value: Any, key: str, what: str) -> Decimal:
    """``value`` as an exact Decimal of its text (0.1 is 0.1), or ConfigError naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ConfigError(f"sweep grid key {key!r}: {what} must be a number; found {value!r}")
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(
            f"sweep grid key {key!r}: {what} must be a number; found {value!r}"
        ) from None
    if not out.is_finite():
        raise ConfigError(f"sweep grid key {key!r}: {what} must be finite; found {value!r}")
    return out


def simplex_points(
    table: Mapping[str, Any], k: int, budget: Decimal, max_values: int
) -> tuple[tuple[float, ...], ...]:
    """The weights of ``k`` strategies the ``table`` (step, min, total) asks for, within
    ``budget``; ConfigError for a bad option, no point, or more than ``max_values`` points."""
    key = "weights"
    if "step" not in table:
        raise ConfigError("sweep grid key 'weights' needs a step, e.g. { step = 0.1 }")
    step = grid_number(table["step"], key, "step")
    if not 0 < step <= 1:
        raise ConfigError(f"sweep grid key 'weights': step must be in (0, 1]; found {step}")
    low = grid_number(table.get("min", 0), key, "min")
    total = grid_number(table["total"], key, "total") if "total" in table else None
    if total is not None and not 0 <= total <= budget:
        raise ConfigError(
            f"sweep grid key 'weights': total {total} must be between 0 and {budget} (1.0 less "
            "the fixed weights of the strategies not in the grid)"
        )
    if low < 0 or low % step != 0:
        raise ConfigError(
            f"sweep grid key 'weights': min {low} must be >= 0 and a multiple of step {step}"
        )
    most = int((total if total is not None else budget) / step)
    exact = int(total / step) if total is not None else None
    if total is not None and exact is not None and exact * step != total:
        raise ConfigError(f"sweep grid key 'weights': total {total} is not a multiple of {step}")
    first = int(low / step)
    count = count_points(k, first, most, exact)
    if count == 0:
        raise ConfigError(
            f"sweep grid key 'weights': no weights of step {step} with min {low} fit a total "
            f"of at most {budget}; lower min or step"
        )
    if count > max_values:
        raise ConfigError(
            f"sweep grid key 'weights': {count:,} sets of weights, more than "
            f"{max_values:,}; use a larger step"
        )
    return tuple(
        tuple(float(n * step) for n in units) for units in _compositions(k, first, most, exact)
    )


def count_points(k: int, low: int, most: int, exact: int | None) -> int:
    """How many k-tuples of ints >= low sum to at most ``most`` (or exactly ``exact``)."""
    room = (exact if exact is not None else most) - k * low
    if room < 0:
        return 0
    # Stars and bars: k parts summing to exactly `room` (a slack part makes it "at most").
    return math.comb(room + k - 1, k - 1) if exact is not None else math.comb(room + k, k)


def _compositions(k: int, low: int, most: int, exact: int | None) -> Iterator[tuple[int, ...]]:
    """The k-tuples :func:`count_points` counts, first entry slowest, in increasing order."""
    if k == 1:
        top = most if exact is None else exact
        lo = low if exact is None else max(low, exact)
        yield from ((n,) for n in range(lo, top + 1))
        return
    for n in range(low, most - (k - 1) * low + 1):
        rest = None if exact is None else exact - n
        if rest is not None and rest < (k - 1) * low:
            break
        yield from ((n, *tail) for tail in _compositions(k - 1, low, most - n, rest))
