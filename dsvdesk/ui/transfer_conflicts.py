"""File ▸ Transfer conflicts… (issue 17), for supervisors: a record changed here and at another unit.

The dialog lists the open conflicts; for the one chosen it shows this PC's state and the other unit's
side by side, one row per answer (and the status and revision), the rows that differ marked "≠" and
highlighted. "Keep this PC's" or "Keep the other unit's" settles it (``resolve_transfer_conflict``: one
audited change whose next bundle carries the decision to the other unit). Everything is reachable from
the keyboard: Alt+R the record, Alt+A the answers, Alt+K / Alt+O the two choices, Alt+C or Escape closes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.spec import Question
from dsvdesk.errors import UserFacingError
from dsvdesk.export.pdf_layout import format_value
from dsvdesk.store import StorageBug
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.models.records import STATUS_LABELS
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)
from dsvdesk.ui.wizard.values import display_date

if TYPE_CHECKING:
    from dsvdesk.store import Session, Store

CHANGED = "≠ "
_ROOMY = (720, 560)  # the size asked for once filled (then fitted to the screen: 911x512 at 150%)
_HIGHLIGHT = "#fff3bf"  # the changed rows' background (with the ≠ mark and bold: not colour alone)


@dataclass(frozen=True, slots=True)
class Difference:
    key: str
    label: str
    ours: str
    theirs: str

    @property
    def changed(self) -> bool:
        return self.ours != self.theirs


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def differences(
    ours: Mapping[str, Any], theirs: Mapping[str, Any], labels: Mapping[str, str] | None = None
) -> list[Difference]:
    """One row per answer either side holds (in the form's order where ``labels`` gives it, then by
    id), after the status and the revision."""
    labels = labels or {}
    ours_answers = dict(ours.get("answers") or {})
    theirs_answers = dict(theirs.get("answers") or {})
    rows = [
        Difference("status", "Status", _shown(ours.get("status")), _shown(theirs.get("status"))),
        Difference("revision", "Revision", _shown(ours.get("revision")), _shown(theirs.get("revision"))),
    ]
    keys = [k for k in labels if k in ours_answers or k in theirs_answers]
    keys += sorted((set(ours_answers) | set(theirs_answers)) - set(keys))
    rows += [
        Difference(k, labels.get(k, k), _shown(ours_answers.get(k)), _shown(theirs_answers.get(k)))
        for k in keys
    ]
    return rows


def _readable(state: Mapping[str, Any], questions: Mapping[str, Question]) -> dict[str, Any]:
    """A side's state as the officer reads it: the status and each answer in words (options' labels,
    dd/mm/yyyy dates), as the PDF prints them; an answer of a question not in the form stays as stored."""
    status = str(state.get("status") or "")
    answers = dict(state.get("answers") or {})
    return {
        **state,
        "status": STATUS_LABELS.get(status, status),
        "answers": {k: format_value(questions[k], v) if k in questions else v for k, v in answers.items()},
    }


class ConflictDialog(MarkedDialog):
    """The open transfer conflicts, one at a time, both states side by side."""

    def __init__(self, parent: QWidget | None, store: Store, session: Session) -> None:
        super().__init__(parent, "Transfer conflicts")
        self.store, self.session = store, session
        self.add_heading("Records changed here and at another unit")
        self.add_explanation(
            "Both states are kept until you choose one. Rows marked ≠ differ. Keeping one is recorded in "
            "the audit log, and the next bundle tells the other unit."
        )
        form = QFormLayout()
        self.record = QComboBox(self)
        self.record.setAccessibleName("Record in conflict")
        form.addRow("&Record:", self.record)
        self.body.addLayout(form)
        self.table = QTableWidget(0, 3, self)
        self.table.setAccessibleName("Answers on both sides")
        self.table.setHorizontalHeaderLabels(["Question", "This PC", "Other unit"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        answers = QLabel("&Answers (rows marked ≠ differ):", self)
        answers.setBuddy(self.table)
        self.body.addWidget(answers)
        self.body.addWidget(self.table, 1)
        self.problem = self.add_error_label()
        buttons = QDialogButtonBox()
        self.keep_ours = QPushButton("&Keep this PC's", self)
        self.keep_theirs = QPushButton("Keep the &other unit's", self)
        for button in (self.keep_ours, self.keep_theirs):
            button.setAutoDefault(False)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton("&Close", QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        self.keep_ours.clicked.connect(lambda: self._keep("ours"))
        self.keep_theirs.clicked.connect(lambda: self._keep("theirs"))
        self.footer.addWidget(buttons)
        self.footer_box.setVisible(True)
        self.conflicts: list[dict[str, Any]] = []
        self.shown: list[Difference] = []
        self.record.currentIndexChanged.connect(self._show)
        self.reload()

    def reload(self) -> None:
        self.conflicts = self.store.transfer_conflicts(self.session)
        self.record.blockSignals(True)
        self.record.clear()
        for conflict in self.conflicts:
            self.record.addItem(
                f"{str(conflict['record_id'])[:8]} — from {conflict['from'] or 'another unit'}, "
                f"{display_date(str(conflict['at'])[:10])}"
            )
        self.record.blockSignals(False)
        for button in (self.keep_ours, self.keep_theirs):
            button.setEnabled(bool(self.conflicts))
        self._show(0 if self.conflicts else -1)

    def _show(self, index: int) -> None:
        self.table.setRowCount(0)
        self.shown = []
        if index < 0 or index >= len(self.conflicts):
            self.problem.setText("No open transfer conflicts." if not self.conflicts else "")
            return
        conflict = self.conflicts[index]
        for button in (self.keep_ours, self.keep_theirs):
            button.setEnabled(conflict["theirs"] is not None)
        if conflict["theirs"] is None:  # not shared with this supervisor yet: say why, settle nothing
            self.problem.setText(str(conflict["problem"]))
            return
        theirs = dict(conflict["theirs"])
        try:
            record = self.store.open_record(
                self.session, str(conflict["record_id"]), justification="transfer conflict review"
            )
        except UserFacingError as exc:
            self.problem.setText(exc.message)
            return
        questions = self._questions(str(theirs.get("definition_hash") or ""))
        labels = {qid: q.label or qid for qid, q in questions.items()}
        ours = {"answers": record.answers, "status": record.status.value, "revision": record.revision}
        self.shown = differences(_readable(ours, questions), _readable(theirs, questions), labels)
        self._fill(self.shown)
        self.problem.setText("")
        self.resize(max(self.width(), _ROOMY[0]), max(self.height(), _ROOMY[1]))
        self.fit_to_screen()

    def _questions(self, definition_hash: str) -> dict[str, Question]:
        try:
            spec = self.store.spec_for_hash(definition_hash)
        except StorageBug:  # a definition not held here: the answers' ids and stored values are shown
            return {}
        return {q.id: q for _s, _p, q in spec.iter_questions()}

    def _fill(self, rows: list[Difference]) -> None:
        highlight = QBrush(QColor(_HIGHLIGHT))
        self.table.setRowCount(len(rows))
        for row, difference in enumerate(rows):
            cells = (
                (CHANGED if difference.changed else "") + difference.label,
                difference.ours,
                difference.theirs,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if difference.changed:
                    item.setBackground(highlight)
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, f"changed: {text}")
                self.table.setItem(row, column, item)
        if rows:
            self.table.selectRow(0)

    def current(self) -> dict[str, Any] | None:
        index = self.record.currentIndex()
        return self.conflicts[index] if 0 <= index < len(self.conflicts) else None

    def _keep(self, which: str) -> None:
        conflict = self.current()
        if conflict is None:
            return
        try:
            self.store.resolve_transfer_conflict(self.session, int(conflict["id"]), keep=which)
        except UserFacingError as exc:
            self.problem.setText(exc.message)
            return
        self.reload()
        if not self.conflicts:
            self.accept()
