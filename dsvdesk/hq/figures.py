"""Part A at HQ: PostgreSQL counts the approved records of a period in groups and hands over only the
records whose victim recurs, exactly as a station's SQLite read does (``reporting.queries``), and the
same pure functions (``reporting.parta.compute_part_a_from_counts``, ``repeat_matches_of``) turn the
counts into figures. So a borough's figures at HQ equal its CSU's for the same records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.reporting import parta

if TYPE_CHECKING:
    import psycopg

    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.reporting.parta import PartA, Period

# The figures of the force-wide table, one column each (keys of PartA.figure_map()).
TABLE_FIGURES = (
    ("records", "Records"),
    ("started", "Started"),
    ("grade.high", "High risk"),
    ("marac.referrals", "MARAC referrals"),
    ("repeat_victims", "Repeat victims"),
    ("arrested", "Arrested"),
    ("arrest_rate", "Arrest rate"),
)


@dataclass(frozen=True, slots=True)
class BoroughFigures:
    borough: str
    part_a: PartA


def part_a(
    conn: psycopg.Connection[Any], spec: FormSpec, period: Period, *, borough: str | None = None
) -> PartA:
    """Part A of ``borough`` (every borough when None) for ``period`` over the records of form ``spec``.

    Two statements in one read-only snapshot: the records started, then PostgreSQL finds the repeat victims itself
    (`repeat_days_sql`) and counts the approved records of the period in groups, each group's repeat
    records apart, so no record reaches Python one by one. HQ counts repeat victims without listing
    which records link (``PartA.repeat_matches`` is empty here; a station or CSU logs its links)."""
    from dsvdesk.engine.vocabulary import vocabulary_of

    vocabulary = vocabulary_of(spec)
    vocabulary.require_risk("Part A")
    floors = sorted({floor for floor, _key in parta.age_floors(vocabulary)}, reverse=True)
    floor_sql = (
        f"CASE {' '.join(f'WHEN victim_age >= {int(f)} THEN {int(f)}' for f in floors)} ELSE -1 END"
        if floors
        else "-1"
    )
    params = {
        "form": spec.id,
        "start": period.start,
        "end": period.end,
        "lookback": period.lookback_start,
        "borough": borough,
    }
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot
        conn.execute(f"SET LOCAL work_mem = '{_WORK_MEM}'")  # the repeat pass sorts two years' (key, day)
        conn.execute("SET LOCAL jit = off")  # compiling the plan costs more than it saves on one run
        started_row = conn.execute(started_sql(by_borough=borough is not None), params).fetchone()
        rows = conn.execute(counts_sql(floor_sql, by_borough=borough is not None), params).fetchall()
    started = int(started_row[0]) if started_row else 0
    repeat_victims = int(rows[0][-1]) if rows else 0  # no approved record in the period: no repeat
    groups = [(s, ref, month, None, floor, n) for s, ref, month, floor, n, _r, _v in rows]
    matched = [(s, ref, month, None, floor, r) for s, ref, month, floor, _n, r, _v in rows if r]
    return parta.compute_part_a_from_repeat_counts(
        started, groups, matched, repeat_victims, period, vocabulary=vocabulary
    )


# Sorting each record's (victim key, day) of two years at a force's size (~250,000 records) in memory.
_WORK_MEM = "64MB"


_IN_BOROUGH = " AND lower(borough) = lower(%(borough)s)"


def started_sql(*, by_borough: bool) -> str:
    """SQL: the records of the period, whatever their status."""
    return (
        "SELECT count(*) FROM hq_records WHERE form_id = %(form)s "  # noqa: S608 - fixed texts only
        f"AND incident_date BETWEEN %(start)s AND %(end)s{_IN_BOROUGH if by_borough else ''}"
    )


def repeat_days_sql(*, by_borough: bool) -> str:
    """SQL: the (victim key, incident date) of the approved records in the period whose victim was in
    an approved record with an earlier incident date no more than 12 months before — the rule of
    ``parta.find_repeat_matches`` (an earlier record is one of an earlier day; 12 months before the 29th of
    February is the 28th, as ``interval '12 months'`` counts). Each victim's distinct days in order: a day
    is a repeat when the day before it in that order lies within 12 months. The keys are hex digests,
    sorted bytewise (``COLLATE "C"``: the database's own collation would compare them as words)."""
    return (
        "SELECT victim_key, day FROM ("  # noqa: S608 - fixed texts only
        "SELECT victim_key, day, lag(day) OVER (PARTITION BY victim_key ORDER BY day) AS previous FROM ("
        'SELECT DISTINCT victim_key COLLATE "C" AS victim_key, incident_date AS day FROM hq_records '
        "WHERE form_id = %(form)s AND status = 'approved' AND victim_key IS NOT NULL "
        f"AND incident_date BETWEEN %(lookback)s AND %(end)s{_IN_BOROUGH if by_borough else ''}) AS days) "
        "AS ordered WHERE day >= %(start)s AND previous >= day - interval '12 months'"
    )


def counts_sql(floor_sql: str, *, by_borough: bool) -> str:
    """The approved records of the period in groups as ``queries.fetch_period_counts`` makes them (shared
    values, referral, month, -, age floor), each with its number of records and of repeat records;
    every row also carries the number of repeat victims (distinct victim keys among the repeats). Read
    twice, the repeats are worked out once (a CTE used twice is materialised; PostgreSQL 11, which the
    INCLUDE indexes need, knows no ``MATERIALIZED``). The
    month is grouped as its first day, by date arithmetic (``to_char`` of every record's date cost more
    than the rest of the grouping), and written as ``YYYY-MM`` once per group."""
    month = "incident_date - (extract(day FROM incident_date)::integer - 1)"
    return (
        f"WITH repeats AS ({repeat_days_sql(by_borough=by_borough)}) "  # noqa: S608 - fixed texts only
        f"SELECT shared::text, CASE WHEN referral THEN 1 END, to_char({month}, 'YYYY-MM'), {floor_sql}, count(*), "
        'count(*) FILTER (WHERE (victim_key COLLATE "C", incident_date) IN (SELECT victim_key, day FROM repeats)), '
        "(SELECT count(DISTINCT victim_key) FROM repeats) "
        "FROM hq_records WHERE form_id = %(form)s AND status = 'approved' "
        f"AND incident_date BETWEEN %(start)s AND %(end)s{_IN_BOROUGH if by_borough else ''} "
        f"GROUP BY 1, 2, {month}, 4"
    )


def boroughs(conn: psycopg.Connection[Any]) -> list[str]:
    return [str(r[0]) for r in conn.execute("SELECT DISTINCT borough FROM hq_records ORDER BY 1")]


def force_table(conn: psycopg.Connection[Any], spec: FormSpec, period: Period) -> list[BoroughFigures]:
    """Part A of every borough, then the force as a whole (its repeat victims matched force-wide)."""
    rows = [BoroughFigures(b, part_a(conn, spec, period, borough=b)) for b in boroughs(conn)]
    rows.append(BoroughFigures("Force", part_a(conn, spec, period)))
    return rows


def table_lines(rows: Sequence[BoroughFigures]) -> list[str]:
    width = max([len(r.borough) for r in rows] + [7])
    head = f"{'Borough':<{width}}  " + "  ".join(f"{label:>15}" for _key, label in TABLE_FIGURES)
    lines = [head, "-" * len(head)]
    for row in rows:
        values = row.part_a.figure_map()
        lines.append(
            f"{row.borough:<{width}}  " + "  ".join(f"{values.get(k, '-'):>15}" for k, _l in TABLE_FIGURES)
        )
    return lines


def parse_day(text: str, what: str) -> dt.date:
    from dsvdesk.errors import BadInput

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{what} {text!r} is not a date; use YYYY-MM-DD.") from None
