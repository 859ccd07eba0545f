"""A plausible answer for any question of any form, chosen by its type, choices, constraints and label."""

from __future__ import annotations

import datetime as dt
import functools
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dsvdesk.demo.people import GP_SURGERIES, OCCUPATIONS, POSTCODES, SCHOOLS, STREETS, Person, make_person
from dsvdesk.demo.timeline import RecordPlan, last_moment
from dsvdesk.engine.spec import (
    DONT_KNOW,
    NO,
    YES,
    Constraint,
    FormSpec,
    Question,
    QuestionType,
)

# ----------------------------------------------------------------------------------- answer filling

# What officers write, and what supervisors write back.
NARRATIVE = (
    "Police were called by a neighbour who heard shouting and a woman screaming from the flat.",
    "On arrival the victim was tearful and shaking and had a reddening to the left cheek.",
    "The suspect had left the address before police arrived and was located nearby.",
    "The victim states the argument started over money and the suspect's drinking.",
    "The victim disclosed previous unreported incidents over the last six months.",
    "Body-worn video was active throughout and has been retained.",
    "The children were asleep upstairs and were checked by officers; they were safe and well.",
    "The victim provided a first account on BWV and agreed to make a statement.",
    "The suspect was arrested for common assault and taken to custody.",
    "The victim was given advice on safety planning and the details of the local IDVA service.",
    "The victim is fearful the suspect will return to the address when released.",
    "The victim said the suspect checks her phone and controls who she sees.",
    "Photographs of the injuries were taken at the scene with the victim's consent.",
    "A neighbour gave a first account and will provide a witness statement.",
    "The suspect made a counter-allegation, which was recorded and will be investigated.",
    "An interpreter was used by telephone; the victim's first language is not English.",
)
COMMENTS_ON_YES = (
    "Victim disclosed this when asked; recorded on BWV.",
    "Happened several times in the last year, most recently last month.",
    "Victim was visibly distressed describing this.",
    "Confirmed by a family member present at the scene.",
    "Victim says it has been getting worse since the separation.",
)
NOT_ASKED_REASONS = (
    "Not asked: the suspect's relative was present and the victim could not speak freely.",
    "Not asked: the victim was too distressed to continue; to be completed by the OIC.",
    "Not asked: the victim was taken to hospital before the checklist was finished.",
)
REVIEW_COMMENTS = (
    "Please add the Merlin reference for each child present.",
    "The narrative does not say whether body-worn video was used; please add.",
    "Grade looks low for the answers given: please review and explain your judgement.",
    "Please record why photographs were not taken.",
    "Suspect's date of birth is missing; check PNC and add it.",
    "DASH question 8 was answered yes: please complete the stalking questions.",
)


LANGUAGES: Mapping[str, str] = {
    "polish": "Polish",
    "romanian": "Romanian",
    "arabic": "Arabic",
    "urdu": "Urdu",
    "chinese": "Mandarin",
    "bengali": "Bengali (Sylheti)",
    "greek": "Greek",
    "ukrainian": "Ukrainian",
    "somali": "Somali",
    "turkish": "Turkish",
    "portuguese": "Portuguese",
    "vietnamese": "Vietnamese",
    "welsh": "Welsh",
}
RELATIONSHIP_WORDS = (
    "ex-partner",
    "partner",
    "brother",
    "mother",
    "cousin",
    "friend of the suspect",
    "neighbour",
)
OFFENCES = (
    "Common assault (s.39 CJA 1988)",
    "Assault occasioning actual bodily harm (s.47 OAPA 1861)",
    "Criminal damage (s.1 CDA 1971)",
    "Controlling or coercive behaviour (s.76 SCA 2015)",
    "Harassment (s.2 PHA 1997)",
    "Breach of a non-molestation order (s.42A FLA 1996)",
    "Threats to kill (s.16 OAPA 1861)",
    "Intentional strangulation (s.75A SCA 2015)",
)
RANKS = ("PC", "PC", "PC", "DC", "PS", "TDC")


def matches(pattern: str | None, text: str) -> bool:
    return pattern is None or _searcher(pattern)(text) is not None


@functools.lru_cache(maxsize=256)
def _searcher(pattern: str) -> Callable[[str], re.Match[str] | None]:
    """``re.search`` with ``pattern``, compiled once (a bulk run checks each pattern 200,000 times)."""
    return re.compile(pattern).search


