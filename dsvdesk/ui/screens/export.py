"""Export… of a signed record and Verify a signed PDF or board pack… (issue 6, "Export and verify")."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow


def install(window: MainWindow) -> None:
    from dsvdesk.ui import export

    export.install(window)
