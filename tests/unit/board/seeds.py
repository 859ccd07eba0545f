"""The two published sample Board reports as test data: tests/data/board_reports/*.json.

The reports (Islington, 29 September 2010; Hillingdon, 16 November 2010) were published by the
Metropolitan Police Authority. The test data keeps their facts — borough, report number, date, paragraph
numbering as printed (irregular: a duplicated 2.18 ...), sections, Board questions, sub-headings — and of
each paragraph a short quotation (its first 15 words) and its length in words. `parse_seed` rebuilds a
paragraph of the published length from its quotation plus neutral filler words, so the renderer lays out
text of the real size (page breaks, numbering) without the repository holding the reports' text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec

SEEDS_DIR = Path(__file__).resolve().parents[2] / "data" / "board_reports"
ISLINGTON = "islington.json"
HILLINGDON = "hillingdon.json"
ELLIPSIS = " …"
# Stands in for the rest of a paragraph beyond its quotation (same number of words as published).
FILLER = (
    "the board heard how officers and partners worked together on each case to keep victims safe and "
    "hold perpetrators to account with support from specialist services across the borough"
).split()


@dataclass
class SeedParagraph:
    text: str
    heading: str = ""
    number: str = ""  # as printed in the sample (may be irregular)


@dataclass
class SeedQuestion:
    prompt: str
    paragraphs: list[SeedParagraph] = field(default_factory=list)


@dataclass
class SeedSection:
    number: str  # "B2", or "" for the Equality and Diversity statement
    title: str
    questions: list[SeedQuestion] = field(default_factory=list)


@dataclass
class SeedReport:
    borough: str
    report_number: str
    date_text: str
    sections: list[SeedSection]

    @property
    def numbering(self) -> str:
        """by_question when numbered paragraphs carry three parts (2.1.1), else by_section (2.1)."""
        numbers = [p.number for s in self.sections for q in s.questions for p in q.paragraphs if p.number]
        three = sum(n.count(".") == 2 for n in numbers)
        return "by_question" if three > len(numbers) / 2 else "by_section"

    def lines(self) -> list[str]:
        """The report as lines in published order: section headings ("B2: ..."), Board questions,
        sub-headings and paragraphs (numbers left off)."""
        out = [f"{self.borough} report", f"Report: {self.report_number}", f"Date: {self.date_text}"]
        for section in self.sections:
            out.append(f"{section.number}: {section.title}" if section.number else section.title)
            for question in section.questions:
                out += [question.prompt] if question.prompt else []
                for paragraph in question.paragraphs:
                    out += paragraph.heading.splitlines() if paragraph.heading else []
                    out.append(paragraph.text)
        return out


def _restore(quote: str, words: int) -> str:
    """The quotation, then filler words up to the published length."""
    kept = quote.removesuffix(ELLIPSIS).split()
    missing = max(0, words - len(kept))
    return " ".join([*kept, *(FILLER[i % len(FILLER)] for i in range(missing))])


def _heading(paragraph: dict[str, Any]) -> str:
    """A sub-heading as published; a long one (a list run into a heading) restored like a paragraph."""
    heading = paragraph.get("heading", "")
    return _restore(heading, paragraph["heading_words"]) if "heading_words" in paragraph else heading


def parse_seed(path: Path) -> SeedReport:
    """The sample report kept at ``path`` (SEEDS_DIR / ISLINGTON or HILLINGDON)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    sections = [
        SeedSection(
            s["number"],
            s["title"],
            [
                SeedQuestion(
                    q["prompt"],
                    [
                        SeedParagraph(
                            _restore(p["quote"], p["words"]),
                            _heading(p),
                            p.get("number", ""),
                        )
                        for p in q["paragraphs"]
                    ],
                )
                for q in s["questions"]
            ],
        )
        for s in data["sections"]
    ]
    report = SeedReport(data["borough"], data["report_number"], data["date"], sections)
    assert report.numbering == data["numbering"], f"{path}: numbering as published is {data['numbering']}"
    return report


# ------------------------------------------------------------------ the seed as a report form + answers


