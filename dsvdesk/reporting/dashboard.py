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
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.vocabulary import Vocabulary
from dsvdesk.store import audit
from dsvdesk.store.errors import InvalidInput
from dsvdesk.store.models import Role, Session

if TYPE_CHECKING:
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


@dataclass(frozen=True, slots=True)
class Figure:
    group: str  # lifecycle, grade, marac, children, returned, timing
    key: str  # e.g. "lifecycle.approved", "grade.high"
    label: str
    value: float | int | None  # None: not applicable (a rate over nothing)
    record_ids: tuple[str, ...] = ()
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
    records: Mapping[str, DashboardRecord] = field(default_factory=dict)

    @property
    def message(self) -> str:
        return EMPTY_MESSAGE if not self.records else ""

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(key)

    def value(self, key: str) -> float | int | None:
        return self.figure(key).value

    def group(self, name: str) -> list[Figure]:
        return [f for f in self.figures if f.group == name]

    def records_for(self, key: str) -> list[DashboardRecord]:
        """The records behind a figure, oldest first."""
        figure = self.figure(key)
        found = [self.records[i] for i in figure.record_ids if i in self.records]
        return sorted(found, key=lambda r: (r.created_at, r.id))


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
        except ValueError:
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


def compute_figures(
    rows: Sequence[CohortRow], events: Iterable[tuple[str, str, int | None, str]], *, vocabulary: Vocabulary
) -> list[Figure]:
    """Pure: the figures from the cohort's rows and its lifecycle events (record id, event, revision, at);
    grades and their labels are the form's (`vocabulary`)."""
    ids = [r.id for r in rows]
    submitted = [r for r in rows if r.ever_submitted or r.status in ("submitted", "approved")]
    submitted_ids = tuple(r.id for r in submitted)
    approved_ids = tuple(r.id for r in rows if r.urn or r.status == "approved")
    figures = [
        Figure("lifecycle", "lifecycle.started", "Started", len(ids), tuple(ids)),
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

    known = vocabulary.grade_values
    by_grade: dict[str, list[str]] = {g: [] for g in known}
    for row in submitted:
        grade = vocabulary.normalise_grade(row.grade) or (row.grade or "").strip().lower() or NOT_RECORDED
        by_grade.setdefault(grade, []).append(row.id)
    by_grade.setdefault(NOT_RECORDED, [])
    ordered = [*known, *sorted(g for g in by_grade if g not in known and g != NOT_RECORDED), NOT_RECORDED]
    for grade in ordered:
        label = "Not recorded" if grade == NOT_RECORDED else vocabulary.grade_label(grade)
        figures.append(Figure("grade", f"grade.{grade}", label, len(by_grade[grade]), tuple(by_grade[grade])))

    required = tuple(r.id for r in submitted if marac_required(r, vocabulary))
    made = tuple(r.id for r in submitted if _answered(r.columns.get("marac_referral_date")))
    made_set = set(made)
    missing = tuple(i for i in required if i not in made_set)
    figures += [
        Figure("marac", "marac.required", "Referral required", len(required), required),
        Figure("marac", "marac.made", "Referral made", len(made), made),
        Figure("marac", "marac.missing", "Required but not made", len(missing), missing),
    ]

    with_children = [r for r in submitted if _int(r.columns.get("children_count")) > 0]
    complete = tuple(r.id for r in with_children if _int(r.columns.get("merlin_missing")) == 0)
    incomplete = tuple(r.id for r in with_children if _int(r.columns.get("merlin_missing")) > 0)
    figures += [
        Figure("children", "children.with_merlin", "All children have Merlin refs", len(complete), complete),
        Figure("children", "children.without_merlin", "Merlin ref missing", len(incomplete), incomplete),
        Figure(
            "children",
            "children.total",
            "Children recorded",
            sum(_int(r.columns.get("children_count")) for r in with_children),
            tuple(r.id for r in with_children),
        ),
        Figure(
            "children",
            "children.missing",
            "Children without a Merlin ref",
            sum(_int(r.columns.get("merlin_missing")) for r in with_children),
            incomplete,
        ),
    ]

    cohort = set(ids)
    first_submitted: dict[tuple[str, int | None], dt.datetime] = {}
    returned: list[str] = []
    hours: list[float] = []
    timed: list[str] = []
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
                hours.append((moment - start).total_seconds() / 3600)
                timed.append(record_id)
    submitted_set = set(submitted_ids)
    returned_ids = tuple(i for i in dict.fromkeys(returned) if i in submitted_set)
    timed_ids = tuple(dict.fromkeys(timed))
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
            statistics.median(hours) if hours else None,
            timed_ids,
            "h",
        ),
        Figure("timing", "timing.approvals", "Approvals timed", len(hours), timed_ids),
    ]
    return figures


