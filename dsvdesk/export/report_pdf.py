"""The Board report's two PDFs: Part B (the written report) and Part A (figures, tables and charts).

Part B is driven by the report form's `FormSpec`: its sections, their `number`s and the questions
tagged `board: ...` (see docs/architecture.md, "Board report"); no code here knows the form by name.
`board_report_from_answers` turns a spec plus answers into a plain `BoardReport`; the renderers only
see that model, so tests and other tools can build one directly.

Paragraph numbering follows the report's chosen style: by section (2.1, 2.2 … straight through a
section, as Islington numbers) or by question (2.1.1, 2.2.1 …, as Hillingdon numbers). Part A figures
quoted in paragraph text as `{{partA.<key>}}` are resolved at export from the computed figures.

Both PDFs are deterministic for the same inputs (reportlab `invariant=1`, creation date from the
caller), embed only DejaVu/WenQuanYi (never base-14 Helvetica), carry the protective marking in header
and footer with "Page x of y", and leave the author's signature box free at the foot of the last page
(`signing.OFFICER_FIELD` geometry, so `signing.sign_pdf` signs into it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.vocabulary import AGE_OTHER
from dsvdesk.export import fonts
from dsvdesk.reporting.parta import EnteredFigure, PartA, Period, as_date, format_day

if TYPE_CHECKING:
    from reportlab.platypus import Flowable

    from dsvdesk.engine.spec import FormSpec, Question

BY_SECTION = "by_section"
BY_QUESTION = "by_question"
NUMBERING_STYLES = (BY_SECTION, BY_QUESTION)
BOARD_TITLE = "Report for the Domestic and Sexual Violence Board"
DEFAULT_MARKING = "OFFICIAL-SENSITIVE"
# The signature box the author signs (left box of the record PDF's geometry; see pdf.SIGNATURE_BOXES).
AUTHOR_FIELD = "OfficerSignature"

# `{{partA.key}}` with optional spaces; keys are figure keys of `PartA.figures()` (dots, letters, digits).
TOKEN = re.compile(r"\{\{\s*partA\.([A-Za-z0-9_.\-]+)\s*\}\}")

# Roles a report-form question plays, as the value of its `board` tag (docs/architecture.md).
ROLE_REPORT_NUMBER = "report_number"
ROLE_BOROUGH = "borough"
ROLE_MEETING_DATE = "meeting_date"
ROLE_PERIOD_FROM = "period_from"
ROLE_PERIOD_TO = "period_to"
ROLE_AUTHORS = "authors"
ROLE_NUMBERING = "numbering"
ROLE_PARAGRAPHS = "paragraphs"
ROLE_NOTHING = "nothing_to_report"
ROLE_NOTHING_REASON = "nothing_reason"
ROLE_ENTERED = "entered_figures"
HEADER_ROLES = (
    ROLE_REPORT_NUMBER,
    ROLE_BOROUGH,
    ROLE_MEETING_DATE,
    ROLE_PERIOD_FROM,
    ROLE_PERIOD_TO,
    ROLE_AUTHORS,
    ROLE_NUMBERING,
    ROLE_ENTERED,
)


# ------------------------------------------------------------------ the report model


@dataclass(frozen=True, slots=True)
class ReportParagraph:
    text: str
    heading: str = ""  # optional sub-heading printed above the paragraph ("Risk assessment")


@dataclass(frozen=True, slots=True)
class ReportQuestion:
    id: str
    prompt: str  # the Board's question in full ("" for free narrative such as B1)
    paragraphs: tuple[ReportParagraph, ...] = ()
    nothing_to_report: bool = False
    nothing_reason: str = ""


@dataclass(frozen=True, slots=True)
class ReportSection:
    id: str
    number: str  # "B2" / "2" / "" (an unnumbered statement: its paragraphs are not numbered)
    title: str
    questions: tuple[ReportQuestion, ...]

    @property
    def paragraph_base(self) -> str:
        """The number paragraphs start from: the digits of the section number ("B2" -> "2")."""
        digits = re.findall(r"\d+", self.number)
        return ".".join(digits)

    @property
    def heading(self) -> str:
        """'B2: Title' as the Board prints it; a bare number reads '2. Title'; no number, the title."""
        if not self.number:
            return self.title
        return f"{self.number}: {self.title}" if self.number[0].isalpha() else f"{self.number}. {self.title}"


@dataclass(frozen=True, slots=True)
class ReportHeader:
    report_id: str  # UUID of the report record
    revision: int
    report_number: str = ""
    borough: str = ""
    meeting_date: date | None = None
    period: Period | None = None
    authors: tuple[str, ...] = ()  # "DI Jane Smith, CSU"
    numbering: str = BY_SECTION
    marking: str = DEFAULT_MARKING
    title: str = BOARD_TITLE

    @property
    def reference(self) -> str:
        parts = [f"Report {self.report_number}" if self.report_number else "Board report"]
        if self.borough:
            parts.append(self.borough)
        parts.append(f"r{self.revision}")
        return " · ".join(parts)


@dataclass(frozen=True, slots=True)
class BoardReport:
    header: ReportHeader
    sections: tuple[ReportSection, ...]
    entered: tuple[EnteredFigure, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class NumberedParagraph:
    section: ReportSection
    question: ReportQuestion
    paragraph: ReportParagraph
    number: str  # "" when the section is unnumbered


def numbered_paragraphs(report: BoardReport) -> Iterator[NumberedParagraph]:
    """Every paragraph in reading order with its number in the report's style."""
    for section in report.sections:
        base = section.paragraph_base
        running = 0
        for q_index, question in enumerate(section.questions, start=1):
            if question.nothing_to_report:
                continue
            for p_index, paragraph in enumerate(question.paragraphs, start=1):
                running += 1
                if not base:
                    number = ""
                elif report.header.numbering == BY_QUESTION:
                    number = f"{base}.{q_index}.{p_index}"
                else:
                    number = f"{base}.{running}"
                yield NumberedParagraph(section, question, paragraph, number)


