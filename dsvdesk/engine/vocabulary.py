"""The domain words and numbers code needs, read once from a compiled form (docs/forms.md, "Values with a
meaning to code"): the high-risk threshold and the DASH 'yes' bands, the risk grades and their labels,
the MARAC criteria and their labels, the age bands of the Board's diversity table, and the review
queue's flag labels and urgency. Reporting, the dashboard, the review queue, the charts and the PDFs read
them from here, so a force that edits its form file sees every screen and figure follow without a change
to Python.

Where each comes from in the form:
- ``constants.marac_yes_threshold`` — 'yes' answers from which the risk is visibly high (top band);
- ``constants.local_band_medium_from`` — the first count of the middle band (optional);
- the choices of the question tagged ``review: grade`` (else ``review: officer_grade``) — the grades,
  lowest first, with their labels; the last is the highest grade;
- the choices of the question tagged ``vocabulary: marac_criteria`` — the MARAC referral criteria;
- ``constants.age_band_floors`` — the lower ages of the diversity age bands, youngest first;
- ``options.flags`` — ``{flag name: {label: text, urgent: true|false}}`` for the rule ``flag:`` tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dsvdesk.engine.spec import FormSpec, Question
from dsvdesk.errors import BadInput

THRESHOLD_CONSTANT = "marac_yes_threshold"
MEDIUM_FROM_CONSTANT = "local_band_medium_from"
AGE_FLOORS_CONSTANT = "age_band_floors"
GRADE_TAGS = ("grade", "officer_grade")  # values of the `review:` tag, in order of preference
CRITERIA_TAG = "marac_criteria"  # value of the `vocabulary:` tag
AGE_OTHER = "age_other"


class VocabularyError(BadInput):
    """The form lacks a value code needs; the message names the form and what to add (a form file is
    the user's input: exit code "bad input")."""


@dataclass(frozen=True, slots=True)
class Label:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Band:
    """A range of whole numbers: ``low`` to ``high`` inclusive (``high`` None: no upper end)."""

    key: str  # e.g. "band_10_13", "age_61_plus" (figure keys, CSV columns)
    label: str  # e.g. "10–13", "61+"
    low: int
    high: int | None

    def holds(self, number: int) -> bool:
        return number >= self.low and (self.high is None or number <= self.high)


@dataclass(frozen=True, slots=True)
class FlagInfo:
    name: str
    label: str
    urgent: bool = False


def words(name: str) -> str:
    """``family_court_order`` -> "Family court order": how a name the form gives no label for is shown."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:] if text else name


def bands_from_floors(prefix: str, floors: Iterable[int]) -> tuple[Band, ...]:
    """Consecutive bands starting at each floor: (0, 1, 10, 14) -> 0, 1–9, 10–13, 14+."""
    ordered = sorted(set(floors))
    out = []
    for index, low in enumerate(ordered):
        high = ordered[index + 1] - 1 if index + 1 < len(ordered) else None
        if high is None:
            key, label = f"{prefix}_{low}_plus", f"{low}+"
        elif high == low:
            key, label = f"{prefix}_{low}", str(low)
        else:
            key, label = f"{prefix}_{low}_{high}", f"{low}–{high}"
        out.append(Band(key, label, low, high))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What one form (or several, merged) says about risk, grades, criteria, ages and flags."""

    form_id: str
    high_risk_threshold: int | None = None
    yes_bands: tuple[Band, ...] = ()  # lowest first; the last starts at the high-risk threshold
    grades: tuple[Label, ...] = ()  # lowest first; the last is the highest grade
    marac_criteria: tuple[Label, ...] = ()
    age_bands: tuple[Band, ...] = ()  # youngest first; ages below the first are AGE_OTHER
    flags: Mapping[str, FlagInfo] = field(default_factory=dict)

    # --------------------------------------------------------------------------- look-ups
    @property
    def top_grade(self) -> str | None:
        """The highest grade's value (the 'high risk' of the Board's tables), if the form has grades."""
        return self.grades[-1].value if self.grades else None

    @property
    def grade_values(self) -> tuple[str, ...]:
        return tuple(g.value for g in self.grades)

    def grade_label(self, value: str | None) -> str:
        for grade in self.grades:
            if grade.value == value:
                return grade.label
        return words(value or "")

    def normalise_grade(self, value: Any) -> str | None:
        """A stored grade as one of the form's grade values (case and spaces ignored), else None."""
        if not isinstance(value, str):
            return None
        text = value.strip().lower()
        for grade in self.grades:
            if text in {grade.value.lower(), grade.label.strip().lower()}:
                return grade.value
        return None

    def criterion_label(self, value: str) -> str:
        for criterion in self.marac_criteria:
            if criterion.value == value:
                return criterion.label
        return words(value)

    def yes_band(self, count: int) -> Band:
        """The band of a DASH 'yes' count (negative counts, which no form makes, count as the first)."""
        for band in self.yes_bands:
            if band.holds(count):
                return band
        return self.yes_bands[0]

    def is_high_risk_count(self, count: int) -> bool:
        return self.high_risk_threshold is not None and count >= self.high_risk_threshold

    def age_band(self, age: int | None) -> str:
        """The key of the age band an age falls in; AGE_OTHER for none, or below the first band."""
        if age is not None:
            for band in self.age_bands:
                if band.holds(age):
                    return band.key
        return AGE_OTHER

    @property
    def age_other_label(self) -> str:
        return f"Age n/r/<{self.age_bands[0].low}" if self.age_bands else "Age n/r"

    def flag_label(self, name: str) -> str:
        info = self.flags.get(name)
        return info.label if info else words(name)

    def is_urgent(self, name: str) -> bool:
        info = self.flags.get(name)
        return bool(info and info.urgent)

    def require_risk(self, purpose: str) -> None:
        """Raise VocabularyError unless the form gives the threshold, grades and MARAC criteria."""
        missing = [
            what
            for what, present in (
                (f"constants: {THRESHOLD_CONSTANT}", self.high_risk_threshold is not None),
                ("a choice question tagged `review: grade`", bool(self.grades)),
                (f"a multichoice question tagged `vocabulary: {CRITERIA_TAG}`", bool(self.marac_criteria)),
                (f"constants: {AGE_FLOORS_CONSTANT}", bool(self.age_bands)),
            )
            if not present
        ]
        if missing:
            raise VocabularyError(
                f"The form {self.form_id!r} cannot be used for {purpose}: it needs {', '.join(missing)} "
                "(docs/forms.md, 'Values with a meaning to code')."
            )


# ------------------------------------------------------------------------------- building
_CACHE: dict[str, Vocabulary] = {}


def vocabulary_of(spec: FormSpec) -> Vocabulary:
    """The vocabulary of a compiled form (made once per form content)."""
    key = spec.content_hash
    if key and key in _CACHE:
        return _CACHE[key]
    vocabulary = _build(spec)
    if key:
        _CACHE[key] = vocabulary
    return vocabulary


def vocabulary_for(specs: Iterable[FormSpec]) -> Vocabulary:
    """Several forms' vocabularies merged (the review queue and record list show records of every
    form): the first form that gives a value wins; flag labels and grade labels are pooled."""
    parts = [vocabulary_of(spec) for spec in specs]
    if not parts:
        return Vocabulary(form_id="")
    grades: dict[str, Label] = {}
    criteria: dict[str, Label] = {}
    flags: dict[str, FlagInfo] = {}
    for part in parts:
        for grade in part.grades:
            grades.setdefault(grade.value, grade)
        for criterion in part.marac_criteria:
            criteria.setdefault(criterion.value, criterion)
        for name, info in part.flags.items():
            flags.setdefault(name, info)
    first = next((p for p in parts if p.high_risk_threshold is not None), parts[0])
    return Vocabulary(
        form_id="+".join(p.form_id for p in parts),
        high_risk_threshold=first.high_risk_threshold,
        yes_bands=first.yes_bands,
        grades=tuple(grades.values()),
        marac_criteria=tuple(criteria.values()),
        age_bands=first.age_bands,
        flags=flags,
    )


def _int_constant(spec: FormSpec, name: str) -> int | None:
    value = spec.constants.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _tagged(spec: FormSpec, tag: str, value: str) -> Question | None:
    for question in spec.questions_tagged(tag):
        if question.tag_value(tag) == value and question.choices:
            return question
    return None


def _build(spec: FormSpec) -> Vocabulary:
    threshold = _int_constant(spec, THRESHOLD_CONSTANT)
    bands: tuple[Band, ...] = ()
    if threshold is not None:
        medium = _int_constant(spec, MEDIUM_FROM_CONSTANT)
        floors = [0, 1, threshold]
        if medium is not None and 1 < medium < threshold:
            floors.append(medium)
        bands = bands_from_floors("band", (f for f in floors if f <= threshold))
    grade_question = next(
        (q for q in (_tagged(spec, "review", t) for t in GRADE_TAGS) if q is not None), None
    )
    criteria_question = _tagged(spec, "vocabulary", CRITERIA_TAG)
    floors_value = spec.constants.get(AGE_FLOORS_CONSTANT)
    age_floors = (
        [int(f) for f in floors_value if isinstance(f, int) and not isinstance(f, bool)]
        if isinstance(floors_value, list)
        else []
    )
    return Vocabulary(
        form_id=spec.id,
        high_risk_threshold=threshold,
        yes_bands=bands,
        grades=tuple(Label(c.value, c.label) for c in grade_question.choices) if grade_question else (),
        marac_criteria=(
            tuple(Label(c.value, c.label) for c in criteria_question.choices) if criteria_question else ()
        ),
        age_bands=bands_from_floors("age", age_floors),
        flags=_flags(spec),
    )


def _flags(spec: FormSpec) -> dict[str, FlagInfo]:
    raw = spec.options.get("flags")
    flags: dict[str, FlagInfo] = {}
    if not isinstance(raw, Mapping):
        return flags
    for name, entry in raw.items():
        if isinstance(entry, Mapping):
            label = entry.get("label")
            flags[str(name)] = FlagInfo(
                str(name), str(label) if label else words(str(name)), entry.get("urgent") is True
            )
        elif isinstance(entry, str):
            flags[str(name)] = FlagInfo(str(name), entry)
    return flags
