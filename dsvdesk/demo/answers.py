"""Whole records: every answer of a planned record, with its risk answers, grade and MARAC criteria
made to agree, repaired until the completeness engine finds no error."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dsvdesk.demo.errors import DemoDataError
from dsvdesk.demo.fill import (
    COMMENTS_ON_YES,
    NOT_ASKED_REASONS,
    REVIEW_COMMENTS,
    FillContext,
    clamp_date,
    column_questions,
    fill_item,
    fill_value,
    matches,
    name_parts,
    sentences,
)
from dsvdesk.demo.people import Person
from dsvdesk.demo.timeline import RecordPlan
from dsvdesk.engine.spec import (
    DONT_KNOW,
    NO,
    NOT_ASKED,
    YES,
    FormSpec,
    Question,
    QuestionType,
)
from dsvdesk.engine.vocabulary import CRITERIA_TAG, vocabulary_of

# --------------------------------------------------------------------------------- whole records


def answerable(q: Question) -> bool:
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
        for part in name_parts(spec, column):
            pages[spec.page_of(part.id).id] = person
    return pages


def repeat_for_column(spec: FormSpec, column: str) -> Question | None:
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


def _findings_on(spec: FormSpec, answers: Mapping[str, Any], question_id: str) -> list[Any]:
    """The findings (errors and warnings, the author's sections) about one question: its own, and those
    of rules that name it among their targets. The last evaluation is kept: asking about another
    question of the same answers costs a comparison, not an evaluation (a few ms each)."""
    from dsvdesk.engine.completeness import evaluate

    last = _LAST_EVALUATION
    if last and last[0] is spec and last[1] == answers:
        findings = last[2]
    else:
        findings = evaluate(spec, answers, audiences=("author",)).findings
        _LAST_EVALUATION[:] = [spec, dict(answers), findings]
    targets = {r.id: r.targets for r in spec.rules}
    return [
        f for f in findings if f.question_id == question_id or question_id in targets.get(f.rule_id or "", ())
    ]


# [spec, a copy of the answers, findings] of the last _findings_on evaluation. A shallow copy is enough:
# the demo replaces answers, it never changes a list or item in place.
_LAST_EVALUATION: list[Any] = []


def grade_for(
    spec: FormSpec, grade_q: Question, answers: dict[str, Any], plan: RecordPlan, rng: random.Random
) -> tuple[int, int]:
    """The officer's grade, set in ``answers``: the lowest of the form's grades (its vocabulary's, lowest
    first) that the form's rules find nothing to say about (its floor and local bands), raised by
    professional judgement now and then (never lowered). Returns (the grade's place, the floor's)."""
    offered = [c.value for c in grade_q.choices]
    ranked = [g for g in vocabulary_of(spec).grade_values if g in offered]  # the form's grades, lowest first
    grades = ranked if len(ranked) == len(offered) else offered
    floor = 0
    for floor, grade in enumerate(grades):  # noqa: B007 - the loop leaves the floor's place behind
        answers[grade_q.id] = grade
        if not _findings_on(spec, answers, grade_q.id):
            break
    place = floor
    raise_chance = (0.3 if plan.repeat_victim else 0.12) if floor == 0 else 0.2
    if rng.random() < raise_chance and place < len(grades) - 1:
        place += 1
    answers[grade_q.id] = grades[place]
    return place, floor


def _criteria_for(spec: FormSpec, criteria_q: Question, answers: dict[str, Any], *, judged: bool) -> None:
    """The MARAC criteria an officer ticks: those the form's rules ask for (each tick, in the form's
    order, kept only if it leaves fewer findings) and, for a grade raised to the top by professional
    judgement with none of those, the first criterion no rule names (the judgement one)."""
    values = [c.value for c in criteria_q.choices]
    chosen: list[str] = []
    found = _findings_on(spec, answers, criteria_q.id)
    while found:
        for value in values:
            if value in chosen:
                continue
            answers[criteria_q.id] = [v for v in values if v in {*chosen, value}]
            attempt = _findings_on(spec, answers, criteria_q.id)
            if len(attempt) < len(found):
                chosen.append(value)
                found = attempt
                break
        else:
            break
    if judged and not chosen:
        named = " ".join(rule.when.source for rule in spec.rules)
        free = [v for v in values if f"'{v}'" not in named and f'"{v}"' not in named]
        chosen = free[:1]
    if chosen:
        answers[criteria_q.id] = [v for v in values if v in chosen]
    else:
        answers.pop(criteria_q.id, None)


@dataclass(frozen=True, slots=True)
class Staff:
    """Who the record is written by, for the declaration and the attending officers."""

    officer_name: str = "PC Demo Officer"
    officer_collar: str = "1234AB"
    station: str = "Demo Station"
    supervisor_name: str = "PS Demo Supervisor"


def answers_for(
    spec: FormSpec,
    plan: RecordPlan,
    *,
    today: dt.date,
    staff: Staff | None = None,
    reviewer: bool = False,
    latest: dt.datetime | None = None,
) -> dict[str, Any]:
    """Answers for one planned record.

    Complete records (every status but draft) pass the completeness engine with no errors for the
    author's sections, and with ``reviewer`` also for the supervisor's. A draft holds the pages an
    officer would have reached (``plan.completion`` of them), in form order. No date or time in them
    is after ``latest`` (naive UTC; default 23:00 the day before ``today``).
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
        latest=latest,
    )
    persons = _person_pages(spec, plan)
    answers: dict[str, Any] = {}
    for section, page, q in spec.iter_questions():
        if not answerable(q):
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
            if matches(q.pattern, staff.officer_collar):
                answers[q.id] = staff.officer_collar
        elif q.type is QuestionType.REPEAT and "officer" in label and answers.get(q.id):
            first = dict(answers[q.id][0])
            for f in q.fields:
                flabel = f.label.lower()
                if f.type is QuestionType.TEXT and "name" in flabel:
                    first[f.id] = staff.officer_name
                elif f.type is QuestionType.REFERENCE and matches(f.pattern, staff.officer_collar):
                    first[f.id] = staff.officer_collar
            answers[q.id] = [first, *answers[q.id][1:]]


