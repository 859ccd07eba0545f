"""The live panel beside the pages: the form's summary items and the current rule findings.

Everything shown comes from the definition (``spec.summary`` and the rules): the panel knows nothing
about DASH. A finding can be activated (click, or Enter on the list) to jump to its question.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dsvdesk.ui.qt import (
    QFormLayout,
    QFrame,
    QLabel,
    QListWidget,
    QListWidgetItem,
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        heading = QLabel("Summary", self)
        heading.setObjectName("panelHeading")
        layout.addWidget(heading)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.value_labels: list[QLabel] = []
        for text in labels:
            caption = QLabel(text, self)
            caption.setWordWrap(True)
            value = QLabel("—", self)
            value.setObjectName("summaryValue")
            value.setAccessibleName(text)
            value.setWordWrap(True)
            form.addRow(caption, value)
            self.value_labels.append(value)
        layout.addLayout(form)
        self.findings_heading = QLabel("Checks", self)
        self.findings_heading.setObjectName("panelHeading")
        layout.addWidget(self.findings_heading)
        self.findings = QListWidget(self)
        self.findings.setObjectName("findingsList")
        self.findings.setAccessibleName("Problems found: choose one to go to its question")
        self.findings.setWordWrap(True)
        self.findings.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # Tab stays in the form; Ctrl+E focuses it
        self.findings.itemActivated.connect(self._activated)
        self.findings.itemClicked.connect(self._activated)
        layout.addWidget(self.findings, 3)
        self.none_label = QLabel("No problems found so far.", self)
        self.none_label.setObjectName("hint")
        self.none_label.setWordWrap(True)
        layout.addWidget(self.none_label)
        layout.addStretch(1)  # with no findings, the summary stays at the top instead of spreading out
        self._shown_values: list[str] = ["—"] * len(labels)
        self._shown_findings: list[tuple[str, str]] | None = None

    def show_summary(self, values: Sequence[Any], labels: Sequence[dict[str, str] | None] = ()) -> None:
        for index, value in enumerate(values):
            text = format_value(value, labels[index] if index < len(labels) else None)
            if index < len(self.value_labels) and self._shown_values[index] != text:
                self._shown_values[index] = text
                self.value_labels[index].setText(text)

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
