"""reportlab layout of the record PDF (imported lazily by `pdf.render_record_pdf`).

Nothing here knows a particular form: the title block, summary box, sections, questions, repeat tables
and grids all come from the `FormSpec` and the engine's evaluation of the answers.

Traps handled (docs/stack.md §4): `initialFontName` on the document and a FONT command on
every Table so no base-14 font is ever referenced; a two-pass canvas for "Page x of y"; `invariant=1`
plus a creation date taken from the record so the bytes are deterministic.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dsvdesk.engine.spec import (
    DONT_KNOW,
    NO,
    NOT_ASKED,
    YES,
    Audience,
    FormSpec,
    Page,
    Question,
    QuestionType,
    Section,
    Severity,
)
from dsvdesk.export import fonts
from dsvdesk.export.page import (
    FRAME_WIDTH,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    OFFICER_FIELD,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    SIGNATURE_BAND_HEIGHT,
    SIGNATURE_BOXES,
    SIGNATURE_LABEL_HEIGHT,
    SIGNATURE_LABELS,
    SUPERVISOR_FIELD,
)
from dsvdesk.export.record_model import (
    HistoryEntry,
    RecordComment,
    RecordMeta,
    document_keywords,
    document_subject,
    document_title,
    effective_marking,
)
from dsvdesk.export.shaping import ShapingCanvas

MARKING_RED = colors.HexColor("#B00020")
RULE_GREY = colors.HexColor("#9AA0A6")
LIGHT_GREY = colors.HexColor("#EEF0F2")
SECTION_BLUE = colors.HexColor("#1F3A5F")
TEXT_DARK = colors.HexColor("#202124")
TEXT_MID = colors.HexColor("#3C4043")
MISSING_FILL = colors.HexColor("#FFE3A3")
MISSING_TEXT = colors.HexColor("#8A3B00")

# The Board report's figures typed in by hand rather than computed (report_pdf).
ENTERED_FILL = colors.HexColor("#FFF3D6")
ENTERED_TEXT = colors.HexColor("#7A4A00")

FRAME_PADDING = 6  # reportlab's default Frame padding
LABEL_WIDTH = FRAME_WIDTH * 0.42
# Answers longer than this are printed as flowing paragraphs below the label rather than in a table
# cell: a table row cannot split across pages, a paragraph can.
LONG_ANSWER_CHARS = 400
# Repeat groups with more fields than this are printed item by item rather than one column per field.
WIDE_TABLE_MAX_FIELDS = 5
# A question's title never ends a page alone: at least this much room (points) must follow it.
KEEP_WITH_NEXT = 60
# Long answers are cut into paragraphs of at most this many characters (see _long_text_chunks).
CHUNK_CHARS = 1500

YESNO_WORDS = {YES: "Yes", NO: "No", DONT_KNOW: "Don't know", NOT_ASKED: "Not asked"}
NOT_ANSWERED = "NOT ANSWERED"
TICK = "\u2713"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=fonts.REGULAR, fontSize=9, leading=11.5, splitLongWords=True)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "label": ParagraphStyle("label", parent=base, textColor=TEXT_DARK),
        "answer": ParagraphStyle("answer", parent=base, fontName=fonts.BOLD),
        "long": ParagraphStyle("long", parent=base, leftIndent=10, spaceAfter=4),
        "long_cont": ParagraphStyle("long_cont", parent=base, leftIndent=10, spaceAfter=0),
        "missing": ParagraphStyle("missing", parent=base, fontName=fonts.BOLD, textColor=MISSING_TEXT),
        "comment": ParagraphStyle("comment", parent=base, fontName=fonts.ITALIC, fontSize=8.5, leading=10.5),
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.BOLD, fontSize=15, leading=19, spaceAfter=2
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9.5, leading=12, textColor=TEXT_MID),
        "section": ParagraphStyle(
            "section", parent=base, fontName=fonts.BOLD, fontSize=12, leading=15, textColor=colors.white
        ),
        "page": ParagraphStyle(
            "page",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
            textColor=SECTION_BLUE,
        ),
        "box_title": ParagraphStyle("box_title", parent=base, fontName=fonts.BOLD, fontSize=10, leading=13),
        "th": ParagraphStyle("th", parent=base, fontName=fonts.BOLD, fontSize=8, leading=10),
        "td": ParagraphStyle("td", parent=base, fontSize=8, leading=10),
        "tick": ParagraphStyle("tick", parent=base, fontName=fonts.BOLD, fontSize=10, alignment=TA_CENTER),
    }


# --------------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True, slots=True)
class _Evaluated:
    visible_questions: frozenset[str]
    visible_pages: frozenset[str]
    values: Mapping[str, Any]  # computed question values
    error_questions: frozenset[str]  # questions with an error finding (e.g. required but empty)
    missing_fields: frozenset[tuple[str, int, str]]  # (repeat id, 0-based item, field id) required but empty
    effective_values: Mapping[str, Any]  # every name as the expressions saw it (for repeat field show_when)
    summary: tuple[tuple[str, str, Any], ...]  # label, expression source, value


def _evaluate(
    spec: FormSpec, answers: Mapping[str, Any], audiences: tuple[str, ...], now: datetime
) -> _Evaluated:
    from dsvdesk.engine import completeness

    # `now` is the document's date, so today()-based values print the same on every re-render.
    evaluation = completeness.evaluate(spec, answers, audiences=audiences, now=now)
    errors = frozenset(
        f.question_id for f in evaluation.findings if f.question_id and f.severity == Severity.ERROR
    )
    missing_fields = frozenset(
        (f.question_id, f.item_index, f.field_id)
        for f in evaluation.findings
        if f.question_id
        and f.item_index is not None
        and f.field_id
        and f.code == completeness.FindingCode.REQUIRED
    )
    summary = tuple(
        (label, item.expression.source, value)
        for item, (label, value) in zip(spec.summary, evaluation.summary, strict=False)
    )
    return _Evaluated(
        visible_questions=frozenset(evaluation.visible_questions),
        visible_pages=frozenset(evaluation.visible_pages),
        values=dict(evaluation.values),
        error_questions=errors,
        missing_fields=missing_fields,
        effective_values=dict(evaluation.effective_values),
        summary=summary,
    )


# --------------------------------------------------------------------------------------- formatting
def _is_empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def _format_date(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        return text


def _format_datetime(text: str) -> str:
    try:
        return datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return text


def _format_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def format_value(question: Question, value: Any) -> str:
    """An answer in words: choice labels not raw values, UK dates, yes/no/don't know spelt out."""
    if _is_empty(value):
        return ""
    qtype = question.type
    if qtype in (QuestionType.YESNO, QuestionType.YESNO_DK):
        return YESNO_WORDS.get(str(value), str(value))
    if qtype == QuestionType.CHOICE:
        return question.choice_label(value)
    if qtype == QuestionType.MULTICHOICE:
        items = value if isinstance(value, list | tuple) else [value]
        return "; ".join(question.choice_label(v) for v in items)
    if qtype == QuestionType.DATE:
        return _format_date(str(value))
    if qtype == QuestionType.DATETIME:
        return _format_datetime(str(value))
    if qtype in (QuestionType.INTEGER, QuestionType.DECIMAL):
        return _format_number(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _referenced_choice_labels(spec: FormSpec, question: Question, depth: int = 3) -> dict[str, str]:
    """Labels of the choices a computed question's expression can pass through (e.g. an effective grade
    that is the supervisor's grade or else the officer's), so its value prints as a label, not a code."""
    labels: dict[str, str] = {}
    if question.expression is None or depth == 0:
        return labels
    for name in sorted(question.expression.references):
        try:
            referenced = spec.question(name)
        except KeyError:
            continue
        if referenced.type == QuestionType.COMPUTED:
            labels.update(_referenced_choice_labels(spec, referenced, depth - 1))
        for choice in referenced.choices:
            labels.setdefault(choice.value, choice.label)
    return labels


def format_computed(spec: FormSpec, question: Question, value: Any) -> str:
    """A computed value in words: a choice code it passes through prints as that choice's label, 'yes'
    and 'no' as words; anything else as `format_value` prints it (issue 21: no raw codes in print)."""
    if isinstance(value, str):
        label = _referenced_choice_labels(spec, question).get(value)
        if label is not None:
            return label
        return YESNO_WORDS.get(value, value)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        labels = _referenced_choice_labels(spec, question)
        return "; ".join(labels.get(v) or YESNO_WORDS.get(v) or v for v in value)
    return format_value(question, value)


def _question_title(question: Question) -> str:
    return f"{question.number}. {question.label}" if question.number else question.label


def _format_summary_value(spec: FormSpec, source: str, value: Any) -> str:
    """Summary values in words; a list of question ids becomes their numbers and labels."""
    try:  # an expression that is just a question id prints like that question's answer
        question: Question | None = spec.question(source.strip())
    except KeyError:
        question = None
    if question is not None and not _is_empty(value):
        if question.type == QuestionType.COMPUTED:
            return format_computed(spec, question, value)
        return format_value(question, value)
    if isinstance(value, list | tuple) and not value:
        return "None"  # e.g. no high-risk item answered yes
    if _is_empty(value):
        return "Not recorded"  # e.g. no supervisor's grade yet: "None" would read as a grade
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list | tuple):
        parts = []
        for item in value:
            try:
                listed = spec.question(str(item))
            except KeyError:
                parts.append(str(item))
                continue
            parts.append(f"Q{listed.number} {listed.label}" if listed.number else listed.label)
        return "\n".join(parts)
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, str):
        return YESNO_WORDS.get(value, value)
    return str(value)


