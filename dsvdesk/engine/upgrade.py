"""Moving answers from one version of a form to another (issue 18).

A record is pinned to the definition it was started with (its content hash). When a newer version of the
form is installed, a draft can be moved to it explicitly: answers are mapped by question id, and before
anything is saved the officer is told exactly which answers are kept, which are dropped and why (the
question was removed, the chosen value is no longer offered, or the question's type changed) and which
new questions need an answer. The same comparison of two whole definitions is `dsvdesk forms diff`.

Pure: no Qt, no SQL. The store saves the result (`Store.upgrade_record`), as one audited change.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dsvdesk.engine.completeness import FindingCode, evaluate
from dsvdesk.engine.expressions import answered
from dsvdesk.engine.index import index_of
from dsvdesk.engine.spec import Audience, FormSpec, Question, QuestionType

_UNANSWERED = frozenset({QuestionType.COMPUTED, QuestionType.NOTE})
_CHOICE_TYPES = frozenset({QuestionType.CHOICE, QuestionType.MULTICHOICE})


class DropReason(StrEnum):
    QUESTION_REMOVED = "question_removed"
    CHOICE_REMOVED = "choice_removed"
    TYPE_CHANGED = "type_changed"


REASON_WORDS: Mapping[DropReason, str] = {
    DropReason.QUESTION_REMOVED: "question removed",
    DropReason.CHOICE_REMOVED: "choice removed",
    DropReason.TYPE_CHANGED: "type changed",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One question (or repeat field, `repeat.field`) that differs between two versions."""

    question_id: str
    reason: DropReason
    detail: str  # plain words: "choice 'x' removed", "text -> integer"

    def describe(self) -> str:
        return f"{self.question_id}: {REASON_WORDS[self.reason]} ({self.detail})"


@dataclass(frozen=True, slots=True)
class FormDiff:
    """What moving from `old` to `new` does to answers, question by question (no answers needed)."""

    form_id: str
    old_version: str
    new_version: str
    old_hash: str
    new_hash: str
    unchanged: tuple[str, ...]  # answerable ids in both, same type, no choice removed
    changes: tuple[Change, ...]  # removed questions, removed choices, changed types
    added: tuple[str, ...]  # answerable ids only in the new version
    added_required: tuple[str, ...]  # of those, the ones marked required (always or sometimes)
    moved: tuple[tuple[str, str], ...] = ()  # (old id, new id): a removed question merged into another

    @property
    def is_empty(self) -> bool:
        return not self.changes and not self.added and not self.moved


@dataclass(frozen=True, slots=True)
class Dropped:
    """An answer that cannot move: the answer id, why, and in words what was lost."""

    answer_id: str
    reason: DropReason
    detail: str

    def describe(self) -> str:
        return f"{self.answer_id}: {REASON_WORDS[self.reason]} ({self.detail})"


@dataclass(frozen=True, slots=True)
class UpgradeReport:
    """What upgrading one record's answers does, worked out before anything is saved."""

    form_id: str
    old_version: str
    new_version: str
    old_hash: str
    new_hash: str
    kept: tuple[str, ...]  # answer ids carried over unchanged (comments included)
    dropped: tuple[Dropped, ...]
    needs_answer: tuple[str, ...]  # new questions that are required now and have no answer
    answers: Mapping[str, Any] = field(repr=False, default_factory=dict)  # the answers after the move
    moved: tuple[tuple[str, str], ...] = ()  # (old id, new id): answers moved to the question merging it

    def summary(self) -> dict[str, Any]:
        """Counts and ids only (no answer values): what the audit log keeps of an upgrade."""
        return {
            "from_version": self.old_version,
            "to_version": self.new_version,
            "from_hash": self.old_hash,
            "to_hash": self.new_hash,
            "kept": len(self.kept),
            "moved": [{"from": old, "to": new} for old, new in self.moved],
            "dropped": [{"id": d.answer_id, "reason": d.reason.value} for d in self.dropped],
            "needs_answer": list(self.needs_answer),
        }


class UpgradeNotPossible(ValueError):
    """The two definitions are not versions of the same form, or are the same version."""


