"""Realistic demo and benchmark data, generated from the real form definitions. Qt-free.

Two uses:

- the make-run demo (`dsvdesk demo --fresh`): a station, its accounts and about 50 records taken through
  the real lifecycle by ``dsvdesk.commands.demo`` (drafts saved, submitted with real signatures,
  returned with comments, approved);
- bulk data for the benchmarks (`dsvdesk demo --records N`): :func:`bulk_insert_records` writes N
  records in all states with multi-row ``INSERT`` statements in one transaction, keeping the search
  index, the searchable columns and the audit chain consistent.

Answers are filled generically from the compiled :class:`FormSpec` — by question type, choices,
constraints and tags — and the few values that must be realistic (names, dates, references, the
grade) are found through the form's ``columns:`` mapping, never by hard-coded 124D question ids. A
complete record is checked with the completeness engine and repaired until it has no errors, so what
the demo shows as submitted would really pass submission.

Everything is deterministic for a (seed, today) pair: the same seed on the same day gives the same
people, answers and record ids. Dates are relative to ``today`` so the demo always has recent work.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import itertools
import random
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import paths
from dsvdesk.demo_accounts import DemoAccount
from dsvdesk.engine.spec import (
    DONT_KNOW,
    NO,
    NOT_ASKED,
    YES,
    Constraint,
    FormSpec,
    Question,
    QuestionType,
)
from dsvdesk.errors import UserFacingError

if TYPE_CHECKING:
    from dsvdesk.store import Store
    from dsvdesk.store.bulk import BulkLoad, Shape
    from dsvdesk.store.models import Session

# ---------------------------------------------------------------------------------------------- people
# Names as a London station meets them, in the scripts their owners write them in: the app, the
# search index and the PDFs must handle each of them. Per community: (female given, male given, family).
NAME_POOLS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "english": (
        (
            "Sarah",
            "Emma",
            "Jessica",
            "Chloe",
            "Hannah",
            "Laura",
            "Rebecca",
            "Amy",
            "Charlotte",
            "Zoë",
            "Kelly",
            "Danielle",
            "Gemma",
            "Lucy",
            "Natalie",
            "Stacey",
            "Leanne",
            "Michelle",
            "Joanne",
            "Karen",
        ),
        (
            "James",
            "Daniel",
            "Thomas",
            "Liam",
            "Ryan",
            "Craig",
            "Lee",
            "Jason",
            "Mark",
            "Paul",
            "Darren",
            "Stephen",
            "Wayne",
            "Jamie",
            "Kieran",
            "Connor",
            "Michael",
            "Dean",
            "Scott",
            "Gary",
        ),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Robinson",
            "Wright",
            "Thompson",
            "Evans",
            "Walker",
            "White",
            "Roberts",
            "Green",
            "Hall",
            "Wood",
            "Jackson",
            "Clarke",
            "O'Brien",
            "McCarthy",
            "Ashworth-Lee",
            "Fairbrother",
        ),
    ),
    "welsh": (
        ("Angharad", "Siân", "Eluned", "Ffion", "Carys", "Gwenllian", "Bethan", "Nia", "Rhiannon", "Llinos"),
        ("Dafydd", "Gruffydd", "Rhodri", "Iolo", "Emyr", "Gethin", "Llŷr", "Rhys", "Tomos", "Ieuan"),
        ("ap Rhys", "Llywelyn", "Prys", "Gwynedd", "Pughe", "Vaughan", "Huws", "Parri", "Bowen", "Griffiths"),
    ),
    "irish": (
        ("Siobhán", "Aoife", "Niamh", "Órlaith", "Caoimhe", "Gráinne", "Róisín", "Sinéad"),
        ("Seán", "Pádraig", "Cillian", "Oisín", "Ciarán", "Tadhg", "Donnchadh", "Eoghan"),
        ("Ó Briain", "Mac Cárthaigh", "Ó Súilleabháin", "Ó Néill", "Breathnach", "Ó Dónaill"),
    ),
    "polish": (
        (
            "Małgorzata",
            "Agnieszka",
            "Katarzyna",
            "Żaneta",
            "Joanna",
            "Magdalena",
            "Dorota",
            "Bożena",
            "Ewelina",
            "Łucja",
        ),
        (
            "Łukasz",
            "Paweł",
            "Krzysztof",
            "Grzegorz",
            "Wojciech",
            "Michał",
            "Jędrzej",
            "Zbigniew",
            "Przemysław",
            "Bartłomiej",
        ),
        (
            "Kowalczyk",
            "Wiśniewski",
            "Wójcik",
            "Zieliński",
            "Szymański",
            "Woźniak",
            "Dąbrowski",
            "Kozłowski",
            "Jankowski",
            "Żółć",
            "Mazur",
            "Krawczyk",
        ),
    ),
    "romanian": (
        ("Ioana", "Andreea", "Mădălina", "Ștefania", "Roxana", "Alexandra", "Cătălina"),
        ("Ștefan", "Andrei", "Mihai", "Răzvan", "Cristian", "Ionuț", "Florin"),
        ("Popescu", "Ionescu", "Țărănu", "Munteanu", "Dumitrescu", "Stoica", "Constantinescu"),
    ),
    "arabic": (
        ("فاطمة", "مريم", "عائشة", "نور", "ليلى", "زينب", "سارة", "هدى"),
        ("محمد", "أحمد", "علي", "يوسف", "عمر", "خالد", "حسن", "إبراهيم"),
        ("الحسيني", "العلي", "منصور", "حداد", "الخطيب", "النجار", "عبد الله", "الشامي"),
    ),
    "urdu": (
        ("عائشه", "فریده", "نازیه", "رخسانه", "صائمه"),
        ("عمران", "کامران", "آصف", "طارق", "شاهد"),
        ("خان", "چودھری", "قریشی", "بٹ", "ملک"),
    ),
    "chinese": (  # family name first, no space, as written in Chinese
        ("秀英", "丽华", "美玲", "静", "晓燕", "婷婷", "雪梅"),
        ("伟", "小明", "建国", "志强", "俊杰", "浩然", "国庆"),
        ("王", "李", "张", "刘", "陈", "杨", "黄", "赵"),
    ),
    "bengali": (
        ("নাসরিন", "রুমানা", "শাহানা", "ফারহানা", "তাসলিমা"),
        ("রহিম", "করিম", "জামাল", "সাইফুল", "মাহমুদ"),
        ("আহমেদ", "হোসেন", "রহমান", "চৌধুরী", "মিয়া"),
    ),
    "greek": (
        ("Ελένη", "Μαρία", "Αικατερίνη", "Σοφία", "Δέσποινα"),
        ("Γιώργος", "Νίκος", "Κώστας", "Δημήτρης", "Σωκράτης"),
        ("Παπαδοπούλου", "Νικολάου", "Γεωργίου", "Οικονόμου", "Παππάς"),
    ),
    "ukrainian": (
        ("Олена", "Оксана", "Наталія", "Ірина", "Юлія"),
        ("Олександр", "Андрій", "Сергій", "Віталій", "Богдан"),
        ("Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Мельник"),
    ),
    "somali": (
        ("Hodan", "Faadumo", "Sahra", "Ubah", "Ayaan"),
        ("Abdirahman", "Mohamed", "Abdullahi", "Ahmed", "Yusuf"),
        ("Warsame", "Farah", "Jama", "Hassan", "Abdi"),
    ),
    "turkish": (
        ("Ayşe", "Gülşen", "Şükran", "Öznur", "Çiğdem"),
        ("Ömer", "Uğur", "Çağlar", "Barış", "İsmail"),
        ("Yılmaz", "Öztürk", "Şahin", "Çelik", "Doğan"),
    ),
    "portuguese": (
        ("Conceição", "Joana", "Inês", "Luísa", "Sónia"),
        ("João", "Gonçalo", "Sérgio", "António", "Rúben"),
        ("Gonçalves", "Magalhães", "Simões", "Araújo", "Assunção"),
    ),
    "vietnamese": (  # family name first, with spaces
        ("Thị Hương", "Thảo", "Phương", "Ngọc Ánh"),
        ("Đức", "Quốc Bảo", "Thắng", "Hoàng"),
        ("Nguyễn", "Trần", "Phạm", "Lê", "Võ"),
    ),
}
# Rough shares of a borough's caseload; every community turns up in a sample of a few dozen records.
COMMUNITY_WEIGHTS: Mapping[str, int] = {
    "english": 34,
    "welsh": 5,
    "irish": 5,
    "polish": 8,
    "romanian": 5,
    "arabic": 6,
    "urdu": 5,
    "chinese": 6,
    "bengali": 5,
    "greek": 3,
    "ukrainian": 4,
    "somali": 4,
    "turkish": 4,
    "portuguese": 3,
    "vietnamese": 3,
}
FAMILY_NAME_FIRST = frozenset({"chinese", "vietnamese"})

STREETS = (
    "Holloway Road",
    "Caledonian Road",
    "Seven Sisters Road",
    "Blackstock Road",
    "Essex Road",
    "Hornsey Road",
    "Upper Street",
    "Liverpool Road",
    "St Paul's Road",
    "Highbury Grove",
    "Uxbridge Road",
    "Field End Road",
    "Long Lane",
    "Station Road",
    "Cowley Road",
    "Victoria Road",
    "Kingsland High Street",
    "Green Lanes",
    "Tottenham Lane",
    "Mare Street",
)
POSTCODES = ("N7 6", "N1 0", "N4 3", "N19 5", "N5 2", "HA4 8", "UB8 2", "UB10 9", "UB3 1", "E8 3", "N16 7")
OCCUPATIONS = (
    "care worker",
    "delivery driver",
    "nurse",
    "student",
    "retail assistant",
    "unemployed",
    "builder",
    "teaching assistant",
    "bus driver",
    "chef",
    "self-employed",
    "cleaner",
    "IT support",
    "retired",
)
SCHOOLS = (
    "Ashmount Primary School",
    "Highbury Grove School",
    "Vittoria Primary School",
    "Ruislip Gardens Primary",
    "Hillingdon Primary School",
    "Mount Carmel RC School",
    "Laycock Primary School",
    "St Mary's CE Primary",
)
GP_SURGERIES = (
    "Mildmay Medical Practice",
    "Partnership Primary Care Centre",
    "Elthorne Park Surgery",
    "Highgate Group Practice",
    "Ruislip Manor Surgery",
    "The Medical Centre, Hayes",
)
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


@dataclass(frozen=True, slots=True)
class Person:
    given: str
    family: str
    community: str
    sex: str  # "female" | "male"
    dob: dt.date

    @property
    def full_name(self) -> str:
        if self.community == "chinese":
            return f"{self.family}{self.given}"
        if self.community in FAMILY_NAME_FIRST:
            return f"{self.family} {self.given}"
        return f"{self.given} {self.family}"

    def age_on(self, day: dt.date) -> int:
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


class _Weighted:
    """``rng.choices(population, weights)[0]`` — the same draw from ``rng`` and the same result — with the
    cumulative weights added up once rather than on every call (planning 100,000 records makes ~450,000
    weighted choices)."""

    __slots__ = ("cumulative", "last", "population", "total")

    def __init__(self, population: Sequence[Any], weights: Sequence[float]) -> None:
        self.population = tuple(population)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1] + 0.0
        self.last = len(self.population) - 1

    def pick(self, rng: random.Random) -> Any:
        return self.population[bisect.bisect(self.cumulative, rng.random() * self.total, 0, self.last)]


def make_person(
    rng: random.Random,
    *,
    sex: str | None = None,
    on: dt.date,
    min_age: int = 16,
    max_age: int = 75,
    community: str | None = None,
    family: str | None = None,
) -> Person:
    """A person of a random community (or the given one), aged min_age..max_age on ``on``."""
    if community is None:
        community = _COMMUNITY.pick(rng)
    female, male, families = NAME_POOLS[community]
    if sex is None:
        sex = rng.choice(("female", "male"))
    given = rng.choice(female if sex == "female" else male)
    age_days = rng.randint(min_age * 365 + 1, max_age * 365 + 300)
    return Person(
        given=given,
        family=family or rng.choice(families),
        community=community,
        sex=sex,
        dob=on - dt.timedelta(days=age_days),
    )


_COMMUNITY = _Weighted(list(COMMUNITY_WEIGHTS), list(COMMUNITY_WEIGHTS.values()))

# ----------------------------------------------------------------------------------- record planning

STATUSES = ("draft", "submitted", "returned", "approved")
# DASH 'yes' answers on real checklists: most standard, a long medium tail, about one in eight 14+.
YES_COUNT_WEIGHTS: Mapping[int, int] = {
    0: 3,
    1: 4,
    2: 6,
    3: 8,
    4: 9,
    5: 9,
    6: 8,
    7: 7,
    8: 6,
    9: 5,
    10: 5,
    11: 4,
    12: 4,
    13: 3,
    14: 3,
    15: 3,
    16: 2,
    17: 2,
    18: 2,
    19: 1,
    20: 1,
    22: 1,
}
GRADE_BANDS = ((14, "high"), (10, "medium"), (0, "standard"))
_YES_COUNT = _Weighted(list(YES_COUNT_WEIGHTS), list(YES_COUNT_WEIGHTS.values()))
_UNRECORDED_INCIDENTS = _Weighted((0, 1, 2, 3), (70, 18, 8, 4))  # earlier incidents only the victim tells of
_CHILDREN = _Weighted((1, 2, 3, 4), (50, 32, 13, 5))  # children of a victim who has any


def suggested_grade(yes_count: int) -> str:
    """The SafeLives bands (1–9 standard, 10–13 medium, 14+ high) used to choose a realistic grade."""
    for threshold, grade in GRADE_BANDS:
        if yes_count >= threshold:
            return grade
    return "standard"


@dataclass(frozen=True, slots=True)
class RecordPlan:
    """Everything about one record decided before its answers are filled."""

    index: int
    record_id: str
    status: str
    victim: Person
    suspect: Person
    children: tuple[Person, ...]
    incident_at: dt.datetime
    created_at: dt.datetime
    yes_target: int
    owner_index: int  # which officer (index into the caller's list)
    completion: float  # share of answers filled (drafts); 1.0 for every other status
    repeat_victim: bool = False
    previous_incidents: int = 0  # earlier incidents with this victim in the last 12 months
    extra_seed: int = 0


# Status weights (draft, submitted, returned, approved) by the record's age in days, newest first.
_STATUS_BY_AGE = (
    (3, _Weighted(STATUSES, (45, 35, 10, 10))),
    (14, _Weighted(STATUSES, (20, 30, 15, 35))),
    (60, _Weighted(STATUSES, (6, 8, 6, 80))),
)
_STATUS_OLD = _Weighted(STATUSES, (2, 2, 1, 95))


def _status_for(rng: random.Random, age_days: int) -> str:
    """Older records are mostly approved; the last fortnight holds the drafts and the queue."""
    for up_to, weighted in _STATUS_BY_AGE:
        if age_days <= up_to:
            return str(weighted.pick(rng))
    return str(_STATUS_OLD.pick(rng))


def last_moment(today: dt.date) -> dt.datetime:
    """The latest time demo data carries: 23:00 on the day before `today`. Whatever the hour the data is
    made, nothing in it is in the future (the forms refuse an incident or a declaration in the future),
    and a seed still gives the same data all day."""
    return dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 0))


def plan_records(
    count: int,
    *,
    seed: int,
    today: dt.date,
    officers: int,
    span_days: int = 540,
    status_mix: Mapping[str, int] | None = None,
) -> list[RecordPlan]:
    """Plan ``count`` records over the last ``span_days`` days, oldest first.

    About one victim in eight appears again within 12 months (same name and date of birth), a
    child or two live with about 40% of victims, and the yes-count follows :data:`YES_COUNT_WEIGHTS`.
    ``status_mix`` forces exact shares of statuses (the small make-run demo uses it so that every
    state is well represented); otherwise the status follows the record's age.
    """
    import uuid  # here, not at the top: it costs start-up time and only planning needs it

    rng = random.Random(seed)
    now = last_moment(today)
    ages = sorted((rng.random() ** 1.15 * span_days for _ in range(count)), reverse=True)
    forced: list[str] = []
    if status_mix:
        total = sum(status_mix.values())
        for status, share in status_mix.items():
            forced.extend([status] * round(count * share / total))
        forced = (forced + ["approved"] * count)[:count]
        # Newest records take the earliest lifecycle states, as they would at a real station.
        order = {"draft": 0, "submitted": 1, "returned": 2, "approved": 3}
        forced.sort(key=lambda s: -order[s])
    plans: list[RecordPlan] = []
    recent_victims: list[tuple[dt.date, Person, Person]] = []  # in time order, as the plans are
    window_start = 0  # recent_victims[window_start:] fall within the repeat window
    seen: dict[Person, list[dt.date]] = {}
    for index, age in enumerate(ages):
        incident_at = now - dt.timedelta(days=age, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
        incident_at = incident_at.replace(second=0, microsecond=0)
        created_at = incident_at + dt.timedelta(minutes=rng.randint(25, 240))
        if created_at > now:
            created_at = now - dt.timedelta(minutes=rng.randint(1, 30))
        while (
            window_start < len(recent_victims)
            and (incident_at.date() - recent_victims[window_start][0]).days > 330
        ):
            window_start += 1
        repeat = window_start < len(recent_victims) and rng.random() < 0.13
        if repeat:
            _day, victim, suspect = recent_victims[rng.randrange(window_start, len(recent_victims))]
        else:
            victim = make_person(
                rng,
                sex="female" if rng.random() < 0.8 else "male",
                on=incident_at.date(),
                min_age=16,
                max_age=78,
            )
            same_community = rng.random() < 0.75
            suspect = make_person(
                rng,
                sex="male" if victim.sex == "female" and rng.random() < 0.93 else "female",
                on=incident_at.date(),
                min_age=17,
                max_age=80,
                community=victim.community if same_community else None,
            )
        earlier = [d for d in seen.get(victim, []) if 0 <= (incident_at.date() - d).days <= 365]
        # Not every earlier incident was recorded here: now and then the victim reports more.
        previous = len(earlier) + _UNRECORDED_INCIDENTS.pick(rng)
        seen.setdefault(victim, []).append(incident_at.date())
        recent_victims.append((incident_at.date(), victim, suspect))
        children: tuple[Person, ...] = ()
        if rng.random() < 0.4 and victim.age_on(incident_at.date()) >= 19:
            children = tuple(
                make_person(
                    rng,
                    on=incident_at.date(),
                    min_age=0,
                    max_age=min(16, victim.age_on(incident_at.date()) - 17),
                    community=victim.community,
                    family=rng.choice((victim.family, suspect.family)),
                )
                for _ in range(_CHILDREN.pick(rng))
            )
        age_days = (today - incident_at.date()).days
        status = forced[index] if forced else _status_for(rng, age_days)
        yes_target = _YES_COUNT.pick(rng)
        plans.append(
            RecordPlan(
                index=index,
                record_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                status=status,
                victim=victim,
                suspect=suspect,
                children=children,
                incident_at=incident_at,
                created_at=created_at,
                yes_target=yes_target,
                owner_index=rng.randrange(max(1, officers)),
                completion=rng.uniform(0.15, 0.9) if status == "draft" else 1.0,
                repeat_victim=repeat,
                previous_incidents=previous,
                extra_seed=rng.getrandbits(32),
            )
        )
    return plans


# ----------------------------------------------------------------------------------- answer filling

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


def _matches(pattern: str | None, text: str) -> bool:
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
        if _matches(question.pattern, candidate) and all(_passes(c, candidate) for c in question.constraints):
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


def _sentences(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.sample(NARRATIVE, rng.randint(low, high)))


def _clamp_date(day: dt.date, question: Question, today: dt.date) -> dt.date:
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

    @property
    def incident_date(self) -> dt.date:
        return self.plan.incident_at.date()


def column_questions(spec: FormSpec) -> dict[str, Question]:
    """Store column name -> the top-level question it reads (only columns that name a question)."""
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    return {column: by_id[qid] for column, qid in spec.columns.items() if qid in by_id}


def _name_parts(spec: FormSpec, column: str) -> list[Question]:
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


def _text_for_person(label: str, person: Person) -> str | None:
    text = label.lower()
    if "first name" in text or "forename" in text or "given name" in text:
        return person.given
    if "surname" in text or "family name" in text or "last name" in text:
        return person.family
    if "name" in text:
        return person.full_name
    return None


def _person_attribute(label: str) -> str:
    """The :class:`Person` attribute :func:`_text_for_person` reads for a question with this label, or ""."""
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
        named = _text_for_person(q.label, person)
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
    return _sentences(rng, 2, 4)


def _date_value(q: Question, ctx: FillContext, person: Person | None) -> str:
    label = q.label.lower()
    rng = ctx.rng
    if "birth" in label:
        day = person.dob if person is not None else make_person(rng, on=ctx.incident_date).dob
    elif "by when" in label or "due" in label or "review" in label:
        day = ctx.incident_date + dt.timedelta(days=rng.randint(3, 28))
    else:
        day = ctx.incident_date + dt.timedelta(days=rng.randint(0, 2))
    return _clamp_date(day, q, ctx.today).isoformat()


def _integer_value(q: Question, rng: random.Random) -> int:
    low, high = 0, 5
    for c in q.constraints:
        if c.kind == "range":
            if isinstance(c.minimum, int | float):
                low = int(c.minimum)
            if isinstance(c.maximum, int | float):
                high = min(int(c.maximum), low + 5)
    return rng.randint(low, max(low, high))


def fill_value(q: Question, ctx: FillContext, person: Person | None = None) -> Any:
    """A plausible answer for any answerable question, chosen by its type, choices and label."""
    rng = ctx.rng
    t = q.type
    if t is QuestionType.TEXT:
        return _text_value(q, ctx, person)
    if t is QuestionType.LONGTEXT:
        return _longtext_value(q, ctx)
    if t is QuestionType.INTEGER:
        return _integer_value(q, rng)
    if t is QuestionType.DECIMAL:
        return round(rng.uniform(0, 10), 1)
    if t is QuestionType.DATE:
        return _date_value(q, ctx, person)
    if t is QuestionType.TIME:
        return ctx.plan.incident_at.strftime("%H:%M")
    if t is QuestionType.DATETIME:
        moment = min(ctx.plan.created_at + dt.timedelta(minutes=rng.randint(30, 180)), last_moment(ctx.today))
        return moment.strftime("%Y-%m-%dT%H:%M")
    if t is QuestionType.YESNO:
        return YES if rng.random() < 0.45 else NO
    if t is QuestionType.YESNO_DK:
        return rng.choices((YES, NO, DONT_KNOW), weights=(30, 60, 10))[0]
    if t is QuestionType.CHOICE:
        if person is not None and {c.value for c in q.choices} >= {"female", "male"}:
            return person.sex
        return rng.choice(q.choices).value if q.choices else None
    if t is QuestionType.MULTICHOICE:
        if not q.choices:
            return []
        picked = rng.sample(q.choices, rng.randint(1, min(2, len(q.choices))))
        return [c.value for c in q.choices if c in picked]  # in form order, as the wizard stores them
    if t is QuestionType.REFERENCE:
        return reference_like(q, rng, on=ctx.incident_date)
    if t is QuestionType.GRID:
        if not q.rows or not q.columns:
            return {}
        row = rng.choice(q.rows)
        return {row.value: [rng.choice(q.columns).value]}
    if t is QuestionType.REPEAT:
        count = max(q.min_items, rng.choices((0, 1, 2), weights=(55, 35, 10))[0])
        if q.max_items is not None:
            count = min(count, q.max_items)
        return [fill_item(q, ctx, None) for _ in range(count)]
    return None  # computed and note questions are never answered


def fill_item(q: Question, ctx: FillContext, person: Person | None) -> dict[str, Any]:
    """One repeat item, every field filled (``person`` fills the name, sex and date of birth)."""
    if person is None and any(_text_for_person(f.label, ctx.plan.victim) is not None for f in q.fields):
        person = make_person(ctx.rng, on=ctx.incident_date)
    item: dict[str, Any] = {}
    for f in q.fields:
        value = fill_value(f, ctx, person)
        if value is not None:
            item[f.id] = value
    return item


# --------------------------------------------------------------------------------- whole records


class DemoDataError(RuntimeError):
    """The generator could not make a record that passes the form's checks (a bug in the generator or
    a form it cannot satisfy): the message names the rules left failing."""


class DemoSetupError(UserFacingError):
    """Demo data cannot be added to this database as asked (no officer accounts, unknown owner ...)."""

    title = "Demo data"


def _answerable(q: Question) -> bool:
    return q.type not in (QuestionType.COMPUTED, QuestionType.NOTE)


def counted_tag(spec: FormSpec) -> str | None:
    """The tag whose 'yes' answers make the risk count: the one carried by most yes/no/don't-know
    questions (``dash`` in the 124D)."""
    counts: dict[str, int] = {}
    for _s, _p, q in spec.iter_questions():
        if q.type is QuestionType.YESNO_DK:
            for tag in q.tags:
                if not tag.value:
                    counts[tag.name] = counts.get(tag.name, 0) + 1
    return max(counts, key=lambda name: counts[name]) if counts else None


def _person_pages(spec: FormSpec, plan: RecordPlan) -> dict[str, Person]:
    pages: dict[str, Person] = {}
    for column, person in (("victim_name", plan.victim), ("suspect_name", plan.suspect)):
        for part in _name_parts(spec, column):
            pages[spec.page_of(part.id).id] = person
    return pages


def _repeat_for_column(spec: FormSpec, column: str) -> Question | None:
    """The repeat question a count column (e.g. ``children_count: len(children)``) is computed from."""
    question = column_questions(spec).get(column)
    if question is None:
        return None
    if question.type is QuestionType.REPEAT:
        return question
    if question.expression is None:
        return None
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    for ref in sorted(question.expression.all_references()):
        if ref in by_id and by_id[ref].type is QuestionType.REPEAT:
            return by_id[ref]
    return None


def _gates(spec: FormSpec, question_id: str) -> list[Any]:
    page = spec.page_of(question_id)
    question = spec.question(question_id)
    return [e for e in (page.show_when, question.show_when) if e is not None]


def _shown(spec: FormSpec, answers: Mapping[str, Any], question_id: str) -> bool:
    from dsvdesk.engine.expressions import MappingEnvironment

    env = MappingEnvironment({**dict(spec.constants), **answers})
    return all(gate.is_true(env) for gate in _gates(spec, question_id))


def _set_shown(spec: FormSpec, answers: dict[str, Any], question_id: str, want: bool) -> None:
    """Answer the yes/no or choice questions a page's condition reads so that the question is shown
    (or hidden), as an officer answering the gate question would."""
    if _shown(spec, answers, question_id) == want:
        return
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    for gate in _gates(spec, question_id):
        for ref in sorted(gate.all_references()):
            q = by_id.get(ref)
            if q is None or q.type not in (QuestionType.YESNO, QuestionType.YESNO_DK, QuestionType.CHOICE):
                continue
            values = [c.value for c in q.choices] if q.type is QuestionType.CHOICE else [YES, NO]
            for value in values:
                answers[ref] = value
                if _shown(spec, answers, question_id) == want:
                    return


def grade_for(plan: RecordPlan, yes_count: int, rng: random.Random) -> str:
    """The officer's grade: the local band, raised by professional judgement now and then (never lowered)."""
    grade = suggested_grade(yes_count)
    bump = rng.random()
    if grade == "standard" and (bump < 0.12 or (plan.repeat_victim and bump < 0.3)):
        grade = "medium"
    elif grade == "medium" and bump < 0.2:
        grade = "high"
    return grade


