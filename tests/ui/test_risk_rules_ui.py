"""Issue 18's risk rules through the wizard's completeness list (the risk panel beside the questions):
each boundary case of tests/unit/forms/rule_cases.py opened in a real 124D wizard, and the escalation
boundary typed with the keyboard, the list following each keystroke and Enter jumping to the question."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import Audience
from dsvdesk.ui.qt import QApplication, Qt
from dsvdesk.ui.wizard.editors import NumberEditor, YesNoEditor
from dsvdesk.ui.wizard.form_wizard import FormWizard
from dsvdesk.ui.wizard.risk_panel import FINDING_ROLE
from tests.ui.conftest import type_text
from tests.unit.forms.rule_cases import CASES, RuleCase, answers_for
from tests.unit.forms.support import example, form

pytestmark = pytest.mark.usefixtures("ui_app")


def listed(wizard: FormWizard) -> list[Any]:
    panel = wizard.risk_panel.findings
    return [panel.item(i).data(FINDING_ROLE) for i in range(panel.count())]


def listed_rules(wizard: FormWizard) -> set[str]:
    return {f.rule_id for f in listed(wizard)}


def open_wizard(qtbot: QtBot, answers: dict[str, Any], *, reviewer: bool = False) -> FormWizard:
    audiences = (Audience.AUTHOR.value, Audience.REVIEWER.value) if reviewer else (Audience.AUTHOR.value,)
    wizard = FormWizard(form("124d"), answers, audiences=audiences)
    qtbot.addWidget(wizard)
    wizard.resize(1200, 800)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    return wizard


@pytest.mark.parametrize("rule_case", CASES, ids=lambda c: c.name)
def test_rule_case_in_the_completeness_list(qtbot: QtBot, rule_case: RuleCase) -> None:
    wizard = open_wizard(qtbot, answers_for(example("124d"), rule_case), reviewer=rule_case.reviewer)
    shown = listed_rules(wizard)
    assert rule_case.fires <= shown, shown
    assert not (rule_case.quiet & shown), shown
    if rule_case.can_submit is not None:
        assert wizard.evaluation.can_submit is rule_case.can_submit
    for key, expected in rule_case.values.items():
        assert wizard.value_of(key) == expected


def test_escalation_boundary_typed_at_the_keyboard(qtbot: QtBot) -> None:
    wizard = open_wizard(qtbot, example("124d"))
    wizard.go_to_page("risk_assessment")
    editor = wizard.block("previous_incidents_12m").editor
    assert isinstance(editor, NumberEditor)
    editor.line.setFocus()
    editor.line.selectAll()
    qtbot.keyClick(editor.line, Qt.Key.Key_Delete)
    type_text(editor.line, "1")  # 1 previous + this one = 2: no criterion
    assert not {"potential_escalation", "marac_criterion_needs_referral"} & listed_rules(wizard)
    assert wizard.block("incidents_in_window").editor.label.text() == "2"  # type: ignore[union-attr]
    qtbot.keyClick(editor.line, Qt.Key.Key_Backspace)
    type_text(editor.line, "2")  # 2 previous + this one = 3: potential escalation
    assert {"potential_escalation", "marac_criterion_needs_referral"} <= listed_rules(wizard)
    assert wizard.evaluation.can_submit, "the officer is warned, not blocked"
    criteria_met = next(
        v for v in wizard.risk_panel.value_labels if v.accessibleName() == "MARAC criteria met"
    )
    assert "Potential escalation" in criteria_met.text()

    # Ctrl+E goes to the list; Enter on the referral warning opens the question it is about.
    qtbot.keyClick(editor.line, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    panel = wizard.risk_panel.findings
    assert panel.hasFocus()
    row = next(i for i, f in enumerate(listed(wizard)) if f.rule_id == "marac_criterion_needs_referral")
    panel.setCurrentRow(row)
    qtbot.keyClick(panel, Qt.Key.Key_Return)
    assert wizard.current_page_id == "references_referrals"
    made = wizard.block("marac_referral_made").editor
    assert isinstance(made, YesNoEditor)
    assert made.isAncestorOf(QApplication.focusWidget())


def test_pregnancy_question_shown_without_children(qtbot: QtBot) -> None:
    answers = dict(example("124d"), has_children="no")
    answers.pop("dash_q9")
    wizard = open_wizard(qtbot, answers)
    assert "dash_children" not in wizard.visible_page_ids()
    wizard.go_to_page("dash_current")
    block = wizard.block("dash_q9")
    assert block.isVisibleTo(wizard)
    editor = block.editor
    assert isinstance(editor, YesNoEditor)
    editor.radios["yes"].setFocus()
    qtbot.keyClick(editor.radios["yes"], Qt.Key.Key_Space)
    assert wizard.value_of("dash_q9") == "yes"
    assert "Pregnancy" in wizard.value_of("specss_factors")
