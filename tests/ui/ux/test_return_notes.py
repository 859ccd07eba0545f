"""Issue 20, items 10 and 11: the sergeant has one place for what goes back to the officer. A return
carries the comments beside questions, the general comment, the regrade (with its reason) and the MARAC
referral still needed; the Return dialog lists them all; the officer sees each (the regrade beside their
grade, the MARAC need beside their referral question, the general comment in the banner); and the
return shows in the dashboard's "Returned" figure at once. Driven by the keyboard on the real 124D."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.store import Store
from dsvdesk.ui.qt import QApplication, QPlainTextEdit, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review import ReturnDialog, ReviewScreen
from dsvdesk.ui.wizard.editors import RadioChoiceEditor
from dsvdesk.workflow import return_comments, submit_record
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, type_text
from tests.ui.qa.conftest import close_app, open_app

ROOT = Path(__file__).resolve().parents[3]
SPEC = load_form(ROOT / "forms" / "124d.yaml")
REVIEWER = {
    q.id for s in SPEC.sections if s.audience.value == "reviewer" for p in s.pages for q in p.questions
}


def example() -> dict[str, Any]:
    answers = json.loads((ROOT / "tests/data/examples/124d.json").read_text(encoding="utf-8"))
    return {k: v for k, v in answers.items() if k.removesuffix("__comment") not in REVIEWER}


def test_return_comments_gather_the_regrade_the_marac_need_and_the_general_comment() -> None:
    answers = {
        **example(),
        "supervisor_grade": "high",
        "supervisor_rationale": "Threats since the incident.",
        "supervisor_comments": "Good work on the children.",
    }
    notes = return_comments(SPEC, answers, {"victim_surname": "Spell it as on her passport."})
    assert notes["victim_surname"] == "Spell it as on her passport."
    assert notes["supervisor_comments"] == "Good work on the children."
    assert notes["officer_grade"] == (
        "Your supervisor regraded this record to High (you chose Medium). Reason: Threats since the incident."
    )
    assert notes["marac_referral_made"].startswith("A MARAC referral is needed.")
    # nothing to add when the grade is confirmed and no referral is needed
    assert return_comments(SPEC, {**example(), "supervisor_grade": "medium"}, {}) == {}


def focused() -> Any:
    widget = QApplication.focusWidget()
    assert widget is not None
    return widget


@pytest.mark.usefixtures("ui_app")
def test_a_return_carries_everything_and_the_officer_sees_it(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DSVDESK_FORMS", raising=False)  # the shipped forms
    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        record_id = store.create_record(session, SPEC, example()).id
        submit_record(store, session, record_id, OFFICER_PASSWORD)

    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1366, 698)
    dashboard = window.qa_dashboard  # type: ignore[attr-defined]
    window.tabs.setCurrentWidget(dashboard)
    qtbot.waitUntil(lambda: dashboard.board is not None and not dashboard.running, timeout=30_000)
    assert dashboard.board.value("returned.count") == 0
    screen = window.qa_hooks.open_review(record_id)  # type: ignore[attr-defined]
    assert isinstance(screen, ReviewScreen)
    wizard = screen.wizard
    wizard.go_to_page("supervisor_review")
    grade = wizard.block("supervisor_grade").editor
    assert isinstance(grade, RadioChoiceEditor)
    grade.radios["medium"].setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_Down)  # the arrow chooses High
    assert wizard.answers()["supervisor_grade"] == "high"
    qtbot.keyClick(focused(), Qt.Key.Key_Tab)
    assert isinstance(focused(), QPlainTextEdit) and wizard.block("supervisor_rationale").isAncestorOf(
        focused()
    )
    type_text(focused(), "Threats since the incident.")
    general = wizard.block("supervisor_comments").focus_target()
    general.setFocus()
    type_text(general, "Good work on the children.")
    listed_notes = [screen.comment_list.item(i).text() for i in range(screen.comment_list.count())]
    assert any("regraded this record to High" in t for t in listed_notes)
    assert any("Good work on the children." in t for t in listed_notes)
    assert any("A MARAC referral is needed" in t for t in listed_notes)

    listed: list[str] = []

    def confirm(cls: Any, parent: Any, comments: Any, officer_name: str) -> bool:
        dialog = cls(parent, comments, officer_name)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.isActiveWindow)
        listed.extend(dialog.list.item(i).text() for i in range(dialog.list.count()))
        qtbot.keyClick(focused(), Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Return to officer
        qtbot.waitUntil(lambda: dialog.result() == ReturnDialog.DialogCode.Accepted)  # an animated click
        return True

    monkeypatch.setattr(ReturnDialog, "ask", classmethod(confirm))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    wizard.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # &Return to officer…
    qtbot.waitUntil(lambda: str(screen.record.status) == "returned", timeout=10_000)
    assert len(listed) == 3 and any("regraded" in t for t in listed) and any("MARAC" in t for t in listed)
    # the dashboard, shown again, counts the return at once
    window.activateWindow()  # the closed dialog hands the keyboard back
    qtbot.waitUntil(window.isActiveWindow)
    wizard.setFocus()
    qtbot.keyClick(focused(), Qt.Key.Key_D, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is dashboard)
    qtbot.waitUntil(
        lambda: not dashboard.running and dashboard.board.value("returned.count") == 1, timeout=30_000
    )
    close_app(window)

    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    view = window.open_record(record_id)
    assert isinstance(view, RecordView)
    assert (
        "regraded this record to High (you chose Medium)"
        in view.wizard.block("officer_grade").review_label.text()
    )
    assert "A MARAC referral is needed" in view.wizard.block("marac_referral_made").review_label.text()
    assert "Your supervisor also says: Good work on the children." in view.banner.text()
    close_app(window)
