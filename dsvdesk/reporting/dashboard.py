"""The supervisors' compliance dashboard: figures for a period, each with the records behind it.

Qt-free and read-only. The cohort is the records of one form **started** (created) in the period; every
figure is counted from the store's own columns (``status``, ``ever_submitted``, ``urn``, ``grade`` and
the form's ``columns_json`` values ``marac_referral_date``, ``marac_criteria``, ``children_count``,
``merlin_missing``) and from the lifecycle events of the audit log (returns; submission and approval
times). No answers are read. The whole read is logged as one consultation with the dates and the
count only (DPA 2018 s.62; no personal data in the log).

Definitions (shown to the supervisor beside each chart, see ``FIGURE_NOTES``):

* started: records created in the period; submitted: of those, ever submitted; approved: of those,
  approved at least once (they hold a URN). Compliance rate = approved / started.
* grade distribution: the final grade (the supervisor's where set, else the officer's) of the
  submitted records.
* MARAC referral required: a submitted record whose form says so (its ``marac_required`` column, the
  form's own rule; a record saved before the form had that column: the form's highest grade, or any
  MARAC criterion met); made: a submitted record with a referral date. "Required but not made" lists
  the gap.
* children: submitted records with children, split by whether every child present or resident has a
  Merlin PAC reference (the form's ``merlin_missing`` count).
* returned rate: submitted records returned at least once / submitted records.
* median hours from submission to approval: per approval, from the first submission of that revision
  (so rework after a return counts) to the approval.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import statistics
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING, Any, overload

from dsvdesk.engine.vocabulary import Vocabulary
from dsvdesk.store import audit
from dsvdesk.store.errors import InvalidInput
from dsvdesk.store.models import Role, Session

if TYPE_CHECKING:
    from dsvdesk.engine.casework import CaseworkPolicy
    from dsvdesk.store import Store

MAX_PERIOD_DAYS = 3700  # about ten years; a longer range is a typing mistake
NOT_RECORDED = "not_recorded"
# The form's column that says whether a record needs a MARAC referral (docs/forms.md).
MARAC_REQUIRED_COLUMN = "marac_required"
EMPTY_MESSAGE = "No records were started in this period."

FIGURE_NOTES: Mapping[str, str] = {
    "lifecycle": "Records started in the period, how many were submitted, and how many approved. "
    "Compliance rate = approved ÷ started.",
    "grade": "Final grade (the supervisor's where set, else the officer's) of the submitted records.",
    "marac": "Required: the form's rule says a referral is needed (a MARAC criterion met, or the highest "
    "grade). Made: a referral date recorded.",
    "children": "Submitted records with children: every child present or resident has a Merlin PAC "
    "reference, or at least one is missing.",
    "returned": "Submitted records sent back to the officer at least once.",
    "timing": "Per approval, hours from the first submission of that revision to the approval.",
    "reviews": "Cases of the period's submitted records whose next risk review (the casework form's "
    "schedule from the first submission) is past its due time, or due soon.",
    "vcop": "Victims' Code: first contact made or attempted in time after the first submission, and a "
    "contact in time after each arrest, charge or bail (the times are the casework form's).",
    "referrals": "Referrals the casework form requires for the case's current grade (e.g. IDVA for "
    "medium and high risk), made or missing.",
}


@dataclass(frozen=True, slots=True)
class Period:
    """Inclusive calendar days."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInput(
                f"The period ends ({self.end:%d/%m/%Y}) before it starts ({self.start:%d/%m/%Y}); swap the dates."
            )
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise InvalidInput("The period is longer than ten years; choose a shorter one.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds_utc(self, tz: dt.tzinfo | None) -> tuple[str, str]:
        """ISO UTC instants of the first moment of ``start`` and of the day after ``end``, in ``tz``
        (the PC's local time when None), comparable with the store's stamps."""
        first = dt.datetime.combine(self.start, dt.time.min)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min)
        first = first.replace(tzinfo=tz) if tz is not None else first.astimezone()
        after = after.replace(tzinfo=tz) if tz is not None else after.astimezone()
        return (
            first.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            after.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        )

    def describe(self) -> str:
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


