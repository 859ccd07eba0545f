"""The supervisor's decisions: Return (with the comments), Approve (grade, rationale, password) and
Amend (a reason). Each dialog has ``ask()``; callers use it and tests monkeypatch it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dsvdesk.engine.spec import Question
from dsvdesk.ui.dialogs.base import MIN_REASON_CHARS, MarkedDialog, ReasonDialog
from dsvdesk.ui.qt import (
    QComboBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    Qt,
    QWidget,
)

MIN_AMEND_REASON_CHARS = MIN_REASON_CHARS
KEEP_GRADE = ""  # the grade combo's "no grade chosen yet" entry (no officer's grade to confirm)
PROBLEM_ROLE = int(Qt.ItemDataRole.UserRole) + 1
JUMP_RESULT = 2  # the dialog closed to show a problem's question


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


@dataclass(frozen=True, slots=True)
class ApproveJump:
    """The supervisor chose a problem in the approve dialog: go to its question instead of approving."""

    finding: Any


def _problem_text(problem: Any, page_titles: Mapping[str, str]) -> str:
    message = problem if isinstance(problem, str) else str(getattr(problem, "message", problem))
    page = page_titles.get(str(getattr(problem, "page_id", "") or ""), "")
    return f"{page}: {message}" if page else message


class ApproveDialog(MarkedDialog):
    """Confirm or change the grade (with a rationale), then the password that countersigns the PDF.

    ``check(grade, rationale)`` returns the problems that would stop the approval (a grade below the
    floor, a missing rationale, an unanswered QA question): strings, or findings with a ``question_id``.
    They are listed here and nothing is sent; choosing a finding (Enter or double-click) closes the
    dialog with an ``ApproveJump`` so the screen can show that question, as the officer's submit does.
    Confirming the officer's grade is a real choice: it sends the officer's grade as the supervisor's."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        grade_question: Question | None,
        officer_grade: str,
        grade: str | None,
        rationale: str,
        check: Callable[[str | None, str | None], Sequence[Any]],
        officer_grade_value: str | None = None,
        page_titles: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent, "Approve and countersign")
        self.heading = self.add_heading("Approve and countersign")
        self._check_fn = check
        self._grade_question = grade_question
        self._page_titles = dict(page_titles or {})
        self.jump: ApproveJump | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.officer_grade_label = QLabel(officer_grade or "not recorded", self)
        self.officer_grade_label.setObjectName("officerGrade")
        form.addRow("Officer's grade:", self.officer_grade_label)
        self.grade = QComboBox(self)
        self.grade.setAccessibleName("Supervisor's grade")
        if grade_question is not None:
            values = {c.value for c in grade_question.choices}
            if officer_grade_value in values:
                label = grade_question.choice_label(officer_grade_value)
                self.grade.addItem(f"Confirm the officer's grade: {label}", officer_grade_value)
            else:
                self.grade.addItem("Choose a grade", KEEP_GRADE)
            for choice in grade_question.choices:
                self.grade.addItem(choice.label, choice.value)
            index = self.grade.findData(grade) if grade else 0
            self.grade.setCurrentIndex(max(0, index))
            form.addRow("&Your grade:", self.grade)
        else:
            self.grade.setVisible(False)
        self.rationale = self.make_text_box(
            "Rationale for the grade",
            "Why this grade (needed when you change the officer's grade)",
            text=rationale,
            height=64,
            object_name="approveRationale",
        )
        form.addRow("&Rationale:", self.rationale)
        self.body.addLayout(form)
        self.add_explanation(
            "Approving gives the record its reference number (URN), countersigns the officer's PDF with your "
            "key (grade and rationale on the stamp) and locks the record."
        )
        password_label = QLabel("Your &password:", self)
        self.body.addWidget(password_label)
        self.password = self.make_password_box(hint="Your password")
        password_label.setBuddy(self.password)
        self.body.addWidget(self.password)
        self.error_label = self.add_error_label()
        self.problem_list = QListWidget(self)
        self.problem_list.setObjectName("approveProblems")
        self.problem_list.setAccessibleName("What stops the approval: choose one to go to its question")
        self.problem_list.setWordWrap(True)
        self.problem_list.setVisible(False)
        self.problem_list.setMinimumHeight(56)  # two lines at least; it scrolls
        self.problem_list.itemActivated.connect(self._problem_chosen)
        self.body.addWidget(self.problem_list, 1)
        # Enter in the password box approves when nothing stops it; otherwise the problems are listed
        # and the dialog stays open (a silent cancel let a sergeant believe it was approved).
        self.approve_button = self.add_buttons("&Approve and sign", self._check, enter_checks=True)
        self.setMinimumWidth(560)
        (self.grade if grade_question is not None else self.rationale).setFocus()

    def chosen_grade(self) -> str | None:
        if self._grade_question is None:
            return None
        value = self.grade.currentData()
        return str(value) if value else None

    def chosen_rationale(self) -> str | None:
        text = self.rationale.toPlainText().strip()
        return text or None

    def problems_text(self) -> str:
        """What the dialog says is in the way (the message and the listed problems), as plain text."""
        items = [self.problem_list.item(i).text() for i in range(self.problem_list.count())]
        return "\n".join([self.error_label.text(), *items]).strip()

    def _check(self) -> None:
        problems = list(self._check_fn(self.chosen_grade(), self.chosen_rationale()))
        self.problem_list.clear()
        if problems:
            count = len(problems)
            self.error_label.setText(
                f"Not approved yet: {count} thing{'s' if count != 1 else ''} to settle first. "
                "Choose one to go to its question."
            )
            for problem in problems:
                item = QListWidgetItem(_problem_text(problem, self._page_titles))
                if not isinstance(problem, str) and getattr(problem, "question_id", None):
                    item.setData(PROBLEM_ROLE, problem)
                self.problem_list.addItem(item)
            self.problem_list.setCurrentRow(0)
        elif not self.password.text():
            self.error_label.setText("Enter your password to countersign the record.")
        else:
            self.accept()
            return
        self.error_label.setVisible(True)
        self.problem_list.setVisible(bool(problems))
        self.grow_to_fit()  # room for the message and the list, as far as the screen allows

    def _problem_chosen(self, item: QListWidgetItem | None) -> None:
        finding = item.data(PROBLEM_ROLE) if item is not None else None
        if finding is None:
            return
        self.jump = ApproveJump(finding)
        self.done(JUMP_RESULT)

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
        check: Callable[[str | None, str | None], Sequence[Any]],
        officer_grade_value: str | None = None,
        page_titles: Mapping[str, str] | None = None,
    ) -> ApproveRequest | ApproveJump | None:
        dialog = cls(
            parent,
            grade_question=grade_question,
            officer_grade=officer_grade,
            grade=grade,
            rationale=rationale,
            check=check,
            officer_grade_value=officer_grade_value,
            page_titles=page_titles,
        )
        result = dialog.exec()
        if result == MarkedDialog.DialogCode.Accepted:
            return dialog.value()
        return dialog.jump


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
