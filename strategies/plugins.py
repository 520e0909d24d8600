"""User strategies: load a strategy class from a local Python file or an installed module.

Three forms of reference::

    load_strategy("my_strategies/dip.py:DipBuyer")   # a class in a file
    load_strategy("my_strategies/dip.py")            # the one strategy class the file defines
    load_strategy("mypackage.signals:DipBuyer")      # a class in an importable module

and :func:`discover` lists the strategy classes of every ``*.py`` in a folder. A strategy
class is any class with ``should_enter`` and ``should_exit`` methods; subclasses of
:class:`~strategies.base.BaseStrategy` also get declared parameters (and so dashboard controls).

Only files and modules the user names on this machine are imported: references are plain
strings or paths, never file contents, so code that arrives from a browser upload is never run.
Loading a file runs its code, as ``python file.py`` would. A file is executed again only when it
has changed since it was last loaded.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
import traceback
from pathlib import Path
from types import ModuleType

from orchestrator import default_strategy_id
from orchestrator.errors import ConfigError, did_you_mean

__all__ = ["discover", "is_strategy_class", "load_strategy", "plugin_ref", "strategy_name"]

_FORMS = "'path/to/file.py:ClassName', 'path/to/file.py' or 'package.module:ClassName'"
# resolved path -> (modification time ns, size, module)
_loaded: dict[Path, tuple[int, int, ModuleType]] = {}


def is_strategy_class(obj: object) -> bool:
    """True for a concrete class with callable ``should_enter`` and ``should_exit``."""
    return (
        isinstance(obj, type)
        and callable(getattr(obj, "should_enter", None))
        and callable(getattr(obj, "should_exit", None))
        and not inspect.isabstract(obj)
    )


def strategy_name(cls: type) -> str:
    """The name a strategy class is listed under (see :func:`orchestrator.default_strategy_id`)."""
    return default_strategy_id(cls)


def plugin_ref(cls: type) -> str:
    """The reference :func:`load_strategy` loads ``cls`` from again: ``"file.py:Class"`` for a
    class loaded from a file, ``"module:Class"`` otherwise."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    if module is not None and getattr(module, "__plugin__", False) and path:
        return f"{path}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"


def load_strategy(ref: str | os.PathLike[str]) -> type:
    """Return the strategy class that ``ref`` names (see the module docstring for the forms).

    Raises ConfigError for a missing file, module or class, a file that does not compile (one
    line: file, line, message), a file that fails while loading, and a class that is not a
    strategy.
    """
    if not isinstance(ref, str | os.PathLike):
        raise ConfigError(
            f"a plug-in strategy is named by a local path or module, {_FORMS}; found "
            f"{type(ref).__name__} (uploaded code is never imported)"
        )
    text = os.fspath(ref).strip()
    if not text:
        raise ConfigError(f"empty plug-in reference; expected {_FORMS}")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        raise ConfigError(
            f"plug-in {text!r}: only local files and installed modules can be loaded; download "
            f"the file, read it, and name its local path"
        )
    target, class_name = _split(text)
    if _is_path(target):
        module = _import_file(Path(target))
        where = f"plug-in file {module.__file__}"
    else:
        module = _import_module(target)
        where = f"module {target!r}"
    if class_name is None:
        return _only_class(module, where)
    obj = getattr(module, class_name, None)
    if obj is None:
        found = _strategy_classes(module, defined_only=False)
        names = [c.__name__ for c in found]
        listed = f"strategy classes in it: {', '.join(names)}" if names else "it has none"
        raise ConfigError(
            f"{where} has no class {class_name!r}{did_you_mean(class_name, names)} ({listed})"
        )
    _check_strategy(obj, f"{class_name!r} in {where}")
    return obj  # type: ignore[no-any-return]


def discover(folder: str | os.PathLike[str]) -> dict[str, type]:
    """Return the strategy classes defined in the ``*.py`` files of ``folder``, by name.

    Files whose names start with ``_`` or ``.`` are skipped; each class is keyed by
    :func:`strategy_name`. Two classes with the same name raise ConfigError naming both.
    """
    path = Path(os.fspath(folder)).expanduser()
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise ConfigError(
            f"plug-in folder {str(path)!r} {what}; expected a folder of .py strategy files"
        )
    found: dict[str, type] = {}
    origin: dict[str, str] = {}
    for file in sorted(path.glob("*.py")):
        if file.name.startswith(("_", ".")) or not file.is_file():
            continue
        module = _import_file(file)
        for cls in _strategy_classes(module, defined_only=True):
            key = strategy_name(cls)
            place = f"{file}:{cls.__name__}"
            if key in found:
                raise ConfigError(
                    f"two plug-in strategies are named {key!r}: {origin[key]} and {place}; "
                    f"give one a different `name`"
                )
            found[key] = cls
            origin[key] = place
    return dict(sorted(found.items()))


