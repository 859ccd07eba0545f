"""Error types shared by the core packages and shown calmly by the CLI and the UI.

``UserFacingError`` carries a message written for an officer: what happened, and what to do.
Anything else that escapes is a bug: logged with its traceback, shown without one.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An expected problem with a message fit to show a user as it is."""

    title = "DSVDesk"
    exit_code = 1

    def __init__(self, message: str, *, help_topic: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help_topic = help_topic

    def __str__(self) -> str:
        return self.message


class PermissionDenied(UserFacingError):
    """The signed-in user's role does not allow this action (checked in the core, whatever the UI shows)."""

    title = "Not allowed"
    exit_code = 3
