"""The live numbering preview: the current question in full with its paragraphs numbered as the PDF
will number them, Part A references shown with their values."""

from __future__ import annotations

import html
from collections.abc import Mapping

from dsvdesk.reporting.board import Progress, QuestionPreview, ReportPreview, split_tokens
from dsvdesk.ui.qt import QLabel, QTextBrowser, QVBoxLayout, QWidget

FIGURE_STYLE = "background-color:#dff0d8; color:#1e4620; font-weight:bold;"
UNKNOWN_STYLE = "background-color:#fde2e1; color:#8a1c13; font-weight:bold;"
PENDING_STYLE = "color:#52606d; font-style:italic;"
EMPTY_HINT = "Paragraphs get their number once they have text."


def rich_text(text: str, figures: Mapping[str, str] | None) -> str:
    """``text`` as HTML with its ``{{partA.key}}`` tokens shown as their values (highlighted), as the
    preview shows them and the exported PDF prints them."""
    out = []
    for piece in split_tokens(text, figures):
        escaped = html.escape(piece.text).replace("\n", "<br>")
        if piece.kind == "figure":
            out.append(f'<span style="{FIGURE_STYLE}" title="{html.escape(piece.key)}">{escaped}</span>')
        elif piece.kind == "unknown":
            out.append(f'<span style="{UNKNOWN_STYLE}">{escaped}</span>')
        elif piece.kind == "pending":
            out.append(f'<span style="{PENDING_STYLE}">{escaped}</span>')
        else:
            out.append(escaped)
    return "".join(out)


def question_html(
    question: QuestionPreview, figures: Mapping[str, str] | None, *, full: bool, section: bool = True
) -> str:
    """One question: in full (the page being written) or as a line of the whole report's outline."""
    parts = (
        [f"<p style='color:#52606d; margin:0'>{html.escape(question.section_heading)}</p>"] if section else []
    )
    number = f"{html.escape(question.number)} " if question.number else ""
    prompt = question.prompt if full else _short(question.prompt, 90)
    parts.append(f"<p style='margin-top:2px'><b>{number}{rich_text(prompt, figures)}</b></p>")
    if question.nothing_to_report:
        reason = (
            rich_text(question.nothing_reason, figures)
            if question.nothing_reason
            else "<i>(reason not given yet)</i>"
        )
        parts.append(f"<p><i>Nothing to report:</i> {reason}</p>")
        return "".join(parts)
    if not question.paragraphs:
        hint = f"No paragraphs yet. {EMPTY_HINT}" if full else "No paragraphs yet."
        parts.append(f"<p style='color:#52606d'><i>{hint}</i></p>")
        return "".join(parts)
    rows = []
    for paragraph in question.paragraphs:
        heading = f"<b><i>{rich_text(paragraph.heading, figures)}</i></b><br>" if paragraph.heading else ""
        text = rich_text(paragraph.text, figures) if full else rich_text(_short(paragraph.text), figures)
        rows.append(
            "<tr>"
            f"<td style='padding:3px 10px 3px 0; font-weight:bold; white-space:nowrap' valign='top'>{html.escape(paragraph.number)}</td>"
            f"<td style='padding:3px 0' valign='top'>{heading}{text}</td>"
            "</tr>"
        )
    parts.append(f"<table cellspacing='0' cellpadding='0'>{''.join(rows)}</table>")
    return "".join(parts)


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


class NumberingPreview(QWidget):
    """Shows the current question (or, on other pages, the outline of the whole report)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.style_label = QLabel("", self)
        self.style_label.setObjectName("panelTitle")
        self.style_label.setWordWrap(True)
        layout.addWidget(self.style_label)
        self.progress_label = QLabel("", self)
        self.progress_label.setObjectName("hint")
        self.progress_label.setWordWrap(True)
        self.progress_label.setAccessibleName("Questions answered")
        layout.addWidget(self.progress_label)
        self.setStyleSheet("QLabel#panelTitle { font-weight: bold; color: #1f2d3d; }")
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("boardPreview")
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Numbered paragraphs as they will be printed")
        layout.addWidget(self.browser, 1)
        self.figures_note = QLabel("", self)
        self.figures_note.setObjectName("hint")
        self.figures_note.setWordWrap(True)
        layout.addWidget(self.figures_note)
        self.numbers: list[
            str
        ] = []  # the paragraph numbers on show, in order (read by tests and screen readers)
        self.question_id: str | None = None
        self._html = ""

    def show_preview(
        self,
        preview: ReportPreview,
        progress: Progress,
        *,
        question_id: str | None,
        figures: Mapping[str, str] | None,
        figures_note: str,
    ) -> None:
        self.style_label.setText(f"Numbering {preview.style_label}")
        self.progress_label.setText(
            progress.text
            + (f" Still to do: {', '.join(progress.outstanding)}." if progress.outstanding else "")
        )
        self.figures_note.setText(figures_note)
        self.figures_note.setVisible(bool(figures_note))
        question = preview.for_question(question_id) if question_id else None
        if question is not None:
            self.question_id = question.question_id
            self.numbers = [p.number for p in question.paragraphs]
            body = question_html(question, figures, full=True)
        else:
            self.question_id = None
            self.numbers = preview.numbers()
            outline, previous = [], None
            for q in preview.questions:
                outline.append(question_html(q, figures, full=False, section=q.section_heading != previous))
                previous = q.section_heading
            body = "<p><b>The whole report</b> (open a question's page to see it in full)</p>" + "".join(
                outline
            )
        if body != self._html:
            self._html = body
            scroll = self.browser.verticalScrollBar().value()
            self.browser.setHtml(body)
            self.browser.verticalScrollBar().setValue(scroll)

    def plain_text(self) -> str:
        return str(self.browser.toPlainText())