# --------------------------------------------------------------------------------------- page template
# One page template for every PDF DSVDesk prints (this record PDF and the Board report's Part A and
# Part B in report_pdf.py), so the marking, references, "Page x of y" and signature boxes sit in the
# same place on all of them and the determinism traps are handled once.
SignatureBox = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class PageFurniture:
    """What the canvas prints on every page; texts are already made printable with `header_safe`."""

    marking: str
    header_left: str  # shortened with "…" to `header_left_width`
    header_left_width: float
    footer_left: str
    document_date: datetime  # the PDF's creation date, so the bytes are the same on every re-render
    header_right: str = ""
    last_page_boxes: tuple[tuple[str, SignatureBox], ...] = ()  # (label, box): the signature fields
    # (box, lines) printed inside a box that holds no signature field (the approved document's officer box)
    box_notes: tuple[tuple[SignatureBox, tuple[str, ...]], ...] = ()


class _NumberedCanvas(ShapingCanvas):
    """Defers every page so the total is known: draws header, footer and "Page x of y" in `save()`."""

    furniture: PageFurniture

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []
        stamp = self._doc._timeStamp
        created = self.furniture.document_date
        if created.tzinfo is not None:
            created = created.astimezone(UTC)
        stamp.YMDhms = (
            created.year,
            created.month,
            created.day,
            created.hour,
            created.minute,
            created.second,
        )
        stamp.dhh = stamp.dmm = 0

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self._draw_furniture(number, total)
            if number == total:
                self._draw_signature_boxes()
            super().showPage()
        super().save()

    def _draw_furniture(self, number: int, total: int) -> None:
        furniture = self.furniture
        self.saveState()
        # Header: protective marking centred in red, then the document title and its reference.
        self.setFillColor(MARKING_RED)
        self.setFont(fonts.BOLD, 11)
        self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 26, furniture.marking)
        self.setFillColor(TEXT_MID)
        self.setFont(fonts.REGULAR, 7.5)
        self.drawString(
            MARGIN_LEFT, PAGE_HEIGHT - 42, fit_text(self, furniture.header_left, furniture.header_left_width)
        )
        if furniture.header_right:
            self.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 42, furniture.header_right)
        self.setStrokeColor(RULE_GREY)
        self.setLineWidth(0.5)
        self.line(MARGIN_LEFT, PAGE_HEIGHT - 47, PAGE_WIDTH - MARGIN_RIGHT, PAGE_HEIGHT - 47)
        # Footer: rule, document id + revision, page x of y, marking.
        self.line(MARGIN_LEFT, MARGIN_BOTTOM - 16, PAGE_WIDTH - MARGIN_RIGHT, MARGIN_BOTTOM - 16)
        self.drawString(MARGIN_LEFT, MARGIN_BOTTOM - 27, furniture.footer_left)
        self.drawRightString(PAGE_WIDTH - MARGIN_RIGHT, MARGIN_BOTTOM - 27, f"Page {number} of {total}")
        self.setFillColor(MARKING_RED)
        self.setFont(fonts.BOLD, 11)
        self.drawCentredString(PAGE_WIDTH / 2, MARGIN_BOTTOM - 44, furniture.marking)
        self.restoreState()

    def _draw_signature_boxes(self) -> None:
        self.saveState()
        self.setStrokeColor(RULE_GREY)
        self.setLineWidth(0.75)
        self.setDash(3, 2)
        for label, (x1, y1, x2, y2) in self.furniture.last_page_boxes:
            self.rect(x1, y1, x2 - x1, y2 - y1, stroke=1, fill=0)
            self.setFillColor(TEXT_DARK)
            self.setFont(fonts.BOLD, 9)
            self.drawString(x1, y2 + 5, label)
            # No "not signed" text inside a box: the signature stamp is drawn transparently over it.
        self.setFont(fonts.REGULAR, 7.5)
        self.setFillColor(TEXT_DARK)
        for (x1, _y1, x2, y2), lines in self.furniture.box_notes:
            for index, line in enumerate(lines):
                self.drawString(x1 + 5, y2 - 12 - index * 10, fit_text(self, line, x2 - x1 - 10))
        self.restoreState()


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """The document information dictionary (`pdfinfo`); XMP is added with the signature fields."""

    title: str
    author: str = "DSVDesk"
    subject: str = ""
    keywords: tuple[str, ...] = ()


