"""The Board report (issue 8): the supervisors' "Board reports" tab and the report wizard.

Named so it sorts after ``qa``: its tab comes after the review queue and the dashboard."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import board

    board.install(window)