def preset_period(name: str, today: dt.date) -> Period:
    """The period a preset button means: last_7_days, last_30_days, this_month, last_month,
    last_3_months, this_year."""
    if name == "last_7_days":
        return Period(today - dt.timedelta(days=6), today)
    if name == "last_30_days":
        return Period(today - dt.timedelta(days=29), today)
    if name == "this_month":
        return Period(today.replace(day=1), today)
    if name == "last_month":
        last_day = today.replace(day=1) - dt.timedelta(days=1)
        return Period(last_day.replace(day=1), last_day)
    if name == "last_3_months":
        month = today.month - 2
        year = today.year
        if month < 1:
            month += 12
            year -= 1
        return Period(dt.date(year, month, 1), today)
    if name == "this_year":
        return Period(dt.date(today.year, 1, 1), today)
    raise InvalidInput(f"Unknown period {name!r}.")


PRESETS: tuple[tuple[str, str], ...] = (
    ("last_7_days", "Last 7 days"),
    ("last_30_days", "Last 30 days"),
    ("this_month", "This month"),
    ("last_month", "Last month"),
    ("last_3_months", "Last 3 months"),
    ("this_year", "This year"),
)


@dataclass(frozen=True, slots=True)
class DashboardRecord:
    """What the click-through list shows for one record (no answers beyond the list columns)."""

    id: str
    victim_name: str | None
    incident_date: str | None
    officer: str
    status: str
    grade: str | None
    urn: str | None
    created_at: str
    grade_label: str = ""  # the grade as the form labels it


class RecordIds(Sequence[str]):
    """The records behind a figure, kept as SQLite joined their ids (one comma-separated run per group
    of the cohort, in order) and split into a tuple only when the ids themselves are asked for: the
    dashboard shows counts, and a figure's records are read on a click. Its length is known without
    splitting (``count``, the runs' ids), except with ``distinct``: an id repeated then counts once,
    where it first appears. Equal to a tuple (or another ``RecordIds``) of the same ids in order."""

    __slots__ = ("_count", "_distinct", "_ids", "_runs")

    def __init__(self, runs: Iterable[str] = (), count: int | None = None, *, distinct: bool = False) -> None:
        self._runs: tuple[str, ...] = tuple(r for r in runs if r)
        self._count = count
        self._distinct = distinct
        self._ids: tuple[str, ...] | None = None

    @classmethod
    def of(cls, ids: Iterable[str]) -> RecordIds:
        """Ids one by one (none of them holds a comma)."""
        ids = list(ids)
        return cls((",".join(ids),) if ids else (), len(ids))

    @classmethod
    def run(cls, joined: str | None) -> RecordIds:
        """One run of ids as SQLite's group_concat(id, ',') gave it (None: no ids)."""
        return cls((joined,), joined.count(",") + 1) if joined else cls((), 0)

    @classmethod
    def joined(cls, parts: Iterable[RecordIds]) -> RecordIds:
        """The ids of `parts`, one after another (repeats kept)."""
        parts = list(parts)
        count: int | None = 0
        for part in parts:
            if part._distinct:
                part._all()  # its runs are then its ids, each once
            count = None if count is None or part._count is None else count + part._count
        return cls(chain.from_iterable(p._runs for p in parts), count)

    def distinct(self) -> RecordIds:
        """The same ids, each once (where it first appears)."""
        return RecordIds(self._runs, distinct=True)

    def _all(self) -> tuple[str, ...]:
        if self._ids is None:
            ids = chain.from_iterable(r.split(",") for r in self._runs)
            self._ids = tuple(dict.fromkeys(ids) if self._distinct else ids)
            if self._distinct:
                self._runs, self._distinct = ((",".join(self._ids),) if self._ids else ()), False
            self._count = len(self._ids)
        return self._ids

    def __len__(self) -> int:
        return self._count if self._count is not None and not self._distinct else len(self._all())

    def __bool__(self) -> bool:
        return bool(self._runs)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __contains__(self, value: object) -> bool:
        return value in self._all()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordIds | tuple):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return f"RecordIds({len(self)} ids)"