def build_document(story: list[Flowable], furniture: PageFurniture, *, info: DocumentInfo) -> bytes:
    """Lay out `story` on A4 with `furniture` on every page; deterministic bytes (`invariant=1`)."""
    canvas_class = type("NumberedCanvas", (_NumberedCanvas,), {"furniture": furniture})
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN_LEFT,
        rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=info.title,
        author=info.author,
        subject=info.subject or furniture.marking,
        keywords=list(info.keywords),
        creator="DSVDesk",
        producer="DSVDesk",
        invariant=1,
        initialFontName=fonts.REGULAR,  # never a base-14 font (docs/stack.md §4)
        initialFontSize=9,
    )
    doc.build(story, canvasmaker=canvas_class)
    return buffer.getvalue()


def fit_text(canvas: rl_canvas.Canvas, text: str, width: float, size: float = 7.5) -> str:
    """Shorten a header line to the width available (the full text is in the document itself)."""
    if canvas.stringWidth(text, fonts.REGULAR, size) <= width:
        return text
    while text and canvas.stringWidth(text + "…", fonts.REGULAR, size) > width:
        text = text[:-1]
    return text + "…"


def header_safe(text: str) -> str:
    """Canvas strings have no CJK fallback; keep header text printable by dropping what DejaVu lacks."""
    return "".join("?" if fonts.is_cjk(c) else c for c in text if ord(c) >= 32)


