"""A deterministic fixture of 200 investigation-form records for Part A tests (no randomness, no store).

Each record knows the *person* it is about (`person`), so tests can count repeat victims independently of
the name normalisation the code under test uses: the same person is written in different ways (case,
accents, "SURNAME, First"), and two different people share a name but not a date of birth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.vocabulary import vocabulary_of
from dsvdesk.reporting.parta import Period

PERIOD = Period(date(2010, 4, 1), date(2010, 9, 30))
# Part A counts with the shipped 124D's grades, bands, criteria and age bands.
FORM_124D = load_form(Path(__file__).resolve().parents[3] / "forms" / "124d.yaml")
VOCABULARY = vocabulary_of(FORM_124D)

FIRST = ["Zoë", "Łucja", "José", "Mary", "Aisha", "Olga", "Priya", "Sam", "Ann", "Jo"]
LAST = [
    "Ångström",
    "Smith",
    "O'Neill",
    "Kowalski",
    "Khan",
    "Ivanova",
    "Patel",
    "Jones",
    "Lee",
    "Brown",
    "王",
    "Müller",
]
PEOPLE = 120


@dataclass(frozen=True)
class Row:
    record_id: str
    status: str
    values: Mapping[str, Any]
    person: int = field(default=-1, compare=False)


def person_name(p: int) -> tuple[str, str]:
    # people p and p + 60 share a name (different dates of birth: different victims)
    q = p % 60
    return FIRST[q % len(FIRST)], LAST[q % len(LAST)]


def person_dob(p: int) -> date:
    return date(1938, 1, 1) + timedelta(days=(p * 211) % (64 * 365))


def written_name(p: int, i: int) -> str:
    first, last = person_name(p)
    style = i % 3
    if style == 0:
        return f"{first} {last}"
    if style == 1:
        return f"{last.upper()}, {first}"
    plain = first.replace("ë", "e").replace("Ł", "L").replace("é", "e")
    return f"  {plain.lower()}   {last.replace('Å', 'A').replace('ü', 'u')} "


def status_of(i: int) -> str:
    if i % 7 == 3:
        return "submitted"
    if i % 11 == 5:
        return "draft"
    if i % 23 == 7:
        return "returned"
    return "approved"


def build_rows() -> list[Row]:
    rows = []
    for i in range(200):
        p = (i * 37) % PEOPLE
        incident = date(2009, 10, 1) + timedelta(days=(i * 53) % 420)
        yes = None if i % 19 == 0 else (i * 7) % 28
        criteria: list[str] = []
        if yes is not None and yes >= 14:
            criteria.append("visible_high_risk")
        if i % 13 == 0:
            criteria.append("professional_judgement")
        if i % 26 == 0:
            criteria.append("repeat")
        values: dict[str, Any] = {
            "victim_name": written_name(p, i),
            "victim_dob": person_dob(p).isoformat(),
            "suspect_name": f"Suspect {i}",
            "incident_date": incident.isoformat(),
            "cad_ref": f"CAD{i:04d}/01JAN10",
            "grade": ["standard", "medium", "high", None][i % 4],
            "officer_grade": "medium" if i % 8 == 3 else None,
            "yes_count": yes,
            "children_count": i % 4,
            "merlin_missing": 1 if i % 6 == 1 else 0,
            "marac_referral_date": incident.isoformat() if criteria else None,
            # criteria met but no referral made: not counted as a referral
            "marac_criteria": criteria or (["potential_escalation"] if i % 29 == 0 else []),
            "hbv_flag": "yes" if i % 17 == 0 else "no",
            "arrested": ["yes", "no", None][i % 3],
            "victim_sex": "F" if p % 5 else "M",
            "victim_ethnic_group": "white" if p % 3 else "bme",
            "victim_disability": "yes" if p % 9 == 0 else "no",
            "previous_incidents_12m": i % 5 if i % 2 else 0,
        }
        rows.append(Row(f"rec-{i:03d}", status_of(i), values, person=p))
    return rows