@dataclass(frozen=True, slots=True)
class Staff:
    """Who the record is written by, for the declaration and the attending officers."""

    officer_name: str = "PC Demo Officer"
    officer_collar: str = "1234AB"
    station: str = "Demo Station"
    supervisor_name: str = "PS Demo Supervisor"


def answers_for(
    spec: FormSpec, plan: RecordPlan, *, today: dt.date, staff: Staff | None = None, reviewer: bool = False
) -> dict[str, Any]:
    """Answers for one planned record.

    Complete records (every status but draft) pass the completeness engine with no errors for the
    author's sections, and with ``reviewer`` also for the supervisor's. A draft holds the pages an
    officer would have reached (``plan.completion`` of them), in form order.
    """
    staff = staff or Staff()
    rng = random.Random(plan.extra_seed)
    ctx = FillContext(
        spec=spec,
        plan=plan,
        rng=rng,
        today=today,
        officer_name=staff.officer_name,
        officer_collar=staff.officer_collar,
        station=staff.station,
    )
    persons = _person_pages(spec, plan)
    answers: dict[str, Any] = {}
    for section, page, q in spec.iter_questions():
        if not _answerable(q):
            continue
        if section.audience.value == "reviewer" and not reviewer:
            continue
        value = fill_value(q, ctx, persons.get(page.id))
        if value not in (None, [], {}):
            answers[q.id] = value
    _apply_columns(spec, plan, ctx, answers)
    _apply_risk(spec, plan, ctx, answers, reviewer=reviewer, staff=staff)
    _apply_identity(spec, ctx, answers, staff)
    if plan.status != "draft":
        _repair(spec, ctx, answers, reviewer=reviewer)
    from dsvdesk.engine.completeness import visible_answers

    answers = dict(visible_answers(spec, answers))
    if plan.status == "draft":
        answers = _truncate(spec, answers, plan.completion)
    return answers


