"""Part B and Part A PDFs: both sample reports re-created and read back with pdftotext, in order, with
the sample's numbering style; fonts embedded; computed and entered figures told apart; pages rendered
for a human to look at."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.spec import FormSpec, Page, Question, QuestionType, Section, Tag
from dsvdesk.export.report_pdf import (
    BY_QUESTION,
    BoardReport,
    ReportHeader,
    ReportParagraph,
    ReportQuestion,
    ReportSection,
    board_report_from_answers,
    numbered_paragraphs,
    render_part_a_pdf,
    render_part_b_pdf,
    resolve_tokens,
    unresolved_tokens,
)
from dsvdesk.reporting.parta import EnteredFigure, compute_part_a
from tests.unit.board.fixtures import PERIOD, VOCABULARY, build_rows
from tests.unit.board.seeds import (
    ANSWERED_ELSEWHERE,
    HILLINGDON,
    ISLINGTON,
    SEEDS_DIR,
    answers_for,
    parse_seed,
    report_spec_for,
)

WHEN = datetime(2010, 9, 29, 10, 0)
REPORT_ID = "0b4c7d6e-1111-4222-8333-444455556666"
FURNITURE = re.compile(
    r"^(OFFICIAL-SENSITIVE|Part [AB]: (report|data) · .*|Board report [0-9a-f-]{36} · revision \d+|Page \d+ of \d+)$"
)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils)")
    return path


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    """The document's words in reading order, page furniture removed, whitespace collapsed."""
    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    out = subprocess.run(
        [_tool("pdftotext"), str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    kept = [line for line in out.replace("\f", "\n").splitlines() if not FURNITURE.match(line.strip())]
    return _flat(" ".join(kept))


def render_pages(pdf: bytes, artifacts: Path, stem: str) -> list[Path]:
    source = artifacts / f"{stem}.pdf"
    source.write_bytes(pdf)
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "60", str(source), str(artifacts / stem)], check=True)
    return sorted(artifacts.glob(f"{stem}-*.png"))


def _flat(text: str) -> str:
    """Whitespace collapsed and hyphens dropped: pdftotext joins a line ending in '-' with the next."""
    return " ".join(text.replace("-", " ").split())


def _assert_in_order(haystack: str, needles: list[str]) -> None:
    position = 0
    for raw in needles:
        needle = _flat(raw)
        found = haystack.find(needle, position)
        assert found >= 0, f"not found after position {position}: {needle[:120]!r}"
        position = found + len(needle)


@pytest.fixture(scope="module")
def figures() -> dict[str, str]:
    return compute_part_a(build_rows(), PERIOD, vocabulary=VOCABULARY).figure_map()


@pytest.mark.parametrize(("seed_file", "style"), [(ISLINGTON, "by_section"), (HILLINGDON, "by_question")])
def test_sample_report_recreated_in_order_with_its_numbering(
    seed_file: str, style: str, figures: dict[str, str], tmp_path: Path, artifacts_dir: Path
) -> None:
    seed = parse_seed(SEEDS_DIR / seed_file)
    assert seed.numbering == style
    report = board_report_from_answers(
        report_spec_for(seed), answers_for(seed), report_id=REPORT_ID, revision=2
    )
    pdf = render_part_b_pdf(report, figures, document_date=WHEN)
    text = pdf_text(pdf, tmp_path)

    expected = [
        f"Report: {seed.report_number}",
        "Report for the Domestic and Sexual Violence Board",
        seed.borough,
        seed.date_text,
    ]
    paragraphs = 0
    for s_index, section in enumerate(seed.sections, start=1):
        digits = section.number.removeprefix("B")
        expected.append(f"{section.number}: {section.title}" if section.number else section.title)
        running = 0
        for q_index, question in enumerate(section.questions, start=1):
            if question.prompt:
                expected.append(_flat(question.prompt))
            if not question.paragraphs:
                expected.append(f"Nothing to report: {ANSWERED_ELSEWHERE}")
            for p_index, paragraph in enumerate(question.paragraphs, start=1):
                running += 1
                paragraphs += 1
                if paragraph.heading:
                    expected.append(_flat(paragraph.heading))
                if not digits:
                    number = ""
                elif style == "by_question":
                    number = f"{digits}.{q_index}.{p_index}"
                else:
                    number = f"{digits}.{running}"
                expected.append(_flat(f"{number} {paragraph.text}"))
        assert s_index
    assert paragraphs > 50
    _assert_in_order(text, expected)
    pages = render_pages(pdf, artifacts_dir, f"board_part_b_{seed.borough.lower()}")
    assert len(pages) >= 8


