"""What the board-report screens show, worked out without Qt (so it is tested without a window).

Everything is derived with the same core functions the PDF uses (``report_pdf.board_report_from_answers``
and ``report_pdf.numbered_paragraphs``), so the live preview and the exported pack never disagree on a
paragraph number or on which paragraphs count.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.completeness import visible_answers
from dsvdesk.engine.spec import FormSpec, Page, Question, QuestionType
from dsvdesk.export import report_pdf
from dsvdesk.export.report_pdf import (
    TOKEN,
    BoardReport,
    board_report_from_answers,
    numbered_paragraphs,
)

if TYPE_CHECKING:
    from pathlib import Path

    from dsvdesk.engine.casework import CaseworkPolicy
    from dsvdesk.export.board_pack import PackVerification
    from dsvdesk.reporting.pack import PackResult
    from dsvdesk.reporting.parta import PartA, Period
    from dsvdesk.store.models import Session

REPORT_KIND = "report"
BOARD_TAG = "board"
STYLE_LABELS = {
    report_pdf.BY_SECTION: "by section (2.1, 2.2, 2.3 …)",
    report_pdf.BY_QUESTION: "by question (2.1.1, 2.2.1 …)",
}


def token_for(key: str) -> str:
    """The text a paragraph holds to quote a Part A figure (resolved when the pack is exported)."""
    return "{{partA." + key + "}}"


def is_report_form(spec: FormSpec) -> bool:
    """A Board report form: ``options.kind: report``, or (as ``pack`` checks) a form with paragraphs
    tagged ``board: paragraphs``."""
    if str(spec.options.get("kind", "")).lower() == REPORT_KIND:
        return True
    return any(q.tag_value(BOARD_TAG) == report_pdf.ROLE_PARAGRAPHS for _s, _p, q in spec.iter_questions())


def report_forms(forms: Mapping[str, FormSpec]) -> list[FormSpec]:
    return sorted((spec for spec in forms.values() if is_report_form(spec)), key=lambda s: s.title.lower())


def paragraphs_question(page: Page) -> Question | None:
    """The page's paragraphs repeat (``board: paragraphs``), if it is a question page of the report."""
    return next(
        (
            q
            for q in page.questions
            if q.type is QuestionType.REPEAT and q.tag_value(BOARD_TAG) == report_pdf.ROLE_PARAGRAPHS
        ),
        None,
    )


def text_field_id(question: Question) -> str:
    """The paragraph-text field of a paragraphs repeat (``board: text``, else its long-text field)."""
    for field in question.fields:
        if field.tag_value(BOARD_TAG) == "text":
            return field.id
    return next((f.id for f in question.fields if f.type is QuestionType.LONGTEXT), "text")


def build_report(spec: FormSpec, answers: Mapping[str, Any], *, report_id: str, revision: int) -> BoardReport:
    """The report model exactly as the pack export builds it (hidden answers dropped)."""
    return board_report_from_answers(
        spec, visible_answers(spec, answers), report_id=report_id, revision=revision
    )


def report_period(report: BoardReport) -> Period | None:
    return report.header.period


# ------------------------------------------------------------------ the live numbering preview


@dataclass(frozen=True, slots=True)
class PreviewParagraph:
    number: str  # "2.1" / "2.1.1" / "" (unnumbered section)
    heading: str
    text: str


@dataclass(frozen=True, slots=True)
class QuestionPreview:
    question_id: str
    section_heading: str  # "B2: Partnership working"
    number: str  # the question's number as printed ("B2.1")
    prompt: str  # the Board's question in full
    paragraphs: tuple[PreviewParagraph, ...]
    nothing_to_report: bool
    nothing_reason: str


@dataclass(frozen=True, slots=True)
class ReportPreview:
    style: str  # by_section | by_question
    questions: tuple[QuestionPreview, ...]  # in reading order

    @property
    def style_label(self) -> str:
        return STYLE_LABELS.get(self.style, self.style)

    def for_question(self, question_id: str) -> QuestionPreview | None:
        return next((q for q in self.questions if q.question_id == question_id), None)

    def numbers(self) -> list[str]:
        return [p.number for q in self.questions for p in q.paragraphs]


def report_preview(spec: FormSpec, report: BoardReport) -> ReportPreview:
    """Each question of the report with its paragraphs numbered by ``report_pdf.numbered_paragraphs``."""
    numbered: dict[str, list[PreviewParagraph]] = {}
    for item in numbered_paragraphs(report):
        numbered.setdefault(item.question.id, []).append(
            PreviewParagraph(item.number, item.paragraph.heading, item.paragraph.text)
        )
    questions: list[QuestionPreview] = []
    for section in report.sections:
        for question in section.questions:
            try:
                number = spec.question(question.id).number or ""
            except KeyError:
                number = ""
            label = question.prompt
            if not label:  # a free narrative (its label is the section title): show the label anyway
                try:
                    label = spec.question(question.id).label
                except KeyError:
                    label = ""
            questions.append(
                QuestionPreview(
                    question_id=question.id,
                    section_heading=section.heading,
                    number=number,
                    prompt=label,
                    paragraphs=tuple(numbered.get(question.id, ())),
                    nothing_to_report=question.nothing_to_report,
                    nothing_reason=question.nothing_reason,
                )
            )
    return ReportPreview(report.header.numbering, tuple(questions))


