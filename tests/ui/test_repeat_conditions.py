"""Fields inside a repeat item with their own ``show_when`` appear and disappear live as the sibling
answers change, exactly as the engine decides (a child's Merlin reference only when the child was
present or lives at the address; the injuries box only for an injured child)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from dsvdesk.engine.completeness import evaluate, visible_answers
from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.spec import FormSpec
from dsvdesk.paths import forms_dir
from dsvdesk.ui.qt import QApplication, QPoint, QRadioButton, Qt
from dsvdesk.ui.wizard.editors import RepeatEditor, RepeatItem
from dsvdesk.ui.wizard.form_wizard import FormWizard
from dsvdesk.ui.wizard.item_fields import conditional_repeats, visible_item_fields
from tests.ui.conftest import shot, type_text

REPEAT_FORM = r"""
id: repeattest
version: "1"
title: 88R Household Children
sections:
  - id: main
    title: Household
    pages:
      - id: household
        title: Children in the household
        questions:
          - id: pilot_area
            type: yesno
            label: Is the address in the safeguarding pilot area?
          - id: children
            type: repeat
            label: Children
            item_label: Child
            min_items: 0
            max_items: 5
            fields:
              - {id: name, type: text, label: Full name, required: true}
              - {id: resident, type: yesno, label: "Ordinarily resident at the address?"}
              - {id: present, type: yesno, label: "Present during the incident?"}
              - id: merlin_ref
                type: reference
                label: Merlin PAC reference
                pattern: '^[A-Za-z0-9/-]{4,20}$'
                example: 26MER012345
                show_when: present == 'yes' or resident == 'yes'
                required_when: present == 'yes' or resident == 'yes'
              - {id: injured, type: yesno, label: "Injured?"}
              - {id: injury_description, type: longtext, label: "The child's injuries", show_when: "injured == 'yes'", required: true}
              - {id: pilot_ref, type: text, label: Pilot scheme reference, show_when: "pilot_area == 'yes' and present == 'yes'"}
