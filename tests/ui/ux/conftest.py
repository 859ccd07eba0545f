"""Fixtures for the issue-20 tests (the station PC at 3 a.m.): the test form in a forms folder and the
app started as a chosen user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.ui import app as app_module
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.state import UiState
from tests.ui.forms import ALL_TYPES_FORM


@pytest.fixture
def forms_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "uitest.yaml").write_text(ALL_TYPES_FORM, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


def start_as(qtbot: QtBot, db_path: Path, tmp_path: Path, username: str, password: str) -> MainWindow:
    def sign_in(gate: Any, **_kw: Any) -> Any:
        return gate.login(username, password)

    window = app_module.start(db_path, sign_in_fn=sign_in, ui_state=UiState(tmp_path / "state.ini"))
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def close_app(window: MainWindow) -> None:
    assert window.close()
    window.context.store.close()
