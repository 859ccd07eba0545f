"""Part A of the Board report: figures computed from saved 124D records, plus hand-entered ones.

`compute_part_a(rows, period)` is pure: it sees plain row objects (a record id, its status and the
values of the investigation form's store columns) and returns a frozen `PartA`. It never touches the
database, the network or Qt, so it is tested against a hand-counted fixture and reused by the CLI,
the PDF and the CSV alike. Only the store column names listed in `COLUMNS` are read — never 124D
question ids — so the 124D can be re-worded or re-numbered without touching this module.

The rows handed in may include records from the 12 months *before* the period: they are only used
to recognise repeat victims (the same victim in an earlier record within 12 months).
"""

from __future__ import annotations

import calendar
import csv
import functools
import io
import json
import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple, Protocol

from dsvdesk.engine.vocabulary import AGE_OTHER, Vocabulary
from dsvdesk.store.search import iso_day, person_key

# The 124D store columns Part A reads (the 124D's `columns:` maps them to answers).
COLUMNS: tuple[str, ...] = (
    "victim_key",  # the keyed repeat-victim key (the name and date of birth are sealed, issue 15)
    "victim_age",  # the age at the incident
    "incident_date",
    "grade",
    "officer_grade",
    "yes_count",
    "children_count",
    "merlin_missing",
    "marac_referral_date",
    "marac_criteria",
    "hbv_flag",
    "arrested",
    "victim_sex",
    "victim_ethnic_group",
    "victim_disability",
    "previous_incidents_12m",
    # The Board's case figures the 124D feeds (issue 18; B2.3 and B5.4 of the board template).
    "forced_marriage_flag",
    "police_involved",
    "counter_allegation",
    "multiple_victims",
    "multiple_perpetrators",
)

# The store works these out itself on every save (from the mapped victim name, date of birth and incident
# date, which are sealed); every other column of COLUMNS is one the Part A source form must map.
STORE_MADE_COLUMNS: tuple[str, ...] = ("victim_key", "victim_age")
FORM_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMNS if c not in STORE_MADE_COLUMNS)

# The columns that identify a victim and date a record: the 12 months before a period need only these.
KEY_COLUMNS: tuple[str, ...] = ("victim_key", "incident_date")
# How the store's grouped read (reporting.fetch_period_counts) is asked for the columns: counted in
# groups of records that share their values (the referral date only as "made or not", see
# PRESENCE_COLUMN); the victims are matched on the store's victim_key (search.person_key of the
# victim's name and date of birth, the same key `compute_part_a` makes).
SHARED_COLUMNS: tuple[str, ...] = tuple(
    c for c in COLUMNS if c not in (*KEY_COLUMNS, "marac_referral_date", "victim_age")
)
APPROVED = "approved"
# Statuses of a record that was started but is not (yet) approved; deleted drafts never reach here.
# The grades, DASH 'yes' bands, MARAC criteria and age bands come from the counted form's vocabulary
# (engine/vocabulary.py; docs/forms.md "Values with a meaning to code"); the PartA carries it.
NOT_RECORDED = "not recorded"
# What each case figure counts (printed under Part A and kept with the figure in the JSON).
CASE_DEFINITIONS: Mapping[str, str] = {
    "hbv_flagged": "Approved records in the period where the officer recorded an honour-based violence concern.",
    "forced_marriage": "Approved records in the period where the officer recorded a forced-marriage concern "
    "(counted apart from honour-based violence).",
    "cases.police_involved": "Approved records in the period where the victim, the suspect or a further "
    "victim or suspect is a police officer or a member of police staff (any force).",
    "cases.counter_allegation": "Approved records in the period where the suspect made a counter-allegation "
    "against the victim about the incident.",
    "cases.multiple_victims": "Approved records in the period with more than one victim (further victims listed).",
    "cases.multiple_perpetrators": "Approved records in the period with more than one suspect (further "
    "suspects listed).",
}
REPEAT_WINDOW_MONTHS = 12
NO_RECORDS_MESSAGE = "No records in this period."


class PartAError(ValueError):
    """Bad input to Part A (e.g. a period that ends before it starts); the message is for a user."""


# ------------------------------------------------------------------ input shapes


