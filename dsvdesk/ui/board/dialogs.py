"""Board-report dialogs: choosing a Part A figure to quote, exporting the board pack, and its result.

Each dialog that asks something has an ``ask()`` classmethod (tests replace it); the result dialog is
opened without blocking so the supervisor can keep it beside the window.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dsvdesk.reporting.board import FigureChoice, search_words
from dsvdesk.reporting.pack import BOARD_RECIPIENT
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import (
    QDialogButtonBox,
    QFileDialog,
    QFont,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    Qt,
    QWidget,
)

KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 1


class FigurePickerDialog(MarkedDialog):
    """Every Part A figure with its current value; typing filters, Enter (or double-click) inserts."""

    def __init__(
        self, parent: QWidget | None, choices: Sequence[FigureChoice], *, period_label: str, message: str
    ) -> None:
        super().__init__(parent, "Insert Part A figure")
        self.add_heading("Insert a Part A figure")
        intro = QLabel(
            f"Figures for {period_label}. {message} The paragraph holds a reference such as "
            "{{partA.records}}; the exported report prints the figure's value.",
            self,
        )
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.body.addWidget(intro)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type to filter, e.g. MARAC, arrest, repeat")
        self.search.setAccessibleName("Filter the figures")
        self.search.setClearButtonEnabled(True)
        self.body.addWidget(self.search)
        self.list = QListWidget(self)
        self.list.setAccessibleName("Part A figures")
        self.list.setUniformItemSizes(True)
        self._choices = list(choices)
        for choice in self._choices:
            kind = "" if choice.computed else f"   ✎ entered ({choice.source})"
            item = QListWidgetItem(f"{choice.label}: {choice.value}   [{choice.key}]{kind}")
            item.setData(KEY_ROLE, choice.key)
            item.setToolTip(f"{choice.group} — inserts {choice.token}")
            if not choice.computed:
                font = item.font()
                font.setItalic(True)
                item.setFont(font)
            self.list.addItem(item)
        self.body.addWidget(self.list, 1)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("hint")
        self.body.addWidget(self.count_label)
        self.insert_button = self.add_buttons("&Insert", self._choose_current)
        self.chosen: str | None = None
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._choose_current)
        self.list.itemActivated.connect(self._choose)
        self._filter("")
        self.resize(640, 520)
        self.search.setFocus()

    def keyPressEvent(self, event):  # type: ignore[no-untyped-def]
        # Up/Down typed in the filter box reach here (the list handles its own): move through the list,
        # as in any search-as-you-type picker.
        if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if event.key() == Qt.Key.Key_Up else 1
            self._step(step)
            return
        super().keyPressEvent(event)

    def _step(self, step: int) -> None:
        rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        position = rows.index(current) + step if current in rows else 0
        self.list.setCurrentRow(rows[max(0, min(position, len(rows) - 1))])

    def _filter(self, text: str) -> None:
        words = search_words(text)
        shown = 0
        first: int | None = None
        for row, choice in enumerate(self._choices):
            visible = choice.matches(words)
            self.list.item(row).setHidden(not visible)
            if visible:
                shown += 1
                first = row if first is None else first
        current = self.list.currentRow()
        if first is not None and (current < 0 or self.list.item(current).isHidden()):
            self.list.setCurrentRow(first)
        self.count_label.setText(f"{shown} of {len(self._choices)} figures")
        self.insert_button.setEnabled(shown > 0)

    def _choose_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._choose(item)

    def _choose(self, item: QListWidgetItem) -> None:
        self.chosen = str(item.data(KEY_ROLE))
        self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None, choices: Sequence[FigureChoice], *, period_label: str, message: str
    ) -> str | None:
        """The chosen figure's key, or None."""
        dialog = cls(parent, choices, period_label=period_label, message=message)
        dialog.exec()
        return dialog.chosen


@dataclass(frozen=True, slots=True)
class PackRequest:
    folder: Path
    password: str
    justification: str


def folder_problem(text: str) -> str | None:
    """Why a typed folder cannot take the pack, in words a user can act on (None: it can)."""
    if not text.strip():
        return "Choose the folder to write the board pack into."
    folder = Path(text.strip()).expanduser()
    if not folder.exists():
        return f"The folder {folder} does not exist. Choose an existing folder."
    if not folder.is_dir():
        return f"{folder} is a file, not a folder. Choose a folder."
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"DSVDesk cannot write into {folder}. Choose a folder you can save files in."
    return None


