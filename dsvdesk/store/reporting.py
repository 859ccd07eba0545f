"""Read-only period queries over the records table for Part A of the Board report.

One indexed SQL query (``records_incident_date``) returns, per record of the investigation form with
an incident date in the range, its id, status and only the store columns asked for, read out of
``columns_json`` by SQLite itself (no answers, no Python JSON parsing per row). The only write is the
consultation audit event for the read; the caller records the "combination" events for the
repeat-victim matches it makes (``Store.record_combination``).
"""

from __future__ import annotations

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


def period_rows_query(columns: Sequence[str]) -> str:
    """The one SQL statement: incident-date range on its index, the form, only the named columns."""
    for name in columns:
        if not _COLUMN_NAME.match(name):  # names go into the SQL text below: accept plain identifiers only
            raise ValueError(f"not a store column name: {name!r}")
    selected = ", ".join(
        "incident_date" if name in _TABLE_COLUMNS else f"json_extract(columns_json, '$.{name}')" for name in columns
    )
    return (
        f"SELECT id, status, {selected} FROM records INDEXED BY records_incident_date "  # noqa: S608 - names checked above
        "WHERE incident_date >= ? AND incident_date < ? AND form_id = ?"
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
) -> list[ReportingRow]:
    """Records of `form_id` whose incident date lies in [start, end] (any status), with `columns`.

    `end` is inclusive even when the stored incident date carries a time (``2010-09-30T23:10``). The
    read is logged as one consultation (DPA 2018 s.62) with `purpose`, the form and the dates; no
    personal data goes into the log."""
    require_reporting_role(session)
    user = store._current_user(session)  # a role changed since sign-in counts
    if user.role not in REPORTING_ROLES:
        raise PermissionDenied("Only supervisors can see Part A figures.")
    sql = period_rows_query(columns)
    params = (start.isoformat(), (end + timedelta(days=1)).isoformat(), form_id)
    names = list(columns)
    with store._read() as conn:
        rows = [
            ReportingRow(str(row[0]), str(row[1]), dict(zip(names, row[2:], strict=True)))
            for row in conn.execute(sql, params)
        ]
    with store._tx():
        store._audit(
            session,
            audit.CONSULTATION,
            justification=purpose,
            detail={"form_id": form_id, "from": start.isoformat(), "to": end.isoformat(), "records": len(rows)},
        )
    return rows
