"""The one configuration object of a run, shared by the CLI's TOML files and the dashboard's URL.

A :class:`RunSpec` names the data (the bundled demo dataset, or a file or folder), the symbols
and dates, the capital, costs and fill rule, and the strategies with their weights, parameters,
symbol subsets and optional plug-in paths. It converts losslessly to and from TOML-shaped
plain data (:meth:`RunSpec.to_dict`), TOML text, and a URL query string, so a shared link and a
file describe the same run.

TOML shape::

    [data]
    source = "demo"            # or a path to a CSV/Parquet file or a folder of them
    symbols = ["AAPL", "MSFT"]
    start = "2005-01-01"
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

    [[strategies]]
    name = "sma_crossover"
    weight = 0.4
    symbols = ["AAPL"]             # optional subset
    label = "trend"                # optional strategy id
    plugin = "file.py:Class"       # optional, for a plug-in strategy
    params = { fast = 20, slow = 100 }
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from orchestrator.core.models import OrchestratorConfig, to_decimal
from orchestrator.errors import ConfigError, DataError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from orchestrator.core.results import OrchestratorResult

__all__ = ["DEFAULT_SPEC", "RunSpec", "StrategySpec", "parse_value"]

ParamValue = int | float | bool | str


def _check_keys(section: str, data: Mapping[str, Any], known: Sequence[str]) -> None:
    for key in data:
        if key not in known:
            raise ConfigError(
                f"unknown key {key!r} in {section}{did_you_mean(key, known)} "
                f"(known: {', '.join(known)})"
            )


def parse_value(text: str) -> ParamValue:
    """Parse a parameter value written as text: true/false, an int, a float, else the text."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    try:
        return int(low)
    except ValueError:
        pass
    try:
        return float(low)
    except ValueError:
        return text.strip()


def _weight_text(value: object, what: str) -> str:
    return str(to_decimal(value, what).normalize()) if value is not None else "0"