@dataclass(frozen=True, slots=True)
class Figure:
    group: str  # lifecycle, grade, marac, children, returned, timing
    key: str  # e.g. "lifecycle.approved", "grade.high"
    label: str
    value: float | int | None  # None: not applicable (a rate over nothing)
    record_ids: Sequence[str] = ()  # a tuple, or the RecordIds SQLite gave
    unit: str = ""  # "%", "h" or "" for a count

    @property
    def text(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "%":
            return f"{self.value:.0f}%"
        if self.unit == "h":
            return f"{self.value:.1f} h"
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Dashboard:
    period: Period
    form_id: str
    figures: tuple[Figure, ...]
    started: int = 0  # records started in the period (the cohort)
    # where the click-through lists are read from (compute_dashboard's store and session), and the
    # form's words for the grades
    store: Store | None = field(default=None, repr=False, compare=False)
    session: Session | None = field(default=None, repr=False, compare=False)
    vocabulary: Vocabulary | None = field(default=None, repr=False, compare=False)
    # which stations' records are counted, up to which transfer bundle (a CSU's dashboard, issue 17)
    coverage: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        return EMPTY_MESSAGE if not self.started else ""

    @property
    def coverage_line(self) -> str:
        return f"Records of: {'; '.join(self.coverage)}" if self.coverage else ""

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)

    def value(self, key: str) -> float | int | None:
        return self.figure(key).value

    def group(self, name: str) -> list[Figure]:
        return [f for f in self.figures if f.group == name]

    def records_for(self, key: str, store: Store | None = None) -> list[DashboardRecord]:
        """The records behind a figure, oldest first, read when asked (a figure can stand for tens of
        thousands of records) from `store` (an open store of the same database; by default the one the
        dashboard was computed with)."""
        figure = self.figure(key)
        source = store or self.store
        if not figure.record_ids or source is None or self.session is None:
            return []
        return read_dashboard_records(
            source, self.session, figure.record_ids, self.vocabulary or Vocabulary(form_id=self.form_id)
        )


@dataclass(slots=True)
class CohortRow:
    """One record of the period as the figures need it (list columns only, never answers)."""

    id: str
    status: str
    ever_submitted: bool
    urn: str | None
    grade: str | None
    columns: dict[str, Any]
    record: DashboardRecord


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else 100.0 * part / whole


def _int(value: Any) -> int:
    if isinstance(value, bool) or value is None:
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("yes", "true"):
            return 1
        try:
            return int(float(text))
        except (ValueError, OverflowError):  # not a number; "inf"
            return 0
    return 0


def _answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | dict):
        return bool(value)
    return True


