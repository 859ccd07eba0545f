"""Issue 20, item 8: the page markers (⚠/✓/○) and the Checks list always agree, and a fresh repeat row
shows no errors until it is touched.

Hypothesis chooses answers for the real 124D (the example record with answers removed, DASH items and the
grade changed, empty children added); the test walks every visible page, as Next would, and after each
step compares each page's marker with the Checks list: ⚠ exactly when the list holds an error for that
page, ✓ for a page left (or after a submit try) with none, ○ otherwise; and a page marked ⚠ shows an
error by a question when it is on screen."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import FormSpec
from dsvdesk.ui.qt import QApplication, QLabel, QPushButton, Qt
from dsvdesk.ui.wizard.editors import RepeatEditor
from dsvdesk.ui.wizard.form_wizard import FormWizard
from dsvdesk.ui.wizard.risk_panel import FINDING_ROLE
from tests.ui.conftest import type_text
from tests.unit.forms.support import DASH_IDS, example, form

pytestmark = pytest.mark.usefixtures("ui_app")
EXAMPLE = example("124d")
KEYS = sorted(EXAMPLE)
WIZARDS: dict[str, FormWizard] = {}


def the_wizard(qtbot: QtBot) -> FormWizard:
    """One 124D wizard for every example (its pages are built once)."""
    if "124d" not in WIZARDS:
        wizard = FormWizard(form("124d"), {})
        wizard.resize(1366, 698)
        wizard.show()
        WIZARDS["124d"] = wizard
    return WIZARDS["124d"]


@pytest.fixture(scope="module", autouse=True)
def _close_the_wizard() -> Any:
    yield
    for wizard in WIZARDS.values():
        wizard.close()
        wizard.deleteLater()
    WIZARDS.clear()


def page_of(spec: FormSpec, finding: Any) -> str | None:
    if finding.page_id:
        return str(finding.page_id)
    try:
        return spec.page_of(finding.question_id).id if finding.question_id else None
    except KeyError:
        return None


def disagreements(wizard: FormWizard, show_all: bool) -> list[str]:
    panel = wizard.risk_panel.findings
    checks = [panel.item(i).data(FINDING_ROLE) for i in range(panel.count())]
    error_pages = {page_of(wizard.spec, f) for f in checks if str(f.severity) == "error"}
    found = []
    for page_id in wizard.visible_page_ids():
        mark = wizard.page_list.item([p.id for p in wizard.pages].index(page_id)).text()[0]
        left = show_all or page_id in wizard.visited
        expected = "⚠" if page_id in error_pages else "✓" if left else "○"
        if mark != expected:
            found.append(f"{page_id}: marked {mark}, the Checks list says {expected}")
    view = wizard.stack.currentWidget()
    if wizard.current_page_id in error_pages:
        shown = [label for label in view.findChildren(QLabel, "inlineError") if label.isVisibleTo(view)]
        if not shown:
            found.append(f"{wizard.current_page_id}: marked ⚠ but no question on it shows an error")
    return found


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    dropped=st.sets(st.sampled_from(KEYS), max_size=25),
    dash=st.dictionaries(st.sampled_from(DASH_IDS), st.sampled_from(["yes", "no", "dont_know", "not_asked"])),
    grade=st.sampled_from([None, "standard", "medium", "high"]),
    empty_children=st.integers(min_value=0, max_value=2),
    show_all=st.booleans(),
)
def test_every_page_marker_agrees_with_the_checks_list(
    qtbot: QtBot,
    *,
    dropped: set[str],
    dash: dict[str, str],
    grade: str | None,
    empty_children: int,
    show_all: bool,
) -> None:
    wizard = the_wizard(qtbot)
    answers: dict[str, Any] = {k: v for k, v in EXAMPLE.items() if k not in dropped}
    answers.update(dash)
    answers["officer_grade"] = grade
    answers["children"] = list(answers.get("children") or []) + [{}] * empty_children
    wizard.visited.clear()
    wizard.show_all_problems = show_all
    wizard.rebase({k: v for k, v in answers.items() if v is not None})
    assert disagreements(wizard, show_all) == []
    for page_id in wizard.visible_page_ids():
        wizard.go_to_page(page_id)
        assert disagreements(wizard, show_all) == [], page_id


def test_a_fresh_child_row_shows_no_errors_until_touched(qtbot: QtBot) -> None:
    answers = {k: v for k, v in EXAMPLE.items() if k != "children"}
    wizard = FormWizard(form("124d"), {**answers, "has_children": "yes"})
    qtbot.addWidget(wizard)
    wizard.resize(1366, 698)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    wizard.go_to_page(wizard.spec.page_of("children").id)
    editor = wizard.block("children").editor
    assert isinstance(editor, RepeatEditor)
    editor.add_button.setFocus()
    qtbot.keyClick(editor.add_button, Qt.Key.Key_Space)  # Add child: the keyboard moves into the row
    assert len(wizard.answers()["children"]) == 1
    row = editor.item_box(0)
    qtbot.waitUntil(row.isVisible)  # a widget added to a shown layout appears at the next turn
    first = QApplication.focusWidget()
    assert first is not None and row.isAncestorOf(first)
    wizard.show_all_problems = True  # even after a submit try, the untouched row is quiet
    wizard.go_to_page(wizard.spec.page_of("children").id)
    assert row.isVisible() and not row.message_label.isVisible()
    assert disagreements(wizard, True) == []
    type_text(first, "Sam")  # touched: the row now says what it still needs
    assert row.message_label.isVisible() and "Child 1, " in row.message_label.text()
    assert disagreements(wizard, True) == []
    marker = wizard.page_list.item(list(wizard.pages).index(wizard.spec.page_of("children"))).text()
    assert marker.startswith("⚠")
    remove = next(b for b in row.findChildren(QPushButton) if b.text().startswith("Remove"))
    assert remove.isVisible()
