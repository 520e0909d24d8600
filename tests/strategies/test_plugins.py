"""Plug-in strategies: loading by file, file:Class and module:Class; discovery; clear errors."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from orchestrator import ConfigError, StrategyOrchestrator
from strategies import BaseStrategy
from strategies.plugins import discover, is_strategy_class, load_strategy, plugin_ref

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PLAIN = """
class UpDay:
    def should_enter(self, bars, state):
        return bool(bars.close[-1] > bars.open[-1])

    def should_exit(self, bars, state):
        return bool(bars.close[-1] < bars.open[-1])
"""

WITH_PARAMS = """
from dataclasses import dataclass

from strategies import BaseStrategy, param


class Level(BaseStrategy):
    name = "level"

    @dataclass(frozen=True)
    class Params:
        level: float = param(10.0, min=0.0, help="Buy above")

    def should_enter(self, bars, state):
        return bool(bars.close[-1] > self.params.level)

    def should_exit(self, bars, state):
        return bool(bars.close[-1] < self.params.level)
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_strategy_file_and_class_returns_the_class(tmp_path: Path) -> None:
    path = _write(tmp_path, "up.py", PLAIN)
    cls = load_strategy(f"{path}:UpDay")
    assert cls.__name__ == "UpDay"
    assert is_strategy_class(cls)


def test_load_strategy_file_only_returns_its_single_class(tmp_path: Path) -> None:
    path = _write(tmp_path, "level.py", WITH_PARAMS)
    cls = load_strategy(path)
    assert cls.__name__ == "Level"
    assert issubclass(cls, BaseStrategy)  # imported BaseStrategy is not counted as a candidate
    assert cls(level=12).params.level == 12.0


def test_load_strategy_subclass_gets_validated_params(tmp_path: Path) -> None:
    cls = load_strategy(_write(tmp_path, "level.py", WITH_PARAMS))
    with pytest.raises(ConfigError, match=r"level: unknown parameter 'levl'; did you mean 'level'"):
        cls(levl=3)


def test_load_strategy_module_and_class_imports_from_python_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path, "my_signals_mod.py", PLAIN)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        cls = load_strategy("my_signals_mod:UpDay")
        assert cls.__module__ == "my_signals_mod"
        assert plugin_ref(cls) == "my_signals_mod:UpDay"
    finally:
        sys.modules.pop("my_signals_mod", None)


def test_load_strategy_plugin_ref_round_trips_a_file_class(tmp_path: Path) -> None:
    cls = load_strategy(f"{_write(tmp_path, 'up.py', PLAIN)}:UpDay")
    assert load_strategy(plugin_ref(cls)) is cls


def test_load_strategy_unchanged_file_is_not_run_again(tmp_path: Path) -> None:
    path = _write(tmp_path, "up.py", PLAIN)
    assert load_strategy(f"{path}:UpDay") is load_strategy(f"{path}:UpDay")


def test_load_strategy_edited_file_is_reloaded(tmp_path: Path) -> None:
    path = _write(tmp_path, "up.py", PLAIN)
    first = load_strategy(path)
    path.write_text(PLAIN.replace("class UpDay", "class UpDayRenamed"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    assert load_strategy(path).__name__ == "UpDayRenamed"
    assert first.__name__ == "UpDay"


def test_load_strategy_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plug-in file '.*nope\.py' not found"):
        load_strategy(tmp_path / "nope.py")


def test_load_strategy_missing_class_suggests_closest(tmp_path: Path) -> None:
    path = _write(tmp_path, "up.py", PLAIN)
    with pytest.raises(
        ConfigError,
        match=r"has no class 'Upday'; did you mean 'UpDay'\? \(strategy classes in it: UpDay\)",
    ):
        load_strategy(f"{path}:Upday")


def test_load_strategy_syntax_error_is_one_line_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.py", "x = 1\n\ndef f(:\n    pass\n")
    with pytest.raises(ConfigError) as info:
        load_strategy(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}, line 3: SyntaxError: ")


def test_load_strategy_error_while_loading_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "boom.py", "import math\n\nvalue = undefined_name + 1\n")
    with pytest.raises(
        ConfigError,
        match=r"boom\.py, line 3: NameError while loading the plug-in: name 'undefined_name'",
    ):
        load_strategy(path)
    assert not any(name.startswith("_strategy_plugin_boom") for name in sys.modules)


def test_load_strategy_not_a_strategy_class_raises_config_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "misc.py",
        "class Helper:\n    def should_enter(self, b, s):\n        return True\n\nHELPER = 3\n",
    )
    with pytest.raises(
        ConfigError,
        match=r"'Helper' in plug-in file .* is not a strategy: it has no should_exit method",
    ):
        load_strategy(f"{path}:Helper")
    with pytest.raises(ConfigError, match=r"'HELPER' in plug-in file .* is a int, not a class"):
        load_strategy(f"{path}:HELPER")
    with pytest.raises(ConfigError, match=r"defines no strategy class"):
        load_strategy(path)


def test_load_strategy_abstract_class_raises_config_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "abstract.py",
        "from strategies import SignalStrategy\n\nclass Half(SignalStrategy):\n    pass\n",
    )
    with pytest.raises(
        ConfigError, match=r"'Half' in plug-in file .* is abstract: implement signals"
    ):
        load_strategy(f"{path}:Half")


