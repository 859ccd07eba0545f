"""End to end on the real Book 124D (forms/124d.yaml) as an officer would do it: every page filled through
the widgets (keyboard and mouse, non-Latin names), a conditional page appearing, the app closed half-way
and reopened exactly as left, the completeness errors listed and fixed, then submitted and signed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import QuestionType
from dsvdesk.store import Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.dialogs.submit import ProblemsDialog, SubmitDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QApplication, QPoint, Qt
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.wizard.editors import (
    ComboChoiceEditor,
    DateEditor,
    DateTimeEditor,
    Editor,
    GridEditor,
    LongTextEditor,
    MultiChoiceEditor,
    NumberEditor,
    RadioChoiceEditor,
    ReferenceEditor,
    RepeatEditor,
    TextEditor,
    TimeEditor,
    YesNoEditor,
)
from dsvdesk.ui.wizard.form_wizard import FormWizard
from tests.ui.conftest import OFFICER_PASSWORD, shot, type_text

# Answers a real officer would give where a default would not do (ids from forms/124d.yaml).
CHOSEN: dict[str, str] = {
    "victim_first_name": "Małgorzata",
    "victim_surname": "Wiśniewska",
    "suspect_first_name": "Tomasz",
    "suspect_surname": "Wiśniewski",
    "victim_dob": "14/03/1991",
    "suspect_dob": "02/07/1988",
    "incident_date": "03/11/2025",
    "has_children": "yes",
    "dash_q2": "yes",
    "dash_q5": "yes",
    "dash_q13": "yes",
    "dash_q14": "yes",
    "declaration_confirm": "yes",
    "previous_incidents_12m": "1",
    "officer_name": "Olga Officer",
    "officer_station": "Test Police Station",
}
LEFT_FOR_LATER = "grade_rationale"  # left empty on purpose: submit must list it


def click_radio(qtbot: QtBot, radio: Any) -> None:
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def fill(qtbot: QtBot, editor: Editor, question_id: str) -> None:
    """Answer one question through its widget, as a user would."""
    question = editor.question
    wanted = CHOSEN.get(question_id)
    if isinstance(editor, YesNoEditor):
        click_radio(qtbot, editor.radios[wanted or "no"])
    elif isinstance(editor, RadioChoiceEditor):
        radio = editor.radios.get(wanted or "") or next(iter(editor.radios.values()))
        click_radio(qtbot, radio)
    elif isinstance(editor, ComboChoiceEditor):
        editor.combo.setFocus()
        qtbot.keyClick(editor.combo, Qt.Key.Key_Down)
    elif isinstance(editor, MultiChoiceEditor):
        qtbot.mouseClick(next(iter(editor.boxes.values())), Qt.MouseButton.LeftButton)
    elif isinstance(editor, GridEditor):
        qtbot.mouseClick(next(iter(editor.boxes.values())), Qt.MouseButton.LeftButton)
    elif isinstance(editor, DateTimeEditor):
        type_text(editor.date_line, "04/11/2025")
        type_text(editor.time_line, "02:15")
    elif isinstance(editor, DateEditor):
        type_text(editor.line, wanted or "01/11/2025")
    elif isinstance(editor, TimeEditor):
        type_text(editor.line, "21:30")
    elif isinstance(editor, NumberEditor):
        type_text(editor.line, wanted or "1")
    elif isinstance(editor, ReferenceEditor):
        type_text(editor.line, question.example)
    elif isinstance(editor, TextEditor):
        type_text(editor.line, wanted or f"{question.label[:20]} — noted")
    elif isinstance(editor, LongTextEditor):
        type_text(editor.text, "Victim said he shouted and pushed her; neighbours called 999.")
    elif isinstance(editor, RepeatEditor):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
        item = editor.item_box(len(editor._items) - 1)
        for field_id, field_editor in item.editors.items():
            if field_editor.value() is None and field_editor.question.type is not QuestionType.COMPUTED:
                fill(qtbot, field_editor, field_id)


def fill_page(qtbot: QtBot, wizard: FormWizard, *, skip: set[str]) -> None:
    """Answer every visible, unanswered question of the page, top to bottom (new ones may appear)."""
    view = wizard._views[wizard.current_page_id]
    done: set[str] = set()
    progress = True
    while progress:
        progress = False
        for question_id, block in view.blocks.items():
            if (
                question_id in done
                or question_id in skip
                or block.editor is None
                or not block.isVisibleTo(view)
            ):
                continue
            done.add(question_id)
            if block.question.type is QuestionType.COMPUTED or block.editor.value() is not None:
                continue
            if not (
                block.question.required
                or block.question.required_when
                or question_id in CHOSEN
                or (
                    block.question.type is QuestionType.REPEAT
                    and question_id in {"children", "officers_attending"}
                )
            ):
                continue
            fill(qtbot, block.editor, question_id)
            progress = True


@pytest.fixture
def real_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DSVDESK_FORMS", raising=False)  # the shipped forms/ folder


def open_app(qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setattr(
        LoginDialog,
        "ask",
        classmethod(lambda cls, parent, store, **kw: store.login("officer1", OFFICER_PASSWORD)),
    )
    window = app_module.start(db_path)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    window.resize(1280, 860)
    qtbot.waitExposed(window)
    return window


def wait_saved(qtbot: QtBot, view: RecordView) -> None:
    qtbot.waitUntil(lambda: not view.has_unsaved(), timeout=5000)


@pytest.mark.slow
@pytest.mark.usefixtures("ui_app", "real_forms")
def test_officer_completes_and_submits_a_real_124d(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, artifacts_dir: Path
) -> None:
    window = open_app(qtbot, db_path, monkeypatch)
    assert window.home is not None
    new_button = window.home.new_buttons["124d"]
    assert new_button.text() == "New 124D"
    qtbot.mouseClick(new_button, Qt.MouseButton.LeftButton)
    view = window.tabs.currentWidget()
    assert isinstance(view, RecordView)
    wizard = view.wizard
    assert "children_list" not in wizard.visible_page_ids()

    # First half: incident to evidence, page by page.
    halfway = "evidence_checklist"
    while wizard.current_page_id != halfway:
        fill_page(qtbot, wizard, skip=set())
        shot(window, artifacts_dir, f"124d_{wizard.current_page_id}")
        if wizard.current_page_id == "children_question":
            assert "children_list" in wizard.visible_page_ids()  # appeared when 'yes' was chosen
        wizard.next_page()
    wait_saved(qtbot, view)
    record_id = view.record_id
    assert wizard.block("victim_name").editor.value() == "Małgorzata Wiśniewska"  # type: ignore[union-attr]
    assert window.tabs.tabText(window.tabs.currentIndex()) == "124D — Małgorzata Wiśniewska"
    window.close()
    window.context.store.close()

    # Reopen: the same page, every answer as it was.
    window = open_app(qtbot, db_path, monkeypatch)
    reopened = window.open_record(record_id)
    assert reopened is not None
    wizard = reopened.wizard
    assert wizard.current_page_id == halfway
    assert wizard.block("victim_first_name").editor.value() == "Małgorzata"  # type: ignore[union-attr]
    assert wizard.block("children").editor.value()[0]["name"]  # type: ignore[union-attr,index]

    # Second half, leaving the grade rationale empty.
    while True:
        fill_page(qtbot, wizard, skip={LEFT_FOR_LATER})
        shot(window, artifacts_dir, f"124d_{wizard.current_page_id}")
        if not wizard.next_button.isEnabled():
            break
        wizard.next_page()
    wait_saved(qtbot, reopened)
    panel = [label.text() for label in wizard.risk_panel.value_labels]
    assert panel[0] == "4"  # DASH yes-count live in the side panel
    assert any("Q13" in text for text in panel)  # high-risk items by their DASH number

    listed: list[str] = []

    def pick_rationale(cls: Any, parent: Any, findings: Any, titles: Any) -> Any:
        listed.extend(f.question_id for f in findings)
        return next(f for f in findings if f.question_id == LEFT_FOR_LATER)

    monkeypatch.setattr(ProblemsDialog, "ask", classmethod(pick_rationale))
    qtbot.mouseClick(reopened.submit_button, Qt.MouseButton.LeftButton)
    assert listed == [LEFT_FOR_LATER]
    rationale = wizard.block(LEFT_FOR_LATER).editor
    assert isinstance(rationale, LongTextEditor)
    assert QApplication.focusWidget() is rationale.text
    shot(window, artifacts_dir, "124d_jumped_to_problem")
    type_text(rationale.text, "Four yes answers, no weapons, suspect arrested: standard by the checklist.")
    wait_saved(qtbot, reopened)

    monkeypatch.setattr(SubmitDialog, "ask", classmethod(lambda cls, parent, **kw: OFFICER_PASSWORD))
    qtbot.mouseClick(reopened.submit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.read_only, timeout=60_000)
    shot(window, artifacts_dir, "124d_submitted")
    window.close()
    window.context.store.close()
    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        record = store.open_record(session, record_id)
        assert record.status == "submitted"
        assert record.answers["victim_first_name"] == "Małgorzata"
        assert store.signed_pdf(session, record_id, record.revision)
