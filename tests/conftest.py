"""Suite-wide guards: no network, no stray dialogs, headless Qt, artefacts in one printed folder."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
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


# What .ci/run installs (poppler-utils, qpdf, libnss3-tools, the fonts, Xvfb and friends): under CI=true a
# test that skips because one of these is missing fails instead, so CI never passes by skipping.
CI_INSTALLS = (
    "pdftotext",
    "pdfsig",
    "pdftoppm",
    "pdfinfo",
    "pdffonts",
    "poppler",
    "qpdf",
    "certutil",
    "libnss3",
    "font",
    "xvfb",
    "openbox",
    "xdotool",
    "imagemagick",
    "postgresql",
)


def ci_must_not_skip(reason: str, environ: Mapping[str, str] = os.environ) -> bool:
    """True when CI=true and a skip's reason names something .ci/run installs."""
    return environ.get("CI", "").lower() == "true" and any(word in reason.lower() for word in CI_INSTALLS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.skipped or hasattr(report, "wasxfail") or not isinstance(report.longrepr, tuple):
        return
    reason = str(report.longrepr[2])
    if ci_must_not_skip(reason):
        report.outcome = "failed"
        report.longrepr = f"CI=true and .ci/run installs what this test needs, so it may not skip: {reason}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ARTIFACTS.exists() and any(ARTIFACTS.iterdir()):
        terminalreporter.write_line(f"Screenshots and rendered PDF pages for review: {ARTIFACTS}")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    """A throw-away PostgreSQL cluster for the HQ tests (tests/helpers/postgres.py), started on first use
    and stopped at the end of the session; skipped, saying why, where PostgreSQL is not installed
    (under CI=true that skip fails: .ci/run installs it)."""
    from tests.helpers import postgres

    if postgres.server_bin() is None:
        pytest.skip(postgres.SKIP_REASON)
    cluster = postgres.start_cluster()
    yield cluster
    cluster.stop()
