"""A dialog with the protective marking above and below its content."""

from __future__ import annotations

from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.qt import QDialog, QLabel, QVBoxLayout, QWidget


class MarkedDialog(QDialog):
    def __init__(self, parent: QWidget | None, title: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{title} — DSVDesk")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner(self))
        content = QWidget(self)
        self.body = QVBoxLayout(content)
        self.body.setContentsMargins(18, 14, 18, 14)
        self.body.setSpacing(10)
        outer.addWidget(content, 1)
        outer.addWidget(MarkingBanner(self))

    def add_heading(self, text: str) -> QLabel:
        heading = QLabel(text, self)
        heading.setObjectName("dialogHeading")
        heading.setWordWrap(True)
        self.body.addWidget(heading)
        return heading

    def add_error_label(self) -> QLabel:
        """An inline place for 'wrong password' style messages: no extra box to dismiss."""
        label = QLabel("", self)
        label.setObjectName("inlineError")
        label.setWordWrap(True)
        label.setVisible(False)
        label.setAccessibleName("Problem")
        self.body.addWidget(label)
        return label
