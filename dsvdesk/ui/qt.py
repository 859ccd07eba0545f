"""The one place DSVDesk imports PySide6.

Every other UI module imports Qt names from here, so a Qt upgrade or shim touches one file and a stray
``import PySide6`` anywhere else is caught by tests/unit/test_architecture.py.

Names are bound on first use (PEP 562 module ``__getattr__``), not at import. PySide6 builds each Python
class, with all its enums, the first time it is looked up: binding all ~90 names eagerly cost about
90 ms of every cold start (the ``Qt`` namespace alone, with its 94 enum classes, is ~40 ms), and QtPdf
and QtPdfWidgets are only needed by the PDF preview. A name is imported from its PySide6 module the
first time any module asks for it, then cached in this module's globals, so later look-ups are plain
attribute reads. Type checkers see the ordinary imports below.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as PYSIDE_VERSION

# Needed at once by the refcount probes at the end of this module.
from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from PySide6.QtCore import (
        QAbstractListModel,
        QAbstractTableModel,
        QBuffer,
        QByteArray,
        QDate,
        QEvent,
        QIODevice,
        QItemSelectionModel,
        QModelIndex,
        QPersistentModelIndex,
        QPoint,
        QRect,
        QRectF,
        QRunnable,
        QSettings,
        QSize,
        Qt,
        QThread,
        QThreadPool,
        QTime,
        QTimer,
        QtMsgType,
        Slot,
        qInstallMessageHandler,
    )
    from PySide6.QtGui import (
        QAction,
        QBrush,
        QCloseEvent,
        QColor,
        QFont,
        QFontDatabase,
        QFontMetrics,
        QGuiApplication,
        QIcon,
        QKeyEvent,
        QKeySequence,
        QMouseEvent,
        QPainter,
        QPaintEvent,
        QPalette,
        QPen,
        QPixmap,
        QResizeEvent,
        QShortcut,
        QShowEvent,
    )
    from PySide6.QtPdf import (
        QPdfDocument,
    )
    from PySide6.QtPdfWidgets import (
        QPdfView,
    )
    from PySide6.QtWidgets import (
        QAbstractButton,
        QAbstractItemView,
        QApplication,
        QBoxLayout,
        QButtonGroup,
        QCalendarWidget,
        QCheckBox,
        QComboBox,
        QDialog,
        QDialogButtonBox,
        QFileDialog,
        QFormLayout,
        QFrame,
        QGridLayout,
        QGroupBox,
        QHBoxLayout,
        QHeaderView,
        QLabel,
        QLayout,
        QLineEdit,
        QListWidget,
        QListWidgetItem,
        QMainWindow,
        QMenu,
        QMessageBox,
        QPlainTextEdit,
        QProgressBar,
        QProgressDialog,
        QPushButton,
        QRadioButton,
        QScrollArea,
        QScrollBar,
        QSizePolicy,
        QSplitter,
        QStackedWidget,
        QStatusBar,
        QTableView,
        QTableWidget,
        QTableWidgetItem,
        QTabWidget,
        QTextBrowser,
        QToolButton,
        QVBoxLayout,
        QWidget,
        QWidgetAction,
    )

# Which PySide6 module each lazily bound name comes from.
_HOMES: dict[str, tuple[str, ...]] = {
    "PySide6.QtCore": (
        "QAbstractListModel",
        "QAbstractTableModel",
        "QBuffer",
        "QByteArray",
        "QDate",
        "QEvent",
        "QIODevice",
        "QItemSelectionModel",
        "QModelIndex",
        "QPersistentModelIndex",
        "QPoint",
        "QRect",
        "QRectF",
        "QRunnable",
        "QSettings",
        "QSize",
        "Qt",
        "QThread",
        "QThreadPool",
        "QTime",
        "QTimer",
        "QtMsgType",
        "Slot",
        "qInstallMessageHandler",
    ),
    "PySide6.QtGui": (
        "QAction",
        "QBrush",
        "QCloseEvent",
        "QColor",
        "QFont",
        "QFontDatabase",
        "QFontMetrics",
        "QGuiApplication",
        "QIcon",
        "QKeyEvent",
        "QKeySequence",
        "QMouseEvent",
        "QPainter",
        "QPaintEvent",
        "QPalette",
        "QPen",
        "QPixmap",
        "QResizeEvent",
        "QShortcut",
        "QShowEvent",
    ),
    "PySide6.QtPdf": ("QPdfDocument",),
    "PySide6.QtPdfWidgets": ("QPdfView",),
    "PySide6.QtWidgets": (
        "QAbstractButton",
        "QAbstractItemView",
        "QApplication",
        "QBoxLayout",
        "QButtonGroup",
        "QCalendarWidget",
        "QCheckBox",
        "QComboBox",
        "QDialog",
        "QDialogButtonBox",
        "QFileDialog",
        "QFormLayout",
        "QFrame",
        "QGridLayout",
        "QGroupBox",
        "QHBoxLayout",
        "QHeaderView",
        "QLabel",
        "QLayout",
        "QLineEdit",
        "QListWidget",
        "QListWidgetItem",
        "QMainWindow",
        "QMenu",
        "QMessageBox",
        "QPlainTextEdit",
        "QProgressBar",
        "QProgressDialog",
        "QPushButton",
        "QRadioButton",
        "QScrollArea",
        "QScrollBar",
        "QSizePolicy",
        "QSplitter",
        "QStackedWidget",
        "QStatusBar",
        "QTableView",
        "QTableWidget",
        "QTableWidgetItem",
        "QTabWidget",
        "QTextBrowser",
        "QToolButton",
        "QVBoxLayout",
        "QWidget",
        "QWidgetAction",
    ),
}
_HOME_OF: dict[str, str] = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Bind a Qt name on first use (see the module docstring); unknown names fail as usual."""
    module_name = _HOME_OF.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME_OF))


