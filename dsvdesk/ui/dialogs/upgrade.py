"""Moving a draft to the installed version of its form (issue 18): the report first — which answers are
kept, which are dropped and why, which new questions need an answer — then Upgrade or Cancel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk.engine.upgrade import report_lines
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QLabel, QPlainTextEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.engine.upgrade import UpgradeReport


class UpgradeDialog(MarkedDialog):
    def __init__(self, parent: QWidget | None, report: UpgradeReport, spec: FormSpec) -> None:
        super().__init__(parent, "Move to the new version of the form")
        self.add_heading(f"Move this record to version {report.new_version} of the form?")
        lost = len(report.dropped)
        explanation = QLabel(
            f"{len(report.kept)} answer(s) are kept. "
            + (
                f"{lost} answer(s) cannot move and will be dropped; they are listed below with the reason. "
                if lost
                else "No answer is dropped. "
            )
            + (
                f"{len(report.needs_answer)} new question(s) will need an answer."
                if report.needs_answer
                else "No new question needs an answer."
            ),
            self,
        )
        explanation.setWordWrap(True)
        self.body.addWidget(explanation)
        self.report_box = QPlainTextEdit(self)
        self.report_box.setReadOnly(True)
        self.report_box.setAccessibleName("What the move does to the answers")
        self.report_box.setPlainText("\n".join(report_lines(report, spec)))
        self.body.addWidget(self.report_box, 1)
        self.upgrade_button = self.add_buttons("&Upgrade", self.accept)
        self.resize(620, 460)
        self.report_box.setFocus()

    @classmethod
    def ask(cls, parent: QWidget | None, report: UpgradeReport, spec: FormSpec) -> bool:
        """True when the officer chose Upgrade."""
        return cls(parent, report, spec).exec() == MarkedDialog.DialogCode.Accepted