class RowLike(Protocol):
    """One saved investigation-form record as the store hands it to Part A."""

    @property
    def record_id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def values(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise PartAError(
                f"The period ends ({self.end.isoformat()}) before it starts ({self.start.isoformat()}); "
                "give the earlier date first."
            )

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        return cls(_parse_iso_date(start, "start"), _parse_iso_date(end, "end"))

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def lookback_start(self) -> date:
        """The earliest incident date an earlier record can have and still make a repeat victim."""
        return add_months(self.start, -REPEAT_WINDOW_MONTHS)

    @property
    def label(self) -> str:
        return f"{format_day(self.start)} – {format_day(self.end)}"

    def months(self) -> list[tuple[int, int]]:
        out: list[tuple[int, int]] = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            out.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out


@dataclass(frozen=True, slots=True)
class EnteredFigure:
    """A figure DSVDesk cannot know (CAD calls, sanction detections ...), typed in with its source."""

    name: str
    value: str
    source: str

    @property
    def key(self) -> str:
        return "entered." + slug(self.name)


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class RepeatMatch:
    """A record in the period whose victim appears in earlier records within 12 months."""

    record_id: str
    earlier_record_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DiversityRow:
    label: str
    total: int
    counts: Mapping[str, int]  # column key -> count (keys of diversity_columns())


def diversity_columns(vocabulary: Vocabulary) -> tuple[tuple[str, str], ...]:
    """(key, heading) of the diversity table's columns; the age columns are the form's age bands."""
    return (
        ("female", "F"),
        ("male", "M"),
        ("sex_unknown", "Sex n/r"),
        ("white", "White"),
        ("bme", "BME"),
        ("ethnicity_unknown", "Ethn. n/r"),
        *((band.key, band.label) for band in vocabulary.age_bands),
        (AGE_OTHER, vocabulary.age_other_label),
        ("disability", "Disability"),
    )


@dataclass(frozen=True, slots=True)
class MonthFigures:
    year: int
    month: int
    records: int
    high_risk: int
    marac_referrals: int
    arrests: int

    @property
    def label(self) -> str:
        return f"{calendar.month_abbr[self.month]} {self.year % 100:02d}"


@dataclass(frozen=True, slots=True)
class PartA:
    period: Period
    started: int  # records with an incident date in the period, whatever their status
    records: int  # approved records in the period: the base of every other figure
    grades: Mapping[str, int]  # the form's grade values, then NOT_RECORDED
    yes_bands: Mapping[str, int]  # the form's band labels ("0", "1–9" ...), then NOT_RECORDED
    yes_histogram: tuple[int, ...]  # index = number of 'yes' answers
    marac_referrals: int
    marac_by_criterion: Mapping[str, int]  # the form's criterion value -> records
    repeat_victims: int  # distinct victims with an earlier record within 12 months
    repeat_records: int
    repeat_matches: tuple[RepeatMatch, ...]
    records_with_children: int
    children_total: int
    records_with_children_all_merlin: int  # records with children where no Merlin reference is missing
    hbv_flagged: int
    forced_marriage: int
    police_involved: int
    counter_allegations: int
    multiple_victims: int
    multiple_perpetrators: int
    arrested: int
    not_arrested: int
    arrest_not_recorded: int
    previous_incidents_reported: int  # records saying the victim had earlier incidents in 12 months
    diversity: tuple[DiversityRow, ...]
    months: tuple[MonthFigures, ...]
    vocabulary: Vocabulary  # the counted form's grades, bands, criteria and age bands (labels follow it)
    entered: tuple[EnteredFigure, ...] = field(default=())
    casework: tuple[Figure, ...] = field(default=())  # Victims' Code and referral figures (issue 19)
    # Which stations' records were counted and up to which transfer bundle (issue 17), one line each;
    # empty on a PC that holds only its own records.
    coverage: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return self.records == 0 and self.started == 0

    @property
    def message(self) -> str:
        """One line a user reads first: the count, or why there is nothing to show."""
        if self.is_empty:
            return NO_RECORDS_MESSAGE
        return f"{self.records} approved record(s) of {self.started} started in {self.period.label}."

    @property
    def completion_rate(self) -> float | None:
        return _share(self.records, self.started)

    @property
    def merlin_share(self) -> float | None:
        return _share(self.records_with_children_all_merlin, self.records_with_children)

    @property
    def arrest_rate(self) -> float | None:
        return _share(self.arrested, self.arrested + self.not_arrested)

    @property
    def high_risk(self) -> int:
        top = self.vocabulary.top_grade
        return self.grades.get(top, 0) if top else 0

    @property
    def diversity_columns(self) -> tuple[tuple[str, str], ...]:
        return diversity_columns(self.vocabulary)

    def with_entered(self, entered: Iterable[EnteredFigure]) -> PartA:
        return replace(self, entered=tuple(entered))

    def with_casework(self, figures: Iterable[Figure]) -> PartA:
        """Part A with the casework figures of the period's cases (``reporting.casework``), quotable in
        the report as ``{{partA.vcop.compliance_rate}}`` and the like."""
        return replace(self, casework=tuple(figures))

    def with_coverage(self, lines: Iterable[str]) -> PartA:
        return replace(self, coverage=tuple(lines))

    @property
    def coverage_line(self) -> str:
        """ "Records of: Holloway (up to bundle 3, ...); ..." or "" for one station's own records."""
        return f"Records of: {'; '.join(self.coverage)}." if self.coverage else ""

    # ---------------------------------------------------------- the figure table
    def figures(self) -> list[Figure]:
        """Every figure in reading order: what the PDF tables, the CSV and `{{partA.key}}` show."""
        out: list[Figure] = [
            Figure("Records", "records", "Approved 124D records", str(self.records)),
            Figure("Records", "started", "124D records started", str(self.started)),
            Figure(
                "Records",
                "completion_rate",
                "Completion rate (approved of started)",
                percent(self.completion_rate),
            ),
        ]
        vocabulary = self.vocabulary
        out.extend(
            Figure(
                "Risk grade",
                f"grade.{slug(grade)}",
                f"Graded {vocabulary.grade_label(grade) if grade != NOT_RECORDED else grade}",
                str(self.grades.get(grade, 0)),
            )
            for grade in (*vocabulary.grade_values, NOT_RECORDED)
        )
        for key, band in (
            *((b.key, b.label) for b in vocabulary.yes_bands),
            (slug(NOT_RECORDED), NOT_RECORDED),
        ):
            out.append(
                Figure(
                    "DASH 'yes' answers",
                    f"dash.{key}",
                    f"{band} 'yes' answers",
                    str(self.yes_bands.get(band, 0)),
                )
            )
        out.append(Figure("MARAC", "marac.referrals", "MARAC referrals", str(self.marac_referrals)))
        out.extend(
            Figure(
                "MARAC",
                f"marac.{criterion.value}",
                f"Criterion: {criterion.label}",
                str(self.marac_by_criterion.get(criterion.value, 0)),
            )
            for criterion in vocabulary.marac_criteria
        )
        out += [
            Figure(
                "Repeat victims",
                "repeat_victims",
                "Repeat victims (earlier record within 12 months)",
                str(self.repeat_victims),
            ),
            Figure("Repeat victims", "repeat_records", "Records of repeat victims", str(self.repeat_records)),
            Figure(
                "Repeat victims",
                "repeat_rate",
                "Share of records that are repeats",
                percent(_share(self.repeat_records, self.records)),
            ),
            Figure(
                "Repeat victims",
                "previous_incidents",
                "Records noting earlier incidents in 12 months",
                str(self.previous_incidents_reported),
            ),
            Figure("Children", "children.records", "Records with children", str(self.records_with_children)),
            Figure("Children", "children.total", "Children recorded", str(self.children_total)),
            Figure(
                "Children",
                "children.all_merlin",
                "Records with children, all with Merlin references",
                str(self.records_with_children_all_merlin),
            ),
            Figure(
                "Children",
                "children.merlin_share",
                "Share of records with children fully Merlin-referenced",
                percent(self.merlin_share),
            ),
            Figure(
                "HBV / forced marriage",
                "hbv_flagged",
                "Records with an honour-based violence concern",
                str(self.hbv_flagged),
                definition=CASE_DEFINITIONS["hbv_flagged"],
            ),
            Figure(
                "HBV / forced marriage",
                "forced_marriage",
                "Records with a forced-marriage concern",
                str(self.forced_marriage),
                definition=CASE_DEFINITIONS["forced_marriage"],
            ),
            Figure(
                "Cases (B2.3)",
                "cases.police_involved",
                "Police officer or staff involved (suspect or victim)",
                str(self.police_involved),
                definition=CASE_DEFINITIONS["cases.police_involved"],
            ),
            Figure(
                "Cases (B2.3)",
                "cases.counter_allegation",
                "Counter-allegations",
                str(self.counter_allegations),
                definition=CASE_DEFINITIONS["cases.counter_allegation"],
            ),
            Figure(
                "Cases (B2.3)",
                "cases.multiple_victims",
                "Multiple victims",
                str(self.multiple_victims),
                definition=CASE_DEFINITIONS["cases.multiple_victims"],
            ),
            Figure(
                "Cases (B2.3)",
                "cases.multiple_perpetrators",
                "Multiple perpetrators",
                str(self.multiple_perpetrators),
                definition=CASE_DEFINITIONS["cases.multiple_perpetrators"],
            ),
            Figure("Arrests", "arrested", "Suspect arrested", str(self.arrested)),
            Figure("Arrests", "not_arrested", "Suspect not arrested", str(self.not_arrested)),
            Figure("Arrests", "arrest_not_recorded", "Arrest not recorded", str(self.arrest_not_recorded)),
            Figure("Arrests", "arrest_rate", "Arrest rate (of recorded)", percent(self.arrest_rate)),
        ]
        for row in self.diversity:
            row_key = slug(row.label)
            for column_key, column_label in self.diversity_columns:
                out.append(
                    Figure(
                        "Diversity",
                        f"diversity.{row_key}.{column_key}",
                        f"{row.label}: {column_label}",
                        str(row.counts.get(column_key, 0)),
                    )
                )
        for month in self.months:
            prefix = f"month.{month.year:04d}-{month.month:02d}"
            out += [
                Figure("By month", f"{prefix}.records", f"{month.label}: records", str(month.records)),
                Figure("By month", f"{prefix}.high_risk", f"{month.label}: high risk", str(month.high_risk)),
                Figure(
                    "By month",
                    f"{prefix}.marac",
                    f"{month.label}: MARAC referrals",
                    str(month.marac_referrals),
                ),
                Figure("By month", f"{prefix}.arrests", f"{month.label}: arrests", str(month.arrests)),
            ]
        out += self.casework
        for entered in self.entered:
            out.append(
                Figure(
                    "Entered by hand",
                    entered.key,
                    entered.name,
                    entered.value,
                    computed=False,
                    source=entered.source,
                )
            )
        return out

    def figure_map(self) -> dict[str, str]:
        """Display value per figure key (what `{{partA.key}}` in a report paragraph resolves to)."""
        return {f.key: f.value for f in self.figures()}

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "message": self.message,
            "empty": self.is_empty,
            "stations": list(self.coverage),
            "figures": [
                {
                    "key": f.key,
                    "group": f.group,
                    "label": f.label,
                    "value": f.value,
                    "kind": "computed" if f.computed else "entered",
                    "source": f.source,
                    **({"definition": f.definition} if f.definition else {}),
                }
                for f in self.figures()
            ],
            "yes_histogram": list(self.yes_histogram),
        }


