"""Errors raised by the store. Every one a user can cause is a ``UserFacingError`` with a calm message
saying what happened and what to do; ``StorageBug`` is the exception: a defect in DSVDesk itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dsvdesk.errors import BadInput, Conflict, ExitCode, NotFound, NotReady, PermissionDenied, UserFacingError

__all__ = [
    "AccountLocked",
    "AuthenticationFailed",
    "FindingsBlock",
    "InvalidInput",
    "InvalidTransition",
    "JustificationRequired",
    "NotFound",
    "PermissionDenied",
    "SaveConflict",
    "StorageBug",
    "StorageUnavailable",
    "WrongPassword",
]


class StorageUnavailable(UserFacingError):
    """The database cannot be used because of its environment (file, folder, disk, another program).

    Nothing already saved has been changed; the message names the file and what to do."""

    title = "The database cannot be used"
    exit_code = ExitCode.ENVIRONMENT

    def __init__(self, message: str, *, path: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.reason = reason
        if reason in ("missing", "missing_directory"):
            self.exit_code = (
                ExitCode.NOT_FOUND
            )  # short machine-readable cause: locked, readonly, full, not_a_database ...


class StorageBug(Exception):
    """An SQL error that only a defect in DSVDesk can cause (bad SQL, broken constraint). Not user-facing."""


class AuthenticationFailed(UserFacingError):
    title = "Sign-in failed"
    exit_code = ExitCode.AUTH


class AccountLocked(UserFacingError):
    title = "Account locked"
    exit_code = ExitCode.AUTH

    def __init__(self, message: str, *, until: str) -> None:
        super().__init__(message)
        self.until = until


class WrongPassword(UserFacingError):
    """The password given to unlock a signing key (or the CA key) is not right."""

    title = "Password not right"
    exit_code = ExitCode.AUTH

    def __init__(self, message: str = "The password is not right; nothing was signed.") -> None:
        super().__init__(message)


class JustificationRequired(UserFacingError):
    """Opening someone else's record needs a reason, kept in the audit log (DPA 2018 s.62)."""

    title = "Reason needed"
    exit_code = ExitCode.PERMISSION_DENIED


class SaveConflict(Conflict):
    """The record was changed elsewhere (another window or another DSVDesk) since it was loaded."""

    title = "Changed elsewhere"
    exit_code = ExitCode.CONFLICT

    def __init__(self, message: str, *, current_version: int) -> None:
        super().__init__(message)
        self.current_version = current_version


class InvalidTransition(Conflict):
    """A lifecycle step that the record's status does not allow (e.g. editing a submitted record)."""

    title = "Not possible now"
    exit_code = ExitCode.CONFLICT


class InvalidInput(BadInput):
    """A value or argument the store cannot accept (unknown question, empty reason, bad setting)."""

    title = "Cannot accept this"
    exit_code = ExitCode.BAD_INPUT


class FindingsBlock(NotReady):
    """Submission or approval refused because the form's rules report errors; `findings` lists them."""

    title = "Not ready"
    exit_code = ExitCode.NOT_READY

    def __init__(self, message: str, findings: Sequence[Any]) -> None:
        super().__init__(message)
        self.findings = tuple(findings)