def marac_required(row: CohortRow, vocabulary: Vocabulary) -> bool:
    """Whether the record needs a MARAC referral, as its form's ``marac_required`` column says; a record
    saved before its form had the column: the highest grade, or any MARAC criterion met."""
    if MARAC_REQUIRED_COLUMN in row.columns:
        value = row.columns[MARAC_REQUIRED_COLUMN]
        return value is True or str(value).strip().lower() in {"yes", "true", "1"}
    top = vocabulary.top_grade
    graded_top = top is not None and vocabulary.normalise_grade(row.grade) == top
    return graded_top or _answered(row.columns.get("marac_criteria"))


def compute_dashboard(
    store: Store,
    session: Session,
    period: Period,
    *,
    form_id: str,
    vocabulary: Vocabulary,
    tz: dt.tzinfo | None = None,
) -> Dashboard:
    """The dashboard of the records of `form_id` (whose grades and labels `vocabulary` gives: the
    form's ``vocabulary_of(spec)``). Supervisors only (``PermissionDenied`` otherwise). One read of the cohort, one of its events,
    and one consultation event in the audit log."""
    store.require_role(session, Role.SUPERVISOR, action="see the compliance dashboard")
    form_id = form_id.strip()
    if not form_id:
        raise InvalidInput("Choose a form for the dashboard.")
    first, after = period.bounds_utc(tz)
    with store.read() as conn:
        raw = conn.execute(
            "SELECT r.id, r.status, r.ever_submitted, r.urn, r.grade, r.columns_json, r.victim_name, "
            "r.incident_date, u.full_name, r.created_at FROM records r JOIN users u ON u.id = r.owner_id "
            "WHERE r.form_id = ? AND r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at, r.seq",
            (form_id, first, after),
        ).fetchall()
        rows = [
            CohortRow(
                id=str(r[0]),
                status=str(r[1]),
                ever_submitted=bool(r[2]),
                urn=r[3],
                grade=r[4],
                columns=json.loads(r[5] or "{}"),
                record=DashboardRecord(
                    id=str(r[0]),
                    victim_name=r[6],
                    incident_date=r[7],
                    officer=str(r[8]),
                    status=str(r[1]),
                    grade=r[4],
                    urn=r[3],
                    created_at=str(r[9]),
                    grade_label=vocabulary.grade_label(vocabulary.normalise_grade(r[4]) or r[4])
                    if r[4]
                    else "",
                ),
            )
            for r in raw
        ]
        events: list[tuple[str, str, int | None, str]] = []
        ids = [r.id for r in rows]
        # in chunks: SQLite limits the number of bound values in one statement
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" for _ in chunk)
            events.extend(
                (str(e[0]), str(e[1]), e[2], str(e[3]))
                for e in conn.execute(
                    f"SELECT record_id, event, revision, at FROM audit_events WHERE record_id IN ({marks}) "  # noqa: S608 - only "?" parameter marks are formatted in
                    "AND event IN (?, ?, ?) ORDER BY id",
                    (*chunk, audit.SUBMITTED, audit.RETURNED, audit.APPROVED),
                )
            )
    figures = compute_figures(rows, events, vocabulary=vocabulary)
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
                "records": len(rows),
            },
        )
    return Dashboard(
        period=period, form_id=form_id, figures=tuple(figures), records={r.id: r.record for r in rows}
    )


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