@dataclass(frozen=True, slots=True)
class Figure:
    group: str
    key: str
    label: str
    value: str
    computed: bool = True
    source: str = "DSVDesk (approved 124D records)"
    definition: str = ""  # what the figure counts, where the label alone could be read two ways


# ------------------------------------------------------------------ computation
#
# Both entry points reduce the records to the same two things, then share every count:
#  - each victim's approved records (person key: normalised name and date of birth -> [(incident date,
#    record id)]), for repeat victims;
#  - the approved records in the period, each under what the figures tell apart about it (a
#    `_GroupKey`: the shared values, whether a MARAC referral was made, the month, the age band). A
#    year's 60,000 records fall into a few thousand groups, so the figures are a pass over those.


class _Group(NamedTuple):
    """What the figures other than the months tell apart about an approved record in the period."""

    shared: _Shared
    referral: bool
    age_band: str
    repeat: bool


# An approved record in the period as first counted, before it is known whether it is a repeat:
# (shared values, or the store's JSON text of them; MARAC referral made; (year, month); age band).
_GroupKey = tuple[Any, bool, tuple[int, int], str]
_Victims = dict[str, list[tuple[date, str]]]  # person_key -> [(incident date, record id)]


def compute_part_a(
    rows: Iterable[RowLike],
    period: Period,
    entered: Iterable[EnteredFigure] = (),
    *,
    vocabulary: Vocabulary,
) -> PartA:
    """All computed Part A figures for `period` from investigation-form rows (pure, deterministic);
    grades, bands, criteria and age bands are those of `vocabulary` (the counted form's).

    Rows before the period (its 12-month lookback) only serve to recognise repeat victims."""
    vocabulary.require_risk("Part A")
    started = 0
    victims: _Victims = {}
    in_period: dict[str, _GroupKey] = {}
    for row in rows:
        v = row.values
        incident = as_date(v.get("incident_date"))
        if incident is None:
            continue
        inside = incident in period
        started += inside
        if str(row.status).lower() != APPROVED:  # only approved records count or match
            continue
        record_id = str(row.record_id)
        # the store's keyed victim key; rows made by hand (tests, tools) may give the name and birth date
        victim = (
            v["victim_key"] if "victim_key" in v else person_key(v.get("victim_name"), v.get("victim_dob"))
        )
        if victim is not None:
            victims.setdefault(victim, []).append((incident, record_id))
        if inside:
            in_period[record_id] = (
                _Shared.of(v, vocabulary),
                _referral(v.get(PRESENCE_COLUMN)),
                (incident.year, incident.month),
                _age_band_of(v, incident, vocabulary),
            )
    matches, repeat_victims = find_repeat_matches(victims, in_period)
    repeats = Counter(in_period[m.record_id] for m in matches)
    return _part_a(
        period, started, Counter(in_period.values()), repeats, matches, repeat_victims, entered, vocabulary
    )