__all__ = [
    "PYSIDE_VERSION",
    "QAbstractButton",
    "QAbstractItemView",
    "QAbstractListModel",
    "QAbstractTableModel",
    "QAction",
    "QApplication",
    "QBoxLayout",
    "QBrush",
    "QBuffer",
    "QButtonGroup",
    "QByteArray",
    "QCalendarWidget",
    "QCheckBox",
    "QCloseEvent",
    "QColor",
    "QComboBox",
    "QDate",
    "QDialog",
    "QDialogButtonBox",
    "QEvent",
    "QFileDialog",
    "QFont",
    "QFontDatabase",
    "QFontMetrics",
    "QFormLayout",
    "QFrame",
    "QGridLayout",
    "QGroupBox",
    "QGuiApplication",
    "QHBoxLayout",
    "QHeaderView",
    "QIODevice",
    "QIcon",
    "QItemSelectionModel",
    "QKeyEvent",
    "QKeySequence",
    "QLabel",
    "QLayout",
    "QLineEdit",
    "QListWidget",
    "QListWidgetItem",
    "QMainWindow",
    "QMenu",
    "QMessageBox",
    "QModelIndex",
    "QMouseEvent",
    "QObject",
    "QPaintEvent",
    "QPainter",
    "QPalette",
    "QPdfDocument",
    "QPdfView",
    "QPen",
    "QPersistentModelIndex",
    "QPixmap",
    "QPlainTextEdit",
    "QPoint",
    "QProgressBar",
    "QProgressDialog",
    "QPushButton",
    "QRadioButton",
    "QRect",
    "QRectF",
    "QResizeEvent",
    "QRunnable",
    "QScrollArea",
    "QScrollBar",
    "QSettings",
    "QShortcut",
    "QShowEvent",
    "QSize",
    "QSizePolicy",
    "QSplitter",
    "QStackedWidget",
    "QStatusBar",
    "QTabWidget",
    "QTableView",
    "QTableWidget",
    "QTableWidgetItem",
    "QTextBrowser",
    "QThread",
    "QThreadPool",
    "QTime",
    "QTimer",
    "QToolButton",
    "QVBoxLayout",
    "QWidget",
    "QWidgetAction",
    "Qt",
    "QtMsgType",
    "Signal",
    "Slot",
    "qInstallMessageHandler",
]


class _EmitProbe(QObject):
    ping = Signal()


def _emit_leaks_true() -> bool:
    """PySide6 6.12 on Python 3.11: every ``SignalInstance.emit()`` called from Python drops one
    reference to ``True`` (its return value) without having taken it. After a few hundred emits the
    interpreter frees ``True`` and aborts ("bool_dealloc: deallocating True or False"). Measured here
    so the shim below is applied only where the bug is."""
    probe = _EmitProbe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.ping.emit()
    leaked = before - sys.getrefcount(True)
    probe.deleteLater()
    return leaked >= 8


def _void_call_leaks_none() -> bool:
    """The same bug for ``None``: every Qt method that returns nothing (``setText``, ``show``,
    ``processEvents`` ...) called from Python drops one reference to ``None``. A fresh interpreter holds
    only a few thousand, so a few thousand such calls abort it ("none_dealloc: deallocating None")."""
    probe = _EmitProbe()
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    leaked = before - sys.getrefcount(None)
    probe.deleteLater()
    return leaked >= 8


def _make_immortal(*values: object) -> None:
    """Python 3.12 made True/False/None immortal for exactly this class of extension bug; do the same
    on 3.11 by giving them a reference count no run can exhaust (2**40). They are never freed anyway."""
    for value in values:
        ctypes.c_ssize_t.from_address(id(value)).value += 1 << 40


def _make_bools_immortal() -> None:
    _make_immortal(True, False)


EMIT_REFCOUNT_SHIM = sys.version_info < (3, 12) and _emit_leaks_true()
if EMIT_REFCOUNT_SHIM:
    _make_bools_immortal()
NONE_REFCOUNT_SHIM = sys.version_info < (3, 12) and _void_call_leaks_none()
if NONE_REFCOUNT_SHIM:
    _make_immortal(None)
