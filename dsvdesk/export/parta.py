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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NamedTuple, Protocol

# The 124D store columns Part A reads (the 124D's `columns:` maps them to answers).
COLUMNS: tuple[str, ...] = (
    "victim_name",
    "victim_dob",
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
)

# The columns that identify a victim and date a record: the 12 months before a period need only these.
KEY_COLUMNS: tuple[str, ...] = ("victim_name", "victim_dob", "incident_date")
APPROVED = "approved"
# Statuses of a record that was started but is not (yet) approved; deleted drafts never reach here.
GRADES: tuple[str, ...] = ("standard", "medium", "high")
NOT_RECORDED = "not recorded"
YES_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0", 0, 0),
    ("1–9", 1, 9),
    ("10–13", 10, 13),
    ("14+", 14, None),
)
# SafeLives' four MARAC referral criteria (domain.md §4.3), in the order the Board expects them.
MARAC_CRITERIA: tuple[tuple[str, str], ...] = (
    ("visible_high_risk", "Visible high risk"),
    ("professional_judgement", "Professional judgement"),
    ("potential_escalation", "Potential escalation"),
    ("repeat", "Repeat referral"),
)
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (("16–35", 16, 35), ("36–60", 36, 60), ("61+", 61, None))
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
    counts: Mapping[str, int]  # column key -> count (keys of DIVERSITY_COLUMNS)


DIVERSITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("female", "F"),
    ("male", "M"),
    ("sex_unknown", "Sex n/r"),
    ("white", "White"),
    ("bme", "BME"),
    ("ethnicity_unknown", "Ethn. n/r"),
    ("age_16_35", "16–35"),
    ("age_36_60", "36–60"),
    ("age_61_plus", "61+"),
    ("age_other", "Age n/r/<16"),
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
    grades: Mapping[str, int]  # standard / medium / high / not recorded
    yes_bands: Mapping[str, int]  # "0", "1–9", "10–13", "14+", "not recorded"
    yes_histogram: tuple[int, ...]  # index = number of 'yes' answers
    marac_referrals: int
    marac_by_criterion: Mapping[str, int]  # criterion key (MARAC_CRITERIA) -> records
    repeat_victims: int  # distinct victims with an earlier record within 12 months
    repeat_records: int
    repeat_matches: tuple[RepeatMatch, ...]
    records_with_children: int
    children_total: int
    records_with_children_all_merlin: int  # records with children where no Merlin reference is missing
    hbv_flagged: int
    arrested: int
    not_arrested: int
    arrest_not_recorded: int
    previous_incidents_reported: int  # records saying the victim had earlier incidents in 12 months
    diversity: tuple[DiversityRow, ...]
    months: tuple[MonthFigures, ...]
    entered: tuple[EnteredFigure, ...] = field(default=())

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
        return self.grades.get("high", 0)

    def with_entered(self, entered: Iterable[EnteredFigure]) -> PartA:
        return replace(self, entered=tuple(entered))

    # ---------------------------------------------------------- the figure table
    def figures(self) -> list[Figure]:
        """Every figure in reading order: what the PDF tables, the CSV and `{{partA.key}}` show."""
        out: list[Figure] = [
            Figure("Records", "records", "Approved 124D records", str(self.records)),
            Figure("Records", "started", "124D records started", str(self.started)),
            Figure("Records", "completion_rate", "Completion rate (approved of started)", percent(self.completion_rate)),
        ]
        out.extend(
            Figure("Risk grade", f"grade.{slug(grade)}", f"Graded {grade}", str(self.grades.get(grade, 0)))
            for grade in (*GRADES, NOT_RECORDED)
        )
        for band, *_ in (*YES_BANDS, (NOT_RECORDED, 0, 0)):
            out.append(
                Figure(
                    "DASH 'yes' answers", f"dash.{band_key(band)}", f"{band} 'yes' answers", str(self.yes_bands.get(band, 0))
                )
            )
        out.append(Figure("MARAC", "marac.referrals", "MARAC referrals", str(self.marac_referrals)))
        for key, label in MARAC_CRITERIA:
            out.append(Figure("MARAC", f"marac.{key}", f"Criterion: {label}", str(self.marac_by_criterion.get(key, 0))))
        out += [
            Figure("Repeat victims", "repeat_victims", "Repeat victims (earlier record within 12 months)", str(self.repeat_victims)),
            Figure("Repeat victims", "repeat_records", "Records of repeat victims", str(self.repeat_records)),
            Figure("Repeat victims", "repeat_rate", "Share of records that are repeats", percent(_share(self.repeat_records, self.records))),
            Figure("Repeat victims", "previous_incidents", "Records noting earlier incidents in 12 months", str(self.previous_incidents_reported)),
            Figure("Children", "children.records", "Records with children", str(self.records_with_children)),
            Figure("Children", "children.total", "Children recorded", str(self.children_total)),
            Figure("Children", "children.all_merlin", "Records with children, all with Merlin references", str(self.records_with_children_all_merlin)),
            Figure("Children", "children.merlin_share", "Share of records with children fully Merlin-referenced", percent(self.merlin_share)),
            Figure("HBV / forced marriage", "hbv_flagged", "Records flagged HBV / forced marriage", str(self.hbv_flagged)),
            Figure("Arrests", "arrested", "Suspect arrested", str(self.arrested)),
            Figure("Arrests", "not_arrested", "Suspect not arrested", str(self.not_arrested)),
            Figure("Arrests", "arrest_not_recorded", "Arrest not recorded", str(self.arrest_not_recorded)),
            Figure("Arrests", "arrest_rate", "Arrest rate (of recorded)", percent(self.arrest_rate)),
        ]
        for row in self.diversity:
            row_key = slug(row.label)
            for column_key, column_label in DIVERSITY_COLUMNS:
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
                Figure("By month", f"{prefix}.marac", f"{month.label}: MARAC referrals", str(month.marac_referrals)),
                Figure("By month", f"{prefix}.arrests", f"{month.label}: arrests", str(month.arrests)),
            ]
        for entered in self.entered:
            out.append(Figure("Entered by hand", entered.key, entered.name, entered.value, computed=False, source=entered.source))
        return out

    def figure_map(self) -> dict[str, str]:
        """Display value per figure key (what `{{partA.key}}` in a report paragraph resolves to)."""
        return {f.key: f.value for f in self.figures()}

    def to_json(self) -> dict[str, Any]:
        return {
            "period": {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()},
            "message": self.message,
            "empty": self.is_empty,
            "figures": [
                {
                    "key": f.key,
                    "group": f.group,
                    "label": f.label,
                    "value": f.value,
                    "kind": "computed" if f.computed else "entered",
                    "source": f.source,
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


# ------------------------------------------------------------------ computation


def compute_part_a(rows: Iterable[RowLike], period: Period, entered: Iterable[EnteredFigure] = ()) -> PartA:
    """All computed Part A figures for `period` from investigation-form rows (pure, deterministic)."""
    # Every row gets the cheap key (status, date, victim); only approved rows in the period are parsed in
    # full: the lookback rows exist only to be matched against.
    keyed = [(row, _Key.of(row)) for row in rows]
    all_rows = [key for _row, key in keyed]
    in_period = [key for key in all_rows if key.incident in period]
    approved = sorted(
        (_Parsed.of(row, key) for row, key in keyed if key.approved and key.incident in period),
        key=lambda r: (r.incident or period.start, r.record_id),
    )

    grades: Counter[str] = Counter()
    yes_bands: Counter[str] = Counter()
    histogram: Counter[int] = Counter()
    criteria: Counter[str] = Counter()
    marac = hbv = arrested = not_arrested = arrest_unknown = previous = 0
    with_children = children_total = all_merlin = 0
    for r in approved:
        grades[r.grade] += 1
        if r.yes_count is None:
            yes_bands[NOT_RECORDED] += 1
        else:
            histogram[r.yes_count] += 1
            yes_bands[yes_band(r.yes_count)] += 1
        if r.marac_referred:
            marac += 1
            for criterion in r.marac_criteria:
                criteria[criterion] += 1
        hbv += r.hbv
        if r.arrested is True:
            arrested += 1
        elif r.arrested is False:
            not_arrested += 1
        else:
            arrest_unknown += 1
        if r.children > 0:
            with_children += 1
            children_total += r.children
            all_merlin += not r.merlin_missing
        previous += r.previous_incidents > 0

    matches = find_repeat_matches(all_rows, approved)
    repeat_ids = {m.record_id for m in matches}
    repeat_keys = {r.victim_key for r in approved if r.record_id in repeat_ids}
    top = max(histogram, default=-1)

    return PartA(
        period=period,
        started=len(in_period),
        records=len(approved),
        grades={g: grades.get(g, 0) for g in (*GRADES, NOT_RECORDED)},
        yes_bands={b: yes_bands.get(b, 0) for b in (*(b[0] for b in YES_BANDS), NOT_RECORDED)},
        yes_histogram=tuple(histogram.get(i, 0) for i in range(top + 1)),
        marac_referrals=marac,
        marac_by_criterion={k: criteria.get(k, 0) for k, _ in MARAC_CRITERIA},
        repeat_victims=len(repeat_keys),
        repeat_records=len(matches),
        repeat_matches=tuple(matches),
        records_with_children=with_children,
        children_total=children_total,
        records_with_children_all_merlin=all_merlin,
        hbv_flagged=hbv,
        arrested=arrested,
        not_arrested=not_arrested,
        arrest_not_recorded=arrest_unknown,
        previous_incidents_reported=previous,
        diversity=_diversity(approved, repeat_ids=repeat_ids),
        months=_months(approved, period),
        entered=tuple(entered),
    )


def find_repeat_matches(candidates: Sequence[_Key], in_period: Sequence[_Parsed]) -> list[RepeatMatch]:
    """Records in the period whose victim (normalised name + date of birth) was in an approved record
    with an earlier incident date no more than 12 months before."""
    by_victim: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for c in candidates:
        if c.approved and c.victim_key is not None and c.incident is not None:
            by_victim.setdefault(c.victim_key, []).append((c.incident, c.record_id))
    # Each victim's records sorted once by (incident, id); a record's earlier ones are then one slice.
    history: dict[tuple[str, str], tuple[list[tuple[date, str]], list[date]]] = {}
    for key, items in by_victim.items():
        if len(items) > 1:
            items.sort()
            history[key] = (items, [d for d, _id in items])
    matches: list[RepeatMatch] = []
    for r in in_period:
        if r.victim_key is None or r.incident is None:
            continue
        found = history.get(r.victim_key)
        if found is None:
            continue
        items, days = found
        first = bisect_left(days, add_months(r.incident, -REPEAT_WINDOW_MONTHS))
        last = bisect_left(days, r.incident)
        if last > first:
            matches.append(RepeatMatch(r.record_id, tuple(record_id for _d, record_id in items[first:last])))
    return matches


def _diversity(approved: Sequence[_Parsed], repeat_ids: set[str]) -> tuple[DiversityRow, ...]:
    groups: list[tuple[str, list[_Parsed]]] = [
        ("Victims (all records)", list(approved)),
        ("High risk", [r for r in approved if r.grade == "high"]),
        ("MARAC referrals", [r for r in approved if r.marac_referred]),
        ("Repeat victims", [r for r in approved if r.record_id in repeat_ids]),
        ("Suspect arrested", [r for r in approved if r.arrested is True]),
    ]
    rows = []
    for label, members in groups:
        counts: Counter[str] = Counter()
        for r in members:
            counts[{"F": "female", "M": "male"}.get(r.sex or "", "sex_unknown")] += 1
            counts[{"white": "white", "bme": "bme"}.get(r.ethnic_group or "", "ethnicity_unknown")] += 1
            counts[r.age_band_key] += 1
            counts["disability"] += r.disability
        rows.append(DiversityRow(label, len(members), {k: counts.get(k, 0) for k, _ in DIVERSITY_COLUMNS}))
    return tuple(rows)


def _months(approved: Sequence[_Parsed], period: Period) -> tuple[MonthFigures, ...]:
    by_month: dict[tuple[int, int], list[_Parsed]] = {}
    for r in approved:
        if r.incident is not None:
            by_month.setdefault((r.incident.year, r.incident.month), []).append(r)
    out = []
    for year, month in period.months():
        members = by_month.get((year, month), [])
        out.append(
            MonthFigures(
                year,
                month,
                records=len(members),
                high_risk=sum(r.grade == "high" for r in members),
                marac_referrals=sum(r.marac_referred for r in members),
                arrests=sum(r.arrested is True for r in members),
            )
        )
    return tuple(out)


# ------------------------------------------------------------------ parsing one row's column values


# _Key and _Parsed are NamedTuples, not frozen dataclasses: a year holds ~100,000 rows and a frozen
# dataclass pays one object.__setattr__ per field on construction (most of Part A's Python time).
class _Key(NamedTuple):
    """What every row needs: identity, status, incident date and the victim it is about."""

    record_id: str
    approved: bool
    incident: date | None
    dob: date | None
    victim_key: tuple[str, str] | None

    @classmethod
    def of(cls, row: RowLike) -> _Key:
        v = row.values
        approved = str(row.status).lower() == APPROVED
        incident = as_date(v.get("incident_date"))
        if not approved:  # only approved records count or match: skip the victim for the rest
            return cls(str(row.record_id), False, incident, None, None)
        dob = as_date(v.get("victim_dob"))
        name = normalise_name(v.get("victim_name"))
        return cls(str(row.record_id), True, incident, dob, (name, dob.isoformat()) if name and dob else None)


class _Parsed(NamedTuple):
    """An approved record in the period, every Part A column read once."""

    record_id: str
    approved: bool
    incident: date | None
    victim_key: tuple[str, str] | None
    grade: str
    yes_count: int | None
    children: int
    merlin_missing: bool
    marac_referred: bool
    marac_criteria: tuple[str, ...]
    hbv: bool
    arrested: bool | None
    sex: str | None
    ethnic_group: str | None
    age_band_key: str
    disability: bool
    previous_incidents: int

    @classmethod
    def of(cls, row: RowLike, key: _Key) -> _Parsed:
        v = row.values
        referral = bool(str(v.get("marac_referral_date") or "").strip())
        criteria = (normalise_criterion(c) for c in as_list(v.get("marac_criteria"))) if referral else ()
        return cls(  # positional, in field order: keywords cost measurably at 60,000 rows
            key.record_id,
            key.approved,
            key.incident,
            key.victim_key,
            normalise_grade(v.get("grade")) or normalise_grade(v.get("officer_grade")) or NOT_RECORDED,
            as_int(v.get("yes_count")),
            max(as_int(v.get("children_count")) or 0, 0),
            _merlin_missing(v.get("merlin_missing")),
            referral,
            tuple(dict.fromkeys(c for c in criteria if c)),
            as_bool(v.get("hbv_flag")) is True,
            as_bool(v.get("arrested")),
            normalise_sex(v.get("victim_sex")),
            normalise_ethnicity(v.get("victim_ethnic_group")),
            age_band_key(key.dob, key.incident),
            _disability(v.get("victim_disability")),
            as_int(v.get("previous_incidents_12m")) or 0,
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
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        return _date_of_text(value[:10])
    return None


@functools.lru_cache(maxsize=65536)  # a year has 365 incident dates; birth dates recur per victim
def _date_of_text(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
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


def normalise_name(value: Any) -> str:
    """Case, accents, punctuation and word order ignored: 'SMITH, Zoë' == 'zoe smith'."""
    if not isinstance(value, str):
        return ""
    return _normalise_name_text(value)


@functools.lru_cache(maxsize=65536)  # the same victims and spellings recur across a period's records
def _normalise_name_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"\w+", stripped)
    return " ".join(sorted(words))


def normalise_grade(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    return text if text in GRADES else None


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


def age_band_key(dob: date | None, incident: date | None) -> str:
    if dob is None or incident is None or dob > incident:
        return "age_other"
    age = age_at(dob, incident)
    if age >= 61:
        return "age_61_plus"
    if age >= 36:
        return "age_36_60"
    if age >= 16:
        return "age_16_35"
    return "age_other"


def yes_band(count: int) -> str:
    for label, low, high in YES_BANDS:
        if count >= low and (high is None or count <= high):
            return label
    return YES_BANDS[0][0]  # negative counts cannot come from a form; shown as 0


def band_key(label: str) -> str:
    return {"0": "band_0", "1–9": "band_1_9", "10–13": "band_10_13", "14+": "band_14_plus"}.get(label, slug(label))


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
        raise PartAError(f"The {which} date '{text}' is not a date; write it as YYYY-MM-DD, e.g. 2010-04-01.") from None


# ------------------------------------------------------------------ CSV


def part_a_csv(part_a: PartA) -> str:
    """The figures as CSV (UTF-8 text): one row per figure, computed and entered marked apart."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["group", "key", "figure", "value", "kind", "source"])
    writer.writerow(["Period", "period", part_a.period.label, part_a.message, "computed", "DSVDesk"])
    for f in part_a.figures():
        writer.writerow([f.group, f.key, _csv_safe(f.label), _csv_safe(f.value), "computed" if f.computed else "entered", _csv_safe(f.source)])
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Hand-typed text must not become a formula when the Board opens the CSV in a spreadsheet."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} and not re.fullmatch(r"[+-]?\d[\d.,%]*", text) else text
