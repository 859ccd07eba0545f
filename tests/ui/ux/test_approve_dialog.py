"""Issue 20, item 4: the approve dialog's findings lead somewhere (a list; Enter on one goes to its
question on the review screen, as the officer's submit does), confirming the officer's grade is a real
choice that sends that grade, and nothing in the dialog is clipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui.qt import QApplication, Qt, QWidget
from dsvdesk.ui.review import ApproveDialog, ReviewScreen
from dsvdesk.ui.review.dialogs import ApproveJump, ApproveRequest
from dsvdesk.workflow import review_question, submit_record
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot, type_text
from tests.ui.qa.conftest import close_app, open_app, qa_forms  # noqa: F401 (a fixture)
from tests.unit.qa.forms import QA_FORM

MEDIUM = {
    "victim_name": "Ana Popescu",
    "incident_date": "2026-03-01",
    "dash_q1": "yes",
    "officer_grade": "medium",
}


def _submitted(db_path: Path) -> str:
    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        ref = store.create_record(session, load_form_text(QA_FORM, "qa.yaml"), MEDIUM)
        submit_record(store, session, ref.id, OFFICER_PASSWORD)
        return ref.id


def assert_inside(widget: QWidget, window: QWidget) -> None:
    """Shown, not squeezed below its minimum, and wholly inside ``window``."""
    top_left = widget.mapTo(window, widget.rect().topLeft())
    assert window.rect().contains(top_left) and window.rect().contains(
        widget.mapTo(window, widget.rect().bottomRight())
    ), f"{widget.objectName() or type(widget).__name__} is outside its window"
    hint = widget.minimumSizeHint()
    if widget.sizePolicy().verticalPolicy() != widget.sizePolicy().Policy.Ignored:
        assert widget.height() >= min(hint.height(), widget.maximumHeight()) - 1, (
            f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r} is clipped"
        )


def test_confirming_the_officers_grade_sends_that_grade(qtbot: QtBot, ui_app: QApplication) -> None:
    spec = load_form_text(QA_FORM, "qa.yaml")
    dialog = ApproveDialog(
        None,
        grade_question=review_question(spec, "grade"),
        officer_grade="Medium",
        officer_grade_value="medium",
        grade=None,
        rationale="",
        check=lambda grade, rationale: [],
    )
    qtbot.addWidget(dialog)
    assert dialog.grade.currentText() == "Confirm the officer's grade: Medium"
    assert dialog.chosen_grade() == "medium"
    type_text(dialog.password, "pw")
    assert dialog.value() == ApproveRequest("medium", None, "pw")
    none_recorded = ApproveDialog(
        None,
        grade_question=review_question(spec, "grade"),
        officer_grade="",
        grade=None,
        rationale="",
        check=lambda grade, rationale: ["Choose the supervisor's grade."],
    )
    qtbot.addWidget(none_recorded)
    assert none_recorded.grade.currentText() == "Choose a grade" and none_recorded.chosen_grade() is None


@pytest.mark.usefixtures("ui_app", "qa_forms")
def test_a_finding_in_the_approve_dialog_goes_to_its_question(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    record_id = _submitted(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    seen: dict[str, Any] = {}

    def choose_a_problem(cls: Any, parent: Any, **kwargs: Any) -> Any:
        dialog = cls(parent, **kwargs)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        assert dialog.grade.currentText() == "Confirm the officer's grade: Medium"
        dialog.grade.setFocus()
        qtbot.keyClick(dialog.grade, Qt.Key.Key_End)  # High: a change of grade needs a rationale
        assert dialog.chosen_grade() == "high"
        dialog.password.setFocus()
        type_text(dialog.password, SUPERVISOR_PASSWORD)
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # no rationale yet: listed, not approved
        assert dialog.isVisible() and dialog.problem_list.isVisible()
        seen["problems"] = dialog.problems_text()
        QApplication.processEvents()
        for widget in (dialog.heading, dialog.error_label, dialog.problem_list, dialog.approve_button):
            assert_inside(widget, dialog)
        shot(dialog, artifacts_dir, "ux_approve_findings")
        dialog.problem_list.setFocus()
        qtbot.keyClick(dialog.problem_list, Qt.Key.Key_Return)
        assert isinstance(dialog.jump, ApproveJump)
        return dialog.jump

    monkeypatch.setattr(ApproveDialog, "ask", classmethod(choose_a_problem))
    qtbot.mouseClick(screen.approve_button, Qt.MouseButton.LeftButton)
    assert "Supervisor review:" in seen["problems"]
    assert screen.wizard.current_page_id == "supervisor"
    focus = window.focusWidget()  # the window's focus (the offscreen platform may not activate it)
    block = screen.wizard.block("supervisor_rationale")
    assert focus is not None and block.isAncestorOf(focus)
    close_app(window)
