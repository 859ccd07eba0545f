"""Per-machine UI state (window geometry, the page each record was left on) in an INI file.

Only ids and layout are kept here — never answers or names — so the file holds no personal data.
``DSVDESK_UI_STATE`` points it elsewhere (tests use a temporary file).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from dsvdesk.paths import APP_DIR_NAME
from dsvdesk.ui.qt import QByteArray, QSettings


def state_path() -> Path:
    override = os.environ.get("DSVDESK_UI_STATE")
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False)) / "ui-state.ini"


class UiState:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_path()
        self._settings = QSettings(str(self.path), QSettings.Format.IniFormat)

    # --- window ------------------------------------------------------------------------------------
    def window_geometry(self) -> QByteArray | None:
        value = self._settings.value("window/geometry")
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def set_window_geometry(self, geometry: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)
        self._settings.sync()

    def last_username(self) -> str:
        value = self._settings.value("login/username", "")
        return value if isinstance(value, str) else ""

    def set_last_username(self, username: str) -> None:
        self._settings.setValue("login/username", username)

    # --- records -----------------------------------------------------------------------------------
    def record_page(self, record_id: str) -> str | None:
        value = self._settings.value(f"records/{record_id}/page")
        return value if isinstance(value, str) and value else None

    def record_visited(self, record_id: str) -> list[str]:
        value = self._settings.value(f"records/{record_id}/visited", "")
        return [p for p in value.split(",") if p] if isinstance(value, str) else []

    def set_record_position(self, record_id: str, page_id: str, visited: set[str]) -> None:
        self._settings.setValue(f"records/{record_id}/page", page_id)
        self._settings.setValue(f"records/{record_id}/visited", ",".join(sorted(visited)))
        self._settings.sync()  # written at once: a crash must not lose the page the officer was on
