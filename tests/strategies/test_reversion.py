"""rsi_reversion and bollinger_reversion on hand-made series with known entry and exit bars."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import ConfigError
from strategies import BollingerReversionStrategy, RsiReversionStrategy
from strategies.indicators import rolling_std, sma
from strategies.reversion import _exact_rsi_signs, rsi, rsi_order


def test_rsi_known_series_matches_wilder_by_hand() -> None:
    closes = np.array([10, 11, 12, 13, 12, 10, 8, 9, 11, 12, 12], dtype=float)
    value = rsi(closes, 3)
    assert np.isnan(value[:3]).all()
    # t=3: gains 1, 1, 1 and no loss -> 100. Then Wilder: avg = (avg * 2 + x) / 3.
    gain, loss = 1.0, 0.0
    expected = [100.0]
    for change in (-1, -2, -2, 1, 2, 1, 0):
        gain = (gain * 2 + max(change, 0)) / 3
        loss = (loss * 2 + max(-change, 0)) / 3
        expected.append(100 * gain / (gain + loss))
    assert value[3:] == pytest.approx(expected, rel=1e-12)


def test_rsi_flat_prices_is_fifty() -> None:
    assert rsi(np.full(10, 5.0), 3)[3:].tolist() == [50.0] * 7


def test_rsi_reversion_known_series_enters_oversold_exits_recovered(frame, trades_of) -> None:
    # RSI(3): t=4 66.7, t=5 33.3, t=6 19.0 (< 30: enter), t=7 38.7 (hold), t=8 64.6 (>= 50).
    closes = [10, 11, 12, 13, 12, 10, 8, 9, 11, 12, 12]
    trades = trades_of(
        RsiReversionStrategy(period=3, oversold=30, exit_level=50), {"X": frame(closes)}
    )
    assert trades == [("X", 6, 8)]


def test_rsi_reversion_exit_at_level_exactly(frame, trades_of) -> None:
    # Period 2 after a drop: t=3 RSI 0 (enter); t=4 the gain equals the running loss,
    # RSI = 50.0 exactly: "at or above" exit_level 50 exits.
    closes = [10, 10, 10, 8, 9, 9, 9]
    trades = trades_of(
        RsiReversionStrategy(period=2, oversold=30, exit_level=50), {"X": frame(closes)}
    )
    value = rsi(np.array(closes, dtype=float), 2)
    assert value[3] == 0.0
    assert value[4] == 50.0
    assert trades == [("X", 3, 4)]


def test_rsi_reversion_oversold_not_below_exit_raises_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"rsi_reversion: oversold \(60\) must be < exit_level \(50\)"
    ):
        RsiReversionStrategy(oversold=60)


def test_bollinger_reversion_known_series_enters_below_band_exits_at_middle(
    frame, trades_of
) -> None:
    # Period 3, k 1: t=4 window [10, 10, 7]: mean 9, population std sqrt(2) = 1.414, lower
    # band 7.586 > close 7 -> enter. t=5 window [10, 7, 8.5]: mean 8.5 = close -> at the
    # middle band: exit.
    closes = [10, 10, 10, 10, 7, 8.5, 8, 8]
    trades = trades_of(BollingerReversionStrategy(period=3, k=1.0), {"X": frame(closes)})
    assert trades == [("X", 4, 5)]


def test_bollinger_reversion_holds_below_middle_band(frame, trades_of) -> None:
    # After the entry at t=4, t=5 close 8 < mean 8.33 (hold), t=6 close 10 >= 8.33 (exit).
    closes = [10, 10, 10, 10, 7, 8, 10, 10]
    trades = trades_of(BollingerReversionStrategy(period=3, k=1.0), {"X": frame(closes)})
    assert trades == [("X", 4, 6)]


def test_bollinger_reversion_wider_band_skips_shallow_dip(frame, trades_of) -> None:
    # k = 1.5: lower band 9 - 1.5 * 1.414 = 6.88 < 7: no entry.
    closes = [10, 10, 10, 10, 7, 8, 10, 10]
    assert trades_of(BollingerReversionStrategy(period=3, k=1.5), {"X": frame(closes)}) == []


def test_bollinger_reversion_k_below_minimum_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"bollinger_reversion: k \(0\) must be >= 0.1"):
        BollingerReversionStrategy(k=0)


def test_bollinger_reversion_period_2_k_1_band_is_the_low_never_enters(frame, window) -> None:
    # With two closes the lower band (mean - 1 x std) is exactly the lower of them, so a close
    # is never below it. As doubles 10.57, 9.56 put the band an ulp *above* 9.56.
    x = np.array([10.57, 9.56])
    middle = sma(x, 2)
    assert x[1] < middle[1] - rolling_std(x, 2, middle)[1], "the trap: doubles say below"
    closes = [10.57, 9.56, 10.57, 9.56, 9.0, 8.5, 9.56]
    enter, _ = BollingerReversionStrategy(period=2, k=1.0).signals(window(frame(closes)))
    assert not enter.any()


def test_bollinger_reversion_close_equal_to_middle_band_as_written_exits(frame, window) -> None:
    # Window 9.63, 10.14, 10.59, 10.12: the mean is 10.12 in decimal, equal to the close; the
    # correctly rounded double of the mean is an ulp above the close's double.
    closes = [9.63, 10.14, 10.59, 10.12]
    assert sma(np.array(closes), 4)[3] > 10.12, "the trap: as doubles the close is below"
    _, exit_ = BollingerReversionStrategy(period=4, k=2.0).signals(window(frame(closes)))
    assert exit_.tolist() == [False, False, False, True]


def _exact_below_band(ticks: list[int], n: int, k: Fraction) -> list[bool]:
    """Plain-Python reference: close < mean - k * std, squared on exact rationals."""
    out = [False] * len(ticks)
    for t in range(n - 1, len(ticks)):
        window = [Fraction(v) for v in ticks[t - n + 1 : t + 1]]
        mean = sum(window) / n
        variance = sum((v - mean) ** 2 for v in window) / n
        gap = mean - window[-1]
        out[t] = gap > 0 and gap * gap > k * k * variance
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ticks=st.lists(st.integers(1, 12), min_size=1, max_size=50),
    n=st.integers(2, 6),
    k=st.sampled_from([0.5, 1.0, 1.5, 2.0, 0.1, 0.7]),
    places=st.integers(0, 4),
)
def test_bollinger_reversion_entry_decimal_prices_equal_exact_reference(
    frame, window, ticks: list[int], n: int, k: float, places: int
) -> None:
    # Few distinct ticks: ties between the close and the band (period 2, k 1 above all) are
    # common; every one must be decided as exact decimal arithmetic decides it.
    closes = np.array(ticks) / 10.0**places
    enter, _ = BollingerReversionStrategy(period=n, k=k).signals(window(frame(closes)))
    assert enter.tolist() == _exact_below_band(ticks, n, Fraction(repr(k)))


def _exact_rsi(ticks: list[int], period: int) -> list[Fraction | None]:
    """Plain-Python reference: Wilder's RSI on exact rationals (None before ``period``)."""
    out: list[Fraction | None] = [None] * len(ticks)
    changes = [Fraction(ticks[i] - ticks[i - 1]) for i in range(1, len(ticks))]
    if len(changes) < period:
        return out
    gains = [max(c, Fraction(0)) for c in changes]
    losses = [max(-c, Fraction(0)) for c in changes]
    gain, loss = sum(gains[:period]) / period, sum(losses[:period]) / period
    for t in range(period, len(ticks)):
        if t > period:
            gain = (gain * (period - 1) + gains[t - 1]) / period
            loss = (loss * (period - 1) + losses[t - 1]) / period
        out[t] = Fraction(50) if gain == loss == 0 else 100 * gain / (gain + loss)
    return out


