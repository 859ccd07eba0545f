"""The review screen: the record read-only as the wizard lays it out (findings and live rules in the
side panel), a comment box that can be opened on any of the officer's questions, the supervisor's
review section editable (autosaved), and Return / Approve.

The officer's answers cannot change here: their blocks are read-only and any change from them is
ignored; the store refuses it too (a reviewer may write only the review section).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.spec import Audience, QuestionType
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import (
    QBoxLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.record_view import StoreSink
from dsvdesk.ui.review.dialogs import AmendDialog, ApproveDialog, ApproveJump, ReturnDialog
from dsvdesk.ui.wizard.blocks import PageView, QuestionBlock
from dsvdesk.ui.wizard.form_wizard import FormWizard

if TYPE_CHECKING:
    from dsvdesk.store.models import Record
    from dsvdesk.ui.context import AppContext
    from dsvdesk.workflow import ApproveResult

REVIEW_JUSTIFICATION = "Supervisor review from the review queue"
QUESTION_ROLE = int(Qt.ItemDataRole.UserRole) + 1
MAX_COMMENT_CHARS = 10_000


class CommentBox(QWidget):
    """The supervisor's comment on one question, shown inside the question's block."""

    changed = Signal(str, str)  # question id, text ("" = no comment)

    def __init__(self, question_id: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewCommentBox")
        self.question_id = question_id
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(2)
        caption = QLabel("Your comment for the officer (goes back with a return):", self)
        caption.setObjectName("commentCaption")
        layout.addWidget(caption)
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName("reviewCommentEdit")
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(60)
        self.edit.setAccessibleName(f"Your comment on {label}")
        self.edit.setPlaceholderText("What the officer must change or add")
        caption.setBuddy(self.edit)
        layout.addWidget(self.edit)
        self.edit.textChanged.connect(self._edited)

    def _edited(self) -> None:
        text = self.edit.toPlainText()
        if len(text) > MAX_COMMENT_CHARS:
            self.edit.setPlainText(text[:MAX_COMMENT_CHARS])
            return
        self.changed.emit(self.question_id, text.strip())

    def text(self) -> str:
        return self.edit.toPlainText().strip()


class ReviewWizard(FormWizard):
    """The form wizard for a reviewer: the officer's sections read-only, each question with a
    "Comment" button; the review section (``audience: reviewer``) editable."""

    comment_changed = Signal(str, str)  # question id, text

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.comment_boxes: dict[str, CommentBox] = {}
        self.comment_buttons: dict[str, QToolButton] = {}
        self.decisions_locked = False  # approved or returned: nothing editable any more
        super().__init__(*args, **kwargs)

    def is_reviewer_answer(self, answer_id: str) -> bool:
        base = answer_id.removesuffix("__comment")
        try:
            page = self.spec.page_of(base)
        except KeyError:
            return False
        return self.spec.section_of_page(page.id).audience is Audience.REVIEWER

    def _is_author_page(self, page_id: str) -> bool:
        return self.spec.section_of_page(page_id).audience is not Audience.REVIEWER

    def _view(self, page_id: str) -> PageView:
        fresh = page_id not in self._views
        view = super()._view(page_id)
        if fresh:
            author = self._is_author_page(page_id)
            for block in view.blocks.values():
                block.set_read_only(author or self.decisions_locked)
                if author and block.question.type not in (QuestionType.NOTE, QuestionType.COMPUTED):
                    self._add_comment_button(block)
        return view

    def _add_comment_button(self, block: QuestionBlock) -> None:
        question = block.question
        button = QToolButton(block)
        button.setObjectName("commentButton")
        button.setText("Comment…")
        button.setCheckable(True)
        button.setToolTip("Add a comment for the officer on this question")
        button.setAccessibleName(f"Comment on {question.label}")
        block_layout = block.layout()
        first = block_layout.itemAt(0) if block_layout is not None else None
        header = first.layout() if first is not None else None
        if isinstance(header, QBoxLayout):
            header.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        self.comment_buttons[question.id] = button
        button.toggled.connect(lambda on, b=block: self.show_comment_box(b.question.id, on))

    def comment_box(self, question_id: str, *, create: bool = True) -> CommentBox | None:
        box = self.comment_boxes.get(question_id)
        if box is None and create:
            block = self.block(question_id)
            box = CommentBox(question_id, block.question.label, block)
            layout = block.layout()
            assert isinstance(layout, QBoxLayout)  # QuestionBlock lays itself out in a QVBoxLayout
            layout.insertWidget(layout.indexOf(block.review_label), box)
            box.changed.connect(self.comment_changed)
            box.edit.setReadOnly(self.decisions_locked)
            self.comment_boxes[question_id] = box
        return box

    def show_comment_box(self, question_id: str, shown: bool = True) -> CommentBox | None:
        box = self.comment_box(question_id, create=shown)
        if box is None:
            return None
        # a comment already written stays visible: hiding it would hide what goes to the officer
        visible = shown or bool(box.text())
        box.setVisible(visible)
        button = self.comment_buttons.get(question_id)
        if button is not None and button.isChecked() != visible:
            button.blockSignals(True)
            button.setChecked(visible)
            button.blockSignals(False)
        if shown and self.isVisible():
            box.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        return box

    def comments(self) -> dict[str, str]:
        return {qid: box.text() for qid, box in self.comment_boxes.items() if box.text()}

    def _on_answer(self, answer_id: str, value: Any) -> None:
        if self.decisions_locked or not self.is_reviewer_answer(answer_id):
            return  # the officer's answers are not the reviewer's to change
        super()._on_answer(answer_id, value)

    def set_read_only(self, read_only: bool) -> None:
        """Locking (after a decision) locks everything; unlocking only ever opens the review section."""
        self.decisions_locked = read_only
        for page_id, view in self._views.items():
            author = self._is_author_page(page_id)
            for block in view.blocks.values():
                block.set_read_only(read_only or author)
        for box in self.comment_boxes.values():
            box.edit.setReadOnly(read_only)
        for button in self.comment_buttons.values():
            button.setEnabled(not read_only)
        if read_only and self.autosaver is not None:
            self.autosaver.stop()


def _question_label(spec: Any, question_id: str) -> str:
    try:
        question = spec.question(question_id)
    except KeyError:
        return question_id
    return f"{question.number}. {question.label}" if question.number else question.label


class ReviewScreen(QWidget):
    """One record under review, in its own tab."""

    records_changed = Signal()
    decided = Signal(str, str)  # record id, "returned" | "approved" | "amended"
    title_changed = Signal(str)

    def __init__(self, context: AppContext, record: Record, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewScreen")
        self.context = context
        self.record = record
        self.record_id = record.id
        self.busy = False
        self.last_urn: str | None = None
        user = context.session.user
        own = user.id in (record.owner_id, record.editor_id)
        self.can_decide = str(record.status) == "submitted" and context.is_supervisor and not own
        self.sink = StoreSink(context, record.id, record.version) if self.can_decide else None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.banner = QLabel("", self)
        self.banner.setObjectName("recordBanner")
        self.banner.setWordWrap(True)
        layout.addWidget(self.banner)

        # The wizard keeps its full width (pages, questions, checks); the comments sit in a strip below.
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.wizard = ReviewWizard(
            record.spec,
            record.answers,
            audiences=("author", "reviewer"),
            read_only=False,
            sink=self.sink,
            review_comments={},
            visited=[
                p.id
                for p in record.spec.pages
                if record.spec.section_of_page(p.id).audience is Audience.AUTHOR
            ],
            confirm_remove=lambda text: messages.confirm(self, "Remove", text),
            parent=self.splitter,
        )
        if not self.can_decide:
            self.wizard.set_read_only(True)
        self.splitter.addWidget(self.wizard)
        self.splitter.addWidget(self._build_side_panel())
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setSizes([640, 150])
        layout.addWidget(self.splitter, 1)

        self.return_button = self.wizard.add_action_button(
            "&Return to officer…", accessible_name="Return to the officer"
        )
        self.approve_button = self.wizard.add_action_button(
            "&Approve…", accessible_name="Approve and countersign"
        )
        self.approve_button.setObjectName("primaryButton")
        self.amend_button = self.wizard.add_action_button(
            "A&mend…", accessible_name="Amend this approved record"
        )
        self.return_button.clicked.connect(self.return_record)
        self.approve_button.clicked.connect(self.approve)
        self.amend_button.clicked.connect(self.amend)
        self.wizard.comment_changed.connect(self._refresh_comments)
        self.wizard.answer_changed.connect(self._refresh_comments)  # a regrade or the general comment
        self.wizard.saved.connect(lambda _when: self.records_changed.emit())
        if self.wizard.autosaver is not None:
            self.wizard.autosaver.failed.connect(self._save_failed)
            self.wizard.autosaver.conflict.connect(self._conflict)
        self._update_state()

    # --- layout -----------------------------------------------------------------------------------
    def _build_side_panel(self) -> QWidget:
        panel = QWidget(self.splitter)
        panel.setObjectName("reviewPanel")
        panel.setMinimumHeight(110)
        row = QHBoxLayout(panel)
        row.setContentsMargins(10, 6, 10, 6)
        self.mine_box = QWidget(panel)
        mine = QVBoxLayout(self.mine_box)
        mine.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("What goes back to the officer with a return", self.mine_box)
        heading.setToolTip(
            "Your comments (“Comment…” beside any question, or the general comment on the review page), "
            "a regrade with its reason and a MARAC referral still needed"
        )
        heading.setObjectName("panelHeading")
        heading.setWordWrap(True)
        mine.addWidget(heading)
        self.comment_list = QListWidget(self.mine_box)
        self.comment_list.setObjectName("reviewCommentList")
        self.comment_list.setAccessibleName("What goes back with a return: choose one to go to its question")
        self.comment_list.setWordWrap(True)
        # a strip below the form, never more than a few lines: at 150% on 1366x768 it took half the height
        self.comment_list.setMaximumHeight(self.comment_list.fontMetrics().lineSpacing() * 3 + 12)
        self.comment_list.itemActivated.connect(self._comment_chosen)
        self.comment_list.itemClicked.connect(self._comment_chosen)
        mine.addWidget(self.comment_list, 1)
        row.addWidget(self.mine_box, 3)
        self.history_box = QWidget(panel)
        earlier = QVBoxLayout(self.history_box)
        earlier.setContentsMargins(0, 0, 0, 0)
        self.history_heading = QLabel("Comments from earlier returns", self.history_box)
        self.history_heading.setObjectName("panelHeading")
        earlier.addWidget(self.history_heading)
        self.history_list = QListWidget(self.history_box)
        self.history_list.setObjectName("reviewHistoryList")
        self.history_list.setAccessibleName("Comments from earlier returns")
        self.history_list.setWordWrap(True)
        self.history_list.setMaximumHeight(self.history_list.fontMetrics().lineSpacing() * 3 + 12)
        self.history_list.itemActivated.connect(self._comment_chosen)
        self.history_list.itemClicked.connect(self._comment_chosen)
        earlier.addWidget(self.history_list, 1)
        row.addWidget(self.history_box, 2)
        self.side_panel = panel
        self._fill_history()
        return panel

    def _fill_history(self) -> None:
        self.history_list.clear()
        for comment in self.record.comment_history:
            item = QListWidgetItem(
                f"Return {comment.round} · {comment.author_name} · {_question_label(self.record.spec, comment.question_id)} — "
                f"{comment.comment}"
            )
            item.setData(QUESTION_ROLE, comment.question_id)
            self.history_list.addItem(item)

    def victim_name(self) -> str:
        victim = self.record.spec.columns.get("victim_name", "")
        name = self.record.answers.get(victim) if victim else None
        return name.strip() if isinstance(name, str) and name.strip() else ""

    def title(self) -> str:
        """The tab's title, 'Review — Anna Nowak, 01AB/123/26': the victim and the URN, so several open
        reviews are told apart; before approval (no URN yet) the record's short reference stands in."""
        name = self.victim_name() or "victim not entered"
        return f"Review — {name}, {self.record.urn or self.record_id[:8]}"

    def _update_state(self) -> None:
        record = self.record
        status = str(record.status)
        submitted = _when(record.submitted_at)
        round_text = f" · resubmitted after {record.return_rounds} return(s)" if record.return_rounds else ""
        if status == "submitted" and self.can_decide:
            text = (
                f"Reviewing {record.owner_name}'s record, submitted {submitted}{round_text}. Comment on any question "
                "and return it, or complete the supervisor review and approve it."
            )
        elif status == "submitted":
            text = f"Submitted by {record.owner_name} {submitted}: you wrote this record, so another supervisor must review it."
        elif status == "approved":
            text = f"Approved{' — URN ' + record.urn if record.urn else ''}. The record is locked; use Amend to correct it."
        elif status == "returned":
            text = f"Returned to {record.owner_name} with your comments. It comes back to the queue when resubmitted."
        else:
            text = f"This record is a {status}; it is not waiting for review."
        self.banner.setText(text)
        self.return_button.setVisible(self.can_decide)
        self.approve_button.setVisible(self.can_decide)
        self.amend_button.setVisible(status == "approved" and record.revision == record.latest_revision)
        for button in (self.return_button, self.approve_button, self.amend_button):
            button.setEnabled(not self.busy)
        mine = self.can_decide  # after a decision the comments sent are listed with the earlier returns
        history = self.history_list.count() > 0
        self.mine_box.setVisible(mine)
        self.history_box.setVisible(history)
        self.side_panel.setVisible(mine or history)

    # --- comments ---------------------------------------------------------------------------------
    def comments(self) -> dict[str, str]:
        """The comments written beside questions."""
        return self.wizard.comments()

    def return_notes(self) -> dict[str, str]:
        """Everything a return sends back (workflow.return_comments): the comments beside questions, the
        general comment, a regrade with its reason, and a MARAC referral still needed."""
        from dsvdesk.workflow import return_comments

        return return_comments(self.record.spec, self.wizard.answers(), self.comments())

    def _refresh_comments(self, *_args: object) -> None:
        if not self.can_decide:
            return
        self.comment_list.clear()
        order = {q.id: i for i, (_s, _p, q) in enumerate(self.record.spec.iter_questions())}
        notes = self.return_notes()
        for question_id, text in sorted(notes.items(), key=lambda kv: order.get(kv[0], 1 << 30)):
            item = QListWidgetItem(f"{_question_label(self.record.spec, question_id)} — {text}")
            item.setData(QUESTION_ROLE, question_id)
            self.comment_list.addItem(item)

    def _comment_chosen(self, item: QListWidgetItem) -> None:
        question_id = str(item.data(QUESTION_ROLE) or "")
        if question_id:
            self.wizard.jump_to(question_id)

    def add_comment(self, question_id: str, text: str) -> None:
        """Open the comment box on a question and write into it (the keyboard path does the same)."""
        box = self.wizard.show_comment_box(question_id, True)
        if box is not None:
            box.edit.setPlainText(text)

    # --- saving -----------------------------------------------------------------------------------
    def flush(self) -> bool:
        return self.wizard.flush()

    def _save_failed(self, exc: object) -> None:
        messages.error(
            self,
            "Not saved yet",
            f"{getattr(exc, 'message', exc)}\n\nYour review answers are kept here and saved again shortly.",
        )

    def _conflict(self, _exc: object) -> None:
        messages.warning(
            self,
            "Changed elsewhere",
            "This record was changed elsewhere (perhaps another supervisor is reviewing it). Close this tab and "
            "open it again from the queue to see its current state.",
        )

    def current_version(self) -> int:
        return self.sink.version if self.sink is not None else self.record.version

    # --- return -----------------------------------------------------------------------------------
    def return_record(self) -> None:
        if self.busy or not self.can_decide:
            return
        if not self.flush():
            messages.error(
                self, "Not saved yet", "Your review answers are not saved yet; try again in a moment."
            )
            return
        comments = self.return_notes()
        if not comments:
            messages.info(
                self,
                "Add a comment first",
                "A record goes back to the officer with at least one comment saying what to change. Use "
                "“Comment…” beside the question concerned, or the general comment on the review page.",
            )
            return
        listed = review_comments_for(self.record.spec, comments)
        if not ReturnDialog.ask(self, listed, self.record.owner_name):
            return
        try:
            self.context.store.return_record(
                self.context.session, self.record_id, comments, self.current_version()
            )
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        log.ui.info("record %s returned with %d comment(s)", self.record_id, len(comments))
        self._decided("returned")

    # --- approve ----------------------------------------------------------------------------------
    def _review_question(self, role: str) -> Any:
        from dsvdesk.workflow import review_question

        return review_question(self.record.spec, role)

    def approval_problems(self, grade: str | None, rationale: str | None) -> list[Any]:
        """What would stop the approval with this grade and rationale (checked before anything is saved):
        the engine's findings, each naming its question so the approve dialog can go there."""
        from dsvdesk.reporting.review_queue import approval_problems
        from dsvdesk.workflow import REVIEW_GRADE, REVIEW_RATIONALE

        changes: dict[str, Any] = {}
        grade_q = self._review_question(REVIEW_GRADE)
        rationale_q = self._review_question(REVIEW_RATIONALE)
        if grade_q is not None:
            changes[grade_q.id] = grade
        if rationale_q is not None:
            changes[rationale_q.id] = rationale
        return list(approval_problems(self.record.spec, self.wizard.answers(), changes))

    def approve(self) -> None:
        if self.busy or not self.can_decide:
            return
        if self.comments() and not messages.confirm(
            self,
            "Comments not sent",
            "You have written comments for the officer. An approval does not send them; return the record "
            "instead if something must change. Approve anyway?",
            yes_text="&Approve anyway",
            no_text="&Go back",
        ):
            return
        if not self.flush():
            messages.error(
                self, "Not saved yet", "Your review answers are not saved yet; try again in a moment."
            )
            return
        from dsvdesk.workflow import REVIEW_GRADE, REVIEW_RATIONALE

        answers = self.wizard.answers()
        grade_q = self._review_question(REVIEW_GRADE)
        rationale_q = self._review_question(REVIEW_RATIONALE)
        officer_grade = self._officer_grade_text(grade_q)
        request = ApproveDialog.ask(
            self,
            grade_question=grade_q,
            officer_grade=officer_grade,
            grade=answers.get(grade_q.id) if grade_q is not None else None,
            rationale=str(answers.get(rationale_q.id) or "") if rationale_q is not None else "",
            check=self.approval_problems,
            officer_grade_value=self._officer_grade_value(),
            page_titles={p.id: p.title for p in self.record.spec.pages},
        )
        if isinstance(request, ApproveJump):
            self.wizard.jump_to_finding(request.finding)
            return
        if request is None:
            return
        self.busy = True
        self._update_state()
        context = self.context
        record_id = self.record_id

        def work() -> ApproveResult:
            from dsvdesk import workflow
            from dsvdesk.store import Store

            worker_store = Store.open(context.db_path)  # sqlite3 connections stay on their own thread
            try:
                return workflow.approve_record(
                    worker_store,
                    context.session,
                    record_id,
                    request.password,
                    grade=request.grade,
                    rationale=request.rationale,
                    justification=REVIEW_JUSTIFICATION,
                )
            finally:
                worker_store.close()

        Op(self, work, label="Approving and countersigning…").success(self._approved).failure(
            self._approve_failed
        ).run()

    def _officer_grade_value(self) -> str | None:
        """The officer's grade as stored (the value "confirm the officer's grade" sends)."""
        for _section, _page, question in self.record.spec.iter_questions():
            if question.tag_value("review") == "officer_grade":
                value = self.record.answers.get(question.id)
                return str(value) if value else None
        column = self.record.spec.columns.get("officer_grade")
        value = self.record.answers.get(column) if column else None
        return str(value) if value else None

    def _officer_grade_text(self, grade_q: Any) -> str:
        for _section, _page, question in self.record.spec.iter_questions():
            if question.tag_value("review") == "officer_grade":
                value = self.record.answers.get(question.id)
                return question.choice_label(value) if value else ""
        if grade_q is not None:
            column = self.record.spec.columns.get("officer_grade")
            value = self.record.answers.get(column) if column else None
            return grade_q.choice_label(value) if value else ""
        return ""

    def _approved(self, result: ApproveResult) -> None:
        self.busy = False
        self.last_urn = result.urn
        log.ui.info("record %s approved", self.record_id)
        messages.info(
            self,
            "Approved",
            f"The record is approved and countersigned.\n\nReference number (URN): {result.urn}",
        )
        self._decided("approved")

    def _approve_failed(self, exc: BaseException) -> bool:
        self.busy = False
        self._update_state()
        return False  # the calm default message says what happened

    # --- amend ------------------------------------------------------------------------------------
    def amend(self) -> None:
        record = self.record
        if str(record.status) != "approved":
            return
        reason = AmendDialog.ask(self, self.victim_name() or "This record", record.urn or "")
        if reason is None:
            return
        try:
            self.context.store.amend(self.context.session, record.id, reason)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return
        log.ui.info("record %s amended", record.id)
        self.records_changed.emit()
        self.decided.emit(self.record_id, "amended")

    # --- after a decision -------------------------------------------------------------------------
    def _decided(self, what: str) -> None:
        try:
            self.record = self.context.open_record(self.record_id, justification=REVIEW_JUSTIFICATION)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
        self.can_decide = False
        self.wizard.set_read_only(True)
        # show the record as decided: the grade and rationale saved with the approval, this return's comments
        self.wizard.rebase(self.record.answers)
        self._fill_history()
        self._update_state()
        self.title_changed.emit(self.title())
        self.records_changed.emit()
        self.decided.emit(self.record_id, what)


def _when(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%d/%m/%Y %H:%M")


def review_comments_for(spec: Any, comments: Mapping[str, str]) -> list[tuple[str, str]]:
    """(question label, comment) pairs in form order, as the Return dialog lists them."""
    order = {q.id: i for i, (_s, _p, q) in enumerate(spec.iter_questions())}
    return [
        (_question_label(spec, q), t)
        for q, t in sorted(comments.items(), key=lambda kv: order.get(kv[0], 1 << 30))
    ]
