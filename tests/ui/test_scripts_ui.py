"""Victims' names in every script show in the home list and in the wizard without boxes (issue 21).

Glyph coverage is checked with Qt's own font machinery, not only by eye: every character of every name
must be in the app font (with its fallback families), and in at least one of the bundled families
(QRawFont on the registered files), so a PC with no system fonts draws them too. Screenshots of both
views are kept in test-artifacts/ui for a human to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QRawFont
from pytestqt.qtbot import QtBot

from dsvdesk.export import fonts
from dsvdesk.store import Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QFont, QFontMetrics
from dsvdesk.ui.record_view import RecordView
from tests.ui.conftest import OFFICER_PASSWORD, shot
from tests.ui.forms import ALL_TYPES_FORM
from tests.unit.export.scripts import NAMES


def test_the_app_font_falls_back_to_every_shipped_script_face(ui_app: QApplication) -> None:
    families = QApplication.font().families()
    assert families == app_module.BASE_FONT_FAMILIES
    for face in fonts.SCRIPTS:
        assert face.qt_family in families, face.key


def uncovered(font: QFont, text: str) -> list[str]:
    metrics = QFontMetrics(font)
    return [c for c in text if not c.isspace() and not metrics.inFontUcs4(ord(c))]


def unbundled(text: str) -> list[str]:
    """Characters no shipped font file has (read from resources/fonts, not from the system's fonts)."""
    raws = [QRawFont(str(fonts.font_path(name)), 12) for name in fonts.shipped_font_files()]
    assert all(raw.isValid() for raw in raws)
    return [c for c in text if not c.isspace() and not any(raw.supportsCharacter(ord(c)) for raw in raws)]


def test_every_fallback_family_comes_from_a_shipped_file(ui_app: QApplication) -> None:
    registered = app_module.register_fonts()
    assert set(app_module.BASE_FONT_FAMILIES) <= set(registered), registered


@pytest.fixture
def forms_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "uitest.yaml").write_text(ALL_TYPES_FORM, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


@pytest.mark.usefixtures("forms_dir")
def test_names_in_every_script_show_in_the_home_list_and_the_wizard(
    qtbot: QtBot, ui_app: QApplication, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    from dsvdesk.engine.loader import load_form_text

    spec = load_form_text(ALL_TYPES_FORM, "uitest.yaml")
    ids: dict[str, str] = {}
    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        for script, name in NAMES.items():
            ids[script] = store.create_record(officer, spec, {"victim_name": name}).id

    def ask(cls: type[LoginDialog], parent: Any, store: Store, **_kw: Any) -> Any:
        return store.login("officer1", OFFICER_PASSWORD)

    monkeypatch.setattr(LoginDialog, "ask", classmethod(ask))
    window = app_module.start(db_path)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    window.resize(1280, 900)
    qtbot.waitExposed(window)
    home = window.home
    assert home is not None
    home.search.setFocus()
    listed = {str(home.model.data(home.model.index(row, 0))) for row in range(home.model.rowCount())}
    assert set(NAMES.values()) <= listed
    table_font = home.table.font()
    for script, name in NAMES.items():
        assert not uncovered(table_font, name), (script, uncovered(table_font, name))
        assert not unbundled(name), (script, unbundled(name))
    shot(window, artifacts_dir, "scripts_home_list")

    for script in ("Bengali", "Urdu", "Tamil", "Chinese"):
        view = window.open_record(ids[script])
        assert isinstance(view, RecordView)
        editor = view.wizard.block("victim_name").editor
        assert editor.value() == NAMES[script]
        assert not uncovered(editor.font(), NAMES[script]), script
        assert NAMES[script] in window.tabs.tabText(window.tabs.currentIndex())
        shot(window, artifacts_dir, f"scripts_wizard_{script.lower()}")
    assert window.close()
    window.context.store.close()


def test_at_start_up_the_other_scripts_faces_come_after_the_first_paint(
    ui_app: QApplication, qtbot: Any
) -> None:
    """Cold start (issue 22): the sign-in window paints with the DejaVu faces alone; the Noto and CJK
    faces are registered once it has painted and the app font falls back to them as before."""
    app_module.apply_look(ui_app, defer_fallbacks=True)
    assert QApplication.font().families() == ["DejaVu Sans"]
    window = LoginDialog(None, object())  # type: ignore[arg-type]  # the first window: it paints
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: QApplication.font().families() == app_module.BASE_FONT_FAMILIES, timeout=10_000)
