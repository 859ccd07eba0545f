"""Casework lists (issue 19) at the large record count: the Casework tab's review-due list and the
supervisors' MoPI retention list, each beside the same SELECTs replayed on a raw connection."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable

from benchmarks.data import SUPERVISOR
from benchmarks.harness import Row, Target, time_pair
from benchmarks.paths import Context, _capture_sql, _open_store, _raw_connection

PAGE = 200  # the Casework tab's page (ui/casework/screens.py PAGE_ROWS)
COUNT_CAP = 10_000  # how far the tab counts (ui/casework/screens.py COUNT_CAP): "10,000+"


def _policy() -> object:
    from dsvdesk import paths
    from dsvdesk.engine.casework import policy_from_forms
    from dsvdesk.engine.loader import load_forms_dir

    return policy_from_forms(load_forms_dir(paths.forms_dir()))


def bench_casework(ctx: Context) -> list[Row]:
    """The review-due list (overdue and due-soon counts in one pass, first page) and the retention list (count and
    first page), as the Casework tab reads them; the due times are worked out once first (a one-off
    after a load or a schedule change, reported in the note)."""
    from dsvdesk.engine.casework import CaseworkPolicy

    db = ctx.databases[ctx.config.large]
    policy = _policy()
    assert isinstance(policy, CaseworkPolicy)
    store = _open_store(db)
    rows: list[Row] = []
    try:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        with store.transaction() as conn:  # every case's due times to be worked out (also on --reuse)
            conn.execute("UPDATE cases SET schedule_key = NULL")
        started = time.perf_counter()
        scheduled = store.sync_schedule(policy)
        sync_s = time.perf_counter() - started
        now = store.now()
        soon = policy.due_soon.after(now)
        # every case's MoPI review falls due within the longest period: the list at its fullest
        horizon = now + dt.timedelta(days=366 * 11)
        cases = store.review_due_count(session, policy, until=horizon.replace(year=horizon.year + 100))

        def reviews() -> None:
            store.review_due_counts(session, policy, now=now, until=soon, cap=COUNT_CAP)
            store.review_due_rows(session, policy, until=soon, limit=PAGE)

        def retention() -> None:
            store.retention_count(session, policy, until=horizon, cap=COUNT_CAP)
            store.retention_rows(session, policy, until=horizon, limit=PAGE)

        counts = {
            "overdue": store.review_due_count(session, policy, until=now),
            "due_soon": store.review_due_count(session, policy, until=soon),
            "retention": store.retention_count(session, policy, until=horizon),
        }
        for label, action, note in (
            (
                "Casework review-due list",
                reviews,
                f"{counts['overdue']:,} overdue + {counts['due_soon'] - counts['overdue']:,} due within "
                f"{policy.due_soon.text} of {cases:,} open cases",
            ),
            (
                "MoPI retention list (every case due)",
                retention,
                f"{counts['retention']:,} records due (horizon {horizon:%Y}: the list at its fullest)",
            ),
        ):
            statements = _capture_sql(store, action)
            raw = _raw_connection(db.path)
            floor = _replay(raw, statements)
            ours_t, floor_t = time_pair(action, floor, ctx.config.list_runs, warmup=2)
            raw.close()
            rows.append(
                Row(
                    f"{label} at {db.records:,} records",
                    db.records,
                    Target(max_ms=100, max_ratio=2),
                    timing=ours_t,
                    floor=floor_t,
                    note=f"{note}; counts (up to {COUNT_CAP:,}: the tab shows '{COUNT_CAP:,}+') + page of {PAGE}; floor replays the store's {len(statements)} "
                    f"SELECTs on a raw SQLCipher connection; schedule worked out once for {scheduled:,} "
                    f"cases in {sync_s:.1f} s",
                )
            )
    finally:
        store.close()
    return rows


def _replay(raw: sqlite3.Connection, statements: list[str]) -> Callable[[], None]:
    def floor() -> None:
        for sql in statements:
            raw.execute(sql).fetchall()

    return floor