class PackExportDialog(MarkedDialog):
    """Where to write the pack, the fixed recipient, the reason recorded with the disclosure, and the
    password that unlocks the supervisor's signing key."""

    def __init__(
        self,
        parent: QWidget | None,
        *,
        report_label: str,
        folder: Path,
        justification: str,
        justification_editable: bool,
    ) -> None:
        super().__init__(parent, "Export board pack")
        self.add_heading(f"Export board pack — {report_label}")
        note = QLabel(
            "DSVDesk signs Part B and Part A with your key and writes a folder and a zip of it. The export is "
            "recorded in the audit log as a disclosure to the Board.",
            self,
        )
        note.setWordWrap(True)
        self.body.addWidget(note)
        form = QFormLayout()
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(str(folder), self)
        self.folder.setAccessibleName("Folder to write the pack into")
        self.browse_button = QPushButton("C&hoose…", self)
        self.browse_button.setAutoDefault(False)
        self.browse_button.clicked.connect(self._browse)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.browse_button)
        folder_label = QLabel("&Folder", self)
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        self.recipient = QLineEdit(BOARD_RECIPIENT, self)
        self.recipient.setReadOnly(True)
        self.recipient.setAccessibleName("Recipient (fixed)")
        form.addRow("Recipient", self.recipient)
        self.justification = self.make_text_box(
            "Reason recorded in the audit log", text=justification, height=60
        )
        self.justification.setReadOnly(not justification_editable)
        reason_label = QLabel("&Reason", self)
        reason_label.setBuddy(self.justification)
        form.addRow(reason_label, self.justification)
        if not justification_editable:
            self.justification.setStyleSheet("QPlainTextEdit { background: #f0f4f8; color: #334e68; }")
            fixed = QLabel("The standard reason for a board pack is recorded.", self)
            fixed.setObjectName("hint")
            form.addRow("", fixed)
        self.password = self.make_password_box(hint="Your password (signs the PDFs)")
        password_label = QLabel("&Password", self)
        password_label.setBuddy(self.password)
        form.addRow(password_label, self.password)
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        # Enter in the password box must not export by accident.
        self.export_button = self.add_buttons("&Export and sign", self._check, enter_cancels=True)
        self.setMinimumWidth(560)
        self.password.setFocus()

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Folder for the board pack", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def request(self) -> PackRequest:
        return PackRequest(
            Path(self.folder.text().strip()).expanduser(),
            self.password.text(),
            " ".join(self.justification.toPlainText().split()),
        )

    def _check(self) -> None:
        problem = folder_problem(self.folder.text())
        if problem is None and not self.request().justification:
            problem = "Give the reason for this disclosure; it is recorded in the audit log."
        if problem is None and not self.password.text():
            problem = "Enter your password: it unlocks your key to sign the pack."
        if problem is None:
            self.accept()
            return
        self.error_label.setText(problem)
        self.error_label.setVisible(True)

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        report_label: str,
        folder: Path,
        justification: str,
        justification_editable: bool,
    ) -> PackRequest | None:
        """The folder, password and reason, or None when the supervisor cancelled."""
        dialog = cls(
            parent,
            report_label=report_label,
            folder=folder,
            justification=justification,
            justification_editable=justification_editable,
        )
        if dialog.exec() == MarkedDialog.DialogCode.Accepted:
            return dialog.request()
        return None


class PackResultDialog(MarkedDialog):
    """Where the pack was written and the verification of it, one line per file."""

    def __init__(
        self, parent: QWidget | None, *, folder: Path, zip_path: Path, lines: Sequence[str], ok: bool
    ) -> None:
        super().__init__(parent, "Board pack exported")
        self.add_heading(
            "Board pack exported and verified" if ok else "Board pack exported — verification FAILED"
        )
        where = QLabel(f"Folder: {folder}\nZip: {zip_path}", self)
        where.setWordWrap(True)
        where.setTextFormat(Qt.TextFormat.PlainText)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setAccessibleName("Where the pack was written")
        self.body.addWidget(where)
        caption = QLabel(
            "Check of every file (hash, size, signature) against this station's CA:"
            if ok
            else "Some files did not pass the check. Do not send this pack; export it again and tell IT support:",
            self,
        )
        caption.setWordWrap(True)
        self.body.addWidget(caption)
        self.result_text = QPlainTextEdit("\n".join(lines), self)
        self.result_text.setReadOnly(True)
        self.result_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.result_text.setFont(mono)
        self.result_text.setAccessibleName("Verification, one line per file")
        self.body.addWidget(self.result_text, 1)
        self.ok = ok
        buttons = QDialogButtonBox(self)
        close = buttons.addButton("&Close", QDialogButtonBox.ButtonRole.AcceptRole)
        close.setDefault(True)
        buttons.accepted.connect(self.accept)
        self.body.addWidget(buttons)
        self.resize(760, 360)

    @classmethod
    def present(
        cls, parent: QWidget | None, *, folder: Path, zip_path: Path, lines: Sequence[str], ok: bool
    ) -> PackResultDialog:
        dialog = cls(parent, folder=folder, zip_path=zip_path, lines=lines, ok=ok)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
