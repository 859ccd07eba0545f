"""CSU casework in the app (issue 19): the Casework tab (risk reviews due, MoPI retention review) and a
Case tab per record. ``install(window)`` adds them when the forms folder holds a casework form; without
one there is nothing to schedule, and the tab is not shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.casework.screens import AssessmentDialog, CaseScreen, CaseworkTab
from dsvdesk.ui.qt import QObject

if TYPE_CHECKING:
    from dsvdesk.engine.casework import CaseworkPolicy
    from dsvdesk.ui.main_window import MainWindow

__all__ = ["AssessmentDialog", "CaseScreen", "CaseworkHooks", "CaseworkTab", "install"]


class CaseworkHooks(QObject):
    """Lives as long as the window; holds the Casework tab and opens case tabs."""

    def __init__(self, window: MainWindow, policy: CaseworkPolicy) -> None:
        super().__init__(window)
        self.setObjectName("caseworkHooks")
        self.window = window
        self.policy = policy
        self.tab = CaseworkTab(window.context, policy, self.open_case, window.tabs)
        window.add_tab(self.tab, "Case&work")
        window.records_changed.connect(self.tab.refresh)

    def case_screens(self) -> list[CaseScreen]:
        tabs = self.window.tabs
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), CaseScreen)]

    def open_case(self, record_id: str) -> CaseScreen | None:
        for screen in self.case_screens():
            if screen.record_id == record_id:
                self.window.tabs.setCurrentWidget(screen)
                return screen
        context = self.window.context
        try:
            case = context.store.case_file(context.session, record_id, self.policy)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return None
        screen = CaseScreen(context, self.policy, case, self.window.tabs)
        screen.changed.connect(self.tab.refresh)
        screen.closed_by_disposal.connect(self._disposed)
        self.window.add_tab(screen, screen.title(), closable=True, select=True)
        log.ui.info("case screen opened for record %s", record_id)
        return screen

    def _disposed(self, record_id: str) -> None:
        for screen in self.case_screens():
            if screen.record_id == record_id:
                self.window.tabs.removeTab(self.window.tabs.indexOf(screen))
                screen.deleteLater()
        self.tab.refresh()
        self.window.records_changed.emit()
        messages.info(
            self.window, "Disposed of", "The record's content was erased; its tombstone is in the audit log."
        )


def install(window: MainWindow) -> CaseworkHooks | None:
    from dsvdesk.engine.casework import casework_policy, is_casework_form
    from dsvdesk.store.models import Role

    context = window.context
    if context.session.user.role is Role.ADMIN:
        return None
    found = sorted((s for s in context.forms.values() if is_casework_form(s)), key=lambda s: s.id)
    if not found:
        return None
    try:
        policy = casework_policy(found[0])
    except UserFacingError as exc:
        log.ui.warning("casework not shown: %s", exc.message)
        return None
    hooks = CaseworkHooks(window, policy)
    window.casework_hooks = hooks  # type: ignore[attr-defined]
    return hooks