@dataclass(frozen=True, slots=True)
class Progress:
    answered: int  # question pages with a paragraph or marked nothing to report (with a reason)
    total: int
    outstanding: tuple[str, ...]  # numbers (or titles) of the questions still to answer

    @property
    def text(self) -> str:
        if self.total == 0:
            return ""
        if self.answered == self.total:
            every = "The question is" if self.total == 1 else f"All {self.total} questions are"
            return f"{every} answered or marked nothing to report."
        return f"{self.answered} of {self.total} questions answered or marked nothing to report."


def progress(spec: FormSpec, preview: ReportPreview) -> Progress:
    total, answered, outstanding = 0, 0, []
    for page in spec.pages:
        question = paragraphs_question(page)
        if question is None:
            continue
        total += 1
        shown = preview.for_question(question.id)
        done = shown is not None and (
            bool(shown.paragraphs) or (shown.nothing_to_report and bool(shown.nothing_reason))
        )
        if done:
            answered += 1
        else:
            outstanding.append(question.number or page.title)
    return Progress(answered, total, tuple(outstanding))


# ------------------------------------------------------------------ tokens in text


@dataclass(frozen=True, slots=True)
class TextPiece:
    text: str
    kind: str  # "text" | "figure" (a resolved token) | "unknown" (a key with no figure) | "pending"
    key: str = ""


def split_tokens(text: str, figures: Mapping[str, str] | None) -> list[TextPiece]:
    """The text cut at its ``{{partA.key}}`` tokens, each resolved as ``report_pdf.resolve_tokens`` would
    (``figures`` None: not computed yet, the token is shown as "pending")."""
    pieces: list[TextPiece] = []
    position = 0
    for match in TOKEN.finditer(text):
        if match.start() > position:
            pieces.append(TextPiece(text[position : match.start()], "text"))
        key = match.group(1)
        if figures is None:
            pieces.append(TextPiece(match.group(0), "pending", key))
        elif key in figures:
            pieces.append(TextPiece(figures[key], "figure", key))
        else:
            pieces.append(TextPiece(report_pdf.resolve_tokens(match.group(0), {}), "unknown", key))
        position = match.end()
    if position < len(text):
        pieces.append(TextPiece(text[position:], "text"))
    return pieces


def has_tokens(report: BoardReport) -> bool:
    return any(
        TOKEN.search(t)
        for section in report.sections
        for question in section.questions
        for t in (
            question.prompt,
            question.nothing_reason,
            *(x for p in question.paragraphs for x in (p.heading, p.text)),
        )
    )


@dataclass(frozen=True, slots=True)
class FigureChoice:
    key: str
    group: str
    label: str
    value: str
    computed: bool
    source: str

    @property
    def token(self) -> str:
        return token_for(self.key)

    def matches(self, words: Sequence[str]) -> bool:
        haystack = f"{self.key} {self.group} {self.label} {self.value}".lower()
        return all(word in haystack for word in words)


def figure_choices(part_a: PartA) -> list[FigureChoice]:
    """Every Part A figure that a paragraph can quote, in the Part A PDF's reading order."""
    return [FigureChoice(f.key, f.group, f.label, f.value, f.computed, f.source) for f in part_a.figures()]


def search_words(text: str) -> list[str]:
    return [w for w in re.split(r"\s+", text.lower().strip()) if w]


# ------------------------------------------------------------------ work done on a worker thread


def compute_part_a(
    db_path: Path, session: Session, period: Period, spec: FormSpec, casework: CaseworkPolicy | None = None
) -> PartA:
    """Part A for the period (records of the form `spec`, and with `casework` the Victims' Code and
    referral figures of the period's cases) through a connection of this (worker) thread's own."""
    from dsvdesk.reporting.pack import part_a_from_store
    from dsvdesk.store import Store

    store = Store.open(db_path)
    try:
        return part_a_from_store(store, session, period, spec=spec, casework=casework)
    finally:
        store.close()


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    result: PackResult
    verification: PackVerification


def export_and_verify(
    db_path: Path,
    session: Session,
    report_id: str,
    folder: Path,
    *,
    password: str,
    specs: Mapping[str, FormSpec],
    justification: str,
) -> ExportOutcome:
    """Export the pack (the core checks, computes, signs, logs the disclosure, writes), then verify the
    zip against the trust anchors held in the database (never anything inside the pack)."""
    from dsvdesk.export.board_pack import verify_pack
    from dsvdesk.reporting.pack import export_board_pack
    from dsvdesk.store import Store

    store = Store.open(db_path)
    try:
        result = export_board_pack(
            store, session, report_id, folder, password=password, specs=specs, justification=justification
        )
        anchors = store.trust_anchors()
    finally:
        store.close()
    verification = verify_pack(
        result.zip_path, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
    )
    return ExportOutcome(result, verification)