# ------------------------------------------------------------------ Part A tokens


def find_tokens(text: str) -> list[str]:
    return TOKEN.findall(text)


def resolve_tokens(text: str, figures: Mapping[str, str]) -> str:
    """Replace `{{partA.key}}` by the figure's value; an unknown key stays visible, marked."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        return figures.get(key, f"[unknown Part A figure '{key}']")

    return TOKEN.sub(value, text)


def unresolved_tokens(report: BoardReport, figures: Mapping[str, str]) -> list[tuple[str, str]]:
    """(question id, key) for every `{{partA.key}}` in the report that has no figure."""
    missing: list[tuple[str, str]] = []
    for section in report.sections:
        for question in section.questions:
            texts = [question.prompt, question.nothing_reason]
            texts += [t for p in question.paragraphs for t in (p.heading, p.text)]
            for text in texts:
                missing += [(question.id, key) for key in find_tokens(text) if key not in figures]
    return missing


# ------------------------------------------------------------------ from the report form's answers


def _role(question: Question) -> str | None:
    value = question.tag_value("board")
    return value or None


def _has_long_text(question: Question) -> bool:
    from dsvdesk.engine.spec import QuestionType

    return question.type == QuestionType.REPEAT and any(
        f.type == QuestionType.LONGTEXT for f in question.fields
    )


def _paragraph_field_ids(question: Question) -> tuple[str | None, str]:
    """(sub-heading field id, text field id) of a paragraphs repeat: by `board` tag, else by type."""
    from dsvdesk.engine.spec import QuestionType

    heading = next((f.id for f in question.fields if f.tag_value("board") == "heading"), None)
    text = next((f.id for f in question.fields if f.tag_value("board") == "text"), None)
    if text is None:
        text = next((f.id for f in question.fields if f.type == QuestionType.LONGTEXT), "text")
    if heading is None:
        heading = next((f.id for f in question.fields if f.type == QuestionType.TEXT and f.id != text), None)
    return heading, text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value).strip()


def _author_line(item: Any) -> str:
    if isinstance(item, Mapping):
        rank = _text(item.get("rank"))
        name = _text(item.get("name"))
        unit = _text(item.get("unit"))
        others = [_text(v) for k, v in item.items() if k not in {"rank", "name", "unit"} and _text(v)]
        who = " ".join(p for p in (rank, name) if p)
        return ", ".join(p for p in (who, unit, *others) if p)
    return _text(item)


def _entered_fields(question: Question | None) -> dict[str, str]:
    """Field id per part of an entered figure (figure, value, source, note): by `board` tag, else by id."""
    fields = {"figure": "figure", "value": "value", "source": "source", "note": "note"}
    for f in question.fields if question is not None else ():
        role = f.tag_value("board")
        if role in fields:
            fields[role] = f.id
    return fields


def _entered_figure(item: Mapping[str, Any], fields: Mapping[str, str]) -> EnteredFigure:
    """One row of the report's hand-entered Part A figures (figure, value, source, optional note)."""
    source = _text(item.get(fields["source"]))
    note = _text(item.get(fields["note"]))
    if note:
        source = f"{source} ({note})" if source else note
    return EnteredFigure(
        name=_text(item.get(fields["figure"])), value=_text(item.get(fields["value"])), source=source
    )