def _apply_columns(spec: FormSpec, plan: RecordPlan, ctx: FillContext, answers: dict[str, Any]) -> None:
    """Realistic values for the questions behind the store columns (the form's `columns:` mapping)."""
    rng = ctx.rng
    cols = column_questions(spec)
    day = ctx.incident_date

    def put(column: str, value: Any) -> None:
        q = cols.get(column)
        if q is not None and answerable(q) and value is not None:
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
    repeat = repeat_for_column(spec, "children_count")
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


def _apply_risk(  # noqa: C901, PLR0912 - does four jobs (yes answers, comments, grade, MARAC); left whole while this file is changed in parallel (issue 13)
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
    grade_q = cols.get("officer_grade")
    criteria_q = next(
        (
            q
            for q in spec.questions_tagged("vocabulary")
            if q.tag_value("vocabulary") == CRITERIA_TAG and q.type is QuestionType.MULTICHOICE
        ),
        None,
    ) or _ticked(spec, cols.get("marac_criteria"))
    # The officer's part first: no criteria ticked yet, and the supervisor's grade not given.
    for _s, _p, q in spec.iter_questions():
        if q.tag_value("review") == "grade" or q is criteria_q:
            answers.pop(q.id, None)
    place = floor = 0
    if grade_q is not None and answerable(grade_q) and grade_q.choices:
        place, floor = grade_for(spec, grade_q, answers, plan, rng)
    if criteria_q is not None and criteria_q.type is QuestionType.MULTICHOICE:
        top = grade_q is not None and place == len(grade_q.choices) - 1
        _criteria_for(spec, criteria_q, answers, judged=top and place > floor)
    referral = cols.get("marac_referral_date")
    if referral is not None:
        # made when the form's rules ask for one (a high grade, a criterion met), as the officer would record it
        wanted = bool(_findings_on(spec, answers, referral.id))
        _set_shown(spec, answers, referral.id, wanted)
        if wanted:
            answers[referral.id] = clamp_date(
                ctx.incident_date + dt.timedelta(days=rng.randint(0, 3)), referral, ctx.today
            ).isoformat()
    if reviewer:
        # The supervisor confirms the grade, or raises it (the next of the form's grades) with a reason.
        for _s, _p, q in spec.iter_questions():
            if q.tag_value("review") == "grade" and q.type is QuestionType.CHOICE and q.choices:
                grades = [c.value for c in q.choices]
                officer = answers.get(grade_q.id) if grade_q is not None else None
                at = grades.index(officer) if officer in grades else 0
                answers[q.id] = grades[min(at + 1, len(grades) - 1)] if rng.random() < 0.1 else grades[at]
            elif q.has_tag("qa") and q.type is QuestionType.YESNO:
                answers[q.id] = YES if rng.random() < 0.93 else NO
            elif q.tag_value("review") == "rationale":
                answers[q.id] = (
                    "Raised: the history and the victim's fear justify a higher grade than the count."
                )


def _ticked(spec: FormSpec, column_q: Question | None) -> Question | None:
    """The multichoice the officer ticks for a column: the column's own question, or the one its computed
    expression reads (the form may work the column out from the answers and the officer's ticks)."""
    if column_q is None or column_q.type is QuestionType.MULTICHOICE:
        return column_q
    if column_q.expression is None:
        return None
    by_id = {q.id: q for _s, _p, q in spec.iter_questions()}
    read = [by_id[r] for r in sorted(column_q.expression.all_references()) if r in by_id]
    return next((q for q in read if q.type is QuestionType.MULTICHOICE), None)


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
        return [fill_value(q, ctx), sentences(ctx.rng, 2, 3)]
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
            if q is None or not answerable(q):
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


def investigation_forms(forms: Mapping[str, FormSpec]) -> list[FormSpec]:
    """The forms demo records are made of: those that record an incident (they map `incident_date`)."""
    return [spec for _id, spec in sorted(forms.items()) if "incident_date" in spec.columns]


def review_comments(spec: FormSpec, answers: Mapping[str, Any], rng: random.Random) -> dict[str, str]:
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
