"""Rebalancing properties: money conserved at every bar, transfers net to zero against the pool,
no negative cash, a rebalance that never fires changes nothing, the sparse path agrees, the
rules end to end, and no look-ahead (the path up to T is the same without the data after T)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator import OrchestratorConfig, OrchestratorResult, Rebalance, StrategyOrchestrator
from orchestrator.core.allocation import RULES
from orchestrator.core.flows import time_weighted_returns
from strategies import REGISTRY
from tests.orchestrator.conftest import Hold, random_walks

MONEY = 1e-6


def _run(
    data: dict[str, pd.DataFrame],
    weights: Sequence[float],
    rebalance: Rebalance,
    *,
    per_bar: bool = False,
    cycle: int | None = None,
    **config: object,
) -> OrchestratorResult:
    cfg = OrchestratorConfig(logging_level="ERROR", rebalance=rebalance, **config)  # type: ignore[arg-type]
    pairs = [(Hold(sym, cycle), w) for sym, w in zip(data, weights, strict=True)]
    return StrategyOrchestrator(pairs, 100_000, cfg).run(data, per_bar=per_bar)


def _pool(result: OrchestratorResult) -> np.ndarray:
    """The unallocated cash implied by the transfers: the start minus what went to sleeves."""
    index = result.portfolio_equity.index
    moved = np.zeros(len(index))
    t = result.transfers
    if len(t):
        per = t.groupby("timestamp")["amount"].sum()
        np.add.at(moved, index.get_indexer(per.index), per.to_numpy())
    return result.unallocated_cash - np.cumsum(moved)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    weights=st.lists(st.floats(0.05, 0.33), min_size=2, max_size=3),
    every=st.integers(2, 15),
    drift=st.none() | st.floats(0.01, 0.2),
    mode=st.sampled_from(["scale", "cash"]),
    fill=st.sampled_from(["next_open", "close"]),
    fractional=st.booleans(),
    costs=st.booleans(),
    cycle=st.none() | st.integers(3, 12),
    seed=st.integers(0, 10_000),
    mixed=st.booleans(),
)
def test_rebalance_random_runs_conserve_money_at_every_bar(
    weights: list[float],
    every: int,
    drift: float | None,
    mode: str,
    fill: str,
    fractional: bool,
    costs: bool,
    cycle: int | None,
    seed: int,
    mixed: bool,
) -> None:
    data = random_walks([0.01, 0.03, 0.02][: len(weights)], bars=60, seed=seed)
    if mixed:  # the last symbol trades every day (crypto), the others on business days
        last = list(data)[-1]
        frame = data[last]
        data[last] = frame.set_axis(pd.date_range(frame.index[0], periods=len(frame), freq="D"))
    rebalance = Rebalance(every_bars=every, drift=drift, mode=mode)  # type: ignore[arg-type]
    r = _run(
        data,
        weights,
        rebalance,
        cycle=cycle,
        fill=fill,
        fractional=fractional,
        commission_rate=0.001 if costs else 0.0,
        commission_min=1.0 if costs else 0.0,
        slippage_bps=10.0 if costs else 0.0,
    )
    sleeves = sum(sr.equity_curve.to_numpy() for sr in r.strategy_results.values())
    pool = _pool(r)
    # portfolio = sum of sleeves + unallocated cash, the cash moved only by the transfers
    assert np.allclose(r.portfolio_equity.to_numpy(), sleeves + pool, rtol=0, atol=MONEY)
    assert pool.min() >= -MONEY
    for sr in r.strategy_results.values():
        assert sr.cash_curve.min() >= -MONEY
    assert np.allclose(r.weights.sum(axis=1).to_numpy(), 1.0)
    assert r.rebalances == r.transfers["timestamp"].nunique()
    assert (r.transfers["costs"] >= 0).all()
    assert (r.transfers["shortfall"] >= 0).all()
    if mode == "cash":
        assert r.rebalance_costs == 0.0
    lines = r.attribution["pnl"].sum()
    assert lines == pytest.approx(r.portfolio_equity.iloc[-1] - 100_000, abs=MONEY)


@pytest.mark.parametrize("fill", ["next_open", "close"])
@pytest.mark.parametrize("mode", ["scale", "cash"])
def test_rebalance_that_never_fires_is_bit_identical_to_none(fill: str, mode: str) -> None:
    data = random_walks([0.01, 0.02, 0.015], bars=150, seed=3)
    pairs = lambda: [(cls(), 0.3) for cls in list(REGISTRY.values())[:3]]  # noqa: E731
    plain = OrchestratorConfig(logging_level="ERROR", fill=fill, commission_rate=0.001)  # type: ignore[arg-type]
    quiet = OrchestratorConfig(
        logging_level="ERROR",
        fill=fill,  # type: ignore[arg-type]
        commission_rate=0.001,
        rebalance=Rebalance(every_bars=10_000, mode=mode),  # type: ignore[arg-type]
    )
    a = StrategyOrchestrator(pairs(), 100_000, plain).run(data)
    b = StrategyOrchestrator(pairs(), 100_000, quiet).run(data)
    c = StrategyOrchestrator(
        pairs(),
        100_000,
        OrchestratorConfig(
            logging_level="ERROR", fill=fill, commission_rate=0.001, rebalance=Rebalance()
        ),  # type: ignore[arg-type]
    ).run(data)
    for other in (b, c):
        assert list(a.strategy_results) == list(other.strategy_results)
        for sid in a.strategy_results:
            assert a.strategy_results[sid] == other.strategy_results[sid]
        assert a.portfolio_equity.equals(other.portfolio_equity)
        assert a.aggregate_metrics == other.aggregate_metrics
    assert a == c


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_rebalance_sparse_and_per_bar_paths_agree(fill: str) -> None:
    data = random_walks([0.01, 0.02, 0.015], bars=200, seed=5)
    names = ["sma_crossover", "rsi_reversion", "donchian_breakout"]

    def run(per_bar: bool) -> OrchestratorResult:
        config = OrchestratorConfig(
            logging_level="ERROR",
            fill=fill,  # type: ignore[arg-type]
            commission_rate=0.001,
            rebalance=Rebalance(schedule="monthly", rule="equal", lookback=20, max_weight=0.9),
        )
        pairs = [(REGISTRY[n](), 0.3) for n in names]
        return StrategyOrchestrator(pairs, 100_000, config).run(data, per_bar=per_bar)

    sparse, dense = run(False), run(True)
    assert sparse.rebalances > 0
    assert sparse == dense


def test_rebalance_defunding_sparse_sleeves_same_as_per_bar() -> None:
    """max_sharpe sets some sleeves to 0: the trims close their positions, and a sparse state
    must then be asked to enter again exactly where the per-bar path asks it."""
    data = random_walks([0.01, 0.05, 0.02], bars=250, seed=12)
    config = OrchestratorConfig(
        logging_level="ERROR", rebalance=Rebalance(every_bars=5, rule="max_sharpe", lookback=20)
    )

    def run(per_bar: bool) -> OrchestratorResult:
        names = ["sma_crossover", "momentum", "buy_and_hold"]
        pairs = [(REGISTRY[n](), 0.3) for n in names]
        return StrategyOrchestrator(pairs, 100_000, config).run(data, per_bar=per_bar)

    sparse = run(False)
    zero = (sparse.weights.drop(columns="Cash") < 1e-9).to_numpy()
    assert (zero.sum(axis=0) > 0).sum() >= 2
    # ... and the rule funds them again later: de-funded sleeves keep a return stream.
    assert (zero[:-1] & ~zero[1:]).any()
    assert sparse == run(True)


def _hold_close(rule: str, **options: object) -> OrchestratorResult:
    data = random_walks([0.01, 0.03, 0.02], bars=120, seed=9)
    rebalance = Rebalance(every_bars=20, rule=rule, lookback=15, **options)  # type: ignore[arg-type]
    return _run(data, [0.3, 0.3, 0.3], rebalance, fill="close", fractional=True)


def _before_flow_returns(r: OrchestratorResult, sid: str) -> np.ndarray:
    equity = r.strategy_results[sid].equity_curve.to_numpy()
    t = r.transfers[r.transfers["strategy_id"] == sid]
    flows = np.zeros(len(equity))
    flows[r.portfolio_equity.index.get_indexer(t["timestamp"])] = t["amount"].to_numpy()
    # At the close, without costs and fractional: the value before a transfer is the value
    # after it minus the amount.
    before = np.concatenate(([equity[0]], equity[:-1]))
    moved = flows != 0
    before[moved] = equity[moved] - flows[moved]
    return time_weighted_returns(equity, flows, before_flow=before)


def test_rebalance_rule_equal_end_to_end_weights_are_equal_after_warmup() -> None:
    r = _hold_close("equal")
    assert any("fixed weights apply until" in w for w in r.warnings)
    at = pd.DatetimeIndex(r.transfers["timestamp"].unique())
    after = at[r.portfolio_equity.index.get_indexer(at) >= 16]
    assert len(after) >= 3
    w = r.weights.loc[after]
    assert np.allclose(w.drop(columns="Cash").to_numpy(), 0.3, atol=1e-9)
    assert np.allclose(w["Cash"].to_numpy(), 0.1, atol=1e-9)


def test_rebalance_rule_inverse_volatility_end_to_end_matches_closed_form() -> None:
    r = _hold_close("inverse_volatility")
    ids = list(r.strategy_results)
    returns = np.column_stack([_before_flow_returns(r, sid) for sid in ids])
    index = r.portfolio_equity.index
    checked = 0
    for when in pd.DatetimeIndex(r.transfers["timestamp"].unique()):
        t = int(index.get_loc(when))
        if t < 16:
            continue
        inverse = 1.0 / returns[t - 15 : t].std(axis=0, ddof=1)
        expected = 0.9 * inverse / inverse.sum()
        assert np.allclose(r.weights.loc[when, ids].to_numpy(), expected, atol=1e-9)
        checked += 1
    assert checked >= 3


def _cut(data: dict[str, pd.DataFrame], end: int) -> dict[str, pd.DataFrame]:
    return {k: v.iloc[:end] for k, v in data.items()}


@pytest.mark.parametrize("rule", RULES)
def test_rebalance_no_lookahead_path_up_to_t_same_without_later_data(rule: str) -> None:
    data = random_walks([0.01, 0.03, 0.02], bars=70, seed=13)
    rebalance = Rebalance(every_bars=6, rule=rule, lookback=12, drift=0.08)  # type: ignore[arg-type]
    full = _run(data, [0.3, 0.3, 0.3], rebalance, cycle=9, commission_rate=0.001)
    for end in (30, 41, 55):
        part = _run(_cut(data, end), [0.3, 0.3, 0.3], rebalance, cycle=9, commission_rate=0.001)
        head = full.portfolio_equity.iloc[:end]
        assert part.portfolio_equity.equals(head), (rule, end)
        cut = full.transfers[full.transfers["timestamp"] < head.index[-1]].reset_index(drop=True)
        mine = part.transfers[part.transfers["timestamp"] < head.index[-1]].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, cut)


@pytest.mark.parametrize("fill", ["next_open", "close"])
def test_rebalance_rule_inputs_equal_time_weighted_returns_of_the_curves(fill: str) -> None:
    """The returns the rules saw, built block by block during the run, are the time-weighted
    returns of the final equity curves (flows.time_weighted_returns), de-funded bars aside."""
    from orchestrator.core.engine import _Built
    from orchestrator.core.market import Market

    data = random_walks([0.01, 0.03, 0.02], bars=150, seed=21)
    config = OrchestratorConfig(
        logging_level="ERROR",
        fill=fill,  # type: ignore[arg-type]
        commission_rate=0.001,
        slippage_bps=5.0,
        rebalance=Rebalance(every_bars=9, rule="inverse_volatility", lookback=10),
    )
    orch = StrategyOrchestrator([(Hold(s, 7), 0.3) for s in data], 100_000, config)
    market = Market.from_data(data, sorted(data))
    built = _Built(orch, market, {f"hold_{s.lower()}": [s] for s in data})
    built.run.loop()
    rb = built.rebalancer
    assert rb is not None
    assert rb.inputs is not None
    assert rb.events > 5
    n = len(market.timeline)
    for k, acc in enumerate(built.accounts.values()):
        equity, _, _ = acc.curves(n)
        expected = rb.flows(k, equity)[1 : rb.inputs.done]
        seen = rb.inputs.returns[1 : rb.inputs.done, k]
        finite = np.isfinite(expected)
        assert np.allclose(seen[finite], expected[finite], rtol=0, atol=1e-12)
