"""Comparisons of prices and averages decided on the prices' own precision.

Prices are written as decimals (``101.2345``) but held as the nearest binary doubles, each a
little off. Compared as doubles, two averages that are equal in decimal arithmetic can differ
by an ulp, and a crossover then fires a bar early (or late). The rule here:

* **On a decimal grid, decide exactly.** When every price of the series is, within
  ``GRID_ULPS`` ulps (relative), a decimal with at most ``MAX_PLACES`` places (a vectorised
  round trip ``rint(x * 10**k) / 10**k``, the smallest such ``k`` chosen), the prices are
  read as integer ticks of ``10**-k`` and comparisons are decided in integers: the fast and
  slow SMAs compare as ``sum_fast * slow`` against ``sum_slow * fast`` (exact int64, Python
  ints if a product could overflow), a price and an SMA as ``n * price`` against the window's
  sum, two prices as their decimals (:func:`snap` maps each price to the double nearest its
  decimal, which orders exactly as the decimals do). Ticks stay below ``2**51`` so every step
  is exact.
* **Otherwise, a tolerance.** Off the grid (more places, non-finite values, huge magnitudes)
  two operands within ``TIE_ULPS`` ulps of the larger one are a tie: that is the rounding
  noise of an average of doubles, so a difference inside it says nothing about the data.

The grid is the whole series' precision. A truncated series (``check_lookahead``, or a
decision from a short window) may find fewer places, which gives the same decimal values and
so the same exact decisions; only a series whose later prices leave the grid switches to the
tolerance, and the two agree except for decimal differences below a few ulps.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from strategies.indicators import crossed_above, crossed_below, sma

__all__ = [
    "GRID_ULPS",
    "MAX_PLACES",
    "TIE_ULPS",
    "crossings",
    "decimal_places",
    "grid",
    "mean_order",
    "order",
    "price_vs_mean",
    "ratio_order",
    "snap",
    "tick_arrays",
]

MAX_PLACES = 8  # decimals looked for: cents, basis points, satoshi-like crypto quotes
GRID_ULPS = 2  # a price this many ulps from a decimal is that decimal (parsers miss by one)
_GRID_REL = GRID_ULPS * 2.0**-52  # the same as a relative distance (2 to 4 ulps; cheaper)
TIE_ULPS = 4  # off the grid, operands this close (in ulps of the larger) are a tie
_MAX_TICK = 2.0**51  # ticks below this: decimals map to distinct, ordered doubles; sums fit int64
_PROBE = 64  # check a prefix first, so data off the grid are rejected cheaply at each k


def _on_places(x: np.ndarray, scale: float) -> bool:
    """True when every value is within ``GRID_ULPS`` ulps (relative ``GRID_ULPS * 2**-52``)
    of a multiple of ``1 / scale``."""
    decimal = np.rint(x * scale) / scale  # the double nearest that decimal (one rounding)
    return bool((np.abs(x - decimal) <= _GRID_REL * np.abs(decimal)).all())


def decimal_places(*arrays: np.ndarray, max_places: int = MAX_PLACES) -> int | None:
    """Return the fewest decimal places ``k <= max_places`` that every value of ``arrays`` has
    (each within ``GRID_ULPS`` ulps of a multiple of ``10**-k`` below ``2**51`` ticks), or
    None when there is none (values with more places, non-finite values, huge magnitudes)."""
    xs = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    xs = [x for x in xs if x.size]
    if not xs:
        return 0
    if not all(np.isfinite(x).all() for x in xs):
        return None
    top = max(float(np.abs(x).max()) for x in xs)
    for places in range(max_places + 1):
        scale = 10.0**places
        if top * scale >= _MAX_TICK:
            return None
        if all(_on_places(x[:_PROBE], scale) for x in xs) and all(_on_places(x, scale) for x in xs):
            return places
    return None


def grid(*arrays: np.ndarray) -> tuple[float, list[np.ndarray]] | None:
    """``(10**k, ticks)``: the common grid :func:`decimal_places` finds and each array as
    int64 ticks of ``10**-k`` (None when the values are not on one)."""
    places = decimal_places(*arrays)
    if places is None:
        return None
    scale = 10.0**places
    ticks = [np.rint(np.asarray(a, dtype=np.float64) * scale).astype(np.int64) for a in arrays]
    return scale, ticks


def tick_arrays(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """Each array as int64 ticks of the common grid (None off the grid)."""
    found = grid(*arrays)
    return None if found is None else found[1]


def snap(*arrays: np.ndarray) -> list[np.ndarray] | None:
    """Each array with every price replaced by the double nearest its decimal on the common
    grid (None off the grid). Snapped prices compare (``<``, ``==``, max, min) exactly as
    their decimals do: distinct decimals below ``2**51`` ticks give distinct doubles, in order."""
    places = decimal_places(*arrays)
    if places is None:
        return None
    scale = 10.0**places
    return [np.rint(np.asarray(a, dtype=np.float64) * scale) / scale for a in arrays]


def order(a: np.ndarray, b: np.ndarray, *, scale: np.ndarray | None = None) -> np.ndarray:
    """Sign of ``a - b`` (-1.0, 0.0, 1.0; NaN where either is NaN), a tie within ``TIE_ULPS``
    ulps of ``scale`` (default: the larger of ``|a|`` and ``|b|``).

    The fallback off the grid: pass ``scale`` when the operands are themselves differences
    whose rounding noise is on a larger scale (the MACD line is ``EMA_fast - EMA_slow``).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        diff = a - b
        tol = np.maximum(np.abs(a), np.abs(b)) if scale is None else np.abs(scale, dtype=float)
        np.spacing(tol, out=tol)
        tol *= TIE_ULPS
        out: np.ndarray = np.sign(diff)
        np.abs(diff, out=diff)
        out[diff <= tol] = 0.0
    return out