def _apply_identity(spec: FormSpec, ctx: FillContext, answers: dict[str, Any], staff: Staff) -> None:
    """The record's own officer on the declaration and first among the attending officers."""
    for _s, _p, q in spec.iter_questions():
        label = q.label.lower()
        if q.type is QuestionType.REFERENCE and (
            "warrant" in label or "shoulder" in label or "collar" in label
        ):
            if _matches(q.pattern, staff.officer_collar):
                answers[q.id] = staff.officer_collar
        elif q.type is QuestionType.REPEAT and "officer" in label and answers.get(q.id):
            first = dict(answers[q.id][0])
            for f in q.fields:
                flabel = f.label.lower()
                if f.type is QuestionType.TEXT and "name" in flabel:
                    first[f.id] = staff.officer_name
                elif f.type is QuestionType.REFERENCE and _matches(f.pattern, staff.officer_collar):
                    first[f.id] = staff.officer_collar
            answers[q.id] = [first, *answers[q.id][1:]]


def _apply_columns(spec: FormSpec, plan: RecordPlan, ctx: FillContext, answers: dict[str, Any]) -> None:
    """Realistic values for the questions behind the store columns (the form's `columns:` mapping)."""
    rng = ctx.rng
    cols = column_questions(spec)
    day = ctx.incident_date

    def put(column: str, value: Any) -> None:
        q = cols.get(column)
        if q is not None and _answerable(q) and value is not None:
            answers[q.id] = value

    put("incident_date", day.isoformat())
    put("victim_dob", plan.victim.dob.isoformat())
    put("victim_disability", YES if rng.random() < 0.12 else NO)
    put("hbv_flag", YES if rng.random() < 0.04 else NO)
    put("arrested", YES if rng.random() < 0.55 else NO)
    put("previous_incidents_12m", plan.previous_incidents)
    cris = cols.get("cris_ref")
    if cris is not None and rng.random() < 0.15:  # a non-crime domestic incident has no crime number
        answers.pop(cris.id, None)
    repeat = _repeat_for_column(spec, "children_count")
    if repeat is not None:
        _set_shown(spec, answers, repeat.id, bool(plan.children))
        if plan.children:
            answers[repeat.id] = [_child_item(repeat, ctx, child) for child in plan.children]
        else:
            answers.pop(repeat.id, None)