def _parse(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class CohortGroup:
    """Records of the period that no figure tells apart: the same lifecycle, grade and the same
    answers to what the figures ask of the columns document. SQLite forms these groups
    (``compute_dashboard``); ``compute_figures`` makes one per record."""

    ids: RecordIds
    status: str
    ever_submitted: bool
    has_urn: bool
    grade: str | None
    required: bool | None  # the form's marac_required column read as a yes; None: the form has none
    referral_made: bool  # a MARAC referral date answered
    criteria_met: bool  # any MARAC criterion answered
    children: int  # children_count, read as a number
    merlin_missing: int  # merlin_missing, read as a number

    @classmethod
    def of_row(cls, row: CohortRow) -> CohortGroup:
        value = row.columns.get(MARAC_REQUIRED_COLUMN)
        return cls(
            ids=RecordIds.of((row.id,)),
            status=row.status,
            ever_submitted=row.ever_submitted,
            has_urn=bool(row.urn),
            grade=row.grade,
            required=(value is True or str(value).strip().lower() in {"yes", "true", "1"})
            if MARAC_REQUIRED_COLUMN in row.columns
            else None,
            referral_made=_answered(row.columns.get("marac_referral_date")),
            criteria_met=_answered(row.columns.get("marac_criteria")),
            children=_int(row.columns.get("children_count")),
            merlin_missing=_int(row.columns.get("merlin_missing")),
        )


@dataclass(frozen=True, slots=True)
class Approvals:
    """The cohort's approvals timed from the first submission of their revision: their records (in the
    order read; a record approved twice is there twice), how many there are, and their median hours."""

    records: RecordIds
    count: int
    median_hours: float | None

    @classmethod
    def of(cls, timed: Sequence[tuple[str, float]]) -> Approvals:
        """From (record, hours) per approval."""
        hours = [h for _, h in timed]
        return cls(RecordIds.of(r for r, _ in timed), len(hours), statistics.median(hours) if hours else None)


def compute_figures(
    rows: Sequence[CohortRow], events: Iterable[tuple[str, str, int | None, str]], *, vocabulary: Vocabulary
) -> list[Figure]:
    """Pure: the figures from the cohort's rows and its lifecycle events (record id, event, revision, at);
    grades and their labels are the form's (`vocabulary`). The record-by-record definition of what
    ``compute_dashboard`` has SQLite count (a test holds the two to the same figures)."""
    cohort = {r.id for r in rows}
    first_submitted: dict[tuple[str, int | None], dt.datetime] = {}
    returned: list[str] = []
    approvals: list[tuple[str, float]] = []
    for record_id, event, revision, at in sorted(events, key=lambda e: e[3]):
        if record_id not in cohort:
            continue
        moment = _parse(at)
        if moment is None:
            continue
        if event == audit.SUBMITTED:
            first_submitted.setdefault((record_id, revision), moment)
        elif event == audit.RETURNED:
            returned.append(record_id)
        elif event == audit.APPROVED:
            start = first_submitted.get((record_id, revision))
            if start is not None:
                approvals.append((record_id, (moment - start).total_seconds() / 3600))
    return figures_of_groups(
        [CohortGroup.of_row(r) for r in rows], returned, Approvals.of(approvals), vocabulary=vocabulary
    )


def figures_of_groups(
    groups: Sequence[CohortGroup],
    returned: Iterable[str],
    approvals: Approvals,
    *,
    vocabulary: Vocabulary,
) -> list[Figure]:
    """The figures from the cohort in groups, its records returned at least once (each of the cohort;
    repeated per return) and its timed approvals. A figure's records are kept as the groups hold them
    (``RecordIds``): nothing is split or copied per record to count them."""
    ids = _ids(groups)
    submitted = [g for g in groups if _submitted(g)]
    submitted_ids = _ids(submitted)
    approved_ids = _ids(g for g in groups if g.has_urn or g.status == "approved")
    figures = [
        Figure("lifecycle", "lifecycle.started", "Started", len(ids), ids),
        Figure("lifecycle", "lifecycle.submitted", "Submitted", len(submitted_ids), submitted_ids),
        Figure("lifecycle", "lifecycle.approved", "Approved", len(approved_ids), approved_ids),
        Figure(
            "lifecycle",
            "lifecycle.compliance_rate",
            "Compliance rate (approved ÷ started)",
            _rate(len(approved_ids), len(ids)),
            approved_ids,
            "%",
        ),
    ]
    figures += _grade_figures(submitted, vocabulary)

    needed = [g for g in submitted if marac_required(g, vocabulary)]
    required = _ids(needed)
    made = _ids(g for g in submitted if g.referral_made)
    missing = _ids(g for g in needed if not g.referral_made)  # a group's records are made or not alike
    figures += [
        Figure("marac", "marac.required", "Referral required", len(required), required),
        Figure("marac", "marac.made", "Referral made", len(made), made),
        Figure("marac", "marac.missing", "Required but not made", len(missing), missing),
    ]

    with_children = [g for g in submitted if g.children > 0]
    complete = _ids(g for g in with_children if g.merlin_missing == 0)
    incomplete = _ids(g for g in with_children if g.merlin_missing > 0)
    figures += [
        Figure("children", "children.with_merlin", "All children have Merlin refs", len(complete), complete),
        Figure("children", "children.without_merlin", "Merlin ref missing", len(incomplete), incomplete),
        Figure(
            "children",
            "children.total",
            "Children recorded",
            sum(g.children * len(g.ids) for g in with_children),
            _ids(with_children),
        ),
        Figure(
            "children",
            "children.missing",
            "Children without a Merlin ref",
            sum(g.merlin_missing * len(g.ids) for g in with_children),
            incomplete,
        ),
    ]

    returned_ids = _submitted_only(tuple(dict.fromkeys(returned)), groups, submitted_ids)
    timed_ids = approvals.records.distinct()
    figures += [
        Figure("returned", "returned.count", "Returned at least once", len(returned_ids), returned_ids),
        Figure(
            "returned",
            "returned.rate",
            "Returned rate (returned ÷ submitted)",
            _rate(len(returned_ids), len(submitted_ids)),
            returned_ids,
            "%",
        ),
        Figure(
            "timing",
            "timing.median_hours",
            "Median hours, submission → approval",
            approvals.median_hours,
            timed_ids,
            "h",
        ),
        Figure("timing", "timing.approvals", "Approvals timed", approvals.count, timed_ids),
    ]
    return figures


def _submitted(group: CohortGroup) -> bool:
    return group.ever_submitted or group.status in ("submitted", "approved")


def _submitted_only(
    returned: tuple[str, ...], groups: Sequence[CohortGroup], submitted: Sequence[str]
) -> tuple[str, ...]:
    """The records of `returned` (each of the cohort) that are submitted: checked against whichever is
    fewer, the submitted records or the others."""
    if not returned:
        return ()
    others = [g for g in groups if not _submitted(g)]
    if sum(len(g.ids) for g in others) < len(submitted):
        left_out = set(_ids(others))
        return tuple(i for i in returned if i not in left_out)
    kept = set(submitted)
    return tuple(i for i in returned if i in kept)


def _ids(groups: Iterable[CohortGroup]) -> RecordIds:
    """The records of `groups`, group after group."""
    return RecordIds.joined(g.ids for g in groups)


def _grade_figures(submitted: Sequence[CohortGroup], vocabulary: Vocabulary) -> list[Figure]:
    known = vocabulary.grade_values
    by_grade: dict[str, list[CohortGroup]] = {g: [] for g in known}
    for group in submitted:
        grade = vocabulary.normalise_grade(group.grade) or (group.grade or "").strip().lower() or NOT_RECORDED
        by_grade.setdefault(grade, []).append(group)
    by_grade.setdefault(NOT_RECORDED, [])
    ordered = [*known, *sorted(g for g in by_grade if g not in known and g != NOT_RECORDED), NOT_RECORDED]
    figures = []
    for grade in ordered:
        label = "Not recorded" if grade == NOT_RECORDED else vocabulary.grade_label(grade)
        ids = _ids(by_grade[grade])
        figures.append(Figure("grade", f"grade.{grade}", label, len(ids), ids))
    return figures


def marac_required(group: CohortGroup, vocabulary: Vocabulary) -> bool:
    """Whether the records need a MARAC referral, as their form's ``marac_required`` column says;
    records saved before their form had the column: the highest grade, or any MARAC criterion met."""
    if group.required is not None:
        return group.required
    top = vocabulary.top_grade
    graded_top = top is not None and vocabulary.normalise_grade(group.grade) == top
    return graded_top or group.criteria_met


# What SQLite counts, read from records_dashboard_groups (migration 0024). GROUP_KEY is the index's
# expression, character for character: only then does SQLite read its value from the index instead of
# every record's row and columns document (tests/unit/qa/test_dashboard.py checks the plan).
_WHITESPACE = (
    "char(9, 10, 11, 12, 13, 28, 29, 30, 31, 32, 133, 160, 5760, 8192, 8193, 8194, 8195, 8196, 8197, "
    "8198, 8199, 8200, 8201, 8202, 8232, 8233, 8239, 8287, 12288)"
)  # the characters Python's str.strip() removes (str.isspace)


def _answered_sql(path: str) -> str:
    value = f"json_extract(columns_json, '{path}')"
    kind = f"json_type(columns_json, '{path}')"
    return (
        f"CASE {kind} WHEN 'text' THEN trim({value}, {_WHITESPACE}) <> '' "
        f"WHEN 'array' THEN json_array_length(columns_json, '{path}') > 0 WHEN 'object' THEN {value} <> '{{}}' "
        f"WHEN 'null' THEN 0 ELSE {kind} IS NOT NULL END"
    )


def _required_sql() -> str:
    path = f"$.{MARAC_REQUIRED_COLUMN}"
    kind = f"json_type(columns_json, '{path}')"
    value = f"json_extract(columns_json, '{path}')"
    return (
        f"CASE WHEN {kind} IS NULL THEN NULL WHEN {kind} = 'true' THEN 1 WHEN {kind} = 'integer' THEN "
        f"{value} = 1 WHEN {kind} = 'text' THEN lower(trim({value}, {_WHITESPACE})) IN ('yes', 'true', '1') "
        "ELSE 0 END"
    )


GROUP_COLUMNS = (
    "status",
    "ever_submitted",
    "coalesce(urn, '') <> ''",
    "grade",
    _required_sql(),
    _answered_sql("$.marac_referral_date"),
    _answered_sql("$.marac_criteria"),
    "json_type(columns_json, '$.children_count')",
    "json_extract(columns_json, '$.children_count')",
    "json_type(columns_json, '$.merlin_missing')",
    "json_extract(columns_json, '$.merlin_missing')",
)
# The values above as one JSON array, one key per record that the index is ordered by (a REAL is
# written with enough digits to read back exactly; a JSON array or object answer is written as itself,
# and read as 0 children as its JSON type says).
GROUP_KEY = f"json_array({', '.join(GROUP_COLUMNS)})"
_GROUPS_INDEX = "records INDEXED BY records_dashboard_groups"
# Each value of the key the form's records have, walked in the index's order (one look-up each), and its
# records started in the period, one range of the index each: no record is sorted. A value no record
# of the period has comes back with no ids.
_GROUPS_SQL = (
    "WITH RECURSIVE keys (k) AS ("  # noqa: S608 - fixed text
    f"SELECT (SELECT {GROUP_KEY} FROM {_GROUPS_INDEX} WHERE form_id = ?1 ORDER BY {GROUP_KEY} LIMIT 1) "
    f"UNION ALL SELECT (SELECT {GROUP_KEY} FROM {_GROUPS_INDEX} WHERE form_id = ?1 AND {GROUP_KEY} > keys.k "
    f"ORDER BY {GROUP_KEY} LIMIT 1) FROM keys WHERE k IS NOT NULL) "
    f"SELECT (SELECT group_concat(id, ',') FROM {_GROUPS_INDEX} WHERE form_id = ?1 AND {GROUP_KEY} = keys.k "
    "AND created_at >= ?2 AND created_at < ?3), k FROM keys WHERE k IS NOT NULL"
)
# The period's returns and approvals (migration 0024's dashboard_events: each with its record's form
# and start, and an approval's first submission of its revision), one range of the covering index
# dashboard_events_cohort, whose last column is MICROSECONDS (character for character, migration 0027):
# the time from that submission to the approval in whole microseconds, worked out exactly from the
# store's own stamps (UTC, microseconds); ``_hours`` makes it hours. Approvals with no submission
# before them have none; those whose times are not the store's own stamps come back as text for Python
# to read (as compute_figures does).
_STAMP = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]+00:00"
MICROSECONDS = (
    f"CASE WHEN submitted_at <= at AND submitted_at GLOB '{_STAMP}' AND at GLOB '{_STAMP}' "
    "THEN (unixepoch(at) - unixepoch(submitted_at)) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER) "
    "- CAST(substr(submitted_at, 21, 6) AS INTEGER) END"
)
_COHORT_EVENTS = "FROM dashboard_events WHERE form_id = ? AND started_at >= ? AND started_at < ?"
# One row: the returned records' ids, then the timed approvals' record ids and their microseconds (in
# the same order: group_concat leaves out the NULLs; integers, written as they are), each list joined
# by commas so that 60,000 approvals come to Python as three strings, not 60,000 rows; and how many
# rows there are: any beyond the returns and the timed approvals are approvals with no time (only then
# is _UNSTAMPED_SQL asked which can be read in Python).
_EVENTS_SQL = (
    f"SELECT group_concat(CASE event WHEN '{audit.RETURNED}' THEN record_id END, ','), "
    f"group_concat(CASE WHEN event = '{audit.APPROVED}' AND {MICROSECONDS} IS NOT NULL THEN record_id END, ','), "
    f"group_concat(CASE event WHEN '{audit.APPROVED}' THEN {MICROSECONDS} END, ','), "
    f"count(*) {_COHORT_EVENTS}"
)
_UNSTAMPED_SQL = (
    f"SELECT record_id, submitted_at, at {_COHORT_EVENTS} AND event = '{audit.APPROVED}' "
    f"AND {MICROSECONDS} IS NULL AND submitted_at <= at"
)


