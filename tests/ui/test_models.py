"""RecordListModel over the real store: paging, sorting and searching go into the store's query."""

from __future__ import annotations

from typing import Any

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.models.records import RECORD_ROLE, RecordListModel, RecordQuery
from dsvdesk.ui.qt import QApplication, Qt, QTableView
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD
from tests.ui.forms import ALL_TYPES_FORM

NAMES = ("Anna Nowak", "Bronwen Pritchard", "Chen Wei", "Dariusz Kowalski", "Emre Yılmaz", "Fatima Al-Sayed")


@pytest.fixture
def filled_store(store: Store) -> Store:
    spec = load_form_text(ALL_TYPES_FORM, "uitest.yaml")
    officer = store.login("officer1", OFFICER_PASSWORD)
    for n in range(120):
        store.create_record(
            officer,
            spec,
            {"victim_name": f"{NAMES[n % len(NAMES)]} {n:03d}", "incident_date": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"},
        )
    other = store.login("officer2", OFFICER_PASSWORD)
    store.create_record(other, spec, {"victim_name": "Someone Else"})
    return store


def context_for(store: Store, username: str, password: str) -> AppContext:
    return AppContext(store=store, session=store.login(username, password), db_path=store.path)


def make_model(context: AppContext, query: RecordQuery | None = None, page_size: int = 50) -> RecordListModel:
    return RecordListModel(context.list_records, context.count_records, query=query, page_size=page_size)


def test_model_passes_qtmodeltester(qtmodeltester: ModelTester, ui_app: QApplication, filled_store: Store) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    qtmodeltester.check(model, force_py=True)
    model.fetchMore()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    model.set_search("Chen")
    qtmodeltester.check(model, force_py=True)


def test_pages_arrive_as_the_view_scrolls(qtbot: QtBot, ui_app: QApplication, filled_store: Store) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    assert model.total == 120  # officer1's own records only
    assert model.rowCount() == 50  # never everything in memory
    assert model.canFetchMore()
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 400)
    view.show()
    view.scrollToBottom()
    QApplication.processEvents()
    assert model.rowCount() > 50  # the view asked for more
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 120
    assert len({model.record_at(r).id for r in range(120)}) == 120


def test_sort_goes_to_the_store(ui_app: QApplication, filled_store: Store) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.query.sort == "victim_name" and not model.query.descending
    assert model.data(model.index(0, 0)).startswith("Anna Nowak")
    model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0)).startswith("Fatima Al-Sayed")
    model.sort(1, Qt.SortOrder.AscendingOrder)
    first_dates = [model.record_at(r).incident_date for r in range(model.rowCount())]
    assert first_dates == sorted(first_dates)
    before = model.query
    model.sort(2, Qt.SortOrder.AscendingOrder)  # CAD / CRIS: two columns in one, not sortable in the store
    assert model.query == before


def test_search_is_answered_by_the_store(ui_app: QApplication, filled_store: Store) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    model.set_search("Pritchard")
    assert model.total == len([n for n in range(120) if n % len(NAMES) == 1])
    assert all("Pritchard" in model.data(model.index(r, 0)) for r in range(model.rowCount()))
    model.set_search("")
    assert model.total == 120


def test_supervisor_station_wide_query(ui_app: QApplication, filled_store: Store) -> None:
    context = context_for(filled_store, "super1", SUPERVISOR_PASSWORD)
    mine = make_model(context)
    assert mine.total == 0
    station = make_model(context, RecordQuery(mine_only=False, statuses=("draft",)))
    assert station.total == 121


def test_columns_and_roles(ui_app: QApplication, filled_store: Store) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Victim", "Incident date", "CAD / CRIS", "Status", "Grade", "DASH yes", "Complete", "Last saved"]
    row: Any = model.data(model.index(0, 0), RECORD_ROLE)
    assert row.status == "draft"
    assert model.data(model.index(0, 3)) == "Draft"
    assert model.data(model.index(0, 6)).endswith("%")
    assert model.data(model.index(999, 0)) is None
