"""What the board screens show, without Qt: the preview numbers every paragraph exactly as the PDF does
(both styles, both sample reports), questions count as done only with a paragraph or a reasoned
"nothing to report", and Part A references resolve as the export resolves them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsvdesk.engine.loader import load_form
from dsvdesk.engine.spec import FormSpec
from dsvdesk.export.report_pdf import BY_QUESTION, BY_SECTION, numbered_paragraphs, resolve_tokens
from dsvdesk.reporting import board as logic
from tests.unit.board.seeds import HILLINGDON, ISLINGTON, SEEDS_DIR, answers_for, parse_seed, report_spec_for

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def report_spec() -> FormSpec:
    return load_form(ROOT / "forms" / "dsvb_report.yaml")


def paragraphs(*texts: str) -> list[dict[str, str]]:
    return [{"text": t} for t in texts]


def test_preview_numbers_follow_the_chosen_style(report_spec: FormSpec) -> None:
    answers = {
        "numbering_style": BY_SECTION,
        "b2_q1_paragraphs": paragraphs("one", "two"),
        "b2_q2_paragraphs": [{"subheading": "Training", "text": "three"}],
        "b1_q1_nothing_to_report": "yes",
        "b1_q1_nothing_reason": "Given orally.",
    }
    report = logic.build_report(report_spec, answers, report_id="r", revision=1)
    preview = logic.report_preview(report_spec, report)
    assert preview.style == BY_SECTION and preview.style_label.startswith("by section")
    assert [p.number for p in preview.for_question("b2_q1_paragraphs").paragraphs] == ["2.1", "2.2"]  # type: ignore[union-attr]
    b22 = preview.for_question("b2_q2_paragraphs")
    assert b22 is not None and b22.paragraphs[0].number == "2.3" and b22.paragraphs[0].heading == "Training"
    assert b22.number == "B2.2" and b22.prompt.startswith("What work is being done")
    b1 = preview.for_question("b1_q1_paragraphs")
    assert b1 is not None and b1.nothing_to_report and b1.nothing_reason == "Given orally."

    by_question = logic.build_report(
        report_spec, {**answers, "numbering_style": BY_QUESTION}, report_id="r", revision=1
    )
    assert logic.report_preview(report_spec, by_question).numbers() == ["2.1.1", "2.1.2", "2.2.1"]


def test_hidden_paragraphs_do_not_count_once_nothing_to_report_is_chosen(report_spec: FormSpec) -> None:
    """As in the export: marking "nothing to report" hides the paragraphs, so they are not numbered."""
    answers = {
        "b2_q1_paragraphs": paragraphs("kept from before"),
        "b2_q1_nothing_to_report": "yes",
        "b2_q1_nothing_reason": "Nothing new.",
        "b2_q2_paragraphs": paragraphs("counted"),
    }
    preview = logic.report_preview(
        report_spec, logic.build_report(report_spec, answers, report_id="r", revision=1)
    )
    assert preview.numbers() == ["2.1"]
    assert preview.for_question("b2_q2_paragraphs").paragraphs[0].text == "counted"  # type: ignore[union-attr]


@pytest.mark.parametrize("seed_name", [ISLINGTON, HILLINGDON])
def test_preview_equals_the_pdf_numbering_for_the_sample_reports(seed_name: str) -> None:
    seed = parse_seed(SEEDS_DIR / seed_name)
    spec = report_spec_for(seed)
    report = logic.build_report(spec, answers_for(seed), report_id="r", revision=1)
    preview = logic.report_preview(spec, report)
    pdf_order = [(n.question.id, n.number, n.paragraph.text) for n in numbered_paragraphs(report)]
    shown = [(q.question_id, p.number, p.text) for q in preview.questions for p in q.paragraphs]
    assert shown == pdf_order and len(shown) > 10


def test_progress_counts_answered_and_reasoned_questions(report_spec: FormSpec) -> None:
    def progress_of(answers: dict[str, object]) -> logic.Progress:
        report = logic.build_report(report_spec, answers, report_id="r", revision=1)
        return logic.progress(report_spec, logic.report_preview(report_spec, report))

    empty = progress_of({})
    assert empty.answered == 0 and empty.total == 18 and empty.outstanding[0] == "B1"
    partly = progress_of(
        {
            "b1_q1_paragraphs": paragraphs("x"),
            "b2_q1_nothing_to_report": "yes",  # no reason yet: not done
            "b2_q2_nothing_to_report": "yes",
            "b2_q2_nothing_reason": "Not this time.",
        }
    )
    assert partly.answered == 2 and "B2.1" in partly.outstanding and "B2.2" not in partly.outstanding
    assert partly.text == "2 of 18 questions answered or marked nothing to report."


def test_report_forms_are_recognised_by_their_board_tags(report_spec: FormSpec) -> None:
    from dsvdesk.engine.loader import load_form_text
    from tests.ui.board.conftest import SOURCE_FORM

    source = load_form_text(SOURCE_FORM, "inv.yaml")
    assert logic.is_report_form(report_spec) and not logic.is_report_form(source)
    assert logic.report_forms({"inv": source, "dsvb_report": report_spec}) == [report_spec]
    page = next(p for p in report_spec.pages if p.id == "b2_q1")
    question = logic.paragraphs_question(page)
    assert question is not None and logic.text_field_id(question) == "text"
    assert logic.paragraphs_question(report_spec.pages[0]) is None


def test_tokens_split_resolve_like_the_export() -> None:
    figures = {"records": "97", "completion_rate": "75%"}
    text = "Completion {{partA.completion_rate}} of {{ partA.records }} records; {{partA.nope}}."
    pieces = logic.split_tokens(text, figures)
    assert [p.kind for p in pieces] == ["text", "figure", "text", "figure", "text", "unknown", "text"]
    assert "".join(p.text for p in pieces) == resolve_tokens(text, figures)
    pending = logic.split_tokens(text, None)
    assert (
        "".join(p.text for p in pending) == text
        and pending[1].kind == "pending"
        and pending[1].key == "completion_rate"
    )
    assert logic.token_for("grade.high") == "{{partA.grade.high}}"
    assert logic.split_tokens("{{partA.grade.high}}", {"grade.high": "4"})[0].text == "4"


@given(
    st.text(max_size=200),
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_.]{0,20}", fullmatch=True), st.text(max_size=10), max_size=5
    ),
)
def test_splitting_any_text_loses_nothing(text: str, figures: dict[str, str]) -> None:
    assert "".join(p.text for p in logic.split_tokens(text, None)) == text
    assert "".join(p.text for p in logic.split_tokens(text, figures)) == resolve_tokens(text, figures)


def test_figure_choices_search_all_words() -> None:
    choice = logic.FigureChoice("marac.referrals", "MARAC", "MARAC referrals", "12", True, "DSVDesk")
    assert choice.token == "{{partA.marac.referrals}}"
    assert choice.matches(logic.search_words("  marac   12 ")) and not choice.matches(["arrest"])
    assert choice.matches([])