def _record_reference(meta: RecordMeta) -> str:
    ref = f"URN {meta.urn}" if meta.urn else f"Record {meta.record_id[:8]}"
    return f"{ref} · {meta.status.upper()} · r{meta.revision}"


class SignatureBand(Flowable):  # type: ignore[misc] # reportlab is untyped
    """Fills the rest of the last page; its foot holds the signature boxes the page template draws.

    Every DSVDesk PDF ends with one (record, Part A, Part B); the story puts a CondPageBreak of
    `SIGNATURE_BAND_HEIGHT` before it, so that much is free here.
    """

    def __init__(self, heading: str, note: str) -> None:
        super().__init__()
        self.heading = heading
        self.note = note

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        # 1pt slack: a flowable exactly as tall as the frame can overflow it
        self.height = max(0.0, avail_height - 1)
        return self.width, self.height

    def draw(self) -> None:
        # The flowable's origin is the frame's bottom edge plus its padding; the boxes sit at fixed page
        # coordinates, so the heading is placed relative to them.
        box_top = max(y2 for _x1, _y1, _x2, y2 in SIGNATURE_BOXES.values())
        heading_y = box_top + SIGNATURE_LABEL_HEIGHT + 16 - (MARGIN_BOTTOM + FRAME_PADDING)
        self.canv.saveState()
        self.canv.setFont(fonts.BOLD, 10.5)
        self.canv.setFillColor(SECTION_BLUE)
        self.canv.drawString(-FRAME_PADDING, heading_y, self.heading)
        self.canv.setFont(fonts.REGULAR, 7.5)
        self.canv.setFillColor(TEXT_MID)
        self.canv.drawString(-FRAME_PADDING, heading_y - 11, self.note)
        self.canv.restoreState()

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []


def end_with_signatures(story: list[Flowable], heading: str, note: str) -> None:
    """Close a story with the signature band, on a new page when the last one has no room for it."""
    story.append(CondPageBreak(SIGNATURE_BAND_HEIGHT))
    story.append(SignatureBand(heading, note))