def report_spec_for(seed: SeedReport) -> FormSpec:
    """A report-form spec with the seed's sections and questions, tagged as docs/architecture.md says
    (the shipped forms/dsvb_report.yaml follows the same contract)."""
    from dsvdesk.engine.spec import Choice, FormSpec, Page, Question, QuestionType, Section, Tag

    def tag(role: str) -> tuple[Tag, ...]:
        return (Tag("board", role),)

    header = Section(
        "header",
        "Report details",
        (
            Page(
                "header_page",
                "Report details",
                (
                    Question("report_number", QuestionType.TEXT, "Report number", tags=tag("report_number")),
                    Question("borough", QuestionType.TEXT, "Borough", tags=tag("borough")),
                    Question("meeting_date", QuestionType.DATE, "Meeting date", tags=tag("meeting_date")),
                    Question("period_from", QuestionType.DATE, "Period from", tags=tag("period_from")),
                    Question("period_to", QuestionType.DATE, "Period to", tags=tag("period_to")),
                    Question(
                        "authors",
                        QuestionType.REPEAT,
                        "Report by",
                        tags=tag("authors"),
                        fields=(
                            Question("rank", QuestionType.TEXT, "Rank"),
                            Question("name", QuestionType.TEXT, "Name"),
                            Question("unit", QuestionType.TEXT, "Unit"),
                        ),
                    ),
                    Question(
                        "numbering",
                        QuestionType.CHOICE,
                        "Paragraph numbering",
                        tags=tag("numbering"),
                        choices=(Choice("by_section", "2.1, 2.2 …"), Choice("by_question", "2.1.1, 2.2.1 …")),
                    ),
                ),
            ),
        ),
    )
    sections = [header]
    for s_index, section in enumerate(seed.sections, start=1):
        pages = []
        for q_index, question in enumerate(section.questions, start=1):
            qid = f"s{s_index}_q{q_index}"
            pages.append(
                Page(
                    f"{qid}_page",
                    question.prompt[:40] or section.title,
                    (
                        Question(
                            qid,
                            QuestionType.REPEAT,
                            question.prompt or section.title,
                            tags=tag("paragraphs"),
                            item_label="Paragraph",
                            fields=(
                                Question(
                                    "heading",
                                    QuestionType.TEXT,
                                    "Sub-heading",
                                    tags=(Tag("board", "heading"),),
                                ),
                                Question(
                                    "text", QuestionType.LONGTEXT, "Paragraph", tags=(Tag("board", "text"),)
                                ),
                            ),
                        ),
                        Question(
                            f"{qid}_nothing",
                            QuestionType.YESNO,
                            "Nothing to report",
                            tags=tag("nothing_to_report"),
                        ),
                        Question(f"{qid}_reason", QuestionType.TEXT, "Why", tags=tag("nothing_reason")),
                    ),
                )
            )
        sections.append(Section(f"sec{s_index}", section.title, tuple(pages), number=section.number))
    return FormSpec(id="dsvb_report_test", version="1", title="Board report", sections=tuple(sections))


ANSWERED_ELSEWHERE = "answered together with the question that follows."


def answers_for(seed: SeedReport) -> dict[str, Any]:
    from datetime import datetime

    answers: dict[str, Any] = {
        "report_number": seed.report_number,
        "borough": seed.borough,
        "meeting_date": datetime.strptime(seed.date_text, "%d %B %Y").date().isoformat(),
        "period_from": "2009-10-01",
        "period_to": "2010-09-30",
        "authors": [
            {"rank": "DI", "name": "Jane Smith", "unit": "CSU"},
            {"rank": "DI", "name": "Łukasz Nowak", "unit": "SCD2"},
        ],
        "numbering": seed.numbering,
    }
    for s_index, section in enumerate(seed.sections, start=1):
        for q_index, question in enumerate(section.questions, start=1):
            qid = f"s{s_index}_q{q_index}"
            if question.paragraphs:
                answers[qid] = [{"heading": p.heading, "text": p.text} for p in question.paragraphs]
            else:
                answers[f"{qid}_nothing"] = "yes"
                answers[f"{qid}_reason"] = ANSWERED_ELSEWHERE
    return answers
