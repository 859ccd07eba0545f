"""Submitting a record: the declaration and the officer's password (which unlocks their signing key)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import (
    QCheckBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    Qt,
    QWidget,
)

DEFAULT_DECLARATION = (
    "I declare that this record is accurate and complete to the best of my knowledge, and that the "
    "answers were given by the person named or recorded as not asked with the reason."
)
FINDING_ROLE = int(Qt.ItemDataRole.UserRole) + 1


class SubmitDialog(MarkedDialog):
    def __init__(self, parent: QWidget | None, *, declaration: str, full_name: str) -> None:
        super().__init__(parent, "Submit for review")
        self.add_heading("Submit for review")
        text = QLabel(declaration or DEFAULT_DECLARATION, self)
        text.setWordWrap(True)
        text.setObjectName("declaration")
        self.body.addWidget(text)
        self.agree = QCheckBox(f"I, {full_name}, make this &declaration", self)
        self.agree.setAccessibleName("I make this declaration")
        self.body.addWidget(self.agree)
        note = QLabel("Your password signs the record. After submitting, it can no longer be changed.", self)
        note.setWordWrap(True)
        self.body.addWidget(note)
        self.password = self.make_password_box(hint="Your password")
        self.body.addWidget(self.password)
        self.error_label = self.add_error_label()
        # Enter in the password box submits when the declaration is ticked and a password typed;
        # otherwise it says what is missing and the dialog stays open (issue 20).
        self.submit_button = self.add_buttons("S&ubmit and sign", self._check, enter_checks=True)
        self.setMinimumWidth(480)
        self.agree.setFocus()

    def _check(self) -> None:
        if not self.agree.isChecked():
            self.error_label.setText("Tick the declaration to submit.")
        elif not self.password.text():
            self.error_label.setText("Enter your password to sign the record.")
        else:
            self.accept()
            return
        self.error_label.setVisible(True)

    @classmethod
    def ask(cls, parent: QWidget | None, *, declaration: str, full_name: str) -> str | None:
        """The password, or None when the officer cancelled."""
        dialog = cls(parent, declaration=declaration, full_name=full_name)
        if dialog.exec() == MarkedDialog.DialogCode.Accepted:
            return dialog.password.text()
        return None


class ProblemsDialog(MarkedDialog):
    """The completeness errors that stop submission; choosing one (click or Enter) goes to its question."""

    def __init__(
        self,
        parent: QWidget | None,
        findings: Sequence[Any],
        page_titles: dict[str, str],
        *,
        title: str = "Not ready to submit",
        before: str = "submitting",
    ) -> None:
        super().__init__(parent, title)
        count = len(findings)
        self.add_heading(f"{count} thing{'s' if count != 1 else ''} to fix before {before}")
        hint = QLabel("Choose one to go straight to the question (Enter or double-click).", self)
        hint.setWordWrap(True)
        self.body.addWidget(hint)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Problems to fix")
        self.list.setWordWrap(True)
        for finding in findings:
            page = page_titles.get(str(finding.page_id or ""), "")
            item = QListWidgetItem(f"{page}: {finding.message}" if page else finding.message)
            item.setData(FINDING_ROLE, finding)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(self._chosen)
        self.body.addWidget(self.list, 1)
        self.go_button = self.add_buttons(
            "&Go to question", lambda: self._chosen(self.list.currentItem()), cancel_text="&Close"
        )
        self.chosen: Any = None
        self.resize(560, 420)
        self.list.setFocus()

    def _chosen(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        self.chosen = item.data(FINDING_ROLE)
        self.accept()

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        findings: Sequence[Any],
        page_titles: dict[str, str],
        *,
        title: str = "Not ready to submit",
        before: str = "submitting",
    ) -> Any:
        """The finding chosen to jump to, or None. ``title``/``before`` word it for the action blocked
        (the board wizard says "exporting the board pack", not the officer's "submitting")."""
        dialog = cls(parent, findings, page_titles, title=title, before=before)
        dialog.exec()
        return dialog.chosen
