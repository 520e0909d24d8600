"""Fixtures of the dashboard tests: the app under AppTest, a `streamlit run` server, Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "dashboard.py"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# A tiny plug-in folder: one strategy that raises on a given bar, to check that the page says
# which strategy, symbol and bar failed.
RAISING_PLUGIN = '''
class ExplodingStrategy:
    """Buys, then raises on its 30th bar."""

    name = "exploding"
    description = "Raises ValueError on the 30th bar (a test plug-in)"

    def should_enter(self, bars, state):
        if len(bars) == 30:
            raise ValueError("boom on purpose")
        return True

    def should_exit(self, bars, state):
        if len(bars) == 30:
            raise ValueError("boom on purpose")
        return False
'''


@pytest.fixture
def raising_plugin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plug-in folder with :data:`RAISING_PLUGIN`, announced through ORCHESTRATOR_PLUGINS."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "exploding.py").write_text(RAISING_PLUGIN, encoding="utf-8")
    monkeypatch.setenv("ORCHESTRATOR_PLUGINS", str(folder))
    return folder


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """Debian's Chromium; skip without it, except under CI, where a missing browser fails."""
    for candidate in (*CHROMIUM_CANDIDATES, shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI is set but no Chromium was found: apt-get install -y chromium")
    pytest.skip("no Chromium at /usr/bin/chromium (apt-get install -y chromium)")


# Debian's Chromium as the probe of this machine starts it (no background networking: the
# network is closed, and its connection attempts would fail by the hundred).
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Any]:
    """A headless Chromium driven by Playwright, one per test module."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def streamlit_server() -> Iterator[str]:
    """Start ``streamlit run dashboard.py`` on a free port; yield its URL; stop it after."""
    port = _free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "streamlit-server.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.headless", "true", "--server.port", str(port),
        "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "ORCHESTRATOR_PLUGINS"}
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start; see {log}:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
