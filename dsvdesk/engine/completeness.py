"""Evaluate a form's answers: computed values, what is visible, what is missing or wrong, and how far
along the form is. Pure and fast enough for every keystroke (see benchmarks/).

Order matters and is fixed at load time (`FormIndex.evaluation_order`): a page's visibility, then each
question's visibility and value, each after everything it depends on. A hidden question's answer is
*stale*: it is null for every expression, never required, never counted and never exported.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dsvdesk.engine.answers import check_constraint, say, validate_value
from dsvdesk.engine.expressions import Environment, ScopedEnvironment, answered, equal, truthy
from dsvdesk.engine.index import FormIndex, index_of
from dsvdesk.engine.spec import Audience, FormSpec, Page, Question, QuestionType, Rule, Severity

_log = logging.getLogger("dsvdesk.forms")

_NOT_ANSWERED = frozenset({QuestionType.COMPUTED, QuestionType.NOTE})


class FindingCode(StrEnum):
    REQUIRED = "required"  # a required (or required_when) question has no answer
    INVALID = "invalid"  # the answer is not of the question's type / shape
    CONSTRAINT = "constraint"  # a constraint of the question is broken
    TOO_FEW_ITEMS = "too_few_items"  # repeat below min_items
    TOO_MANY_ITEMS = "too_many_items"  # repeat above max_items
    RULE = "rule"  # a form rule fired


class PageState(StrEnum):
    HIDDEN = "hidden"  # skipped (show_when false, or a section for another audience)
    NOT_STARTED = "not_started"  # nothing answered yet, and something is required
    ERRORS = "errors"  # at least one error finding
    WARNINGS = "warnings"  # only warnings
    COMPLETE = "complete"


@dataclass(frozen=True, slots=True)
class Finding:
    question_id: str | None  # where "jump to" goes (None: about the whole form)
    page_id: str | None
    severity: Severity
    message: str
    code: FindingCode
    rule_id: str | None = None
    item_index: int | None = None  # 0-based item of a repeat
    field_id: str | None = None  # the repeat field, with item_index

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True, slots=True)
class Evaluation:
    values: Mapping[str, Any]  # computed question id -> value
    visible_questions: frozenset[str]  # top-level ids, in the evaluated audiences
    visible_pages: tuple[str, ...]  # page ids in form order, in the evaluated audiences
    findings: tuple[Finding, ...]  # in form order, then rules
    percent: int  # answered required visible questions / required visible ones (100 when none)
    summary: tuple[tuple[str, Any], ...] = ()  # (label, value) of the form's summary lines
    effective_values: Mapping[str, Any] = field(default_factory=dict)  # every name as expressions saw it
    flags: tuple[str, ...] = ()  # `flag:` tag values of the rules that fired (review-queue flags)
    required_total: int = 0
    required_answered: int = 0
    _page_states: Mapping[str, PageState] = field(default_factory=dict, repr=False)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def can_submit(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def page_state(self, page_id: str) -> PageState:
        return self._page_states.get(page_id, PageState.HIDDEN)

    def findings_for(self, question_id: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.question_id == question_id)

    def is_visible(self, question_id: str) -> bool:
        return question_id in self.visible_questions


class _FormEnvironment:
    """Names for the whole form: constants, then visible answers and computed values as they are set."""

    __slots__ = ("_now", "_tag_counts", "index", "values", "visible")

    def __init__(self, index: FormIndex, values: dict[str, Any], now: datetime) -> None:
        self.index = index
        self.values = values
        self.visible: set[str] = set()
        self._now = now
        self._tag_counts: dict[tuple[str, Any], int] = {}

    @property
    def now(self) -> datetime:
        return self._now

    def lookup(self, name: str) -> Any:
        return self.values.get(name)

    def tagged(self, tag: str) -> Iterator[tuple[str, Any]]:
        for question_id in self.index.tagged.get(tag, ()):
            if question_id in self.visible:
                yield question_id, self.values.get(question_id)

    def count_tagged(self, tag: str, wanted: Any) -> int | None:
        """Memoised count: every question a count depends on is resolved before the count is first
        asked for (the loader orders them so), so it cannot change within one evaluation."""
        if not isinstance(wanted, str | int | float | bool | None):
            return None  # unhashable: let the caller count
        key = (tag, wanted)
        count = self._tag_counts.get(key)
        if count is None:
            count = sum(1 for _qid, value in self.tagged(tag) if equal(value, wanted))
            self._tag_counts[key] = count
        return count

    def fields_of(self, repeat: str) -> Collection[str] | None:
        return self.index.repeat_fields.get(repeat)


def _as_mapping(answers: object) -> Mapping[str, Any]:
    """Answers from a damaged record may not be a mapping at all: treat them as none."""
    return answers if isinstance(answers, Mapping) else {}


def _audiences(audiences: Iterable[Audience | str]) -> frozenset[Audience]:
    chosen: set[Audience] = set()
    for audience in audiences:
        try:
            chosen.add(Audience(audience))
        except ValueError:
            continue
    return frozenset(chosen)


def _resolve(spec: FormSpec, answers: Mapping[str, Any], now: datetime) -> tuple[_FormEnvironment, set[str]]:
    """Visibility and values of every page and top-level question, in dependency order."""
    index = index_of(spec)
    env = _FormEnvironment(index, dict(spec.constants), now)
    visible_pages: set[str] = set()
    values = env.values
    for node in index.evaluation_order:
        if isinstance(node, Page):
            if node.show_when is None or node.show_when.is_true(env):
                visible_pages.add(node.id)
            continue
        question: Question = node
        page = index.page_of_question.get(question.id)
        if page is None or page.id not in visible_pages:
            continue
        if question.show_when is not None and not question.show_when.is_true(env):
            continue
        env.visible.add(question.id)
        if question.type is QuestionType.COMPUTED:
            values[question.id] = (
                question.expression.evaluate(env) if question.expression is not None else None
            )
        else:
            values[question.id] = answers.get(question.id)
            if question.comment:
                values[question.comment_id] = answers.get(question.comment_id)
    return env, visible_pages


def evaluate(
    spec: FormSpec,
    answers: Mapping[str, Any],
    *,
    audiences: Iterable[Audience | str] = (Audience.AUTHOR,),
    now: datetime | None = None,
) -> Evaluation:
    """Everything the wizard, the submit check and the PDF need to know about `answers` right now."""
    moment = (now or datetime.now()).replace(tzinfo=None)
    answers = _as_mapping(answers)
    wanted = _audiences(audiences)
    index = index_of(spec)
    env, condition_visible_pages = _resolve(spec, answers, moment)

    def evaluated(page_id: str) -> bool:
        section = index.section_of_page.get(page_id)
        return section is not None and section.audience in wanted and page_id in condition_visible_pages

    findings: list[Finding] = []
    visible_questions: set[str] = set()
    page_findings: dict[str, list[Finding]] = {}
    page_started: dict[str, bool] = {}
    required_total = required_answered = 0
    for section in spec.sections:
        for page in section.pages:
            if not evaluated(page.id):
                continue
            page_list = page_findings.setdefault(page.id, [])
            page_started.setdefault(page.id, False)
            for question in page.questions:
                if question.id not in env.visible or index.questions.get(question.id) is not question:
                    continue
                visible_questions.add(question.id)
                if question.type in _NOT_ANSWERED:
                    continue
                value = answers.get(question.id)
                is_answered = answered(value)
                page_started[page.id] = page_started[page.id] or is_answered
                before = len(page_list)
                required = question.required or (
                    question.required_when is not None and question.required_when.is_true(env)
                )
                _question_findings(
                    question,
                    value=value,
                    is_answered=is_answered,
                    required=required,
                    page_id=page.id,
                    env=env,
                    now=moment,
                    out=page_list,
                )
                if required:
                    required_total += 1
                    if is_answered and not any(
                        f.code is FindingCode.INVALID for f in page_list[before:] if f.item_index is None
                    ):
                        required_answered += 1
            findings.extend(page_list)

    rule_findings = list(_rule_findings(spec, index, env, answers, evaluated))
    for finding in rule_findings:
        if finding.page_id is not None:
            page_findings.setdefault(finding.page_id, []).append(finding)
    findings.extend(rule_findings)

    page_states = {
        page_id: _page_state(page_list, page_started.get(page_id, True))
        for page_id, page_list in page_findings.items()
        if evaluated(page_id)
    }

    fired = {f.rule_id for f in rule_findings}
    flags = tuple(
        dict.fromkeys(
            tag.value for rule in spec.rules if rule.id in fired for tag in rule.tags if tag.name == "flag"
        )
    )
    computed = {
        q.id: env.values.get(q.id) for q in index.questions.values() if q.type is QuestionType.COMPUTED
    }
    summary = tuple((item.label, item.expression.evaluate(env)) for item in spec.summary)
    percent = 100 if required_total == 0 else (100 * required_answered) // required_total
    return Evaluation(
        values=computed,
        visible_questions=frozenset(visible_questions),
        visible_pages=tuple(p.id for p in spec.pages if evaluated(p.id)),
        findings=tuple(findings),
        percent=percent,
        summary=summary,
        effective_values=dict(env.values),
        flags=flags,
        required_total=required_total,
        required_answered=required_answered,
        _page_states=page_states,
    )


def _page_state(page_list: list[Finding], started: bool) -> PageState:
    """A page's state from its findings: never touched and only missing answers is "not started"."""
    if any(f.severity is Severity.ERROR for f in page_list):
        only_missing = all(f.code is FindingCode.REQUIRED for f in page_list)
        return PageState.NOT_STARTED if not started and only_missing else PageState.ERRORS
    return PageState.WARNINGS if page_list else PageState.COMPLETE