def _child_item(repeat: Question, ctx: FillContext, child: Person) -> dict[str, Any]:
    item = fill_item(repeat, ctx, child)
    rng = ctx.rng
    # Most children live at the address; the ones present or resident get a Merlin reference
    # (the rule the supervisor checks), and now and then an officer forgets it.
    for f in repeat.fields:
        label = f.label.lower()
        if f.type is QuestionType.YESNO:
            if "resident" in label:
                item[f.id] = YES if rng.random() < 0.85 else NO
            elif "present" in label:
                item[f.id] = YES if rng.random() < 0.45 else NO
            elif "witness" in label:
                item[f.id] = YES if rng.random() < 0.25 else NO
            elif "injur" in label:
                item[f.id] = YES if rng.random() < 0.04 else NO
    return item


def _apply_risk(
    spec: FormSpec,
    plan: RecordPlan,
    ctx: FillContext,
    answers: dict[str, Any],
    *,
    reviewer: bool,
    staff: Staff,
) -> None:
    """The DASH answers with the planned yes-count, their comments, the grade and MARAC criteria."""
    rng = ctx.rng
    tag = counted_tag(spec)
    cols = column_questions(spec)
    counted = [
        q
        for _s, _p, q in spec.iter_questions()
        if tag is not None and q.has_tag(tag) and q.type in (QuestionType.YESNO_DK, QuestionType.YESNO)
    ]
    shown = [q for q in counted if _shown(spec, answers, q.id)]
    yes_ids = {q.id for q in rng.sample(shown, min(plan.yes_target, len(shown)))}
    for q in counted:
        if q.id in yes_ids:
            answers[q.id] = YES
        else:
            answers[q.id] = (
                rng.choices((NO, DONT_KNOW, NOT_ASKED), weights=(85, 12, 3))[0]
                if q.type is QuestionType.YESNO_DK
                else NO
            )
    for _s, _p, q in spec.iter_questions():
        if not q.comment:
            continue
        value = answers.get(q.id)
        if value == NOT_ASKED:
            answers[q.comment_id] = rng.choice(NOT_ASKED_REASONS)
        elif value == YES and rng.random() < 0.6:
            answers[q.comment_id] = rng.choice(COMMENTS_ON_YES)
    yes_count = len(yes_ids)
    grade = grade_for(plan, yes_count, rng)
    officer_grade = cols.get("officer_grade")
    if officer_grade is not None and _answerable(officer_grade):
        answers[officer_grade.id] = grade
    threshold = int(spec.constants.get("marac_yes_threshold", 14))
    escalation = int(spec.constants.get("escalation_incidents", 3))
    criteria_q = cols.get("marac_criteria")
    if criteria_q is not None and criteria_q.type is QuestionType.MULTICHOICE:
        offered = {c.value for c in criteria_q.choices}
        criteria = []
        if yes_count >= threshold:
            criteria.append("visible_high_risk")
        elif grade == "high":
            criteria.append("professional_judgement")
        if (
            answers.get(cols["previous_incidents_12m"].id if "previous_incidents_12m" in cols else "", 0)
            >= escalation
        ):
            criteria.append("potential_escalation")
        chosen = [c.value for c in criteria_q.choices if c.value in criteria and c.value in offered]
        if chosen:
            answers[criteria_q.id] = chosen
        else:
            answers.pop(criteria_q.id, None)
    referral = cols.get("marac_referral_date")
    if referral is not None:
        wanted = grade == "high"
        _set_shown(spec, answers, referral.id, wanted)
        if wanted:
            answers[referral.id] = _clamp_date(
                ctx.incident_date + dt.timedelta(days=rng.randint(0, 3)), referral, ctx.today
            ).isoformat()
    if reviewer:
        # The supervisor confirms the grade, or raises it with a reason.
        for _s, _p, q in spec.iter_questions():
            if q.tag_value("review") == "grade" and q.type is QuestionType.CHOICE:
                raised = {"standard": "medium", "medium": "high"}.get(grade, grade)
                answers[q.id] = raised if rng.random() < 0.1 else grade
            elif q.has_tag("qa") and q.type is QuestionType.YESNO:
                answers[q.id] = YES if rng.random() < 0.93 else NO
            elif q.tag_value("review") == "rationale":
                answers[q.id] = (
                    "Raised: the history and the victim's fear justify a higher grade than the count."
                )