def repeat_matches_of(keys: Iterable[Sequence[Any]], period: Period) -> tuple[list[RepeatMatch], int]:
    """`find_repeat_matches` over plain rows (record id, incident date, person key) of the approved
    records whose victim has more than one, as the store's ``reporting.fetch_period_counts`` reads
    them (its ``victim_key`` column is the `person_key` of the victim's name and date of birth)."""
    days: dict[Any, date | None] = {}
    victims: _Victims = {}
    in_period: set[str] = set()
    start, end = period.start, period.end
    for raw_id, incident_text, victim in keys:
        incident = days.get(incident_text, _UNSEEN)
        if incident is _UNSEEN:
            incident = days[incident_text] = as_date(incident_text)
        if incident is None or victim is None:
            continue
        record_id = str(raw_id)
        victims.setdefault(str(victim), []).append((incident, record_id))
        if start <= incident <= end:
            in_period.add(record_id)
    return find_repeat_matches(victims, in_period)


def compute_part_a_from_counts(  # noqa: PLR0917 - the parts of one store read, in its order
    started: int,
    groups: Iterable[Sequence[Any]],
    matched_groups: Iterable[Sequence[Any]],
    matches: Sequence[RepeatMatch],
    repeat_victims: int,
    period: Period,
    entered: Iterable[EnteredFigure] = (),
    *,
    vocabulary: Vocabulary,
) -> PartA:
    """`compute_part_a` from what the store's ``reporting.fetch_period_counts`` reads: the records
    started in the period, the approved records in it counted in groups (`groups`; the repeat
    records' groups in `matched_groups`) and the repeat matches `repeat_matches_of` found.

    The same figures as `compute_part_a` over the same records (tests/unit/board check it through a
    real store), without a Python object per record in the period."""
    vocabulary.require_risk("Part A")
    return _part_a(
        period,
        started,
        _counted(groups, period, vocabulary),
        _counted(matched_groups, period, vocabulary),
        matches,
        repeat_victims,
        entered,
        vocabulary,
    )


