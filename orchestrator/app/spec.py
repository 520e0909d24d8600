"""The one configuration object of a run, shared by the CLI's TOML files and the dashboard's URL.

A :class:`RunSpec` names the data (the bundled demo dataset, or a file or folder), the symbols
and dates, the capital, costs and fill rule, and the strategies with their weights, parameters,
symbol subsets and optional plug-in paths. It converts losslessly to and from TOML-shaped
plain data (:meth:`RunSpec.to_dict`), TOML text, and a URL query string, so a shared link and a
file describe the same run. The text codecs are :mod:`orchestrator.app.codec`, the running is
:mod:`orchestrator.app.runner`; this module holds the configuration and its validation, with
caps (:data:`MAX_STRATEGIES`, :data:`MAX_SYMBOLS`, :data:`MAX_NAME_LENGTH`) that bound what one
link or file can ask of the machine.

TOML shape::

    [data]
    source = "demo"            # or a path to a CSV/Parquet file or a folder of them
    symbols = ["AAPL", "MSFT"]
    start = 2005-01-01             # a TOML date, or a string such as "2005-01-01"
    end = "2017-11-10"

    [portfolio]
    initial_capital = 100000
    plugin_dir = "my_strategies"   # optional folder of plug-in strategies

    [costs]
    commission_rate = 0.001        # fraction of notional
    commission_per_share = 0.0
    commission_min = 0.0
    slippage_bps = 5

    [execution]
    fill = "next_open"             # or "close"
    fractional = false
    close_at_end = false
    risk_free_rate = 0.0

    [rebalance]                    # optional (no table: no rebalancing); orchestrator.Rebalance's
    schedule = "monthly"           # fields: schedule or every_bars, drift, mode, rule, lookback,
    rule = "inverse_volatility"    # min_weight, max_weight

    [[strategies]]
    name = "sma_crossover"
    weight = 0.4
    symbols = ["AAPL"]             # optional subset
    label = "trend"                # optional strategy id
    plugin = "file.py:Class"       # optional, for a plug-in strategy
    params = { fast = 20, slow = 100 }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.app.checks import (
    MAX_NAME_LENGTH,
    MAX_PARAMS,
    MAX_SYMBOL_LENGTH,
    MAX_SYMBOLS,
    check_keys,
    clip,
    iso_date,
    label_text,
    name_text,
    params_table,
    rebalance_bounds,
    rebalance_from_table,
    symbols_tuple,
    weight_text,
)
from orchestrator.app.codec import (
    MAX_STRATEGIES,
    SECTIONS,
    ParamValue,
    parse_value,
    rebalance_table,
)
from orchestrator.core.allocation import Rebalance
from orchestrator.core.models import OrchestratorConfig, to_capital
from orchestrator.errors import ConfigError

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.core.results import OrchestratorResult

__all__ = [
    "DEFAULT_SPEC",
    "MAX_NAME_LENGTH",
    "MAX_PARAMS",
    "MAX_STRATEGIES",
    "MAX_SYMBOLS",
    "MAX_SYMBOL_LENGTH",
    "ParamValue",
    "RunSpec",
    "StrategySpec",
    "parse_value",
]


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of a run: which, how much of the capital, with what parameters."""

    name: str
    weight: str = "0"
    params: Mapping[str, ParamValue] = field(default_factory=dict)
    symbols: tuple[str, ...] | None = None
    label: str | None = None
    plugin: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", name_text(self.name, "a strategy's name"))
        what = f"strategy {self.name!r}"
        object.__setattr__(self, "label", label_text(self.label, f"label of {what}"))
        object.__setattr__(self, "weight", weight_text(self.weight, f"weight of {self.name}"))
        object.__setattr__(self, "params", params_table(self.params, f"params of {self.name}"))
        object.__setattr__(self, "symbols", symbols_tuple(self.symbols, f"symbols of {self.name}"))
        if self.plugin is not None and not isinstance(self.plugin, str):
            raise ConfigError(f"plugin of {what} must be a text; found {clip(repr(self.plugin))}")

    KEYS = ("name", "weight", "params", "symbols", "label", "plugin")

    def to_dict(self) -> dict[str, Any]:
        """The strategy as a TOML table (``[[strategies]]``)."""
        # A weight a float writes exactly (0.4) stays a number; any other stays exact text.
        weight: float | str = float(Decimal(self.weight))
        if Decimal(str(weight)) != Decimal(self.weight):
            weight = self.weight
        out: dict[str, Any] = {"name": self.name, "weight": weight}
        for key in ("symbols", "label", "plugin"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if key == "symbols" else value
        if self.params:
            out["params"] = dict(self.params)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], position: int = 1) -> StrategySpec:
        """Read a ``[[strategies]]`` table; ``position`` (1-based) names it in errors."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"strategies[{position}] must be a table; found {clip(repr(data))}")
        check_keys(f"strategies[{position}]", data, cls.KEYS)
        if "name" not in data:
            raise ConfigError(f'strategies[{position}] has no name (e.g. name = "momentum")')
        return cls(
            name=data["name"],
            weight=data.get("weight", "0"),
            params=data.get("params", {}),
            symbols=data.get("symbols"),
            label=data.get("label"),
            plugin=data.get("plugin"),
        )

    def to_query(self) -> str:
        """``name;w=0.4;fast=10;symbols=AAPL,MSFT;label=x;plugin=p`` (';'-separated)."""
        from orchestrator.app.codec import strategy_query

        return strategy_query(
            self.name, self.weight, self.params, self.symbols, self.label, self.plugin
        )

    @classmethod
    def from_query(cls, text: str) -> StrategySpec:
        """Read one strategy written by :meth:`to_query`."""
        from orchestrator.app.codec import query_to_dict

        return cls.from_dict(query_to_dict({"s1": text})["strategies"][0])


@dataclass(frozen=True)
class RunSpec:
    """Everything that defines one run (see the module docstring for the TOML form)."""

    strategies: tuple[StrategySpec, ...] = ()
    data: str = "demo"
    symbols: tuple[str, ...] | None = None
    start: str | None = None
    end: str | None = None
    initial_capital: float = 100_000.0
    commission_rate: float = 0.0
    commission_per_share: float = 0.0
    commission_min: float = 0.0
    slippage_bps: float = 0.0
    fill: str = "next_open"
    fractional: bool = False
    close_at_end: bool = False
    risk_free_rate: float = 0.0
    plugin_dir: str | None = None
    rebalance: Rebalance = field(default_factory=Rebalance)

    def __post_init__(self) -> None:
        strategies = tuple(self.strategies)
        if len(strategies) > MAX_STRATEGIES:
            raise ConfigError(
                f"the run has {len(strategies)} strategies; expected at most {MAX_STRATEGIES} "
                f"(remove some)"
            )
        for i, s in enumerate(strategies, start=1):
            if not isinstance(s, StrategySpec):
                raise ConfigError(f"strategies[{i}] must be a StrategySpec; found {s!r}")
        object.__setattr__(self, "strategies", strategies)
        for name in ("data", "fill"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name} must be a text; found {clip(repr(getattr(self, name)))}")
        if self.plugin_dir is not None and not isinstance(self.plugin_dir, str):
            raise ConfigError(f"plugin_dir must be a folder path; found {self.plugin_dir!r}")
        object.__setattr__(self, "symbols", symbols_tuple(self.symbols, "symbols"))
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, iso_date(value, name))
        if self.start and self.end and self.start > self.end:
            raise ConfigError(f"start {self.start} is after end {self.end}")
        # The engine's one capital rule (1 to 1e12), checked here so a link or a file fails
        # when it is read, before anything loads or runs.
        capital = float(to_capital(self.initial_capital, "initial_capital"))
        object.__setattr__(self, "initial_capital", capital)
        object.__setattr__(self, "rebalance", rebalance_from_table(self.rebalance, "rebalance"))
        # Bounds need only the weights: checked now, so a file or a link fails before anything
        # loads (the lookback against the data's length waits for the data: see the runner).
        rebalance_bounds(self.rebalance, [s.weight for s in strategies])
        self.config()  # validates the execution and cost options

    # ---- conversions ----------------------------------------------------------------------

    def config(self, logging_level: str = "WARNING") -> OrchestratorConfig:
        """The engine configuration this spec describes."""
        return OrchestratorConfig(
            logging_level=logging_level,
            fill=self.fill,  # type: ignore[arg-type]
            commission_rate=self.commission_rate,
            commission_per_share=self.commission_per_share,
            commission_min=self.commission_min,
            slippage_bps=self.slippage_bps,
            fractional=self.fractional,
            close_at_end=self.close_at_end,
            risk_free_rate=self.risk_free_rate,
            rebalance=self.rebalance,
        )

    def to_dict(self) -> dict[str, Any]:
        """TOML-shaped plain data (sections data/portfolio/costs/execution, rebalance when
        the run rebalances, and strategies)."""
        out: dict[str, Any] = {}
        for section, keys in SECTIONS.items():
            table = {}
            for key in keys:
                value = getattr(self, "data" if key == "source" else key)
                if value is None:
                    continue
                table[key] = list(value) if isinstance(value, tuple) else value
            out[section] = table
        rebalance = rebalance_table(self.rebalance.to_dict(), Rebalance().to_dict())
        if rebalance:
            out["rebalance"] = rebalance
        out["strategies"] = [s.to_dict() for s in self.strategies]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Build a spec from TOML-shaped data; unknown sections or keys are errors."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"the configuration must be a table; found {clip(repr(data))}")
        check_keys("the configuration", data, (*SECTIONS, "rebalance", "strategies"))
        kwargs: dict[str, Any] = {}
        for section, keys in SECTIONS.items():
            table = data.get(section, {})
            if not isinstance(table, Mapping):
                raise ConfigError(f"[{section}] must be a table; found {clip(repr(table))}")
            check_keys(f"[{section}]", table, keys)
            for key, value in table.items():
                kwargs["data" if key == "source" else key] = value
        if "rebalance" in data:
            kwargs["rebalance"] = rebalance_from_table(data["rebalance"])
        strategies = data.get("strategies", [])
        if not isinstance(strategies, list):
            raise ConfigError("strategies must be an array of tables ([[strategies]])")
        if len(strategies) > MAX_STRATEGIES:
            raise ConfigError(
                f"the configuration has {len(strategies)} strategies; expected at most "
                f"{MAX_STRATEGIES} (remove some)"
            )
        kwargs["strategies"] = tuple(
            StrategySpec.from_dict(s, i + 1) for i, s in enumerate(strategies)
        )
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a wrongly typed value reaching a dataclass field
            raise ConfigError(f"invalid configuration: {exc}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> RunSpec:
        """Read a TOML file; relative data and plug-in paths resolve against its folder.

        Errors name the file: ``path: message``.
        """
        from orchestrator.app.codec import read_toml

        raw = read_toml(path)
        try:
            spec = cls.from_dict(raw)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        return spec.resolved(Path(path).parent)

    def resolved(self, base: Path) -> RunSpec:
        """Return a copy with relative data/plug-in paths made relative to ``base``."""

        def fix(p: str | None) -> str | None:
            if p is None or p == "demo" or Path(p).is_absolute():
                return p
            return str((base / p).resolve())

        def fix_plugin(p: str | None) -> str | None:
            # "file.py:Class" and "file.py" are paths; "package.module:Class" is not.
            if p is None:
                return None
            left, sep, right = p.rpartition(":")
            if sep and left.endswith(".py"):
                return f"{fix(left)}:{right}"
            return fix(p) if p.endswith(".py") else p

        strategies = tuple(replace(s, plugin=fix_plugin(s.plugin)) for s in self.strategies)
        return replace(
            self,
            data=fix(self.data) or "demo",
            plugin_dir=fix(self.plugin_dir),
            strategies=strategies,
        )

    def to_toml(self) -> str:
        """The spec as TOML text (readable by :meth:`from_toml`)."""
        from orchestrator.app.codec import toml_text

        return toml_text(self.to_dict())

    def to_query(self) -> dict[str, str]:
        """The spec as URL query parameters (strategies as ``s1``, ``s2``, ...)."""
        from orchestrator.app.codec import dict_to_query, strategy_query

        out = dict_to_query({**self.to_dict(), "strategies": []}, _default_dict())
        for i, s in enumerate(self.strategies, start=1):
            out[f"s{i}"] = strategy_query(s.name, s.weight, s.params, s.symbols, s.label, s.plugin)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str | Sequence[str]]) -> RunSpec:
        """Rebuild a spec from :meth:`to_query` parameters (unknown parameters are ignored,
        since a page may carry others). A link beyond the caps is one ConfigError."""
        from orchestrator.app.codec import query_to_dict

        if not isinstance(query, Mapping):
            raise ConfigError(f"a link's query must be a mapping; found {type(query).__name__}")
        return cls.from_dict(query_to_dict(query))

    # ---- running (orchestrator.app.runner) ---------------------------------------------------

    def build_strategies(self) -> list[tuple[object, str]]:
        """Instantiate the strategies with their parameters: ``[(strategy, weight), ...]``."""
        from orchestrator.app.runner import build_strategies

        return build_strategies(self)

    def load_data(self) -> dict[str, pd.DataFrame]:
        """Load the data this spec names, keeping its symbols (all when none are chosen)."""
        from orchestrator.app.runner import load_data

        return load_data(self)

    def select(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Apply this spec's symbols and date range to already loaded frames."""
        from orchestrator.app.runner import select

        return select(self, frames)[0]

    def run(
        self,
        data: Mapping[str, pd.DataFrame] | None = None,
        progress: Callable[[int, int], None] | None = None,
        logging_level: str = "WARNING",
    ) -> OrchestratorResult:
        """Load the data (or select from ``data``), build the strategies and run them (see
        :func:`orchestrator.app.runner.run_spec`)."""
        from orchestrator.app.runner import run_spec

        return run_spec(self, data, progress, logging_level)

    def with_overrides(self, **changes: Any) -> RunSpec:
        """Return a copy with the given fields replaced (None values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown run setting(s) {unknown}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _default_dict() -> dict[str, Any]:
    return RunSpec().to_dict()


DEFAULT_SPEC = RunSpec(
    strategies=(
        StrategySpec("sma_crossover", "0.4", {"fast": 20, "slow": 100}),
        StrategySpec("rsi_reversion", "0.3"),
        StrategySpec("donchian_breakout", "0.2"),
    ),
    data="demo",
    symbols=("AAPL", "MSFT", "GOOGL", "^GSPC"),
    start="2005-01-01",
    end="2017-11-10",
    initial_capital=100_000.0,
    commission_rate=0.0005,
    slippage_bps=2.0,
)
