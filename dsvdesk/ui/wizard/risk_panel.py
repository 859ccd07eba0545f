"""The live panel beside the pages: the form's summary items and the current rule findings.

Everything shown comes from the definition (``spec.summary`` and the rules): the panel knows nothing
about DASH. A finding can be activated (click, or Enter on the list) to jump to its question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dsvdesk.ui.qt import (
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.wizard.values import format_value

FINDING_ROLE = int(Qt.ItemDataRole.UserRole) + 1


class RiskPanel(QFrame):
    finding_activated = Signal(object)  # the engine's Finding

    def __init__(self, labels: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("riskPanel")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        # Everything scrolls (vertically only) on a short screen: at 150% a fixed layout cut the last
        # summary lines off (issue 20: "Q17 threats to kill disappears"). Captions sit above their
        # values, so a narrow panel wraps text instead of clipping it.
        self.content_scroll = QScrollArea(self)
        self.content_scroll.setObjectName("riskPanelScroll")
        self.content_scroll.setWidgetResizable(True)
        self.content_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.content_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.content_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        inner = QWidget(self.content_scroll)
        inner.setObjectName("riskPanelInner")
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(2)
        heading = QLabel("Summary", inner)
        heading.setObjectName("panelHeading")
        layout.addWidget(heading)
        # Findings of rules the form tags `prompt` (e.g. professional judgement when a high-risk item is
        # yes below the count threshold) stand out here, above the figures, as well as under Checks.
        self.prompt_label = QLabel("", inner)
        self.prompt_label.setObjectName("panelPrompt")
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_label.setAccessibleName("Prompt")
        self.prompt_label.setVisible(False)
        layout.addWidget(self.prompt_label)
        self.value_labels: list[QLabel] = []
        for text in labels:
            caption = QLabel(text, inner)
            caption.setObjectName("summaryCaption")
            caption.setWordWrap(True)
            value = QLabel("—", inner)
            value.setObjectName("summaryValue")
            value.setAccessibleName(text)
            value.setWordWrap(True)
            value.setContentsMargins(0, 0, 0, 6)
            layout.addWidget(caption)
            layout.addWidget(value)
            self.value_labels.append(value)
        self.findings_heading = QLabel("Checks", inner)
        self.findings_heading.setObjectName("panelHeading")
        layout.addWidget(self.findings_heading)
        self.findings = QListWidget(inner)
        self.findings.setObjectName("findingsList")
        self.findings.setAccessibleName("Problems found: choose one to go to its question")
        self.findings.setWordWrap(True)
        self.findings.setMinimumHeight(120)
        self.findings.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.findings.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stays in the form; Ctrl+E focuses it
        self.findings.itemActivated.connect(self._activated)
        self.findings.itemClicked.connect(self._activated)
        layout.addWidget(self.findings, 3)
        self.none_label = QLabel("No problems found so far.", inner)
        self.none_label.setObjectName("hint")
        self.none_label.setWordWrap(True)
        layout.addWidget(self.none_label)
        layout.addStretch(1)  # with no findings, the summary stays at the top instead of spreading out
        self.content_scroll.setWidget(inner)
        outer.addWidget(self.content_scroll)
        self._shown_values: list[str] = ["—"] * len(labels)
        self._shown_findings: list[tuple[str, str]] | None = None

    def show_summary(self, values: Sequence[Any], labels: Sequence[dict[str, str] | None] = ()) -> None:
        for index, value in enumerate(values):
            text = format_value(value, labels[index] if index < len(labels) else None)
            if index < len(self.value_labels) and self._shown_values[index] != text:
                self._shown_values[index] = text
                self.value_labels[index].setText(text)

    def show_prompts(self, messages: Sequence[str]) -> None:
        text = "\n\n".join(dict.fromkeys(messages))
        if text != self.prompt_label.text():
            self.prompt_label.setText(text)
        self.prompt_label.setVisible(bool(text))

    def show_findings(self, findings: Sequence[Any]) -> None:
        key = [(str(f.severity), f.message + str(f.question_id) + str(f.item_index)) for f in findings]
        if key == self._shown_findings:
            return
        self._shown_findings = key
        self.findings.clear()
        for finding in findings:
            is_error = str(finding.severity) == "error"
            prefix = "⚠ " if is_error else "• "
            item = QListWidgetItem(prefix + finding.message)
            item.setData(FINDING_ROLE, finding)
            item.setToolTip("Error: must be fixed before submitting" if is_error else "Warning")
            if is_error:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.findings.addItem(item)
        self.none_label.setVisible(not findings)
        self.findings.setVisible(bool(findings))

    def _activated(self, item: QListWidgetItem) -> None:
        finding = item.data(FINDING_ROLE)
        if finding is not None:
            self.finding_activated.emit(finding)
