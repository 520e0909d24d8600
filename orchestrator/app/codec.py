"""Text forms of a run configuration: TOML files and URL query strings, as TOML-shaped dicts.

The codecs here only translate text to and from the plain data that
:meth:`orchestrator.app.spec.RunSpec.from_dict` validates, so a file and a link go through one
validation path. A link is untrusted input: :func:`query_to_dict` refuses, with one ConfigError
and before any parsing, a query with more strategies than :data:`MAX_STRATEGIES` or a value
longer than :data:`MAX_QUERY_TEXT` characters, so a hostile link costs no more than a small one.

Rebalancing is its own table, ``[rebalance]`` (the fields of :class:`orchestrator.Rebalance`,
see :data:`REBALANCE_KEYS`), and its own link parameters (:data:`REBALANCE_QUERY_NAMES`). TOML
cannot store None, so a setting that is off (``drift``, ``every_bars``) is left out, and a run
without rebalancing writes no table at all; a link carries only what differs from the default.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from orchestrator.core.allocation import Rebalance
from orchestrator.errors import ConfigError

__all__ = [
    "MAX_QUERY_TEXT",
    "MAX_STRATEGIES",
    "QUERY_NAMES",
    "REBALANCE_KEYS",
    "REBALANCE_QUERY_NAMES",
    "SECTIONS",
    "ParamValue",
    "dict_to_query",
    "parse_value",
    "query_to_dict",
    "read_toml",
    "rebalance_table",
    "strategy_query",
    "toml_text",
]

ParamValue = int | float | bool | str

#: The most strategies one run may hold (a link, a TOML file or code).
MAX_STRATEGIES = 20
#: The longest value a link may carry in one query parameter, in characters.
MAX_QUERY_TEXT = 4000

#: The TOML sections and their keys; "source" is the RunSpec field ``data``.
SECTIONS: dict[str, tuple[str, ...]] = {
    "data": ("source", "symbols", "start", "end"),
    "portfolio": ("initial_capital", "plugin_dir"),
    "costs": ("commission_rate", "commission_per_share", "commission_min", "slippage_bps"),
    "execution": ("fill", "fractional", "close_at_end", "risk_free_rate"),
}
#: Short query-string names of the run-level settings: TOML key -> query name, in link order.
QUERY_NAMES: dict[str, str] = {
    "source": "data",
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
#: The ``[rebalance]`` table's keys: the fields of :class:`orchestrator.Rebalance`, in order.
REBALANCE_KEYS: tuple[str, ...] = (
    "schedule",
    "every_bars",
    "drift",
    "mode",
    "rule",
    "lookback",
    "min_weight",
    "max_weight",
)
#: Link names of the rebalancing settings: ``[rebalance]`` key -> query name, in link order
#: (all prefixed, so they never meet another page's parameters).
REBALANCE_QUERY_NAMES: dict[str, str] = {
    "schedule": "rebalance",
    "every_bars": "rebalance_bars",
    "drift": "rebalance_drift",
    "mode": "rebalance_mode",
    "rule": "rebalance_rule",
    "lookback": "rebalance_lookback",
    "min_weight": "rebalance_min",
    "max_weight": "rebalance_max",
}
_REBALANCE_TEXTS = ("schedule", "mode", "rule")
_SECTION_OF = {key: section for section, keys in SECTIONS.items() for key in keys}
_NUMBERS = ("initial_capital", *SECTIONS["costs"], "risk_free_rate")
_FLAGS = ("fractional", "close_at_end")


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


def _flag(text: str, name: str) -> bool:
    low = text.strip().lower()
    if low in ("true", "1", "yes"):
        return True
    if low in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"{name}={_clip(text)!r} in the link: expected true or false")


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _quote(text: str) -> str:
    """Percent-encode the characters that separate fields of a strategy in a link."""
    return quote(text, safe="^/:@!$'()*+ ")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- URL query --------------------------------------------------------------------------------


def strategy_query(
    name: str,
    weight: str,
    params: Mapping[str, ParamValue],
    symbols: Sequence[str] | None,
    label: str | None,
    plugin: str | None,
) -> str:
    """One strategy as ``name;w=0.4;fast=10;symbols=AAPL,MSFT;label=x;plugin=p``."""
    parts = [_quote(name), f"w={weight}"]
    parts += [f"{_quote(k)}={_quote(_text(v))}" for k, v in params.items()]
    if symbols:
        parts.append("symbols=" + ",".join(_quote(x) for x in symbols))
    if label:
        parts.append(f"label={_quote(label)}")
    if plugin:
        parts.append(f"plugin={_quote(plugin)}")
    return ";".join(parts)


def _strategy_dict(text: str) -> dict[str, Any]:
    """The TOML-shaped table of one strategy written by :func:`strategy_query`."""
    name, *items = text.split(";")
    name = unquote(name).strip()
    table: dict[str, Any] = {"name": name}
    params: dict[str, ParamValue] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(
                f"strategy {_clip(name)!r} in the link: {_clip(item)!r} is not key=value"
            )
        key = unquote(key).strip()
        if key == "w":
            table["weight"] = value
        elif key == "symbols":
            table["symbols"] = [unquote(x) for x in value.split(",") if x]
        elif key in ("label", "plugin"):
            table[key] = unquote(value)
        else:
            params[key] = parse_value(unquote(value))
    if params:
        table["params"] = params
    return table


def rebalance_table(settings: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The ``[rebalance]`` table of ``settings`` (as ``Rebalance.to_dict`` gives them): empty
    when they equal ``defaults`` (no rebalancing), else every setting that is not None."""
    if dict(settings) == dict(defaults):
        return {}
    return {k: settings[k] for k in REBALANCE_KEYS if settings.get(k) is not None}


