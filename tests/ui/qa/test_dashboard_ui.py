"""The dashboard tab: figures from the store shown as charts, bars and tiles that open the records
behind them, the period controls, and no tab for officers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui.dashboard import DashboardTab, FigureRecordsDialog
from dsvdesk.ui.qt import QApplication, QPoint, Qt
from dsvdesk.ui.review import ReviewScreen
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD, shot
from tests.ui.qa.conftest import close_app, open_app
from tests.unit.qa.forms import QA_FORM

PDF = b"%PDF-1.7\n% test\n%%EOF\n"


def seed(db_path: Path) -> dict[str, str]:
    """Started today: A approved (High, MARAC made, two children with refs), B submitted (Medium, a
    child without a Merlin ref), C a draft. Hand count: 3 started, 2 submitted, 1 approved (33%)."""
    spec = load_form_text(QA_FORM, "qa.yaml")
    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        supervisor = store.login("super1", SUPERVISOR_PASSWORD)
        a = store.create_record(
            officer,
            spec,
            {
                "victim_name": "Alice A",
                "officer_grade": "high",
                "marac_referral_date": "2026-03-02",
                "children": [
                    {"name": "K1", "present": "yes", "merlin_ref": "M1"},
                    {"name": "K2", "present": "yes", "merlin_ref": "M2"},
                ],
            },
        )
        a = store.submit(officer, a.id, a.version, PDF)
        store.approve(supervisor, a.id, a.version, lambda urn: PDF)
        b = store.create_record(
            officer,
            spec,
            {
                "victim_name": "Bea B",
                "officer_grade": "medium",
                "children": [{"name": "K3", "present": "yes"}],
            },
        )
        store.submit(officer, b.id, b.version, PDF)
        c = store.create_record(officer, spec, {"victim_name": "Cat C"})
    return {"A": a.id, "B": b.id, "C": c.id}


def test_dashboard_shows_the_figures_and_opens_the_records_behind_them(
    *,
    qtbot: QtBot,
    ui_app: QApplication,
    db_path: Path,
    qa_forms: Path,
    monkeypatch: pytest.MonkeyPatch,
    artifacts_dir: Path,
) -> None:
    ids = seed(db_path)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    window.resize(1280, 900)
    tab = window.qa_dashboard  # type: ignore[attr-defined]
    assert isinstance(tab, DashboardTab)
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.board is not None and not tab.running, timeout=10_000)
    board = tab.board
    assert board is not None
    assert [board.value(k) for k in ("lifecycle.started", "lifecycle.submitted", "lifecycle.approved")] == [
        3,
        2,
        1,
    ]
    assert tab.tiles["lifecycle.compliance_rate"].text().startswith("33%")
    assert tab.tiles["returned.rate"].text().startswith("0%")
    assert tab.tiles["marac.missing"].text().startswith("0")
    assert [(b.label, b.text) for b in tab.charts["lifecycle"].bars] == [
        ("Started", "3"),
        ("Submitted", "2"),
        ("Approved", "1"),
    ]
    assert [(b.label, b.text) for b in tab.charts["grade"].bars][:3] == [
        ("Standard", "0"),
        ("Medium", "1"),
        ("High", "1"),
    ]
    assert [(b.label, b.text) for b in tab.charts["children"].bars] == [
        ("All children have Merlin refs", "1"),
        ("Merlin ref missing", "1"),
    ]
    assert "Started: 3" in tab.charts["lifecycle"].accessibleDescription()
    shot(window, artifacts_dir, "qa_dashboard")

    # click the "Merlin ref missing" bar: its record is listed; opening it shows the review screen
    listed: list[Any] = []

    def choose(cls: Any, parent: Any, title: str, records: Any) -> str:
        dialog = cls(parent, title, records)
        qtbot.addWidget(dialog)
        shot(dialog, artifacts_dir, "qa_dashboard_records")
        listed.append([r.victim_name for r in records])
        return records[0].id

    monkeypatch.setattr(FigureRecordsDialog, "ask", classmethod(choose))
    chart = tab.charts["children"]
    row = chart.row_rect(1)
    qtbot.mouseClick(
        chart, Qt.MouseButton.LeftButton, pos=QPoint(int(row.center().x()), int(row.center().y()))
    )
    assert listed == [["Bea B"]]
    screen = window.tabs.currentWidget()
    assert isinstance(screen, ReviewScreen) and screen.record_id == ids["B"]

    # the keyboard does the same on the lifecycle chart: Down twice to "Approved", Enter
    listed.clear()
    window.tabs.setCurrentWidget(tab)
    lifecycle = tab.charts["lifecycle"]
    lifecycle.setFocus()
    qtbot.keyClick(lifecycle, Qt.Key.Key_Down)
    qtbot.keyClick(lifecycle, Qt.Key.Key_Down)
    qtbot.keyClick(lifecycle, Qt.Key.Key_Return)
    assert listed == [["Alice A"]]

    # a custom period with nothing in it
    tab.set_period(tab._today().replace(year=2001), tab._today().replace(year=2001))
    qtbot.waitUntil(
        lambda: not tab.running and tab.board is not None and tab.board.value("lifecycle.started") == 0,
        timeout=10_000,
    )
    assert "No records were started in this period." in tab.period_label.text()
    assert tab.tiles["lifecycle.compliance_rate"].text().startswith("n/a")
    assert tab.tiles["lifecycle.compliance_rate"].isEnabled()  # never greyed out (issue 20)
    tab.date_from.setText("not a date")
    tab._custom_dates()
    assert "dd/mm/yyyy" in tab.problem_label.text()
    close_app(window)


def test_officers_have_no_dashboard(
    *, qtbot: QtBot, ui_app: QApplication, db_path: Path, qa_forms: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_app(qtbot, db_path, monkeypatch, "officer1", OFFICER_PASSWORD)
    assert getattr(window, "qa_dashboard", None) is None
    close_app(window)
