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


def _scope(borough: str | None) -> tuple[str, tuple[Any, ...]]:
    return (" AND lower(borough) = lower(%s)", (borough,)) if borough else ("", ())


def part_a(
    conn: psycopg.Connection[Any], spec: FormSpec, period: Period, *, borough: str | None = None
) -> PartA:
    """Part A of ``borough`` (every borough when None) for ``period`` over the records of form ``spec``."""
    from dsvdesk.engine.vocabulary import vocabulary_of

    vocabulary = vocabulary_of(spec)
    vocabulary.require_risk("Part A")
    where, extra = _scope(borough)
    floors = sorted({floor for floor, _key in parta.age_floors(vocabulary)}, reverse=True)
    floor_sql = (
        f"CASE {' '.join(f'WHEN victim_age >= {int(f)} THEN {int(f)}' for f in floors)} ELSE -1 END"
        if floors
        else "-1"
    )
    start, end, lookback = period.start, period.end, period.lookback_start
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")  # one snapshot
        started_row = conn.execute(
            f"SELECT count(*) FROM hq_records WHERE form_id = %s AND incident_date BETWEEN %s AND %s{where}",  # noqa: S608
            (spec.id, start, end, *extra),
        ).fetchone()
        started = int(started_row[0]) if started_row else 0
        groups_sql = (
            f"SELECT shared::text, CASE WHEN referral THEN 1 END, to_char(incident_date, 'YYYY-MM'), NULL, "  # noqa: S608
            f"{floor_sql}, count(*) FROM hq_records WHERE form_id = %s AND status = 'approved' "
            f"AND incident_date BETWEEN %s AND %s{where}"
        )
        groups = conn.execute(groups_sql + " GROUP BY 1, 2, 3, 5", (spec.id, start, end, *extra)).fetchall()
        approved = (
            "FROM hq_records WHERE form_id = %s AND status = 'approved' AND incident_date BETWEEN %s AND %s"
            f"{where}"
        )
        keys = conn.execute(
            f"SELECT id, incident_date::text, victim_key {approved} AND victim_key IN ("
            f"SELECT victim_key {approved} AND victim_key IS NOT NULL GROUP BY victim_key HAVING count(*) > 1)",
            (spec.id, lookback, end, *extra, spec.id, lookback, end, *extra),
        ).fetchall()
        matches, repeat_victims = parta.repeat_matches_of(keys, period)
        matched_ids = [m.record_id for m in matches]
        matched = conn.execute(
            groups_sql + " AND id = ANY(%s) GROUP BY 1, 2, 3, 5", (spec.id, start, end, *extra, matched_ids)
        ).fetchall()
    return parta.compute_part_a_from_counts(
        started, groups, matched, matches, repeat_victims, period, vocabulary=vocabulary
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
