"""RecordListModel over the real store: paging, sorting and searching go into the store's query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui.context import AppContext
from dsvdesk.ui.models.records import RECORD_ROLE, Column, RecordListModel, RecordQuery
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
            {
                "victim_name": f"{NAMES[n % len(NAMES)]} {n:03d}",
                "incident_date": f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}",
            },
        )
    other = store.login("officer2", OFFICER_PASSWORD)
    store.create_record(other, spec, {"victim_name": "Someone Else"})
    return store


def context_for(store: Store, username: str, password: str) -> AppContext:
    return AppContext(store=store, session=store.login(username, password), db_path=store.path)


def make_model(context: AppContext, query: RecordQuery | None = None, page_size: int = 50) -> RecordListModel:
    return RecordListModel(context.list_records, context.count_records, query=query, page_size=page_size)


def test_model_passes_qtmodeltester(
    qtmodeltester: ModelTester, ui_app: QApplication, filled_store: Store
) -> None:
    model = make_model(context_for(filled_store, "officer1", OFFICER_PASSWORD))
    qtmodeltester.check(model, force_py=True)
    model.fetchMore()
    model.sort(0, Qt.SortOrder.AscendingOrder)
    model.set_search("Chen")
    qtmodeltester.check(model, force_py=True)


def test_every_record_is_a_row_but_only_shown_pages_are_read(
    qtbot: QtBot, ui_app: QApplication, filled_store: Store
) -> None:
    context = context_for(filled_store, "officer1", OFFICER_PASSWORD)
    offsets: list[int] = []

    def fetch(query: RecordQuery, offset: int, limit: int) -> Any:
        offsets.append(offset)
        return context.list_records(query, offset, limit)

    model = RecordListModel(fetch, context.count_records, page_size=20, max_cached_pages=3)
    assert model.total == model.rowCount() == 120  # officer1's own records only, all scrollable
    assert not model.canFetchMore()
    assert offsets == [0]  # only the first page is read up front
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    view.scrollToBottom()
    QApplication.processEvents()
    assert offsets[-1] == 100  # the view painted the last page, and the store was asked for just that
    assert 0 < model.cached_rows <= 3 * 20  # never everything in memory
    ids = [model.record_at(r).id for r in range(120)]  # walking every row reads page after page ...
    assert len(set(ids)) == 120
    assert model.cached_rows <= 3 * 20  # ... and the oldest pages are let go
    newest_first = context.list_records(model.query, 0, 120)
    assert ids == [r.id for r in newest_first]  # row n is the store's n-th record for the query
    assert model.record_at(120) is None and model.record_at(-1) is None


def test_row_of_finds_recently_shown_records(ui_app: QApplication, filled_store: Store) -> None:
    context = context_for(filled_store, "officer1", OFFICER_PASSWORD)
    model = make_model(context, page_size=20)
    first = model.record_at(0)
    assert model.row_of(first.id) == 0
    last = model.record_at(119)
    assert model.row_of(last.id) == 119
    assert model.row_of("no-such-record") == -1
    model.sort(0, Qt.SortOrder.AscendingOrder)  # a new query: row numbers mean something else now
    found = model.row_of(last.id)
    assert found == -1 or model.record_at(found).id == last.id  # never a stale position from the old order
    assert model.record_at(0).victim_name.startswith("Anna Nowak")


def test_refresh_shows_a_record_saved_elsewhere(ui_app: QApplication, filled_store: Store, spec: Any) -> None:
    context = context_for(filled_store, "officer1", OFFICER_PASSWORD)
    model = make_model(context)
    assert model.total == 120
    ref = filled_store.create_record(context.session, spec, {"victim_name": "Zofia Zielińska"})
    model.reload()
    assert model.total == model.rowCount() == 121
    assert model.record_at(0).id == ref.id  # newest first: the new record, not a stale cached row


def test_a_page_that_cannot_be_read_blanks_rows_and_says_so_once(ui_app: QApplication) -> None:
    from dsvdesk.store.errors import StorageUnavailable

    rows = [FakeRow(f"r{n}", f"Name {n}") for n in range(50)]

    def fetch(query: RecordQuery, offset: int, limit: int) -> Any:
        if offset >= 20:
            raise StorageUnavailable(
                "The database is locked by another program.", path="station.sqlite3", reason="locked"
            )
        return rows[offset : offset + limit]

    model = RecordListModel(fetch, lambda _q: len(rows), columns=FAKE_COLUMNS, page_size=10)
    problems: list[str] = []
    model.fetch_failed.connect(problems.append)
    assert model.data(model.index(5, 0)) == "Name 5"
    assert model.data(model.index(25, 0)) is None  # no traceback from inside a paint
    assert model.data(model.index(35, 0)) is None
    assert problems == ["The database is locked by another program."]
    model.reload()  # the next refresh tries again
    assert model.data(model.index(5, 0)) == "Name 5"


@dataclass(frozen=True)
class FakeRow:
    id: str
    victim_name: str
    status: str = "draft"


FAKE_COLUMNS = (Column("victim_name", "Victim", lambda r: r.victim_name),)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(min_value=0, max_value=400),
    page_size=st.integers(min_value=1, max_value=50),
    max_pages=st.integers(min_value=1, max_value=6),
    visits=st.lists(st.integers(min_value=-5, max_value=410), max_size=60),
)
def test_any_access_order_maps_rows_to_the_stores_records_within_the_cache_bound(
    ui_app: QApplication, total: int, page_size: int, max_pages: int, visits: list[int]
) -> None:
    rows = [FakeRow(f"id{n}", f"Name {n}") for n in range(total)]
    model = RecordListModel(
        lambda _q, offset, limit: rows[offset : offset + limit],
        lambda _q: total,
        columns=FAKE_COLUMNS,
        page_size=page_size,
        max_cached_pages=max_pages,
    )
    assert model.rowCount() == total
    for row in visits:
        expected = rows[row] if 0 <= row < total else None
        assert model.record_at(row) == expected
        assert model.data(model.index(row, 0)) == (expected.victim_name if expected else None)
        if expected is not None:
            assert model.row_of(expected.id) == row
        assert model.cached_rows <= page_size * max_pages


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
    assert headers == [
        "Victim",
        "Incident date",
        "CAD / CRIS",
        "Status",
        "Grade",
        "DASH yes",
        "Complete",
        "Last saved",
    ]
    row: Any = model.data(model.index(0, 0), RECORD_ROLE)
    assert row.status == "draft"
    assert model.data(model.index(0, 3)) == "Draft"
    assert model.data(model.index(0, 6)).endswith("%")
    assert model.data(model.index(999, 0)) is None


def _counting_model(
    rows: list[FakeRow], calls: list[tuple[str, int]], page_size: int = 10
) -> RecordListModel:
    def fetch(query: RecordQuery, offset: int, limit: int) -> Any:
        calls.append((query.sort, offset))
        return rows[offset : offset + limit]

    columns = (*FAKE_COLUMNS, Column("status", "Status", lambda r: r.status))
    return RecordListModel(fetch, lambda _q: len(rows), columns=columns, page_size=page_size)


def test_a_table_set_up_with_its_sort_indicator_reads_the_list_once(ui_app: QApplication) -> None:
    """Issue 22: My forms was queried three times at sign-in (the model, then enabling sorting, then
    setting the indicator). Sorting by the order the model already has reads nothing."""
    from dsvdesk.ui.home import RecordTable

    calls: list[tuple[str, int]] = []
    model = _counting_model([FakeRow(f"r{n}", f"Name {n}") for n in range(30)], calls)
    model.set_query(RecordQuery(sort="status", descending=True))
    calls.clear()
    table = RecordTable(model, lambda _id: None)
    assert calls == []
    model.sort(1, Qt.SortOrder.DescendingOrder)  # the same order: nothing read
    assert calls == []
    model.sort(1, Qt.SortOrder.AscendingOrder)  # another order: read again
    assert calls == [("status", 0)]
    table.deleteLater()


def test_columns_are_sized_once_and_a_refresh_keeps_the_users_widths(ui_app: QApplication) -> None:
    """Issue 22: the queue's refresh resized every column from up to 1,000 rows (pages read from the
    store) each time. Now the widths are fitted once, from the first rows, and stay the user's."""
    from dsvdesk.ui.table_sizing import SIZING_ROWS, fit_columns_once

    calls: list[tuple[str, int]] = []
    rows = [FakeRow(f"r{n}", "A much longer victim name " * (n % 3)) for n in range(500)]
    shown: list[FakeRow] = []
    model = _counting_model(shown, calls, page_size=100)  # empty at first, as a new station's list
    table = QTableView()
    table.setModel(model)
    fit_columns_once(table, model)
    assert table.horizontalHeader().resizeContentsPrecision() == SIZING_ROWS
    narrow = table.columnWidth(0)
    shown.extend(rows)
    model.reload()  # the first rows arrive: fitted to them
    assert table.columnWidth(0) > narrow
    assert {offset for _sort, offset in calls} == {0}  # only the first page was read to size them
    table.setColumnWidth(0, 33)  # the user drags the column
    calls.clear()
    model.reload()
    assert table.columnWidth(0) == 33
    assert calls == [("updated_at", 0)]
    table.deleteLater()


def test_my_forms_sort_keys_are_the_ones_the_store_tests_index() -> None:
    from dsvdesk.ui.models.records import DEFAULT_COLUMNS
    from tests.unit.store.test_sort_pages import SORT_KEYS

    assert {c.key for c in DEFAULT_COLUMNS if c.key} == set(SORT_KEYS)