_REFERENCE_PARTS: dict[tuple[str, str, str | None], tuple[tuple[str, str], ...]] = {}


def _reference_parts(question: Question) -> tuple[tuple[str, str], ...]:
    """The example cut into literal text, date tokens (25NOV26), two-digit years (/26) and digit runs."""
    key = (question.id, question.example, question.pattern)
    found = _REFERENCE_PARTS.get(key)
    if found is not None:
        return found
    example = question.example or ""
    parts: list[tuple[str, str]] = []
    position = 0
    for match in re.finditer(
        r"\d{2}(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)\d{2}|\d+", example, re.IGNORECASE
    ):
        start, end = match.span()
        if start > position:
            parts.append(("text", example[position:start]))
        run = match.group()
        at_edge = start == 0 or end == len(example) or example[start - 1] == "/"
        if not run.isdigit():
            parts.append(("date", run))
        elif len(run) == 2 and at_edge and 15 <= int(run) <= 40:  # a two-digit year, as in 5201234/26
            parts.append(("year", run))
        else:
            parts.append(("digits", run))
        position = end
    if position < len(example):
        parts.append(("text", example[position:]))
    _REFERENCE_PARTS[key] = tuple(parts)
    return _REFERENCE_PARTS[key]


def reference_like(question: Question, rng: random.Random, *, on: dt.date) -> str | None:
    """A value for a reference question: its example with fresh digits, and dates and years set to
    ``on``, checked against the question's pattern. None if no such value can be made."""
    if not question.example:
        return None
    pieces: list[str] = []
    for kind, text in _reference_parts(question):
        if kind == "text":
            pieces.append(text)
        elif kind == "date":
            pieces.append(on.strftime("%d%b%y").upper())
        elif kind == "year":
            pieces.append(f"{on.year % 100:02d}")
        else:
            pieces.append(f"{rng.randrange(10 ** len(text)):0{len(text)}d}")
    for candidate in ("".join(pieces), question.example):
        if matches(question.pattern, candidate) and all(_passes(c, candidate) for c in question.constraints):
            return candidate
    return None


def _passes(constraint: Constraint, value: str) -> bool:
    if constraint.kind == "pattern" and constraint.pattern:
        return _searcher(constraint.pattern)(value) is not None
    if constraint.kind == "length":
        low = int(constraint.minimum) if isinstance(constraint.minimum, int | float) else 0
        high = int(constraint.maximum) if isinstance(constraint.maximum, int | float) else 10**9
        return low <= len(value) <= high
    return True


def _phone(rng: random.Random) -> str:
    # Ofcom's drama range (07700 900000-900999): realistic, and never anyone's real number.
    return f"07700 900{rng.randrange(1000):03d}"