def test_load_strategy_several_classes_asks_to_name_one(tmp_path: Path) -> None:
    path = _write(tmp_path, "two.py", PLAIN + PLAIN.replace("UpDay", "DownDay"))
    with pytest.raises(
        ConfigError,
        match=r"several strategy classes \(UpDay, DownDay\); name one, e.g. '.*two\.py:UpDay'",
    ):
        load_strategy(path)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("https://example.com/s.py:Evil", "only local files and installed modules"),
        (b"class X: pass", "uploaded code is never imported"),
        ("", "empty plug-in reference"),
        ("justamodule", "names no class"),
        ("no_such_module_xyz:Cls", "module 'no_such_module_xyz' not found"),
    ],
)
def test_load_strategy_bad_reference_raises_config_error(ref, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_strategy(ref)


def test_discover_examples_folder_finds_both_plugins_by_name() -> None:
    found = discover(EXAMPLES / "plugins")
    assert sorted(found) == ["channel_midline", "three_day_dip"]
    assert found["channel_midline"].__name__ == "ChannelMidline"


def test_discover_plugins_run_in_the_engine(frame) -> None:
    found = discover(EXAMPLES / "plugins")
    data = {"X": frame([10, 9, 8, 7, 6, 7, 8, 9, 10, 11, 12, 11, 10, 9, 8, 9])}
    pairs = [(found["three_day_dip"](), 0.5), (found["channel_midline"](bars=3), 0.5)]
    result = StrategyOrchestrator(pairs, 10_000).run(data)
    assert set(result.strategy_results) == {"three_day_dip", "channel_midline"}
    assert len(result.trades) > 0


def test_discover_skips_private_files_and_imported_classes(tmp_path: Path) -> None:
    _write(tmp_path, "_helpers.py", PLAIN)
    _write(tmp_path, "uses_builtin.py", "from strategies import SmaCrossoverStrategy\n" + PLAIN)
    assert list(discover(tmp_path)) == ["up_day"]


def test_discover_duplicate_names_raise_config_error(tmp_path: Path) -> None:
    _write(tmp_path, "a.py", PLAIN)
    _write(tmp_path, "b.py", PLAIN)
    with pytest.raises(
        ConfigError,
        match=r"two plug-in strategies are named 'up_day': .*a\.py:UpDay and .*b\.py:UpDay",
    ):
        discover(tmp_path)


def test_discover_missing_folder_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"plug-in folder .* does not exist"):
        discover(tmp_path / "missing")
    file = _write(tmp_path, "f.py", PLAIN)
    with pytest.raises(ConfigError, match="is not a folder"):
        discover(file)


def test_discovered_class_can_be_created_like_a_built_in(tmp_path: Path) -> None:
    cls = discover(EXAMPLES / "plugins")["channel_midline"]
    strategy = cls(bars=5, symbols=["X"], name="mid")
    assert (strategy.params.bars, strategy.symbols, strategy.name) == (5, ("X",), "mid")
