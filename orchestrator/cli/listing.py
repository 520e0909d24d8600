"""The text of ``orchestrator strategies``: every strategy with its declared parameters.

Private to the command line (see :mod:`orchestrator.cli.commands`); split out so that module
stays one idea per screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.errors import ConfigError

__all__ = ["catalogue_entries", "format_catalogue", "number_text"]


def catalogue_entries(plugin_dir: str | None) -> list[dict[str, Any]]:
    """Every available strategy: its name, origin, description and declared parameters."""
    import strategies as library
    from orchestrator.app.catalogue import declared_params, describe_class
    from strategies import plugins

    found: list[tuple[str, type, str]] = [
        (name, cls, "built-in") for name, cls in library.REGISTRY.items()
    ]
    if plugin_dir is not None:
        folder = Path(plugin_dir)
        if not folder.is_dir():
            raise ConfigError(f"plug-in folder {plugin_dir!r} not found or not a folder")
        found += [(name, cls, "plug-in") for name, cls in plugins.discover(folder).items()]
    entries: list[dict[str, Any]] = []
    for name, cls, origin in found:
        specs = declared_params(cls)
        params = None
        if specs is not None:
            params = [
                {"name": p.name, "type": p.kind.__name__, "default": p.default, "min": p.min,
                 "max": p.max, "step": p.step, "help": p.help}
                for p in specs
            ]  # fmt: skip
        entries.append(
            {
                "name": name,
                "origin": origin,
                "class": f"{cls.__module__}.{cls.__qualname__}",
                "description": describe_class(cls),
                "params": params,
            }
        )
    return entries


def number_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _param_line(p: dict[str, Any]) -> list[str]:
    bounds = ""
    if p["min"] is not None or p["max"] is not None:
        low = number_text(p["min"]) if p["min"] is not None else ""
        high = number_text(p["max"]) if p["max"] is not None else ""
        bounds = f"{low}..{high}"
    step = f"step {number_text(p['step'])}" if p["step"] is not None else ""
    return [p["name"], p["type"], f"= {number_text(p['default'])}", bounds, step, p["help"]]


def format_catalogue(entries: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for origin, title in (("built-in", "Built-in strategies"), ("plug-in", "Plug-in strategies")):
        group = [e for e in entries if e["origin"] == origin]
        if not group and origin == "plug-in":
            continue
        lines.append(f"{title} ({len(group)}):")
        rows = [_param_line(p) for e in group for p in (e["params"] or [])]
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(5)]
        for e in group:
            lines.append("")
            lines.append(f"  {e['name']}  -  {e['description']}")
            if origin == "plug-in":
                lines.append(f"    class {e['class']}")
            if e["params"] is None:
                lines.append("    (parameters not declared: passed to the class as given)")
            elif not e["params"]:
                lines.append("    (no parameters)")
            for p in e["params"] or []:
                cells = _param_line(p)
                text = "  ".join(c.ljust(w) for c, w in zip(cells[:5], widths, strict=True))
                lines.append(f"    {text}  {cells[5]}".rstrip())
        lines.append("")
    if not any(e["origin"] == "plug-in" for e in entries):
        lines.append("Plug-ins: add --plugins DIR to list the strategies in a folder of .py files.")
    return "\n".join(lines).rstrip() + "\n"