def _find_by_role(spec: FormSpec, role: str) -> Question | None:
    for _s, _p, q in spec.iter_questions():
        if _role(q) == role:
            return q
    for _s, _p, q in spec.iter_questions():  # forms without tags: the conventional ids
        if q.id == role:
            return q
    return None


def board_report_from_answers(
    spec: FormSpec,
    answers: Mapping[str, Any],
    *,
    report_id: str,
    revision: int,
    marking: str | None = None,
) -> BoardReport:
    """The report model from a report-form spec and its (visible) answers."""

    def answer(role: str) -> Any:
        question = _find_by_role(spec, role)
        return answers.get(question.id) if question is not None else None

    numbering = _text(answer(ROLE_NUMBERING)) or str(spec.options.get("numbering", BY_SECTION))
    if numbering not in NUMBERING_STYLES:
        numbering = BY_SECTION
    start, end = as_date(answer(ROLE_PERIOD_FROM)), as_date(answer(ROLE_PERIOD_TO))
    period = Period(start, end) if start and end and start <= end else None
    authors_value = answer(ROLE_AUTHORS)
    authors = tuple(
        line
        for line in (_author_line(a) for a in (authors_value if isinstance(authors_value, list) else []))
        if line
    )
    header = ReportHeader(
        report_id=report_id,
        revision=revision,
        report_number=_text(answer(ROLE_REPORT_NUMBER)),
        borough=_text(answer(ROLE_BOROUGH)),
        meeting_date=as_date(answer(ROLE_MEETING_DATE)),
        period=period,
        authors=authors,
        numbering=numbering,
        marking=marking or spec.marking or DEFAULT_MARKING,
    )

    sections: list[ReportSection] = []
    for section in spec.sections:
        questions: list[ReportQuestion] = []
        for page in section.pages:
            paragraph_questions = [
                q
                for q in page.questions
                if _role(q) == ROLE_PARAGRAPHS or (_role(q) is None and _has_long_text(q))
            ]
            if not paragraph_questions:
                continue
            nothing_q = next((q for q in page.questions if _role(q) == ROLE_NOTHING), None)
            reason_q = next((q for q in page.questions if _role(q) == ROLE_NOTHING_REASON), None)
            nothing = nothing_q is not None and _text(answers.get(nothing_q.id)).lower() in {"yes", "true"}
            reason = _text(answers.get(reason_q.id)) if reason_q is not None else ""
            for question in paragraph_questions:
                heading_id, text_id = _paragraph_field_ids(question)
                items = answers.get(question.id)
                paragraphs = []
                for item in items if isinstance(items, list) else []:
                    if not isinstance(item, Mapping):
                        continue
                    text = _text(item.get(text_id))
                    heading = _text(item.get(heading_id)) if heading_id else ""
                    if text or heading:
                        paragraphs.append(ReportParagraph(text=text, heading=heading))
                prompt = (
                    question.label if question.label.strip().lower() != section.title.strip().lower() else ""
                )
                questions.append(
                    ReportQuestion(
                        id=question.id,
                        prompt=prompt,
                        paragraphs=tuple(paragraphs),
                        nothing_to_report=nothing,
                        nothing_reason=reason,
                    )
                )
        if questions:
            sections.append(ReportSection(section.id, section.number, section.title, tuple(questions)))

    entered_value = answer(ROLE_ENTERED)
    entered_fields = _entered_fields(_find_by_role(spec, ROLE_ENTERED))
    entered = [
        _entered_figure(item, entered_fields)
        for item in (entered_value if isinstance(entered_value, list) else [])
        if isinstance(item, Mapping) and _text(item.get(entered_fields["figure"]))
    ]
    return BoardReport(header, tuple(sections), tuple(entered))