def _signs(values: list[Fraction | None], level: float) -> list[float | None]:
    exact = Fraction(repr(level))
    return [None if v is None else float((v > exact) - (v < exact)) for v in values]


def _as_list(sign: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in sign]


def test_rsi_reversion_rsi_equal_to_level_as_written_is_at_the_level(frame, window) -> None:
    # Period 2: at t = 3 the exact RSI of these three-decimal closes is 80 (gains 4, 4, then a
    # loss of 1: 100 * 4 / 5); the doubles give 79.99999999999822.
    closes = [0.998, 1.002, 1.006, 1.005]
    assert rsi(np.array(closes), 2)[3] < 80.0, "the trap: as doubles the RSI is below 80"
    enter, _ = RsiReversionStrategy(period=2, oversold=80, exit_level=90).signals(
        window(frame(closes))
    )
    assert not enter[3]  # not below 80
    _, exit_ = RsiReversionStrategy(period=2, oversold=70, exit_level=80).signals(
        window(frame(closes))
    )
    assert exit_[3]  # at 80: "at or above" exits


def test_rsi_reversion_seed_tie_at_sixty_exits(frame, window) -> None:
    closes = [1.002, 0.998, 0.994, 0.996, 1.0, 1.001, 1.006]
    assert _exact_rsi([1002, 998, 994, 996, 1000, 1001, 1006], 6)[6] == 60
    assert rsi(np.array(closes), 6)[6] < 60.0, "the trap: as doubles the RSI is below 60"
    _, exit_ = RsiReversionStrategy(period=6, oversold=30, exit_level=60).signals(
        window(frame(closes))
    )
    assert exit_.tolist() == [False] * 6 + [True]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.integers(-4, 4), min_size=1, max_size=45),
    period=st.integers(2, 8),
    level=st.sampled_from([20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 75.0, 80.0, 33.3]),
    places=st.integers(0, 4),
)
def test_rsi_order_decimal_prices_equal_exact_reference(
    steps: list[int], period: int, level: float, places: int
) -> None:
    # Small integer moves: exact ties with round levels are common, at the seed above all.
    ticks = np.cumsum([1000, *steps]).tolist()
    closes = np.array(ticks) / 10.0**places
    (sign,) = rsi_order(closes, period, [level])
    assert _as_list(sign) == _signs(_exact_rsi(ticks, period), level)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.integers(-9, 9), min_size=3, max_size=40),
    period=st.integers(2, 6),
    level=st.sampled_from([30.0, 50.0, 70.0, 33.3]),
)
def test_exact_rsi_signs_every_bar_doubtful_equals_exact_reference(
    steps: list[int], period: int, level: float
) -> None:
    # The big-integer recursion after the integer phase runs only at bars the doubles cannot
    # settle, which real data almost never produce: force every bar through it.
    ticks = np.cumsum([1000, *steps])
    sign = np.full(len(ticks), np.nan)
    doubtful = np.zeros(len(ticks), dtype=bool)
    doubtful[period:] = True
    if len(ticks) > period:
        _exact_rsi_signs(ticks, period, Fraction(repr(level)), sign, doubtful)
    assert _as_list(sign) == _signs(_exact_rsi(ticks.tolist(), period), level)


