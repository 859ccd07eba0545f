"""Read-only period queries for Part A of the Board report.

One SQL query returns, per record of the investigation form with an incident date in the range, its
id, status and only the store columns asked for. It is a range scan of the covering index
``records_part_a`` (migration 0005: form, incident date, status, id and the typed values Part A
counts), so a year's scan never reads the table rows with their ~7 KB answers documents and parses no
JSON.
The only write is the consultation audit event for the read; the caller records the "combination"
event (one per run, its links in ``combination_links``) for the repeat-victim matches it makes
(`record_combinations`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from dsvdesk.errors import PermissionDenied
from dsvdesk.store import audit, db
from dsvdesk.store.models import Role, Session
from dsvdesk.store.records import REPORTING_COLUMNS

if TYPE_CHECKING:
    from dsvdesk.store.base import StoreBase

# Who may read Part A figures and export board packs (issue 8: supervisors; DS/DI ranks).
REPORTING_ROLES = frozenset({Role.SUPERVISOR})
_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


class ReportingRow(NamedTuple):
    """One record as Part A sees it: id, status and the values of the requested store columns.
    (A NamedTuple: a year's Part A makes ~100,000 of them, and a frozen dataclass costs twice as much.)"""

    record_id: str
    status: str
    values: Mapping[str, Any]


def require_reporting_role(session: Session, action: str = "see Part A figures") -> None:
    """Board reporting is for supervisors; the core refuses anyone else whatever the UI shows."""
    if session.role not in REPORTING_ROLES:
        raise PermissionDenied(
            f"Only supervisors can {action}; you are signed in as {session.user.username} "
            f"({session.role.value}). Ask a DS or DI to do it."
        )


def period_rows_query(columns: Sequence[str], key_columns: Sequence[str] = ()) -> str:
    """The one SQL statement: form and incident-date range on the covering index ``records_part_a``.

    Parameters: (start, end + 1 day, form id, detail_from). Only approved records are read at all: all
    `columns` from `detail_from` on, only the `key_columns` before it (the lookback months before a
    period are needed for matching, not for counting). A column of the records table
    (``records.TABLE_COLUMNS``, migration 0005) is read from the index as it is; any other name is read
    out of the record's columns document with ``json_extract`` (correct, but it reads the table rows).
    Result columns: id, status, incident_date, then one per name in `columns` (NULL where not read)."""
    for name in (*columns, *key_columns):
        if not _COLUMN_NAME.match(name):  # names go into the SQL text below: accept plain identifiers only
            raise ValueError(f"not a store column name: {name!r}")
    keys = set(key_columns)

    def read(name: str) -> str:
        value = name if name in REPORTING_COLUMNS else f"json_extract(columns_json, '$.{name}')"
        when = "status = 'approved'" if name in keys else "status = 'approved' AND incident_date >= ?4"
        return f"CASE WHEN {when} THEN {value} END"

    return (
        f"SELECT id, status, incident_date{''.join(', ' + read(n) for n in columns)} "  # noqa: S608 - names checked above
        "FROM records INDEXED BY records_part_a "
        "WHERE form_id = ?3 AND incident_date >= ?1 AND incident_date < ?2"
    )


def fetch_period_rows(
    store: StoreBase,
    session: Session,
    *,
    form_id: str,
    start: date,
    end: date,
    columns: Sequence[str],
    purpose: str,
    key_columns: Sequence[str] = (),
    detail_from: date | None = None,
) -> list[ReportingRow]:
    """Records of `form_id` whose incident date lies in [start, end] (any status), with `columns`.

    Only approved records carry column values: `key_columns` always, the other columns only for incident
    dates from `detail_from` (default `start`) on; other rows carry None (their status and incident date
    still count as "started").
    `end` is inclusive even when the stored incident date carries a time (``2010-09-30T23:10``). The
    read is logged as one consultation (DPA 2018 s.62) with `purpose`, the form and the dates; no
    personal data goes into the log."""
    require_reporting_role(session)
    user = store.current_user(session)  # a role changed since sign-in counts
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can see Part A figures.")
    params = (
        start.isoformat(),
        (end + timedelta(days=1)).isoformat(),
        form_id,
        (detail_from or start).isoformat(),
    )
    rows = _rows_from_records(store, list(columns), key_columns, params)
    with store.transaction():
        store.audit_event(
            session,
            audit.CONSULTATION,
            justification=purpose,
            detail={
                "form_id": form_id,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "records": len(rows),
            },
        )
    return rows


def _rows_from_records(
    store: StoreBase, names: Sequence[str], key_columns: Sequence[str], params: tuple[str, str, str, str]
) -> list[ReportingRow]:
    """Run `period_rows_query` and turn each result into a `ReportingRow`."""
    sql = period_rows_query(names, key_columns)
    date_at = names.index("incident_date") if "incident_date" in names else -1
    with store.read() as conn:  # a statement that reads no detail has no ?4
        result = conn.execute(sql, params if "?4" in sql else params[:3]).fetchall()
    rows: list[ReportingRow] = []
    append = rows.append
    for record_id, status, incident_date, *values in result:
        if date_at >= 0:  # the date is read for every record, approved or not ("started" counts it)
            values[date_at] = incident_date
        append(ReportingRow(record_id, status, dict(zip(names, values, strict=True))))
    return rows


class PeriodCounts(NamedTuple):
    """What `fetch_period_counts` reads. Each group row is
    (JSON array of the shared values, presence value, month, date of birth, age floor, number of records):

    - presence: NULL for no value, 1 for a text that starts with a letter or digit (a value for
      certain), otherwise the value itself (blank-looking text is for the caller to judge);
    - month: ``YYYY-MM`` when the age floor is given, otherwise the incident date as stored;
    - date of birth: NULL when the age floor is given, otherwise the date of birth as stored (not an
      ISO date), for the caller to work the age out itself;
    - age floor: the highest of `age_floors` the age at the incident reaches, -1 below them all, NULL
      when the date of birth is given instead."""

    started: int  # records of the form with an incident date in the period, any status
    groups: list[tuple[Any, ...]]  # approved records in the period, grouped as above
    keys: list[tuple[Any, ...]]  # (id, incident date, key) of the approved records whose key recurs
    matched_groups: list[tuple[Any, ...]]  # the records `match` picked out, grouped as above


def _iso_date(column: str) -> str:
    """SQL: the column's text starts with a real ISO date (what ``date.fromisoformat`` of its first
    ten characters accepts). ``date(…, '+0 days')`` gives a valid date back as it is and moves an
    invalid one (2010-02-30 → 2010-03-02; plain ``date()`` would give it back unchanged); anything else
    it cannot read gives NULL. Year 0 is the one date SQLite has and Python does not."""
    return f"(date({column}, '+0 days') = substr({column}, 1, 10) AND substr({column}, 1, 4) <> '0000')"


def period_groups_query(
    shared_columns: Sequence[str],
    presence_column: str,
    dob_column: str,
    age_floors: Sequence[int],
    *,
    only_ids: bool,
) -> str:
    """The grouped statement of `fetch_period_counts`; parameters as `period_rows_query`, plus ?5 with
    `only_ids`: a JSON list of ``[record id, incident date as stored]`` pairs, each found by one seek of
    the index (the pairs lead, so a few thousand repeat records cost no scan of the period).

    Each record's values are worked out once, in a subquery that LIMIT -1 keeps from being merged into
    the grouping (merged, SQLite would work the date check out again for every use). The incident date
    is taken to be an ISO date, as every period query does (it is compared as text); the date of birth
    is checked, since a form may ask for it as text."""
    for name in (*shared_columns, presence_column, dob_column):
        if not _COLUMN_NAME.match(name):  # names go into the SQL text below: accept plain identifiers only
            raise ValueError(f"not a store column name: {name!r}")
    floors = sorted({int(f) for f in age_floors}, reverse=True)  # ints only go into the text

    def value(name: str) -> str:
        return name if name in REPORTING_COLUMNS else f"json_extract(columns_json, '$.{name}')"

    presence, dob = value(presence_column), value(dob_column)
    if dob_column.endswith("_age"):  # an age in years at the incident (the date of birth is sealed)
        age, known = dob, f"({dob} IS NOT NULL)"
    else:
        age = (
            f"CAST(substr(incident_date, 1, 4) AS INTEGER) - CAST(substr({dob}, 1, 4) AS INTEGER) "
            f"- (substr(incident_date, 6, 5) < substr({dob}, 6, 5))"
        )
        known = _iso_date(dob)
    floor = f"CASE {' '.join(f'WHEN age >= {f} THEN {f}' for f in floors)} ELSE -1 END" if floors else "-1"
    return (
        "SELECT shared, presence, CASE WHEN known THEN substr(incident_date, 1, 7) ELSE incident_date END, "  # noqa: S608 - names checked above
        f"CASE WHEN known THEN NULL ELSE dob END, CASE WHEN known THEN {floor} END, count(*) FROM ("
        f"SELECT json_array({', '.join(map(value, shared_columns))}) AS shared, "
        f"CASE WHEN {presence} IS NULL THEN NULL WHEN typeof({presence}) = 'text' "
        f"AND substr({presence}, 1, 1) GLOB '[0-9A-Za-z]' THEN 1 ELSE {presence} END AS presence, "
        f"incident_date, {dob} AS dob, {known} AS known, {age} AS age "
        f"FROM {_PICKED if only_ids else ''}records INDEXED BY records_part_a "
        "WHERE form_id = ?3 AND incident_date >= ?4 AND incident_date < ?2 AND status = 'approved'"
        f"{' AND incident_date = picked_date AND id = picked_id' if only_ids else ''} LIMIT -1) "
        "GROUP BY 3, 5, 2, 4, 1"  # the short keys first: the sort compares them before the long text
    )


# The picked records of `period_groups_query`, as the outer loop (CROSS JOIN keeps SQLite from turning
# it round): their ids and incident dates are the index's leading columns after the form.
_PICKED = "(SELECT value ->> 0 AS picked_id, value ->> 1 AS picked_date FROM json_each(?5)) CROSS JOIN "


def period_keys_query() -> str:
    """The per-record statement of `fetch_period_counts`: the approved records from ?1 to ?2 whose
    ``victim_key`` another of them shares (the only ones that can link). Both reads are range scans of
    ``records_victim_key`` (migration 0005), which is ordered by the key, so the grouping sorts nothing."""
    approved = (
        "FROM records INDEXED BY records_victim_key WHERE form_id = ?3 AND status = 'approved' "
        "AND incident_date >= ?1 AND incident_date < ?2"
    )
    return (
        f"SELECT id, incident_date, victim_key {approved} AND victim_key IN ("
        f"SELECT victim_key {approved} AND victim_key IS NOT NULL GROUP BY victim_key HAVING count(*) > 1)"
    )


# The records of the period, any status (parameters as `period_rows_query`; ?1, the lookback start, is
# not needed: numbered parameters let it go unused).
STARTED_SQL = (
    "SELECT count(*) FROM records INDEXED BY records_period WHERE form_id = ?3 AND incident_date >= ?4 "
    "AND incident_date < ?2"
)


_AUDIT_HEAD_SQL = "SELECT last_id, last_hash FROM audit_head WHERE id = 1"


def _grouped_read(path: Path, sql: str, params: tuple[str, ...]) -> tuple[Any, int, list[tuple[Any, ...]]]:
    """(audit chain head, records started, grouped rows) read in one transaction on a connection of this
    thread's own."""
    conn = db.connect(path)
    try:
        with db.translate_errors(path):
            conn.execute("BEGIN")
            try:
                head = conn.execute(_AUDIT_HEAD_SQL).fetchone()
                return head, *_started_and_groups(conn, sql, params)
            finally:
                conn.execute("COMMIT")
    finally:
        conn.close()


def _started_and_groups(
    conn: sqlite3.Connection, sql: str, params: tuple[str, ...]
) -> tuple[int, list[tuple[Any, ...]]]:
    return int(conn.execute(STARTED_SQL, params).fetchone()[0]), conn.execute(sql, params).fetchall()


# The victim-key read passes twice over the same index pages (the keys that recur, then their records):
# SQLCipher decrypts every page it loads, so for the read the page cache holds them (~11 MB at 100,000
# records; SQLite's own default is ~8 MB), and gives the memory back afterwards.
_READ_CACHE_KIB = 32 * 1024


@contextmanager
def _page_cache(conn: sqlite3.Connection, kib: int) -> Iterator[None]:
    """The connection's page cache at least `kib` KiB while the block runs, as it was afterwards."""
    before = int(conn.execute("PRAGMA cache_size").fetchone()[0])
    if before < 0:  # KiB
        size = -before
    else:  # pages
        size = before * int(conn.execute("PRAGMA page_size").fetchone()[0]) // 1024
    if size >= kib:
        yield
        return
    conn.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {before}")


def fetch_period_counts(
    store: StoreBase,
    session: Session,
    *,
    form_id: str,
    start: date,
    end: date,
    purpose: str,
    shared_columns: Sequence[str],
    presence_column: str,
    dob_column: str,
    age_floors: Sequence[int],
    match: Callable[[list[tuple[Any, ...]]], Collection[str]],
    detail_from: date | None = None,
) -> PeriodCounts:
    """The same records as `fetch_period_rows` (the same permission check and consultation event), read
    for counting a year at 100,000 records.

    Every value that reaches Python costs a Python object, and at this scale those objects are most of
    the time. So SQLite does the counting: records that are not approved are only counted
    (``started``), and the approved records in the period come grouped by their shared values, whether
    `presence_column` holds a value, the month and the age band (see `PeriodCounts`). Only records
    that may link come one by one: the approved records from `start` whose ``victim_key`` (the
    victim's ``search.person_key``) another of them shares. The period proper starts at `detail_from` (default
    `start`). `match` gets those rows and returns the ids of the records in the period to count
    apart (records among those rows), whose groups come back as ``matched_groups``. It all happens in
    one read snapshot, so the figures agree with each other."""
    require_reporting_role(session)
    user = store.current_user(session)  # a role changed since sign-in counts
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can see Part A figures.")
    params = (
        start.isoformat(),
        (end + timedelta(days=1)).isoformat(),
        form_id,
        (detail_from or start).isoformat(),
    )
    groups_sql = period_groups_query(shared_columns, presence_column, dob_column, age_floors, only_ids=False)
    matched_sql = period_groups_query(shared_columns, presence_column, dob_column, age_floors, only_ids=True)
    # The counting and the grouping are most of the work and are all SQLite's (which lets go of the
    # GIL), so a second connection does them on another thread while this one reads and matches the
    # victims. Both read transactions must see the same records: every write to the store appends to
    # the audit chain in its own transaction, so the same chain head in both means the same snapshot.
    # If a write came between them, this connection counts and groups again inside its own transaction.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="part-a-groups") as pool:
        grouped = pool.submit(_grouped_read, store.path, groups_sql, params)
        with store.read() as conn, _page_cache(conn, _READ_CACHE_KIB):
            conn.execute("BEGIN")  # one read transaction: every figure sees the same records
            try:
                head = conn.execute(_AUDIT_HEAD_SQL).fetchone()
                keys = conn.execute(period_keys_query(), params[:3]).fetchall()
                dates = {row[0]: row[1] for row in keys}
                picked = json.dumps(
                    [[record_id, dates[record_id]] for record_id in dict.fromkeys(match(keys))]
                )
                matched = conn.execute(matched_sql, (*params, picked)).fetchall()
                other_head, started, groups = grouped.result()
                if other_head != head:
                    started, groups = _started_and_groups(conn, groups_sql, params)
            finally:
                conn.execute("COMMIT")
    with store.transaction():
        store.audit_event(
            session,
            audit.CONSULTATION,
            justification=purpose,
            detail={
                "form_id": form_id,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "records": sum(int(g[-1]) for g in groups),
                "linked": len(keys),
            },
        )
    return PeriodCounts(started, groups, keys, matched)


def record_combinations(
    store: StoreBase, session: Session, links: Sequence[Sequence[str]], reason: str, *, only_new: bool = False
) -> int:
    """Log record links (e.g. Part A's repeat-victim matches) as ONE "combination" audit event, in one
    transaction: who, when and why on the event, the links themselves in ``combination_links``
    (migration 0019; ``audit.append_combination``), their digest in the event so the hash chain covers
    them. A link is its first record and each other one: the pairs (first, other). Returns the number
    of pairs logged (0: nothing written).

    With `only_new`, the pairs an earlier run already logged (in ``combination_links``, or in a
    per-record combination event written before 0019) are dropped: re-computing the same figures does
    not link the records anew, so re-running Part A for a period adds nothing for matches an earlier
    run logged."""
    require_reporting_role(session, "link records for Part A")
    user = store.current_user(session)
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can link records for Part A.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a reason is needed to link records")
    pairs = {  # (first, other) for every other record of a link (a record is not linked to itself)
        (first, other)
        for first, others in ((str(link[0]), link[1:]) for link in links if link)
        for other in map(str, others)
        if other != first
    }
    if not pairs:
        return 0
    with store.transaction() as conn:
        if only_new:  # read inside the write transaction: two runs at once cannot both log a pair
            pairs = audit.unlogged_links(conn, pairs)
            if pairs and _has_per_record_events(conn):
                pairs -= _logged_pairs(conn, {first for first, _other in pairs})
        return audit.append_combination(
            conn,
            pairs,
            at=store.timestamp(),
            user_id=session.user.id,
            username=session.user.username,
            justification=reason,
        )


def _has_per_record_events(conn: sqlite3.Connection) -> bool:
    """Whether any combination event names its record (one per linked record: written by hand, or by
    Part A before migration 0019); the first entry past the NULLs of ``audit_events_combination``."""
    row = conn.execute(
        "SELECT 1 FROM audit_events WHERE event = 'combination' AND record_id IS NOT NULL LIMIT 1"
    ).fetchone()
    return row is not None


def _logged_pairs(conn: sqlite3.Connection, record_ids: Collection[str]) -> set[tuple[str, str]]:
    """(record, other) for every record in `record_ids` and every other record a per-record
    combination event of it names (``Store.record_combination``'s, and Part A's before migration 0019;
    ``audit_events_combination``, migration 0004, holds only combination events). SQLite expands each
    event's ``linked`` list itself; an event whose detail names no list links nothing."""
    cursor = conn.execute(
        "SELECT e.record_id, linked.value FROM audit_events AS e, "
        "json_each(CASE WHEN json_valid(e.detail) THEN CASE WHEN json_type(e.detail, '$.linked') = 'array' "
        "THEN e.detail END END, '$.linked') AS linked "
        "WHERE e.event = 'combination' AND e.record_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(dict.fromkeys(record_ids))),),
    )
    pairs: set[tuple[str, str]] = set(
        cursor
    )  # ids are text: record_id is a TEXT column, linked holds strings
    return pairs