# ------------------------------------------------------------------ shared layout


def _layout() -> Any:
    """The page template's palette (`pdf_layout`), imported on first render only: every DSVDesk PDF has
    the same colours and there is no second copy of them here."""
    from dsvdesk.export import pdf_layout

    return pdf_layout


def _styles() -> dict[str, Any]:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle

    palette = _layout()
    base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9.5, leading=12.5, splitLongWords=True)
    return {
        "body": base,
        "para": ParagraphStyle(
            "para", parent=base, leftIndent=34, bulletIndent=0, spaceAfter=5, bulletFontName=fonts.REGULAR
        ),
        "subheading": ParagraphStyle(
            "subheading", parent=base, fontName=fonts.BOLD, spaceBefore=5, spaceAfter=3
        ),
        "prompt": ParagraphStyle(
            "prompt",
            parent=base,
            fontName=fonts.BOLD_ITALIC,
            spaceBefore=7,
            spaceAfter=5,
            textColor=palette.SECTION_BLUE,
        ),
        "nothing": ParagraphStyle("nothing", parent=base, fontName=fonts.ITALIC, leftIndent=34, spaceAfter=5),
        "missing": ParagraphStyle(
            "missing", parent=base, fontName=fonts.BOLD, textColor=palette.ENTERED_TEXT, leftIndent=34
        ),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.BOLD, fontSize=15, leading=19, spaceAfter=4
        ),
        "report_no": ParagraphStyle(
            "report_no", parent=base, fontName=fonts.BOLD, fontSize=12, leading=15, spaceAfter=2
        ),
        "section": ParagraphStyle(
            "section", parent=base, fontName=fonts.BOLD, fontSize=12, leading=15, textColor=colors.white
        ),
        "group": ParagraphStyle(
            "group",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
            textColor=palette.SECTION_BLUE,
        ),
        "th": ParagraphStyle("th", parent=base, fontName=fonts.BOLD, fontSize=8, leading=10),
        "td": ParagraphStyle("td", parent=base, fontSize=8, leading=10),
        "td_right": ParagraphStyle("td_right", parent=base, fontSize=8, leading=10, alignment=2),
        "td_entered": ParagraphStyle(
            "td_entered",
            parent=base,
            fontSize=8,
            leading=10,
            fontName=fonts.ITALIC,
            textColor=palette.ENTERED_TEXT,
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=palette.TEXT_MID),
        "notice": ParagraphStyle(
            "notice", parent=base, fontName=fonts.BOLD, fontSize=11, leading=14, spaceBefore=10
        ),
    }


def _p(text: str, style: Any) -> Any:
    return fonts.paragraph(text, style)


def _table_style(extra: Sequence[tuple[Any, ...]] = ()) -> Any:
    from dsvdesk.export.pdf_layout import grid_style

    return grid_style(extra)