def compute_part_a_from_repeat_counts(  # noqa: PLR0917 - the parts of one grouped read, in its order
    started: int,
    groups: Iterable[Sequence[Any]],
    matched_groups: Iterable[Sequence[Any]],
    repeat_victims: int,
    period: Period,
    entered: Iterable[EnteredFigure] = (),
    *,
    vocabulary: Vocabulary,
) -> PartA:
    """`compute_part_a_from_counts` for a reader that matched the repeat victims itself, by the rule of
    `find_repeat_matches` (HQ's PostgreSQL, ``hq.figures``): the repeat records come only counted, in
    `matched_groups` (group rows whose counts are the repeat records among `groups`' records), and
    `repeat_victims` is their number of distinct victims. The same figures; no record is listed as
    linked to another, so ``repeat_matches`` is empty."""
    vocabulary.require_risk("Part A")
    repeats = _counted(matched_groups, period, vocabulary)
    part_a = _part_a(
        period,
        started,
        _counted(groups, period, vocabulary),
        repeats,
        (),
        repeat_victims,
        entered,
        vocabulary,
    )
    return replace(part_a, repeat_records=sum(repeats.values()))


def age_floors(vocabulary: Vocabulary) -> tuple[tuple[int, str], ...]:
    """The floors of the form's age bands, highest first, with their diversity keys (the store's
    grouped read is given the floors and answers with the one an age reaches)."""
    return tuple((band.low, band.key) for band in reversed(vocabulary.age_bands))


# The columns the store's grouped read is told about, besides SHARED_COLUMNS.
PRESENCE_COLUMN = "marac_referral_date"  # a referral counts when it has a date
DOB_COLUMN = "victim_age"  # an age in years (queries.period_groups_query reads a name ending _age so)


def _counted(groups: Iterable[Sequence[Any]], period: Period, vocabulary: Vocabulary) -> Counter[_GroupKey]:
    """Group rows of ``reporting.fetch_period_counts`` (see its `PeriodCounts`) as `_GroupKey` counts."""
    bands = dict(age_floors(vocabulary))
    months: dict[str, tuple[int, int]] = {}
    counts: Counter[_GroupKey] = Counter()
    for shared_text, presence, month_text, dob_value, floor, n in groups:
        if floor is not None:  # the date of birth is an ISO date: the month is YYYY-MM, the band the store's
            month = months.get(month_text)
            if month is None:
                month = months[month_text] = (int(month_text[:4]), int(month_text[5:7]))
            band = bands.get(floor, AGE_OTHER)
        else:  # the store could not work the age out: the full incident date and the date of birth
            incident = as_date(month_text)
            if incident is None or incident not in period:
                continue
            month, band = (
                (incident.year, incident.month),
                age_band_key(as_date(dob_value), incident, vocabulary),
            )
        referral = True if presence == 1 else False if presence is None else _referral(presence)
        counts[(shared_text, referral, month, band)] += n
    return counts


_UNSEEN: Any = object()


def _referral(value: Any) -> bool:
    return bool(str(value or "").strip())