def _truncate(spec: FormSpec, answers: Mapping[str, Any], completion: float) -> dict[str, Any]:
    """A draft: the answers of the first pages an officer has worked through."""
    pages = [p for p in spec.pages if any(q.id in answers for q in p.questions)]
    keep = max(1, round(len(pages) * completion))
    ids = {q.id for p in pages[:keep] for q in p.questions}
    return {k: v for k, v in answers.items() if k.split("__", 1)[0] in ids}


def _candidates(q: Question, ctx: FillContext, current: Any) -> list[Any]:
    t = q.type
    if t is QuestionType.YESNO:
        return [YES, NO]
    if t is QuestionType.YESNO_DK:
        return [YES, NO, DONT_KNOW]
    if t is QuestionType.CHOICE:
        return [c.value for c in q.choices]
    if t is QuestionType.MULTICHOICE:
        have = list(current) if isinstance(current, list) else []
        out: list[Any] = [
            [c.value for c in q.choices if c.value in {*have, extra.value}]
            for extra in q.choices
            if extra.value not in have
        ]
        out.extend([v for v in have if v != drop] for drop in have)
        return out
    if t is QuestionType.REPEAT:
        items = list(current) if isinstance(current, list) else []
        fresh = [fill_item(q, ctx, None) for _ in items]
        return [[*items, fill_item(q, ctx, None)], fresh]
    if t is QuestionType.LONGTEXT or t is QuestionType.TEXT:
        return [fill_value(q, ctx), _sentences(ctx.rng, 2, 3)]
    return [fill_value(q, ctx), fill_value(q, ctx)]


def _repair(spec: FormSpec, ctx: FillContext, answers: dict[str, Any], *, reviewer: bool) -> None:
    """Change single answers until the completeness engine finds no error, as an officer fixing the
    submission errors would; each change is kept only if it lowers the number of errors."""
    from dsvdesk.engine.completeness import evaluate

    audiences = ("author", "reviewer") if reviewer else ("author",)
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    rules = {r.id: r for r in spec.rules}

    def errors() -> list[Any]:
        return list(evaluate(spec, answers, audiences=audiences).errors)

    found = errors()
    for _round in range(60):
        if not found:
            return
        finding = found[0]
        targets: list[str] = [finding.question_id] if finding.question_id else []
        rule = rules.get(finding.rule_id or "")
        if rule is not None:
            targets.extend(t for t in rule.targets if t not in targets)
        improved = False
        for qid in targets:
            q = by_id.get(qid)
            if q is None or not _answerable(q):
                continue
            options: list[tuple[str, Any]] = []
            if q.comment and rule is not None and rule.each_tag:
                options.append((q.comment_id, ctx.rng.choice(NOT_ASKED_REASONS)))
            options.extend((q.id, value) for value in _candidates(q, ctx, answers.get(q.id)))
            for key, value in options:
                before = answers.get(key, _MISSING)
                answers[key] = value
                attempt = errors()
                if len(attempt) < len(found):
                    found = attempt
                    improved = True
                    break
                if before is _MISSING:
                    answers.pop(key, None)
                else:
                    answers[key] = before
            if improved:
                break
        if not improved:
            break
    if found:
        described = "; ".join(f"{f.question_id}: {f.message}" for f in found[:5])
        raise DemoDataError(f"could not make record {ctx.plan.index} of form {spec.id} complete: {described}")


