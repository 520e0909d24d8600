"""A terminal progress bar for long runs: ``spec.run(frames, progress=ProgressBar(sys.stderr))``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["PROGRESS_DELAY", "ProgressBar"]

# Seconds a run must last before its progress bar appears: short runs stay silent.
PROGRESS_DELAY = 0.3


class ProgressBar:
    """A one-line progress bar redrawn in place with ``\\r``; a ``progress(done, total)`` callback.

    Nothing is drawn until ``delay`` seconds (default :data:`PROGRESS_DELAY`) have passed, so
    short runs stay silent; the line is wiped by :meth:`close`, leaving the terminal as it was.
    """

    def __init__(
        self,
        stream: TextIO,
        label: str = "running",
        *,
        unit: str = "timestamps",
        width: int = 30,
        delay: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.label = label
        self.unit = unit
        self.width = width
        self.delay = PROGRESS_DELAY if delay is None else delay
        self.clock = clock
        self.started = clock()
        self.shown = 0  # length of the line on screen, 0 when none
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if total <= 0 or (not self.shown and self.clock() - self.started < self.delay):
            return
        percent = min(100, 100 * done // total)
        if percent == self.last:
            return
        self.last = percent
        filled = self.width * percent // 100
        bar = "#" * filled + "." * (self.width - filled)
        text = f"{self.label} [{bar}] {percent:3d}%  {done:,}/{total:,} {self.unit}"
        self.stream.write("\r" + text.ljust(self.shown))
        self.stream.flush()
        self.shown = max(self.shown, len(text))

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * self.shown + "\r")
            self.stream.flush()
            self.shown = 0
