"""Issue 20, item 7: a new record starts with what the app knows (officer, collar, station, the time),
named by the form's ``prefill:`` tags; every prefill tag in forms/ names a known value."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dsvdesk.engine.loader import load_form, load_form_text
from dsvdesk.engine.prefill import FIRST_ITEM, PREFILL_TAG, SOURCES, known_values, prefill_answers

ROOT = Path(__file__).resolve().parents[3]
NOW = dt.datetime(2026, 3, 4, 2, 57)
KNOWN = known_values(full_name="PC Olga Officer", collar="PC101", station="Holloway", now=NOW)

FORM = """
id: t
version: "1"
title: T
sections:
  - id: s
    title: S
    pages:
      - id: p
        title: P
        questions:
          - {id: name, type: text, label: Name, tags: [{prefill: user.name}]}
          - {id: day, type: date, label: Day, tags: [{prefill: now}]}
          - {id: at, type: time, label: At, tags: [{prefill: now}]}
          - {id: when, type: datetime, label: When, tags: [{prefill: now}]}
          - {id: free, type: text, label: Free}
          - id: team
            type: repeat
            label: Team
            tags: [{prefill: first_item}]
            fields:
              - {id: who, type: text, label: Who, tags: [{prefill: user.name}]}
              - {id: number, type: text, label: Number, tags: [{prefill: user.collar}]}
              - {id: role, type: text, label: Role}
"""


def test_each_question_takes_the_value_its_tag_names_in_its_own_format() -> None:
    answers = prefill_answers(load_form_text(FORM, "t.yaml"), KNOWN)
    assert answers == {
        "name": "PC Olga Officer",
        "day": "2026-03-04",
        "at": "02:57",
        "when": "2026-03-04T02:57",
        "team": [{"who": "PC Olga Officer", "number": "PC101"}],
    }


def test_an_unknown_value_is_left_empty() -> None:
    known = known_values(full_name="", collar="", station="", now=NOW)
    answers = prefill_answers(load_form_text(FORM, "t.yaml"), known)
    assert "name" not in answers and "team" not in answers and answers["day"] == "2026-03-04"


def test_the_124d_prefills_the_attending_officer_and_the_declaration() -> None:
    spec = load_form(ROOT / "forms" / "124d.yaml")
    answers = prefill_answers(spec, KNOWN)
    assert answers["officers_attending"] == [{"name": "PC Olga Officer", "collar_number": "PC101"}]
    assert answers["officer_name"] == "PC Olga Officer" and answers["officer_collar"] == "PC101"
    assert answers["officer_station"] == "Holloway"
    assert answers["declaration_datetime"] == "2026-03-04T02:57"


def test_every_prefill_tag_in_the_shipped_forms_names_a_known_value() -> None:
    for path in sorted((ROOT / "forms").glob("*.yaml")):
        spec = load_form(path)
        for _section, _page, question in spec.iter_questions():
            for item in (question, *question.fields):
                source = item.tag_value(PREFILL_TAG)
                if source:
                    assert source in (*SOURCES, FIRST_ITEM), f"{path.name}: {item.id} prefill {source!r}"