def _question_findings(
    question: Question,
    *,
    value: Any,
    is_answered: bool,
    required: bool,
    page_id: str,
    env: Environment,
    now: datetime,
    out: list[Finding],
) -> None:
    def add(code: FindingCode, message: str, item: int | None = None, field_id: str | None = None) -> None:
        out.append(Finding(question.id, page_id, Severity.ERROR, message, code, None, item, field_id))

    if not is_answered:
        if required:
            add(FindingCode.REQUIRED, say(_label(question), "an answer is needed."))
        elif question.type is QuestionType.REPEAT and question.min_items > 0:
            add(FindingCode.TOO_FEW_ITEMS, say(_label(question), _at_least(question)))
        return
    if question.type is QuestionType.REPEAT:
        _repeat_findings(question, value, env, now, add)
        return
    problem = validate_value(question, value)
    if problem is not None:
        add(FindingCode.INVALID, say(_label(question), problem))
        return
    failure = _constraint_message(question, value, env, now)
    if failure is not None:
        add(FindingCode.CONSTRAINT, failure)


def _constraint_message(question: Question, value: Any, env: Environment, now: datetime) -> str | None:
    for constraint in question.constraints:
        try:
            ok = check_constraint(constraint, value, env, now)
        except (TypeError, ValueError, OverflowError, RecursionError):
            _log.warning("constraint on %s could not be checked", question.id, exc_info=True)
            continue
        if not ok:
            return constraint.message
    return None


