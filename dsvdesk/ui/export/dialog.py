"""The Export… dialog: the signed PDF as it will leave the station, who receives it, why, and where
it goes. ``ExportDialog.ask()`` returns an ``ExportRequest`` or None; it writes nothing itself (the
export runs off the UI thread in dsvdesk/ui/export/hooks.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.export.preview import PdfPreview
from dsvdesk.ui.qt import (
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QPushButton,
    QShowEvent,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)

# Who usually receives a 124D. "Other" clears the box so the real recipient is typed, never logged as "Other".
COMMON_RECIPIENTS = ("CPS", "Court", "MARAC", "Children's Social Care")
OTHER = "Other…"
MAX_RECIPIENT_CHARS = 500
MAX_JUSTIFICATION_CHARS = 2_000


@dataclass(frozen=True, slots=True)
class ExportRequest:
    recipient: str
    justification: str
    folder: Path


def pick_folder(parent: QWidget | None, start: str) -> str:
    """The folder chooser (tests replace this function; the native dialog would block them)."""
    return str(QFileDialog.getExistingDirectory(parent, "Choose the folder to export into", start))


def _one_line(text: str) -> str:
    return " ".join(text.split())


class ExportDialog(MarkedDialog):
    def __init__(
        self,
        parent: QWidget | None,
        *,
        pdf: bytes,
        record_title: str,
        file_name: str,
        folder: str = "",
        signed_note: str = "",
    ) -> None:
        super().__init__(parent, "Export signed record")
        self.file_name = file_name
        self.add_heading(f"Export {record_title}")
        intro = QLabel(
            "This writes the signed PDF. The recipient checks its signatures against the force root they hold. "
            "The export is a disclosure: who receives it and why are kept in the audit log.",
            self,
        )
        intro.setWordWrap(True)
        self.body.addWidget(intro)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        self.preview = PdfPreview(splitter)
        self.preview.setMinimumWidth(360)
        self.preview.load(pdf)
        splitter.addWidget(self.preview)
        splitter.addWidget(self._build_fields(splitter, folder, signed_note))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])  # the same split whether or not the preview could be read
        self.body.addWidget(splitter, 1)

        self.error_label = self.add_error_label()
        buttons = QDialogButtonBox(self)
        self.export_button = buttons.addButton("&Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("primaryButton")
        self.export_button.setAccessibleName("Export the signed PDF")
        self.cancel_button = buttons.addButton("&Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        # Enter must never export by accident: no button is the default (see keyPressEvent too).
        for button in (self.export_button, self.cancel_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        self.body.addWidget(buttons)
        self.resize(1040, 720)
        self._update()
        self.recipient.setFocus()

    # --- layout -----------------------------------------------------------------------------------
    def _build_fields(self, parent: QWidget, folder: str, signed_note: str) -> QWidget:
        panel = QWidget(parent)
        column = QVBoxLayout(panel)
        column.setContentsMargins(12, 0, 0, 0)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)

        self.recipient = QComboBox(panel)
        self.recipient.setObjectName("exportRecipient")
        self.recipient.setEditable(True)
        self.recipient.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.recipient.addItems([*COMMON_RECIPIENTS, OTHER])
        self.recipient.setCurrentIndex(-1)
        self.recipient.setEditText("")
        self.recipient.setAccessibleName("Recipient")
        line = self.recipient.lineEdit()
        assert line is not None
        line.setPlaceholderText("Choose or type who receives it")
        line.setMaxLength(MAX_RECIPIENT_CHARS)
        self.recipient.activated.connect(self._recipient_chosen)
        self.recipient.editTextChanged.connect(self._update)
        form.addRow("&Recipient:", self.recipient)

        self.justification = self.make_text_box(
            "Justification for the disclosure",
            "Why it is disclosed, e.g. CPS charging file for the hearing on 3 March",
            height=96,
            object_name="exportJustification",
        )
        self.justification.textChanged.connect(self._update)
        form.addRow("&Justification (kept in the audit log):", self.justification)

        folder_row = QHBoxLayout()
        self.folder = QLineEdit(folder, panel)
        self.folder.setObjectName("exportFolder")
        self.folder.setAccessibleName("Folder to export into")
        self.folder.setPlaceholderText("Folder to write the files into")
        self.folder.textChanged.connect(self._update)
        folder_row.addWidget(self.folder, 1)
        self.browse_button = QPushButton("&Browse…", panel)
        self.browse_button.setAutoDefault(False)
        self.browse_button.setAccessibleName("Choose the folder")
        self.browse_button.clicked.connect(self.browse)
        folder_row.addWidget(self.browse_button)
        folder_label = QLabel(
            "&Folder:", panel
        )  # a row holding a layout gets no buddy (and no mnemonic) by itself
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        column.addLayout(form)

        if signed_note:
            self.signed_label = QLabel(signed_note, panel)
            self.signed_label.setObjectName("exportSignedNote")
            self.signed_label.setWordWrap(True)
            column.addWidget(self.signed_label)
        self.file_label = QLabel(f"File name: {self.file_name}", panel)
        self.file_label.setObjectName("exportFileName")
        self.file_label.setWordWrap(True)
        self.file_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.file_label)
        self.hint = QLabel("", panel)
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        column.addWidget(self.hint)
        column.addStretch(1)
        return panel

    # --- behaviour --------------------------------------------------------------------------------
    def _recipient_chosen(self, index: int) -> None:
        if self.recipient.itemText(index) == OTHER:
            self.recipient.setEditText("")
            line = self.recipient.lineEdit()
            if line is not None:
                line.setPlaceholderText("Type who receives it (name the organisation)")
            self.recipient.setFocus()
        self._update()

    def browse(self) -> None:
        chosen = pick_folder(self, self.folder.text().strip() or str(Path.home()))
        if chosen:
            self.folder.setText(chosen)

    def recipient_text(self) -> str:
        text = _one_line(self.recipient.currentText())
        return "" if text == OTHER else text

    def justification_text(self) -> str:
        return _one_line(self.justification.toPlainText())

    def folder_path(self) -> Path | None:
        text = self.folder.text().strip()
        return Path(text).expanduser() if text else None

    def missing(self) -> list[str]:
        """What still has to be filled in before Export can be pressed, in the order of the form."""
        needed = []
        if not self.recipient_text():
            needed.append("the recipient")
        if not self.justification_text():
            needed.append("why it is disclosed")
        if self.folder_path() is None:
            needed.append("the folder")
        return needed

    def _folder_problem(self) -> str:
        folder = self.folder_path()
        if folder is None:
            return ""
        if not folder.exists():
            return f"The folder {folder} does not exist. Choose one with Browse…"
        if not folder.is_dir():
            return f"{folder} is a file, not a folder."
        return ""

    def _update(self, *_args: Any) -> None:
        missing = self.missing()
        problem = self._folder_problem()
        if len(self.justification_text()) > MAX_JUSTIFICATION_CHARS:
            problem = (
                problem or f"The justification is too long (at most {MAX_JUSTIFICATION_CHARS:,} characters)."
            )
        self.export_button.setEnabled(not missing and not problem)
        parts = [f"To export, give {', '.join(missing)}."] if missing else []
        if problem:
            parts.append(problem)
        self.hint.setText(" ".join(parts) or "Ready to export.")

    def _check(self) -> None:
        self._update()
        if not self.export_button.isEnabled():  # e.g. the folder was removed since it was typed
            self.error_label.setText(self.hint.text())
            self.error_label.setVisible(True)
            return
        self.accept()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # QDialogButtonBox makes its first Accept button the default when it is shown; undo that so
        # neither Enter nor the look of the button suggests that Export is what Enter does.
        self.export_button.setDefault(False)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # QDialog presses its default button on Enter; here Enter only moves on (never exports).
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(
            self.focusWidget(), QPushButton
        ):
            self.focusNextChild()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # a focused button is pressed with Space, as everywhere else
            return
        super().keyPressEvent(event)

    def request(self) -> ExportRequest:
        folder = self.folder_path()
        assert folder is not None
        return ExportRequest(
            recipient=self.recipient_text(), justification=self.justification_text(), folder=folder
        )

    @classmethod
    def ask(
        cls,
        parent: QWidget | None,
        *,
        pdf: bytes,
        record_title: str,
        file_name: str,
        folder: str = "",
        signed_note: str = "",
    ) -> ExportRequest | None:
        dialog = cls(
            parent,
            pdf=pdf,
            record_title=record_title,
            file_name=file_name,
            folder=folder,
            signed_note=signed_note,
        )
        return dialog.request() if dialog.exec() == MarkedDialog.DialogCode.Accepted else None
