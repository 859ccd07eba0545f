"""Issue 20, item 10: a supervisor lands on the review queue, which lists the riskiest record first (then
the longest waiting), and a review tab is titled by the victim and the URN (the record's short reference before approval)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.reporting.review_queue import RISK_SORT, QueueFilter, ReviewQueue
from dsvdesk.store import Store
from dsvdesk.ui.qt import Qt
from dsvdesk.ui.review import ReviewScreen
from dsvdesk.workflow import approve_record, submit_record
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD
from tests.ui.qa.conftest import close_app, open_app, qa_forms  # noqa: F401 (a fixture)
from tests.unit.qa.forms import QA_FORM

LOW = {"victim_name": "Ewa Low", "dash_q1": "no", "officer_grade": "standard"}
MEDIUM = {"victim_name": "Mia Medium", "dash_q1": "yes", "officer_grade": "medium"}
HIGH = {
    "victim_name": "Hana High",
    "dash_q1": "yes",
    "dash_q2": "yes",
    "dash_q3": "yes",
    "officer_grade": "high",
    "marac_referral_date": "2026-03-01",
}


def _submit_in_order(db_path: Path, *records: dict[str, Any]) -> list[str]:
    ids = []
    with Store.open(db_path) as store:
        session = store.login("officer1", OFFICER_PASSWORD)
        spec = load_form_text(QA_FORM, "qa.yaml")
        for answers in records:
            ref = store.create_record(session, spec, {"incident_date": "2026-03-01", **answers})
            submit_record(store, session, ref.id, OFFICER_PASSWORD)
            ids.append(ref.id)
    return ids


def test_the_queue_orders_by_risk_then_waiting_time(db_path: Path) -> None:
    _submit_in_order(db_path, LOW, MEDIUM, HIGH, dict(LOW, victim_name="Lea Later"))
    with Store.open(db_path) as store:
        session = store.login("super1", SUPERVISOR_PASSWORD)
        queue = ReviewQueue(store, session, grades=("standard", "medium", "high"))
        rows = queue.rows(QueueFilter(sort=RISK_SORT, descending=True))
    # the High case submitted last stands out at the top; equal risk: the one waiting longest first
    assert [r.victim_name for r in rows] == ["Hana High", "Mia Medium", "Ewa Low", "Lea Later"]


@pytest.mark.usefixtures("ui_app", "qa_forms")
def test_a_supervisor_lands_on_the_queue_and_review_tabs_name_victim_and_urn(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    low, high = _submit_in_order(db_path, LOW, HIGH)
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    queue = window.qa_hooks.queue  # type: ignore[attr-defined]
    assert window.tabs.currentWidget() is queue
    assert queue.model.record_at(0).id == high and queue.model.record_at(1).id == low
    # "Risk and flags" says how risky a record is even when no rule flags it (the low one here)
    risk = queue.model.index(1, 0)
    assert risk.data() == "Standard · 0 yes", risk.data()
    assert "0 'yes' answers" in risk.data(Qt.ItemDataRole.ToolTipRole)
    # keyboard: the queue has focus on the riskiest row; Enter opens its review
    queue.table.setFocus()
    queue.table.setCurrentIndex(queue.model.index(0, 0))
    qtbot.keyClick(queue.table, Qt.Key.Key_Return)
    screen = window.tabs.currentWidget()
    assert isinstance(screen, ReviewScreen) and screen.record_id == high
    # no URN before approval: the victim and the record's short reference
    assert window.tabs.tabText(window.tabs.indexOf(screen)) == f"Review — Hana High, {high[:8]}"
    close_app(window)
    with Store.open(db_path) as store:
        session = store.login("super1", SUPERVISOR_PASSWORD)
        result = approve_record(
            store, session, high, SUPERVISOR_PASSWORD, grade="high", rationale=None, justification="QA check"
        )
    window = open_app(qtbot, db_path, monkeypatch, "super1", SUPERVISOR_PASSWORD)
    screen = window.qa_hooks.open_review(high)  # type: ignore[attr-defined]
    assert window.tabs.tabText(window.tabs.indexOf(screen)) == f"Review — Hana High, {result.urn}"
    close_app(window)