# --------------------------------------------------------------------------------------- story
class _StoryBuilder:
    def __init__(
        self,
        spec: FormSpec,
        *,
        answers: Mapping[str, Any],
        meta: RecordMeta,
        evaluated: _Evaluated,
        history: Sequence[HistoryEntry],
        comments: Sequence[RecordComment],
    ) -> None:
        self.spec = spec
        self.answers = answers
        self.meta = meta
        self.ev = evaluated
        self.history = history
        self.comments_by_question: dict[str, list[RecordComment]] = {}
        self.general_comments: list[RecordComment] = []
        for comment in comments:
            if comment.question_id:
                self.comments_by_question.setdefault(comment.question_id, []).append(comment)
            else:
                self.general_comments.append(comment)
        self.st = _styles()
        self.story: list[Flowable] = []

    def p(self, text: str, style: str = "body") -> Paragraph:
        return fonts.paragraph(text, self.st[style])

    # -- title block, summary, history -----------------------------------------------------------
    def title_block(self) -> None:
        meta = self.meta
        self.story.append(self.p(meta.form_title, "title"))
        self.story.append(self.p(f"Form version {meta.form_version}", "subtitle"))
        self.story.append(Spacer(1, 6))
        rows = [
            ("URN", meta.urn or "Not yet allocated (allocated at approval)"),
            ("Record", meta.record_id),
            ("Status", meta.status.capitalize()),
            (
                "Revision",
                f"{meta.revision} (supersedes revision {meta.supersedes_revision})"
                if meta.supersedes_revision
                else str(meta.revision),
            ),
            ("Station", meta.station or "—"),
            ("Officer", meta.officer or "—"),
        ]
        if meta.review is not None:
            rows.append(("Approved", f"{meta.review.supervisor}, {_format_when(meta.review.approved_at)}"))
        cells = [[self.p(k, "th"), self.p(v, "td")] for k, v in rows]
        table = Table(cells, colWidths=[70, FRAME_WIDTH - 70])
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 8),
                    ("BACKGROUND", (0, 0), (0, -1), LIGHT_GREY),
                    ("GRID", (0, 0), (-1, -1), 0.4, RULE_GREY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        self.story.append(table)
        self.story.append(Spacer(1, 8))

    def summary_box(self) -> None:
        if not self.ev.summary:
            return
        rows: list[list[Any]] = [[self.p("Summary", "box_title"), ""]]
        for label, source, value in self.ev.summary:
            text = _format_summary_value(self.spec, source, value)
            rows.append([self.p(label, "label"), self.p(text, "answer")])
        table = Table(rows, colWidths=[LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH])
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 9),
                    ("SPAN", (0, 0), (-1, 0)),
                    ("BOX", (0, 0), (-1, -1), 1.2, SECTION_BLUE),
                    ("BACKGROUND", (0, 0), (-1, 0), LIGHT_GREY),
                    ("LINEBELOW", (0, 1), (-1, -2), 0.3, RULE_GREY),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        self.story.append(table)
        self.story.append(Spacer(1, 10))

    def history_block(self) -> None:
        if not self.history and not self.general_comments:
            return
        block: list[Flowable] = [self.p("History", "page")]
        if self.history:
            rows: list[list[Any]] = [[self.p(h, "th") for h in ("Event", "By", "When", "Note")]]
            rows.extend(
                [
                    self.p(entry.action.capitalize(), "td"),
                    self.p(entry.actor, "td"),
                    self.p(_format_when(entry.at), "td"),
                    self.p(entry.note, "td"),
                ]
                for entry in self.history
            )
            table = Table(rows, colWidths=[70, 150, 85, FRAME_WIDTH - 305], repeatRows=1)
            table.setStyle(grid_style())
            block.append(table)
        for comment in self.general_comments:
            block.append(Spacer(1, 4))
            block.append(self.p(f"Comment by {comment.author}, {_format_when(comment.at)}:", "th"))
            block.append(self.p(comment.text, "comment"))
        self.story.append(Spacer(1, 8))
        self.story.extend(block)

    # -- sections ----------------------------------------------------------------------------------
    def sections(self) -> None:
        for section in self.spec.sections:
            if section.audience == Audience.REVIEWER and not self.meta.include_reviewer_sections:
                continue
            pages = [p for p in section.pages if p.id in self.ev.visible_pages]
            if not pages:
                continue
            self.section_heading(section)
            for page in pages:
                self.page(page)

    def section_heading(self, section: Section) -> None:
        title = f"{section.number}. {section.title}" if section.number else section.title
        if section.audience == Audience.REVIEWER:
            title += " (completed by the supervisor)"
        heading = section_banner(self.p(title, "section"), FRAME_WIDTH)
        self.story.append(CondPageBreak(120))  # never a section heading alone at the foot of a page
        self.story.append(Spacer(1, 6))
        self.story.append(heading)

    def page(self, page: Page) -> None:
        heading = self.p(page.title, "page")
        rows: list[list[Any]] = []
        missing_rows: list[int] = []
        flow: list[Flowable] = []
        first = True

        def flush_rows() -> None:
            nonlocal first
            if not rows:
                return
            table = Table(list(rows), colWidths=[LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH])
            style = [
                ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 9),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, LIGHT_GREY),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
            style += [("BACKGROUND", (1, r), (1, r), MISSING_FILL) for r in missing_rows]
            table.setStyle(TableStyle(style))
            if first:
                flow.append(KeepTogether([heading, table]) if len(rows) <= 3 else heading)
                if len(rows) > 3:
                    flow.append(table)
                first = False
            else:
                flow.append(table)
            rows.clear()
            missing_rows.clear()

        def add_block(items: list[Flowable]) -> None:
            nonlocal first
            flush_rows()
            if first:
                flow.append(heading)
                first = False
            flow.extend(items)

        for question in page.questions:
            if question.id not in self.ev.visible_questions or question.type == QuestionType.NOTE:
                continue
            value = self._value(question)
            missing = _is_empty(value) and (question.required or question.id in self.ev.error_questions)
            if question.type == QuestionType.REPEAT and not _is_empty(value):
                add_block(self.repeat_block(question, value))
            elif question.type == QuestionType.GRID and not _is_empty(value):
                add_block(self.grid_block(question, value))
            else:
                text = self._text(question, value)
                if question.type == QuestionType.LONGTEXT or len(text) > LONG_ANSWER_CHARS:
                    add_block(self.long_block(question, text, missing))
                else:
                    answer: Flowable
                    if missing:
                        answer = self.p(NOT_ANSWERED, "missing")
                        missing_rows.append(len(rows))
                    elif text:
                        answer = self.p(text, "answer")
                    else:
                        answer = self.p("—", "body")
                    cell: list[Flowable] = [answer, *self.comment_paragraphs(question)]
                    rows.append([self.p(_question_title(question), "label"), cell])
        flush_rows()
        if first:  # a visible page whose questions are all notes: nothing to print
            return
        self.story.extend(flow)

    def _text(self, question: Question, value: Any) -> str:
        if question.type == QuestionType.COMPUTED and not _is_empty(value):
            return format_computed(self.spec, question, value)
        return format_value(question, value)

    def _value(self, question: Question) -> Any:
        if question.type == QuestionType.COMPUTED:
            return self.ev.values.get(question.id)
        return self.answers.get(question.id)

    def comment_paragraphs(self, question: Question) -> list[Flowable]:
        out: list[Flowable] = []
        if question.comment:
            text = self.answers.get(question.comment_id)
            if isinstance(text, str) and text.strip():
                out.append(self.p(f"{question.comment_label}: {text}", "comment"))
        out.extend(
            self.p(f"Reviewer comment ({c.author}, {_format_when(c.at)}): {c.text}", "comment")
            for c in self.comments_by_question.get(question.id, ())
        )
        return out

    def long_block(self, question: Question, text: str, missing: bool) -> list[Flowable]:
        items: list[Flowable] = [
            CondPageBreak(KEEP_WITH_NEXT),
            Spacer(1, 3),
            self.p(_question_title(question), "label"),
        ]
        if missing:
            items.append(_highlight(self.p(NOT_ANSWERED, "missing")))
        elif not text:
            items.append(self.p("—", "long"))
        else:
            items.extend(self.p(chunk, style) for chunk, style in _long_text_chunks(text))
        items.extend(self.comment_paragraphs(question))
        items.append(Spacer(1, 3))
        return items

    def _item_fields(self, question: Question, item: Mapping[str, Any]) -> list[Question]:
        """The fields shown for one item: notes never, fields whose show_when is false not either."""
        from dsvdesk.engine.expressions import MappingEnvironment, ScopedEnvironment

        scope = ScopedEnvironment(
            item, frozenset(f.id for f in question.fields), MappingEnvironment(self.ev.effective_values)
        )
        return [
            f
            for f in question.fields
            if f.type != QuestionType.NOTE and (f.show_when is None or f.show_when.is_true(scope))
        ]

    def _missing(self, question: Question, index: int, field: Question) -> bool:
        return (question.id, index, field.id) in self.ev.missing_fields

    def repeat_block(self, question: Question, value: Any) -> list[Flowable]:
        items = [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []
        fields = [f for f in question.fields if f.type != QuestionType.NOTE]
        label = question.item_label or "Item"
        title = self.p(f"{_question_title(question)} ({len(items)})", "label")
        long_cell = any(len(format_value(f, item.get(f.id))) > 200 for item in items for f in fields)
        if len(fields) <= WIDE_TABLE_MAX_FIELDS and not long_cell:
            header = [self.p("#", "th"), *(self.p(f.label, "th") for f in fields)]
            rows: list[list[Any]] = [header]
            missing_cells: list[tuple[int, int]] = []
            for index, item in enumerate(items, start=1):
                shown = {f.id for f in self._item_fields(question, item)}
                row: list[Any] = [self.p(str(index), "td")]
                for col, f in enumerate(fields, start=1):
                    text = format_value(f, item.get(f.id)) if f.id in shown else ""
                    if not text and self._missing(question, index - 1, f):
                        missing_cells.append((col, index))
                        row.append(self.p(NOT_ANSWERED, "missing"))
                    else:
                        row.append(self.p(text or "—", "td"))
                rows.append(row)
            first_col = 28  # two digits must not wrap (docs/stack.md §4, gotcha 6)
            other = (FRAME_WIDTH - first_col) / max(1, len(fields))
            table = Table(rows, colWidths=[first_col] + [other] * len(fields), repeatRows=1)
            style = grid_style()
            for col, row_index in missing_cells:
                style.add("BACKGROUND", (col, row_index), (col, row_index), MISSING_FILL)
            table.setStyle(style)
            return [
                CondPageBreak(KEEP_WITH_NEXT),
                Spacer(1, 4),
                title,
                Spacer(1, 2),
                table,
                *self.comment_paragraphs(question),
                Spacer(1, 4),
            ]
        # Many fields (or long values): one small two-column table per item.
        out: list[Flowable] = [CondPageBreak(KEEP_WITH_NEXT), Spacer(1, 4), title]
        for index, item in enumerate(items, start=1):
            rows = [[self.p(f"{label} {index}", "th"), ""]]
            missing_rows: list[int] = []
            long_values: list[Flowable] = []
            for f in self._item_fields(question, item):
                text = format_value(f, item.get(f.id))
                if len(text) > LONG_ANSWER_CHARS:
                    long_values.append(self.p(f"{label} {index}: {f.label}", "label"))
                    long_values.extend(self.p(chunk, style) for chunk, style in _long_text_chunks(text))
                    continue
                if not text and self._missing(question, index - 1, f):
                    missing_rows.append(len(rows))
                    rows.append([self.p(f.label, "td"), self.p(NOT_ANSWERED, "missing")])
                else:
                    rows.append([self.p(f.label, "td"), self.p(text or "—", "td")])
            table = Table(rows, colWidths=[LABEL_WIDTH, FRAME_WIDTH - LABEL_WIDTH])
            style = grid_style()
            style.add("SPAN", (0, 0), (-1, 0))
            for r in missing_rows:
                style.add("BACKGROUND", (1, r), (1, r), MISSING_FILL)
            table.setStyle(style)
            out.extend([Spacer(1, 3), table, *long_values])
        out.extend(self.comment_paragraphs(question))
        return out

    def grid_block(self, question: Question, value: Any) -> list[Flowable]:
        ticked: Mapping[str, Any] = value if isinstance(value, Mapping) else {}
        header = [self.p("", "th"), *(self.p(c.label, "th") for c in question.columns)]
        rows: list[list[Any]] = [header]
        for row in question.rows:
            chosen = ticked.get(row.value) or []
            rows.append(
                [self.p(row.label, "td")]
                + [self.p(TICK if col.value in chosen else "", "tick") for col in question.columns]
            )
        first_col = LABEL_WIDTH
        other = (FRAME_WIDTH - first_col) / max(1, len(question.columns))
        table = Table(rows, colWidths=[first_col] + [other] * len(question.columns), repeatRows=1)
        table.setStyle(grid_style())
        return [
            CondPageBreak(KEEP_WITH_NEXT),
            Spacer(1, 4),
            self.p(_question_title(question), "label"),
            Spacer(1, 2),
            table,
            *self.comment_paragraphs(question),
            Spacer(1, 4),
        ]


def _long_text_chunks(text: str) -> list[tuple[str, str]]:
    """A long answer as (text, style) pieces that each flow and split across pages on their own.

    reportlab re-wraps the whole remainder of a paragraph at every page break, so one 10,000-word
    paragraph takes seconds; pieces of a few hundred words keep it linear. A piece is cut at a sentence
    end (or a space) and continues without extra spacing, so the text reads as written.
    """
    out: list[tuple[str, str]] = []
    for paragraph in fonts.printable(text).split("\n\n"):
        paragraph = paragraph.strip("\n")  # noqa: PLW2901 - normalising the loop item
        if not paragraph.strip():
            continue
        pieces: list[str] = []
        while len(paragraph) > CHUNK_CHARS:
            window = paragraph[:CHUNK_CHARS]
            cut = max(window.rfind(". "), window.rfind("\n"))
            if cut < CHUNK_CHARS // 2:
                cut = window.rfind(" ")
            if cut < CHUNK_CHARS // 2:
                cut = CHUNK_CHARS - 1
            pieces.append(paragraph[: cut + 1])
            paragraph = paragraph[cut + 1 :].lstrip(" ")  # noqa: PLW2901
        pieces.append(paragraph)
        out.extend((piece, "long_cont") for piece in pieces[:-1])
        out.append((pieces[-1], "long"))
    return out


def grid_style(extra: Sequence[tuple[Any, ...]] = ()) -> TableStyle:
    """A ruled table with a grey header row (shared with report_pdf); ``extra`` commands come last."""
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), fonts.REGULAR, 8),  # the cell default is Helvetica otherwise
            ("GRID", (0, 0), (-1, -1), 0.4, RULE_GREY),
            ("BACKGROUND", (0, 0), (-1, 0), LIGHT_GREY),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            *extra,
        ]
    )


