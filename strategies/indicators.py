"""Causal indicators over numpy arrays, for strategies' ``prepare`` hooks.

Every function here is *causal and prefix-stable*: the value at index ``t`` depends only on
``values[: t + 1]`` and is bit-for-bit the same whether the array ends at ``t`` or goes on, so
a strategy built from them passes :func:`orchestrator.check_lookahead`. Values before an
indicator is defined are NaN (comparisons with NaN are False, so no signal fires there).

Moving averages are *correctly rounded*: ``sma`` is the float nearest the exact mean of the
window, so two windows whose means are mathematically equal give equal floats (a flat price
gives the same SMA for every window length), and ``window_sums`` is exactly rounded (the value
:func:`math.fsum` gives). A running ``cumsum`` difference drifts instead and flips rare tie
signals. Both are O(n) numpy: double-double prefix sums with a rigorous error bound certify
each result, and exact arithmetic (:func:`math.fsum`, :class:`fractions.Fraction`) settles the
rare window too close to a rounding boundary to certify (an exact tie, say).

These are exact over the binary doubles. Comparisons between them (crossings, thresholds) are
decided on the prices' own decimal precision by :mod:`strategies.precision`.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = [
    "crossed_above",
    "crossed_below",
    "ema",
    "rolling_max",
    "rolling_min",
    "rolling_std",
    "sma",
    "wilder",
    "window_sums",
]

_U = 2.0**-53  # unit roundoff of float64
_SAFE = 0.4999995  # a little under half a gap: certify only with room to spare
_SPLIT = 2.0**27 + 1.0  # Veltkamp's splitter for float64


def _two_sum_err(a: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Return e with a + b == s + e exactly, where s = fl(a + b) (Knuth's TwoSum)."""
    bb = s - a
    err: np.ndarray = (a - (s - bb)) + (b - bb)
    return err


