"""UI fixtures: a real store in a temporary folder with a station and users, inline forms, message
boxes switched to log-only, UI state in a temporary INI file, and text typing that survives non-ASCII."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QTest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.ui import messages
from dsvdesk.ui.qt import QApplication, Qt, QWidget
from dsvdesk.ui.state import UiState
from tests.ui.forms import ALL_TYPES_FORM

ADMIN_PASSWORD = "admin-pass-2026"
OFFICER_PASSWORD = "officer-pass-2026"
SUPERVISOR_PASSWORD = "super-pass-2026"


@pytest.fixture(autouse=True)
def _quiet_ui(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No modal boxes in tests (they would block), UI state kept out of the user's config."""
    monkeypatch.setenv("DSVDESK_UI_STATE", str(tmp_path / "ui-state.ini"))
    messages.set_log_only(True)
    yield
    messages.set_log_only(False)


@pytest.fixture(scope="session")
def _app_look(qapp: QApplication) -> QApplication:
    from dsvdesk.ui.app import apply_look

    apply_look(qapp)
    return qapp


@pytest.fixture
def ui_app(_app_look: QApplication) -> QApplication:
    return _app_look


@pytest.fixture
def spec() -> FormSpec:
    return load_form_text(ALL_TYPES_FORM, "uitest.yaml")


@pytest.fixture
def ui_state(tmp_path: Path) -> UiState:
    return UiState(tmp_path / "ui-state.ini")


@pytest.fixture(scope="session")
def _station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station with an admin, two officers and a supervisor, made once (key generation is slow)."""
    from dsvdesk.store import Store

    path = tmp_path_factory.mktemp("station") / "template.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Test Police Station", "admin", "Ada Admin", ADMIN_PASSWORD)
        admin = store.login("admin", ADMIN_PASSWORD)
        store.add_user(
            admin, "officer1", "officer", "Olga Officer", "PC101", OFFICER_PASSWORD, ADMIN_PASSWORD
        )
        store.add_user(admin, "officer2", "officer", "Owen Other", "PC102", OFFICER_PASSWORD, ADMIN_PASSWORD)
        store.add_user(
            admin, "super1", "supervisor", "Sam Sergeant", "PS201", SUPERVISOR_PASSWORD, ADMIN_PASSWORD
        )
        store.update_settings(admin, idle_lock_minutes=10)
    return path


@pytest.fixture
def db_path(tmp_path: Path, _station_template: Path) -> Path:
    """A private copy of the station database (and its key file) for one test; this process knows its
    key, as after a sign-in."""
    from tests.helpers.encrypted import copy_station

    return copy_station(_station_template, tmp_path / "station.sqlite3")


@pytest.fixture
def store(db_path: Path) -> Iterator[Any]:
    from dsvdesk.store import Store

    with Store.open(db_path) as opened:
        yield opened


def type_text(widget: QWidget, text: str) -> None:
    """Type like a user. Non-ASCII characters go as text-only key events: QTest.keyClicks aborts the
    process on many of them (docs/stack.md §2a)."""
    for ch in text:
        if ch.isascii():
            QTest.keyClicks(widget, ch)
        else:
            QTest.sendKeyEvent(
                QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch, Qt.KeyboardModifier.NoModifier
            )


def shot(widget: QWidget, artifacts_dir: Path, name: str) -> Path:
    """Save a screenshot for a human to look at."""
    folder = artifacts_dir / "ui"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    # A layout change settles in steps (a label grows, its box, then a scroll area resizes its content):
    # one pass can catch the middle one, where the boxes below are squeezed into the old height.
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()
    assert widget.grab().save(str(path)), f"could not save screenshot {path}"
    return path