def _build(
    story: list[Flowable],
    *,
    header: ReportHeader,
    document_title: str,
    document_date: datetime,
    signature_label: str,
) -> bytes:
    """Lay out `story` on the shared page template: marking, references and "Page x of y" on every page,
    the author's signature box (the record PDF's officer box) on the last."""
    from dsvdesk.export.page import SIGNATURE_BOXES
    from dsvdesk.export.pdf_layout import (
        DocumentInfo,
        PageFurniture,
        build_document,
        end_with_signatures,
        header_safe,
    )

    furniture = PageFurniture(
        marking=header_safe(header.marking),
        header_left=header_safe(f"{document_title} · {header.reference}"),
        header_left_width=_frame_width(),
        footer_left=header_safe(f"Board report {header.report_id} · revision {header.revision}"),
        document_date=document_date,
        last_page_boxes=((signature_label, SIGNATURE_BOXES[AUTHOR_FIELD]),),
    )
    end_with_signatures(
        story,
        "Signature",
        "Digital signature (PAdES). Verify the whole pack with: dsvdesk verify <pack.zip or folder>",
    )
    info = DocumentInfo(
        title=header_safe(f"{document_title} — {header.reference}"),
        author="; ".join(header.authors) or "DSVDesk",
        subject=f"{header.title} · {header.marking}",
        keywords=(header.marking, header.title, header.borough, header.reference),
    )
    return build_document(story, furniture, info=info)


def _needs_cjk(texts: Sequence[str]) -> bool:
    return any(fonts.has_cjk(t) for t in texts)


def _section_banner(title: str, styles: Mapping[str, Any], width: float) -> Any:
    from dsvdesk.export.pdf_layout import section_banner

    return section_banner(_p(title, styles["section"]), width)


def _frame_width() -> float:
    from dsvdesk.export.page import FRAME_WIDTH

    return float(FRAME_WIDTH)


def _title_rows(header: ReportHeader, styles: Mapping[str, Any]) -> Any:
    from reportlab.platypus import Table

    rows = [
        ("Borough", header.borough or "—"),
        ("Date", format_day(header.meeting_date) if header.meeting_date else "—"),
        ("Period covered", header.period.label if header.period else "—"),
        ("Report by", "; ".join(header.authors) or "—"),
    ]
    table = Table(
        [[_p(k, styles["th"]), _p(v, styles["td"])] for k, v in rows], colWidths=[90, _frame_width() - 90]
    )
    table.setStyle(
        _table_style(
            [("BACKGROUND", (0, 0), (0, -1), _layout().LIGHT_GREY), ("BACKGROUND", (1, 0), (1, 0), None)]
        )
    )
    return table


# ------------------------------------------------------------------ Part B


def render_part_b_pdf(report: BoardReport, figures: Mapping[str, str], *, document_date: datetime) -> bytes:
    """The written report (`part_b_report.pdf`), unsigned, with `{{partA.key}}` resolved from `figures`."""
    from reportlab.platypus import CondPageBreak, KeepTogether, Spacer

    header = report.header
    texts = [header.borough, header.report_number, *header.authors]
    for section in report.sections:
        texts += [section.title]
        for q in section.questions:
            texts += [q.prompt, q.nothing_reason, *(t for p in q.paragraphs for t in (p.heading, p.text))]
    fonts.register_fonts(cjk=_needs_cjk(texts))
    styles = _styles()
    width = _frame_width()
    story: list[Flowable] = []

    if header.report_number:
        story.append(_p(f"Report: {header.report_number}", styles["report_no"]))
    story.append(_p(header.title, styles["title"]))
    story.append(_title_rows(header, styles))
    story.append(Spacer(1, 6))
    story.append(
        _p(
            "Part A: Data is attached as a separate signed PDF (part_a_data.pdf) in this pack.",
            styles["small"],
        )
    )
    story.append(Spacer(1, 8))

    numbers = {(id(n.question), id(n.paragraph)): n.number for n in numbered_paragraphs(report)}
    for section in report.sections:
        story.append(CondPageBreak(110))
        story.append(_section_banner(section.heading, styles, width))
        story.append(Spacer(1, 4))
        for question in section.questions:
            block: list[Flowable] = []
            if question.prompt:
                block.append(_p(resolve_tokens(question.prompt, figures), styles["prompt"]))
            if question.nothing_to_report:
                reason = resolve_tokens(question.nothing_reason, figures) or "no reason given"
                block.append(_p(f"Nothing to report: {reason}", styles["nothing"]))
                story.append(KeepTogether(block))
                continue
            if not question.paragraphs:
                block.append(_p("No answer given.", styles["missing"]))
                story.append(KeepTogether(block))
                continue
            for index, paragraph in enumerate(question.paragraphs):
                items: list[Flowable] = []
                if paragraph.heading:
                    items.append(_p(resolve_tokens(paragraph.heading, figures), styles["subheading"]))
                if paragraph.text:
                    number = numbers.get((id(question), id(paragraph)), "")
                    items.append(
                        fonts.paragraph(
                            resolve_tokens(paragraph.text, figures), styles["para"], bulletText=number or None
                        )
                    )
                if index == 0:
                    block.extend(items)
                    story.append(KeepTogether(block))  # a question prompt never ends a page alone
                else:
                    story.append(KeepTogether(items) if paragraph.heading else items[0])
        story.append(Spacer(1, 6))
    return _build(
        story,
        header=header,
        document_title="Part B: report",
        document_date=document_date,
        signature_label="Author's signature",
    )