_MISSING = object()


# ------------------------------------------------------------------------------------- demo station


DEMO_STATION = "Holloway Demo Station"
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", "demo-admin-pass", "admin", "Ruth Adeyemi", ""),
    DemoAccount("pc1234", "demo-officer-1", "officer", "Amira Haddad", "1234NI"),
    DemoAccount("pc5678", "demo-officer-2", "officer", "Tomasz Wiśniewski", "5678NI"),
    DemoAccount("ps4411", "demo-supervisor", "supervisor", "Gareth Llywelyn", "4411NI"),
)


def _rank(account: DemoAccount) -> str:
    return {"officer": "PC", "supervisor": "PS"}.get(account.role, "")


def staff_for(account: DemoAccount, station: str = DEMO_STATION) -> Staff:
    return Staff(
        officer_name=f"{_rank(account)} {account.full_name}".strip(),
        officer_collar=account.collar,
        station=station,
    )


def create_demo_station(
    store: Store, *, station: str = DEMO_STATION, accounts: Sequence[DemoAccount] = DEMO_ACCOUNTS
) -> dict[str, Session]:
    """Set up a fresh database as the demo station: its admin (who creates the station CA), the other
    accounts with their signing certificates, and the ``demo_accounts`` setting. Returns a signed-in
    session per username."""
    admin = next(a for a in accounts if a.role == "admin")
    store.init_station(station, admin.username, admin.full_name, admin.password)
    admin_session = store.login(admin.username, admin.password)
    for account in accounts:
        if account is not admin:
            store.add_user(
                admin_session,
                account.username,
                account.role,
                account.full_name,
                account.collar,
                account.password,
                admin.password,
            )
    store.record_demo_accounts(accounts)
    return {a.username: store.login(a.username, a.password) for a in accounts}


def record_demo_accounts(db_path: Path, accounts: Sequence[DemoAccount]) -> None:
    """Mark the database as a demo database listing ``accounts`` for its login screen in demo mode."""
    from dsvdesk.store import Store

    with Store.open(db_path) as store:
        store.record_demo_accounts(accounts)


class _DemoClock:
    """The store's clock during the demo build: set to each step's moment, so the lists, histories
    and audit log show work spread over past weeks rather than all made in the same minute."""

    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def __call__(self) -> dt.datetime:
        return self.moment


@dataclass(frozen=True, slots=True)
class DemoSummary:
    path: Path
    by_status: Mapping[str, int]
    accounts: tuple[DemoAccount, ...]
    seconds: float


def investigation_forms(forms: Mapping[str, FormSpec]) -> list[FormSpec]:
    """The forms demo records are made of: those that record an incident (they map `incident_date`)."""
    return [spec for _id, spec in sorted(forms.items()) if "incident_date" in spec.columns]


def _review_comments(spec: FormSpec, answers: Mapping[str, Any], rng: random.Random) -> dict[str, str]:
    """One or two comments a supervisor would leave, on questions the officer answered."""
    cols = column_questions(spec)
    comments: dict[str, str] = {}
    grade = cols.get("officer_grade")
    if grade is not None and grade.id in answers and rng.random() < 0.5:
        comments[grade.id] = REVIEW_COMMENTS[2]
    narrative = [
        q.id for _s, _p, q in spec.iter_questions() if q.type is QuestionType.LONGTEXT and q.id in answers
    ]
    if narrative and (not comments or rng.random() < 0.4):
        comments[rng.choice(narrative)] = rng.choice(
            (REVIEW_COMMENTS[1], REVIEW_COMMENTS[3], REVIEW_COMMENTS[4])
        )
    return comments


