"""The QA screens one by one: the floor refusal in the Approve dialog (nothing saved), a supervisor's own
record cannot be decided, the queue's filters, Amend from an approved record, and each dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui import messages
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review import AmendDialog, ApproveDialog, ReturnDialog, ReviewScreen
from dsvdesk.ui.review.dialogs import ApproveRequest
from dsvdesk.workflow import approve_record, review_question, submit_record
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.qa.conftest import close_app, open_app
from tests.unit.qa.forms import QA_FORM

HIGH = {
    "victim_name": "Ana Popescu",
    "incident_date": "2026-03-01",
    "dash_q1": "yes",
    "dash_q2": "yes",
    "dash_q3": "yes",
    "officer_grade": "high",
    "marac_referral_date": "2026-03-01",
}


def submitted(
    db_path: Path, answers: dict[str, Any], owner: str = "officer1", password: str = OFFICER_PASSWORD
) -> str:
    with Store.open(db_path) as store:
        session = store.login(owner, password)
        ref = store.create_record(session, load_form_text(QA_FORM, "qa.yaml"), answers)
        submit_record(store, session, ref.id, password)
        return ref.id


def test_lowering_below_the_floor_is_refused_with_the_reason_and_nothing_is_saved(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    record_id = submitted(db_path, HIGH)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    refused: list[str] = []

    def try_lowering(cls: Any, parent: Any, **kwargs: Any) -> ApproveRequest | None:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.grade.setCurrentIndex(dialog.grade.findData("standard"))
        type_text(dialog.rationale, "I think it is lower")
        type_text(dialog.password, SUPERVISOR_PASSWORD)
        qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
        refused.append(dialog.problems_text())
        shot(dialog, artifacts_dir, "qa_approve_refused_floor")
        assert dialog.result() != ApproveDialog.DialogCode.Accepted
        return None  # the supervisor cancels

    monkeypatch.setattr(ApproveDialog, "ask", classmethod(try_lowering))
    qtbot.mouseClick(screen.approve_button, Qt.MouseButton.LeftButton)
    assert refused and "cannot be lower than High" in refused[0]
    record = window.context.store.open_record(window.context.session, record_id, justification="Test check")
    assert record.status == "submitted" and "supervisor_grade" not in record.answers  # nothing saved
    assert screen.approve_button.isVisible() and screen.can_decide
    close_app(window)


def test_a_supervisor_cannot_decide_on_their_own_record(
    *, qtbot: QtBot, ui_app: QApplication, db_path: Path, qa_forms: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_id = submitted(
        db_path, {**HIGH, "victim_name": "Own Record"}, owner="super1", password=SUPERVISOR_PASSWORD
    )
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    assert not screen.can_decide
    assert not screen.approve_button.isVisible() and not screen.return_button.isVisible()
    assert "another supervisor must review it" in screen.banner.text()
    monkeypatch.setattr(
        ApproveDialog, "ask", classmethod(lambda cls, *a, **k: pytest.fail("no approval of one's own record"))
    )
    screen.approve()
    screen.add_comment("victim_name", "x") if "victim_name" in screen.wizard.comment_buttons else None
    screen.return_record()
    assert window.context.store.open_record(window.context.session, record_id).status == "submitted"
    close_app(window)


def test_queue_filters_and_search(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    submitted(db_path, {**HIGH, "victim_name": "Anna Nowak", "incident_date": "2026-02-01"})
    submitted(
        db_path, {**HIGH, "victim_name": "Bronwen Pritchard", "previous_incidents": 5}, owner="officer2"
    )
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    queue = window.qa_hooks.queue  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(queue)
    assert queue.model.rowCount() == 2
    queue.flag.setCurrentIndex(queue.flag.findData("potential_escalation"))
    assert queue.model.rowCount() == 1 and queue.model.record_at(0).victim_name == "Bronwen Pritchard"
    queue.flag.setCurrentIndex(0)
    queue.officer.setCurrentIndex(queue.officer.findData("officer1"))
    assert queue.model.rowCount() == 1 and queue.model.record_at(0).victim_name == "Anna Nowak"
    queue.officer.setCurrentIndex(0)
    queue.date_from.setText("15/02/2026")
    queue.apply_filters()
    assert queue.model.rowCount() == 1 and queue.model.record_at(0).victim_name == "Bronwen Pritchard"
    queue.date_from.setText("31/02/2026")  # not a day: said beside the filters, the list unchanged
    queue.apply_filters()
    assert queue.problem_label.isVisible() and "not a date" in queue.problem_label.text()
    queue.clear_filters()
    assert queue.model.rowCount() == 2 and not queue.problem_label.isVisible()
    type_text(queue.search, "anna")
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1, timeout=3000)
    assert queue.count_label.text() == "1 record"
    queue.clear_filters()
    queue.flag.setCurrentIndex(queue.flag.findData("resubmitted"))
    assert queue.model.rowCount() == 0 and queue.empty_label.isVisible()
    assert queue.empty_label.text() == "No records match these filters."
    close_app(window)


def test_amend_an_approved_record_from_the_officer_tab(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    record_id = submitted(db_path, HIGH)
    with Store.open(db_path) as store:
        approve_record(store, store.login("super1", SUPERVISOR_PASSWORD), record_id, SUPERVISOR_PASSWORD)
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView) and view.wizard.read_only
    amend = next(
        b for b in view.wizard.findChildren(type(view.submit_button)) if b.objectName() == "amendButton"
    )
    assert amend.isVisible()
    monkeypatch.setattr(
        AmendDialog, "ask", classmethod(lambda cls, parent, label, urn: "Date of birth entered wrongly")
    )
    qtbot.mouseClick(amend, Qt.MouseButton.LeftButton)
    reopened = window.tabs.currentWidget()
    assert isinstance(reopened, RecordView) and reopened is not view
    assert reopened.record.revision == 2 and reopened.record.supersedes == 1 and not reopened.wizard.read_only
    assert reopened.record.amend_reason == "Date of birth entered wrongly"
    close_app(window)


# ----------------------------------------------------------------------------------- dialogs
def test_return_dialog_needs_a_comment(qtbot: QtBot, ui_app: QApplication) -> None:
    dialog = ReturnDialog(None, [], "Olga Officer")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.return_button.click()
    assert dialog.error_label.isVisible() and dialog.result() != ReturnDialog.DialogCode.Accepted
    ok = ReturnDialog(None, [("Victim's full name", "Full name please")], "Olga Officer")
    qtbot.addWidget(ok)
    assert ok.list.count() == 1
    with qtbot.waitSignal(ok.accepted):
        ok.return_button.click()


def test_amend_dialog(qtbot: QtBot, ui_app: QApplication, artifacts_dir: Path) -> None:
    dialog = AmendDialog(None, "Ana Popescu", "TPS-2026-00001")
    qtbot.addWidget(dialog)
    dialog.show()
    type_text(dialog.reason, "short")
    dialog.amend_button.click()
    assert dialog.error_label.isVisible()
    type_text(dialog.reason, " — the date of birth was wrong")
    shot(dialog, artifacts_dir, "qa_amend_dialog")
    with qtbot.waitSignal(dialog.accepted):
        dialog.amend_button.click()
    assert dialog.value() == "short — the date of birth was wrong"


def test_approve_dialog_without_a_grade_question_and_without_password(
    qtbot: QtBot, ui_app: QApplication
) -> None:
    spec = load_form_text(QA_FORM, "qa.yaml")
    dialog = ApproveDialog(
        None,
        grade_question=review_question(spec, "grade"),
        officer_grade="High",
        grade=None,
        rationale="",
        check=lambda grade, rationale: [],
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.approve_button.click()
    assert "Enter your password" in dialog.error_label.text()
    assert dialog.value() == ApproveRequest(None, None, "")
    bare = ApproveDialog(
        None, grade_question=None, officer_grade="", grade=None, rationale="", check=lambda g, r: []
    )
    qtbot.addWidget(bare)
    assert bare.officer_grade_label.text() == "not recorded" and bare.chosen_grade() is None
    type_text(bare.password, "pw")
    with qtbot.waitSignal(bare.accepted):
        bare.approve_button.click()
    assert messages.shown() == []
