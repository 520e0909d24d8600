"""The strategies a front end offers: the built-in registry plus plug-ins from a local folder.

The plug-in folder is the operator's choice (``--plugins FOLDER`` on the command line or the
ORCHESTRATOR_PLUGINS environment variable), never a user's: only files on this machine that
the operator named are imported.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.errors import ConfigError, did_you_mean

__all__ = [
    "PLUGINS_ENV",
    "Catalogue",
    "declared_params",
    "describe_class",
    "instantiate",
    "load_catalogue",
    "plugin_folder",
]

PLUGINS_ENV = "ORCHESTRATOR_PLUGINS"


def plugin_folder(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The plug-in folder from ``--plugins FOLDER`` in ``argv`` (other arguments are left
    alone), else from the environment variable ORCHESTRATOR_PLUGINS, else None."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--plugins")
    args, _ = parser.parse_known_args(list(argv))
    return args.plugins or environ.get(PLUGINS_ENV) or None


def describe_class(cls: type) -> str:
    """A strategy class's one-line description: its ``description``, else its docstring's
    first line, else ""."""
    doc = (cls.__doc__ or "").strip().splitlines()
    return getattr(cls, "description", None) or (doc[0] if doc else "")


def declared_params(cls: type) -> tuple[Any, ...] | None:
    """A strategy class's declared parameters (``strategies.ParamSpec``), or None for a plain
    protocol class that declares none."""
    specs = getattr(cls, "param_specs", None)
    return tuple(specs()) if callable(specs) else None


def instantiate(
    cls: type,
    name: str,
    params: Mapping[str, Any],
    symbols: Sequence[str] | None = None,
    label: str | None = None,
) -> object:
    """Create a strategy from its class: the one way a name and parameters become a strategy.

    A class with declared parameters (``param_specs``, as every ``BaseStrategy``) validates
    them and takes ``symbols`` and ``name``; a plain protocol class gets ``params`` as keyword
    arguments, then ``symbols`` and ``name`` set as attributes. A constructor's TypeError (a
    parameter it does not take) becomes a ConfigError naming the strategy.
    """
    chosen = list(symbols) if symbols else None
    try:
        if hasattr(cls, "param_specs"):
            return cls(symbols=chosen, name=label, **params)
        instance = cls(**params)
    except TypeError as exc:
        raise ConfigError(f"{name}: {exc}") from None
    if chosen is not None:
        instance.symbols = chosen
    if label:
        instance.name = label
    return instance


@dataclass(frozen=True)
class Catalogue:
    """Strategy classes by name; ``plugins`` are the names that came from the plug-in folder
    (a plug-in never shadows a built-in of the same name); ``error`` says why the folder could
    not be read, if it could not."""

    classes: Mapping[str, type]
    plugins: frozenset[str] = frozenset()
    plugin_dir: str | None = None
    error: str | None = None

    def describe(self, name: str) -> str:
        """The strategy's one-line description (its docstring's first line for plug-ins)."""
        text = describe_class(self.classes[name])
        return text or ("plug-in strategy" if name in self.plugins else name)

    def param_specs(self, name: str) -> tuple[Any, ...]:
        """The declared parameters (``strategies.ParamSpec``); none for plain classes."""
        return declared_params(self.classes[name]) or ()

    def build(
        self,
        name: str,
        params: Mapping[str, Any],
        symbols: Sequence[str] | None = None,
        label: str | None = None,
    ) -> object:
        """Create the strategy ``name`` as a run would (:meth:`RunSpec.build_strategies` comes
        here too), validating its parameters; raise ConfigError (or whatever a plug-in
        raises) when it is invalid."""
        cls = self.classes.get(name) if isinstance(name, str) else None
        if cls is None:
            hint = did_you_mean(name, list(self.classes)) if isinstance(name, str) else ""
            origin = "built-in and plug-in" if self.plugins else "built-in"
            raise ConfigError(
                f"unknown strategy {name!r}{hint} ({origin} strategies: {', '.join(self.classes)})"
            )
        return instantiate(cls, name, params, symbols, label)

    def check(
        self,
        name: str,
        params: Mapping[str, Any],
        symbols: Sequence[str] | None = None,
        label: str | None = None,
    ) -> str | None:
        """The error that building this strategy gives, naming it, or None if it is valid."""
        try:
            self.build(name, params, symbols, label)
        except Exception as exc:
            message = str(exc)
            return message if name in message else f"{name}: {message}"
        return None


def load_catalogue(plugin_dir: str | None, *, strict: bool = False) -> Catalogue:
    """The built-in registry plus the strategy classes found in ``plugin_dir`` (if given).

    A folder that cannot be read gives the built-ins and an error message, not an exception,
    so a front end can show it and go on; with ``strict`` (a run) its error is raised.
    """
    import strategies
    from strategies import plugins

    classes: dict[str, type] = dict(strategies.REGISTRY)
    if not plugin_dir:
        return Catalogue(classes)
    try:
        found = plugins.discover(plugin_dir)
    except Exception as exc:
        if strict:
            raise
        return Catalogue(
            classes, plugin_dir=plugin_dir, error=f"Plug-in folder {plugin_dir}: {exc}"
        )
    names = frozenset(n for n in found if n not in classes)
    classes.update({n: found[n] for n in sorted(names)})
    return Catalogue(classes, names, plugin_dir)