# ------------------------------------------------------------------ Part A

DIVERSITY_ROW_LABELS = {
    "female": "Female",
    "male": "Male",
    "sex_unknown": "Sex not recorded",
    "white": "White",
    "bme": "BME",
    "ethnicity_unknown": "Ethnic group not recorded",
    "disability": "Disability",
}


def diversity_row_label(part_a: PartA, key: str, label: str) -> str:
    """The diversity table's row label; the age rows are the counted form's age bands."""
    if key in DIVERSITY_ROW_LABELS:
        return DIVERSITY_ROW_LABELS[key]
    bands = part_a.vocabulary.age_bands
    if key == AGE_OTHER:
        return f"Under {bands[0].low} or age not recorded" if bands else "Age not recorded"
    return f"Aged {label}"


def render_part_a_pdf(part_a: PartA, header: ReportHeader, *, document_date: datetime) -> bytes:
    """`part_a_data.pdf`: summary tables, the diversity matrix, the month table and charts.

    Computed figures are printed plainly; figures entered by hand are shaded, italic and name their
    source system, with a legend saying so."""
    from reportlab.platypus import CondPageBreak, KeepTogether, Spacer, Table

    from dsvdesk.export import charts

    texts = [
        header.borough,
        *header.authors,
        *(t for e in part_a.entered for t in (e.name, e.value, e.source)),
    ]
    fonts.register_fonts(cjk=_needs_cjk(texts))
    styles = _styles()
    palette = _layout()
    width = _frame_width()
    story: list[Flowable] = []

    if header.report_number:
        story.append(_p(f"Report: {header.report_number}", styles["report_no"]))
    story.append(_p("Part A: Data", styles["title"]))
    story.append(_p(header.title, styles["body"]))
    story.append(Spacer(1, 4))
    story.append(_title_rows(header, styles))
    story.append(Spacer(1, 4))
    story.append(
        _p(
            f"Figures for {part_a.period.label}, computed by DSVDesk from the station's approved 124D records "
            "(incident date in the period). Figures entered by hand are shaded and name their source system.",
            styles["small"],
        )
    )
    story.append(_p(part_a.message, styles["notice"]))
    if part_a.coverage:  # a CSU's figures: which stations, up to which transfer bundle
        story.append(_p(part_a.coverage_line, styles["small"]))
    legend = Table(
        [
            [
                _p("Computed by DSVDesk from 124D records", styles["td"]),
                _p("✎ Entered by hand (source named)", styles["td_entered"]),
            ]
        ],
        colWidths=[width / 2, width / 2],
    )
    legend.setStyle(
        _table_style(
            [("BACKGROUND", (0, 0), (0, 0), None), ("BACKGROUND", (1, 0), (1, 0), palette.ENTERED_FILL)]
        )
    )
    story += [Spacer(1, 4), legend, Spacer(1, 6)]

    figures = part_a.figures()
    groups: dict[str, list[Any]] = {}
    for figure in figures:
        if figure.group in {"Diversity", "By month"} or not figure.computed:
            continue
        groups.setdefault(figure.group, []).append(figure)
    for group, members in groups.items():
        rows = [[_p(group, styles["th"]), _p("Value", styles["th"]), _p("Key for {{partA.…}}", styles["th"])]]
        rows += [
            [_p(f.label, styles["td"]), _p(f.value, styles["td_right"]), _p(f.key, styles["small"])]
            for f in members
        ]
        table = Table(rows, colWidths=[width * 0.55, width * 0.15, width * 0.30], repeatRows=1)
        table.setStyle(_table_style())
        # What a figure counts, where its label alone could be read two ways (issue 18's case figures).
        notes = [_p(f"{f.label}: {f.definition}", styles["small"]) for f in members if f.definition]
        story.append(KeepTogether([table, *notes, Spacer(1, 6)]))

    story.append(CondPageBreak(120))
    story.append(_p("Figures entered by hand", styles["group"]))
    if part_a.entered:
        rows = [[_p(h, styles["th"]) for h in ("Figure", "Value", "Source system", "Key")]]
        rows += [
            [
                _p("✎ " + e.name, styles["td_entered"]),
                _p(e.value, styles["td_entered"]),
                _p(e.source or "not named", styles["td_entered"]),
                _p(e.key, styles["small"]),
            ]
            for e in part_a.entered
        ]
        table = Table(rows, colWidths=[width * 0.38, width * 0.14, width * 0.22, width * 0.26], repeatRows=1)
        table.setStyle(_table_style([("BACKGROUND", (0, 1), (-1, -1), palette.ENTERED_FILL)]))
        story.append(table)
    else:
        story.append(_p("None entered for this report.", styles["small"]))

    story.append(CondPageBreak(160))
    story.append(_p("Diversity of victims (approved records)", styles["group"]))
    # One column per group of victims, one row per characteristic: the labels stay readable.
    rows = [[_p("", styles["th"])] + [_p(row.label, styles["th"]) for row in part_a.diversity]]
    rows.append(
        [_p("Total", styles["th"])] + [_p(str(row.total), styles["td_right"]) for row in part_a.diversity]
    )
    for key, label in part_a.diversity_columns:
        rows.append(
            [_p(diversity_row_label(part_a, key, label), styles["td"])]
            + [_p(str(row.counts.get(key, 0)), styles["td_right"]) for row in part_a.diversity]
        )
    first = 150.0
    rest = (width - first) / max(len(part_a.diversity), 1)
    table = Table(rows, colWidths=[first] + [rest] * len(part_a.diversity), repeatRows=1)
    table.setStyle(_table_style([("BACKGROUND", (0, 1), (-1, 1), palette.LIGHT_GREY)]))
    story.append(table)
    story.append(
        _p(
            "Age at the incident date; n/r = not recorded. Ethnic group as recorded for the Board (White / BME).",
            styles["small"],
        )
    )

    story.append(CondPageBreak(160))
    story.append(_p("By month of incident", styles["group"]))
    rows = [[_p(h, styles["th"]) for h in ("Month", "Records", "High risk", "MARAC referrals", "Arrests")]]
    rows += [
        [_p(m.label, styles["td"])]
        + [_p(str(v), styles["td_right"]) for v in (m.records, m.high_risk, m.marac_referrals, m.arrests)]
        for m in part_a.months
    ]
    table = Table(rows, colWidths=[width * 0.24] + [width * 0.19] * 4, repeatRows=1)
    table.setStyle(_table_style())
    story.append(table)

    story.append(CondPageBreak(charts.HEIGHT + 30))
    story.append(_p("Charts", styles["group"]))
    if part_a.records == 0:
        story.append(_p("No charts: there are no approved records in this period.", styles["small"]))
    else:
        for drawing in charts.all_charts(part_a):
            story.append(KeepTogether([drawing, Spacer(1, 10)]))
    return _build(
        story,
        header=header,
        document_title="Part A: data",
        document_date=document_date,
        signature_label="Signature of the exporting supervisor",
    )
