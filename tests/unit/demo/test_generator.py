"""The demo generator: deterministic, realistic, and every complete record really passes the form."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dsvdesk import demo
from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.spec import FormSpec, QuestionType
from tests.unit.demo.conftest import TODAY


def scripts_of(text: str) -> set[str]:
    """Unicode script families of the letters in ``text`` (LATIN, ARABIC, CJK, CYRILLIC ...)."""
    found = set()
    for char in text:
        if char.isalpha():
            name = unicodedata.name(char, "")
            found.add(name.split()[0] if name else "?")
    return found


def test_same_seed_and_day_give_the_same_plans_and_answers(spec: FormSpec) -> None:
    first = demo.plan_records(30, seed=7, today=TODAY, officers=2)
    again = demo.plan_records(30, seed=7, today=TODAY, officers=2)
    assert first == again
    assert [demo.answers_for(spec, p, today=TODAY) for p in first[:8]] == [
        demo.answers_for(spec, p, today=TODAY) for p in again[:8]
    ]


def test_another_seed_gives_other_people(spec: FormSpec) -> None:
    one = demo.plan_records(20, seed=1, today=TODAY, officers=2)
    two = demo.plan_records(20, seed=2, today=TODAY, officers=2)
    assert [p.victim for p in one] != [p.victim for p in two]
    assert {p.record_id for p in one}.isdisjoint({p.record_id for p in two})


def test_plans_cover_every_state_and_stay_in_the_past() -> None:
    plans = demo.plan_records(400, seed=11, today=TODAY, officers=3)
    assert set(Counter(p.status for p in plans)) == set(demo.STATUSES)
    assert all(p.incident_at <= p.created_at for p in plans)
    assert all(p.created_at.date() <= TODAY for p in plans)
    assert all(p.completion == 1.0 for p in plans if p.status != "draft")


def test_forced_status_mix_gives_the_newest_records_the_earliest_states() -> None:
    plans = demo.plan_records(
        50,
        seed=3,
        today=TODAY,
        officers=2,
        status_mix={"draft": 12, "submitted": 10, "returned": 8, "approved": 20},
    )
    assert Counter(p.status for p in plans) == {"draft": 12, "submitted": 10, "returned": 8, "approved": 20}
    assert all(p.status == "draft" for p in plans[-12:])  # plans are oldest first


def test_names_come_in_several_scripts() -> None:
    plans = demo.plan_records(300, seed=5, today=TODAY, officers=2)
    scripts: set[str] = set()
    for plan in plans:
        scripts |= scripts_of(plan.victim.full_name) | scripts_of(plan.suspect.full_name)
    assert {"LATIN", "ARABIC", "CJK", "CYRILLIC", "GREEK", "BENGALI"} <= scripts
    latin = " ".join(p.victim.full_name for p in plans)
    assert re.search(r"[ŁłŻżŚśĆćŃńĄąĘę]", latin), "Polish letters"
    assert re.search(r"[ŵŷâêîôû]", latin), "Welsh circumflexes"


def test_repeat_victims_have_the_same_name_and_birth_date_within_twelve_months() -> None:
    plans = demo.plan_records(500, seed=9, today=TODAY, officers=2)
    seen: dict[tuple[str, dt.date], list[dt.date]] = {}
    repeats = 0
    for plan in plans:
        key = (plan.victim.full_name, plan.victim.dob)
        earlier = seen.setdefault(key, [])
        if plan.repeat_victim:
            assert any(0 <= (plan.incident_at.date() - day).days <= 365 for day in earlier)
            repeats += 1
        earlier.append(plan.incident_at.date())
    assert repeats >= 20


def test_children_are_younger_than_the_victim_by_at_least_sixteen_years() -> None:
    plans = demo.plan_records(300, seed=4, today=TODAY, officers=2)
    with_children = [p for p in plans if p.children]
    assert len(with_children) > 60
    for plan in with_children:
        day = plan.incident_at.date()
        for child in plan.children:
            assert 0 <= child.age_on(day) <= 16
            assert plan.victim.age_on(day) - child.age_on(day) >= 16


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_complete_records_pass_the_completeness_engine(spec: FormSpec, seed: int) -> None:
    plans = demo.plan_records(40, seed=seed, today=TODAY, officers=2)
    for plan in plans:
        if plan.status == "draft":
            continue
        reviewer = plan.status == "approved"
        answers = demo.answers_for(spec, plan, today=TODAY, reviewer=reviewer)
        audiences = ("author", "reviewer") if reviewer else ("author",)
        errors = evaluate(spec, answers, audiences=audiences).errors
        assert not errors, f"plan {plan.index}: {[f.message for f in errors]}"


def test_key_answers_follow_the_plan(spec: FormSpec) -> None:
    plan = next(
        p
        for p in demo.plan_records(200, seed=8, today=TODAY, officers=2)
        if p.status != "draft" and p.children
    )
    answers = demo.answers_for(spec, plan, today=TODAY)
    values = evaluate(spec, answers).values
    columns = demo.column_questions(spec)
    assert plan.victim.given in str(values[columns["victim_name"].id])
    assert plan.victim.family in str(values[columns["victim_name"].id])
    assert answers[columns["incident_date"].id] == plan.incident_at.date().isoformat()
    assert answers[columns["victim_dob"].id] == plan.victim.dob.isoformat()
    assert values[columns["children_count"].id] == len(plan.children)
    cad = answers[columns["cad_ref"].id]
    assert re.search(spec.question(columns["cad_ref"].id).pattern or "", cad)
    assert plan.incident_at.strftime("%d%b%y").upper() in cad  # the CAD number carries the incident date


def test_yes_counts_spread_from_none_to_visible_high_risk(spec: FormSpec) -> None:
    plans = [p for p in demo.plan_records(120, seed=12, today=TODAY, officers=2) if p.status != "draft"]
    column = demo.column_questions(spec)["yes_count"].id
    grade_id = demo.column_questions(spec)["officer_grade"].id
    counts = []
    for plan in plans:
        answers = demo.answers_for(spec, plan, today=TODAY)
        count = evaluate(spec, answers).values[column]
        counts.append(count)
        if count >= spec.constants["marac_yes_threshold"]:
            assert answers[grade_id] == "high"
    assert min(counts) <= 2
    assert sum(c >= 14 for c in counts) >= 5
    assert 5 <= sorted(counts)[len(counts) // 2] <= 11  # most checklists are standard or medium


def test_drafts_hold_the_first_pages_only(spec: FormSpec) -> None:
    plan = next(
        p
        for p in demo.plan_records(80, seed=6, today=TODAY, officers=2)
        if p.status == "draft" and p.completion < 0.5
    )
    answers = demo.answers_for(spec, plan, today=TODAY)
    pages_with_answers = [
        i for i, page in enumerate(spec.pages) if any(q.id in answers for q in page.questions)
    ]
    assert pages_with_answers
    assert len(pages_with_answers) < len(spec.pages)
    assert pages_with_answers == list(range(len(pages_with_answers)))  # filled in order, no gaps
    assert evaluate(spec, answers).percent < 100


@given(
    day=st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2035, 12, 31)), seed=st.integers(0, 2**32)
)
@settings(max_examples=60, deadline=None)
def test_references_match_their_patterns_on_any_day(spec: FormSpec, day: dt.date, seed: int) -> None:
    import random

    for _s, _p, q in spec.iter_questions():
        questions = [q, *q.fields] if q.type is QuestionType.REPEAT else [q]
        for question in questions:
            if question.type is not QuestionType.REFERENCE:
                continue
            value = demo.reference_like(question, random.Random(seed), on=day)
            assert value is not None, question.id
            assert re.search(question.pattern or "", value), (question.id, value)


def test_grades_and_marac_criteria_follow_the_forms_thresholds(spec: FormSpec) -> None:
    """The demo grades by the form's own rules, not by numbers of its own: a force that lowers the
    high-risk threshold (and the medium band) gets demo records graded and referred by the new numbers."""
    import dataclasses

    from dsvdesk.engine.loader import load_form_text

    text = spec.source_text.replace("marac_yes_threshold: 14", "marac_yes_threshold: 11").replace(
        "local_band_medium_from: 10", "local_band_medium_from: 5"
    )
    assert text != spec.source_text
    changed = load_form_text(text, "124d.yaml")
    columns = demo.column_questions(changed)
    grades = [c.value for c in columns["officer_grade"].choices]
    criteria = columns["marac_criteria"]
    plans = demo.plan_records(40, seed=17, today=TODAY, officers=1)
    for yes, floor in ((11, grades[-1]), (12, grades[-1]), (6, grades[1]), (7, grades[1])):
        for planned in plans[:6]:
            plan = dataclasses.replace(planned, yes_target=yes, status="submitted", completion=1.0)
            answers = demo.answers_for(changed, plan, today=TODAY)
            grade = answers[columns["officer_grade"].id]
            assert grades.index(grade) >= grades.index(floor), (yes, grade)
            if yes >= 11:
                # the criterion the form's rules ask for at the threshold, and the referral a High grade needs
                evaluation = evaluate(changed, answers)
                met = answers.get(criteria.id) or evaluation.values.get(criteria.id)
                assert met, met
                assert answers.get(columns["marac_referral_date"].id)
                assert not evaluation.errors
    assert spec.constants["marac_yes_threshold"] == 14  # the real form is untouched
