"""Every shipped form definition loads clean, and keeps the contracts other parts of DSVDesk rely on."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dsvdesk.engine.loader import load_form, load_forms_dir
from dsvdesk.engine.spec import Audience, FormSpec, QuestionType, Severity
from tests.unit.forms.support import EVERYONE, EXAMPLES_DIR, FORMS_DIR, describe, example, form, run

SHIPPED = sorted(FORMS_DIR.glob("*.yaml"))


def test_the_three_forms_are_shipped() -> None:
    assert {p.stem for p in SHIPPED} >= {"124d", "dsvb_report", "sdash"}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_form_loads_clean(path: Path) -> None:
    spec = load_form(path)  # raises FormDefinitionErrors listing every problem
    assert spec.id == path.stem, "the file is named after the form id so that `forms show ID` finds it"
    assert spec.marking == "OFFICIAL-SENSITIVE"
    assert spec.version and spec.title and spec.description


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_question_and_choice_has_readable_text(path: Path) -> None:
    spec = load_form(path)
    for _section, _page, question in spec.iter_questions():
        for q in (question, *question.fields):
            assert q.label.strip(), q.id
            for choice in (*q.choices, *q.rows, *q.columns):
                assert choice.label.strip(), f"{q.id}: {choice.value}"
            if q.type is QuestionType.REFERENCE:
                assert q.pattern and q.example, f"{q.id}: a reference shows an example of its pattern"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_each_form_has_a_complete_example_that_passes(path: Path) -> None:
    assert (EXAMPLES_DIR / f"{path.stem}.json").is_file()
    evaluation = run(load_form(path), example(path.stem), EVERYONE)
    assert not evaluation.errors, describe(evaluation)
    assert not evaluation.warnings, describe(evaluation)
    assert evaluation.percent == 100


def test_forms_directory_loads_with_unique_ids() -> None:
    specs = load_forms_dir(FORMS_DIR)
    assert set(specs) >= {"124d", "dsvb_report", "sdash"}


# ------------------------------------------------------------------ 124D contracts


@pytest.fixture(scope="module")
def spec_124d() -> FormSpec:
    return form("124d")


REQUIRED_COLUMNS = {
    "victim_name",
    "victim_dob",
    "suspect_name",
    "incident_date",
    "cad_ref",
    "cris_ref",
    "grade",
    "officer_grade",
    "yes_count",
    "children_count",
    "merlin_missing",
    "marac_referral_date",
    "marac_criteria",
    "hbv_flag",
    "arrested",
    "victim_sex",
    "victim_ethnic_group",
    "victim_disability",
    "previous_incidents_12m",
}


def test_124d_maps_every_store_and_part_a_column(spec_124d: FormSpec) -> None:
    assert set(spec_124d.columns) >= REQUIRED_COLUMNS
    assert spec_124d.columns["yes_count"] == "dash_yes_count"
    assert spec_124d.question(spec_124d.columns["grade"]).type is QuestionType.COMPUTED


def test_part_a_reads_only_columns_the_124d_maps(spec_124d: FormSpec) -> None:
    from dsvdesk.reporting.parta import COLUMNS, FORM_COLUMNS, STORE_MADE_COLUMNS
    from dsvdesk.store.records import REPORTING_COLUMNS, TABLE_COLUMNS

    # what the store works out itself (the keyed repeat-victim key and the age at the incident, since the
    # name and date of birth are sealed: issue 15) is a store column, not a form column
    assert set(STORE_MADE_COLUMNS) == set(REPORTING_COLUMNS) - set(TABLE_COLUMNS)
    assert set(COLUMNS) == set(FORM_COLUMNS) | set(STORE_MADE_COLUMNS)
    assert set(FORM_COLUMNS) <= set(spec_124d.columns)
    assert {"victim_name", "victim_dob", "incident_date"} <= set(spec_124d.columns)  # what they come from


def test_124d_dash_has_27_items_in_paper_order(spec_124d: FormSpec) -> None:
    dash = spec_124d.questions_tagged("dash")
    assert [q.id for q in dash] == [f"dash_q{n}" for n in range(1, 28)]
    assert [q.number for q in dash] == [str(n) for n in range(1, 28)]
    assert all(q.type is QuestionType.YESNO_DK and q.comment and q.required for q in dash)
    pages = [spec_124d.page_of(q.id).id for q in dash]
    # Q9 is asked of every victim (issue 18), so it sits on the current-situation page.
    assert Counter(pages) == {"dash_current": 9, "dash_children": 3, "dash_history": 10, "dash_abuser": 5}


def test_124d_high_risk_and_specss_tags(spec_124d: FormSpec) -> None:
    high = {q.id for q in spec_124d.questions_tagged("high_risk")}
    assert high <= {f"dash_q{n}" for n in range(1, 28)} and len(high) >= 10
    specss = {q.id: q.tag_value("specss") for q in spec_124d.questions_tagged("specss")}
    assert specss["dash_q6"] == specss["dash_q7"] == "separation"
    assert specss["dash_q9"] == "pregnancy"
    assert specss["dash_q13"] == specss["dash_q14"] == "escalation"
    assert specss["dash_q4"] == specss["hbv_flag"] == specss["forced_marriage_flag"] == "culture"
    assert specss["dash_q8"] == "stalking"
    assert specss["dash_q19"] == "sexual_assault"


def test_124d_sdash_and_hbv_items(spec_124d: FormSpec) -> None:
    assert [q.id for q in spec_124d.questions_tagged("sdash")] == [f"sdash_q{n}" for n in range(1, 12)]
    assert [q.id for q in spec_124d.questions_tagged("hbv")] == [f"hbv_q{n}" for n in range(1, 11)]


def test_124d_review_tags_name_exactly_one_question_each(spec_124d: FormSpec) -> None:
    tagged = {}
    for _s, _p, q in spec_124d.iter_questions():
        if q.has_tag("review"):
            tagged.setdefault(q.tag_value("review"), []).append(q.id)
    assert tagged == {
        "officer_grade": ["officer_grade"],
        "grade": ["supervisor_grade"],
        "rationale": ["supervisor_rationale"],
        # what goes back with a return (workflow.return_comments, issue 20)
        "comments": ["supervisor_comments"],
        "marac": ["marac_decision"],
        "marac_referral": ["marac_referral_made"],
        "marac_required": ["marac_required"],
    }
    grades = [c.value for c in spec_124d.question("officer_grade").choices]
    assert (
        grades
        == [c.value for c in spec_124d.question("supervisor_grade").choices]
        == ["standard", "medium", "high"]
    )


def test_124d_supervisor_section_is_for_reviewers_only(spec_124d: FormSpec) -> None:
    reviewer = [s for s in spec_124d.sections if s.audience is Audience.REVIEWER]
    assert [s.id for s in reviewer] == ["supervisor"]
    assert spec_124d.section_of_page(spec_124d.page_of("supervisor_grade").id).id == "supervisor"


def test_124d_review_queue_flags(spec_124d: FormSpec) -> None:
    flags = {t.value for r in spec_124d.rules for t in r.tags if t.name == "flag"}
    assert flags == {
        "high_without_marac",
        "children_without_merlin",
        "potential_escalation",
        "marac_criterion_without_referral",
        "professional_judgement",  # the prompt rule below the threshold, shown to the supervisor too
    }
    by_id = {r.id: r for r in spec_124d.rules}
    assert by_id["potential_escalation"].severity is Severity.WARNING
    assert by_id["marac_criterion_needs_referral"].severity is Severity.WARNING
    assert by_id["marac_criterion_needs_referral_or_decision"].severity is Severity.ERROR
    assert by_id["children_without_merlin"].severity is Severity.ERROR


def test_124d_grade_help_gives_the_risk_definitions(spec_124d: FormSpec) -> None:
    help_text = spec_124d.question("officer_grade").help
    for word in ("Standard:", "Medium:", "High:", "serious harm"):
        assert word in help_text


def test_124d_marac_criteria_and_rara_shapes(spec_124d: FormSpec) -> None:
    criteria = spec_124d.question("marac_criteria")
    assert criteria.type is QuestionType.MULTICHOICE
    assert [c.value for c in criteria.choices] == [
        "visible_high_risk",
        "professional_judgement",
        "potential_escalation",
        "repeat",
        "hbv_forced_marriage",
    ]
    rara = spec_124d.question("rara_plan")
    assert [f.id for f in rara.fields] == ["category", "action", "owner", "due_date"]
    assert [c.value for c in rara.fields[0].choices] == ["remove", "avoid", "reduce", "accept"]
    children = spec_124d.question("children")
    assert [f.id for f in children.fields] == [
        "name",
        "sex",
        "dob",
        "school",
        "gp",
        "resident",
        "present",
        "witnessed",
        "injured",
        "injury_description",
        "merlin_ref",
    ]


def test_124d_constants_hold_the_thresholds(spec_124d: FormSpec) -> None:
    assert spec_124d.constants["marac_yes_threshold"] == 14
    assert spec_124d.constants["escalation_incidents"] == 3
    assert spec_124d.constants["escalation_months"] == 12
    assert spec_124d.constants["local_band_medium_from"] == 10
    assert spec_124d.constants["repeat_marac_months"] == 12
    assert spec_124d.constants["hbv_fm_automatic_marac"] is True
    assert spec_124d.constants["child_age_limit"] == 18


# ------------------------------------------------------------------ S-DASH (standalone)


def test_sdash_standalone_header_and_questions() -> None:
    spec = form("sdash")
    header = [q.id for q in spec.pages[0].questions]
    assert header[:4] == ["victim_name", "date_completed", "officer_name", "crime_ref"]
    items = spec.questions_tagged("sdash")
    assert [q.id for q in items] == [f"sdash_q{n}" for n in range(1, 12)]
    assert all(q.type is QuestionType.YESNO for q in items)
    labels_124d = [q.label for q in form("124d").questions_tagged("sdash")]
    assert [q.label for q in items] == labels_124d, "the same eleven questions inside the 124D and standalone"


@pytest.mark.parametrize(("yes", "expected"), [(0, 0), (6, 6), (11, 11)])
def test_sdash_counts_yes_answers(yes: int, expected: int) -> None:
    answers = example("sdash")
    for n in range(1, 12):
        answers[f"sdash_q{n}"] = "yes" if n <= yes else "no"
    evaluation = run(form("sdash"), answers)
    assert evaluation.values["sdash_yes_count"] == expected
    assert not evaluation.errors, describe(evaluation)


def test_sdash_unanswered_question_blocks_submission() -> None:
    answers = example("sdash")
    answers.pop("sdash_q4")
    evaluation = run(form("sdash"), answers)
    assert [f.question_id for f in evaluation.errors] == ["sdash_q4"]


def test_every_124d_rule_has_a_golden_test(spec_124d: FormSpec) -> None:
    tests = (Path(__file__).parent / "test_124d_rules.py").read_text(encoding="utf-8")
    untested = [rule.id for rule in spec_124d.rules if f'"{rule.id}"' not in tests]
    assert untested == [], "add a test naming each rule at its boundary in test_124d_rules.py"


def test_part_a_counts_the_124d_records_only() -> None:
    from dsvdesk.reporting.pack import part_a_source_form
    from dsvdesk.reporting.parta import FORM_COLUMNS

    specs = load_forms_dir(FORMS_DIR)
    assert part_a_source_form(specs) == "124d"
    assert [s.id for s in specs.values() if "incident_date" in s.columns] == ["124d"]
    assert [s.id for s in specs.values() if set(FORM_COLUMNS) <= set(s.columns)] == ["124d"]