def _hours(microseconds: float) -> float:
    """Hours from whole microseconds, as SQLite's ``microseconds / 1000000.0 / 3600`` (0024's hours)."""
    return microseconds / 1000000.0 / 3600


def _median_hours(microseconds: list[int]) -> float | None:
    """``statistics.median`` of the hours of `microseconds`: sorted as floats (faster than large ints;
    the same order, as hours are a rising function of them), and only the middle one or two made hours."""
    if not microseconds:
        return None
    spans = list(map(float, microseconds))
    spans.sort()
    middle = len(spans) // 2
    if len(spans) % 2:
        return _hours(spans[middle])
    return (_hours(spans[middle - 1]) + _hours(spans[middle])) / 2


def _number(kind: str | None, value: Any) -> int:
    """A children count as the columns document held it (its JSON type and SQLite's value), read as
    ``_int`` reads the Python value."""
    if kind in ("true", "false"):
        return _int(kind == "true")
    if kind in ("array", "object"):
        return 0
    return _int(value)


def read_cohort_groups(conn: sqlite3.Connection, form_id: str, first: str, after: str) -> list[CohortGroup]:
    """The records of `form_id` started in [first, after), grouped by SQLite."""
    groups = []
    for ids, key in conn.execute(_GROUPS_SQL, (form_id, first, after)):
        if ids is None:
            continue
        status, submitted, urn, grade, required, made, criteria, cc_t, cc, mm_t, mm = json.loads(key)
        groups.append(
            CohortGroup(
                ids=RecordIds.run(str(ids)),
                status=str(status),
                ever_submitted=bool(submitted),
                has_urn=bool(urn),
                grade=grade,
                required=None if required is None else bool(required),
                referral_made=bool(made),
                criteria_met=bool(criteria),
                children=_number(cc_t, cc),
                merlin_missing=_number(mm_t, mm),
            )
        )
    return groups


