"""Board-report UI fixtures: a forms folder with an investigation form that feeds Part A and the shipped
report form, approved investigation records in a known period, and the app started as a user."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui import app as app_module
from dsvdesk.ui.board import BoardHooks, BoardReportView
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.main_window import MainWindow
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD

ROOT = Path(__file__).resolve().parents[3]

# The investigation form whose approved records Part A counts (the shipped 124D says the same with
# `part_a_source: true`; this one is small so records can be made in a few lines).
SOURCE_FORM = """\
id: inv
version: "1"
title: Investigation (board UI test form)
options: {part_a_source: true}
constants: {marac_yes_threshold: 14, local_band_medium_from: 10, age_band_floors: [16, 36, 61]}
columns:
  victim_name: victim_name
  victim_dob: victim_dob
  incident_date: incident_date
  grade: grade
  officer_grade: grade
  yes_count: yes_count
  children_count: children_count
  merlin_missing: merlin_missing
  marac_referral_date: marac_referral_date
  marac_criteria: marac_criteria
  hbv_flag: hbv_flag
  arrested: arrested
  victim_sex: victim_sex
  victim_ethnic_group: victim_ethnic_group
  victim_disability: victim_disability
  previous_incidents_12m: previous_incidents_12m
sections:
  - id: main
    title: Main
    pages:
      - id: p
        title: All
        questions:
          - {id: victim_name, type: text, label: Victim}
          - {id: victim_dob, type: date, label: DOB}
          - {id: incident_date, type: date, label: Incident date}
          - {id: grade, type: choice, label: Grade, choices: [standard, medium, high], tags: [{review: grade}]}
          - {id: yes_count, type: integer, label: Yes answers}
          - {id: children_count, type: integer, label: Children}
          - {id: merlin_missing, type: integer, label: Merlin missing}
          - {id: marac_referral_date, type: date, label: MARAC referral}
          - {id: marac_criteria, type: multichoice, label: Criteria, choices: [visible_high_risk, professional_judgement, potential_escalation, repeat], tags: [{vocabulary: marac_criteria}]}
          - {id: hbv_flag, type: yesno, label: HBV}
          - {id: arrested, type: yesno, label: Arrested}
          - {id: victim_sex, type: choice, label: Sex, choices: [female, male]}
          - {id: victim_ethnic_group, type: choice, label: Ethnic group, choices: [white, bme]}
          - {id: victim_disability, type: yesno, label: Disability}
          - {id: previous_incidents_12m, type: integer, label: Previous incidents}
"""

PERIOD_FROM, PERIOD_TO = "2026-01-01", "2026-03-31"
# (victim, dob, incident date, grade, yes answers, arrested, approved?)
RECORDS: list[tuple[str, str, str, str, int, str, bool]] = [
    ("Anna Nowak", "1988-02-03", "2026-01-14", "high", 15, "yes", True),
    ("Zoë Adeyemi", "1975-07-21", "2026-02-02", "medium", 9, "no", True),
    ("王小明", "1990-11-30", "2026-03-09", "standard", 3, "yes", True),
    ("Rita Patel", "1969-04-12", "2026-03-20", "standard", 1, "no", False),  # submitted, not approved
]
APPROVED_IN_PERIOD = 3
STARTED_IN_PERIOD = 4


def _fake_pdf(label: str) -> bytes:
    return f"%PDF-1.7\n% {label}\n%%EOF\n".encode()


@pytest.fixture
def board_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "inv.yaml").write_text(SOURCE_FORM, encoding="utf-8")
    shutil.copyfile(ROOT / "forms" / "dsvb_report.yaml", folder / "dsvb_report.yaml")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


@pytest.fixture
def with_records(db_path: Path) -> list[str]:
    """Investigation records in the period: three approved (by the supervisor), one only submitted."""
    spec = load_form_text(SOURCE_FORM, "inv.yaml")
    ids = []
    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        supervisor = store.login("super1", SUPERVISOR_PASSWORD)
        for i, (name, dob, day, grade, yes, arrested, approved) in enumerate(RECORDS):
            answers: dict[str, Any] = {
                "victim_name": name,
                "victim_dob": dob,
                "incident_date": day,
                "grade": grade,
                "yes_count": yes,
                "children_count": i % 2,
                "merlin_missing": 0,
                "hbv_flag": "no",
                "arrested": arrested,
                "victim_sex": "female",
                "victim_ethnic_group": "bme" if i % 2 else "white",
                "victim_disability": "no",
                "previous_incidents_12m": 0,
            }
            if yes >= 14:
                answers |= {"marac_referral_date": day, "marac_criteria": ["visible_high_risk"]}
            ref = store.create_record(officer, spec, answers)
            ref = store.submit(officer, ref.id, ref.version, _fake_pdf("officer"))
            if approved:
                store.approve(supervisor, ref.id, ref.version, lambda urn: _fake_pdf(f"approved {urn}"))
            ids.append(ref.id)
    return ids


def sign_in_as(monkeypatch: pytest.MonkeyPatch, username: str, password: str) -> None:
    def ask(cls: type[LoginDialog], parent: Any, store: Store, **_kw: Any) -> Any:
        return store.login(username, password)

    monkeypatch.setattr(LoginDialog, "ask", classmethod(ask))


def open_app(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str, password: str
) -> MainWindow:
    sign_in_as(monkeypatch, username, password)
    window = app_module.start(db_path)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def close_app(window: MainWindow) -> None:
    assert window.close()
    window.context.store.close()


def hooks_of(window: MainWindow) -> BoardHooks:
    hooks = window.board_hooks  # type: ignore[attr-defined]
    assert isinstance(hooks, BoardHooks)
    return hooks


def current_report(window: MainWindow) -> BoardReportView:
    view = window.tabs.currentWidget()
    assert isinstance(view, BoardReportView), type(view)
    return view


def wait_saved(qtbot: QtBot, view: BoardReportView) -> None:
    assert view.wizard.autosaver is not None
    qtbot.waitUntil(lambda: not view.wizard.autosaver.pending, timeout=5000)  # type: ignore[union-attr]
