"""The generated wizard, driven by keyboard and mouse against an inline form with every question type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import FormSpec, QuestionType
from dsvdesk.errors import UserFacingError
from dsvdesk.store.errors import SaveConflict
from dsvdesk.ui.qt import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QPoint,
    QRadioButton,
    Qt,
    QWidget,
)
from dsvdesk.ui.wizard.editors import (
    ComboChoiceEditor,
    ComputedEditor,
    DateEditor,
    DateTimeEditor,
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
from dsvdesk.ui.wizard.form_wizard import COMPLETE, HAS_ERRORS, NOT_VISITED, FormWizard
from tests.ui.conftest import shot, type_text


class DictSink:
    """An in-memory autosave target that records every committed answer in order."""

    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}
        self.calls: list[str] = []
        self.fail_with: Exception | None = None

    def save(self, answer_id: str, value: Any) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.calls.append(answer_id)
        if value is None:
            self.saved.pop(answer_id, None)
        else:
            self.saved[answer_id] = value


@pytest.fixture
def sink() -> DictSink:
    return DictSink()


@pytest.fixture
def wizard(qtbot: QtBot, ui_app: QApplication, spec: FormSpec, sink: DictSink) -> FormWizard:
    widget = FormWizard(spec, {}, sink=sink)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click on the indicator: a stretched radio's centre may miss it (docs/stack.md §2a)."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def test_one_editor_per_question_type(wizard: FormWizard) -> None:
    expected = {
        "victim_name": TextEditor,
        "incident_date": DateEditor,
        "incident_time": TimeEditor,
        "reported_at": DateTimeEditor,
        "cad_ref": ReferenceEditor,
        "people_present": NumberEditor,
        "loss_value": NumberEditor,
        "narrative": LongTextEditor,
        "relationship": RadioChoiceEditor,  # 3 choices: radios
        "borough": ComboChoiceEditor,  # 7 choices: a drop-down
        "vulnerabilities": MultiChoiceEditor,
        "has_children": YesNoEditor,
        "children": RepeatEditor,
        "q1": YesNoEditor,
        "fear_grid": GridEditor,
        "yes_count": ComputedEditor,
    }
    for question_id, editor_type in expected.items():
        assert isinstance(wizard.block(question_id).editor, editor_type), question_id
    assert wizard.block("guidance").editor is None  # a note is text only
    assert wizard.block("cad_ref").editor.line.placeholderText() == "e.g. CAD1234"  # type: ignore[union-attr]


def test_every_input_has_an_accessible_name(wizard: FormWizard) -> None:
    for page_id in wizard.visible_page_ids():
        wizard.go_to_page(page_id)
    inputs = (QLineEdit, QPlainTextEdit, QRadioButton, QCheckBox, QComboBox)
    unnamed = [
        f"{type(w).__name__} in {w.parentWidget().objectName() or type(w.parentWidget()).__name__}"
        for view in wizard._views.values()
        for w in view.findChildren(QWidget)
        if isinstance(w, inputs) and not w.accessibleName()
    ]
    assert unnamed == []


def test_tab_order_follows_the_page(qtbot: QtBot, wizard: FormWizard) -> None:
    wizard.go_to_page("details")
    first = wizard.block("victim_name").focus_target()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    order = []
    for _ in range(9):
        order.append(QApplication.focusWidget())
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    expected = [
        wizard.block("victim_name").editor.line,  # type: ignore[union-attr]
        wizard.block("incident_date").editor.line,  # type: ignore[union-attr]
        wizard.block("incident_time").editor.line,  # type: ignore[union-attr]
        wizard.block("reported_at").editor.date_line,  # type: ignore[union-attr]
        wizard.block("reported_at").editor.time_line,  # type: ignore[union-attr]
        wizard.block("cad_ref").editor.line,  # type: ignore[union-attr]
        wizard.block("people_present").editor.line,  # type: ignore[union-attr]
        wizard.block("loss_value").editor.line,  # type: ignore[union-attr]
        wizard.block("narrative").editor.text,  # type: ignore[union-attr]
    ]
    assert order == expected


def test_typing_autosaves_within_the_debounce_and_says_saved(
    qtbot: QtBot, wizard: FormWizard, sink: DictSink
) -> None:
    line = wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    line.setFocus()
    type_text(line, "Zoë Ångström 王小明")
    assert sink.saved == {}  # debounced: nothing yet
    qtbot.waitUntil(lambda: sink.saved.get("victim_name") == "Zoë Ångström 王小明", timeout=2000)
    assert sink.calls == ["victim_name"]  # one save for the whole burst of typing
    assert wizard.status_label.text().startswith("Saved ")


def test_dates_times_numbers_are_stored_as_values(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    type_text(wizard.block("incident_date").editor.line, "03/11/2025")  # type: ignore[union-attr]
    type_text(wizard.block("incident_time").editor.line, "2130")  # type: ignore[union-attr]
    type_text(wizard.block("reported_at").editor.date_line, "2025-11-04")  # type: ignore[union-attr]
    type_text(wizard.block("reported_at").editor.time_line, "01:05")  # type: ignore[union-attr]
    type_text(wizard.block("people_present").editor.line, "4")  # type: ignore[union-attr]
    type_text(wizard.block("loss_value").editor.line, "120.50")  # type: ignore[union-attr]
    assert wizard.flush()
    assert sink.saved == {
        "incident_date": "2025-11-03",
        "incident_time": "21:30",
        "reported_at": "2025-11-04T01:05",
        "people_present": 4,
        "loss_value": 120.5,
    }


def test_calendar_popup_picks_a_date(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    editor = wizard.block("incident_date").editor
    assert isinstance(editor, DateEditor)
    from dsvdesk.ui.qt import QDate

    editor.calendar_button.calendar.clicked.emit(QDate(2025, 10, 31))
    assert editor.line.text() == "31/10/2025"
    assert wizard.flush()
    assert sink.saved["incident_date"] == "2025-10-31"


def test_inline_constraint_message_as_the_user_types(qtbot: QtBot, wizard: FormWizard) -> None:
    block = wizard.block("cad_ref")
    type_text(block.editor.line, "CAD12")  # type: ignore[union-attr]
    assert block.message_label.isVisible()
    assert block.messages_text
    type_text(block.editor.line, "34")  # type: ignore[union-attr]
    assert not block.message_label.isVisible()
    future = wizard.block("incident_date")
    type_text(future.editor.line, "01/01/2999")  # type: ignore[union-attr]
    assert "cannot be in the future" in future.messages_text


def test_required_messages_wait_until_the_page_is_left(qtbot: QtBot, wizard: FormWizard) -> None:
    assert wizard.current_page_id == "details"
    assert wizard.block("victim_name").messages_text == ""
    assert wizard.page_list.item(0).text().startswith("○")  # not visited
    wizard.next_page()
    wizard.previous_page()
    assert "an answer is needed" in wizard.block("victim_name").messages_text
    assert wizard._page_state["details"][1] == HAS_ERRORS
    type_text(wizard.block("victim_name").editor.line, "Anna")  # type: ignore[union-attr]
    type_text(wizard.block("incident_date").editor.line, "01/11/2025")  # type: ignore[union-attr]
    assert wizard.block("victim_name").messages_text == ""
    assert wizard._page_state["details"][1] == COMPLETE
    assert wizard._page_state["checklist"][1] == NOT_VISITED


def test_show_when_question_and_page_appear_live(
    qtbot: QtBot, wizard: FormWizard, sink: DictSink, artifacts_dir: Path
) -> None:
    wizard.go_to_page("people")
    children = wizard.block("children")
    assert not children.isVisible()
    has_children = wizard.block("has_children").editor
    assert isinstance(has_children, YesNoEditor)
    click_radio(qtbot, has_children.radios["yes"])
    assert children.isVisible()

    stalking_row = wizard._page_index["stalking"]
    assert wizard.page_list.item(stalking_row).isHidden()
    wizard.go_to_page("checklist")
    q2 = wizard.block("q2").editor
    assert isinstance(q2, YesNoEditor)
    q2.radios["yes"].setFocus()
    qtbot.keyClick(q2.radios["yes"], Qt.Key.Key_Space)
    assert not wizard.page_list.item(stalking_row).isHidden()
    assert "stalking" in wizard.visible_page_ids()
    wizard.next_page()
    assert wizard.current_page_id == "stalking"
    shot(wizard, artifacts_dir, "wizard_stalking_page_appeared")


def test_yes_no_labels_and_clear(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    wizard.go_to_page("checklist")
    editor = wizard.block("q3").editor
    assert isinstance(editor, YesNoEditor)
    # no mnemonics on answers: they repeated on every question (issue 20; tests/ui/ux/test_keyboard.py)
    assert editor.radios["yes"].text() == "Yes"
    assert editor.radios["not_asked"].text() == "Not asked"
    click_radio(qtbot, editor.radios["no"])
    assert editor.value() == "no"
    assert editor.clear_button.isVisible()
    qtbot.mouseClick(editor.clear_button, Qt.MouseButton.LeftButton)
    assert editor.value() is None
    assert wizard.flush()
    assert "q3" not in sink.saved
    assert sink.calls == ["q3"]  # saved "no", then the clearing replaced it before the debounce fired


def test_computed_summary_and_rules_update_live_and_jump(
    qtbot: QtBot, wizard: FormWizard, artifacts_dir: Path
) -> None:
    wizard.go_to_page("checklist")
    for qid in ("q1", "q2", "q3"):
        editor = wizard.block(qid).editor
        assert isinstance(editor, YesNoEditor)
        click_radio(qtbot, editor.radios["yes"])
    assert wizard.block("yes_count").editor.label.text() == "3"  # type: ignore[union-attr]
    assert wizard.risk_panel.value_labels[0].text() == "3"
    panel = wizard.risk_panel.findings
    messages = [panel.item(i).text() for i in range(panel.count())]
    assert any("grade must be High" in m for m in messages)
    shot(wizard, artifacts_dir, "wizard_rules_fired")
    wizard.go_to_page("details")
    row = next(i for i in range(panel.count()) if "grade must be High" in panel.item(i).text())
    panel.setFocus()
    panel.setCurrentRow(row)
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    assert wizard.current_page_id == "checklist"
    grade = wizard.block("grade").editor
    assert isinstance(grade, RadioChoiceEditor)
    assert grade.isAncestorOf(QApplication.focusWidget())
    click_radio(qtbot, grade.radios["high"])
    assert not any("grade must be High" in panel.item(i).text() for i in range(panel.count()))
    assert wizard.risk_panel.value_labels[1].text() == "High"


def test_not_asked_needs_a_comment(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    wizard.go_to_page("checklist")
    block = wizard.block("q1")
    editor = block.editor
    assert isinstance(editor, YesNoEditor)
    click_radio(qtbot, editor.radios["not_asked"])
    assert "needs a comment" in block.messages_text
    assert block.comment_edit is not None
    type_text(block.comment_edit, "Victim too distressed; children present")
    assert "needs a comment" not in block.messages_text
    assert wizard.flush()
    assert sink.saved["q1__comment"] == "Victim too distressed; children present"


def test_repeat_add_fill_reorder_remove(
    qtbot: QtBot, wizard: FormWizard, sink: DictSink, artifacts_dir: Path
) -> None:
    wizard.go_to_page("people")
    click_radio(qtbot, wizard.block("has_children").editor.radios["yes"])  # type: ignore[union-attr]
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    first = editor.item_box(0)
    assert QApplication.focusWidget() is first.editors["name"].focus_target()
    type_text(first.editors["name"].focus_target(), "Mia")
    type_text(first.editors["age"].focus_target(), "7")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    type_text(editor.item_box(1).editors["name"].focus_target(), "Jan")
    shot(wizard, artifacts_dir, "wizard_repeat_items")
    assert editor.value() == [{"name": "Mia", "age": 7}, {"name": "Jan"}]
    qtbot.mouseClick(editor.item_box(1).up_button, Qt.MouseButton.LeftButton)
    assert editor.value() == [{"name": "Jan"}, {"name": "Mia", "age": 7}]
    assert not editor.item_box(0).up_button.isEnabled()
    qtbot.mouseClick(
        editor.item_box(0).remove_button, Qt.MouseButton.LeftButton
    )  # confirm: none given → removes
    assert editor.value() == [{"name": "Mia", "age": 7}]
    assert wizard.flush()
    assert sink.saved["children"] == [{"name": "Mia", "age": 7}]


def test_repeat_item_problems_show_on_the_item_and_jump(qtbot: QtBot, wizard: FormWizard) -> None:
    wizard.go_to_page("people")
    click_radio(qtbot, wizard.block("has_children").editor.radios["yes"])  # type: ignore[union-attr]
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    type_text(editor.item_box(0).editors["age"].focus_target(), "seven")
    assert "Age" in editor.item_box(0).message_label.text()
    wizard.show_all_problems = True
    wizard.rebase(wizard.answers())
    finding = next(f for f in wizard.evaluation.findings if f.field_id == "name")
    wizard.go_to_page("details")
    wizard.jump_to_finding(finding)
    assert QApplication.focusWidget() is editor.item_box(0).editors["name"].focus_target()


def test_repeat_max_items(qtbot: QtBot, wizard: FormWizard) -> None:
    wizard.go_to_page("people")
    click_radio(qtbot, wizard.block("has_children").editor.radios["yes"])  # type: ignore[union-attr]
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    for _ in range(5):
        qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    assert not editor.add_button.isEnabled()


def test_grid_multichoice_combo(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    wizard.go_to_page("checklist")
    grid = wizard.block("fear_grid").editor
    assert isinstance(grid, GridEditor)
    qtbot.mouseClick(grid.boxes[("kill", "self")], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(grid.boxes[("injury", "children")], Qt.MouseButton.LeftButton)
    wizard.go_to_page("people")
    multi = wizard.block("vulnerabilities").editor
    assert isinstance(multi, MultiChoiceEditor)
    multi.boxes["language"].setFocus()
    qtbot.keyClick(multi.boxes["language"], Qt.Key.Key_Space)
    combo = wizard.block("borough").editor
    assert isinstance(combo, ComboChoiceEditor)
    combo.combo.setFocus()
    qtbot.keyClick(combo.combo, Qt.Key.Key_Down)
    qtbot.keyClick(combo.combo, Qt.Key.Key_Down)
    assert wizard.flush()
    assert sink.saved["fear_grid"] == {"kill": ["self"], "injury": ["children"]}
    assert sink.saved["vulnerabilities"] == ["language"]
    assert sink.saved["borough"] == "Hackney"


def test_keyboard_page_navigation_and_help(qtbot: QtBot, wizard: FormWizard) -> None:
    line = wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    line.setFocus()
    qtbot.keyClick(line, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert wizard.current_page_id == "people"
    focus = QApplication.focusWidget()
    assert focus is not None and wizard.isAncestorOf(focus)
    qtbot.keyClick(focus, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert wizard.current_page_id == "details"
    cad = wizard.block("cad_ref")
    cad.editor.line.setFocus()  # type: ignore[union-attr]
    assert not cad.help_label.isVisible()
    qtbot.keyClick(cad.editor.line, Qt.Key.Key_F1)  # type: ignore[union-attr]
    assert cad.help_label.isVisible()
    assert cad.help_button is not None
    qtbot.mouseClick(cad.help_button, Qt.MouseButton.LeftButton)
    assert not cad.help_label.isVisible()


def test_enter_in_a_field_does_not_press_buttons(qtbot: QtBot, wizard: FormWizard) -> None:
    line = wizard.block("victim_name").editor.line  # type: ignore[union-attr]
    line.setFocus()
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert wizard.current_page_id == "details"


def test_page_list_jumps_to_a_page(qtbot: QtBot, wizard: FormWizard) -> None:
    item = wizard.page_list.item(wizard._page_index["checklist"])
    rect = wizard.page_list.visualItemRect(item)
    qtbot.mouseClick(wizard.page_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert wizard.current_page_id == "checklist"
    assert wizard.back_button.isEnabled()
    assert not wizard.next_button.isEnabled()  # last visible page


def test_reopen_shows_answers_and_start_page(qtbot: QtBot, ui_app: QApplication, spec: FormSpec) -> None:
    answers = {
        "victim_name": "Anna Kowalska",
        "incident_date": "2025-11-03",
        "reported_at": "2025-11-04T01:05",
        "has_children": "yes",
        "children": [{"name": "Mia", "age": 7}],
        "q1": "not_asked",
        "q1__comment": "Too distressed",
        "fear_grid": {"kill": ["self"]},
        "vulnerabilities": ["pregnancy"],
        "borough": "Camden",
    }
    widget = FormWizard(spec, answers, start_page="people", visited=["details"])
    qtbot.addWidget(widget)
    assert widget.current_page_id == "people"
    assert widget.block("children").editor.value() == [{"name": "Mia", "age": 7}]  # type: ignore[union-attr]
    assert widget.block("borough").editor.value() == "Camden"  # type: ignore[union-attr]
    assert widget.block("incident_date").editor.line.text() == "03/11/2025"  # type: ignore[union-attr]
    assert widget.block("q1").comment_edit.toPlainText() == "Too distressed"  # type: ignore[union-attr]
    assert widget.block("fear_grid").editor.value() == {"kill": ["self"]}  # type: ignore[union-attr]
    assert {k: v for k, v in widget.answers().items()} == answers  # loading never changes an answer


def test_read_only_with_review_comments_and_reviewer_sections(
    qtbot: QtBot, ui_app: QApplication, spec: FormSpec, artifacts_dir: Path
) -> None:
    officer_view = FormWizard(spec, {"victim_name": "Anna"})
    qtbot.addWidget(officer_view)
    assert "supervisor" not in officer_view.visible_page_ids()
    review = FormWizard(
        spec,
        {"victim_name": "Anna", "q1": "yes"},
        audiences=("author", "reviewer"),
        read_only=True,
        review_comments={"q1": "What injury? Describe it in the comment."},
    )
    qtbot.addWidget(review)
    review.resize(1200, 800)
    review.show()
    assert "supervisor" in review.visible_page_ids()
    block = review.block("q1")
    assert block.review_label.isVisible() is False  # page not shown yet
    review.go_to_page("checklist")
    assert block.review_label.isVisible()
    assert "What injury?" in block.review_label.text()
    editor = block.editor
    assert isinstance(editor, YesNoEditor)
    assert not editor.radios["no"].isEnabled()
    assert not editor.clear_button.isVisible()
    name = review.block("victim_name").editor.line  # type: ignore[union-attr]
    assert name.isReadOnly()
    shot(review, artifacts_dir, "wizard_read_only_with_comment")


def test_save_failure_keeps_typing_and_retries(qtbot: QtBot, wizard: FormWizard, sink: DictSink) -> None:
    failures: list[object] = []
    assert wizard.autosaver is not None
    wizard.autosaver.failed.connect(failures.append)
    sink.fail_with = UserFacingError("The disk is full.")
    type_text(wizard.block("victim_name").editor.line, "Anna")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(failures), timeout=2000)
    assert wizard.autosaver.pending == {"victim_name": "Anna"}
    assert "Not saved yet" in wizard.status_label.text()
    sink.fail_with = None
    assert wizard.flush()
    assert sink.saved == {"victim_name": "Anna"}


def test_conflict_pauses_autosave_without_losing_anything(
    qtbot: QtBot, wizard: FormWizard, sink: DictSink
) -> None:
    conflicts: list[object] = []
    assert wizard.autosaver is not None
    wizard.autosaver.conflict.connect(conflicts.append)
    sink.fail_with = SaveConflict("changed elsewhere", current_version=9)
    type_text(wizard.block("victim_name").editor.line, "Anna")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(conflicts), timeout=2000)
    assert wizard.autosaver.paused
    assert wizard.autosaver.pending == {"victim_name": "Anna"}
    sink.fail_with = None
    wizard.rebase({"narrative": "typed elsewhere"}, keep=wizard.autosaver.pending)
    assert wizard.answers() == {"narrative": "typed elsewhere", "victim_name": "Anna"}
    assert wizard.block("narrative").editor.value() == "typed elsewhere"  # type: ignore[union-attr]
    wizard.autosaver.resume()
    qtbot.waitUntil(lambda: sink.saved.get("victim_name") == "Anna", timeout=2000)


def test_page_screenshots(qtbot: QtBot, wizard: FormWizard, artifacts_dir: Path) -> None:
    type_text(wizard.block("victim_name").editor.line, "Wiktoria Wiśniewska")  # type: ignore[union-attr]
    for page_id in wizard.visible_page_ids():
        wizard.go_to_page(page_id)
        shot(wizard, artifacts_dir, f"wizard_page_{page_id}")
    assert all(q.type in QuestionType for _s, _p, q in wizard.spec.iter_questions())


def _shipped_forms() -> list[str]:
    from dsvdesk.paths import install_root

    return sorted(p.stem for p in (install_root() / "forms").glob("*.yaml"))


@pytest.mark.parametrize("form_file", _shipped_forms())
def test_every_shipped_form_renders_every_page_with_named_inputs(
    qtbot: QtBot, ui_app: QApplication, form_file: str, artifacts_dir: Path
) -> None:
    from dsvdesk.engine.loader import load_form
    from dsvdesk.paths import install_root

    spec = load_form(install_root() / "forms" / f"{form_file}.yaml")
    widget = FormWizard(spec, {}, audiences=("author", "reviewer"))
    qtbot.addWidget(widget)
    widget.resize(1280, 860)
    widget.show()
    inputs = (QLineEdit, QPlainTextEdit, QRadioButton, QCheckBox, QComboBox)
    for page in widget.pages:
        widget.go_to_page(page.id)
        view = widget._views[page.id]
        assert [
            w for w in view.findChildren(QWidget) if isinstance(w, inputs) and not w.accessibleName()
        ] == []
    widget.go_to_page(widget.pages[0].id)
    shot(widget, artifacts_dir, f"form_{spec.id}_first_page")


class StoreSink:
    """The wizard saving into a real (encrypted) store, as the app's record view does."""

    def __init__(self, store: Any, session: Any, record_id: str, version: int) -> None:
        self.store, self.session, self.record_id, self.version = store, session, record_id, version

    def save(self, answer_id: str, value: Any) -> None:
        self.version = self.store.save_answer(self.session, self.record_id, answer_id, value, self.version)


