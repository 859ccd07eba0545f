"""Sorting by the (sealed) victim name without the wait (issue 22): the session's name order is made
off the UI thread after sign-in; a sort by name asked for before it is there says "Sorting by name…"
and happens once it is."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store
from dsvdesk.store.models import Session
from dsvdesk.ui import name_sort
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.home import HomeTab
from dsvdesk.ui.models.records import SORTING_BY_NAME
from dsvdesk.ui.qt import Qt
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD

NAMES = ("Cole Byrne", "ada Quinn", "Łucja Nowak", "Bea Ortiz", "Lucy Hart")


def _names(tab: HomeTab) -> list[str]:
    return [str(tab.model.record_at(row).victim_name) for row in range(tab.model.rowCount())]


@pytest.fixture
def officer_records(store: Store, spec: FormSpec) -> Session:
    officer = store.login("officer1", OFFICER_PASSWORD)
    for name in NAMES:
        store.create_record(officer, spec, {"victim_name": name})
    return officer


@pytest.mark.usefixtures("ui_app")
def test_a_sort_by_name_asked_for_early_waits_for_the_order_then_sorts(
    qtbot: QtBot,
    store: Store,
    spec: FormSpec,
    officer_records: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the worker is held until the test lets it go: the order is "being made" when the user sorts
    release = threading.Event()
    real = name_sort.prepare_name_orders

    def held_back(db_path: Path, session: Session, *, queue: bool) -> int:
        release.wait(timeout=30)
        return real(db_path, session, queue=queue)

    monkeypatch.setattr(name_sort, "prepare_name_orders", held_back)
    context = AppContext(store=store, session=officer_records, db_path=store.path, forms={spec.id: spec})
    warm = context.name_orders = name_sort.NameOrderWarmUp(store.path, officer_records, queue=False)
    tab = HomeTab(context, lambda _spec: None, lambda _id: None, [spec])
    qtbot.addWidget(tab)
    tab.show()
    qtbot.waitExposed(tab)
    newest_first = _names(tab)
    assert newest_first == list(reversed(NAMES)) and not tab.sort_label.isVisible()

    warm.start()
    assert warm.waits_for("victim_name") and not warm.waits_for("incident_date")
    tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # the Victim column's header
    assert tab.sort_label.isVisible() and tab.sort_label.text() == SORTING_BY_NAME
    assert tab.sort_label.accessibleName() == SORTING_BY_NAME
    assert _names(tab) == newest_first  # the rows stay as they were meanwhile
    assert tab.model.query.sort == "updated_at"

    release.set()
    qtbot.waitUntil(lambda: warm.is_ready, timeout=30_000)
    qtbot.waitUntil(lambda: not tab.sort_label.isVisible(), timeout=5_000)
    assert tab.model.query.sort == "victim_name" and not tab.model.query.descending
    assert _names(tab) == ["ada Quinn", "Bea Ortiz", "Cole Byrne", "Łucja Nowak", "Lucy Hart"]
    assert warm.opened == len(NAMES)
    # once made, a sort by name is at once
    tab.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert not tab.sort_label.isVisible()
    assert _names(tab) == ["Lucy Hart", "Łucja Nowak", "Cole Byrne", "Bea Ortiz", "ada Quinn"]


@pytest.mark.usefixtures("ui_app")
def test_another_column_chosen_while_waiting_sorts_at_once_and_drops_the_wait(
    qtbot: QtBot,
    store: Store,
    spec: FormSpec,
    officer_records: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    release = threading.Event()
    real = name_sort.prepare_name_orders
    monkeypatch.setattr(
        name_sort,
        "prepare_name_orders",
        lambda db_path, session, *, queue: release.wait(timeout=30) and real(db_path, session, queue=queue),
    )
    context = AppContext(store=store, session=officer_records, db_path=store.path, forms={spec.id: spec})
    warm = context.name_orders = name_sort.NameOrderWarmUp(store.path, officer_records, queue=False)
    tab = HomeTab(context, lambda _spec: None, lambda _id: None, [spec])
    qtbot.addWidget(tab)
    warm.start()
    tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert tab.model.waiting_sort == ("victim_name", False)
    tab.table.sortByColumn(6, Qt.SortOrder.AscendingOrder)  # "Complete"
    assert tab.model.waiting_sort is None and tab.model.query.sort == "completeness"
    assert not tab.sort_label.isVisible()
    release.set()
    qtbot.waitUntil(lambda: warm.is_ready, timeout=30_000)
    assert tab.model.query.sort == "completeness"  # the user's later choice stands


@pytest.mark.usefixtures("ui_app")
def test_the_app_makes_the_order_after_sign_in_for_my_forms_and_the_queue(
    qtbot: QtBot, db_path: Path, spec: FormSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dsvdesk.ui import app as app_module
    from dsvdesk.ui.main_window import MainWindow

    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        for name in NAMES:
            store.create_record(officer, spec, {"victim_name": name})
        store.logout(officer)
    made: list[tuple[str, bool]] = []
    real = name_sort.prepare_name_orders

    def recorded(path: Path, session: Session, *, queue: bool) -> int:
        made.append((session.user.username, queue))
        return real(path, session, queue=queue)

    monkeypatch.setattr(name_sort, "prepare_name_orders", recorded)

    def signed_in(store: Any, **_kw: Any) -> Any:
        return store.login("super1", SUPERVISOR_PASSWORD)

    window = app_module.start(db_path, sign_in_fn=signed_in)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    warm = window.context.name_orders
    assert warm is not None
    qtbot.waitUntil(lambda: warm.is_ready, timeout=30_000)
    assert made == [("super1", True)]  # the supervisor's own records and the review queue's
    window.close()
    window.context.store.close()
