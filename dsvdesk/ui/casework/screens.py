"""The casework screens: the Casework tab (risk reviews due, overdue ones standing out; the MoPI retention
review list for supervisors) and one Case tab per record (the case file with its flags and every action,
each through a dialog). Lists read a range of an index (``Store.review_due_rows`` / ``retention_rows``)
a page at a time; signing runs off the UI thread."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.casework import BAIL, REASSESSMENT, CaseworkPolicy
from dsvdesk.errors import UserFacingError
from dsvdesk.reporting.casework import GradeLabel, case_flags, local_time
from dsvdesk.reporting.casework import grade_labeller as forms_grade_labeller
from dsvdesk.store.models import Role
from dsvdesk.ui import messages
from dsvdesk.ui.casework import dialogs
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import (
    QAbstractItemView,
    QAbstractTableModel,
    QBrush,
    QColor,
    QFont,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QModelIndex,
    QPersistentModelIndex,
    QPushButton,
    QScrollArea,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.wizard.form_wizard import FormWizard

if TYPE_CHECKING:
    from dsvdesk.store.casework import CaseFile, DueRow
    from dsvdesk.ui.context import AppContext

PAGE_ROWS = 200
COUNT_CAP = 10_000  # the lists count this far ("10,000+"): the dashboard has the exact figures by period
OVERDUE_COLOUR = "#b3261e"


def local_text(stamp: str | None) -> str:
    return local_time(stamp, blank="—")


def _counted(count: int) -> str:
    return f"{COUNT_CAP:,}+" if count >= COUNT_CAP else f"{count:,}"


def grade_labeller(context: AppContext) -> GradeLabel:
    """The grade as the forms label it ("High"), from their vocabulary."""
    return forms_grade_labeller(context.forms.values(), blank="—")


# ------------------------------------------------------------------------------------- lists
class DueModel(QAbstractTableModel):
    """Rows of a due list (already read, at most a page); overdue rows red and bold."""

    COLUMNS = ("Due", "", "URN", "Victim", "Grade", "Investigating officer", "What")

    def __init__(
        self, parent: QWidget, what: Callable[[DueRow], str], grade: Callable[[str | None], str]
    ) -> None:
        super().__init__(parent)
        self.rows: list[DueRow] = []
        self.now = ""
        self._what = what
        self._grade = grade

    def set_rows(self, rows: Sequence[DueRow], now: dt.datetime) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.now = now.isoformat(timespec="microseconds")
        self.endResetModel()

    def overdue(self, row: int) -> bool:
        return self.rows[row].due < self.now

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        late = self.overdue(index.row())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            values = (
                local_text(row.due),
                "OVERDUE" if late else "due soon",
                row.urn or row.record_id[:8],
                row.victim_name or "(not entered)",
                self._grade(row.grade),
                row.io or "not allocated",
                self._what(row),
            )
            return values[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and late:
            return QBrush(QColor(OVERDUE_COLOUR))
        if role == Qt.ItemDataRole.FontRole and late:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section] if 0 <= section < len(self.COLUMNS) else None
        return None


def _due_table(parent: QWidget, name: str, model: DueModel, on_open: Callable[[int], None]) -> QTableView:
    table = QTableView(parent)
    table.setObjectName(name)
    table.setAccessibleName(name.replace("_", " "))
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.doubleClicked.connect(lambda index: on_open(index.row()))
    table.activated.connect(lambda index: on_open(index.row()))
    return table


class CaseworkTab(QWidget):
    """Risk reviews due (officers: their own cases) and, for supervisors, the MoPI retention review."""

    refreshed = Signal()

    def __init__(
        self,
        context: AppContext,
        policy: CaseworkPolicy,
        on_open: Callable[[str], object],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseworkTab")
        self.context = context
        self.policy = policy
        self._on_open = on_open
        grade_label = grade_labeller(context)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        heading = QLabel("Casework", self)
        heading.setObjectName("pageTitle")
        layout.addWidget(heading)
        open_row = QHBoxLayout()
        self.record_box = QLineEdit(self)
        self.record_box.setPlaceholderText("record id (UUID)")
        self.record_box.setAccessibleName("Record id to open")
        open_label = QLabel("Open the case of &record:", self)
        open_label.setBuddy(self.record_box)
        self.open_button = QPushButton("&Open case", self)
        self.open_button.clicked.connect(self._open_typed)
        self.record_box.returnPressed.connect(self._open_typed)
        self.refresh_button = QPushButton("Re&fresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        for widget in (open_label, self.record_box, self.open_button):
            open_row.addWidget(widget)
        open_row.addStretch(1)
        open_row.addWidget(self.refresh_button)
        layout.addLayout(open_row)

        self.reviews_label = QLabel("", self)
        self.reviews_label.setObjectName("sectionTitle")
        layout.addWidget(self.reviews_label)
        self.reviews_model = DueModel(self, lambda r: f"Review {r.step + 1}: {r.due_by or ''}", grade_label)
        self.reviews = _due_table(self, "reviews_due", self.reviews_model, self._open_review_row)
        self.reviews_label.setBuddy(self.reviews)
        layout.addWidget(self.reviews, 3)

        self.retention_model = DueModel(
            self,
            lambda r: f"MoPI review ({self.policy.outcome_label(r.due_by) or 'no outcome'})",
            grade_label,
        )
        self.retention_label = QLabel("", self)
        self.retention_label.setObjectName("sectionTitle")
        self.retention = _due_table(self, "retention_due", self.retention_model, self._open_retention_row)
        self.retention_label.setBuddy(self.retention)
        supervisor = context.is_supervisor
        self.retention_label.setVisible(supervisor)
        self.retention.setVisible(supervisor)
        layout.addWidget(self.retention_label)
        layout.addWidget(self.retention, 2)
        self.loading = False
        self.refresh()

    def refresh(self) -> None:
        """Read both lists off the UI thread (a worker's own connection): the first read after a load
        or a schedule change works every case's due times out."""
        context, policy, supervisor = self.context, self.policy, self.context.is_supervisor
        self.loading = True

        def work() -> dict[str, Any]:
            from dsvdesk.store import Store

            store = Store.open(context.db_path)
            try:
                session = context.session
                now = store.now()
                until = policy.due_soon.after(now)
                found: dict[str, Any] = {"now": now}
                found["reviews"] = store.review_due_rows(session, policy, until=until, limit=PAGE_ROWS)
                found["overdue"], found["due"] = store.review_due_counts(
                    session, policy, now=now, until=until
                )
                if supervisor:
                    found["retention"] = store.retention_rows(session, policy, until=now, limit=PAGE_ROWS)
                    found["retention_count"] = store.retention_count(
                        session, policy, until=now, cap=COUNT_CAP
                    )
                return found
            finally:
                store.close()

        Op(self, work, label="Reading the casework lists…").success(self._show).failure(self._failed).run()

    def _failed(self, exc: BaseException) -> bool:
        self.loading = False
        if isinstance(exc, UserFacingError):
            messages.error(self, exc.title, exc.message)
            return True
        return False

    def _show(self, found: dict[str, Any]) -> None:
        now, rows, overdue, total = found["now"], found["reviews"], found["overdue"], found["due"]
        self.reviews_model.set_rows(rows, now)
        shown = f" (the first {len(rows)} shown)" if total > len(rows) else ""
        if total >= COUNT_CAP:
            self.reviews_label.setText(f"&Risk reviews due: {_counted(overdue)} overdue or due soon{shown}")
        else:
            self.reviews_label.setText(
                f"&Risk reviews due: {overdue} overdue, {total - overdue} due within {self.policy.due_soon.text}{shown}"
            )
        if "retention" in found:
            retention, count = found["retention"], found["retention_count"]
            self.retention_model.set_rows(retention, now)
            more = f" (the first {len(retention)} shown)" if count > len(retention) else ""
            self.retention_label.setText(f"MoPI retention &review due: {_counted(count)} record(s){more}")
        self.loading = False
        self.refreshed.emit()

    def _open_review_row(self, row: int) -> None:
        if 0 <= row < len(self.reviews_model.rows):
            self._on_open(self.reviews_model.rows[row].record_id)

    def _open_retention_row(self, row: int) -> None:
        if 0 <= row < len(self.retention_model.rows):
            self._on_open(self.retention_model.rows[row].record_id)

    def _open_typed(self) -> None:
        text = self.record_box.text().strip()
        if text:
            self._on_open(text)


# ------------------------------------------------------------------------------------- the case
ACTIONS: tuple[tuple[str, str, str], ...] = (  # (key, button text, who: supervisor | worker)
    ("allocate", "&Allocate…", "supervisor"),
    ("reassess", "Re-&assess (part 2)…", "worker"),
    ("bail", "&Bail re-assessment…", "worker"),
    ("review", "Record re&view…", "supervisor"),
    ("contact", "Log &contact…", "worker"),
    ("event", "Record &event…", "worker"),
    ("referral", "Re&ferral…", "worker"),
    ("referral_outcome", "Referral o&utcome…", "worker"),
    ("outcome", "&Outcome…", "supervisor"),
    ("retain", "Re&tain…", "supervisor"),
    ("dispose", "&Dispose of…", "supervisor"),
)


class CaseScreen(QWidget):
    """One case: what it is now, what stands out, its history, and the actions."""

    changed = Signal()
    closed_by_disposal = Signal(str)

    def __init__(
        self, context: AppContext, policy: CaseworkPolicy, case: CaseFile, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseScreen")
        self.context = context
        self.policy = policy
        self.case = case
        self.record_id = case.record_id
        self._grade_label = grade_labeller(context)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        content = QWidget(scroll)
        scroll.setWidget(content)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 10, 12, 10)
        self.title_label = QLabel("", content)
        self.title_label.setObjectName("pageTitle")
        layout.addWidget(self.title_label)
        self.flags_label = QLabel("", content)
        self.flags_label.setObjectName("inlineError")
        self.flags_label.setWordWrap(True)
        layout.addWidget(self.flags_label)
        self.summary = QGridLayout()
        self.summary_values: dict[str, QLabel] = {}
        for position, (key, caption) in enumerate(
            (
                ("io", "Investigating officer"),
                ("grade", "Grade"),
                ("review", "Next risk review"),
                ("retention", "MoPI review"),
                ("opened", "Opened (first submitted)"),
                ("outcome", "Outcome"),
            )
        ):
            name = QLabel(f"{caption}:", content)
            value = QLabel("", content)
            value.setObjectName(f"case_{key}")
            value.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByKeyboard | Qt.TextInteractionFlag.TextSelectableByMouse
            )
            self.summary.addWidget(name, position // 2, (position % 2) * 2)
            self.summary.addWidget(value, position // 2, (position % 2) * 2 + 1)
            self.summary_values[key] = value
        layout.addLayout(self.summary)
        buttons = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for position, (key, text, _who) in enumerate(ACTIONS):
            button = QPushButton(text, content)
            button.setObjectName(f"case_action_{key}")
            button.clicked.connect(lambda _c=False, k=key: self.act(k))
            buttons.addWidget(button, position // 6, position % 6)
            self.buttons[key] = button
        layout.addLayout(buttons)
        history_label = QLabel("Case &history", content)
        history_label.setObjectName("sectionTitle")
        layout.addWidget(history_label)
        self.history = QListWidget(content)
        self.history.setObjectName("caseHistory")
        self.history.setAccessibleName("Case history")
        self.history.setWordWrap(True)
        history_label.setBuddy(self.history)
        layout.addWidget(self.history, 1)
        self.show_case(case)

    # --- showing -----------------------------------------------------------------------------------
    def title(self) -> str:
        return f"Case {self.case.urn or self.case.record_id[:8]}"

    def show_case(self, case: CaseFile) -> None:
        from dsvdesk.reporting.casework import case_history, facts_of

        self.case = case
        policy = self.policy
        flags = case_flags(policy, facts_of(case), self.context.store.now())
        self.title_label.setText(
            f"{self.title()} — {case.victim_name or 'victim not entered'} ({case.status})"
        )
        self.flags_label.setText("Stands out: " + ", ".join(flags.words) if flags.words else "")
        self.flags_label.setVisible(bool(flags.words))
        values = {
            "io": case.io_name or "not allocated",
            "grade": f"{self._grade_label(case.grade)} (risk revision {case.risk_revision})",
            "review": "ended (outcome recorded)"
            if case.closed
            else f"{local_text(case.next_review_due)} — {case.next_review_by or ''}",
            "retention": local_text(case.retention_due),
            "opened": local_text(case.opened_at),
            "outcome": policy.outcome_label(case.outcome) if case.outcome else "none yet",
        }
        for key, text in values.items():
            self.summary_values[key].setText(text)
        overdue = "review overdue" in flags.words
        self.summary_values["review"].setStyleSheet(
            f"color: {OVERDUE_COLOUR}; font-weight: bold;" if overdue else ""
        )
        self.history.clear()
        for line in case_history(case, policy, self._grade_label) or ["Nothing recorded yet."]:
            self.history.addItem(line)
        user = self.context.session.user
        worker = user.role is Role.SUPERVISOR or (user.role is Role.OFFICER and case.io == user.username)
        for key, _text, who in ACTIONS:
            allowed = user.role is Role.SUPERVISOR if who == "supervisor" else worker
            self.buttons[key].setEnabled(allowed and not (key in ("review",) and case.closed))

    def reload(self) -> None:
        store, session = self.context.store, self.context.session
        self.show_case(store.case_file(session, self.record_id, self.policy, log_consultation=False))
        self.changed.emit()

    # --- acting ------------------------------------------------------------------------------------
    def act(self, key: str) -> None:
        try:
            done = getattr(self, f"_act_{key}")()
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        if done:
            if key == "dispose":
                self.closed_by_disposal.emit(self.record_id)
                return
            self.reload()

    def _ask(
        self, title: str, explanation: str, fields: Sequence[dialogs.Field], ok: str
    ) -> dict[str, Any] | None:
        return dialogs.EntryDialog.ask(self, title, explanation, fields, ok)

    def _act_allocate(self) -> bool:
        store, session = self.context.store, self.context.session
        workers = [
            (u.username, f"{u.full_name} ({u.role.value})")
            for u in store.list_users(session)
            if u.role is not Role.ADMIN
        ]
        values = self._ask("Allocate the case", "The investigating officer re-assesses the risk and contacts the victim.",
                           dialogs.allocation_fields(workers), "&Allocate")  # fmt: skip
        if values is None:
            return False
        store.allocate(session, self.record_id, str(values["io"]))
        return True

    def _act_review(self) -> bool:
        due = self.policy.review_due(dt.datetime.fromisoformat(self.case.opened_at), self.case.reviews_done)
        values = self._ask(f"Risk review {due.step + 1}", f"Due {local_text(due.due.isoformat())}, by {due.by}.",
                           dialogs.review_fields(self.policy), "&Record review")  # fmt: skip
        if values is None:
            return False
        self.context.store.record_review(self.context.session, self.record_id, self.policy, **values)
        return True

    def _act_contact(self) -> bool:
        values = self._ask("Log contact with the victim", "Victims' Code: first contact within "
                           f"{self.policy.first_contact_within.text}, then after each arrest, charge and bail.",
                           dialogs.contact_fields(self.policy), "&Log contact")  # fmt: skip
        if values is None:
            return False
        self.context.store.log_contact(self.context.session, self.record_id, self.policy, **values)
        return True

    def _act_event(self) -> bool:
        values = self._ask("Record an event", "The victim must then be told in time.",
                           dialogs.event_fields(self.policy), "&Record")  # fmt: skip
        if values is None:
            return False
        self.context.store.record_event(self.context.session, self.record_id, self.policy, **values)
        return True

    def _act_referral(self) -> bool:
        values = self._ask("Record a referral", "", dialogs.referral_fields(self.policy), "&Record referral")
        if values is None:
            return False
        self.context.store.add_referral(self.context.session, self.record_id, self.policy, **values)
        return True

    def _act_referral_outcome(self) -> bool:
        if not self.case.referrals:
            messages.info(self, "No referrals", "This case has no referral yet; record one with Referral….")
            return False
        values = self._ask(
            "Referral outcome", "", dialogs.referral_outcome_fields(self.policy, self.case), "&Record"
        )
        if values is None:
            return False
        self.context.store.update_referral(
            self.context.session,
            self.record_id,
            int(values["referral"]),
            self.policy,
            outcome=values["outcome"],
        )
        return True

    def _act_outcome(self) -> bool:
        values = self._ask("Case outcome", "Risk reviews end; the MoPI review date is set from the outcome.",
                           dialogs.outcome_fields(self.policy), "&Record outcome")  # fmt: skip
        if values is None:
            return False
        self.context.store.record_outcome(self.context.session, self.record_id, self.policy, **values)
        return True

    def _act_retain(self) -> bool:
        values = self._ask("Retain the record (MoPI review)", "Every decision to retain is recorded with its reason; "
                           f"the next review is in {self.policy.review_again.text}.", dialogs.retain_fields(), "&Retain")  # fmt: skip
        if values is None:
            return False
        self.context.store.retain(self.context.session, self.record_id, self.policy, reason=values["reason"])
        return True

    def _act_dispose(self) -> bool:
        values = self._ask("Dispose of the record (MoPI review)", "The record's answers, signed PDFs, case notes and "
                           "search entries are erased for good; only a tombstone (ids, dates, who, why) remains in "
                           "the audit log.", dialogs.dispose_fields(self.policy), "&Dispose of")  # fmt: skip
        if values is None:
            return False
        self.context.store.dispose(self.context.session, self.record_id, self.policy, reason=values["reason"])
        return True

    def _act_reassess(self) -> bool:
        return self._sign(REASSESSMENT)

    def _act_bail(self) -> bool:
        return self._sign(BAIL)

    def _sign(self, kind: str) -> bool:
        request = AssessmentDialog.ask(self, self.policy, kind, self.case)
        if request is None:
            return False
        answers, password = request
        context, policy, record_id = self.context, self.policy, self.record_id

        def work() -> Any:
            from dsvdesk.reporting.casework import sign_assessment
            from dsvdesk.store import Store

            store = Store.open(context.db_path)
            try:
                return sign_assessment(store, context.session, record_id, policy, kind=kind, answers=answers,
                                       password=password)  # fmt: skip
            finally:
                store.close()

        def done(result: Any) -> None:
            log.ui.info("re-assessment r%d signed for case %s", result.risk_revision, record_id)
            self.reload()

        def failed(exc: BaseException) -> bool:
            if isinstance(exc, UserFacingError):
                messages.error(self, exc.title, exc.message)
                return True
            return False

        Op(self, work, label="Signing the re-assessment…").success(done).failure(failed).run()
        return False  # reloaded when the signature is stored


class AssessmentDialog(MarkedDialog):
    """A re-assessment on its part of the casework form (the form wizard), signed with the password."""

    def __init__(self, parent: QWidget | None, policy: CaseworkPolicy, kind: str, case: CaseFile) -> None:
        title = policy.entry_title(kind)
        super().__init__(parent, title)
        self.add_heading(f"{title} — {case.urn or case.record_id[:8]}")
        self.add_explanation(
            f"The grade now is {case.grade or 'not recorded'}. This is a new revision of the risk part "
            f"(revision {case.risk_revision + 1}), signed by you; the officer's signed 124D is not changed."
        )
        self.wizard = FormWizard(policy.entry_spec(kind), {}, parent=self)
        self.wizard.setMinimumHeight(300)
        self.body.addWidget(self.wizard, 1)
        self.error_label = self.add_error_label()
        row = QHBoxLayout()  # in the footer: always in sight, however far the form scrolls
        self.password = self.make_password_box("Your password (signs the re-assessment)")
        label = QLabel("Your &password:", self)
        label.setBuddy(self.password)
        row.addWidget(label)
        row.addWidget(self.password, 1)
        self.footer.addLayout(row)
        self.sign_button = self.add_buttons("&Sign", self._check, enter_checks=True)
        self.request: tuple[dict[str, Any], str] | None = None
        self.resize(860, 600)

    def _check(self) -> None:
        from dsvdesk.engine.completeness import evaluate

        answers = self.wizard.answers()
        errors = evaluate(self.wizard.spec, answers).errors
        if errors:
            self.error_label.setText(f"{len(errors)} problem(s) first: {errors[0].message}")
            self.error_label.setVisible(True)
            self.wizard.jump_to_finding(errors[0])
            return
        if not self.password.text():
            self.error_label.setText("Type your password to sign.")
            self.error_label.setVisible(True)
            self.password.setFocus()
            return
        self.request = (answers, self.password.text())
        self.accept()

    @classmethod
    def ask(
        cls, parent: QWidget | None, policy: CaseworkPolicy, kind: str, case: CaseFile
    ) -> tuple[dict[str, Any], str] | None:
        dialog = cls(parent, policy, kind, case)
        return dialog.request if dialog.exec() else None
