"""One open record: the wizard bound to the store (autosave), its save conflicts, and Submit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.spec import Audience, Severity
from dsvdesk.engine.upgrade import UpgradeNotPossible, plan_upgrade
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.dialogs.submit import ProblemsDialog, SubmitDialog
from dsvdesk.ui.dialogs.upgrade import UpgradeDialog
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import QHBoxLayout, QLabel, QPushButton, Qt, QVBoxLayout, QWidget, Signal
from dsvdesk.ui.wizard.form_wizard import FormWizard

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.models import Record
    from dsvdesk.ui.context import AppContext


class StoreSink:
    """Autosave target: one committed store transaction per answer, with optimistic concurrency."""

    def __init__(self, context: AppContext, record_id: str, version: int) -> None:
        self.context = context
        self.record_id = record_id
        self.version = version

    def save(self, answer_id: str, value: Any) -> None:
        self.version = self.context.save_answer(self.record_id, answer_id, value, self.version)


class RecordView(QWidget):
    records_changed = Signal()  # saved, submitted: lists elsewhere should refresh
    title_changed = Signal(str)
    status_message = Signal(str)

    def __init__(self, context: AppContext, record: Record, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.record = record
        self.record_id = record.id
        self.submitting = False
        layout = QVBoxLayout(self)
        self._layout = layout
        layout.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel("", self)
        self.banner.setObjectName("recordBanner")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        layout.addWidget(self.banner)
        # A newer version of this form is installed (issue 18): say so on an open draft, offer Upgrade.
        self.upgrade_bar = QWidget(self)
        self.upgrade_bar.setObjectName("upgradeBar")
        bar = QHBoxLayout(self.upgrade_bar)
        bar.setContentsMargins(10, 4, 10, 4)
        self.upgrade_label = QLabel("", self.upgrade_bar)
        self.upgrade_label.setWordWrap(True)
        bar.addWidget(self.upgrade_label, 1)
        self.upgrade_button = QPushButton("&Upgrade…", self.upgrade_bar)
        self.upgrade_button.setAccessibleName("Move this record to the new version of the form")
        self.upgrade_button.setAutoDefault(False)
        self.upgrade_button.clicked.connect(self.upgrade)
        bar.addWidget(self.upgrade_button)
        layout.addWidget(self.upgrade_bar)
        self._build_wizard(record)
        self._show_banner()
        self._remember_page(self.wizard.current_page_id)

    def _build_wizard(self, record: Record) -> None:
        context = self.context
        ui_state = context.ui_state
        editable = record.is_editable and record.editor_id == context.session.user.id
        self.sink = StoreSink(context, record.id, record.version) if editable else None
        self.wizard = FormWizard(
            record.spec,
            record.answers,
            # Writing your own draft: the author's sections. Reading another's: what your role may see.
            audiences=("author",) if editable else context.audiences,
            read_only=not editable,
            sink=self.sink,
            review_comments=record.review_comments,
            start_page=ui_state.record_page(record.id),
            visited=ui_state.record_visited(record.id),
            confirm_remove=lambda text: messages.confirm(self, "Remove", text),
            parent=self,
        )
        self._layout.addWidget(self.wizard, 1)
        self.submit_button = self.wizard.add_action_button("S&ubmit…", accessible_name="Submit for review")
        self.submit_button.setVisible(editable)
        self.submit_button.clicked.connect(self.submit)
        self.wizard.page_changed.connect(self._remember_page)
        self.wizard.saved.connect(self._saved)
        self.wizard.evaluated.connect(self._evaluated)
        self._title = self.title()
        if self.wizard.autosaver is not None:
            self.wizard.autosaver.conflict.connect(self._conflict)
            self.wizard.autosaver.failed.connect(self._save_failed)
        self._save_failure_shown = False

    def newer_spec(self) -> FormSpec | None:
        """The installed version of this record's form, when it differs from the record's and the record
        is a draft the signed-in officer is writing (submitted and approved records never move)."""
        if self.sink is None or self.wizard.read_only:
            return None
        installed = self.context.forms.get(self.record.spec.id)
        if installed is None or installed.content_hash == self.record.definition_hash:
            return None
        return installed

    def _show_upgrade_bar(self) -> None:
        newer = self.newer_spec()
        if newer is not None:
            self.upgrade_label.setText(
                f"A new version of this form is available ({newer.version}; this record uses "
                f"{self.record.spec.version}). Upgrade moves your answers to it and shows first what changes."
            )
        self.upgrade_bar.setVisible(newer is not None)

    def upgrade(self) -> None:
        """Report what moving to the installed version does, then (if chosen) move as one saved change."""
        newer = self.newer_spec()
        if newer is None or self.sink is None:
            return
        if not self.flush():
            messages.error(
                self,
                "Not saved yet",
                "Your latest changes are not saved yet, so the record cannot move to the new version. "
                "Try again in a moment.",
            )
            return
        try:
            report = plan_upgrade(self.record.spec, newer, self.wizard.answers())
        except UpgradeNotPossible as error:
            messages.error(self, "Cannot upgrade", str(error))
            return
        if not UpgradeDialog.ask(self, report, newer):
            return
        try:
            self.context.upgrade_record(self.record_id, newer, self.sink.version)
            latest = self.context.open_record(self.record_id)
        except UserFacingError as error:
            messages.error(self, error.title, error.message)
            return
        self.record = latest
        old = self.wizard
        self._layout.removeWidget(old)
        old.hide()
        old.deleteLater()
        self._build_wizard(latest)
        self._show_banner()
        self.status_message.emit(f"Moved to version {newer.version} of the form")
        self.records_changed.emit()
        log.ui.info("record %s moved to form version %s", self.record_id, newer.version)

    def _comments_off_the_form(self) -> list[str]:
        """Returned comments on questions the officer's wizard does not show (the supervisor's general
        comment is on the review page): they go in the banner, so nothing sent back is unseen."""
        spec = self.record.spec
        shown: list[str] = []
        for question_id, text in self.record.review_comments.items():
            try:
                audience = spec.section_of_page(spec.page_of(question_id).id).audience
            except KeyError:
                audience = None
            if audience is not Audience.AUTHOR:
                shown.append(str(text).strip())
        return [t for t in shown if t]

    def _show_banner(self) -> None:
        record = self.record
        status = str(record.status)
        text = ""
        if status == "returned":
            text = "Returned by the supervisor: their comments are shown beside the questions. Fix and submit again."
            general = self._comments_off_the_form()
            if general:
                text += " Your supervisor also says: " + " ".join(general)
        elif status == "submitted":
            text = "Submitted for review: read-only."
        elif status == "approved":
            text = f"Approved{' — URN ' + record.urn if record.urn else ''}: read-only."
        elif self.wizard.read_only:
            text = f"Read-only: this record belongs to {record.owner_name}."
        self.banner.setText(text)
        self.banner.setVisible(bool(text))
        self._show_upgrade_bar()

    # --- autosave ---------------------------------------------------------------------------------
    def _remember_page(self, page_id: str) -> None:
        if page_id:
            self.context.ui_state.set_record_position(self.record_id, page_id, self.wizard.visited)

    def _saved(self, when: str) -> None:
        self._save_failure_shown = False
        self.status_message.emit(f"Saved {when}")
        self.records_changed.emit()

    def _evaluated(self, _evaluation: object) -> None:
        title = self.title()
        if title != self._title:
            self._title = title
            self.title_changed.emit(title)

    def title(self) -> str:
        """'124D — Anna Nowak': the form's short name and the victim (the form's victim_name column)."""
        victim_id = self.record.spec.columns.get("victim_name", "")
        victim = self.wizard.value_of(victim_id) if victim_id else None
        first = self.record.spec.title.split()[0] if self.record.spec.title else self.record.spec.id
        return f"{first} — {victim}" if isinstance(victim, str) and victim.strip() else f"{first} — new"

    def _save_failed(self, exc: object) -> None:
        if self._save_failure_shown:
            return
        self._save_failure_shown = True
        text = getattr(exc, "message", str(exc))
        messages.error(
            self,
            "Not saved yet",
            f"{text}\n\nWhat you typed is kept in this window and DSVDesk keeps trying to save it. "
            "Do not close the window until the status bar says 'Saved'.",
        )

    def _conflict(self, exc: object) -> None:
        """Someone (another window or PC) saved this record since we loaded it. Keep every unsaved
        change, show theirs for the other questions, then save ours on top."""
        assert self.wizard.autosaver is not None and self.sink is not None
        pending = dict(self.wizard.autosaver.pending)
        try:
            latest = self.context.open_record(self.record_id)
        except UserFacingError as error:
            messages.error(self, error.title, error.message)
            return
        self.record = latest
        if not latest.is_editable:
            self.wizard.set_read_only(True)
            self.submit_button.setVisible(False)
            self._show_banner()
            messages.warning(
                self,
                "Changed elsewhere",
                f"This record was {latest.status} elsewhere while you were typing, so it can no longer be "
                f"changed here. Your last {len(pending)} unsaved answer(s) are still shown on screen; "
                "copy anything you need before closing.",
            )
            return
        self.sink.version = latest.version
        self.wizard.rebase(latest.answers, keep=pending)
        messages.info(
            self,
            "Changed elsewhere",
            "This record was also changed in another window or on another computer. Their changes to other "
            "questions are now shown, and your changes have been kept and saved on top.",
        )
        log.ui.info(
            "save conflict on record %s resolved by rebasing %d answers", self.record_id, len(pending)
        )
        self.wizard.autosaver.resume()

    def flush(self) -> bool:
        return self.wizard.flush()

    def has_unsaved(self) -> bool:
        return bool(self.wizard.autosaver and self.wizard.autosaver.pending)

    # --- submit -----------------------------------------------------------------------------------
    def submit(self) -> None:
        if self.submitting or self.wizard.read_only:
            return
        if not self.flush():
            messages.error(
                self,
                "Not saved yet",
                "Your latest changes are not saved yet, so the record cannot be submitted. Try again in a moment.",
            )
            return
        self.wizard.show_all_problems = True
        self.wizard.visited.update(self.wizard.visible_page_ids())
        self.wizard.rebase(self.wizard.answers())
        check = evaluate(self.record.spec, self.wizard.answers(), audiences=("author",))
        errors = [f for f in check.findings if f.severity == Severity.ERROR]
        if errors:
            titles = {p.id: p.title for p in self.record.spec.pages}
            chosen = ProblemsDialog.ask(self, errors, titles)
            if chosen is not None:
                self.wizard.jump_to_finding(chosen)
            return
        declaration = str(self.record.spec.options.get("declaration", "") or "")
        password = SubmitDialog.ask(
            self, declaration=declaration, full_name=self.context.session.user.full_name
        )
        if password is None:
            return
        self.submitting = True
        self.submit_button.setEnabled(False)
        self.status_message.emit("Submitting and signing…")
        record_id = self.record_id
        context = self.context
        Op(
            self,
            lambda: context.submit_record(record_id, password),
            label="Submitting and signing the record…",
        ).success(self._submitted).failure(self._submit_failed).run()

    def _submitted(self, _result: object) -> None:
        self.submitting = False
        self.record = self.context.open_record(self.record_id)
        self.wizard.set_read_only(True)
        self.submit_button.setVisible(False)
        self._show_banner()
        self.status_message.emit("Submitted for review")
        self.records_changed.emit()
        log.ui.info("record %s submitted", self.record_id)

    def _submit_failed(self, exc: BaseException) -> bool:
        self.submitting = False
        self.submit_button.setEnabled(True)
        self.status_message.emit("Not submitted")
        return False  # the default presentation (calm message) is right

    def focus_first(self) -> None:
        view = self.wizard._views.get(self.wizard.current_page_id)
        target = view.first_focus() if view is not None else None
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
