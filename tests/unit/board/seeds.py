"""Parse the two sample Board reports (../shared/seeds/) into sections, questions and paragraphs.

The published texts are irregular (a duplicated 2.18, "4.6The", unnumbered lines continuing a numbered
paragraph, short lines that are sub-headings or list items), so the parser keeps every line's text, in
order, and only decides where it belongs: a new section, a Board question, a sub-heading, a new
paragraph, or the continuation of the paragraph before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec

SEEDS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "seeds"
ISLINGTON = "000_c5925a1237745d62.txt"
HILLINGDON = "003_a73eabbcef8e4985.txt"

_SECTION = re.compile(r"^B(\d):\s*(.+)$")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)+)\.?\s*")
_END = "Send an e-mail linking to this page"
_SHORT = 80


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


def parse_seed(path: Path) -> SeedReport:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    borough = next(line.removesuffix(" report") for line in lines if line.endswith(" report"))
    report_number = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Report:"))
    date_text = next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Date:"))
    start = next(i for i, line in enumerate(lines) if _SECTION.match(line))
    sections: list[SeedSection] = []
    pending_heading: list[str] = []
    for line in lines[start:]:
        if line.startswith(_END):
            break
        if not line:
            continue
        section_match = _SECTION.match(line)
        if section_match:
            sections.append(SeedSection(f"B{section_match.group(1)}", section_match.group(2).strip()))
            pending_heading = []
            continue
        if line.rstrip(".").lower().startswith("equality and diversity") and len(line) < _SHORT:
            sections.append(SeedSection("", line.rstrip(".")))
            pending_heading = []
            continue
        section = sections[-1]
        number_match = _NUMBER.match(line)
        number = number_match.group(1) if number_match else ""
        text = line[number_match.end() :] if number_match else line
        if (number and text.endswith("?")) or (
            not number and "?" in text and len(text) > 40 and text[0].isupper() and _looks_like_question(text)
        ):
            section.questions.append(SeedQuestion(text))
            pending_heading = []
            continue
        if not section.questions:
            section.questions.append(SeedQuestion(""))  # free narrative (B1, the statement)
        question = section.questions[-1]
        numbered_section = any(p.number for q in section.questions for p in q.paragraphs) or bool(number)
        if number:
            question.paragraphs.append(SeedParagraph(text, "\n".join(pending_heading), number))
            pending_heading = []
        elif numbered_section and len(text) < _SHORT and not text.endswith((".", ";")):
            pending_heading.append(text)  # a sub-heading or a short list line before the next paragraph
        elif numbered_section and question.paragraphs and not pending_heading:
            question.paragraphs[-1].text += "\n" + text
        else:
            question.paragraphs.append(SeedParagraph(text, "\n".join(pending_heading)))
            pending_heading = []
    if pending_heading:  # short lines at the very end of a section: keep them as a last paragraph
        sections[-1].questions[-1].paragraphs.append(SeedParagraph("\n".join(pending_heading)))
    return SeedReport(borough, report_number, date_text, sections)


_QUESTION_STARTS = ("How ", "What ", "Where ", "Are ", "Is ", "Has ", "Have ", "Does ", "Do ")


def _looks_like_question(text: str) -> bool:
    return text.startswith(_QUESTION_STARTS)


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
