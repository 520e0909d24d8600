"""Tests of orchestrator.cli.progress: the terminal progress bar of long runs."""

from __future__ import annotations

import io

import pytest

from orchestrator.cli import progress
from orchestrator.cli.progress import ProgressBar


def test_progress_bar_silent_until_delay_then_redraws_in_place() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=1.0, width=10, clock=lambda: now[0])
    bar(10, 100)
    assert stream.getvalue() == ""  # a short run shows nothing
    now[0] = 2.0
    bar(50, 100)
    bar(50, 100)  # same percentage: not redrawn
    bar(100, 100)
    text = stream.getvalue()
    assert text.count("\r") == 2
    assert "[#####.....]  50%  50/100 timestamps" in text
    assert "[##########] 100%  100/100 timestamps" in text
    bar.close()
    assert stream.getvalue().endswith("\r")
    assert not bar.shown


def test_progress_bar_default_delay_is_progress_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "PROGRESS_DELAY", 0.0)
    stream = io.StringIO()
    bar = ProgressBar(stream, label="loading", width=4, clock=lambda: 0.0)
    assert bar.delay == 0.0
    bar(1, 4)
    assert stream.getvalue() == "\rloading [#...]  25%  1/4 timestamps"
    bar.close()
    assert stream.getvalue().endswith("\r")