def _repeat_findings(question: Question, value: Any, env: Environment, now: datetime, add: Any) -> None:
    if not isinstance(value, list):
        add(FindingCode.INVALID, say(_label(question), "this list cannot be read."))
        return
    noun = question.item_label or "Item"
    if question.max_items is not None and len(value) > question.max_items:
        add(FindingCode.TOO_MANY_ITEMS, say(_label(question), _at_most(question)))
    if len(value) < question.min_items:
        add(FindingCode.TOO_FEW_ITEMS, say(_label(question), _at_least(question)))
    failure = _constraint_message(question, value, env, now)
    if failure is not None:
        add(FindingCode.CONSTRAINT, failure)
    field_ids = frozenset(f.id for f in question.fields)
    for number, item in enumerate(value):
        if not isinstance(item, Mapping):
            add(FindingCode.INVALID, f"{noun} {number + 1}: this entry cannot be read.", number)
            continue
        scope = ScopedEnvironment(item, field_ids, env)
        for field_question in question.fields:
            if field_question.show_when is not None and not field_question.show_when.is_true(scope):
                continue
            if field_question.type in _NOT_ANSWERED:
                continue
            field_value = item.get(field_question.id)
            prefix = f"{noun} {number + 1}, {_label(field_question)}"
            if not answered(field_value):
                if field_question.required or (
                    field_question.required_when is not None and field_question.required_when.is_true(scope)
                ):
                    add(FindingCode.REQUIRED, say(prefix, "an answer is needed."), number, field_question.id)
                continue
            problem = validate_value(field_question, field_value)
            if problem is not None:
                add(FindingCode.INVALID, say(prefix, problem), number, field_question.id)
                continue
            failure = _constraint_message(field_question, field_value, scope, now)
            if failure is not None:
                add(FindingCode.CONSTRAINT, say(prefix, failure), number, field_question.id)