def read_lifecycle(
    conn: sqlite3.Connection, form_id: str, first: str, after: str
) -> tuple[list[str], Approvals]:
    """The returns (record ids, in no particular order, repeated per return) and the approvals of the
    records started in [first, after) timed from the first submission of that revision (approvals
    with none before them are not timed)."""
    returns, approved, spans, rows = conn.execute(_EVENTS_SQL, (form_id, first, after)).fetchone()
    returned = returns.split(",") if returns else []
    records = RecordIds.run(approved)
    microseconds: list[int] = json.loads(f"[{spans}]") if approved else []
    if rows == len(returned) + len(microseconds):  # every approval timed
        return returned, Approvals(records, len(microseconds), _median_hours(microseconds))
    # times that are not the store's own stamps: read as compute_figures reads them
    every = [_hours(m) for m in microseconds]
    more: list[str] = []
    for record_id, submitted_at, approved_at in conn.execute(_UNSTAMPED_SQL, (form_id, first, after)):
        start, moment = _parse(str(submitted_at)), _parse(str(approved_at))
        if start is not None and moment is not None:
            more.append(str(record_id))
            every.append((moment - start).total_seconds() / 3600)
    records = RecordIds.joined((records, RecordIds.of(more)))
    return returned, Approvals(records, len(every), statistics.median(every) if every else None)


