"""BaseStrategy: declared parameters, validation messages, symbols and names."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass

import numpy as np
import pytest

from orchestrator import BarWindow, ConfigError, StrategyState
from strategies import BaseStrategy, ParamSpec, SignalStrategy, SmaCrossoverStrategy, param


class ThresholdStrategy(BaseStrategy):
    """A small strategy with one parameter of each kind."""

    description = "Buy above a level"

    @dataclass(frozen=True)
    class Params:
        level: float = param(10.0, min=0.0, max=100.0, step=0.5, help="Buy above this close")
        bars: int = param(3, min=1, max=50, step=1, help="Bars to look back")
        strict: bool = param(True, help="Strictly above")

    params: Params

    def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
        return bool(bars.close[-1] > self.params.level)

    def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
        return bool(bars.close[-1] < self.params.level)


def test_param_specs_declared_fields_give_kind_default_range_step_help() -> None:
    assert ThresholdStrategy.param_specs() == (
        ParamSpec("level", float, 10.0, 0.0, 100.0, 0.5, "Buy above this close"),
        ParamSpec("bars", int, 3, 1, 50, 1, "Bars to look back"),
        ParamSpec("strict", bool, True, None, None, None, "Strictly above"),
    )


def test_base_strategy_subclass_without_name_gets_snake_case_name() -> None:
    assert ThresholdStrategy.name == "threshold"
    assert ThresholdStrategy().name == "threshold"


def test_base_strategy_values_are_validated_and_coerced() -> None:
    s = ThresholdStrategy(level=12, bars=4.0, strict=np.bool_(False))
    assert s.params == ThresholdStrategy.Params(level=12.0, bars=4, strict=False)
    assert isinstance(s.params.level, float)
    assert isinstance(s.params.bars, int)
    assert s.param_values() == {"level": 12.0, "bars": 4, "strict": False}


def test_base_strategy_params_object_and_overrides_combine() -> None:
    base = ThresholdStrategy.Params(level=20.0)
    assert ThresholdStrategy(base).params.level == 20.0
    assert ThresholdStrategy(base, bars=7).params == ThresholdStrategy.Params(20.0, 7, True)


def test_base_strategy_params_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        ThresholdStrategy().params.level = 3.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"levle": 3}, r"^threshold: unknown parameter 'levle'; did you mean 'level'\? "),
        ({"zzz": 3}, r"^threshold: unknown parameter 'zzz' \(parameters: level, bars, strict\)$"),
        ({"level": -1}, r"^threshold: level \(-1\) must be >= 0$"),
        ({"level": 100.5}, r"^threshold: level \(100.5\) must be <= 100$"),
        ({"bars": 2.5}, r"^threshold: bars must be a whole number; found 2.5$"),
        ({"bars": "3"}, r"^threshold: bars must be an int; found '3' \(str\)$"),
        ({"bars": True}, r"^threshold: bars must be an int; found True \(bool\)$"),
        ({"level": float("nan")}, r"^threshold: level must be a finite number; found nan$"),
        ({"strict": 1}, r"^threshold: strict must be true or false; found 1$"),
    ],
)
def test_base_strategy_bad_value_raises_config_error_naming_it(values, message) -> None:
    with pytest.raises(ConfigError, match=message):
        ThresholdStrategy(**values)


def test_base_strategy_wrong_params_type_raises_config_error() -> None:
    with pytest.raises(ConfigError, match=r"threshold: params must be a ThresholdStrategy.Params"):
        ThresholdStrategy(SmaCrossoverStrategy.Params())


def test_base_strategy_symbols_and_name_are_kept() -> None:
    s = ThresholdStrategy(symbols=["AAPL", "MSFT", "AAPL"], name="my level")
    assert s.symbols == ("AAPL", "MSFT")
    assert s.name == "my level"
    assert type(s).name == "threshold"
    assert ThresholdStrategy(symbols="AAPL").symbols == ("AAPL",)
    assert repr(s) == (
        "ThresholdStrategy(level=10.0, bars=3, strict=True, symbols=['AAPL', 'MSFT'], "
        "name='my level')"
    )


@pytest.mark.parametrize("symbols", [[], [""], [3]])
def test_base_strategy_bad_symbols_raise_config_error(symbols) -> None:
    with pytest.raises(ConfigError, match="threshold: symbols must be a non-empty list"):
        ThresholdStrategy(symbols=symbols)


def test_base_strategy_blank_name_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="threshold: name must be a non-empty string"):
        ThresholdStrategy(name=" ")


def test_base_strategy_params_field_without_param_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"Params.x must be declared with param"):

        class Bad(BaseStrategy):  # pragma: no cover - the class statement raises
            @dataclass(frozen=True)
            class Params:
                x: int = 3

            def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
                return False

            def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
                return False


def test_base_strategy_mutable_params_raise_type_error() -> None:
    with pytest.raises(TypeError, match="must be frozen"):

        class Bad(BaseStrategy):  # pragma: no cover - the class statement raises
            @dataclass
            class Params:
                x: int = param(3, help="x")

            def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
                return False

            def should_exit(self, bars: BarWindow, state: StrategyState) -> bool:
                return False


def test_signal_strategy_wrong_signal_shape_raises_value_error(frame, window) -> None:
    class Short(SignalStrategy):
        def signals(self, bars: BarWindow) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros(1, dtype=bool), np.zeros(1, dtype=bool)

    with pytest.raises(ValueError, match=r"Short.signals returned arrays of shape \(1,\)"):
        Short().prepare(window(frame([1.0, 2.0, 3.0])))


def test_signal_strategy_sliced_window_prepare_indexes_by_history_position(frame, window) -> None:
    # prepare() on a window that starts at bar 2 keeps decisions aligned to bar indices.
    closes = [10, 10, 10, 10, 10, 12, 14, 14, 10, 8, 8, 8, 8]
    whole = window(frame(closes))
    s = SmaCrossoverStrategy(fast=2, slow=4)
    s.prepare(whole[2:])
    expected, _ = SmaCrossoverStrategy(fast=2, slow=4).signals(whole[2:])
    got = [s.should_enter(whole[: k + 1], None) for k in range(2, len(closes))]  # type: ignore[arg-type]
    assert got == expected.tolist()


def test_signal_strategy_declared_signals_are_the_prepared_arrays(frame, window) -> None:
    closes = [10, 10, 10, 10, 10, 12, 14, 14, 10, 8, 8, 8, 8]
    whole = window(frame(closes))
    s = SmaCrossoverStrategy(fast=2, slow=4)
    assert s.declared_signals("X") is None  # nothing prepared yet
    s.prepare(whole)
    declared = s.declared_signals("X")
    assert declared is not None
    enter, exit_ = declared
    expected_enter, expected_exit = SmaCrossoverStrategy(fast=2, slow=4).signals(whole)
    assert enter.tolist() == expected_enter.tolist()
    assert exit_.tolist() == expected_exit.tolist()
    # The declared arrays answer exactly what the per-bar methods answer, bar by bar.
    asked = [
        (s.should_enter(whole[: k + 1], None), s.should_exit(whole[: k + 1], None))  # type: ignore[arg-type]
        for k in range(len(closes))
    ]
    assert asked == list(zip(enter.tolist(), exit_.tolist(), strict=True))


def test_signal_strategy_sliced_prepare_declares_nothing(frame, window) -> None:
    whole = window(frame([10.0] * 8))
    s = SmaCrossoverStrategy(fast=2, slow=4)
    s.prepare(whole)
    assert s.declared_signals("X") is not None
    s.prepare(whole[2:])  # a history not from bar 0: its arrays are not per bar index
    assert s.declared_signals("X") is None


def test_signal_strategy_overriding_a_decision_declares_nothing(frame, window) -> None:
    class Cautious(SmaCrossoverStrategy):
        def should_enter(self, bars: BarWindow, state: StrategyState) -> bool:
            return super().should_enter(bars, state) and state.cash > 100

    s = Cautious(fast=2, slow=4)
    s.prepare(window(frame([10.0] * 8)))
    assert s.declared_signals("X") is None  # its answers depend on the state too
