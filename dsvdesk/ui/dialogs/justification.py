"""Opening a record someone else owns needs a reason, kept in the audit log (DPA 2018 s.62 consultation)."""

from __future__ import annotations

from dsvdesk.ui.dialogs.base import MIN_REASON_CHARS, MarkedDialog, ReasonDialog
from dsvdesk.ui.qt import QWidget

__all__ = ["MIN_REASON_CHARS", "JustificationDialog"]


class JustificationDialog(ReasonDialog):
    def __init__(self, parent: QWidget | None, record_label: str, owner_name: str) -> None:
        super().__init__(
            parent,
            "Reason for opening",
            heading="Why are you opening this record?",
            explanation=f"{record_label} belongs to {owner_name}. Opening it is recorded in the audit log with "
            "your reason (Data Protection Act 2018, s.62).",
            accessible_name="Reason for opening the record",
            hint="e.g. Quality assurance of the DASH grading before MARAC",
            ok_text="&Open record",
            min_width=460,
        )
        self.open_button = self.ok_button

    @classmethod
    def ask(cls, parent: QWidget | None, record_label: str, owner_name: str) -> str | None:
        dialog = cls(parent, record_label, owner_name)
        return dialog.value() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None