def _answerable(spec: FormSpec) -> dict[str, Question]:
    return {qid: q for qid, q in index_of(spec).questions.items() if q.type not in _UNANSWERED}


def _merged_into(old: FormSpec, new: FormSpec) -> dict[str, Question]:
    """Old answerable id -> the new question whose `formerly:` names it (the old id being gone)."""
    before, after = _answerable(old), _answerable(new)
    return {
        former: question
        for question in after.values()
        for former in question.formerly
        if former in before and former not in after
    }


def _values(choices: Iterable[Any]) -> list[str]:
    return [c.value for c in choices]


def _question_changes(qid: str, old: Question, new: Question) -> list[Change]:
    """How one question (or repeat field) changed in a way that can lose answers."""
    if old.type is not new.type:
        return [Change(qid, DropReason.TYPE_CHANGED, f"{old.type.value} -> {new.type.value}")]
    changes: list[Change] = []
    if old.type in _CHOICE_TYPES:
        gone = [v for v in _values(old.choices) if v not in set(_values(new.choices))]
        changes += [Change(qid, DropReason.CHOICE_REMOVED, f"choice '{v}' removed") for v in gone]
    if old.type is QuestionType.GRID:
        for kind, before, after in (("row", old.rows, new.rows), ("column", old.columns, new.columns)):
            gone = [v for v in _values(before) if v not in set(_values(after))]
            changes += [Change(qid, DropReason.CHOICE_REMOVED, f"{kind} '{v}' removed") for v in gone]
    if old.type is QuestionType.REPEAT:
        new_fields = {f.id: f for f in new.fields}
        for field_question in old.fields:
            if field_question.type in _UNANSWERED:
                continue
            path = f"{qid}.{field_question.id}"
            counterpart = new_fields.get(field_question.id)
            if counterpart is None:
                changes.append(Change(path, DropReason.QUESTION_REMOVED, "field removed"))
            else:
                changes += _question_changes(path, field_question, counterpart)
    if old.comment and not new.comment:
        changes.append(Change(old.comment_id, DropReason.QUESTION_REMOVED, "comment box removed"))
    return changes


def _check_pair(old: FormSpec, new: FormSpec) -> None:
    if old.id != new.id:
        raise UpgradeNotPossible(
            f"Form {old.id!r} cannot be moved to form {new.id!r}: a record moves only to a version of its own form."
        )


def diff_forms(old: FormSpec, new: FormSpec) -> FormDiff:
    """Compare two versions of one form: which answerable questions are removed, lose choices, change type,
    or are new (and required)."""
    _check_pair(old, new)
    before, after = _answerable(old), _answerable(new)
    merged = _merged_into(old, new)
    unchanged: list[str] = []
    changes: list[Change] = []
    moved: list[tuple[str, str]] = []
    for qid, question in before.items():
        counterpart = after.get(qid)
        if counterpart is None and qid in merged:
            found = _question_changes(qid, question, merged[qid])
            changes += [c for c in found if c.question_id == qid]
            if not found:
                moved.append((qid, merged[qid].id))
            continue
        if counterpart is None:
            changes.append(Change(qid, DropReason.QUESTION_REMOVED, question.label.strip()[:80]))
            continue
        found = _question_changes(qid, question, counterpart)
        changes += found
        if not found:
            unchanged.append(qid)
    added = [qid for qid in after if qid not in before]
    added_required = [qid for qid in added if after[qid].required or after[qid].required_when is not None]
    return FormDiff(
        form_id=new.id,
        old_version=old.version,
        new_version=new.version,
        old_hash=old.content_hash,
        new_hash=new.content_hash,
        unchanged=tuple(unchanged),
        changes=tuple(changes),
        added=tuple(added),
        added_required=tuple(added_required),
        moved=tuple(moved),
    )


def _merge_answer(target: Question, current: Any, incoming: Any) -> Any:
    """The answer of a merged question after an old question's answer joins it: an empty one takes the
    old answer; a different text keeps both (the old one after a blank line); otherwise it stays."""
    if not answered(current):
        return incoming
    texts = (QuestionType.TEXT, QuestionType.LONGTEXT)
    if target.type in texts and isinstance(current, str) and isinstance(incoming, str):
        if incoming.strip() and incoming.strip() not in current:
            return f"{current.rstrip()}\n\n{incoming.strip()}"
    return current


