"""The wizard's risk panel follows a changed form with no Python change (the same copy of 124D as
tests/unit/test_vocabulary_follows_form.py: threshold 15, highest grade "Severe", criterion "Obvious
high risk"): the panel's grade and criteria are the form's, and 14 'yes' answers (the shipped threshold)
no longer make visible high risk."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.ui.wizard.form_wizard import FormWizard
from tests.unit.test_vocabulary_follows_form import CHANGES, FORM, _answers

pytestmark = pytest.mark.usefixtures("ui_app")


@pytest.fixture
def changed(tmp_path: Path) -> FormSpec:
    text = FORM.read_text(encoding="utf-8")
    for old, new in CHANGES:
        text = text.replace(old, new)
    (tmp_path / "124d.yaml").write_text(text, encoding="utf-8")
    return load_form(tmp_path / "124d.yaml")


def panel_value(wizard: FormWizard, spec: FormSpec, label: str) -> str:
    index = [item.label for item in spec.summary].index(label)
    return wizard.risk_panel.value_labels[index].text()


def open_wizard(qtbot: QtBot, spec: FormSpec, yes: int) -> FormWizard:
    wizard = FormWizard(spec, _answers(yes) | {"officer_grade": "high"}, audiences=("author",))
    qtbot.addWidget(wizard)
    wizard.resize(1200, 800)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def test_the_risk_panel_shows_the_forms_new_words_and_threshold(qtbot: QtBot, changed: FormSpec) -> None:
    wizard = open_wizard(qtbot, changed, 15)
    assert panel_value(wizard, changed, "DASH 'yes' answers") == "15"
    assert panel_value(wizard, changed, "Officer's grade") == "Severe"
    assert "Obvious high risk" in panel_value(wizard, changed, "MARAC criteria met")

    below = open_wizard(qtbot, changed, 14)  # 14 was the shipped threshold; no longer visible high risk
    assert "Obvious high risk" not in panel_value(below, changed, "MARAC criteria met")