def _rule_findings(
    spec: FormSpec,
    index: FormIndex,
    env: _FormEnvironment,
    answers: Mapping[str, Any],
    evaluated: Any,
) -> Iterator[Finding]:
    for rule in spec.rules:
        if rule.each_tag:
            yield from _each_tag_findings(rule, index, env, evaluated)
            continue
        target_pages = [index.page_of_question[t] for t in rule.targets if t in index.page_of_question]
        if target_pages and not any(evaluated(p.id) for p in target_pages):
            continue  # every target is in a section this audience does not fill
        if not rule.when.is_true(env):
            continue
        question_id: str | None = rule.targets[0] if rule.targets else None
        page_id: str | None = None
        for target in rule.targets:
            page = index.page_of_question.get(target)
            if target in env.visible and page is not None and evaluated(page.id):
                question_id, page_id = target, page.id
                break
        yield Finding(question_id, page_id, rule.severity, rule.message, FindingCode.RULE, rule.id)


def _each_tag_findings(
    rule: Rule, index: FormIndex, env: _FormEnvironment, evaluated: Any
) -> Iterator[Finding]:
    for question_id in index.tagged.get(rule.each_tag or "", ()):
        page = index.page_of_question.get(question_id)
        if question_id not in env.visible or page is None or not evaluated(page.id):
            continue
        question = index.questions[question_id]
        local = {
            "value": env.values.get(question_id),
            "comment": env.values.get(question.comment_id) if question.comment else None,
        }
        if rule.when.is_true(ScopedEnvironment(local, ("value", "comment"), env)):
            yield Finding(question_id, page.id, rule.severity, rule.message, FindingCode.RULE, rule.id)


def _at_least(question: Question) -> str:
    count = question.min_items
    return f"at least {count} {'is' if count == 1 else 'are'} needed."


def _at_most(question: Question) -> str:
    return f"at most {question.max_items or 0} can be recorded."


def _label(question: Question) -> str:
    label = question.label.strip() or question.id
    if question.number:
        label = f"{question.number}. {label}"
    return label if len(label) <= 120 else label[:117] + "..."


def visible_answers(
    spec: FormSpec, answers: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """The answers that count: visible questions only (all audiences), comments kept, hidden repeat fields
    dropped from each item, unknown keys dropped. This is what is exported and counted."""
    answers = _as_mapping(answers)
    moment = (now or datetime.now()).replace(tzinfo=None)
    index = index_of(spec)
    env, _pages = _resolve(spec, answers, moment)
    kept: dict[str, Any] = {}
    for question_id, question in index.questions.items():
        if question_id not in env.visible or question.type in _NOT_ANSWERED:
            continue
        if question_id in answers:
            value = answers[question_id]
            if question.type is QuestionType.REPEAT and isinstance(value, list):
                value = [_visible_item(question, item, env) for item in value]
            kept[question_id] = value
        if question.comment and question.comment_id in answers:
            kept[question.comment_id] = answers[question.comment_id]
    return kept


def _visible_item(question: Question, item: Any, env: Environment) -> Any:
    if not isinstance(item, Mapping):
        return item
    field_ids = frozenset(f.id for f in question.fields)
    scope = ScopedEnvironment(item, field_ids, env)
    return {
        f.id: item[f.id]
        for f in question.fields
        if f.id in item and (f.show_when is None or truthy(f.show_when.evaluate(scope)))
    }
