"""Checking the station's audit log (issue 16), Qt-free, for `dsvdesk audit verify` and the app's
Administration ▸ "Check the audit log…": the hash chain and every signed checkpoint, optionally a head
kept outside the database (a signed PDF, board pack, encrypted backup or transfer bundle: the log must
still hold it), against a force root; one of three outcomes, each with the same sentences wherever it
is shown:

* intact (and trusted)            -> exit code 0
* intact but NOT TRUSTED          -> 9: the checkpoints do not lead to the force root (anyone could have made it)
* BROKEN (the first bad event)    -> 8
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import ExitCode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dsvdesk.export.heads import HeadSource
    from dsvdesk.store import Store
    from dsvdesk.store.anchor import AuditHead
    from dsvdesk.store.models import AuditVerification


class AuditOutcome(StrEnum):
    INTACT = "intact"
    UNTRUSTED = "untrusted"
    BROKEN = "broken"


EXIT_CODES = {
    AuditOutcome.INTACT: ExitCode.OK,
    AuditOutcome.UNTRUSTED: ExitCode.UNTRUSTED_SIGNER,
    AuditOutcome.BROKEN: ExitCode.VERIFICATION_FAILED,
}


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """What a check found: the outcome, its exit code and the sentences that say so."""

    outcome: AuditOutcome
    lines: tuple[str, ...]
    result: AuditVerification
    heads: tuple[AuditHead, ...] = ()

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES[self.outcome]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def check_audit_log(
    store: Store,
    *,
    against: Path | None = None,
    source: HeadSource | None = None,
    force_roots: Sequence[Any] = (),
) -> AuditCheck:
    """Check the log (``against``: a file carrying a head, read with ``source``); a file that carries no
    head, or cannot be read, raises its one-sentence `UserFacingError` before anything is checked."""
    from dsvdesk.export.heads import HeadSource, heads_of

    heads = heads_of(against, source or HeadSource(store)) if against is not None else []
    result = store.verify_audit(exported=tuple(heads), force_roots=tuple(force_roots))
    return describe(result, heads, against)


def describe(
    result: AuditVerification, heads: Sequence[AuditHead] = (), against: Path | None = None
) -> AuditCheck:
    """The outcome of ``result`` in the words `dsvdesk audit verify` prints."""
    if not result.ok:
        where = f" at event {result.first_bad_event_id}" if result.first_bad_event_id is not None else ""
        return AuditCheck(
            AuditOutcome.BROKEN,
            (f"Audit log BROKEN{where}: {result.reason} ({result.checked} events before it are intact).",),
            result,
            tuple(heads),
        )
    if not result.trusted:
        return AuditCheck(
            AuditOutcome.UNTRUSTED,
            (
                f"Audit log intact ({result.checked} events), but NOT TRUSTED: {result.reason}.",
                "Anyone who can write the database file could have made this log and signed it; it proves "
                "nothing until its checkpoints lead to the force root you hold.",
            ),
            result,
            tuple(heads),
        )
    name = against.name if against is not None else ""
    return AuditCheck(
        AuditOutcome.INTACT,
        (
            f"Audit log intact: {result.checked} events checked, every signed checkpoint holds.",
            f"Checkpoint signatures checked against: {result.checked_against}.",
            *result.notes,
            *(f"The log still holds event {head.seq}, the head {name} was made at." for head in heads),
        ),
        result,
        tuple(heads),
    )