def test_numbering_styles_follow_the_sections() -> None:
    q1 = ReportQuestion("q1", "First?", (ReportParagraph("a"), ReportParagraph("b")))
    q2 = ReportQuestion("q2", "Second?", (ReportParagraph("c"),))
    q3 = ReportQuestion("q3", "Third?", nothing_to_report=True, nothing_reason="none")
    q4 = ReportQuestion("q4", "Fourth?", (ReportParagraph("d"),))
    sections = (
        ReportSection("b2", "B2", "Policy", (q1, q2, q3, q4)),
        ReportSection("ed", "", "Equality", (q1,)),
    )
    by_section = BoardReport(ReportHeader("id", 1), sections)
    assert [n.number for n in numbered_paragraphs(by_section)] == ["2.1", "2.2", "2.3", "2.4", "", ""]
    by_question = BoardReport(ReportHeader("id", 1, numbering=BY_QUESTION), sections)
    assert [n.number for n in numbered_paragraphs(by_question)] == [
        "2.1.1",
        "2.1.2",
        "2.2.1",
        "2.4.1",
        "",
        "",
    ]


def test_part_a_tokens_resolve_and_unknown_ones_are_found(figures: dict[str, str]) -> None:
    text = "Completion {{partA.completion_rate}}, {{ partA.marac.referrals }} referrals, {{partA.nope}}."
    resolved = resolve_tokens(text, figures)
    assert figures["completion_rate"] in resolved and "{{" not in resolved
    assert f"{figures['marac.referrals']} referrals" in resolved
    assert "[unknown Part A figure 'nope']" in resolved
    report = BoardReport(
        ReportHeader("id", 1),
        (ReportSection("b1", "B1", "Intro", (ReportQuestion("q", "", (ReportParagraph(text),)),)),),
    )
    assert unresolved_tokens(report, figures) == [("q", "nope")]


def test_tokens_are_resolved_in_the_pdf(figures: dict[str, str], tmp_path: Path) -> None:
    report = BoardReport(
        ReportHeader("id", 1, report_number="7", borough="Hackney"),
        (
            ReportSection(
                "b2",
                "B2",
                "Policy",
                (
                    ReportQuestion(
                        "q",
                        "How?",
                        (
                            ReportParagraph(
                                "124D completion this period: {{partA.completion_rate}}; MARAC referrals {{partA.marac.referrals}}."
                            ),
                        ),
                    ),
                ),
            ),
        ),
    )
    text = pdf_text(render_part_b_pdf(report, figures, document_date=WHEN), tmp_path)
    assert (
        f"124D completion this period: {figures['completion_rate']}; MARAC referrals {figures['marac.referrals']}."
        in text
    )


def _spec_with_tags() -> FormSpec:
    board = lambda role: (Tag("board", role),)  # noqa: E731
    page = Page(
        "p",
        "Q",
        (
            Question(
                "paras",
                QuestionType.REPEAT,
                "The question?",
                tags=board("paragraphs"),
                fields=(
                    Question("sub", QuestionType.TEXT, "Sub", tags=board("heading")),
                    Question("body", QuestionType.LONGTEXT, "Text", tags=board("text")),
                ),
            ),
            Question("none", QuestionType.YESNO, "Nothing", tags=board("nothing_to_report")),
            Question("why", QuestionType.LONGTEXT, "Why", tags=board("nothing_reason")),
        ),
    )
    head = Page(
        "h",
        "Head",
        (
            Question("bor", QuestionType.TEXT, "Borough", tags=board("borough")),
            Question("style", QuestionType.CHOICE, "Style", tags=board("numbering")),
            Question("figs", QuestionType.REPEAT, "Figures", tags=board("entered_figures")),
            Question("from", QuestionType.DATE, "From", tags=board("period_from")),
            Question("to", QuestionType.DATE, "To", tags=board("period_to")),
        ),
    )
    return FormSpec(
        "r", "1", "Report", (Section("h", "Head", (head,)), Section("b3", "Partnership", (page,), number="3"))
    )


def test_report_model_comes_from_tagged_questions_not_ids() -> None:
    answers: dict[str, Any] = {
        "bor": "Camden",
        "style": "by_question",
        "from": "2010-04-01",
        "to": "2010-09-30",
        "paras": [{"sub": "Funding", "body": "Text one"}, {"sub": "", "body": "Text two"}, {"body": ""}],
        "figs": [{"figure": "DV homicides", "value": "0", "source": "CRIS", "note": "12 months"}],
    }
    report = board_report_from_answers(_spec_with_tags(), answers, report_id="r", revision=3)
    assert report.header.borough == "Camden" and report.header.numbering == "by_question"
    assert report.header.period is not None and report.header.period.start.isoformat() == "2010-04-01"
    (section,) = report.sections
    assert section.heading == "3. Partnership"
    assert [(p.heading, p.text) for p in section.questions[0].paragraphs] == [
        ("Funding", "Text one"),
        ("", "Text two"),
    ]
    assert report.entered == (EnteredFigure("DV homicides", "0", "CRIS (12 months)"),)
    nothing = board_report_from_answers(
        _spec_with_tags(), {"none": "yes", "why": "No cases."}, report_id="r", revision=1
    )
    assert nothing.sections[0].questions[0].nothing_to_report
    assert nothing.header.numbering == "by_section"  # unanswered: the default


