"""The people a London station meets, with their names in the scripts they write them in, and where
they live and work: made up at random, deterministic for a seed."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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


class Weighted:
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


_COMMUNITY = Weighted(list(COMMUNITY_WEIGHTS), list(COMMUNITY_WEIGHTS.values()))