def _move_value(qid: str, old: Question, new: Question, value: Any) -> tuple[Any, list[Dropped]]:
    """The value as the new question can hold it (None: nothing left), and what was dropped of it."""
    if old.type is not new.type:
        return None, [Dropped(qid, DropReason.TYPE_CHANGED, f"{old.type.value} -> {new.type.value}")]
    offered = set(_values(new.choices))
    if new.type is QuestionType.CHOICE and isinstance(value, str) and value not in offered:
        return None, [Dropped(qid, DropReason.CHOICE_REMOVED, f"'{value}' is no longer a choice")]
    if new.type is QuestionType.MULTICHOICE and isinstance(value, list):
        gone = [v for v in value if isinstance(v, str) and v not in offered]
        if gone:
            left = [v for v in value if v not in gone]
            dropped = [Dropped(qid, DropReason.CHOICE_REMOVED, f"'{v}' is no longer a choice") for v in gone]
            return (left or None), dropped
    if new.type is QuestionType.GRID and isinstance(value, Mapping):
        return _move_grid(qid, new, value)
    if new.type is QuestionType.REPEAT and isinstance(value, list):
        return _move_items(qid, old, new, value)
    return value, []


def _move_grid(qid: str, new: Question, value: Mapping[str, Any]) -> tuple[Any, list[Dropped]]:
    rows, columns = set(_values(new.rows)), set(_values(new.columns))
    moved: dict[str, Any] = {}
    dropped: list[Dropped] = []
    for row, ticked in value.items():
        if row not in rows:
            dropped.append(Dropped(qid, DropReason.CHOICE_REMOVED, f"row '{row}' is no longer offered"))
            continue
        if isinstance(ticked, list):
            gone = [c for c in ticked if c not in columns]
            dropped += [
                Dropped(qid, DropReason.CHOICE_REMOVED, f"column '{c}' of row '{row}' is no longer offered")
                for c in gone
            ]
            moved[row] = [c for c in ticked if c in columns]
        else:
            moved[row] = ticked
    return (moved or None), dropped


def _move_items(qid: str, old: Question, new: Question, items: list[Any]) -> tuple[Any, list[Dropped]]:
    old_fields = {f.id: f for f in old.fields}
    new_fields = {f.id: f for f in new.fields}
    moved_items: list[Any] = []
    dropped: list[Dropped] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            moved_items.append(item)
            continue
        moved: dict[str, Any] = {}
        for field_id, value in item.items():
            where = f"{qid}[{number}].{field_id}"
            target = new_fields.get(field_id)
            source = old_fields.get(field_id)
            if target is None or target.type in _UNANSWERED:
                if answered(value):
                    dropped.append(Dropped(where, DropReason.QUESTION_REMOVED, "field removed"))
                continue
            if source is None:
                moved[field_id] = value
                continue
            new_value, lost = _move_value(where, source, target, value)
            dropped += lost
            if new_value is not None:
                moved[field_id] = new_value
        moved_items.append(moved)
    return moved_items, dropped