def test_a_replaced_database_file_stops_saving_and_keeps_the_typing(  # noqa: PLR0917 - fixtures
    qtbot: QtBot, ui_app: QApplication, spec: FormSpec, store: Any, db_path: Path, tmp_path: Path
) -> None:
    from tests.helpers.encrypted import copy_station, raw_connect
    from tests.ui.conftest import OFFICER_PASSWORD

    session = store.login("officer1", OFFICER_PASSWORD)
    ref = store.create_record(session, spec, {})
    sink = StoreSink(store, session, ref.id, ref.version)
    widget = FormWizard(spec, {}, sink=sink)
    qtbot.addWidget(widget)
    widget.show()
    failures: list[object] = []
    assert widget.autosaver is not None
    widget.autosaver.failed.connect(failures.append)
    copy_station(db_path, tmp_path / "older.sqlite3").replace(db_path)  # a restore behind the app's back
    type_text(widget.block("victim_name").editor.line, "Typed after")  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(failures), timeout=3000)
    assert getattr(failures[0], "reason", "") == "replaced"
    assert widget.autosaver.pending == {"victim_name": "Typed after"}
    assert "was replaced while DSVDesk had it open" in widget.status_label.text()
    assert not widget.flush()  # it keeps refusing: nothing goes into the file that took its place
    widget.autosaver.stop()  # no retry after the test's store is closed
    conn = raw_connect(db_path)
    try:
        [answers] = conn.execute("SELECT answers_json FROM records WHERE id = ?", (ref.id,)).fetchone()
        assert "Typed after" not in answers
    finally:
        conn.close()
