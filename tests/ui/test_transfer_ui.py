"""File ▸ Send records to another unit… / Import a transfer bundle… (issue 17): the dialog from the
keyboard, and both transfers off the UI thread with a progress bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import FormSpec
from dsvdesk.ui import messages
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import Qt
from dsvdesk.ui.state import UiState
from dsvdesk.ui.transfer import ExportDialog, TransferHooks, install
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf, mini_spec, unit_templates, units

__all__ = ["mini_spec", "unit_templates", "units"]  # the transfer tests' fixtures, used here too
pytestmark = pytest.mark.usefixtures("ui_app")


def _window(qtbot: QtBot, unit: Unit, username: str, tmp_path: Path) -> MainWindow:
    context = AppContext(
        store=unit.store,
        session=unit[username],
        db_path=unit.path,
        forms={},
        ui_state=UiState(tmp_path / f"{username}.ini"),
    )
    window = MainWindow(context, install_screens=False)
    qtbot.addWidget(window)
    return window


def test_the_dialog_is_filled_from_the_keyboard(qtbot: QtBot, units: dict[str, Unit], tmp_path: Path) -> None:
    peers = units["HOL"].store.transfer_peers()
    dialog = ExportDialog(None, peers)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.unit.currentText() == "Borough CSU (CSU, csu)"
    dialog.file.setFocus()
    qtbot.keyClicks(dialog.file, str(tmp_path / "to_csu.dsvbundle"))
    qtbot.keyClick(dialog.file, Qt.Key.Key_Return)  # no password yet: says so, stays open
    assert dialog.isVisible() and "password" in dialog.problem.text()
    dialog.password.setFocus()
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    request = dialog.request()
    assert request.unit == peers[0].uid and request.path == tmp_path / "to_csu.dsvbundle"


def test_send_and_import_off_the_ui_thread(
    qtbot: QtBot, units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    session = hol["pc1"]
    ref = hol.store.create_record(session, mini_spec, {"victim_name": "Ruth Ng"})
    hol.store.submit(session, ref.id, ref.version, fake_pdf("x"))
    assert install(_window(qtbot, hol, "pc1", tmp_path)) is None  # officers do not transfer

    station = _window(qtbot, hol, "ps1", tmp_path)
    hooks = install(station)
    assert isinstance(hooks, TransferHooks)
    actions = [a.text() for a in station.menus["file"].actions()]
    assert actions.index("&Send records to another unit…") < actions.index("&Close form")
    assert actions.index("&Import a transfer bundle…") < actions.index("&Close form")
    from dsvdesk.ui.transfer import ExportRequest

    peer = hol.store.transfer_peer("CSU")
    out = tmp_path / "hol.dsvbundle"
    run = hooks.export_bundle(ExportRequest(peer.uid, out, PASSWORD))
    assert run is not None
    qtbot.waitUntil(lambda: run.done, timeout=60_000)
    assert out.exists() and run.seen == (1, 1)  # the bar went to its end
    assert any(m.title == "Bundle written" for m in messages.shown())

    unit_window = _window(qtbot, csu, "csu1", tmp_path)
    csu_hooks = install(unit_window)
    assert csu_hooks is not None
    with qtbot.waitSignal(unit_window.records_changed, timeout=60_000):
        run = csu_hooks.import_bundle(out)
    assert run is not None and run.done
    shown = [m for m in messages.shown() if m.title == "Bundle imported"]
    assert shown and "1 new" in shown[-1].text
    assert csu.store.count_records(csu["csu1"]) == 1

    run = csu_hooks.import_bundle(out)  # twice: refused with the store's sentence
    assert run is not None
    qtbot.waitUntil(lambda: run.done, timeout=60_000)
    assert any("already imported" in m.text for m in messages.shown())