def _windows_dd(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Double-double sums of each window of ``n`` (``len(x) - n + 1`` of them): arrays
    (hi, lo, bound) with ``|exact sum - (hi + lo)| <= bound`` and ``hi = fl(hi + lo)``.

    None when the error-free transformation does not apply (non-finite values, overflow).
    """
    size = len(x)
    if not np.isfinite(x).all():
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        s = np.cumsum(x)
        # The transformation needs s[k] == fl(s[k-1] + x[k]) for every k: check it rather
        # than trust how numpy orders the accumulation.
        if not np.isfinite(s[-1]) or (size > 1 and not np.array_equal(s[1:], s[:-1] + x[1:])):
            return None
        e = np.zeros(size)
        if size > 1:
            e[1:] = _two_sum_err(s[:-1], x[1:], s[1:])
        # Exact prefix sums are s + cumsum(e); cumsum(e) itself is off by at most
        # gamma_k * sum(|e|) for k terms, bounded here with a generous factor.
        big_e = np.cumsum(e)
        k = np.arange(1, size + 1, dtype=np.float64)
        err_e = 2.0 * k * _U * np.cumsum(np.abs(e)) + 4.0 * _U * np.abs(big_e)
        zero = np.zeros(1)
        sp = np.concatenate((zero, s))
        ep = np.concatenate((zero, big_e))
        errp = np.concatenate((zero, err_e))
        top, bottom = sp[n:], sp[: size - n + 1]
        d = top - bottom
        d_err = _two_sum_err(top, -bottom, d)
        d_e = ep[n:] - ep[: size - n + 1]
        c = d_err + d_e
        hi = d + c
        lo = _two_sum_err(d, c, hi)
        bound = 2.0 * (errp[n:] + errp[: size - n + 1] + _U * np.abs(d_e) + _U * np.abs(c))
    return hi, lo, bound


def window_sums(values: np.ndarray, n: int) -> np.ndarray:
    """Return the exactly rounded sum of each window ``values[t - n + 1 : t + 1]``.

    The result has ``len(values)`` entries; the first ``n - 1`` are NaN. Equal to
    ``math.fsum`` of each window, bit for bit, in O(len(values)) numpy operations.
    """
    x = np.ascontiguousarray(values, dtype=np.float64)
    out = _start(x, n)
    if len(x) < n:
        return out
    dd = _windows_dd(x, n)
    if dd is None:
        return _exact_windows(x, n, np.arange(n - 1, len(x)), out, mean=False)
    hi, lo, bound = dd
    with np.errstate(over="ignore", invalid="ignore"):
        value, settled = _settle_all(x, n, hi, lo, bound, 1)
    out[n - 1 :] = value
    doubtful = np.flatnonzero(~settled) + (n - 1)
    if doubtful.size:
        _exact_windows(x, n, doubtful, out, mean=False)
    return out


def sma(values: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average of the ``n`` values up to and including ``t``, correctly rounded
    (the float nearest the exact mean, ties to even; NaN for ``t < n - 1``)."""
    x = np.ascontiguousarray(values, dtype=np.float64)
    out = _start(x, n)
    if len(x) < n:
        return out
    dd = _windows_dd(x, n) if n < 2**26 else None  # Dekker's product below needs n < 2**26
    if dd is None:
        return _exact_windows(x, n, np.arange(n - 1, len(x)), out, mean=True)
    hi, lo, bound = dd
    with np.errstate(over="ignore", invalid="ignore"):
        q = hi / n
        rem, err = _remainder(q, n, hi, lo, bound)
        q = q + rem / n  # one correction step: q is then the nearest float, ties aside
        rem, err = _remainder(q, n, hi, lo, bound)
        value, settled = _settle_all(x, n, q, rem, err, n)
    out[n - 1 :] = value
    doubtful = np.flatnonzero(~settled) + (n - 1)
    if doubtful.size:
        _exact_windows(x, n, doubtful, out, mean=True)
    return out


def _settle_all(
    x: np.ndarray, n: int, q: np.ndarray, resid: np.ndarray, err: np.ndarray, scale: int
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_settle` with the whole array's finest ulp as every window's quantum (O(n)),
    then, for the windows that leaves unsettled, with each window's own (coarser) one."""
    nonzero = np.abs(x[x != 0.0])
    finest = int(np.frexp(nonzero.min())[1]) if nonzero.size else 1000
    value, settled = _settle(q, resid, err, scale, _ulp_of_exponent(np.asarray(finest)))
    todo = np.flatnonzero(~settled)
    if todo.size:
        _, exponent = np.frexp(x)
        exponent = np.where(x == 0.0, 1000, exponent)
        own = np.lib.stride_tricks.sliding_window_view(exponent, n)[todo].min(axis=1)
        v, ok = _settle(q[todo], resid[todo], err[todo], scale, _ulp_of_exponent(own))
        value[todo] = v
        settled[todo] = ok
    return value, settled


def _ulp_of_exponent(exponent: np.ndarray) -> np.ndarray:
    """The ulp of floats ``m * 2**exponent`` with ``0.5 <= m < 1`` (never below 2**-1074)."""
    return np.ldexp(1.0, np.maximum(exponent.astype(np.int64) - 53, -1074))


def _settle(
    q: np.ndarray, resid: np.ndarray, err: np.ndarray, scale: int, quantum: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Round the target ``q + R / scale`` to the nearest float (ties to even), where ``resid``
    approximates the residual R within ``err``; return (values, settled mask).

    Settled where either the target is clearly nearer q than any neighbour, or R is known
    exactly: R (the exact sum minus q * scale) is a multiple of the window's ``quantum`` (a
    power of two no coarser than ulp(q)), so an approximation within a quarter quantum
    rounds to it exactly, and an exact tie can be broken to even.
    """
    up = (np.nextafter(q, np.inf) - q) * scale  # exact: a power of two times a small integer
    down = (q - np.nextafter(q, -np.inf)) * scale
    clear = np.isfinite(q) & (np.abs(resid) + err < _SAFE * np.minimum(up, down))
    exact = np.isfinite(q) & np.isfinite(resid) & (err < 0.25 * quantum)
    exact &= np.minimum(up, down) >= quantum * scale
    r = np.where(exact, np.rint(resid / quantum) * quantum, 0.0)
    twice = 2.0 * r
    odd = (q.view(np.int64) & 1).astype(bool)
    tie_up = exact & (twice == up)
    tie_down = exact & (twice == -down)
    inside = exact & (twice < up) & (twice > -down)
    value = np.where(tie_up & odd, np.nextafter(q, np.inf), q)
    value = np.where(tie_down & odd, np.nextafter(q, -np.inf), value)
    return value, clear | inside | tie_up | tie_down


def _remainder(
    q: np.ndarray, n: int, hi: np.ndarray, lo: np.ndarray, bound: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate ``exact sum - q * n`` and a bound on that approximation's error."""
    # q * n == p + pe exactly (Dekker's product; n < 2**26 needs no split).
    p = q * n
    c = _SPLIT * q
    q_hi = c - (c - q)
    q_lo = q - q_hi
    pe = (q_hi * n - p) + q_lo * n
    head = hi - p  # exact (Sterbenz): p is within a few ulps of hi
    rem = (head + lo) - pe
    err = bound + 4.0 * _U * (np.abs(head) + np.abs(lo) + np.abs(pe))
    return rem, err


def _start(x: np.ndarray, n: int) -> np.ndarray:
    if n < 1:
        raise ValueError(f"window length must be >= 1; found {n}")
    return np.full(len(x), np.nan)


def _exact_windows(
    x: np.ndarray, n: int, ends: np.ndarray, out: np.ndarray, *, mean: bool
) -> np.ndarray:
    """Fill ``out`` at ``ends`` with exact sums (or means) of the windows ending there."""
    values = x.tolist()
    for t in ends.tolist():
        window = values[t - n + 1 : t + 1]
        if not mean:
            out[t] = math.fsum(window)
        elif all(math.isfinite(v) for v in window):
            out[t] = float(sum(map(Fraction, window)) / n)  # int division: correctly rounded
        else:
            out[t] = math.fsum(window) / n
    return out


def ema(values: np.ndarray, n: int, *, start: int = 0) -> np.ndarray:
    """Exponential moving average with ``alpha = 2 / (n + 1)``, seeded with the simple average
    of its first ``n`` values (the usual TA-Lib convention).

    ``values[start:]`` are used (earlier entries are ignored, e.g. NaNs of an input that is
    itself still warming up); the first EMA is at ``start + n - 1``:
    ``ema[t] = alpha * values[t] + (1 - alpha) * ema[t - 1]``, except that ``ema[t]`` stays
    ``ema[t - 1]`` when ``values[t]`` equals it (so flat prices give exactly flat averages and
    no spurious crossings from rounding).
    """
    return _recursive(values, n, 2.0 / (n + 1), start)


def wilder(values: np.ndarray, n: int, *, start: int = 0) -> np.ndarray:
    """Wilder's smoothing (alpha = 1 / n), seeded with the simple average of the first ``n``
    values from ``start``: ``w[t] = (w[t - 1] * (n - 1) + values[t]) / n``."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    first = start + n - 1
    if first >= len(x):
        return out
    prev = float(sma(x[start : first + 1], n)[-1])
    out[first] = prev
    m = n - 1
    result = [prev]
    for v in x[first + 1 :].tolist():
        if v != prev:  # a constant input keeps the average exactly constant
            prev = (prev * m + v) / n
        result.append(prev)
    out[first:] = result
    return out


def _recursive(values: np.ndarray, n: int, alpha: float, start: int) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    first = start + n - 1
    if first >= len(x):
        return out
    prev = float(sma(x[start : first + 1], n)[-1])
    keep = 1.0 - alpha
    result = [prev]
    for v in x[first + 1 :].tolist():
        if v != prev:  # a constant input keeps the average exactly constant
            prev = alpha * v + keep * prev
        result.append(prev)
    out[first:] = result
    return out


def _windows(values: np.ndarray, n: int) -> np.ndarray:
    return np.lib.stride_tricks.sliding_window_view(np.asarray(values, dtype=np.float64), n)


def _rolling_extreme(values: np.ndarray, n: int, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` (``np.maximum`` or ``np.minimum``) over each window of ``n`` values in
    O(len x log n): extremes of windows of 1, 2, 4... values by doubling, then the window of
    ``n`` as two overlapping windows of the largest power of two ``k <= n`` (an extreme may
    count a value twice). An extreme is one of its operands, so the values are the windows'
    own, and a NaN in a window gives NaN, as ``max`` does."""
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    size = len(x)
    if size < n:
        return out
    span = x  # span[i]: the extreme of x[i : i + k]
    k = 1
    while 2 * k <= n:
        span = ufunc(span[:-k], span[k:])
        k *= 2
    # The window starting at s: x[s : s + k] and x[s + n - k : s + n].
    out[n - 1 :] = ufunc(span[: size - n + 1], span[n - k : n - k + size - n + 1])
    return out


def rolling_max(values: np.ndarray, n: int) -> np.ndarray:
    """Maximum of ``values[t - n + 1 : t + 1]`` (NaN for ``t < n - 1``)."""
    if n < 1:
        raise ValueError(f"window length must be >= 1; found {n}")
    return _rolling_extreme(values, n, np.maximum)


def rolling_min(values: np.ndarray, n: int) -> np.ndarray:
    """Minimum of ``values[t - n + 1 : t + 1]`` (NaN for ``t < n - 1``)."""
    if n < 1:
        raise ValueError(f"window length must be >= 1; found {n}")
    return _rolling_extreme(values, n, np.minimum)


def rolling_std(values: np.ndarray, n: int, mean: np.ndarray | None = None) -> np.ndarray:
    """Population standard deviation (ddof = 0) of each window of ``n`` values including ``t``,
    two-pass around the window's exact mean (NaN for ``t < n - 1``).

    Each window is reduced on its own, in row blocks, so memory stays O(block x n) and the
    value at ``t`` does not depend on how long the array is.
    """
    x = np.asarray(values, dtype=np.float64)
    out = np.full(len(x), np.nan)
    if len(x) < n:
        return out
    m = sma(x, n) if mean is None else mean
    win = _windows(x, n)
    block = max(1, 65_536 // n)
    for lo in range(0, len(win), block):
        rows = win[lo : lo + block]
        dev = rows - m[n - 1 + lo : n - 1 + lo + len(rows), None]
        out[n - 1 + lo : n - 1 + lo + len(rows)] = np.sqrt(np.einsum("ij,ij->i", dev, dev) / n)
    return out


def crossed_above(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True at t when ``a[t] > b[t]`` and ``a[t - 1] <= b[t - 1]`` (never at t = 0; False
    wherever a value is NaN)."""
    out = np.zeros(len(a), dtype=bool)
    with np.errstate(invalid="ignore"):
        out[1:] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
    return out


def crossed_below(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """True at t when ``a[t] < b[t]`` and ``a[t - 1] >= b[t - 1]`` (never at t = 0; False
    wherever a value is NaN)."""
    out = np.zeros(len(a), dtype=bool)
    with np.errstate(invalid="ignore"):
        out[1:] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
    return out