def build_demo_database(
    path: Path,
    *,
    seed: int = 2026,
    today: dt.date | None = None,
    count: int = 50,
    forms: Mapping[str, FormSpec] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Create the make-run demo at ``path`` (which must not exist yet): the demo station and accounts,
    and ``count`` records taken through the real lifecycle — drafts saved, records submitted with the
    officer's real signature, some returned with comments (a few of those corrected, resubmitted and
    approved), the rest approved and countersigned by the supervisor."""
    import time

    from dsvdesk import workflow
    from dsvdesk.engine.loader import load_forms_dir
    from dsvdesk.store import Store

    started = time.perf_counter()
    today = today or dt.date.today()
    specs = investigation_forms(forms if forms is not None else load_forms_dir(paths.forms_dir()))
    if not specs:
        raise DemoDataError("no form in the forms folder records an incident (maps the incident_date column)")
    plans = plan_records(
        count,
        seed=seed,
        today=today,
        officers=2,
        span_days=300,
        status_mix={"draft": 12, "submitted": 10, "returned": 8, "approved": 20},
    )
    clock = _DemoClock(
        dt.datetime.combine(plans[0].created_at.date() - dt.timedelta(days=7), dt.time(8, 0), tzinfo=dt.UTC)
    )
    officers = [a for a in DEMO_ACCOUNTS if a.role == "officer"]
    supervisor = next(a for a in DEMO_ACCOUNTS if a.role == "supervisor")
    store = Store.open(path, create=True, clock=clock)
    try:
        sessions = create_demo_station(store)
        steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        for plan in plans:
            spec = specs[plan.index % len(specs)]
            officer = officers[plan.owner_index % len(officers)]
            steps.extend(
                _lifecycle_steps(
                    store,
                    spec,
                    plan,
                    officer,
                    supervisor=supervisor,
                    sessions=sessions,
                    today=today,
                    workflow=workflow,
                )
            )
        steps.sort(key=lambda step: (step[0], step[1]))
        for number, (moment, _order, action) in enumerate(steps, start=1):
            clock.moment = moment
            action()
            if progress is not None and number % 20 == 0:
                progress(f"{number} of {len(steps)} steps done")
        reviewer = sessions[supervisor.username]
        by_status = {status: store.count_records(reviewer, status=status) for status in STATUSES}
    finally:
        store.close()
    return DemoSummary(
        path=path, by_status=by_status, accounts=DEMO_ACCOUNTS, seconds=time.perf_counter() - started
    )


def iso(moment: dt.datetime) -> str:
    """A UTC moment as the store writes times (ISO 8601 with microseconds, so text order is time order)."""
    return moment.isoformat(timespec="microseconds")


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _lifecycle_steps(
    store: Store,
    spec: FormSpec,
    plan: RecordPlan,
    officer: DemoAccount,
    *,
    supervisor: DemoAccount,
    sessions: Mapping[str, Session],
    today: dt.date,
    workflow: Any,
) -> list[tuple[dt.datetime, int, Callable[[], None]]]:
    """The dated actions that take one planned record to its planned state through the real store and
    workflow (the same calls the app makes)."""
    rng = random.Random(plan.extra_seed ^ 0x5EED)
    staff = staff_for(officer)
    officer_session = sessions[officer.username]
    reviewer_session = sessions[supervisor.username]
    final_answers = answers_for(spec, plan, today=today, staff=staff, reviewer=plan.status == "approved")
    author_ids = {q.id for s, _p, q in spec.iter_questions() if s.audience.value != "reviewer"}
    author_answers = {k: v for k, v in final_answers.items() if k.split("__", 1)[0] in author_ids}
    reviewer_answers = {k: v for k, v in final_answers.items() if k.split("__", 1)[0] not in author_ids}
    holder: dict[str, str] = {}
    order = plan.index * 10
    latest = last_moment(today).replace(tzinfo=dt.UTC) - dt.timedelta(hours=1)
    created = min(_utc(plan.created_at), latest - dt.timedelta(hours=2))
    steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []

    def version() -> int:
        return store.open_record(officer_session, holder["id"]).version

    if plan.status == "draft":
        first = dict(list(author_answers.items())[: max(1, len(author_answers) // 2)])
        rest = {k: v for k, v in author_answers.items() if k not in first}

        def create_draft() -> None:
            holder["id"] = store.create_record(officer_session, spec, first).id

        def continue_draft() -> None:
            if rest:
                store.save_answers(officer_session, holder["id"], rest, version())

        steps.append((created, order, create_draft))
        steps.append(
            (min(created + dt.timedelta(minutes=rng.randint(5, 50)), latest), order + 1, continue_draft)
        )
        return steps

    submitted_at = min(created + dt.timedelta(minutes=rng.randint(40, 200)), latest)
    reviewed_at = min(submitted_at + dt.timedelta(hours=rng.randint(3, 40)), latest)
    rounds_before_approval = 1 if plan.status == "approved" and rng.random() < 0.3 else 0

    def create() -> None:
        holder["id"] = store.create_record(officer_session, spec, author_answers).id

    def submit() -> None:
        workflow.submit_record(store, officer_session, holder["id"], officer.password)

    def send_back() -> None:
        record = store.open_record(reviewer_session, holder["id"], justification="Supervisor review")
        comments = _review_comments(spec, author_answers, rng)
        store.return_record(reviewer_session, holder["id"], comments, record.version)

    def correct() -> None:
        # The officer answers the comment: a fuller narrative on the commented question.
        record = store.open_record(officer_session, holder["id"])
        for question_id in record.review_comments:
            current = record.answers.get(question_id)
            # Only free text grows a fuller answer; a choice (e.g. the grade) stays as the officer chose it.
            if isinstance(current, str) and spec.question(question_id).type in {
                QuestionType.TEXT,
                QuestionType.LONGTEXT,
            }:
                store.save_answer(
                    officer_session,
                    holder["id"],
                    question_id,
                    current + " " + rng.choice(NARRATIVE),
                    version(),
                )

    def approve() -> None:
        record = store.open_record(reviewer_session, holder["id"], justification="Supervisor review")
        grade_q = workflow.review_question(spec, workflow.REVIEW_GRADE)
        rationale_q = workflow.review_question(spec, workflow.REVIEW_RATIONALE)
        others = {
            k: v
            for k, v in reviewer_answers.items()
            if k not in {getattr(grade_q, "id", None), getattr(rationale_q, "id", None)}
        }
        if others:
            store.save_answers(reviewer_session, holder["id"], others, record.version)
        workflow.approve_record(
            store,
            reviewer_session,
            holder["id"],
            supervisor.password,
            grade=reviewer_answers.get(grade_q.id) if grade_q is not None else None,
            rationale=reviewer_answers.get(rationale_q.id) if rationale_q is not None else None,
        )

    steps.append((created, order, create))
    steps.append((submitted_at, order + 1, submit))
    if plan.status == "submitted":
        return steps
    if plan.status == "returned" or rounds_before_approval:
        steps.append((reviewed_at, order + 2, send_back))
    if plan.status == "returned":
        return steps
    approve_at = reviewed_at
    if rounds_before_approval:
        fixed_at = min(reviewed_at + dt.timedelta(hours=rng.randint(2, 20)), latest)
        steps.append((fixed_at, order + 3, correct))
        steps.append((min(fixed_at + dt.timedelta(minutes=10), latest), order + 4, submit))
        approve_at = min(fixed_at + dt.timedelta(hours=rng.randint(2, 30)), latest)
    steps.append((approve_at, order + 5, approve))
    return steps


# ---------------------------------------------------------------------------------------- bulk data


@dataclass(frozen=True, slots=True)
class BulkSummary:
    records: int
    by_status: Mapping[str, int]
    audit_events: int
    templates: int
    seconds: float


@dataclass(frozen=True, slots=True)
class _Template:
    """A complete (or draft) record made and checked the slow way, re-used with other people and dates."""

    plan: RecordPlan
    shape: Shape

    @property
    def answers(self) -> Mapping[str, Any]:
        return self.shape.answers


class _Personaliser:
    """Moves a template onto another planned record: its people, dates, times and references.

    Which answers carry those is worked out once per form; every other answer is shared as it is."""

    def __init__(self, spec: FormSpec, today: dt.date) -> None:
        self.today = today
        self.latest = last_moment(today)
        roles: dict[str, str] = {}
        for column, role in (("victim_name", "victim"), ("suspect_name", "suspect")):
            for part in _name_parts(spec, column):
                roles[spec.page_of(part.id).id] = role
        children = _repeat_for_column(spec, "children_count")
        searchable = set(spec.columns.values())
        # (answer id, kind, question, role) for the answers that depend on the plan
        self.changes: list[tuple[str, str, Question, str]] = []
        for _s, page, q in spec.iter_questions():
            role = roles.get(page.id, "")
            label = q.label.lower()
            kind = ""
            if q.type is QuestionType.TEXT:
                if "rank" in label and not role:
                    kind = "officer_name"
                elif "station" in label:
                    kind = "station"
                elif role and _text_for_person(q.label, PLACEHOLDER_PERSON) is not None:
                    kind = "person_text"
            elif (
                q.type is QuestionType.CHOICE and role and {c.value for c in q.choices} >= {"female", "male"}
            ):
                kind = "person_sex"
            elif q.type is QuestionType.DATE:
                kind = "person_dob" if role and "birth" in label else "shift_date"
            elif q.type is QuestionType.DATETIME:
                kind = "shift_datetime"
            elif q.type is QuestionType.TIME:
                kind = "time"
            elif q.type is QuestionType.REFERENCE:
                if "warrant" in label or "shoulder" in label or "collar" in label:
                    kind = "collar"
                elif q.id in searchable:  # CAD, CRIS ...: searched for, so unique per record
                    kind = "reference"
            elif q.type is QuestionType.REPEAT and children is not None and q.id == children.id:
                kind = "children"
            elif q.type is QuestionType.REPEAT and "officer" in label:
                kind = "officers"
            if kind:
                self.changes.append((q.id, kind, q, role))
        # Worked out once, not per record: which Person attribute a name question takes, which fields of
        # the children's and officers' items change, and whether a date may not be in the future.
        self.person_attribute = {q.id: _person_attribute(q.label) for _key, _kind, q, _role in self.changes}
        self.child_fields = tuple(
            (f.id, "text", attribute)
            if f.type is QuestionType.TEXT and (attribute := _person_attribute(f.label))
            else (f.id, "dob", "")
            if f.type is QuestionType.DATE and "birth" in f.label.lower()
            else (f.id, "sex", "")
            if f.type is QuestionType.CHOICE
            else (f.id, "", "")
            for f in (children.fields if children is not None else ())
        )
        self.not_future = {
            q.id
            for _key, _kind, q, _role in self.changes
            if any(c.kind == "not_future" for c in q.constraints)
        }
        self.officer_items: dict[
            tuple[str, Staff], dict[str, Any]
        ] = {}  # (question, staff) -> changed fields

    def apply(self, template: _Template, plan: RecordPlan, staff: Staff) -> dict[str, Any]:
        """The personalised values of the template's answers that depend on the plan, by answer id.

        Every other answer is the template's own: the caller reads those from ``template.answers``
        rather than copying ~200 answers per record (at 100,000 records the copies cost seconds)."""
        rng: random.Random | None = None  # made when a reference needs it: seeding costs microseconds
        incident = plan.incident_at
        shift = incident.date() - template.plan.incident_at.date()
        answers = template.answers
        changed: dict[str, Any] = {}
        for key, kind, q, role in self.changes:
            value = answers.get(key)
            if value is None:
                continue
            person = plan.victim if role == "victim" else plan.suspect if role == "suspect" else None
            if kind == "officer_name":
                value = staff.officer_name
            elif kind == "station":
                value = staff.station
            elif kind == "person_text" and person is not None:
                attribute = self.person_attribute[key]
                value = (getattr(person, attribute) if attribute else None) or value
            elif kind == "person_sex" and person is not None and value in ("female", "male"):
                value = person.sex
            elif kind == "person_dob" and person is not None:
                value = person.dob.isoformat()
            elif kind == "shift_date":
                day = dt.date.fromisoformat(value) + shift
                value = (min(day, self.today) if key in self.not_future else day).isoformat()
            elif kind == "shift_datetime":
                # isoformat to the minute is strftime("%Y-%m-%dT%H:%M"), at a fraction of the cost
                value = min(dt.datetime.fromisoformat(value) + shift, self.latest).isoformat(
                    timespec="minutes"
                )
            elif kind == "time":
                value = f"{incident.hour:02d}:{incident.minute:02d}"
            elif kind == "collar":
                value = staff.officer_collar if _matches(q.pattern, staff.officer_collar) else value
            elif kind == "reference":
                if rng is None:
                    rng = random.Random(plan.extra_seed)
                value = reference_like(q, rng, on=incident.date()) or value
            elif kind == "officers" and isinstance(value, list) and value:
                value = [{**value[0], **self._officer_fields(q, staff)}, *value[1:]]
            elif kind == "children" and isinstance(value, list):
                value = [self._child(item, child) for item, child in zip(value, plan.children, strict=False)]
            changed[key] = value
        return changed

    def _officer_fields(self, q: Question, staff: Staff) -> dict[str, Any]:
        """The fields of an attending officer's item that make it the record's own officer."""
        found = self.officer_items.get((q.id, staff))
        if found is None:
            found = {}
            for f in q.fields:
                if f.type is QuestionType.TEXT and "name" in f.label.lower():
                    found[f.id] = staff.officer_name
                elif f.type is QuestionType.REFERENCE and _matches(f.pattern, staff.officer_collar):
                    found[f.id] = staff.officer_collar
            self.officer_items[(q.id, staff)] = found
        return found

    def _child(self, item: Mapping[str, Any], child: Person) -> dict[str, Any]:
        fresh = dict(item)
        for field_id, kind, attribute in self.child_fields:
            if field_id not in fresh:
                continue
            if kind == "text":
                fresh[field_id] = getattr(child, attribute)
            elif kind == "dob":
                fresh[field_id] = child.dob.isoformat()
            elif kind == "sex" and fresh[field_id] in ("female", "male"):
                fresh[field_id] = child.sex
        return fresh


PLACEHOLDER_PERSON = Person(given="-", family="-", community="english", sex="female", dob=dt.date(2000, 1, 1))


def _status_group(plan: RecordPlan) -> tuple[str, int]:
    return plan.status, len(plan.children)


def bulk_insert_records(
    db_path: Path,
    spec: FormSpec,
    *,
    count: int,
    seed: int,
    today: dt.date | None = None,
    templates_per_group: int = 16,
    owners: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> BulkSummary:
    """Add ``count`` realistic records in every state to an initialised database, fast.

    Records are owned by the database's officers (only ``owners``, usernames, if given) and reviewed by
    its supervisors; a few hundred distinct
    record shapes are made and checked with the completeness engine, then re-used with fresh people,
    dates and references. Rows go in with multi-row ``INSERT`` statements inside one transaction, with
    the searchable columns and the full-text index as the store writes them and a collection event
    plus one event per lifecycle step appended to the audit chain (which still verifies). Bulk records
    carry no signed PDFs.
    """
    # Plans, shapes and audit events make millions of small objects that live to the end; the cyclic
    # garbage collector would scan them again and again (about 3 s at 100,000 records) to find no
    # cycles, so it is paused for the run (reference counting still frees everything as usual).
    with _cyclic_gc_paused():
        return _bulk_insert_records(
            db_path,
            spec,
            count=count,
            seed=seed,
            today=today,
            templates_per_group=templates_per_group,
            owners=owners,
            progress=progress,
        )


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    import gc

    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _bulk_insert_records(
    db_path: Path,
    spec: FormSpec,
    *,
    count: int,
    seed: int,
    today: dt.date | None,
    templates_per_group: int,
    owners: Sequence[str],
    progress: Callable[[str], None] | None,
) -> BulkSummary:
    import time

    from dsvdesk.store.bulk import BulkLoad, BulkRecord
    from dsvdesk.store.models import Status

    started = time.perf_counter()
    today = today or dt.date.today()
    personaliser = _Personaliser(spec, today)
    with BulkLoad.open(
        db_path, spec, variable=frozenset(key for key, _k, _q, _r in personaliser.changes)
    ) as load:
        officers = list(load.officers)
        if owners:
            unknown = sorted(set(owners) - {o.username for o in officers})
            if unknown:
                raise DemoSetupError(
                    f"{', '.join(unknown)}: no such officer in {db_path}; records can only be "
                    "given to officer accounts."
                )
            officers = [o for o in officers if o.username in owners]
        supervisors = load.supervisors
        if not officers or not supervisors:
            raise DemoSetupError(
                f"The database {db_path} needs at least one officer and one supervisor account before bulk "
                "records can be added (run `dsvdesk demo --fresh` or add the accounts)."
            )
        station = load.settings.station_name
        plans = plan_records(count, seed=seed, today=today, officers=len(officers))
        templates: dict[tuple[str, int], list[_Template]] = {}
        for plan in plans:
            pool = templates.setdefault(_status_group(plan), [])
            if len(pool) < templates_per_group:
                pool.append(_make_template(load, spec, plan, today))
        if progress is not None:
            progress(f"{sum(len(p) for p in templates.values())} record shapes checked")
        # Each record's template, owner, reviewer and times — every draw from `rng`, in the same order as
        # always, so a seed gives the same data.
        rng = random.Random(seed ^ 0xB01C)
        latest = last_moment(today).replace(tzinfo=dt.UTC) - dt.timedelta(hours=1)
        latest_created = latest - dt.timedelta(hours=2)
        bulk: list[BulkRecord] = []
        for number, plan in enumerate(plans):
            status = Status(plan.status)
            template = rng.choice(templates[_status_group(plan)])
            owner = officers[plan.owner_index % len(officers)]
            created = min(_utc(plan.created_at), latest_created)
            submitted = (
                min(created + dt.timedelta(minutes=rng.randint(40, 200)), latest)
                if status is not Status.DRAFT
                else None
            )
            reviewed = (
                min(submitted + dt.timedelta(hours=rng.randint(3, 40)), latest)
                if submitted is not None and status in (Status.RETURNED, Status.APPROVED)
                else None
            )
            updated = reviewed or submitted or min(created + dt.timedelta(minutes=rng.randint(2, 90)), latest)
            bulk.append(
                BulkRecord(
                    record_id=plan.record_id,
                    shape=template.shape,
                    status=status,
                    owner=owner,
                    reviewer=supervisors[number % len(supervisors)],
                    created_at=created,
                    updated_at=updated,
                    submitted_at=submitted,
                    reviewed_at=reviewed,
                    source=(plan, template),
                )
            )
        staff_by_owner: dict[int, Staff] = {}

        def changes(record: BulkRecord) -> Mapping[str, Any]:
            """The record's people, dates, times and references on its template's answers."""
            plan, template = record.source
            staff = staff_by_owner.get(record.owner.id)
            if staff is None:
                staff = staff_by_owner[record.owner.id] = Staff(
                    officer_name=f"PC {record.owner.full_name}",
                    officer_collar=record.owner.collar,
                    station=station,
                )
            return personaliser.apply(template, plan, staff)

        result = load.write(bulk, changes, progress=progress)
    by_status: dict[str, int] = {}
    for plan in plans:
        by_status[plan.status] = by_status.get(plan.status, 0) + 1
    return BulkSummary(
        records=result.records,
        by_status=by_status,
        audit_events=result.audit_events,
        templates=sum(len(p) for p in templates.values()),
        seconds=time.perf_counter() - started,
    )


def _make_template(load: BulkLoad, spec: FormSpec, plan: RecordPlan, today: dt.date) -> _Template:
    answers = answers_for(spec, plan, today=today, reviewer=plan.status == "approved")
    comments = (
        _review_comments(spec, answers, random.Random(plan.extra_seed)) if plan.status == "returned" else {}
    )
    return _Template(plan=plan, shape=load.shape(answers, comments))