def compute_dashboard(
    store: Store,
    session: Session,
    period: Period,
    *,
    form_id: str,
    vocabulary: Vocabulary,
    tz: dt.tzinfo | None = None,
    casework: CaseworkPolicy | None = None,
) -> Dashboard:
    """The dashboard of the records of `form_id` (whose grades and labels `vocabulary` gives: the
    form's ``vocabulary_of(spec)``). Supervisors only (``PermissionDenied`` otherwise). SQLite counts
    the cohort in groups and finds its returns and approval times from two covering indexes
    (migrations 0024 and 0027) in one read transaction; a figure's record ids are split out of SQLite's
    runs, and its records read, when asked (``Dashboard.records_for``). One consultation event in the
    audit log."""
    store.require_role(session, Role.SUPERVISOR, action="see the compliance dashboard")
    form_id = form_id.strip()
    if not form_id:
        raise InvalidInput("Choose a form for the dashboard.")
    first, after = period.bounds_utc(tz)
    with store.read() as conn:
        conn.execute("BEGIN")  # one read transaction: the groups and the events see the same writes
        try:
            groups = read_cohort_groups(conn, form_id, first, after)
            returned, approvals = read_lifecycle(conn, form_id, first, after)
        finally:
            conn.execute("COMMIT")
    figures = figures_of_groups(groups, returned, approvals, vocabulary=vocabulary)
    started = sum(len(g.ids) for g in groups)
    if casework is not None:  # overdue reviews, Victims' Code and referral figures of the cohort's cases
        from dsvdesk.reporting.casework import figures_for_records

        submitted = list(next(f for f in figures if f.key == "lifecycle.submitted").record_ids)
        figures += figures_for_records(store, session, casework, submitted, store.now())
    with store.transaction():
        store.audit_event(
            session,
            audit.CONSULTATION,
            justification="Compliance dashboard",
            detail={
                "what": "dashboard",
                "form_id": form_id,
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "records": started,
            },
        )
    coverage = store.transfer_coverage(imported_only=True)  # named only when other stations' records are here
    return Dashboard(
        period=period,
        form_id=form_id,
        figures=tuple(figures),
        started=started,
        store=store,
        session=session,
        vocabulary=vocabulary,
        coverage=tuple(c.describe() for c in coverage),
    )