def dict_to_query(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, str]:
    """TOML-shaped ``data`` as query parameters, leaving out settings equal to ``defaults``
    (both as :meth:`RunSpec.to_dict` gives them); strategies become ``s1``, ``s2``, ..."""
    out: dict[str, str] = {}
    for key, name in QUERY_NAMES.items():
        section = _SECTION_OF[key]
        value = data.get(section, {}).get(key)
        if value is None or value == defaults.get(section, {}).get(key):
            continue
        if isinstance(value, list | tuple):
            out[name] = ",".join(_quote(v) for v in value)
        else:
            out[name] = _text(value)
    # A missing [rebalance] table is no rebalancing; a link names only what differs from it.
    unset = {**Rebalance().to_dict(), **defaults.get("rebalance", {})}
    table = data.get("rebalance", {})
    for key, name in REBALANCE_QUERY_NAMES.items():
        value = table.get(key)
        if value is not None and value != unset.get(key):
            out[name] = _text(value)
    for i, table in enumerate(data.get("strategies", []), start=1):
        out[f"s{i}"] = strategy_query(
            table["name"],
            str(table.get("weight", "0")),
            table.get("params", {}),
            table.get("symbols"),
            table.get("label"),
            table.get("plugin"),
        )
    return out


def query_to_dict(query: Mapping[str, str | Sequence[str]]) -> dict[str, Any]:
    """Read query parameters (as ``parse_qs`` or Streamlit give them) into TOML-shaped data.

    Unknown parameters are ignored, since a page may carry others. Raises ConfigError for a
    link beyond the caps before reading any of it.
    """
    numbered = sorted(
        (int(k[1:]), k)
        for k in query
        if isinstance(k, str) and k.startswith("s") and k[1:].isdigit() and len(k) < 12
    )
    if len(numbered) > MAX_STRATEGIES:
        raise ConfigError(
            f"the link names {len(numbered)} strategies; expected at most {MAX_STRATEGIES} "
            f"(remove some s1, s2, ... parameters)"
        )

    def one(key: str) -> str | None:
        value = query.get(key)
        if value is not None and not isinstance(value, str):
            value = value[-1] if len(value) else None
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{key} in the link must be text; found {type(value).__name__}")
        if len(value) > MAX_QUERY_TEXT:
            raise ConfigError(
                f"{key} in the link is {len(value):,} characters long; expected at most "
                f"{MAX_QUERY_TEXT:,} (shorten the link)"
            )
        return value

    out: dict[str, Any] = {section: {} for section in SECTIONS}
    for key, name in QUERY_NAMES.items():
        text = one(name)
        if text is None:
            continue
        value: Any
        if key in _FLAGS:
            value = _flag(text, name)
        elif key == "symbols":
            value = [unquote(v) for v in text.split(",") if v]
        elif key in _NUMBERS:
            value = parse_value(text)
        else:
            value = text
        out[_SECTION_OF[key]][key] = value
    rebalance: dict[str, Any] = {}
    for key, name in REBALANCE_QUERY_NAMES.items():
        text = one(name)
        if text is not None:
            rebalance[key] = text.strip() if key in _REBALANCE_TEXTS else parse_value(text)
    if rebalance:
        out["rebalance"] = rebalance
    out["strategies"] = [_strategy_dict(one(k) or "") for _, k in numbered]
    return out


# ---- TOML -------------------------------------------------------------------------------------


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into plain data; a missing, unreadable or malformed file is a
    ConfigError naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"configuration file {str(path)!r} not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; expected a TOML file saved as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


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


def _toml_key(key: str) -> str:
    """A bare key when TOML allows one, else a quoted key."""
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else json.dumps(key, ensure_ascii=False)


def toml_text(data: Mapping[str, Any]) -> str:
    """TOML-shaped ``data`` (as :meth:`RunSpec.to_dict` gives it) as TOML text."""
    lines: list[str] = []
    for section in SECTIONS:
        lines.append(f"[{section}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in data.get(section, {}).items()]
        lines.append("")
    if data.get("rebalance"):
        lines.append("[rebalance]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in data["rebalance"].items()]
        lines.append("")
    for table in data.get("strategies", []):
        lines.append("[[strategies]]")
        for k, v in table.items():
            if k == "params":
                inner = ", ".join(f"{_toml_key(pk)} = {_toml_value(pv)}" for pk, pv in v.items())
                lines.append(f"params = {{ {inner} }}")
            else:
                lines.append(f"{k} = {_toml_value(v)}")
        lines.append("")
    return "\n".join(lines)
