"""Suite-wide guards: no network, no stray dialogs, headless Qt, artefacts in one printed folder."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keep the suite out of the real user's folders.
_TEST_HOME = Path(os.environ.get("TMPDIR", "/tmp")) / f"dsvdesk-test-{os.getpid()}"
os.environ.setdefault("DSVDESK_LOG_DIR", str(_TEST_HOME / "logs"))
os.environ.setdefault(
    "DSVDESK_UI_STATE", str(_TEST_HOME / "ui-state.ini")
)  # never the user's own window state
os.environ.setdefault(
    "DSVDESK_DB", str(_TEST_HOME / "default.sqlite3")
)  # a test that forgets --db stays here

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("DSVDESK_ARTIFACTS", ROOT / "test-artifacts"))


class NetworkAccessError(AssertionError):
    pass


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_local_unix(sock: socket.socket) -> bool:
    return sock.family == getattr(socket, "AF_UNIX", None)


def _guarded_connect(self: socket.socket, address: object) -> None:
    if _is_local_unix(self):  # Unix sockets (e.g. D-Bus from Qt) are not the network
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise NetworkAccessError(f"DSVDesk must never open a network connection (tried {address!r})")


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if _is_local_unix(self):
        return _real_connect_ex(self, address)  # type: ignore[arg-type]
    raise NetworkAccessError(f"DSVDesk must never open a network connection (tried {address!r})")


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Screenshots and rendered pages for a human to look at (path printed at the end of the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"Screenshots and rendered PDF pages for review: {ARTIFACTS}")