def _window_tick_sums(ticks: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of each window of ``n`` ticks (``len(ticks) - n + 1`` of them).

    The running sum may wrap around int64; differences are exact modulo ``2**64`` and every
    window sum fits (``n * 2**51 < 2**63`` for ``n < 4096``), so they are the true sums."""
    running = np.zeros(len(ticks) + 1, dtype=np.int64)
    np.cumsum(ticks, out=running[1:])
    sums: np.ndarray = running[n:] - running[: len(ticks) - n + 1]
    return sums


def _sign_of_ints(values: np.ndarray) -> np.ndarray:
    """-1.0, 0.0 or 1.0 per integer (int64 or Python ints in an object array)."""
    positive = np.greater(values, 0).astype(np.float64)
    negative = np.less(values, 0).astype(np.float64)
    out: np.ndarray = positive - negative
    return out


def _fits(top: int, factor: int) -> bool:
    """True when ``top * factor`` (magnitudes) stays well inside int64."""
    return top * factor < 2**62


def mean_order(values: np.ndarray, fast: int, slow: int) -> np.ndarray:
    """Sign of ``SMA_fast(t) - SMA_slow(t)`` per bar (NaN until both exist, ``t < max - 1``),
    decided exactly on the decimal grid (``sum_fast * slow`` vs ``sum_slow * fast`` in
    integers), else on the correctly rounded SMAs within ``TIE_ULPS`` ulps."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if min(fast, slow) < 1:
        raise ValueError(f"window lengths must be >= 1; found fast {fast}, slow {slow}")
    longest = max(fast, slow)
    if len(x) < longest:
        return out
    grid = tick_arrays(x) if longest < 4096 else None
    if grid is None:
        estimated = _estimated_mean_order(x, fast, slow)
        if estimated is not None:
            out[longest - 1 :] = estimated
            return out
        return order(sma(x, fast), sma(x, slow))
    ticks = grid[0]
    g = math.gcd(fast, slow)
    sum_fast = _window_tick_sums(ticks, fast)[longest - fast :]
    sum_slow = _window_tick_sums(ticks, slow)[longest - slow :]
    top = int(np.abs(ticks).max())
    lcm = fast // g * slow
    if _fits(top, lcm):
        diff = sum_fast * (slow // g) - sum_slow * (fast // g)
    else:  # rare (huge prices at many places, long windows): exact Python ints
        diff = sum_fast.astype(object) * (slow // g) - sum_slow.astype(object) * (fast // g)
    out[longest - 1 :] = _sign_of_ints(diff)
    return out


_U = 2.0**-53  # unit roundoff of float64
_TINY = 2.0**-1000  # absolute slack for the bounds (covers underflow in the estimates)


def _estimated_mean_order(x: np.ndarray, fast: int, slow: int) -> np.ndarray | None:
    """``order(sma(x, fast), sma(x, slow))`` from ``t = max - 1`` on, without computing the
    correctly rounded SMAs in full (None when the estimate does not apply).

    Each mean is first estimated from a plain running sum, with a rigorous error bound
    against the correctly rounded SMA: the running sum of ``k`` terms is within
    ``gamma_k * sum |x|`` of the exact prefix sum (any summation order), so a window's sum is
    within the two prefixes' bounds plus its own subtraction, and the quotient by ``n`` adds
    an ulp or two. Where the two estimates differ by more than their bounds plus the tie
    tolerance, neither the sign nor "no tie" can change, and the estimate's sign is the
    answer. The few bars left undecided (an exact tie, or means within the bounds of each
    other) get the correctly rounded SMAs from exact arithmetic, and the tolerance of
    :func:`order`. Too many of them (flat prices) and the caller takes the full path.
    """
    size = len(x)
    longest = max(fast, slow)
    if size * _U >= 0.01:
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        prefix = np.zeros(size + 1)
        np.cumsum(x, out=prefix[1:])
        mass = np.zeros(size + 1)
        np.cumsum(np.abs(x), out=mass[1:])
        if not (np.isfinite(prefix).all() and np.isfinite(mass[-1])):
            return None
        # |prefix[k] - exact| <= gamma_k * exact mass <= 2 k u * computed mass (k u < 0.01).
        perr = mass * np.arange(size + 1, dtype=np.float64)
        perr *= 2.0 * _U

        def estimate(n: int) -> tuple[np.ndarray, np.ndarray]:
            top, bottom = prefix[longest:], prefix[longest - n : size + 1 - n]
            d = top - bottom
            err = perr[longest:] + perr[longest - n : size + 1 - n] + 2.0 * _U * np.abs(d)
            a = d / n
            return a, 2.0 * err / n + 4.0 * _U * np.abs(a) + _TINY

        a_fast, e_fast = estimate(fast)
        a_slow, e_slow = estimate(slow)
        diff = a_fast - a_slow
        slack = e_fast + e_slow
        tol = np.spacing(np.maximum(np.abs(a_fast), np.abs(a_slow)) + slack)
        tol *= TIE_ULPS * (1.0 + 16.0 * _U)
        low = np.abs(diff) * (1.0 - 4.0 * _U) - slack  # at most |SMA_fast - SMA_slow|
        sign: np.ndarray = np.sign(diff)
        undecided = np.flatnonzero(~(low > tol))
    if undecided.size > 64 + size // 1000:
        return None
    if undecided.size:
        ends = undecided + (longest - 1)
        sign[undecided] = order(_exact_means(x, fast, ends), _exact_means(x, slow, ends))
    return sign


def _exact_means(x: np.ndarray, n: int, ends: np.ndarray) -> np.ndarray:
    """The correctly rounded means of the windows of ``n`` ending at ``ends`` (exact rational
    sums divided by ``n``: the values :func:`~strategies.indicators.sma` gives there)."""
    values = x.tolist()
    return np.array(
        [float(sum(map(Fraction, values[t - n + 1 : t + 1])) / n) for t in ends.tolist()],
        dtype=np.float64,
    )


def price_vs_mean(values: np.ndarray, n: int, mean: np.ndarray | None = None) -> np.ndarray:
    """Sign of ``values(t) - SMA_n(t)`` per bar (NaN for ``t < n - 1``), decided exactly on
    the decimal grid (``n * price`` vs the window's sum of ticks), else within ``TIE_ULPS``
    ulps of the correctly rounded SMA (``mean``, when the caller has it already)."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    grid = tick_arrays(x) if n < 2048 and len(x) >= n else None
    if grid is None:
        return order(x, sma(x, n) if mean is None else mean)
    ticks = grid[0]
    diff = ticks[n - 1 :] * n - _window_tick_sums(ticks, n)  # |diff| < 2 * n * 2**51 < 2**63
    out[n - 1 :] = _sign_of_ints(diff)
    return out


def ratio_order(values: np.ndarray, lag: int, level: float) -> np.ndarray:
    """Sign of ``values(t) / values(t - lag) - 1 - level`` per bar (NaN for ``t < lag``), the
    rate of change against a threshold.

    On the decimal grid, with positive prices, it is decided exactly: ``level`` is read as
    written (``0.05`` is 1/20, from its shortest repr) and ``now * den`` compares with
    ``then * (num + den)`` in integers. Otherwise the doubles ``now / then`` and ``1 + level``
    compare with a tie within ``TIE_ULPS`` ulps.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if lag < 1:
        raise ValueError(f"lag must be >= 1; found {lag}")
    if len(x) <= lag:
        return out
    grid = tick_arrays(x)
    if grid is None or (grid[0] <= 0).any() or not math.isfinite(level):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.concatenate((out[:lag], order(x[lag:] / x[:-lag], np.full(1, 1.0 + level))))
    ticks = grid[0]
    ratio = 1 + Fraction(repr(float(level)))
    num, den = ratio.numerator, ratio.denominator
    now, then = ticks[lag:], ticks[:-lag]
    if _fits(int(ticks.max()), max(abs(num), den)):
        diff = now * den - then * num
    else:
        diff = now.astype(object) * den - then.astype(object) * num
    out[lag:] = _sign_of_ints(diff)
    return out


def crossings(sign: np.ndarray, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(above, below) from the sign of ``fast - slow``: *above* at t when ``sign(t) > 0`` and
    ``sign(t - 1) <= 0``, *below* mirrored; never before ``first``. Below, tie, above crosses
    above at the bar after the tie; a touch (above, tie, above) crosses nothing below, and the
    bar after it counts as above after a tie."""
    zero = np.zeros(len(sign))
    above = crossed_above(sign, zero)
    below = crossed_below(sign, zero)
    above[:first] = False
    below[:first] = False
    return above, below
