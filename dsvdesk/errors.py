"""Error types shared by the core packages and shown calmly by the CLI and the UI, and the CLI's exit codes.

``UserFacingError`` carries a message written for an officer: what happened, and what to do.
Anything else that escapes is a bug: logged with its traceback, shown without one.

``ExitCode`` is the one table of the ``dsvdesk`` command's exit codes; each ``UserFacingError`` class
names its code in ``exit_code`` and ``exit_code_for`` maps any exception to one. The README table and
the ``--help`` epilog are generated from / checked against this enum (tests/unit/test_exit_codes.py).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of ``dsvdesk``; distinct per kind of failure so scripts can tell them apart.

    2 is argparse's own code for wrong words on the command line; 70 is ``EX_SOFTWARE`` (sysexits.h)
    and 130 the shell's code for Ctrl+C, so those three mean what a shell user expects."""

    OK = 0
    FAILED = 1  # a problem of no more specific kind below
    USAGE = 2
    NOT_FOUND = 3
    BAD_INPUT = 4
    AUTH = 5
    PERMISSION_DENIED = 6
    NOT_READY = 7
    VERIFICATION_FAILED = 8
    UNTRUSTED_SIGNER = 9
    ENVIRONMENT = 10
    CONFLICT = 11
    INTERNAL = 70
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _MEANINGS[self]


_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "the command failed for a reason not listed below (the message says which)",
    ExitCode.USAGE: "usage error: unknown command or option, missing or conflicting arguments",
    ExitCode.NOT_FOUND: "not found: no such record, user, form, file or database",
    ExitCode.BAD_INPUT: "bad input: a file or value that cannot be used (bad JSON, broken form definition)",
    ExitCode.AUTH: "wrong password, unknown user or account locked",
    ExitCode.PERMISSION_DENIED: "permission denied: your role may not do this (or a justification is needed)",
    ExitCode.NOT_READY: "not ready: the form's completeness rules report errors, or nothing is signed yet",
    ExitCode.VERIFICATION_FAILED: "verification failed: a signature or the audit chain is broken or altered",
    ExitCode.UNTRUSTED_SIGNER: "untrusted signer: every signature is intact but no root you hold vouches for a "
    "signer (anyone could have made it)",
    ExitCode.ENVIRONMENT: "environment: disk full, database locked or unreadable, folder not writable",
    ExitCode.CONFLICT: "conflict: the record changed elsewhere, or its status does not allow this",
    ExitCode.INTERNAL: "internal error: a bug in DSVDesk (details in the log file); nothing saved was changed",
    ExitCode.INTERRUPTED: "interrupted (Ctrl+C); everything saved so far is kept",
}


def exit_codes_epilog() -> str:
    """The exit-code table for ``dsvdesk --help`` (argparse's RawDescriptionHelpFormatter keeps lines)."""
    return "exit codes:\n" + "\n".join(f"  {int(code):>3}  {code.meaning}" for code in ExitCode)


class UserFacingError(Exception):
    """An expected problem with a message fit to show a user as it is."""

    title = "DSVDesk"
    exit_code: ExitCode = ExitCode.FAILED  # per class; an instance may narrow it

    def __init__(self, message: str, *, help_topic: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.help_topic = help_topic

    def __str__(self) -> str:
        return self.message


class UsageError(UserFacingError):
    """Command-line words that do not fit together (argparse itself exits with the same code)."""

    title = "Not understood"
    exit_code = ExitCode.USAGE


class NotFound(UserFacingError):
    """No such record, user, form, file or database."""

    title = "Not found"
    exit_code = ExitCode.NOT_FOUND


class BadInput(UserFacingError):
    """A file or value given by the user that cannot be used as it is."""

    title = "Cannot accept this"
    exit_code = ExitCode.BAD_INPUT


class PermissionDenied(UserFacingError):
    """The signed-in user's role does not allow this action (checked in the core, whatever the UI shows)."""

    title = "Not allowed"
    exit_code = ExitCode.PERMISSION_DENIED


class NotReady(UserFacingError):
    """The form's rules report errors, so the record cannot be submitted or approved yet."""

    title = "Not ready"
    exit_code = ExitCode.NOT_READY


class VerificationFailed(UserFacingError):
    """A signature or the audit chain is broken, invalid or altered."""

    title = "Verification failed"
    exit_code = ExitCode.VERIFICATION_FAILED


class UntrustedSigner(UserFacingError):
    """The signatures are intact, but a signer's certificate does not chain to a root the checker holds."""

    title = "Signer not trusted"
    exit_code = ExitCode.UNTRUSTED_SIGNER


class Conflict(UserFacingError):
    """The thing changed elsewhere, already exists, or its status does not allow this step."""

    title = "Not possible now"
    exit_code = ExitCode.CONFLICT


class EnvironmentProblem(UserFacingError):
    """The machine, not the user or DSVDesk, is the cause: disk full, file locked, folder not writable."""

    title = "Cannot be done on this computer now"
    exit_code = ExitCode.ENVIRONMENT


def exit_code_for(exc: BaseException) -> ExitCode:
    """The exit code for an exception that ended a command."""
    if isinstance(exc, UserFacingError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    if isinstance(exc, OSError):
        return ExitCode.ENVIRONMENT
    return ExitCode.INTERNAL
