"""Plain, frozen values the store hands out. No SQL and no Qt here."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.x509 import Certificate

    from dsvdesk.engine.spec import FormSpec


class Role(StrEnum):
    OFFICER = "officer"  # own records
    SUPERVISOR = "supervisor"  # reviews any record of the station, never approves their own
    ADMIN = "admin"  # accounts and settings; never reads record content


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # a draft again for its officer, with the reviewer's comments
    APPROVED = "approved"


EDITABLE_STATUSES = frozenset({Status.DRAFT, Status.RETURNED})


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    collar: str
    station: str
    locked_until: str | None = None  # ISO time while locked after too many failed sign-ins


@dataclass(frozen=True, slots=True)
class Session:
    """Proof of a successful sign-in; every store call takes it and checks the role."""

    user: User
    started_at: str
    # Told to the user once, at this sign-in: who reset their password and when (issue 15), or None.
    notice: str | None = None

    @property
    def role(self) -> Role:
        return self.user.role


@dataclass(frozen=True, slots=True)
class RecordRef:
    id: str
    revision: int
    version: int
    status: Status


@dataclass(frozen=True, slots=True)
class ReviewComment:
    question_id: str
    comment: str
    round: int
    revision: int
    author_id: int
    author_name: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Record:
    """One record (a filled form) at one revision, with the definition it was started with."""

    id: str
    form_id: str
    definition_hash: str
    spec: FormSpec
    answers: Mapping[str, Any]
    status: Status
    revision: int
    latest_revision: int  # equals `revision` unless an earlier revision was asked for
    version: int  # optimistic-concurrency counter: pass it back to every save
    owner_id: int
    owner_username: str
    owner_name: str
    editor_id: int  # who writes and submits this revision (the owner, or the amending supervisor)
    created_at: str
    updated_at: str
    submitted_at: str | None
    approved_at: str | None
    approved_by: int | None
    urn: str | None
    completeness: int
    return_rounds: int
    supersedes: int | None
    amend_reason: str | None
    ever_submitted: bool
    # The latest return's comments for this revision, keyed by question id (shown beside the question).
    review_comments: Mapping[str, str] = field(default_factory=dict)
    comment_history: tuple[ReviewComment, ...] = ()

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES and self.revision == self.latest_revision


@dataclass(frozen=True, slots=True)
class RecordRow:
    """One line of a list: only the searchable columns, never the answers."""

    id: str
    form_id: str
    status: Status
    revision: int
    version: int
    owner_id: int
    owner_username: str
    owner_name: str
    editor_id: int
    created_at: str
    updated_at: str
    submitted_at: str | None
    approved_at: str | None
    urn: str | None
    completeness: int
    return_rounds: int
    victim_name: str | None
    suspect_name: str | None
    incident_date: str | None
    cad_ref: str | None
    cris_ref: str | None
    grade: str | None
    yes_count: int | None
    flags: tuple[str, ...]
    columns: Mapping[str, Any]


class LazyColumns(Mapping[str, Any]):
    """A list row's derived columns: the stored JSON document, parsed on first use (a list page shows
    the fixed columns; only some listings read the others), with the opened sealed values over it."""

    __slots__ = ("_opened", "_parsed", "_text")

    def __init__(self, text: str | None, opened: Mapping[str, Any]) -> None:
        self._text = text
        self._opened = opened
        self._parsed: dict[str, Any] | None = None

    def _columns(self) -> dict[str, Any]:
        if self._parsed is None:
            parsed = json.loads(self._text or "{}")
            parsed.update(self._opened)
            self._parsed = parsed
        return self._parsed

    def __getitem__(self, key: str) -> Any:
        return self._columns()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns())

    def __len__(self) -> int:
        return len(self._columns())

    def __eq__(self, other: object) -> bool:
        return dict(self._columns()) == (dict(other) if isinstance(other, Mapping) else other)

    def __hash__(self) -> int:
        raise TypeError("unhashable type: 'LazyColumns'")

    def __repr__(self) -> str:
        return repr(self._columns())


def record_row_from_columns(r: Sequence[Any], sealed: Mapping[str, Any] | None = None) -> RecordRow:
    """A RecordRow from the 25 list columns in their order (records.py's list SELECT; the review
    queue reads the same columns); ``sealed``: the record's opened sealed values (issue 15), which take
    the place of the (empty) name and reference columns. Built with positional arguments, in the order
    of RecordRow's fields (a page is 200 rows: 25 keywords matched per row cost as much again)."""
    if sealed:
        victim_name = _text_or(sealed.get("victim_name"), r[16])
        suspect_name = _text_or(sealed.get("suspect_name"), r[17])
        cad_ref = _text_or(sealed.get("cad_ref"), r[19])
        cris_ref = _text_or(sealed.get("cris_ref"), r[20])
    else:
        sealed = _NOTHING_OPENED
        victim_name, suspect_name, cad_ref, cris_ref = r[16], r[17], r[19], r[20]
    flags = _FLAGS.get(r[23])
    if flags is None:
        flags = _flags_of(r[23])
    return RecordRow(
        r[0],  # id
        r[1],  # form_id
        _STATUS_OF[r[2]],
        int(r[3]),  # revision
        int(r[4]),  # version
        int(r[5]),  # owner_id
        r[6],  # owner_username
        r[7],  # owner_name
        int(r[8]),  # editor_id
        r[9],  # created_at
        r[10],  # updated_at
        r[11],  # submitted_at
        r[12],  # approved_at
        r[13],  # urn
        int(r[14]),  # completeness
        int(r[15]),  # return_rounds
        victim_name,
        suspect_name,
        r[18],  # incident_date
        cad_ref,
        cris_ref,
        r[21],  # grade
        r[22],  # yes_count
        flags,
        LazyColumns(r[24], sealed),  # columns
    )


_NOTHING_OPENED: Mapping[str, Any] = {}
# the flags column's text -> its flags: a station's records carry a handful of distinct flag sets
_FLAGS: dict[object, tuple[str, ...]] = {}


def _flags_of(text: object) -> tuple[str, ...]:
    flags = tuple(str(text).split())
    if len(_FLAGS) < 1_024:
        _FLAGS[text] = flags
    return flags


_STATUS_OF: Mapping[str, Status] = {s.value: s for s in Status}


def _text_or(value: Any, fallback: Any) -> Any:
    if value is None:
        return fallback
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A lifecycle step for the PDF's history block: created, submitted, returned, approved, amended."""

    action: str
    revision: int | None
    at: str
    user_id: int | None
    username: str
    full_name: str
    role: str
    detail: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """``ok``: the chain, every checkpoint and every exported head hold (else ``first_bad_event_id`` and
    ``reason`` say where and why). ``trusted`` is False when the log is intact but its checkpoints do
    not lead to the force root an outside checker gave (``reason`` says why): anyone could have made
    it. ``checked_against`` names what the checkpoint certificates were checked against; ``notes`` say
    plainly what that is worth (a station whose CA no force has certified)."""

    ok: bool
    checked: int
    first_bad_event_id: int | None = None
    reason: str = ""
    trusted: bool = True
    checked_against: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    """A user's unlocked signing key. `chain` holds the further certificates a verifier needs after
    `certificate` (intermediates, then the CA), ready for pyHanko's cert registry."""

    private_key: RSAPrivateKey
    certificate: Certificate
    ca_certificate: Certificate
    chain: tuple[Certificate, ...]
