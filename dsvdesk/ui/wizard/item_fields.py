"""Which fields of each repeat item are visible, as the engine decides it.

The engine has no per-item visibility in its ``Evaluation``; its single statement of the rule is
``completeness.visible_answers`` (the answers that count: hidden repeat fields dropped from each item).
That function keeps a field only when the item *has a key* for it, so we ask it about a copy of the
answers in which every missing field of every item is present as ``None``. Inside an item an absent
field and a ``None`` field read the same to every expression (``ScopedEnvironment.lookup`` returns
``local.get(name)`` for the repeat's field names), so the padding changes no condition: what comes back
is exactly the set of fields the engine treats as visible, including empty ones. No rule is repeated here.

Qt-free, so it is tested without widgets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dsvdesk.engine.completeness import visible_answers
from dsvdesk.engine.spec import FormSpec, Question, QuestionType

# One entry per item of a repeat: the ids of its visible fields, or None for an item the engine cannot
# read (not a mapping) — the wizard then leaves that item's fields as they are.
ItemFields = tuple[frozenset[str] | None, ...]


def conditional_repeats(spec: FormSpec) -> tuple[Question, ...]:
    """Repeat questions with at least one field that has its own ``show_when``: the only ones whose
    items can change shape as the officer types."""
    return tuple(
        question
        for section in spec.sections
        for page in section.pages
        for question in page.questions
        if question.type is QuestionType.REPEAT and any(f.show_when is not None for f in question.fields)
    )


def visible_item_fields(
    spec: FormSpec,
    answers: Mapping[str, Any],
    repeats: Sequence[Question],
    *,
    now: datetime | None = None,
) -> dict[str, ItemFields]:
    """For each repeat in ``repeats`` that the engine shows and that has items: the visible field ids of
    each item, in item order. A hidden repeat (or one with no items) is left out."""
    if not repeats:
        return {}
    padded = dict(answers)
    wanted: dict[str, list[Any]] = {}
    for question in repeats:
        items = answers.get(question.id)
        if not isinstance(items, list) or not items:
            continue
        field_ids = [f.id for f in question.fields]
        padded[question.id] = [
            {fid: item.get(fid) for fid in field_ids} | dict(item) if isinstance(item, Mapping) else item
            for item in items
        ]
        wanted[question.id] = items
    if not wanted:
        return {}
    kept = visible_answers(spec, padded, now=now)
    result: dict[str, ItemFields] = {}
    for question_id, items in wanted.items():
        shown = kept.get(question_id)
        if not isinstance(shown, list) or len(shown) != len(items):
            continue  # the repeat itself is hidden: its block is hidden, its items do not matter
        result[question_id] = tuple(
            frozenset(item_shown) if isinstance(item, Mapping) and isinstance(item_shown, Mapping) else None
            for item, item_shown in zip(items, shown, strict=True)
        )
    return result
