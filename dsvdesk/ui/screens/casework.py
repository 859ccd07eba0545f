"""CSU casework after submission (issue 19): the Casework tab and the case screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import casework

    casework.install(window)
