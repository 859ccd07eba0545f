"""Supervisor quality assurance in the app: the review queue tab, the review screen (one tab per
record), and "Amend" on approved records. ``install(window)`` wires them into the main window through
its extension points (``add_tab``, ``records_changed``, the tab bar), without the window naming them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.qt import QEvent, QObject
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.review.dialogs import AmendDialog, ApproveDialog, ApproveRequest, ReturnDialog
from dsvdesk.ui.review.queue import ReviewQueueTab
from dsvdesk.ui.review.screen import REVIEW_JUSTIFICATION, ReviewScreen

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow

__all__ = [
    "AmendDialog",
    "ApproveDialog",
    "ApproveRequest",
    "QaHooks",
    "ReturnDialog",
    "ReviewQueueTab",
    "ReviewScreen",
    "install",
]

AMEND_PROPERTY = "qaAmendButton"


class QaHooks(QObject):
    """Lives as long as the window; holds the queue tab and opens review screens."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("qaHooks")
        self.window = window
        self.queue: ReviewQueueTab | None = None
        if window.context.is_supervisor:
            self.queue = ReviewQueueTab(window.context, self.open_review, window.tabs)
            # a sergeant's day starts at the queue (issue 20): it is the tab shown after sign-in
            window.add_tab(self.queue, "Review &queue", select=True)
            window.records_changed.connect(self.queue.refresh)
        window.tabs.tabCloseRequested.connect(self._close_requested)
        window.tabs.currentChanged.connect(self._tab_shown)
        window.installEventFilter(self)

    # --- review screens ---------------------------------------------------------------------------
    def review_screens(self) -> list[ReviewScreen]:
        tabs = self.window.tabs
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), ReviewScreen)]

    def open_review(self, record_id: str) -> ReviewScreen | None:
        """Open (or show) the review screen of a record; opening it is logged with the review purpose."""
        for screen in self.review_screens():
            if screen.record_id == record_id:
                self.window.tabs.setCurrentWidget(screen)
                return screen
        context = self.window.context
        try:
            record = context.open_record(record_id, justification=REVIEW_JUSTIFICATION)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return None
        screen = ReviewScreen(context, record, self.window.tabs)
        screen.records_changed.connect(self.window.records_changed)
        screen.decided.connect(self._decided)
        self.window.add_tab(screen, screen.title(), closable=True, select=True)
        screen.title_changed.connect(lambda title, s=screen: self._retitle(s, title))
        log.ui.info("review screen opened for record %s", record_id)
        return screen

    def _retitle(self, screen: ReviewScreen, title: str) -> None:
        index = self.window.tabs.indexOf(screen)
        if index >= 0:
            self.window.tabs.setTabText(index, title)

    def _decided(self, record_id: str, what: str) -> None:
        if what != "amended":
            return
        for screen in self.review_screens():
            if screen.record_id == record_id:
                self.close_review(screen)
        # the amendment is a draft in the amending user's hands: open it where it can be edited
        self.window.open_record(record_id)

    def close_review(self, screen: ReviewScreen) -> bool:
        if not screen.flush() and not messages.confirm(
            self.window,
            "Not saved",
            "Your latest review answers could not be saved yet. Close the review anyway and lose them?",
            yes_text="Close and &lose them",
            no_text="&Keep it open",
        ):
            return False
        index = self.window.tabs.indexOf(screen)
        if index >= 0:
            self.window.tabs.removeTab(index)
        screen.deleteLater()
        return True

    def _close_requested(self, index: int) -> None:
        widget = self.window.tabs.widget(index)
        if isinstance(widget, ReviewScreen):
            self.close_review(widget)

    def eventFilter(self, watched: Any, event: Any) -> bool:
        # the window saves its own record tabs when it closes; the review tabs are saved here
        if watched is self.window and event.type() == QEvent.Type.Close:
            for screen in self.review_screens():
                screen.flush()
        return False

    # --- "Amend" on approved records opened in an ordinary record tab ------------------------------
    def _tab_shown(self, index: int) -> None:
        view = self.window.tabs.widget(index)
        if not isinstance(view, RecordView) or view.property(AMEND_PROPERTY):
            return
        view.setProperty(AMEND_PROPERTY, True)
        button = view.wizard.add_action_button("A&mend…", accessible_name="Amend this approved record")
        button.setObjectName("amendButton")
        button.clicked.connect(lambda _c=False, v=view: self.amend_view(v))
        self._sync_amend(view, button)
        view.records_changed.connect(lambda v=view, b=button: self._sync_amend(v, b))

    def _sync_amend(self, view: RecordView, button: Any) -> None:
        record = view.record
        user = self.window.context.session.user
        allowed = self.window.context.is_supervisor or user.id == record.owner_id
        button.setVisible(
            str(record.status) == "approved" and record.revision == record.latest_revision and allowed
        )

    def amend_view(self, view: RecordView) -> None:
        record = view.record
        reason = AmendDialog.ask(self.window, view.title(), record.urn or "")
        if reason is None:
            return
        try:
            self.window.context.store.amend(self.window.context.session, record.id, reason)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return
        log.ui.info("record %s amended", record.id)
        self.window.close_tab(self.window.tabs.indexOf(view))
        self.window.records_changed.emit()
        self.window.open_record(record.id)


def install(window: MainWindow) -> QaHooks:
    hooks = QaHooks(window)
    window.qa_hooks = hooks  # type: ignore[attr-defined]  # tests and the dashboard reach the hooks here
    return hooks
