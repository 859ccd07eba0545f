"""Where DSVDesk finds its shipped files and keeps the user's data. Qt-free.

Shipped files (forms/, resources/) sit beside the package in a source checkout and inside the
bundle under PyInstaller (``sys._MEIPASS``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "dsvdesk"


def install_root() -> Path:
    """The folder holding ``forms/`` and ``resources/`` (checkout root, or the bundle's folder)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def forms_dir() -> Path:
    override = os.environ.get("DSVDESK_FORMS")
    return Path(override) if override else install_root() / "forms"


def resources_dir() -> Path:
    return install_root() / "resources"


def fonts_dir() -> Path:
    return resources_dir() / "fonts"


def user_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))


def user_log_dir() -> Path:
    override = os.environ.get("DSVDESK_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def default_db_path() -> Path:
    """``DSVDESK_DB`` wins; otherwise the platform's user data directory."""
    override = os.environ.get("DSVDESK_DB")
    return Path(override) if override else user_data_dir() / "dsvdesk.sqlite3"