def plan_upgrade(
    old: FormSpec, new: FormSpec, answers: Mapping[str, Any], *, now: datetime | None = None
) -> UpgradeReport:
    """Map `answers` (given on `old`) onto `new` by question id and say what happens to each."""
    _check_pair(old, new)
    if old.content_hash and old.content_hash == new.content_hash:
        raise UpgradeNotPossible(f"The record already uses this version of form {new.id} ({new.version}).")
    before, after = _answerable(old), _answerable(new)
    comment_owner = {q.comment_id: q for q in after.values() if q.comment}
    old_comment_owner = {q.comment_id: q for q in before.values() if q.comment}
    merged = _merged_into(old, new)
    moved: dict[str, Any] = {}
    kept: list[str] = []
    dropped: list[Dropped] = []
    joined: list[tuple[str, Any]] = []  # answers of merged questions, added after the rest
    for answer_id, value in answers.items():
        if not answered(value):
            continue
        if answer_id in merged:
            joined.append((answer_id, value))
            continue
        if answer_id in comment_owner:
            moved[answer_id] = value
            kept.append(answer_id)
            continue
        if answer_id in old_comment_owner:
            dropped.append(Dropped(answer_id, DropReason.QUESTION_REMOVED, "comment box removed"))
            continue
        target = after.get(answer_id)
        if target is None:
            if answer_id in before:
                dropped.append(
                    Dropped(answer_id, DropReason.QUESTION_REMOVED, before[answer_id].label.strip()[:80])
                )
            else:
                dropped.append(
                    Dropped(answer_id, DropReason.QUESTION_REMOVED, "not a question of either version")
                )
            continue
        source = before.get(answer_id, target)
        new_value, lost = _move_value(answer_id, source, target, value)
        dropped += lost
        if new_value is not None:
            moved[answer_id] = new_value
            if not lost:
                kept.append(answer_id)
    merges: list[tuple[str, str]] = []
    for answer_id, value in joined:
        target = merged[answer_id]
        new_value, lost = _move_value(answer_id, before[answer_id], target, value)
        dropped += lost
        if new_value is not None:
            moved[target.id] = _merge_answer(target, moved.get(target.id), new_value)
            merges.append((answer_id, target.id))
    evaluation = evaluate(new, moved, audiences=(Audience.AUTHOR,), now=now)
    needs = [
        f.question_id
        for f in evaluation.findings
        if f.code in (FindingCode.REQUIRED, FindingCode.TOO_FEW_ITEMS)
        and f.item_index is None
        and f.question_id is not None
        and f.question_id not in before
    ]
    return UpgradeReport(
        form_id=new.id,
        old_version=old.version,
        new_version=new.version,
        old_hash=old.content_hash,
        new_hash=new.content_hash,
        kept=tuple(kept),
        dropped=tuple(dropped),
        needs_answer=tuple(dict.fromkeys(needs)),
        answers=moved,
        moved=tuple(merges),
    )


def report_lines(report: UpgradeReport | FormDiff, spec: FormSpec | None = None) -> list[str]:
    """The report in plain lines, the same for the CLI and the app."""

    def label(qid: str) -> str:
        if spec is None:
            return qid
        base = qid.split(".", 1)[0].split("[", 1)[0]
        try:
            text = spec.question(base).label.strip()
        except KeyError:
            return qid
        return f"{qid} ({text[:70]})"

    lines = [
        f"Form {report.form_id}: version {report.old_version} -> {report.new_version} "
        f"({report.old_hash[:12]} -> {report.new_hash[:12]})"
    ]
    if isinstance(report, UpgradeReport):
        lines.append(f"Kept: {len(report.kept)} answer(s).")
        lines += textwrap.wrap(", ".join(report.kept), width=100, initial_indent="  ", subsequent_indent="  ")
        if report.moved:
            lines.append(f"Moved to the question that now asks it: {len(report.moved)} answer(s).")
            lines += [f"  - {old} -> {label(new)}" for old, new in report.moved]
        lines.append(f"Dropped: {len(report.dropped)} answer(s).")
        lines += [f"  - {d.describe()}" for d in report.dropped]
        lines.append(f"New questions that need an answer: {len(report.needs_answer)}.")
        lines += [f"  - {label(q)}" for q in report.needs_answer]
        return lines
    lines.append(f"Unchanged questions: {len(report.unchanged)}.")
    if report.moved:
        lines.append(f"Answers moved to the question that now asks them: {len(report.moved)}.")
        lines += [f"  - {old} -> {label(new)}" for old, new in report.moved]
    for reason in DropReason:
        found = [c for c in report.changes if c.reason is reason]
        lines.append(f"Answers dropped, {REASON_WORDS[reason]}: {len(found)}.")
        lines += [f"  - {c.question_id}: {c.detail}" for c in found]
    lines.append(f"New questions: {len(report.added)} ({len(report.added_required)} required).")
    lines += [f"  - {label(q)}{' (required)' if q in report.added_required else ''}" for q in report.added]
    return lines
