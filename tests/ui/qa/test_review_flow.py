"""Supervisor QA end to end, driving the real widgets as people would: the officer submits, the
supervisor returns it with two question comments, the officer sees them beside the questions, fixes and
resubmits, the supervisor raises the grade with a rationale and approves; the URN is shown and the PDF
carries two valid signatures (pdfsig) and the supervisor's grade and rationale (pdftotext)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.submit import SubmitDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review import ApproveDialog, ReturnDialog, ReviewScreen
from dsvdesk.ui.review.dialogs import ApproveRequest
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.qa.conftest import click_radio, close_app, nss_db, open_app, pdf_pages, pdf_text, pdfsig
from tests.unit.qa.forms import QA_FORM

ANSWERS: dict[str, Any] = {
    "victim_name": "Małgorzata W.",
    "incident_date": "2026-03-01",
    "cad_ref": "CAD1234",
    "previous_incidents": 4,
    "dash_q1": "yes",
    "dash_q2": "no",
    "dash_q3": "no",
    "officer_grade": "standard",
    "marac_referral_date": "2026-03-02",
}
RATIONALE = "Threats to kill disclosed at the scene; 4 incidents in 12 months."


def seed(
    db_path: Path, answers: dict[str, Any], owner: str = "officer1", password: str = OFFICER_PASSWORD
) -> str:
    with Store.open(db_path) as store:
        session = store.login(owner, password)
        return store.create_record(session, load_form_text(QA_FORM, "qa.yaml"), answers).id


def submit_in_app(
    qtbot: QtBot, window: MainWindow, record_id: str, monkeypatch: pytest.MonkeyPatch
) -> RecordView:
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    monkeypatch.setattr(SubmitDialog, "ask", classmethod(lambda cls, parent, **kw: OFFICER_PASSWORD))
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.wizard.read_only, timeout=30_000)
    return view


def open_from_queue(qtbot: QtBot, window: MainWindow) -> ReviewScreen:
    queue = window.qa_hooks.queue  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(queue)
    queue.table.setFocus()
    queue.table.setCurrentIndex(queue.model.index(0, 1))
    qtbot.keyClick(queue.table, Qt.Key.Key_Return)
    screen = window.tabs.currentWidget()
    assert isinstance(screen, ReviewScreen)
    return screen


def write_comment(qtbot: QtBot, screen: ReviewScreen, question_id: str, text: str) -> None:
    screen.wizard.jump_to(question_id)
    qtbot.mouseClick(screen.wizard.comment_buttons[question_id], Qt.MouseButton.LeftButton)
    box = screen.wizard.comment_box(question_id)
    assert box is not None and box.isVisible()
    type_text(box.edit, text)


def test_return_fix_resubmit_regrade_approve(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    record_id = seed(db_path, ANSWERS)

    # 1. The officer submits; officers have no review queue or dashboard.
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert not any("queue" in t.lower() or "dashboard" in t.lower() for t in tabs)
    assert window.qa_hooks.queue is None  # type: ignore[attr-defined]
    submit_in_app(qtbot, window, record_id, monkeypatch)
    close_app(window)

    # 2. The supervisor finds it in the queue and returns it with two question comments.
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1280, 820)
    queue = window.qa_hooks.queue  # type: ignore[attr-defined]
    assert queue.model.rowCount() == 1
    assert queue.model.data(queue.model.index(0, 0)) == "Standard · 1 yes — Potential escalation"
    assert queue.model.data(queue.model.index(0, 1)) == "Małgorzata W."
    assert queue.model.data(queue.model.index(0, 3)) == "Olga Officer"
    window.tabs.setCurrentWidget(queue)
    shot(window, artifacts_dir, "qa_queue")
    screen = open_from_queue(qtbot, window)
    assert screen.can_decide and screen.approve_button.isVisible() and screen.return_button.isVisible()
    assert screen.wizard.block("victim_name").editor.line.isReadOnly()  # type: ignore[union-attr]
    shot(window, artifacts_dir, "qa_review_screen")
    write_comment(qtbot, screen, "victim_name", "Give the full surname as on her passport.")
    write_comment(qtbot, screen, "dash_q2", "Ask again: she told the call-taker she was terrified.")
    assert screen.comment_list.count() == 2
    shot(window, artifacts_dir, "qa_review_comments")
    confirmed: list[Any] = []

    def confirm_return(cls: Any, parent: Any, comments: Any, officer: str) -> bool:
        dialog = cls(parent, comments, officer)
        qtbot.addWidget(dialog)
        shot(dialog, artifacts_dir, "qa_return_dialog")
        confirmed.append((list(comments), officer))
        return True

    monkeypatch.setattr(ReturnDialog, "ask", classmethod(confirm_return))
    qtbot.mouseClick(screen.return_button, Qt.MouseButton.LeftButton)
    assert confirmed and confirmed[0][1] == "Olga Officer" and len(confirmed[0][0]) == 2
    assert not screen.return_button.isVisible() and "Returned to Olga Officer" in screen.banner.text()
    assert queue.model.rowCount() == 0  # no longer waiting
    close_app(window)

    # 3. The officer sees each comment beside its question, fixes the answers and resubmits.
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    window.resize(1280, 820)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView) and not view.wizard.read_only
    assert "Returned by the supervisor" in view.banner.text()
    name_block = view.wizard.block("victim_name")
    assert name_block.review_label.isVisible()
    assert name_block.review_label.text() == "Supervisor: Give the full surname as on her passport."
    view.wizard.jump_to("dash_q2")
    q2 = view.wizard.block("dash_q2")
    assert q2.review_label.isVisible() and "terrified" in q2.review_label.text()
    shot(window, artifacts_dir, "qa_officer_sees_comments")
    line = name_block.editor.line  # type: ignore[union-attr]
    view.wizard.jump_to("victim_name")
    line.selectAll()
    type_text(line, "Małgorzata Wiśniewska")
    view.wizard.jump_to("dash_q2")
    click_radio(qtbot, q2.editor.radios["yes"])  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not view.wizard.autosaver.pending, timeout=3000)  # type: ignore[union-attr]
    qtbot.mouseClick(view.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.wizard.read_only, timeout=30_000)
    close_app(window)

    # 4. The supervisor raises the grade with a rationale and approves; the URN is shown.
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1280, 820)
    queue = window.qa_hooks.queue  # type: ignore[attr-defined]
    assert (
        queue.model.data(queue.model.index(0, 0))
        == "Standard · 2 yes — Potential escalation, Resubmitted after return"
    )
    assert queue.model.data(queue.model.index(0, 1)) == "Małgorzata Wiśniewska"
    screen = open_from_queue(qtbot, window)
    assert screen.history_list.count() == 2  # the earlier return's comments, for reference
    screen.wizard.go_to_page("supervisor")
    click_radio(qtbot, screen.wizard.block("qa_checked").editor.radios["yes"])  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: not screen.wizard.autosaver.pending, timeout=3000)  # type: ignore[union-attr]
    seen: list[str] = []

    def fill_approve(cls: Any, parent: Any, **kwargs: Any) -> ApproveRequest | None:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        assert dialog.officer_grade_label.text() == "Standard"
        dialog.grade.setCurrentIndex(dialog.grade.findData("high"))
        qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)  # no rationale yet: refused
        seen.append(dialog.problems_text())
        dialog.rationale.setFocus()
        type_text(dialog.rationale, RATIONALE)
        type_text(dialog.password, SUPERVISOR_PASSWORD)
        shot(dialog, artifacts_dir, "qa_approve_dialog")
        qtbot.mouseClick(dialog.approve_button, Qt.MouseButton.LeftButton)
        assert dialog.result() == ApproveDialog.DialogCode.Accepted
        return dialog.value()

    monkeypatch.setattr(ApproveDialog, "ask", classmethod(fill_approve))
    qtbot.mouseClick(screen.approve_button, Qt.MouseButton.LeftButton)
    assert seen and "Not approved yet" in seen[0]
    qtbot.waitUntil(lambda: screen.last_urn is not None, timeout=30_000)
    urn = screen.last_urn
    assert urn is not None and urn.startswith("TPS-")
    assert f"URN {urn}" in screen.banner.text()
    assert any(m.title == "Approved" and urn in m.text for m in messages.shown())
    assert screen.amend_button.isVisible() and not screen.approve_button.isVisible()
    shot(window, artifacts_dir, "qa_approved")
    store, session = window.context.store, window.context.session
    approved = store.open_record(session, record_id, justification="Test check")
    assert approved.status == "approved" and approved.urn == urn
    assert approved.answers["supervisor_grade"] == "high"
    pdf_bytes = store.signed_pdf(session, record_id, approved.revision, justification="Test check")
    ca_pem = store.station_ca_pem()
    close_app(window)

    # 5. The approved document: the supervisor's valid, trusted signature over it, the officer's over
    #    the signed submission attached to it unchanged; the grade and rationale on the page.
    from dsvdesk.export.signing import attached_submission

    assert pdf_bytes is not None and ca_pem is not None
    pdf = artifacts_dir / "pdf" / "qa_approved_record.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(pdf_bytes)
    pdf_pages(pdf, artifacts_dir / "pdf" / "qa_approved_record")
    submission = tmp_path / "submission.pdf"
    submission.write_bytes(attached_submission(pdf_bytes) or b"")
    nss = nss_db(tmp_path / "nssdb", ca_pem)
    report = pdfsig(pdf, nss) + pdfsig(submission, nss)
    assert [r["Signature Field Name"] for r in report] == ["SupervisorSignature", "OfficerSignature"]
    for signature in report:
        assert signature["Signature Validation"] == "Signature is Valid."
        assert signature["Certificate Validation"] == "Certificate is Trusted."
    text = pdf_text(pdf)
    assert (
        f"URN {urn}" in " ".join(text.split()) and "Approved" in text
    )  # the body says so, not only the stamp
    assert f"URN: {urn}" in text
    assert "Grade: High" in text
    assert f"Rationale: {RATIONALE}" in text
    assert "Małgorzata Wiśniewska" in text
