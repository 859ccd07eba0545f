"""Where DSVDesk finds its shipped files and keeps the user's data. Qt-free.

Shipped files (forms/, resources/) are found, in this order: inside the PyInstaller bundle
(``sys._MEIPASS``); inside the installed package (``dsvdesk/forms``, ``dsvdesk/resources``, put there by
setup.py when a wheel is built); beside the package in a source checkout or an editable install.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "dsvdesk"


def install_root() -> Path:
    """The source checkout's root, or the bundle's folder (both hold ``forms/`` and ``resources/``)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle)
    return Path(__file__).resolve().parent.parent


def shipped_dir(name: str) -> Path:
    """The folder of shipped files ``name`` ("forms" or "resources"), wherever this install keeps it."""
    if not getattr(sys, "_MEIPASS", None):
        # An installed wheel is unpacked on disk, so its resources are real files beside this module
        # (fonts are opened by path by reportlab and Qt): the folder ``importlib.resources.files``
        # names for a package on disk, without importing importlib.resources (~6 ms of every start).
        packaged = Path(__file__).resolve().parent / name
        if packaged.is_dir():
            return packaged
    return install_root() / name


def forms_dir() -> Path:
    override = os.environ.get("DSVDESK_FORMS")
    return Path(override) if override else shipped_dir("forms")


def resources_dir() -> Path:
    return shipped_dir("resources")


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