def read_dashboard_records(
    store: Store, session: Session, record_ids: Sequence[str], vocabulary: Vocabulary
) -> list[DashboardRecord]:
    """The click-through list of a figure: its records' list columns, oldest first (supervisors only)."""
    store.require_role(session, Role.SUPERVISOR, action="see the compliance dashboard")
    with store.read() as conn:
        raw = conn.execute(
            "SELECT r.id, r.victim_name, r.incident_date, u.full_name, r.status, r.grade, r.urn, r.created_at "
            "FROM records r JOIN users u ON u.id = r.owner_id WHERE r.id IN (SELECT value FROM json_each(?)) "
            "ORDER BY r.created_at, r.id",
            (json.dumps(list(record_ids)),),
        ).fetchall()
    names = store.sealed_values(session, [str(r[0]) for r in raw])  # sealed (issue 15): opened here
    return [
        DashboardRecord(
            id=str(r[0]),
            victim_name=names.get(str(r[0]), {}).get("victim_name", r[1]),
            incident_date=r[2],
            officer=str(r[3]),
            status=str(r[4]),
            grade=r[5],
            urn=r[6],
            created_at=str(r[7]),
            grade_label=vocabulary.grade_label(vocabulary.normalise_grade(r[5]) or r[5]) if r[5] else "",
        )
        for r in raw
    ]


def dashboard_form_id(specs: Mapping[str, Any]) -> str | None:
    """The form the dashboard counts: the one marked ``options.part_a_source`` (the investigation form),
    else the only form that is not a report, else None (the UI then offers a choice)."""
    marked = [fid for fid, spec in specs.items() if getattr(spec, "options", {}).get("part_a_source")]
    if len(marked) == 1:
        return marked[0]
    ordinary = [
        fid
        for fid, spec in specs.items()
        if str(getattr(spec, "options", {}).get("kind", "")).lower() not in ("report", "casework")
    ]
    return ordinary[0] if len(ordinary) == 1 else None
