"""The supervisor's decisions: Return (with the comments), Approve (grade, rationale, password) and
Amend (a reason). Each dialog has ``ask()``; callers use it and tests monkeypatch it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dsvdesk.engine.spec import Question
from dsvdesk.ui.dialogs.base import MIN_REASON_CHARS, MarkedDialog, ReasonDialog
from dsvdesk.ui.qt import (
    QComboBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QWidget,
)

MIN_AMEND_REASON_CHARS = MIN_REASON_CHARS
KEEP_GRADE = ""  # the grade combo's "no supervisor grade" entry


@dataclass(frozen=True, slots=True)
class ApproveRequest:
    grade: str | None  # a choice value of the form's `review: grade` question, or None to leave it
    rationale: str | None
    password: str


class ReturnDialog(MarkedDialog):
    """Confirms a return: lists every comment that will travel with the record."""

    def __init__(
        self, parent: QWidget | None, comments: Sequence[tuple[str, str]], officer_name: str
    ) -> None:
        super().__init__(parent, "Return to the officer")
        count = len(comments)
        self.add_heading(
            f"Return this record to {officer_name} with {count} comment{'s' if count != 1 else ''}?"
        )
        self.add_explanation(
            "The record becomes a draft again for the officer. Each comment is shown beside its question "
            "in their form; they fix it and submit again."
        )
        self.list = QListWidget(self)
        self.list.setObjectName("returnComments")
        self.list.setAccessibleName("Comments that go back to the officer")
        self.list.setWordWrap(True)
        for label, text in comments:
            self.list.addItem(QListWidgetItem(f"{label}\n    {text}"))
        self.body.addWidget(self.list, 1)
        self.error_label = self.add_error_label()
        self.return_button = self.add_buttons("&Return to officer", self._check, enter_cancels=True)
        self._count = count
        self.resize(560, 380)

    def _check(self) -> None:
        if self._count == 0:
            self.error_label.setText("Add at least one comment saying what the officer must change.")
            self.error_label.setVisible(True)
            return
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, comments: Sequence[tuple[str, str]], officer_name: str) -> bool:
        """True when the supervisor confirms the return."""
        return bool(cls(parent, comments, officer_name).exec() == MarkedDialog.DialogCode.Accepted)


class ApproveDialog(MarkedDialog):
    """Confirm or change the grade (with a rationale), then the password that countersigns the PDF.

    ``check(grade, rationale)`` returns the problems that would stop the approval (a grade below the
    floor, a missing rationale, an unanswered QA question); they are shown here and nothing is sent."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        grade_question: Question | None,
        officer_grade: str,
        grade: str | None,
        rationale: str,
        check: Callable[[str | None, str | None], list[str]],
    ) -> None:
        super().__init__(parent, "Approve and countersign")
        self.add_heading("Approve and countersign")
        self._check_fn = check
        self._grade_question = grade_question
        form = QFormLayout()
        self.officer_grade_label = QLabel(officer_grade or "not recorded", self)
        self.officer_grade_label.setObjectName("officerGrade")
        form.addRow("Officer's grade:", self.officer_grade_label)
        self.grade = QComboBox(self)
        self.grade.setAccessibleName("Supervisor's grade")
        if grade_question is not None:
            self.grade.addItem("(confirm the officer's grade)", KEEP_GRADE)
            for choice in grade_question.choices:
                self.grade.addItem(choice.label, choice.value)
            index = self.grade.findData(grade or KEEP_GRADE)
            self.grade.setCurrentIndex(max(0, index))
            form.addRow("&Your grade:", self.grade)
        else:
            self.grade.setVisible(False)
        self.rationale = self.make_text_box(
            "Rationale for the grade",
            "Why this grade (needed when you change the officer's grade)",
            text=rationale,
            object_name="approveRationale",
        )
        form.addRow("&Rationale:", self.rationale)
        self.body.addLayout(form)
        self.add_explanation(
            "Approving allocates the record's reference number (URN), countersigns the officer's signed PDF "
            "with your key and locks the record. The grade and rationale are printed on your signature stamp."
        )
        self.password = self.make_password_box(hint="Your password")
        self.body.addWidget(self.password)
        self.error_label = self.add_error_label()
        # Enter in the password box never approves by accident.
        self.approve_button = self.add_buttons("&Approve and sign", self._check, enter_cancels=True)
        self.setMinimumWidth(520)
        (self.grade if grade_question is not None else self.rationale).setFocus()

    def chosen_grade(self) -> str | None:
        if self._grade_question is None:
            return None
        value = self.grade.currentData()
        return str(value) if value else None

    def chosen_rationale(self) -> str | None:
        text = self.rationale.toPlainText().strip()
        return text or None

    def _check(self) -> None:
        problems = self._check_fn(self.chosen_grade(), self.chosen_rationale())
        if problems:
            shown = problems[:6]
            more = f"\n… and {len(problems) - 6} more" if len(problems) > 6 else ""
            self.error_label.setText("Not approved yet:\n" + "\n".join(f"• {p}" for p in shown) + more)
        elif not self.password.text():
            self.error_label.setText("Enter your password to countersign the record.")
        else:
            self.accept()
            return
        self.error_label.setVisible(True)

    def value(self) -> ApproveRequest:
        return ApproveRequest(self.chosen_grade(), self.chosen_rationale(), self.password.text())

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        grade_question: Question | None,
        officer_grade: str,
        grade: str | None,
        rationale: str,
        check: Callable[[str | None, str | None], list[str]],
    ) -> ApproveRequest | None:
        dialog = cls(
            parent,
            grade_question=grade_question,
            officer_grade=officer_grade,
            grade=grade,
            rationale=rationale,
            check=check,
        )
        return dialog.value() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None


class AmendDialog(ReasonDialog):
    """The reason for amending an approved record (kept with the new revision and printed on its PDF)."""

    def __init__(self, parent: QWidget | None, record_label: str, urn: str) -> None:
        super().__init__(
            parent,
            "Amend an approved record",
            heading="Why does this approved record need amending?",
            explanation=f"{record_label} ({urn or 'approved'}) stays as it was approved, with its signed PDF. A "
            "new revision is started as a draft; it goes through review again and its PDF says which revision "
            "it replaces.",
            accessible_name="Reason for the amendment",
            hint="e.g. The victim's date of birth was entered wrongly",
            ok_text="&Start amendment",
            object_name="amendReason",
            min_width=480,
        )
        self.amend_button = self.ok_button

    @classmethod
    def ask(cls, parent: QWidget | None, record_label: str, urn: str) -> str | None:
        dialog = cls(parent, record_label, urn)
        return dialog.value() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None
