"""The casework screens (issue 19) driven like a user: the Casework tab lists risk reviews due with the
overdue ones standing out, Enter on a row opens the case, the actions go through their dialogs
(keyboard), a signed re-assessment changes the grade, an officer sees only the cases allocated to them,
and the retention list is the supervisors'."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.ui.casework import AssessmentDialog, CaseScreen, CaseworkTab
from dsvdesk.ui.casework.dialogs import EntryDialog
from dsvdesk.ui.qt import QApplication, QComboBox, QPlainTextEdit, Qt
from tests.helpers.encrypted import raw_connect
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.qa.conftest import close_app, open_app
from tests.ui.qa.test_dashboard_ui import seed

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = json.loads((ROOT / "tests" / "data" / "examples" / "casework.json").read_text(encoding="utf-8"))
PART2 = (
    "checks_done",
    "checks_findings",
    "victim_contacted",
    "reassessed_grade",
    "grade_reason",
    "rara_update",
)


@pytest.fixture
def casework_forms(qa_forms: Path) -> Path:
    shutil.copy(ROOT / "forms" / "casework.yaml", qa_forms / "casework.yaml")
    return qa_forms


def backdate(db_path: Path, record_id: str, hours: int) -> None:
    """The case opened ``hours`` ago (its due times worked out again)."""
    opened = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).isoformat(timespec="microseconds")
    conn = raw_connect(db_path)
    try:
        conn.execute(
            "UPDATE cases SET opened_at = ?, schedule_key = NULL WHERE record_id = ?", (opened, record_id)
        )
        conn.commit()
    finally:
        conn.close()


def answer_with_keyboard(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, steps: Any, seen: list[str]) -> None:
    """EntryDialog.ask runs the real dialog; ``steps(dialog)`` types into it; OK is pressed with the keyboard."""

    def ask(cls: Any, parent: Any, title: str, explanation: str, fields: Any, ok: str) -> Any:  # noqa: PLR0917 - the signature of EntryDialog.ask
        dialog = cls(parent, title, explanation, fields, ok)
        qtbot.addWidget(dialog)
        dialog.show()
        steps(dialog)
        seen.append(title)
        qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Space)
        return dialog.values if dialog.result() else None

    monkeypatch.setattr(EntryDialog, "ask", classmethod(ask))


def test_the_csu_works_a_case_from_the_casework_tab(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    casework_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    ids = seed(db_path)
    backdate(db_path, ids["A"], hours=30)  # the 10-hour review is 20 hours overdue
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1366, 768)
    tab = window.casework_hooks.tab  # type: ignore[attr-defined]
    assert isinstance(tab, CaseworkTab)
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: not tab.loading, timeout=20_000)  # the lists are read off the UI thread
    model = tab.reviews_model
    assert [r.record_id for r in model.rows] == [ids["A"], ids["B"]]  # overdue first, then due soon
    assert model.overdue(0) and not model.overdue(1)
    assert model.index(0, 1).data() == "OVERDUE"
    assert model.index(0, 1).data(Qt.ItemDataRole.FontRole).bold()
    assert "1 overdue, 1 due within 24 hours" in tab.reviews_label.text()
    shot(window, artifacts_dir, "casework_tab")

    # keyboard: into the list, Enter opens the overdue case
    tab.reviews.setFocus()
    tab.reviews.setCurrentIndex(model.index(0, 0))
    qtbot.keyClick(tab.reviews, Qt.Key.Key_Return)
    screen = window.tabs.currentWidget()
    assert isinstance(screen, CaseScreen) and screen.record_id == ids["A"]
    assert "review overdue" in screen.flags_label.text()
    assert "first contact late" in screen.flags_label.text()
    assert "no IDVA referral" in screen.flags_label.text()  # graded High, no referral

    seen: list[str] = []

    def allocate(dialog: EntryDialog) -> None:
        combo = dialog.widgets["io"]
        assert isinstance(combo, QComboBox)
        combo.setFocus()
        combo.setCurrentIndex(combo.findData("officer1"))
        shot(dialog, artifacts_dir, "casework_allocate")

    answer_with_keyboard(qtbot, monkeypatch, allocate, seen)
    qtbot.keyClick(screen.buttons["allocate"], Qt.Key.Key_Space)
    assert screen.case.io == "officer1"

    def contact(dialog: EntryDialog) -> None:
        note = dialog.widgets["note"]
        assert isinstance(note, QPlainTextEdit)
        note.setFocus()
        type_text(note, "Spoke to her; she is safe at her sister's. Ångström.")
        shot(dialog, artifacts_dir, "casework_contact")

    answer_with_keyboard(qtbot, monkeypatch, contact, seen)
    qtbot.keyClick(screen.buttons["contact"], Qt.Key.Key_Space)
    assert [c.note for c in screen.case.contacts] == ["Spoke to her; she is safe at her sister's. Ångström."]

    def review(dialog: EntryDialog) -> None:
        type_text(dialog.widgets["next_action"], "IO to refer to the IDVA today")

    answer_with_keyboard(qtbot, monkeypatch, review, seen)
    qtbot.keyClick(screen.buttons["review"], Qt.Key.Key_Space)
    assert screen.case.reviews_done == 1 and screen.case.reviews[0].late
    assert "review overdue" not in screen.flags_label.text()

    def referral(dialog: EntryDialog) -> None:
        combo = dialog.widgets["agency"]
        assert isinstance(combo, QComboBox)
        combo.setCurrentIndex(combo.findData("idva"))

    answer_with_keyboard(qtbot, monkeypatch, referral, seen)
    qtbot.keyClick(screen.buttons["referral"], Qt.Key.Key_Space)
    assert "IDVA" not in screen.flags_label.text()
    assert seen == ["Allocate the case", "Log contact with the victim", "Risk review 1", "Record a referral"]

    def accepted(dialog: EntryDialog) -> None:
        combo = dialog.widgets["outcome"]
        assert isinstance(combo, QComboBox)
        combo.setFocus()
        combo.setCurrentIndex(combo.findData("accepted"))

    answer_with_keyboard(qtbot, monkeypatch, accepted, seen)
    qtbot.keyClick(screen.buttons["referral_outcome"], Qt.Key.Key_Space)
    assert [(r.agency, r.outcome) for r in screen.case.referrals] == [("idva", "accepted")]

    # the re-assessment: the form wizard on part 2 of the casework form, signed off the UI thread
    def reassess(cls: Any, parent: Any, policy: Any, kind: str, case: Any) -> Any:
        dialog = cls(parent, policy, kind, case)
        qtbot.addWidget(dialog)
        dialog.show()
        shot(dialog, artifacts_dir, "casework_reassessment")
        return ({k: EXAMPLE[k] for k in PART2} | {"reassessed_grade": "medium"}, SUPERVISOR_PASSWORD)

    monkeypatch.setattr(AssessmentDialog, "ask", classmethod(reassess))
    qtbot.keyClick(screen.buttons["reassess"], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: screen.case.risk_revision == 1, timeout=30_000)
    assert screen.case.grade == "medium"
    history = [screen.history.item(i).text() for i in range(screen.history.count())]
    assert any("re-assessment (part 2) r1: grade Medium (was High)" in line for line in history), history
    # the forms' labels, never codes; one date format (dd/mm/yyyy HH:MM), never ISO
    text = "\n".join(history)
    assert "->" not in text and "risk_unchanged" not in text and " idva " not in text
    assert re.search(r"\d{4}-\d{2}-\d{2}", text) is None, text
    assert all(re.search(r"\b\d{2}/\d{2}/\d{4}\b", line) for line in history), history
    shot(window, artifacts_dir, "casework_case")
    assert tab.retention.isVisible() is False or tab.retention_model.rows == []
    close_app(window)

    # the IO sees the case allocated to them, and no retention list
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    tab = window.casework_hooks.tab  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not tab.loading, timeout=20_000)
    # B is due soon but not theirs; A's next review (the DI's) is days away
    assert tab.reviews_model.rows == [] and "0 overdue, 0 due" in tab.reviews_label.text()
    assert not tab.retention.isVisibleTo(window)
    screen = window.casework_hooks.open_case(ids["A"])  # type: ignore[attr-defined]
    assert screen is not None
    assert screen.buttons["contact"].isEnabled() and not screen.buttons["allocate"].isEnabled()
    close_app(window)


def test_a_supervisor_disposes_of_a_record_from_the_retention_list(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    casework_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    ids = seed(db_path)
    past = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat(timespec="microseconds")
    conn = raw_connect(db_path)
    try:  # as if a decision to retain five years ago set its next MoPI review to yesterday
        conn.execute(
            "UPDATE cases SET retain_until = ?, schedule_key = NULL WHERE record_id = ?", (past, ids["A"])
        )
        conn.commit()
    finally:
        conn.close()
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1366, 768)
    tab = window.casework_hooks.tab  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: not tab.loading, timeout=20_000)
    assert [r.record_id for r in tab.retention_model.rows] == [ids["A"]]
    assert "1 record(s)" in tab.retention_label.text()
    tab.retention.setFocus()
    tab.retention.setCurrentIndex(tab.retention_model.index(0, 0))
    qtbot.keyClick(tab.retention, Qt.Key.Key_Return)
    screen = window.tabs.currentWidget()
    assert isinstance(screen, CaseScreen) and screen.record_id == ids["A"]

    def refuse_unticked(dialog: EntryDialog) -> None:
        shot(dialog, artifacts_dir, "casework_dispose")

    seen: list[str] = []
    answer_with_keyboard(qtbot, monkeypatch, refuse_unticked, seen)
    qtbot.keyClick(screen.buttons["dispose"], Qt.Key.Key_Space)  # the box is not ticked: nothing happens
    assert window.tabs.indexOf(screen) >= 0

    def tick(dialog: EntryDialog) -> None:
        box = dialog.widgets["confirm"]
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)

    answer_with_keyboard(qtbot, monkeypatch, tick, seen)
    qtbot.keyClick(screen.buttons["dispose"], Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.tabs.indexOf(screen) < 0)
    qtbot.waitUntil(lambda: not tab.loading and tab.retention_model.rows == [], timeout=20_000)
    store = window.context.store
    assert [t.record_id for t in store.tombstones(window.context.session)] == [ids["A"]]
    assert store.count_records(window.context.session, search="Alice") == 0
    close_app(window)