def _symbols(value: object, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [s for s in value.split(",") if s.strip()]
    if not isinstance(value, Sequence) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{what} must be a list of symbol names; found {value!r}")
    out = tuple(s.strip() for s in value if s.strip())
    return out or None


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
        if not isinstance(self.name, str) or not self.name.strip():
            raise ConfigError(f"a strategy needs a name; found {self.name!r}")
        object.__setattr__(self, "weight", _weight_text(self.weight, f"weight of {self.name}"))
        if not isinstance(self.params, Mapping):
            raise ConfigError(f"params of {self.name} must be a table; found {self.params!r}")
        object.__setattr__(self, "params", dict(self.params))
        object.__setattr__(self, "symbols", _symbols(self.symbols, f"symbols of {self.name}"))

    KEYS = ("name", "weight", "params", "symbols", "label", "plugin")

    def to_dict(self) -> dict[str, Any]:
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
        if not isinstance(data, Mapping):
            raise ConfigError(f"strategies[{position}] must be a table; found {data!r}")
        _check_keys(f"strategies[{position}]", data, cls.KEYS)
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
        parts = [_quote(self.name), f"w={self.weight}"]
        parts += [f"{_quote(k)}={_quote(_text(v))}" for k, v in self.params.items()]
        if self.symbols:
            parts.append("symbols=" + ",".join(_quote(x) for x in self.symbols))
        if self.label:
            parts.append(f"label={_quote(self.label)}")
        if self.plugin:
            parts.append(f"plugin={_quote(self.plugin)}")
        return ";".join(parts)

    @classmethod
    def from_query(cls, text: str) -> StrategySpec:
        name, *items = text.split(";")
        name = unquote(name).strip()
        kwargs: dict[str, Any] = {"name": name}
        params: dict[str, ParamValue] = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise ConfigError(f"strategy {name!r} in the link: {item!r} is not key=value")
            key = unquote(key).strip()
            if key == "w":
                kwargs["weight"] = value
            elif key == "symbols":
                kwargs[key] = tuple(unquote(x) for x in value.split(",") if x)
            elif key in ("label", "plugin"):
                kwargs[key] = unquote(value)
            else:
                params[key] = parse_value(unquote(value))
        return cls(params=params, **kwargs)


def _quote(text: str) -> str:
    """Percent-encode the characters that separate fields of a strategy in a link."""
    return quote(text, safe="^/:@!$'()*+ ")


def _text(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_SECTIONS: dict[str, tuple[str, ...]] = {
    "data": ("source", "symbols", "start", "end"),
    "portfolio": ("initial_capital", "plugin_dir"),
    "costs": ("commission_rate", "commission_per_share", "commission_min", "slippage_bps"),
    "execution": ("fill", "fractional", "close_at_end", "risk_free_rate"),
}
# Short query-string names of the run-level fields.
_QUERY = {
    "data": "data",
    "symbols": "symbols",
    "start": "start",
    "end": "end",
    "initial_capital": "capital",
    "commission_rate": "commission",
    "commission_per_share": "per_share",
    "commission_min": "min_commission",
    "slippage_bps": "slippage",
    "fill": "fill",
    "fractional": "fractional",
    "close_at_end": "close_at_end",
    "risk_free_rate": "rf",
    "plugin_dir": "plugins",
}


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

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategies", tuple(self.strategies))
        object.__setattr__(self, "symbols", _symbols(self.symbols, "symbols"))
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _iso_date(value, name))
        if self.start and self.end and self.start > self.end:
            raise ConfigError(f"start {self.start} is after end {self.end}")
        capital = float(to_decimal(self.initial_capital, "initial_capital"))
        if not capital > 0 or not math.isfinite(capital):
            raise ConfigError(f"initial_capital must be > 0; found {self.initial_capital!r}")
        object.__setattr__(self, "initial_capital", capital)
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
        )

    def to_dict(self) -> dict[str, Any]:
        """TOML-shaped plain data (sections data/portfolio/costs/execution + strategies)."""
        out: dict[str, Any] = {}
        for section, keys in _SECTIONS.items():
            table = {}
            for key in keys:
                value = getattr(self, "data" if key == "source" else key)
                if value is None:
                    continue
                table[key] = list(value) if isinstance(value, tuple) else value
            out[section] = table
        out["strategies"] = [s.to_dict() for s in self.strategies]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Build a spec from TOML-shaped data; unknown sections or keys are errors."""
        _check_keys("the configuration", data, (*_SECTIONS, "strategies"))
        kwargs: dict[str, Any] = {}
        for section, keys in _SECTIONS.items():
            table = data.get(section, {})
            if not isinstance(table, Mapping):
                raise ConfigError(f"[{section}] must be a table; found {table!r}")
            _check_keys(f"[{section}]", table, keys)
            for key, value in table.items():
                kwargs["data" if key == "source" else key] = value
        strategies = data.get("strategies", [])
        if not isinstance(strategies, list):
            raise ConfigError("strategies must be an array of tables ([[strategies]])")
        kwargs["strategies"] = tuple(
            StrategySpec.from_dict(s, i + 1) for i, s in enumerate(strategies)
        )
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a wrongly typed value reaching a dataclass field
            raise ConfigError(f"invalid configuration: {exc}") from None

    @classmethod
    def from_toml(cls, path: str | Path) -> RunSpec:
        """Read a TOML file; relative data and plug-in paths resolve against its folder."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"configuration file {str(path)!r} not found") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
        spec = cls.from_dict(raw)
        return spec.resolved(path.parent)

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
        data = self.to_dict()
        lines: list[str] = []
        for section in _SECTIONS:
            lines.append(f"[{section}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in data[section].items()]
            lines.append("")
        for s in data["strategies"]:
            lines.append("[[strategies]]")
            for k, v in s.items():
                if k == "params":
                    inner = ", ".join(f"{pk} = {_toml_value(pv)}" for pk, pv in v.items())
                    lines.append(f"params = {{ {inner} }}")
                else:
                    lines.append(f"{k} = {_toml_value(v)}")
            lines.append("")
        return "\n".join(lines)

    def to_query(self) -> dict[str, str]:
        """The spec as URL query parameters (strategies as ``s1``, ``s2``, ...)."""
        default = RunSpec()
        out: dict[str, str] = {}
        for attr, key in _QUERY.items():
            value = getattr(self, attr)
            if value is None or value == getattr(default, attr):
                continue
            if isinstance(value, tuple):
                out[key] = ",".join(_quote(v) for v in value)
            elif isinstance(value, bool):
                out[key] = "true" if value else "false"
            else:
                out[key] = str(value)
        for i, s in enumerate(self.strategies, start=1):
            out[f"s{i}"] = s.to_query()
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str | Sequence[str]]) -> RunSpec:
        """Rebuild a spec from :meth:`to_query` parameters (unknown parameters are ignored,
        since a page may carry others)."""

        def one(key: str) -> str | None:
            value = query.get(key)
            if value is None:
                return None
            if not isinstance(value, str):
                value = value[-1] if value else None
            return value

        kwargs: dict[str, Any] = {}
        for attr, key in _QUERY.items():
            text = one(key)
            if text is None:
                continue
            current = getattr(cls, attr, None)
            if attr in ("fractional", "close_at_end"):
                kwargs[attr] = text.strip().lower() == "true"
            elif attr == "symbols":
                kwargs[attr] = tuple(unquote(v) for v in text.split(",") if v)
            elif isinstance(current, float):
                kwargs[attr] = parse_value(text)
            else:
                kwargs[attr] = text
        numbered = sorted((int(k[1:]), k) for k in query if k.startswith("s") and k[1:].isdigit())
        kwargs["strategies"] = tuple(StrategySpec.from_query(one(k) or "") for _, k in numbered)
        return cls(**kwargs)

    # ---- running ----------------------------------------------------------------------------

    def build_strategies(self) -> list[tuple[object, str]]:
        """Instantiate the strategies with their parameters: ``[(strategy, weight), ...]``."""
        import strategies as library
        from strategies import plugins

        found: dict[str, type] = plugins.discover(self.plugin_dir) if self.plugin_dir else {}
        out: list[tuple[object, str]] = []
        for s in self.strategies:
            symbols = list(s.symbols) if s.symbols else None
            if s.plugin or (s.name in found and s.name not in library.REGISTRY):
                cls = plugins.load_strategy(s.plugin) if s.plugin else found[s.name]
                instance = _instantiate(cls, s, symbols)
            else:
                instance = library.create(s.name, symbols=symbols, label=s.label, **s.params)
            out.append((instance, s.weight))
        return out

    def load_data(self) -> dict[str, pd.DataFrame]:
        """Load the data this spec names, keeping its symbols (all when none are chosen).

        The date range is applied by :meth:`select` (and so by :meth:`run`), which also says
        which symbols the range leaves out.
        """
        from orchestrator import data as loaders

        if self.data == "demo":
            return loaders.load_demo(self.symbols)
        path = Path(self.data)
        if not path.exists():
            raise DataError(f"data file or folder {str(path)!r} not found")
        frames = loaders.load_file(path)  # a folder loads every CSV/Parquet file in it
        return self._symbols_of(frames)

    def _symbols_of(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        chosen = dict(frames)
        if self.symbols:
            missing = [s for s in self.symbols if s not in chosen]
            if missing:
                raise DataError(
                    f"symbol(s) {missing} not in the data{did_you_mean(missing[0], list(chosen))}; "
                    f"available: {', '.join(sorted(chosen))}"
                )
            chosen = {s: chosen[s] for s in self.symbols}
        return chosen

    def select(self, frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Apply this spec's symbols and date range to already loaded frames."""
        return self._select(frames)[0]

    def _select(
        self, frames: Mapping[str, pd.DataFrame]
    ) -> tuple[dict[str, pd.DataFrame], list[str]]:
        """The selected frames, and a note per symbol the date range leaves out.

        Symbols the spec names must all have bars in the range (else DataError); with no
        symbols named ("all symbols"), those without bars in the range are left out.
        """
        chosen = self._symbols_of(frames)
        notes: list[str] = []
        if self.start or self.end:
            from orchestrator import data as loaders

            every = not self.symbols
            sliced = loaders.slice_dates(chosen, self.start, self.end, drop_empty=every)
            for name in chosen:
                if name not in sliced:
                    index = chosen[name].index
                    notes.append(
                        f"{name} left out: it has no bars from {self.start or 'the start'} to "
                        f"{self.end or 'the end'} (its data runs {index[0].date()} to "
                        f"{index[-1].date()})"
                    )
            chosen = sliced
        return chosen, notes

    def run(
        self,
        data: Mapping[str, pd.DataFrame] | None = None,
        progress: Callable[[int, int], None] | None = None,
        logging_level: str = "WARNING",
    ) -> OrchestratorResult:
        """Load the data (or select from ``data``), build the strategies and run them.

        Symbols that the date range leaves out (when no symbols are named), and symbols whose
        data stop well before the run's end, are reported in the result's ``warnings``.
        """
        from orchestrator.core.engine import StrategyOrchestrator
        from orchestrator.data._ranges import data_end_warnings

        if not self.strategies:
            raise ConfigError("no strategy selected; add at least one strategy with a weight")
        frames, notes = self._select(self.load_data() if data is None else data)
        orch = StrategyOrchestrator(
            self.build_strategies(), self.initial_capital, self.config(logging_level)
        )
        result = orch.run(frames, progress=progress)
        notes += data_end_warnings(frames)
        if notes:
            result = replace(result, warnings=(*notes, *result.warnings))
        return result

    def with_overrides(self, **changes: Any) -> RunSpec:
        """Return a copy with the given fields replaced (None values are ignored)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigError(f"unknown run setting(s) {unknown}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def _instantiate(cls: type, s: StrategySpec, symbols: list[str] | None) -> object:
    """Create a plug-in strategy: BaseStrategy-like classes take symbols/name/params."""
    try:
        if hasattr(cls, "param_specs"):
            return cls(symbols=symbols, name=s.label, **s.params)
        instance = cls(**s.params)
    except ConfigError:
        raise
    except TypeError as exc:
        raise ConfigError(f"plug-in strategy {s.name!r}: {exc}") from None
    if symbols is not None:
        instance.symbols = symbols
    if s.label:
        instance.name = s.label
    return instance


def _iso_date(value: object, name: str) -> str:
    import pandas as pd

    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a date like 2010-01-31; found {value!r}") from None
    if pd.isna(stamp):
        raise ConfigError(f"{name} must be a date like 2010-01-31; found {value!r}")
    return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise ConfigError(f"cannot write {value!r} to TOML")


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
