"""Uploaded files (name and bytes, e.g. from a browser) into validated per-symbol frames.

Each file is read on its own with :func:`orchestrator.data.load_file`, so one bad file costs
only itself: its error names the file and the problem, and the good files still load. Uploaded
files are only ever parsed as CSV or Parquet data, never executed or imported. All uploads
together hold at most ``max_rows`` rows (5 million unless told otherwise, see
:func:`orchestrator.data.load_csv`): a file beyond that is refused before it is parsed whole.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from orchestrator.data import RowCapError, load_file, row_cap

__all__ = ["ParsedUploads", "Upload", "parse_uploads", "uploads_key"]


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its name (for the format and the symbol) and its content."""

    name: str
    content: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        """SHA-256 of the content: identifies the data in cache keys."""
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class ParsedUploads:
    """The frames of the files that loaded, and one message per file that did not."""

    frames: dict[str, pd.DataFrame]
    errors: list[str]
    origin: dict[str, str]  # symbol -> the file it came from


def uploads_key(uploads: Sequence[Upload]) -> str:
    """A short key naming the uploaded content (names and hashes), for caching a run."""
    joined = "|".join(f"{u.name}:{u.digest}" for u in uploads)
    return "upload:" + hashlib.sha256(joined.encode()).hexdigest()[:16]


def _read(upload: Upload, max_rows: int) -> dict[str, pd.DataFrame]:
    """Load one file (at most ``max_rows`` rows) or raise with a message that names it."""
    name = upload.name
    if not upload.content.strip():
        raise ValueError(f"{name}: the file is empty; expected a header row and price rows")
    try:
        frames = load_file(io.BytesIO(upload.content), name=name, max_rows=max_rows)
    except RowCapError:
        raise  # the caller says how the cap was reached
    except ValueError as exc:  # DataError and ConfigError are ValueErrors
        message = str(exc)
        raise ValueError(message if name in message else f"{name}: {message}") from None
    except Exception as exc:  # a reader library failing on garbage: still this file's fault
        raise ValueError(
            f"{name}: could not be read; expected a CSV or Parquet file of prices (the reader "
            f"said: {type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
        ) from None
    if not frames:
        raise ValueError(f"{name}: no price rows found; expected date, open, high, low, close")
    return frames


def parse_uploads(uploads: Sequence[Upload], max_rows: int | None = None) -> ParsedUploads:
    """Load every upload; collect one error per bad file instead of stopping at the first.

    A symbol found in two files is an error for the second file (which is then left out),
    since silently preferring one would hide a mistake. ``max_rows`` caps the rows of all
    uploads together (default: 5 million, or ORCHESTRATOR_MAX_ROWS); a file that would pass
    the cap is an error and left out.
    """
    frames: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    errors: list[str] = []
    cap = row_cap(max_rows)
    budget = cap
    for upload in uploads:
        try:
            if budget < 1:
                raise RowCapError(upload.name)
            loaded = _read(upload, budget)
        except RowCapError as exc:
            errors.append(
                str(exc)
                if budget == cap
                else f"{upload.name}: left out; with the {cap - budget:,} rows of the files "
                f"before it, more than the {cap:,} rows uploads may hold together (upload "
                f"fewer or smaller files)"
            )
            continue
        except ValueError as exc:
            errors.append(str(exc))
            continue
        budget -= sum(len(f) for f in loaded.values())
        clash = sorted(set(loaded) & set(frames))
        if clash:
            errors.append(
                f"{upload.name}: symbol(s) {', '.join(clash)} already loaded from "
                f"{', '.join(sorted({origin[s] for s in clash}))}; expected each symbol in one "
                f"file only (remove one file or rename the symbol)"
            )
            continue
        for sym, frame in loaded.items():
            frames[sym] = frame
            origin[sym] = upload.name
    return ParsedUploads(frames=dict(sorted(frames.items())), errors=errors, origin=origin)
