"""A sweep in a link: the request round-trips through the query, hostile or oversized content
is refused with one message (never an exception), and the controls' state it sets."""

from __future__ import annotations

import json
from typing import Any

import pytest

import strategies
from orchestrator.app import sweep_link
from orchestrator.app.spec import DEFAULT_SPEC
from orchestrator.app.sweep_link import SweepKeys, SweepRequest, read_request


def _params(name: str) -> tuple[Any, ...]:
    return tuple(strategies.REGISTRY[name].param_specs())


def _read(body: object) -> tuple[SweepRequest | None, str | None]:
    text = body if isinstance(body, str) else json.dumps(body)
    return read_request({"sweep": text}, DEFAULT_SPEC, _params)


def test_read_request_params_round_trips_through_the_query() -> None:
    request = SweepRequest(
        "params",
        "Portfolio.total_return",
        strategy="sma_crossover",
        ranges={"fast": (10, 30, 10), "slow": (50, 100, 50)},
    )
    back, problem = read_request(request.to_query(), DEFAULT_SPEC, _params)
    assert problem is None
    assert back == request
    assert back is not None
    assert back.grid(DEFAULT_SPEC) == {
        "sma_crossover.fast": {"start": 10, "stop": 30, "step": 10},
        "sma_crossover.slow": {"start": 50, "stop": 100, "step": 50},
    }


def test_read_request_weights_round_trips_and_sets_the_controls() -> None:
    request = SweepRequest("weights", strategies=("sma_crossover", "rsi_reversion"), step=0.05)
    back, problem = read_request(request.to_query(), DEFAULT_SPEC, _params)
    assert (back, problem) == (request, None)
    assert request.widget_state(DEFAULT_SPEC) == {
        SweepKeys.kind: "weights",
        SweepKeys.metric: "Portfolio.sharpe_ratio",
        SweepKeys.weigh: ["sma_crossover", "rsi_reversion"],
        SweepKeys.weight_step: 0.05,
        SweepKeys.keep_total: True,
    }


def test_widget_state_params_names_the_strategy_parameters_and_bounds() -> None:
    request = SweepRequest("params", strategy="rsi_reversion", ranges={"period": (10, 20, 5)})
    state = request.widget_state(DEFAULT_SPEC)
    assert state[SweepKeys.strategy] == 1
    assert state[SweepKeys.param("rsi_reversion", 1)] == "period"
    assert state[SweepKeys.param("rsi_reversion", 2)] == sweep_link.NONE
    assert state[SweepKeys.bound("rsi_reversion", "period", "to")] == 20


def test_read_request_without_sweep_parameter_asks_for_nothing() -> None:
    assert read_request({"s1": "sma_crossover;w=0.5"}, DEFAULT_SPEC, _params) == (None, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("x" * 2000, "at most 1,000"),
        ({"kind": "cells"}, "kind must be"),
        ({"kind": "params", "strategy": "nope", "ranges": {}}, "no strategy 'nope'"),
        ({"kind": "params", "strategy": "sma_crossover", "ranges": {}}, "one or two"),
        (
            {"kind": "params", "strategy": "sma_crossover", "ranges": {"speed": [1, 2, 1]}},
            "no numeric parameter 'speed'",
        ),
        (
            {"kind": "params", "strategy": "sma_crossover", "ranges": {"fast": [0, 9, 1]}},
            "leaves 1 to 500",
        ),
        (
            {"kind": "params", "strategy": "sma_crossover", "ranges": {"fast": [1, 9, 0.5]}},
            "whole number",
        ),
        (
            {"kind": "params", "strategy": "sma_crossover", "ranges": {"fast": [1, 9]}},
            "from, to, step",
        ),
        ({"kind": "weights", "strategies": ["sma_crossover"], "step": 0.1}, "two or three"),
        ({"kind": "weights", "strategies": "sma_crossover", "step": 0.1}, "list of strategy"),
        ({"kind": "weights", "strategies": ["a", "b"], "step": 5}, "weight step"),
        ({"kind": "weights", "metric": "<b>x</b>"}, "unknown metric"),
    ],
)
def test_read_request_hostile_link_refused_with_one_message(body: object, message: str) -> None:
    request, problem = _read(body)
    assert request is None
    assert problem is not None
    assert problem.startswith("The link's sweep was left out: ")
    assert message in problem


def test_remember_keeps_a_request_or_adds_the_problem_to_the_link_errors() -> None:
    state: dict[str, Any] = {"link_errors": []}
    good = SweepRequest("params", strategy="sma_crossover", ranges={"fast": (10, 20, 10)})
    sweep_link.remember(state, good.to_query(), DEFAULT_SPEC, _params)
    assert state[SweepKeys.pending] == good
    assert sweep_link.link_query(state) == good.to_query()
    sweep_link.remember(state, {"sweep": "{"}, DEFAULT_SPEC, _params)
    assert state["link_errors"] == ["The link's sweep was left out: it is not valid JSON"]


def test_link_query_carries_the_last_sweep_run() -> None:
    request = SweepRequest("weights", strategies=("sma_crossover", "rsi_reversion"))
    assert sweep_link.link_query({}) == {}
    assert sweep_link.link_query({SweepKeys.done: ("key", None, request)}) == request.to_query()
