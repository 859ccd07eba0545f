"""Answers a new record starts with, named by the form (``prefill:`` tags), from what the app already
knows: the signed-in officer, the station and the clock. Nothing here knows which questions a form has;
the form says which question takes which known value, and the officer can change any of them.

Tag values (docs/forms.md): ``user.name`` (the officer's full name), ``user.collar`` (their collar /
warrant number), ``station`` (the station's name), ``now`` (the date, time or date and time of creation,
as the question's type stores it). A repeat tagged ``prefill: first_item`` starts with one item whose
fields are filled from their own ``prefill:`` tags (e.g. the attending officer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dsvdesk.engine.spec import FormSpec, Question, QuestionType

PREFILL_TAG = "prefill"
FIRST_ITEM = "first_item"
SOURCES = ("user.name", "user.collar", "station", "now")


def known_values(*, full_name: str, collar: str, station: str, now: dt.datetime) -> dict[str, Any]:
    """The values a ``prefill:`` tag can name."""
    return {"user.name": full_name, "user.collar": collar, "station": station, "now": now}


def _value(question: Question, source: str, known: Mapping[str, Any]) -> Any:
    value = known.get(source)
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        if question.type is QuestionType.DATE:
            return value.date().isoformat()
        if question.type is QuestionType.TIME:
            return value.strftime("%H:%M")
        if question.type is QuestionType.DATETIME:
            return value.strftime("%Y-%m-%dT%H:%M")
        return None
    return str(value)


def prefill_answers(spec: FormSpec, known: Mapping[str, Any]) -> dict[str, Any]:
    """The starting answers of a new record of ``spec``: one per question tagged ``prefill:``."""
    answers: dict[str, Any] = {}
    for _section, _page, question in spec.iter_questions():
        source = question.tag_value(PREFILL_TAG)
        if not source:
            continue
        if question.type is QuestionType.REPEAT:
            if source != FIRST_ITEM:
                continue
            item = {}
            for field in question.fields:
                field_source = field.tag_value(PREFILL_TAG)
                value = _value(field, field_source, known) if field_source else None
                if value is not None:
                    item[field.id] = value
            if item:
                answers[question.id] = [item]
            continue
        value = _value(question, source, known)
        if value is not None:
            answers[question.id] = value
    return answers
