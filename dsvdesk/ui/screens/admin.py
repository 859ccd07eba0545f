"""The Administration tab (accounts, station settings, audit log) for users with role admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import admin

    admin.install(window)
