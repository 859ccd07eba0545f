"""File ▸ Transfer conflicts… (issue 17): a record changed at the station and at the CSU, both states
side by side with the differing answers marked, settled from the keyboard (and audited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import FormSpec
from dsvdesk.store.models import Status
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.state import UiState
from dsvdesk.ui.transfer import install
from dsvdesk.ui.transfer_conflicts import CHANGED, ConflictDialog, differences
from tests.ui.conftest import shot
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf, mini_spec, unit_templates, units
from tests.unit.transfer.test_bundles import export, submitted, version_of

__all__ = ["mini_spec", "unit_templates", "units"]  # the transfer tests' fixtures, used here too
pytestmark = pytest.mark.usefixtures("ui_app")


def _conflict(units: dict[str, Unit], spec: FormSpec, tmp_path: Path) -> str:
    """Holloway approves with a changed name while the CSU returns the record: a conflict at the CSU."""
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, spec, "pc1", "Mia Moss")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    hol.store.approve(hol["ps1"], rid, version_of(hol, rid, "ps1"), fake_pdf)
    csu.store.return_record(csu["csu1"], rid, {"victim_name": "check"}, version_of(csu, rid, "csu1"))
    assert csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b2")).conflicts == 1
    return rid


def test_differences_mark_what_changed() -> None:
    rows = differences(
        {"answers": {"a": "x", "b": 1}, "status": "returned", "revision": 1},
        {"answers": {"a": "x", "b": 2, "c": ["y"]}, "status": "approved", "revision": 1},
        {"b": "Bee", "a": "Ay"},
    )
    assert [(r.key, r.label, r.changed) for r in rows] == [
        ("status", "Status", True),
        ("revision", "Revision", False),
        ("b", "Bee", True),
        ("a", "Ay", False),
        ("c", "c", True),
    ]
    assert rows[-1].ours == "—" and rows[-1].theirs == '["y"]'


def test_a_supervisor_sees_both_sides_and_keeps_one_by_keyboard(
    qtbot: QtBot, units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path, artifacts_dir: Path
) -> None:
    rid = _conflict(units, mini_spec, tmp_path)
    csu = units["CSU"]
    context = AppContext(
        store=csu.store,
        session=csu["csu1"],
        db_path=csu.path,
        forms={},
        ui_state=UiState(tmp_path / "csu1.ini"),
    )
    window = MainWindow(context, install_screens=False)
    qtbot.addWidget(window)
    hooks = install(window)
    assert hooks is not None
    assert "&Transfer conflicts…" in [a.text() for a in window.menus["file"].actions()]
    dialog = hooks.show_conflicts()
    assert isinstance(dialog, ConflictDialog)
    qtbot.waitExposed(dialog)
    assert dialog.record.count() == 1 and "from Holloway" in dialog.record.currentText()
    shot(dialog, artifacts_dir, "transfer_conflicts")

    # both states side by side: the status differs and is marked; an unchanged answer is not
    cells = {
        dialog.table.item(r, 0).text(): (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
        for r in range(dialog.table.rowCount())
    }
    assert cells[CHANGED + "Status"] == (
        "Returned — see comments",
        "Approved",
    )  # in words, as the lists show it
    unchanged = [label for label in cells if not label.startswith(CHANGED)]
    assert unchanged and all(cells[label][0] == cells[label][1] for label in unchanged)

    # from the keyboard: Alt+A goes to the answers, Alt+O keeps the other unit's state
    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)
    assert QApplication.focusWidget() is dialog.table
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)  # the rows are read with the arrow keys
    assert dialog.table.currentRow() == 1
    with qtbot.waitSignal(window.records_changed, timeout=10_000):
        qtbot.keyClick(dialog.table, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    assert not dialog.isVisible()
    assert csu.store.transfer_conflicts(csu["csu1"]) == []
    assert csu.store.open_record(csu["csu1"], rid, justification="t").status is Status.APPROVED
    assert csu.store.verify_audit().ok


def test_with_no_conflicts_the_dialog_says_so(qtbot: QtBot, units: dict[str, Unit]) -> None:
    csu = units["CSU"]
    dialog = ConflictDialog(None, csu.store, csu["csu1"])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert "No open transfer conflicts" in dialog.problem.text()
    assert not dialog.keep_ours.isEnabled() and not dialog.keep_theirs.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_conflict_not_shared_with_this_supervisor_says_why_and_cannot_be_settled(
    qtbot: QtBot, units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    _conflict(units, mini_spec, tmp_path)
    csu = units["CSU"]
    admin = csu.store.login("admin", PASSWORD)
    csu.store.add_user(admin, "csu9", "supervisor", "Cas New", "3009", PASSWORD, PASSWORD)
    dialog = ConflictDialog(None, csu.store, csu.store.login("csu9", PASSWORD))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.record.count() == 1  # listed, with the reason instead of the states
    assert "not shared with your account" in dialog.problem.text()
    assert dialog.table.rowCount() == 0
    assert not dialog.keep_ours.isEnabled() and not dialog.keep_theirs.isEnabled()
