"""Validation of the fields of a run configuration, and the caps on what one may ask for.

A link or a file is untrusted input: every name, label, symbol list and parameter table is
checked here, once, for its type and its size, so that one clear ConfigError is raised (and
nothing runs) instead of a run that exhausts the machine. Messages echo at most 80 characters
of what they found.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from orchestrator.app.codec import REBALANCE_KEYS, ParamValue
from orchestrator.core.allocation import Rebalance, check_bounds
from orchestrator.core.models import to_decimal
from orchestrator.data import MAX_SYMBOL_LENGTH
from orchestrator.errors import ConfigError, did_you_mean

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_PARAMS",
    "MAX_PARAM_TEXT",
    "MAX_SYMBOLS",
    "MAX_SYMBOL_LENGTH",
    "check_keys",
    "clip",
    "iso_date",
    "label_text",
    "name_text",
    "params_table",
    "rebalance_bounds",
    "rebalance_from_table",
    "symbols_tuple",
    "weight_text",
]

#: The most symbols a run or a strategy may name (all symbols of the data: name none).
MAX_SYMBOLS = 500
#: The longest strategy name, label or parameter name, in characters.
MAX_NAME_LENGTH = 60
#: The most parameters one strategy may be given, and the longest text value of one.
MAX_PARAMS = 50
MAX_PARAM_TEXT = 200


def clip(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters (with "..."), for echoing input in messages."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_keys(section: str, data: Mapping[str, Any], known: Sequence[str]) -> None:
    """Raise ConfigError for the first key of ``data`` not in ``known`` (did you mean ...)."""
    for key in data:
        if key not in known:
            shown = clip(str(key))
            raise ConfigError(
                f"unknown key {shown!r} in {section}{did_you_mean(shown, known)} "
                f"(known: {', '.join(known)})"
            )


def _printable(value: str, what: str) -> None:
    """Refuse control characters (newlines, tabs, escape codes): a name is shown in tables,
    terminals and file names, where they would garble or spoof what is shown."""
    bad = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        raise ConfigError(
            f"{what} holds the control character {bad!r} (in {clip(value)!r}); expected "
            f"printable text"
        )


def name_text(value: object, what: str) -> str:
    """A name: text of 1 to MAX_NAME_LENGTH characters, stripped of outer spaces."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{what} must be a non-empty text; found {clip(repr(value))}")
    value = value.strip()
    _printable(value, what)
    if len(value) > MAX_NAME_LENGTH:
        raise ConfigError(
            f"{what} is {len(value)} characters long; expected at most {MAX_NAME_LENGTH} "
            f"(found {clip(value)!r}; shorten it)"
        )
    return value


def label_text(value: object, what: str) -> str | None:
    """An optional label: None (or blank text) for none, else as :func:`name_text`."""
    blank = value is None or (isinstance(value, str) and not value.strip())
    return None if blank else name_text(value, what)


def weight_text(value: object, what: str) -> str:
    """A weight as exact, normalised decimal text (None is "0")."""
    return str(to_decimal(value, what).normalize()) if value is not None else "0"


def symbols_tuple(value: object, what: str) -> tuple[str, ...] | None:
    """Symbols as a tuple of names (a comma-separated text is split); None for "all"."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) > MAX_SYMBOLS * (MAX_SYMBOL_LENGTH + 1):
            raise ConfigError(f"{what}: {len(value):,} characters is too long for symbol names")
        value = [s for s in value.split(",") if s.strip()]
    if not isinstance(value, Sequence) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{what} must be a list of symbol names; found {clip(repr(value))}")
    if len(value) > MAX_SYMBOLS:
        raise ConfigError(
            f"{what} names {len(value):,} symbols; expected at most {MAX_SYMBOLS} (name none "
            f"to use every symbol of the data)"
        )
    out = tuple(s.strip() for s in value if s.strip())
    for s in out:
        _printable(s, what)
        if len(s) > MAX_SYMBOL_LENGTH:
            raise ConfigError(
                f"{what}: symbol {clip(s)!r} is {len(s)} characters long; expected at most "
                f"{MAX_SYMBOL_LENGTH}"
            )
    return out or None


def params_table(value: object, what: str) -> dict[str, ParamValue]:
    """A strategy's parameters: at most MAX_PARAMS names, each a number, bool or short text."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{what} must be a table; found {clip(repr(value))}")
    if len(value) > MAX_PARAMS:
        raise ConfigError(f"{what} has {len(value)} entries; expected at most {MAX_PARAMS}")
    out: dict[str, ParamValue] = {}
    for key, item in value.items():
        name = name_text(key, f"a parameter name in {what}")
        if isinstance(item, str) and len(item) > MAX_PARAM_TEXT:
            raise ConfigError(
                f"{what}: {name} is {len(item):,} characters long; expected at most "
                f"{MAX_PARAM_TEXT}"
            )
        if not isinstance(item, bool | int | float | str):
            raise ConfigError(
                f"{what}: {name} must be a number, true/false or text; found "
                f"{clip(repr(item))} of type {type(item).__name__}"
            )
        out[name] = item
    return out


def iso_date(value: object, name: str) -> str:
    """A start or end date as ISO text: from text, a TOML date or datetime, or a Timestamp.

    Numbers are refused: ``start = 20140101`` in TOML would otherwise be read as nanoseconds
    since 1970.
    """
    import pandas as pd

    example = f'e.g. {name} = 2010-01-31 (a TOML date) or {name} = "2010-01-31"'
    if isinstance(value, bool | int | float | Decimal) or not isinstance(
        value, str | dt.date | pd.Timestamp
    ):
        raise ConfigError(
            f"{name} must be a date, {example}; found {clip(repr(value))} of type "
            f"{type(value).__name__} (a number is not read as a date)"
        )
    try:
        stamp = pd.Timestamp(value.strip() if isinstance(value, str) else value)
        if pd.isna(stamp):
            raise ValueError("not a date")
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        stamp = stamp.as_unit("ns")  # the data's range: 1677-09-22 to 2262-04-11
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    except (TypeError, ValueError, OverflowError, NotImplementedError):
        raise ConfigError(
            f"{name} must be a date between 1677-09-22 and 2262-04-11, {example}; found "
            f"{clip(repr(value))}"
        ) from None


def rebalance_from_table(table: object, where: str = "[rebalance]") -> Rebalance:
    """Read a ``[rebalance]`` table (or a link's rebalancing settings) into a Rebalance.

    An unknown key is a ConfigError with "did you mean"; each value is checked by
    :class:`orchestrator.Rebalance` itself, whose messages name the field, the value found and
    what is allowed.
    """
    if isinstance(table, Rebalance):
        return table
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table; found {clip(repr(table))}")
    check_keys(where, table, REBALANCE_KEYS)
    return Rebalance(**{str(k): v for k, v in table.items()})


def rebalance_bounds(rebalance: Rebalance, weights: Sequence[str]) -> None:
    """Raise ConfigError when a computed rule's ``min_weight``/``max_weight`` cannot be met by
    weights summing to the total of ``weights`` (exact decimal texts), before any run.

    Nothing to check without rebalancing, with the ``fixed`` rule or without strategies; a
    total over 1.0 is left to the weight check, which says so in its own words.
    """
    if not (rebalance.enabled and rebalance.rule != "fixed" and weights):
        return
    total = sum((Decimal(w) for w in weights), Decimal(0))
    if total <= 1:
        check_bounds(float(total), len(weights), rebalance.min_weight, rebalance.max_weight)
