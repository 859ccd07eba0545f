"""Checking one answer against its question: type, shape and constraints. Total functions: whatever an
officer typed (or a damaged file holds), the result is a message or None, never an exception.

Answer shapes (JSON): text types -> str; integer -> int; decimal -> int | float; date 'YYYY-MM-DD';
time 'HH:MM'; datetime 'YYYY-MM-DDTHH:MM'; yesno / yesno_dk / choice -> the choice value (str);
multichoice -> list of values; repeat -> list of {field id: answer}; grid -> {row value: [column values]}.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from dsvdesk.engine.expressions import (
    Environment,
    MappingEnvironment,
    ScopedEnvironment,
    answered,
    is_number,
    to_temporal,
)
from dsvdesk.engine.spec import YESNO_DK_VALUES, YESNO_VALUES, Constraint, Question, QuestionType

_log = logging.getLogger("dsvdesk.forms")

MAX_TEXT_LENGTH = 10_000  # a one-line answer (names, references)
MAX_LONGTEXT_LENGTH = 200_000  # a narrative: about 60 pages of typing
MAX_INTEGER = 10**15  # beyond this a number is a typing accident (and loses precision in JSON tools)
DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME_RE = re.compile(r"\d{2}:\d{2}")
DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")

__all__ = ["answered", "check_constraint", "constraint_failure", "validate_value"]

_T = QuestionType


def _storable(text: str) -> bool:
    """False for lone surrogates (from broken JSON), which SQLite and the PDF cannot encode."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_text(question: Question, value: Any) -> str | None:
    if not isinstance(value, str):
        return "Enter text."
    limit = MAX_LONGTEXT_LENGTH if question.type is _T.LONGTEXT else MAX_TEXT_LENGTH
    if len(value) > limit:
        return f"This is too long ({len(value):,} characters; at most {limit:,})."
    if not _storable(value):
        return "This text contains characters that cannot be stored; retype it."
    if (
        question.type is _T.REFERENCE
        and question.pattern
        and re.fullmatch(question.pattern, value.strip()) is None
    ):
        example = f" (for example {question.example})" if question.example else ""
        return f"This does not look like a valid reference{example}."
    return None


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _parse_time(value: Any) -> time | None:
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def _parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not DATETIME_RE.fullmatch(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _check_repeat(question: Question, value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        return "This list cannot be read."
    noun = (question.item_label or "item").lower()
    if question.max_items is not None and len(value) > question.max_items:
        return f"At most {question.max_items} {noun}{'s' if question.max_items != 1 else ''} can be recorded."
    if len(value) < question.min_items:
        return (
            f"At least {question.min_items} {noun}{'s' if question.min_items != 1 else ''} must be recorded."
        )
    for number, item in enumerate(value, start=1):
        for field in question.fields:
            field_value = item.get(field.id)
            if not answered(field_value):
                continue
            problem = validate_value(field, field_value)
            if problem:
                return say(f"{question.item_label or 'Item'} {number}, {field.label}", problem)
    return None


def _check_grid(question: Question, value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return "These ticks cannot be read."
    rows = {c.value for c in question.rows}
    columns = {c.value for c in question.columns}
    for row, ticked in value.items():
        if row not in rows:
            return "Tick only the boxes shown."
        if not isinstance(ticked, list) or any(not isinstance(c, str) or c not in columns for c in ticked):
            return "Tick only the boxes shown."
    return None


def _check_nothing(_question: Question, _value: Any) -> str | None:
    return None


def _check_integer(_question: Question, value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        return "Enter a whole number."
    return "This number is too large." if abs(value) > MAX_INTEGER else None


def _check_decimal(_question: Question, value: Any) -> str | None:
    if not is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
        return "Enter a number."
    return "This number is too large." if abs(value) > MAX_INTEGER else None


def _check_date(_question: Question, value: Any) -> str | None:
    return None if _parse_date(value) else "Enter a real date as YYYY-MM-DD."


def _check_time(_question: Question, value: Any) -> str | None:
    return None if _parse_time(value) else "Enter a time as HH:MM (24-hour clock)."


def _check_datetime(_question: Question, value: Any) -> str | None:
    return None if _parse_datetime(value) else "Enter a date and time as YYYY-MM-DDTHH:MM."


def _check_yesno(_question: Question, value: Any) -> str | None:
    return None if isinstance(value, str) and value in YESNO_VALUES else "Choose yes or no."


def _check_yesno_dk(_question: Question, value: Any) -> str | None:
    if isinstance(value, str) and value in YESNO_DK_VALUES:
        return None
    return "Choose yes, no, don't know or not asked."


def _check_choice(question: Question, value: Any) -> str | None:
    allowed = {c.value for c in question.choices}
    return None if isinstance(value, str) and value in allowed else "Choose one of the options shown."


def _check_multichoice(question: Question, value: Any) -> str | None:
    allowed = {c.value for c in question.choices}
    if not isinstance(value, list) or any(not isinstance(v, str) or v not in allowed for v in value):
        return "Choose only from the options shown."
    return "An option is ticked twice." if len(set(value)) != len(value) else None


# One checker per question type (a type missing here is checked as a grid, as before the table).
_CHECKS: dict[_T, Callable[[Question, Any], str | None]] = {
    _T.COMPUTED: _check_nothing,
    _T.NOTE: _check_nothing,
    _T.TEXT: _check_text,
    _T.LONGTEXT: _check_text,
    _T.REFERENCE: _check_text,
    _T.INTEGER: _check_integer,
    _T.DECIMAL: _check_decimal,
    _T.DATE: _check_date,
    _T.TIME: _check_time,
    _T.DATETIME: _check_datetime,
    _T.YESNO: _check_yesno,
    _T.YESNO_DK: _check_yesno_dk,
    _T.CHOICE: _check_choice,
    _T.MULTICHOICE: _check_multichoice,
    _T.REPEAT: _check_repeat,
    _T.GRID: _check_grid,
}


def _validate(question: Question, value: Any) -> str | None:
    return _CHECKS.get(question.type, _check_grid)(question, value)


def say(subject: str, message: str) -> str:
    """A finding as a sentence about its question: "Has a referral been made? An answer is needed." for a
    label that is itself a sentence or question, "Victim's surname: an answer is needed." otherwise."""
    subject = subject.strip().rstrip(":").rstrip()
    message = message.strip()
    if not message:
        return subject
    if subject.endswith(("?", ".", "!")):
        return f"{subject} {message[:1].upper()}{message[1:]}"
    return (
        f"{subject}: {message[:1].lower()}{message[1:]}" if _plain_start(message) else f"{subject}: {message}"
    )


def _plain_start(message: str) -> bool:
    """A message starting with an ordinary capitalised word ("Enter a number.") continues the sentence in
    lower case after a colon; names, abbreviations and numbers keep their case."""
    first = message.split(" ", 1)[0]
    return len(first) > 1 and first[0].isupper() and first[1:].islower() and first.isalpha()


def validate_value(question: Question, value: Any) -> str | None:
    """Why `value` is not a valid answer to `question` (a message for the officer), or None.

    An empty answer (None, blank text, empty list) is valid here: being required is a separate finding.
    Constraints are not checked here (they may need other answers): see `constraint_failure`.
    """
    if not answered(value):
        return None
    try:
        return _validate(question, value)
    except (TypeError, ValueError, OverflowError, RecursionError, re.error):
        _log.warning(
            "answer to %s could not be checked", question.id, exc_info=True
        )  # id only: no personal data
        return "This answer cannot be read; please re-enter it."


def _bound(bound: float | str | None, now: datetime) -> Any:
    if bound == "today":
        return now.date()
    if bound == "now":
        return now.replace(second=0, microsecond=0)
    return bound


def _within(value: Any, low: Any, high: Any) -> bool:
    if isinstance(value, date) or isinstance(low, date) or isinstance(high, date):
        subject = to_temporal(value)
        if subject is None:
            return True  # the type check already reports an unreadable date
        for limit, is_low in ((low, True), (high, False)):
            if limit is None:
                continue
            bound = to_temporal(limit)
            if bound is None:
                continue
            if isinstance(bound, datetime) != isinstance(subject, datetime):
                a = subject.date() if isinstance(subject, datetime) else subject
                b = bound.date() if isinstance(bound, datetime) else bound
            else:
                a, b = subject, bound
            if (is_low and a < b) or (not is_low and a > b):
                return False
        return True
    if isinstance(value, str):  # times 'HH:MM' compare as text
        return (low is None or value >= str(low)) and (high is None or value <= str(high))
    if not is_number(value):
        return True
    return (low is None or value >= low) and (high is None or value <= high)


def check_constraint(constraint: Constraint, value: Any, env: Environment, now: datetime) -> bool:
    """True when the (non-empty) answer passes the constraint."""
    kind = constraint.kind
    if kind == "pattern":
        return (
            not isinstance(value, str)
            or constraint.pattern is None
            or re.search(constraint.pattern, value) is not None
        )
    if kind == "length":
        size = len(value) if isinstance(value, str | list | dict) else 0
        shortest, longest = constraint.minimum, constraint.maximum
        return (shortest is None or size >= float(shortest)) and (longest is None or size <= float(longest))
    if kind == "range":
        low: Any = _bound(constraint.minimum, now)
        high: Any = _bound(constraint.maximum, now)
        if isinstance(value, str) and (
            DATE_RE.match(value) or isinstance(low, date) or isinstance(high, date)
        ):
            low = to_temporal(low) if isinstance(low, str) else low
            high = to_temporal(high) if isinstance(high, str) else high
        return _within(value, low, high)
    if kind == "not_future":
        moment = to_temporal(value)
        if moment is None:
            return True
        if isinstance(moment, datetime):
            return moment <= now
        return moment <= now.date()
    if kind == "expression" and constraint.expression is not None:
        scope = ScopedEnvironment({"value": value}, ("value",), env)
        return constraint.expression.is_true(scope)
    return True


def constraint_failure(
    question: Question, value: Any, env: Environment | None = None, now: datetime | None = None
) -> str | None:
    """The message of the first constraint the answer breaks, or None (empty answers pass)."""
    if not answered(value) or not question.constraints:
        return None
    moment = now or datetime.now()
    environment = env or MappingEnvironment({}, moment)
    for constraint in question.constraints:
        try:
            ok = check_constraint(constraint, value, environment, moment)
        except (TypeError, ValueError, OverflowError, RecursionError, re.error):
            _log.warning("constraint on %s could not be checked", question.id, exc_info=True)
            ok = True
        if not ok:
            return constraint.message
    return None