def _part_a(  # noqa: PLR0917 - one private function behind both entry points
    period: Period,
    started: int,
    counts: Mapping[_GroupKey, int],
    repeats: Mapping[_GroupKey, int],
    matches: Sequence[RepeatMatch],
    repeat_victims: int,
    entered: Iterable[EnteredFigure],
    vocabulary: Vocabulary,
) -> PartA:
    """The figures from the approved records in the period counted by `_GroupKey` (`counts`; those of
    the repeat records also in `repeats`) and the repeat matches."""
    # Each distinct shared value (the store's text, or a `_Shared`) is normalised once and numbered, equal
    # normalised values alike ('HIGH ' and 'high'): the groups are counted under small keys, not under
    # a 16-value tuple hashed again for every group.
    numbers: dict[Any, int] = {}
    numbered: dict[_Shared, int] = {}
    shareds: list[_Shared] = []
    month_flags: list[tuple[bool, bool]] = []  # per number: (high risk, suspect arrested)
    top_grade = vocabulary.top_grade
    compact: Counter[tuple[int, bool, str, bool]] = Counter()  # (number, referral, band, repeat)
    by_month: dict[tuple[int, int], list[int]] = {}  # (year, month) -> [records, high risk, MARAC, arrests]
    for (shared, referral, month, band), n in counts.items():
        number = numbers.get(shared)
        if number is None:
            found = (  # the store's text: decoded once
                _Shared.of(dict(zip(SHARED_COLUMNS, json.loads(shared), strict=True)), vocabulary)
                if isinstance(shared, str)
                else shared
            )
            number = numbered.get(found)
            if number is None:
                number = numbered[found] = len(shareds)
                shareds.append(found)
                month_flags.append((found.grade == top_grade, found.arrested is True))
            numbers[shared] = number
        repeat = repeats.get((shared, referral, month, band), 0)  # the repeat records are among `counts`
        if n > repeat:
            compact[(number, referral, band, False)] += n - repeat
        if repeat:
            compact[(number, referral, band, True)] += repeat
        figures = by_month.setdefault(month, [0, 0, 0, 0])
        high, arrested_flag = month_flags[number]
        figures[0] += n
        figures[1] += n * high
        figures[2] += n * referral
        figures[3] += n * arrested_flag
    groups: Counter[_Group] = Counter(  # without the month: the months are counted above
        {
            _Group(shareds[number], referral, band, repeat): n
            for (number, referral, band, repeat), n in compact.items()
        }
    )
    by_shared: Counter[tuple[int, bool]] = Counter()  # what the figures below tell apart: shared, referral
    for (number, referral, _band, _repeat), n in compact.items():
        by_shared[(number, referral)] += n

    grades: Counter[str] = Counter()
    yes_bands: Counter[str] = Counter()
    histogram: Counter[int] = Counter()
    criteria: Counter[str] = Counter()
    marac = hbv = arrested = not_arrested = arrest_unknown = previous = 0
    forced = police = counter = victims_many = suspects_many = 0
    with_children = children_total = all_merlin = 0
    for (number, referral), n in by_shared.items():
        s = shareds[number]
        grades[s.grade] += n
        if s.yes_count is None:
            yes_bands[NOT_RECORDED] += n
        else:
            histogram[s.yes_count] += n
            yes_bands[vocabulary.yes_band(s.yes_count).label] += n
        if referral:  # the criteria count only with a referral
            marac += n
            for criterion in s.marac_criteria:
                criteria[criterion] += n
        hbv += n * s.hbv
        forced += n * s.forced_marriage
        police += n * s.police_involved
        counter += n * s.counter_allegation
        victims_many += n * s.multiple_victims
        suspects_many += n * s.multiple_perpetrators
        if s.arrested is True:
            arrested += n
        elif s.arrested is False:
            not_arrested += n
        else:
            arrest_unknown += n
        if s.children > 0:
            with_children += n
            children_total += n * s.children
            all_merlin += n * (not s.merlin_missing)
        previous += n * (s.previous_incidents > 0)
    top = max(histogram, default=-1)

    return PartA(
        period=period,
        started=started,
        records=sum(counts.values()),
        grades={g: grades.get(g, 0) for g in (*vocabulary.grade_values, NOT_RECORDED)},
        yes_bands={b: yes_bands.get(b, 0) for b in (*(b.label for b in vocabulary.yes_bands), NOT_RECORDED)},
        yes_histogram=tuple(histogram.get(i, 0) for i in range(top + 1)),
        marac_referrals=marac,
        marac_by_criterion={c.value: criteria.get(c.value, 0) for c in vocabulary.marac_criteria},
        repeat_victims=repeat_victims,
        repeat_records=len(matches),
        repeat_matches=tuple(matches),
        records_with_children=with_children,
        children_total=children_total,
        records_with_children_all_merlin=all_merlin,
        hbv_flagged=hbv,
        forced_marriage=forced,
        police_involved=police,
        counter_allegations=counter,
        multiple_victims=victims_many,
        multiple_perpetrators=suspects_many,
        arrested=arrested,
        not_arrested=not_arrested,
        arrest_not_recorded=arrest_unknown,
        previous_incidents_reported=previous,
        diversity=_diversity(groups, vocabulary),
        months=_months(by_month, period),
        vocabulary=vocabulary,
        entered=tuple(entered),
    )


