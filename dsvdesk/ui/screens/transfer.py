"""Transfer bundles between station PCs and the CSU (issue 17): File menu actions for supervisors."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import transfer

    transfer.install(window)
