"""The protective marking banner shown at the top (and foot) of every window and dialog.

GSC policy: the marking must be visible on every screen holding sensitive data. The text comes from the
form definition or the station settings; a single process-wide value keeps every window consistent.
"""

from __future__ import annotations

from typing import ClassVar

from dsvdesk.ui.qt import QLabel, QWidget

DEFAULT_MARKING = "OFFICIAL-SENSITIVE"


class _Current:
    marking = DEFAULT_MARKING
    banners: ClassVar[list[MarkingBanner]] = []


def current_marking() -> str:
    return _Current.marking


def set_current_marking(marking: str) -> None:
    """Change the marking everywhere at once (e.g. after the station settings are read at login)."""
    from dsvdesk.ui import messages

    _Current.marking = marking.strip() or DEFAULT_MARKING
    messages.set_marking(_Current.marking)
    alive: list[MarkingBanner] = []
    for banner in _Current.banners:
        try:
            banner.setText(_Current.marking)
        except RuntimeError:  # the C++ side was deleted with its window
            continue
        alive.append(banner)
    _Current.banners = alive


class MarkingBanner(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_Current.marking, parent)
        self.setObjectName("markingBanner")
        # Set by name through Qt's property system rather than ``Qt.AlignmentFlag.AlignCenter``: every
        # window starts with a banner, and touching PySide's ``Qt`` namespace builds its 94 enum classes
        # (~40 ms of the cold start to the sign-in window). A QLabel takes no focus by default
        # (Qt.FocusPolicy.NoFocus), so Tab never stops on the banner.
        self.setProperty("alignment", "AlignCenter")
        self.setAccessibleName("Protective marking")
        _Current.banners.append(self)