def test_shipped_report_form_drives_the_renderer(figures: dict[str, str], tmp_path: Path) -> None:
    """forms/dsvb_report.yaml, once loadable, yields every question page as a report question."""
    from dsvdesk.engine import loader

    spec = loader.load_form(Path(__file__).resolve().parents[3] / "forms" / "dsvb_report.yaml")
    paragraph_questions = [q for _s, _p, q in spec.iter_questions() if q.tag_value("board") == "paragraphs"]
    assert len(paragraph_questions) >= 17  # B1, B2 x3, B3 x4, B4 x3, B5 x6, E&D
    answers = {
        q.id: [{f.id: f"Answer to {q.id}" for f in q.fields if f.tag_value("board") == "text"}]
        for q in paragraph_questions
    }
    report = board_report_from_answers(spec, answers, report_id=REPORT_ID, revision=1)
    assert sum(len(s.questions) for s in report.sections) == len(paragraph_questions)
    text = pdf_text(render_part_b_pdf(report, figures, document_date=WHEN), tmp_path)
    _assert_in_order(text, [f"Answer to {q.id}" for q in paragraph_questions])


def test_part_b_is_deterministic_and_embeds_only_dejavu(figures: dict[str, str], tmp_path: Path) -> None:
    seed = parse_seed(SEEDS_DIR / HILLINGDON)
    report = board_report_from_answers(
        report_spec_for(seed), answers_for(seed), report_id=REPORT_ID, revision=1
    )
    first = render_part_b_pdf(report, figures, document_date=WHEN)
    assert first == render_part_b_pdf(report, figures, document_date=WHEN)
    _assert_only_embedded_fonts(first, tmp_path)


def _assert_only_embedded_fonts(pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([_tool("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    assert all(" yes yes " in row for row in rows), out  # embedded and subset
    assert "Helvetica" not in out and "Times" not in out


def test_non_latin_text_uses_the_cjk_face(figures: dict[str, str], tmp_path: Path) -> None:
    report = BoardReport(
        ReportHeader("id", 1, borough="Tower Hamlets", authors=("DS 王小明, CSU",)),
        (
            ReportSection(
                "b1",
                "B1",
                "Introduction",
                (ReportQuestion("q", "", (ReportParagraph("Victims speak 中文, Ελληνικά, Русский."),)),),
            ),
        ),
    )
    pdf = render_part_b_pdf(report, figures, document_date=WHEN)
    text = pdf_text(pdf, tmp_path)
    assert "中文" in text and "Ελληνικά" in text and "王小明" in text
    _assert_only_embedded_fonts(pdf, tmp_path)


def test_part_a_pdf_marks_entered_figures_and_draws_charts(tmp_path: Path, artifacts_dir: Path) -> None:
    entered = [
        EnteredFigure("DV sanction detections", "55.5%", "CRIS"),
        EnteredFigure("CAD calls (type 29)", "4,368", "CAD"),
    ]
    part_a = compute_part_a(build_rows(), PERIOD, entered, vocabulary=VOCABULARY)
    header = ReportHeader(REPORT_ID, 2, report_number="3", borough="Islington", period=PERIOD)
    pdf = render_part_a_pdf(part_a, header, document_date=WHEN)
    text = pdf_text(pdf, tmp_path)
    assert part_a.message in text
    _assert_in_order(
        text,
        [
            "Approved 124D records",
            str(part_a.records),
            "Completion rate",
            part_a.figure_map()["completion_rate"],
        ],
    )
    _assert_in_order(
        text,
        [
            "Figures entered by hand",
            "✎ DV sanction detections",
            "55.5%",
            "CRIS",
            "✎ CAD calls (type 29)",
            "4,368",
            "CAD",
        ],
    )
    for title in (
        "Approved 124D records by month of incident",
        "Risk grade of approved records",
        "DASH 'yes' answers per approved record",
        "MARAC referrals and arrests by month",
    ):
        assert title in text
    assert "Diversity of victims" in text and "Aged 16–35" in text
    _assert_only_embedded_fonts(pdf, tmp_path)
    assert pdf == render_part_a_pdf(part_a, header, document_date=WHEN)
    assert len(render_pages(pdf, artifacts_dir, "board_part_a")) >= 3


def test_part_a_pdf_for_an_empty_period(tmp_path: Path, artifacts_dir: Path) -> None:
    part_a = compute_part_a([], PERIOD, vocabulary=VOCABULARY)
    pdf = render_part_a_pdf(
        part_a, ReportHeader(REPORT_ID, 1, borough="Islington", period=PERIOD), document_date=WHEN
    )
    text = pdf_text(pdf, tmp_path)
    assert "No records in this period." in text
    assert "n/a" in text
    render_pages(pdf, artifacts_dir, "board_part_a_empty")
