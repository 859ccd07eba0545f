"""Opening a record someone else owns needs a reason, kept in the audit log (DPA 2018 s.62 consultation)."""

from __future__ import annotations

from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QDialogButtonBox, QLabel, QPlainTextEdit, QWidget

MIN_REASON_CHARS = 10


class JustificationDialog(MarkedDialog):
    def __init__(self, parent: QWidget | None, record_label: str, owner_name: str) -> None:
        super().__init__(parent, "Reason for opening")
        self.add_heading("Why are you opening this record?")
        explain = QLabel(
            f"{record_label} belongs to {owner_name}. Opening it is recorded in the audit log with your "
            "reason (Data Protection Act 2018, s.62).",
            self,
        )
        explain.setWordWrap(True)
        self.body.addWidget(explain)
        self.reason = QPlainTextEdit(self)
        self.reason.setAccessibleName("Reason for opening the record")
        self.reason.setPlaceholderText("e.g. Quality assurance of the DASH grading before MARAC")
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(90)
        self.body.addWidget(self.reason)
        self.error_label = self.add_error_label()
        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("&Open record", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        self.body.addWidget(buttons)
        self.setMinimumWidth(460)
        self.reason.setFocus()

    def _check(self) -> None:
        if len(self.reason.toPlainText().strip()) < MIN_REASON_CHARS:
            self.error_label.setText(f"Give a reason of at least {MIN_REASON_CHARS} characters.")
            self.error_label.setVisible(True)
            return
        self.accept()

    def value(self) -> str:
        return " ".join(self.reason.toPlainText().split())

    @classmethod
    def ask(cls, parent: QWidget | None, record_label: str, owner_name: str) -> str | None:
        dialog = cls(parent, record_label, owner_name)
        return dialog.value() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None