"""

FIELDS = ("name", "resident", "present", "merlin_ref", "injured", "injury_description", "pilot_ref")


class DictSink:
    def __init__(self) -> None:
        self.saved: dict[str, Any] = {}

    def save(self, answer_id: str, value: Any) -> None:
        if value is None:
            self.saved.pop(answer_id, None)
        else:
            self.saved[answer_id] = value


@pytest.fixture
def repeat_spec() -> FormSpec:
    return load_form_text(REPEAT_FORM, "repeattest.yaml")


@pytest.fixture
def sink() -> DictSink:
    return DictSink()


@pytest.fixture
def wizard(qtbot: QtBot, ui_app: QApplication, repeat_spec: FormSpec, sink: DictSink) -> FormWizard:
    widget = FormWizard(repeat_spec, {}, sink=sink)
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click on the indicator: a stretched radio's centre may miss it (docs/stack.md §2a)."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def radios(item: RepeatItem, field_id: str) -> dict[str, QRadioButton]:
    found: dict[str, QRadioButton] = item.editors[field_id].radios  # type: ignore[attr-defined]
    return found


def shown_fields(item: RepeatItem) -> set[str]:
    """What the officer can see: the field's caption and input are on screen (widgets added to a shown
    layout appear at the next turn of the event loop)."""
    QApplication.processEvents()
    return {
        fid for fid, editor in item.editors.items() if editor.isVisible() and item.captions[fid].isVisible()
    }


CONDITIONAL = ("merlin_ref", "injury_description", "pilot_ref")  # no condition reads these


def engine_fields(spec: FormSpec, answers: dict[str, Any], question_id: str, index: int) -> set[str]:
    """The engine's own answer, asked the plain way: which conditional fields of the item it keeps
    (visible_answers drops hidden fields) once each has some text in it."""
    item = dict(answers[question_id][index])
    probe = dict(answers)
    probe[question_id] = [dict(it) for it in answers[question_id]]
    probe[question_id][index] = {**{fid: "x" for fid in CONDITIONAL}, **item}
    kept = visible_answers(spec, probe)
    return set(kept[question_id][index]) & set(CONDITIONAL)


def test_fields_appear_and_disappear_live_with_sibling_answers(
    qtbot: QtBot, wizard: FormWizard, repeat_spec: FormSpec, sink: DictSink, artifacts_dir: Path
) -> None:
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    child = editor.item_box(0)
    type_text(child.editors["name"].focus_target(), "Zofia Nowak")
    # Nothing answered yet: no Merlin reference, no injuries box, no pilot reference.
    assert shown_fields(child) == {"name", "resident", "present", "injured"}
    shot(wizard, artifacts_dir, "repeat_conditions_hidden")

    click_radio(qtbot, radios(child, "present")["yes"])
    assert "merlin_ref" in shown_fields(child)
    assert "pilot_ref" not in shown_fields(child)  # also needs the pilot area
    type_text(child.editors["merlin_ref"].focus_target(), "26MER012345")

    click_radio(qtbot, radios(child, "injured")["yes"])
    assert "injury_description" in shown_fields(child)
    type_text(child.editors["injury_description"].focus_target(), "Bruise on the left forearm")
    shot(wizard, artifacts_dir, "repeat_conditions_shown")
    answers = wizard.answers()
    for fid in CONDITIONAL:
        assert (fid in shown_fields(child)) == (fid in engine_fields(repeat_spec, answers, "children", 0)), (
            fid
        )

    # Answer "No" to present: the Merlin box goes, but what was typed is kept in memory…
    click_radio(qtbot, radios(child, "present")["no"])
    assert "merlin_ref" not in shown_fields(child)
    assert wizard.answers()["children"][0]["merlin_ref"] == "26MER012345"
    # …and the engine ignores it: not exported, not required.
    assert "merlin_ref" not in visible_answers(repeat_spec, wizard.answers())["children"][0]
    assert not any(f.field_id == "merlin_ref" for f in wizard.evaluation.findings)

    # Resident brings it back with the value still in the box.
    click_radio(qtbot, radios(child, "resident")["yes"])
    assert "merlin_ref" in shown_fields(child)
    assert child.editors["merlin_ref"].value() == "26MER012345"

    # A condition on a question outside the item (the pilot area) is followed live too.
    click_radio(qtbot, radios(child, "present")["yes"])
    click_radio(qtbot, wizard.block("pilot_area").editor.radios["yes"])  # type: ignore[union-attr]
    assert "pilot_ref" in shown_fields(child)
    click_radio(qtbot, wizard.block("pilot_area").editor.radios["no"])  # type: ignore[union-attr]
    assert "pilot_ref" not in shown_fields(child)

    assert wizard.flush()
    assert sink.saved["children"][0]["merlin_ref"] == "26MER012345"


def test_each_item_follows_its_own_answers(qtbot: QtBot, wizard: FormWizard, repeat_spec: FormSpec) -> None:
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    first, second = editor.item_box(0), editor.item_box(1)
    click_radio(qtbot, radios(second, "injured")["yes"])
    assert "injury_description" in shown_fields(second)
    assert "injury_description" not in shown_fields(first)
    # Moving the injured child up carries its shape with it (items are rebuilt and re-evaluated).
    qtbot.mouseClick(second.up_button, Qt.MouseButton.LeftButton)
    assert "injury_description" in shown_fields(editor.item_box(0))
    assert "injury_description" not in shown_fields(editor.item_box(1))


def tab_from_name(qtbot: QtBot, item: RepeatItem, presses: int) -> list[Any]:
    qtbot.waitUntil(item.isVisible)  # a new item is shown at the next turn of the event loop
    first = item.editors["name"].focus_target()
    first.setFocus()
    qtbot.waitUntil(first.hasFocus)
    seen = []
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    return seen


def test_tab_skips_hidden_fields(qtbot: QtBot, wizard: FormWizard) -> None:
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    child = editor.item_box(0)
    click_radio(qtbot, radios(child, "present")["no"])
    click_radio(qtbot, radios(child, "resident")["no"])
    # name → resident (its checked radio) → present (its checked radio) → injured: the hidden Merlin
    # box is never on the way (and Clear is no Tab stop: issue 20).
    seen = tab_from_name(qtbot, child, 3)
    assert child.editors["merlin_ref"].focus_target() not in seen
    assert seen[-1] in radios(child, "injured").values()
    click_radio(qtbot, radios(child, "present")["yes"])
    seen = tab_from_name(qtbot, child, 3)
    assert seen[-1] is child.editors["merlin_ref"].focus_target()


def test_reopened_record_shows_each_item_as_the_engine_does(
    qtbot: QtBot, ui_app: QApplication, repeat_spec: FormSpec
) -> None:
    answers = {
        "pilot_area": "yes",
        "children": [
            {"name": "Ali", "present": "yes", "merlin_ref": "26MER000001"},
            {"name": "Bea", "resident": "no", "present": "no", "injured": "yes"},
            {"name": "Cai", "merlin_ref": "kept but hidden"},
        ],
    }
    widget = FormWizard(repeat_spec, answers, read_only=True)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    editor = widget.block("children").editor
    assert isinstance(editor, RepeatEditor)
    assert shown_fields(editor.item_box(0)) == {
        "name",
        "resident",
        "present",
        "merlin_ref",
        "injured",
        "pilot_ref",
    }
    assert shown_fields(editor.item_box(1)) == {
        "name",
        "resident",
        "present",
        "injured",
        "injury_description",
    }
    assert shown_fields(editor.item_box(2)) == {"name", "resident", "present", "injured"}
    assert editor.item_box(2).editors["merlin_ref"].value() == "kept but hidden"


def test_rebase_applies_the_new_answers_shape(qtbot: QtBot, wizard: FormWizard) -> None:
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    wizard.rebase({"children": [{"name": "Dan", "injured": "yes"}]})
    assert "injury_description" in shown_fields(editor.item_box(0))
    wizard.rebase({"children": [{"name": "Dan", "injured": "no"}]})
    assert "injury_description" not in shown_fields(editor.item_box(0))


def test_real_124d_child_injuries_follow_the_injured_answer(qtbot: QtBot, ui_app: QApplication) -> None:
    spec = load_form(forms_dir() / "124d.yaml")
    assert {q.id for q in conditional_repeats(spec)} >= {"children", "other_suspects"}
    widget = FormWizard(spec, {"has_children": "yes"})
    qtbot.addWidget(widget)
    widget.resize(1280, 900)
    widget.show()
    qtbot.waitExposed(widget)
    widget.go_to_page(spec.page_of("children").id)
    editor = widget.block("children").editor
    assert isinstance(editor, RepeatEditor)
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    child = editor.item_box(0)
    assert "injury_description" not in shown_fields(child)
    click_radio(qtbot, radios(child, "injured")["yes"])
    assert "injury_description" in shown_fields(child)
    click_radio(qtbot, radios(child, "injured")["no"])
    assert "injury_description" not in shown_fields(child)
    assert "merlin_ref" in shown_fields(child)  # required_when only: always on screen

    widget.go_to_page(spec.page_of("other_suspects").id)
    suspects = widget.block("other_suspects").editor
    assert isinstance(suspects, RepeatEditor)
    qtbot.mouseClick(suspects.add_button, Qt.MouseButton.LeftButton)
    suspect = suspects.item_box(0)
    assert "not_arrested_reason" not in shown_fields(suspect)
    click_radio(qtbot, radios(suspect, "arrested")["no"])
    assert "not_arrested_reason" in shown_fields(suspect)


# ------------------------------------------------------------------ the Qt-free helper, property-based
_yes_no = st.sampled_from(["yes", "no"])
_item = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=5),
        "resident": _yes_no,
        "present": _yes_no,
        "merlin_ref": st.sampled_from(["26MER012345", "", "bad ref"]),
        "injured": _yes_no,
        "injury_description": st.text(max_size=5),
        "pilot_ref": st.text(max_size=5),
        "stray_key": st.integers(),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pilot=st.sampled_from([None, "yes", "no"]),
    items=st.lists(st.one_of(_item, st.just("not an item")), max_size=4),
)
def test_helper_agrees_with_the_engine(repeat_spec: FormSpec, pilot: str | None, items: list[Any]) -> None:
    answers: dict[str, Any] = {"children": items}
    if pilot is not None:
        answers["pilot_area"] = pilot
    result = visible_item_fields(repeat_spec, answers, conditional_repeats(repeat_spec))
    if not items:
        assert result == {}
        return
    shapes = result["children"]
    assert len(shapes) == len(items)
    kept = visible_answers(repeat_spec, answers)["children"]
    for index, (item, shape) in enumerate(zip(items, shapes, strict=True)):
        if not isinstance(item, dict):
            assert shape is None
            continue
        assert shape is not None
        # Every answered field the engine keeps is visible, and every visible answered field is kept.
        assert set(kept[index]) == shape & set(item)
        # The engine never reports a problem with a field the helper says is hidden.
        for finding in evaluate(repeat_spec, answers).findings:
            if finding.item_index == index and finding.field_id is not None:
                assert finding.field_id in shape
        # Unconditional fields are always there.
        assert {"name", "resident", "present", "injured"} <= shape


def test_helper_ignores_hidden_repeats_and_forms_without_conditions(
    spec: FormSpec, repeat_spec: FormSpec
) -> None:
    # The shared test form's repeat has no conditional fields: nothing to work out.
    assert conditional_repeats(spec) == ()
    assert visible_item_fields(spec, {"children": [{"name": "x"}]}, conditional_repeats(spec)) == {}
    assert (
        visible_item_fields(repeat_spec, {"children": "not a list"}, conditional_repeats(repeat_spec)) == {}
    )
