"""Read-only period queries over the records table for Part A of the Board report.

One indexed SQL query (``records_incident_date``) returns, per record of the investigation form with
an incident date in the range, its id, status and only the store columns asked for, read out of
``columns_json`` by SQLite itself (no answers, no Python JSON parsing per row). The only write is the
consultation audit event for the read; the caller records the "combination" events for the
repeat-victim matches it makes (``Store.record_combination``).
"""

from __future__ import annotations

import json
import re
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
    """The one SQL statement: incident-date range on its index, the form, only the named columns.

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
        "FROM records INDEXED BY records_incident_date "
        "WHERE incident_date >= ?1 AND incident_date < ?2 AND form_id = ?3"
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
    values = json.loads(array_text)
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
    sql = period_rows_query(columns, key_columns)
    params = (start.isoformat(), (end + timedelta(days=1)).isoformat(), form_id, (detail_from or start).isoformat())
    names = list(columns)
    json_names = [n for n in names if n not in _TABLE_COLUMNS]
    key_names = [n for n in key_columns if n not in _TABLE_COLUMNS]
    empty = dict.fromkeys(names)
    rows: list[ReportingRow] = []
    with store._read() as conn:
        for record_id, status, incident_date, detail, keys in conn.execute(sql, params):
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
    with store._tx():
        store._audit(
            session,
            audit.CONSULTATION,
            justification=purpose,
            detail={"form_id": form_id, "from": start.isoformat(), "to": end.isoformat(), "records": len(rows)},
        )
    return rows


def record_combinations(
    store: StoreBase, session: Session, links: Sequence[Sequence[str]], reason: str
) -> int:
    """Log record links (e.g. Part A's repeat-victim matches) as "combination" events, all in ONE
    transaction: the same events `Store.record_combination` writes per link (one per record, the others
    it was linked to in `detail`), without one durable commit per link — a year's Part A can find
    thousands. The events are chained with one ``audit.append_many`` (one head read, one
    ``executemany``). Returns the number of events written."""
    require_reporting_role(session, "link records for Part A")
    user = store._current_user(session)
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can link records for Part A.")
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a reason is needed to link records")
    user_fields = {"user_id": session.user.id, "username": session.user.username}
    events: list[dict[str, Any]] = []
    for link in links:
        ids = list(dict.fromkeys(str(r) for r in link))
        if len(ids) < 2:
            continue
        events.extend(
            {"event": audit.COMBINATION, **user_fields, "record_id": record_id, "justification": reason,
             "detail": {"linked": [r for r in ids if r != record_id]}}
            for record_id in ids
        )
    if not events:
        return 0
    with store._tx() as conn:
        at = store._stamp()
        return audit.append_many(conn, [{**event, "at": at} for event in events])
