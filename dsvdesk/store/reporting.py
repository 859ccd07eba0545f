"""Read-only period queries for Part A of the Board report.

One SQL query returns, per record of the investigation form with an incident date in the range, its
id, status and only the store columns asked for, read out of ``columns_json`` by SQLite itself. It is
a range scan of the covering index ``records_part_a`` (migration 0004: form, incident date, status,
id, columns_json), so a year's scan never reads the table rows with their ~7 KB answers documents.
The only write is the consultation audit event for the read; the caller records the "combination"
events for the repeat-victim matches it makes (`record_combinations`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import PermissionDenied
from dsvdesk.store import audit
from dsvdesk.store.models import Role, Session

if TYPE_CHECKING:
    from dsvdesk.store.base import StoreBase

# Who may read Part A figures and export board packs (issue 8: supervisors; DS/DI ranks).
REPORTING_ROLES = frozenset({Role.SUPERVISOR})
_COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Columns kept as real table columns; read directly (the JSON holds them too, but the index is here).
_TABLE_COLUMNS = frozenset({"incident_date"})


@dataclass(frozen=True, slots=True)
class ReportingRow:
    """One record as Part A sees it: id, status and the values of the requested store columns."""

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

    Parameters: (start, end + 1 day, form id, detail_from). Only approved records are read out of the
    JSON at all: all `columns` from `detail_from` on, only the `key_columns` before it (the lookback
    months before a period are needed for matching, not for counting). Each row's JSON is parsed once:
    one multi-path ``json_extract`` gives the wanted values as one JSON array (read by
    ``_split_values``). Result columns: id, status, incident_date, detail array, key array."""
    for name in (*columns, *key_columns):
        if not _COLUMN_NAME.match(name):  # names go into the SQL text below: accept plain identifiers only
            raise ValueError(f"not a store column name: {name!r}")

    def values_array(names: Sequence[str]) -> str:
        paths = [f"'$.{n}'" for n in names if n not in _TABLE_COLUMNS]
        if not paths:
            return "'[]'"
        if len(paths) == 1:  # one path gives the bare value, not an array
            return f"json_array(json_extract(columns_json, {paths[0]}))"
        return f"json_extract(columns_json, {', '.join(paths)})"

    return (
        f"SELECT id, status, incident_date, "  # noqa: S608 - names checked above
        f"CASE WHEN status = 'approved' AND incident_date >= ?4 THEN {values_array(columns)} END, "
        f"CASE WHEN status = 'approved' AND incident_date < ?4 THEN {values_array(key_columns)} END "
        "FROM records INDEXED BY records_part_a "
        "WHERE form_id = ?3 AND incident_date >= ?1 AND incident_date < ?2"
    )


def _sql_value(value: Any) -> Any:
    """A value as a single-path ``json_extract`` returns it: arrays and objects as JSON text,
    true/false as 1/0."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _split_values(array_text: str | None, names: Sequence[str]) -> list[Any] | None:
    if array_text is None:
        return None
    values: list[Any] = json.loads(array_text)
    if "[" not in array_text[1:] and "{" not in array_text and "true" not in array_text and "false" not in array_text:
        # No nested array or object and no true/false anywhere in the text (a name containing
        # "true" only takes the slower path below): every value is already as json_extract gives it.
        return values
    return [v if v is None or type(v) in (str, int, float) else _sql_value(v) for v in values]


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
    user = store._current_user(session)  # a role changed since sign-in counts
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can see Part A figures.")
    params = (start.isoformat(), (end + timedelta(days=1)).isoformat(), form_id, (detail_from or start).isoformat())
    rows = _rows_from_records(store, list(columns), key_columns, params)
    with store._tx():
        store._audit(
            session,
            audit.CONSULTATION,
            justification=purpose,
            detail={"form_id": form_id, "from": start.isoformat(), "to": end.isoformat(), "records": len(rows)},
        )
    return rows


def _rows_from_records(
    store: StoreBase, names: Sequence[str], key_columns: Sequence[str], params: tuple[str, str, str, str]
) -> list[ReportingRow]:
    """Run `period_rows_query` and turn each result into a `ReportingRow`."""
    json_names = [n for n in names if n not in _TABLE_COLUMNS]
    key_names = [n for n in key_columns if n not in _TABLE_COLUMNS]
    empty = dict.fromkeys(names)
    rows: list[ReportingRow] = []
    with store._read() as conn:
        for record_id, status, incident_date, detail, keys in conn.execute(period_rows_query(names, key_columns), params):
            values = dict(empty)
            if "incident_date" in values:
                values["incident_date"] = incident_date
            found = _split_values(detail, json_names)
            if found is not None:
                values.update(zip(json_names, found, strict=True))
            else:
                found = _split_values(keys, key_names)
                if found is not None:
                    values.update((n, v) for n, v in zip(key_names, found, strict=True) if n in values)
            rows.append(ReportingRow(str(record_id), str(status), values))
    return rows


def record_combinations(
    store: StoreBase, session: Session, links: Sequence[Sequence[str]], reason: str, *, only_new: bool = False
) -> int:
    """Log record links (e.g. Part A's repeat-victim matches) as "combination" events, all in ONE
    transaction: the same events `Store.record_combination` writes per link (one per record, the others
    it was linked to in `detail`), without one durable commit per link — a year's Part A can find
    thousands. The events are chained with one ``audit.append_many`` (one head read, one
    ``executemany``). Returns the number of events written.

    With `only_new`, a link is its first record and the others; the pairs (first, other) that a
    combination event of the first record already names are dropped (a link left with no other record
    writes nothing). Re-computing the same figures does not link the records anew, so re-running Part A
    for a period adds no events for matches an earlier run logged."""
    require_reporting_role(session, "link records for Part A")
    user = store._current_user(session)
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can link records for Part A.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a reason is needed to link records")
    groups = [ids for ids in (list(dict.fromkeys(str(r) for r in link)) for link in links) if len(ids) >= 2]
    if not groups:
        return 0
    user_fields = {"user_id": session.user.id, "username": session.user.username}
    with store._tx() as conn:
        if only_new:  # read inside the write transaction: two runs at once cannot both log a pair
            logged = _logged_pairs(conn, [ids[0] for ids in groups])
            groups = [[ids[0], *new] for ids in groups if (new := [r for r in ids[1:] if (ids[0], r) not in logged])]
        at = store._stamp()
        return audit.append_many(
            conn,
            [
                {"event": audit.COMBINATION, **user_fields, "at": at, "record_id": record_id,
                 "justification": reason, "detail": {"linked": [r for r in ids if r != record_id]}}
                for ids in groups
                for record_id in ids
            ],
        )


def _logged_pairs(conn: sqlite3.Connection, record_ids: Sequence[str]) -> set[tuple[str, str]]:
    """(record, other) for every record in `record_ids` and every other record a combination event of
    it names (``audit_events_combination``, migration 0004, holds only combination events)."""
    pairs: set[tuple[str, str]] = set()
    cursor = conn.execute(
        "SELECT record_id, detail FROM audit_events WHERE event = 'combination' "
        "AND record_id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(dict.fromkeys(record_ids))),),
    )
    for record_id, detail in cursor:
        try:
            linked = json.loads(detail).get("linked")
        except (ValueError, AttributeError):  # a hand-written event with other detail links nothing here
            continue
        if isinstance(linked, list):
            pairs.update((str(record_id), str(other)) for other in linked)
    return pairs