def test_exact_rsi_signs_long_series_windowed_sign_equals_exact_reference() -> None:
    # Past 64 bars after the integer phase the sign comes from a window of the last K steps
    # and a bound on the older tail; it must equal the full exact recursion's.
    rng = np.random.default_rng(17)
    ticks = np.cumsum(np.concatenate(([100_000], rng.integers(-50, 51, 400))))
    for period, level in ((14, 30.0), (3, 50.0), (2, 70.0)):
        sign = np.full(len(ticks), np.nan)
        doubtful = np.zeros(len(ticks), dtype=bool)
        doubtful[period:] = True
        _exact_rsi_signs(ticks, period, Fraction(repr(level)), sign, doubtful)
        assert _as_list(sign) == _signs(_exact_rsi(ticks.tolist(), period), level)


def test_rsi_order_off_grid_within_bound_is_a_tie() -> None:
    # Thirds are off every decimal grid. Up 1/3 then down 1/3 is an RSI of exactly 50 (period
    # 2, at t = 2), which doubles make 50.00000000000001 or 49.99999999999999: a tie. Up again
    # at t = 3 is exactly 75: above 50, tied with 75.
    for closes in ([1.0, 4 / 3, 1.0], [1 / 3, 2 / 3, 1 / 3]):
        assert rsi(np.array(closes), 2)[2] != 50.0, "the trap: doubles miss 50"
        (sign,) = rsi_order(np.array(closes), 2, [50.0])
        assert sign[2] == 0.0
    above_50, at_75 = rsi_order(np.array([1.0, 4 / 3, 1.0, 4 / 3]), 2, [50.0, 75.0])
    assert above_50[3] == 1.0
    assert at_75[3] == 0.0
