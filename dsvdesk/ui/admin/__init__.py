"""The administrator's screen (accounts, station settings, audit log), installed for role admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk import log

if TYPE_CHECKING:
    from dsvdesk.store.settings import Settings
    from dsvdesk.ui.admin.screen import AdminScreen
    from dsvdesk.ui.main_window import MainWindow

TAB_TITLE = "&Administration"


def install(window: MainWindow) -> AdminScreen | None:
    """Give an administrator the Administration tab (accounts, settings, audit log)."""
    if window.context.role != "admin":
        return None
    from dsvdesk.ui.admin.screen import AdminScreen
    from dsvdesk.ui.marking import set_current_marking

    screen = AdminScreen(window.context, window.tabs)

    def apply(settings: Settings) -> None:
        # The marking banners and the idle lock follow the new settings at once, without a restart.
        set_current_marking(settings.marking)
        window.idle.set_minutes(settings.idle_lock_minutes)
        log.ui.info("settings applied to the open window")

    screen.settings_saved.connect(apply)
    window.add_tab(screen, TAB_TITLE, select=True)
    return screen
