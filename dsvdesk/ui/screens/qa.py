"""Supervisor quality assurance (issue 7): the review queue, review screens, Amend, and the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import dashboard, review

    review.install(window)
    dashboard.install(window)