def _address(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    flat = f"Flat {rng.randint(1, 40)}, " if rng.random() < 0.4 else ""
    return (
        f"{flat}{rng.randint(1, 280)} {rng.choice(STREETS)}, London "
        f"{rng.choice(POSTCODES)}{rng.choice(letters)}{rng.choice(letters)}"
    )


def sentences(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.sample(NARRATIVE, rng.randint(low, high)))


def clamp_date(day: dt.date, question: Question, today: dt.date) -> dt.date:
    for c in question.constraints:
        if c.kind == "not_future" and day > today:
            day = today
    return day


@dataclass
class FillContext:
    """The people and moments one record is about, and where the form puts them."""

    spec: FormSpec
    plan: RecordPlan
    rng: random.Random
    today: dt.date
    officer_name: str
    officer_collar: str
    station: str
    person_pages: dict[str, Person] = field(default_factory=dict)  # page id -> the person it describes
    latest: dt.datetime | None = None  # no moment in the answers after this (naive UTC); see `until`

    @property
    def incident_date(self) -> dt.date:
        return self.plan.incident_at.date()

    @property
    def until(self) -> dt.datetime:
        """The latest moment an answer may carry: ``latest``, else 23:00 the day before ``today``."""
        return self.latest if self.latest is not None else last_moment(self.today)


def column_questions(spec: FormSpec) -> dict[str, Question]:
    """Store column name -> the top-level question it reads (only columns that name a question)."""
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    return {column: by_id[qid] for column, qid in spec.columns.items() if qid in by_id}


def name_parts(spec: FormSpec, column: str) -> list[Question]:
    """The answered text questions a name column is made from (the column itself, or the parts its
    computed expression joins)."""
    question = column_questions(spec).get(column)
    if question is None:
        return []
    if question.type is not QuestionType.COMPUTED:
        return [question] if question.type is QuestionType.TEXT else []
    if question.expression is None:
        return []
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    refs = sorted(question.expression.all_references())
    return [by_id[r] for r in refs if r in by_id and by_id[r].type is QuestionType.TEXT]


def text_for_person(label: str, person: Person) -> str | None:
    text = label.lower()
    if "first name" in text or "forename" in text or "given name" in text:
        return person.given
    if "surname" in text or "family name" in text or "last name" in text:
        return person.family
    if "name" in text:
        return person.full_name
    return None


def person_attribute(label: str) -> str:
    """The :class:`Person` attribute :func:`text_for_person` reads for a question with this label, or ""."""
    text = label.lower()
    if "first name" in text or "forename" in text or "given name" in text:
        return "given"
    if "surname" in text or "family name" in text or "last name" in text:
        return "family"
    if "name" in text:
        return "full_name"
    return ""


def _text_value(q: Question, ctx: FillContext, person: Person | None) -> str:
    label = q.label.lower()
    rng = ctx.rng
    if "rank" in label and "name" in label:
        return f"{rng.choice(RANKS)} {person.full_name}" if person is not None else ctx.officer_name
    if person is not None:
        named = text_for_person(q.label, person)
        if named is not None:
            return named
    if "station" in label:
        return ctx.station
    if "occupation" in label:
        return rng.choice(OCCUPATIONS)
    if "phone" in label or "contact" in label:
        return _phone(rng)
    if "email" in label:
        return f"contact{rng.randrange(10_000):04d}@example.org"
    if "school" in label or "nursery" in label:
        return rng.choice(SCHOOLS)
    if "gp" in label.split() or "health visitor" in label:
        return rng.choice(GP_SURGERIES)
    if "language" in label:
        return LANGUAGES.get(ctx.plan.victim.community, "Polish")
    if "relationship" in label:
        return rng.choice(RELATIONSHIP_WORDS)
    if "offence" in label:
        return rng.choice(OFFENCES)
    if label.startswith("who") or "name" in label:
        return make_person(rng, on=ctx.incident_date).full_name
    if "address" in label:
        return _address(rng)
    return rng.choice(NARRATIVE).rstrip(".")


def _longtext_value(q: Question, ctx: FillContext) -> str:
    label = q.label.lower()
    rng = ctx.rng
    if "address" in label or "location" in label:
        return _address(rng)
    if "offence" in label:
        return "; ".join(rng.sample(OFFENCES, rng.randint(1, 2)))
    if "injur" in label:
        return rng.choice(
            (
                "Reddening and swelling to the left cheek, about 4 cm across; victim says she was slapped.",
                "Bruising to both upper arms consistent with being gripped; victim says she was held against the wall.",
                "Small cut to the lower lip, bleeding had stopped; victim declined an ambulance.",
                "Red marks to the front of the neck; victim says she was grabbed by the throat.",
            )
        )
    if "why" in label or "reason" in label:
        return rng.choice(
            (
                "The suspect had left the address before police arrived.",
                "The victim declined at this time and will be contacted again by the OIC tomorrow.",
                "No camera was available on the night; injuries are described in the victim's section.",
            )
        )
    if "demeanour" in label:
        return rng.choice(
            (
                "Tearful and shaking, kept looking at the door; calmer once the suspect had left.",
                "Quiet and withdrawn, minimised what had happened, reluctant to give details.",
                "Agitated and shouting, smelt strongly of alcohol, refused to give his details at first.",
            )
        )
    return sentences(rng, 2, 4)


def _date_value(q: Question, ctx: FillContext, person: Person | None) -> str:
    label = q.label.lower()
    rng = ctx.rng
    if "birth" in label:
        day = person.dob if person is not None else make_person(rng, on=ctx.incident_date).dob
    elif "by when" in label or "due" in label or "review" in label:
        day = ctx.incident_date + dt.timedelta(days=rng.randint(3, 28))
    elif "previous" in label:  # e.g. the date of a previous MARAC referral: before the incident
        day = ctx.incident_date - dt.timedelta(days=rng.randint(30, 700))
    else:
        day = ctx.incident_date + dt.timedelta(days=rng.randint(0, 2))
    return clamp_date(day, q, ctx.today).isoformat()


def _integer_value(q: Question, rng: random.Random) -> int:
    low, high = 0, 5
    for c in q.constraints:
        if c.kind == "range":
            if isinstance(c.minimum, int | float):
                low = int(c.minimum)
            if isinstance(c.maximum, int | float):
                high = min(int(c.maximum), low + 5)
    return rng.randint(low, max(low, high))


def _time_value(_q: Question, ctx: FillContext, _person: Person | None) -> str:
    return ctx.plan.incident_at.strftime("%H:%M")


def _datetime_value(_q: Question, ctx: FillContext, _person: Person | None) -> str:
    moment = min(ctx.plan.created_at + dt.timedelta(minutes=ctx.rng.randint(30, 180)), ctx.until)
    return moment.strftime("%Y-%m-%dT%H:%M")


def _yesno_value(_q: Question, ctx: FillContext, _person: Person | None) -> str:
    return YES if ctx.rng.random() < 0.45 else NO


def _yesno_dk_value(_q: Question, ctx: FillContext, _person: Person | None) -> str:
    return ctx.rng.choices((YES, NO, DONT_KNOW), weights=(30, 60, 10))[0]


def _choice_value(q: Question, ctx: FillContext, person: Person | None) -> str | None:
    if person is not None and {c.value for c in q.choices} >= {"female", "male"}:
        return person.sex
    return ctx.rng.choice(q.choices).value if q.choices else None


def _multichoice_value(q: Question, ctx: FillContext, _person: Person | None) -> list[str]:
    if not q.choices:
        return []
    picked = ctx.rng.sample(q.choices, ctx.rng.randint(1, min(2, len(q.choices))))
    return [c.value for c in q.choices if c in picked]  # in form order, as the wizard stores them


def _grid_value(q: Question, ctx: FillContext, _person: Person | None) -> dict[str, list[str]]:
    if not q.rows or not q.columns:
        return {}
    row = ctx.rng.choice(q.rows)
    return {row.value: [ctx.rng.choice(q.columns).value]}


def _repeat_value(q: Question, ctx: FillContext, _person: Person | None) -> list[dict[str, Any]]:
    count = max(q.min_items, ctx.rng.choices((0, 1, 2), weights=(55, 35, 10))[0])
    if q.max_items is not None:
        count = min(count, q.max_items)
    return [fill_item(q, ctx, None) for _ in range(count)]


# How each answerable type is filled; computed and note questions are never answered (None).
_FILLERS: dict[QuestionType, Callable[[Question, FillContext, Person | None], Any]] = {
    QuestionType.TEXT: _text_value,
    QuestionType.LONGTEXT: lambda q, ctx, _person: _longtext_value(q, ctx),
    QuestionType.INTEGER: lambda q, ctx, _person: _integer_value(q, ctx.rng),
    QuestionType.DECIMAL: lambda _q, ctx, _person: round(ctx.rng.uniform(0, 10), 1),
    QuestionType.DATE: _date_value,
    QuestionType.TIME: _time_value,
    QuestionType.DATETIME: _datetime_value,
    QuestionType.YESNO: _yesno_value,
    QuestionType.YESNO_DK: _yesno_dk_value,
    QuestionType.CHOICE: _choice_value,
    QuestionType.MULTICHOICE: _multichoice_value,
    QuestionType.REFERENCE: lambda q, ctx, _person: reference_like(q, ctx.rng, on=ctx.incident_date),
    QuestionType.GRID: _grid_value,
    QuestionType.REPEAT: _repeat_value,
}


def fill_value(q: Question, ctx: FillContext, person: Person | None = None) -> Any:
    """A plausible answer for any answerable question, chosen by its type, choices and label."""
    filler = _FILLERS.get(q.type)
    return filler(q, ctx, person) if filler is not None else None


def fill_item(q: Question, ctx: FillContext, person: Person | None) -> dict[str, Any]:
    """One repeat item, every field filled (``person`` fills the name, sex and date of birth)."""
    if person is None and any(text_for_person(f.label, ctx.plan.victim) is not None for f in q.fields):
        person = make_person(ctx.rng, on=ctx.incident_date)
    item: dict[str, Any] = {}
    for f in q.fields:
        value = fill_value(f, ctx, person)
        if value is not None:
            item[f.id] = value
    return item