def find_repeat_matches(victims: _Victims, in_period: Container[str]) -> tuple[list[RepeatMatch], int]:
    """Records in the period whose victim (normalised name + date of birth) was in an approved record
    with an earlier incident date no more than 12 months before, ordered by (incident date, record id);
    and how many distinct victims those records are about. `victims` holds every approved record's
    (incident date, id) under its victim."""
    found: list[tuple[date, str, RepeatMatch]] = []
    window_starts: dict[date, date] = {}  # incident date -> earliest date of an earlier record that counts
    repeat_victims = 0
    for items in victims.values():
        if len(items) < 2:
            continue
        items.sort()  # by (incident, id): a record's earlier ones are then one slice
        dates = [d for d, _id in items]
        before = len(found)
        for incident, record_id in items:
            if record_id not in in_period:
                continue
            window_start = window_starts.get(incident)
            if window_start is None:
                window_start = window_starts[incident] = add_months(incident, -REPEAT_WINDOW_MONTHS)
            first = bisect_left(dates, window_start)
            last = bisect_left(dates, incident)
            if last > first:
                found.append(
                    (incident, record_id, RepeatMatch(record_id, tuple(r for _d, r in items[first:last])))
                )
        repeat_victims += len(found) > before
    found.sort(key=lambda f: (f[0], f[1]))
    return [match for _d, _id, match in found], repeat_victims


def _diversity(groups: Mapping[_Group, int], vocabulary: Vocabulary) -> tuple[DiversityRow, ...]:
    """The diversity table's rows, in one pass over the groups (each counted into every row it is in)."""
    top = vocabulary.top_grade
    labels = ("Victims (all records)", "High risk", "MARAC referrals", "Repeat victims", "Suspect arrested")
    counts: list[Counter[str]] = [Counter() for _label in labels]
    totals = [0] * len(labels)
    sexes = {"F": "female", "M": "male"}
    ethnicities = {"white": "white", "bme": "bme"}
    for g, n in groups.items():
        s = g.shared
        sex = sexes.get(s.sex or "", "sex_unknown")
        ethnicity = ethnicities.get(s.ethnic_group or "", "ethnicity_unknown")
        disabled = n * s.disability
        members = (True, s.grade == top, g.referral, g.repeat, s.arrested is True)
        for row, member in enumerate(members):
            if member:
                totals[row] += n
                row_counts = counts[row]
                row_counts[sex] += n
                row_counts[ethnicity] += n
                row_counts[g.age_band] += n
                row_counts["disability"] += disabled
    columns = [key for key, _heading in diversity_columns(vocabulary)]
    return tuple(
        DiversityRow(label, totals[row], {k: counts[row].get(k, 0) for k in columns})
        for row, label in enumerate(labels)
    )


def _months(by_month: Mapping[tuple[int, int], Sequence[int]], period: Period) -> tuple[MonthFigures, ...]:
    out = []
    for year, month in period.months():
        records, high, marac, arrests = by_month.get((year, month), (0, 0, 0, 0))
        out.append(
            MonthFigures(year, month, records=records, high_risk=high, marac_referrals=marac, arrests=arrests)
        )
    return tuple(out)


# ------------------------------------------------------------------ normalising one record's values


class _Shared(NamedTuple):
    """The values of SHARED_COLUMNS, normalised: the same for every record with the same answers."""

    grade: str
    yes_count: int | None
    children: int
    merlin_missing: bool
    marac_criteria: tuple[str, ...]
    hbv: bool
    arrested: bool | None
    sex: str | None
    ethnic_group: str | None
    disability: bool
    previous_incidents: int
    forced_marriage: bool
    police_involved: bool
    counter_allegation: bool
    multiple_victims: bool
    multiple_perpetrators: bool

    @classmethod
    def of(cls, v: Mapping[str, Any], vocabulary: Vocabulary) -> _Shared:
        criteria = (normalise_criterion(c) for c in as_list(v.get("marac_criteria")))
        return cls(  # positional, in field order
            vocabulary.normalise_grade(v.get("grade"))
            or vocabulary.normalise_grade(v.get("officer_grade"))
            or NOT_RECORDED,
            as_int(v.get("yes_count")),
            max(as_int(v.get("children_count")) or 0, 0),
            _merlin_missing(v.get("merlin_missing")),
            tuple(dict.fromkeys(c for c in criteria if c)),
            as_bool(v.get("hbv_flag")) is True,
            as_bool(v.get("arrested")),
            normalise_sex(v.get("victim_sex")),
            normalise_ethnicity(v.get("victim_ethnic_group")),
            _disability(v.get("victim_disability")),
            as_int(v.get("previous_incidents_12m")) or 0,
            as_bool(v.get("forced_marriage_flag")) is True,
            as_bool(v.get("police_involved")) is True,
            as_bool(v.get("counter_allegation")) is True,
            as_bool(v.get("multiple_victims")) is True,
            as_bool(v.get("multiple_perpetrators")) is True,
        )