# ---- helpers ------------------------------------------------------------------------------


def _split(text: str) -> tuple[str, str | None]:
    """``"a/b.py:Cls"`` -> ("a/b.py", "Cls"); ``"a/b.py"`` -> ("a/b.py", None)."""
    if text.lower().endswith(".py"):
        return text, None
    head, sep, tail = text.rpartition(":")
    if sep and head and tail.isidentifier():
        return head, tail
    if _is_path(text):
        return text, None
    raise ConfigError(f"plug-in reference {text!r} names no class; expected {_FORMS}")


def _is_path(target: str) -> bool:
    return target.lower().endswith(".py") or "/" in target or "\\" in target or os.sep in target


def _import_file(path: Path) -> ModuleType:
    path = path.expanduser()
    try:
        resolved = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise ConfigError(
            f"plug-in file {str(path)!r} not found (looked for {path.absolute()}); check the "
            f"path, relative to {Path.cwd()}"
        ) from None
    if not resolved.is_file():
        raise ConfigError(f"plug-in {str(path)!r} is not a file; expected a .py file")
    if resolved.suffix.lower() != ".py":
        raise ConfigError(f"plug-in file {str(path)!r} is not a .py file")
    stat = resolved.stat()
    cached = _loaded.get(resolved)
    if cached is not None and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", resolved.stem)
    name = f"_strategy_plugin_{stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:  # pragma: no cover - .py files always have one
        raise ConfigError(f"plug-in file {str(resolved)!r} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    module.__plugin__ = True  # type: ignore[attr-defined]
    # Registered before running, as an import does: dataclasses and pickling look it up.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ConfigError(_syntax_message(exc, resolved)) from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ConfigError(_load_message(exc, resolved)) from exc
    _loaded[resolved] = (stat.st_mtime_ns, stat.st_size, module)
    return module


def _import_module(target: str) -> ModuleType:
    if not all(part.isidentifier() for part in target.split(".")):
        raise ConfigError(f"plug-in module {target!r} is not a module name; expected {_FORMS}")
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"module {target!r} not found ({exc}); install it or put it on the Python path, "
            f"or name a file: 'path/to/file.py:ClassName'"
        ) from None
    except SyntaxError as exc:
        raise ConfigError(_syntax_message(exc, None)) from None
    except Exception as exc:
        raise ConfigError(
            f"module {target!r} raised {type(exc).__name__} while loading: {exc}"
        ) from exc


def _syntax_message(exc: SyntaxError, path: Path | None) -> str:
    file = exc.filename or (str(path) if path else "?")
    return f"{file}, line {exc.lineno}: {type(exc).__name__}: {exc.msg} (fix the plug-in file)"


def _load_message(exc: Exception, path: Path) -> str:
    line = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = str(frame.lineno)
    message = str(exc).splitlines()[0] if str(exc) else ""
    return f"{path}, line {line}: {type(exc).__name__} while loading the plug-in: {message}"


def _strategy_classes(module: ModuleType, *, defined_only: bool) -> list[type]:
    out = []
    for attr, obj in vars(module).items():
        if attr.startswith("_") or not is_strategy_class(obj):
            continue
        if defined_only and obj.__module__ != module.__name__:
            continue  # imported into the file (e.g. a built-in or a base class), not defined
        out.append(obj)
    return out


def _only_class(module: ModuleType, where: str) -> type:
    classes = _strategy_classes(module, defined_only=True)
    if len(classes) == 1:
        return classes[0]
    if not classes:
        raise ConfigError(
            f"{where} defines no strategy class; expected a class with should_enter(bars, "
            f"state) and should_exit(bars, state) methods"
        )
    names = ", ".join(c.__name__ for c in classes)
    raise ConfigError(
        f"{where} defines several strategy classes ({names}); name one, e.g. "
        f"'{module.__file__ or module.__name__}:{classes[0].__name__}'"
    )


def _check_strategy(obj: object, what: str) -> None:
    if not isinstance(obj, type):
        raise ConfigError(
            f"{what} is a {type(obj).__name__}, not a class; expected a strategy class"
        )
    missing = [m for m in ("should_enter", "should_exit") if not callable(getattr(obj, m, None))]
    if missing:
        raise ConfigError(
            f"{what} is not a strategy: it has no {' or '.join(missing)} method; expected "
            f"should_enter(bars, state) and should_exit(bars, state)"
        )
    if inspect.isabstract(obj):
        abstract = ", ".join(sorted(getattr(obj, "__abstractmethods__", ())))
        raise ConfigError(f"{what} is abstract: implement {abstract}")