def section_banner(title: Flowable, width: float) -> Table:
    """A section's title (white bold paragraph) on a full-width blue band (shared with report_pdf)."""
    banner = Table([[title]], colWidths=[width])
    banner.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), fonts.BOLD, 12),
                ("BACKGROUND", (0, 0), (-1, -1), SECTION_BLUE),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return banner


def _highlight(paragraph: Paragraph) -> Table:
    table = Table([[paragraph]], colWidths=[FRAME_WIDTH * 0.5])
    table.setStyle(
        TableStyle(
            [("FONT", (0, 0), (-1, -1), fonts.BOLD, 9), ("BACKGROUND", (0, 0), (-1, -1), MISSING_FILL)]
        )
    )
    table.hAlign = "LEFT"
    return table


def _format_when(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


def _document_needs_cjk(answers: Mapping[str, Any], meta: RecordMeta, extra: Sequence[str]) -> bool:
    def walk(value: Any) -> bool:
        if isinstance(value, str):
            return fonts.has_cjk(value)
        if isinstance(value, Mapping):
            return any(walk(v) for v in value.values())
        if isinstance(value, list | tuple):
            return any(walk(v) for v in value)
        return False

    return walk(dict(answers)) or walk([meta.officer, meta.station, meta.form_title, *extra])


def build_pdf(
    spec: FormSpec,
    answers: Mapping[str, Any],
    meta: RecordMeta,
    history: list[HistoryEntry],
    comments: list[RecordComment],
) -> bytes:
    audiences = ("author", "reviewer") if meta.include_reviewer_sections else ("author",)
    document_now = meta.document_date
    if document_now.tzinfo is not None:  # the engine compares with naive dates and times
        document_now = document_now.astimezone(UTC).replace(tzinfo=None)
    evaluated = _evaluate(spec, answers, audiences, document_now)
    extra_text = [h.actor for h in history] + [h.note for h in history] + [c.text for c in comments]
    fonts.register_fonts(cjk=_document_needs_cjk(answers, meta, extra_text))

    builder = _StoryBuilder(
        spec, answers=answers, meta=meta, evaluated=evaluated, history=history, comments=comments
    )
    builder.title_block()
    builder.summary_box()
    builder.sections()
    builder.history_block()
    marking = header_safe(effective_marking(meta, spec.marking))
    furniture = PageFurniture(
        marking=marking,
        header_left=header_safe(f"{meta.form_title} (v{meta.form_version})"),
        header_left_width=FRAME_WIDTH * 0.6,
        header_right=_record_reference(meta),
        footer_left=f"Record {meta.record_id} · revision {meta.revision}",
        document_date=meta.document_date,
        **_signature_furniture(meta),
    )
    if meta.review is None:
        note = "Digital signatures (PAdES). Check them against the force root: dsvdesk verify FILE.pdf --trust FORCE_ROOT.pem"
    else:
        note = (
            "The officer's signed submission is attached to this file; dsvdesk verify checks both signatures."
        )
    end_with_signatures(builder.story, "Signatures", note)
    info = DocumentInfo(
        title=document_title(meta),
        author=meta.officer or "DSVDesk",
        subject=document_subject(meta, marking),
        keywords=document_keywords(meta, marking),
    )
    return build_document(builder.story, furniture, info=info)


def _signature_furniture(meta: RecordMeta) -> dict[str, Any]:
    """The boxes on the last page: both fields on a submission; on the approved document the supervisor's
    field, and the officer's box saying where the officer's own signature is (the attached submission)."""
    review = meta.review
    if review is None:
        return {
            "last_page_boxes": (
                (f"{SIGNATURE_LABELS[OFFICER_FIELD]} signature", SIGNATURE_BOXES[OFFICER_FIELD]),
            ),
            "box_notes": (
                (
                    SIGNATURE_BOXES[SUPERVISOR_FIELD],
                    (
                        "Supervisor's approval: a separate document,",
                        "signed by the supervisor, that carries the URN",
                        "and attaches this signed submission unchanged.",
                    ),
                ),
            ),
        }
    officer_box = SIGNATURE_BOXES[OFFICER_FIELD]
    digest = review.officer_signed_sha256
    lines = (
        meta.officer or "The officer",
        "signed the submission attached to this file:",
        review.officer_signed_file,
        f"SHA-256 {digest[:32]}",
        f"{digest[32:]}",
    )
    return {
        "last_page_boxes": (
            ("Officer signature (in the attached submission)", officer_box),
            (f"{SIGNATURE_LABELS[SUPERVISOR_FIELD]} signature (approval)", SIGNATURE_BOXES[SUPERVISOR_FIELD]),
        ),
        "box_notes": ((officer_box, tuple(header_safe(line) for line in lines)),),
    }