def _merlin_missing(value: Any) -> bool:
    """`merlin_missing` is either a count of children without a Merlin reference or a yes/no flag."""
    number = as_int(value)
    if number is not None:
        return number > 0
    return as_bool(value) is True


def _disability(value: Any) -> bool:
    flag = as_bool(value)
    if flag is not None:
        return flag
    # a multichoice of disability kinds (mental health, physical, other): any ticked counts
    return any(item not in {"none", "no", "not_known", "dont_know"} for item in as_list(value))


# ------------------------------------------------------------------ small pure helpers (tested directly)

_TRUE = {"yes", "y", "true", "1", "on"}
_FALSE = {"no", "n", "false", "0", "off"}


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None  # NaN/inf are "not recorded"
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?\d{1,9}", text):
            return int(text)
    return None


def as_date(value: Any) -> date | None:
    """A date, or text starting with an ISO date (as the store's ``person_key`` reads a date of birth)."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        return iso_day(value[:10])
    return None


def as_list(value: Any) -> list[str]:
    """A multichoice value: a list, a JSON list in text, or comma/semicolon-separated text."""
    if value is None:
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v) for v in parsed if v is not None and str(v).strip()]
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


def normalise_sex(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in {"f", "female", "woman", "girl"}:
        return "F"
    if text in {"m", "male", "man", "boy"}:
        return "M"
    return None


def normalise_ethnicity(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if text in {"white", "bme"} else None


@functools.lru_cache(maxsize=256)  # a handful of distinct criterion values
def normalise_criterion(value: str) -> str:
    text = re.sub(r"[^a-z]+", "_", value.strip().lower()).strip("_")
    aliases = {"repeat_referral": "repeat", "repeat_marac": "repeat", "escalation": "potential_escalation"}
    return aliases.get(text, text)


def age_at(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def _age_band_of(values: Mapping[str, Any], incident: date, vocabulary: Vocabulary) -> str:
    """The age band of a row: from the store's ``victim_age``, or a date of birth given by hand."""
    if "victim_age" in values:
        age = values["victim_age"]
        return vocabulary.age_band(int(age)) if isinstance(age, int) and age >= 0 else AGE_OTHER
    return age_band_key(as_date(values.get("victim_dob")), incident, vocabulary)


def age_band_key(dob: date | None, incident: date | None, vocabulary: Vocabulary) -> str:
    if dob is None or incident is None or dob > incident:
        return AGE_OTHER
    return vocabulary.age_band(age_at(dob, incident))


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def slug(text: str) -> str:
    """A figure key part: lower-case ASCII words joined by '_' (non-Latin names keep their letters)."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^\w]+", "_", plain).strip("_") or "figure"


def percent(share: float | None) -> str:
    if share is None:
        return "n/a"
    value = round(share * 100, 1)
    return f"{value:.0f}%" if value == int(value) else f"{value:.1f}%"


def format_day(day: date) -> str:
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _parse_iso_date(text: str, which: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise PartAError(
            f"The {which} date '{text}' is not a date; write it as YYYY-MM-DD, e.g. 2010-04-01."
        ) from None


# ------------------------------------------------------------------ CSV


def part_a_csv(part_a: PartA) -> str:
    """The figures as CSV (UTF-8 text): one row per figure, computed and entered marked apart."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["group", "key", "figure", "value", "kind", "source"])
    writer.writerow(["Period", "period", part_a.period.label, part_a.message, "computed", "DSVDesk"])
    for f in part_a.figures():
        writer.writerow(
            [
                f.group,
                f.key,
                _csv_safe(f.label),
                _csv_safe(f.value),
                "computed" if f.computed else "entered",
                _csv_safe(f.source),
            ]
        )
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Hand-typed text must not become a formula when the Board opens the CSV in a spreadsheet."""
    return (
        "'" + text
        if text[:1] in {"=", "+", "-", "@", "\t", "\r"} and not re.fullmatch(r"[+-]?\d[\d.,%]*", text)
        else text
    )
