"""The case after submission (issue 19): allocation, signed re-assessments, risk reviews, Victims' Code
contacts and events, referrals, the case outcome, MoPI retention review and disposal.

Every schedule, time and list of choices comes from the casework form's ``CaseworkPolicy``
(engine/casework.py); the caller passes it in. A case opens at the record's first submission
(``open_case``, called by ``submit``); due times are worked out from the policy and kept in ``cases``
(``sync_schedule``) so the review-due and retention lists read a range of an index.

Personal free text — a re-assessment's answers and its signed PDF, a review's next action, a contact's
note, a referral's note, a retention decision's reason — is kept only sealed under the record's content
key (``sealed_rows``, migration 0021): readable by the record's officer, the case's investigating officer
(the record's keys are wrapped for them at allocation), the station's supervisors and escrow; never an
admin. The audit log holds keyed digests, never the text.

Disposal erases the record's content — answers, revisions, review comments, signed PDFs, the search
index rows (keyed tokens, migration 0022; freed pages zeroed by ``secure_delete``) and every casework
row — and leaves a tombstone (ids, dates, who, why) whose erasure event is signed into the audit chain
(a checkpoint) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from dsvdesk import log
from dsvdesk.store import audit, db
from dsvdesk.store.base import USER_COLUMNS, iso, user_from_row
from dsvdesk.store.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from dsvdesk.store.models import Role, Session, Status, User
from dsvdesk.store.records import RecordOps, RecordState

if TYPE_CHECKING:
    from dsvdesk.engine.casework import CaseworkPolicy

MAX_NOTE_CHARS = 10_000
MAX_REASON_CHARS = 2_000
# A contact, event or decision time more than this far in the future is a typing mistake.
FUTURE_SLACK = dt.timedelta(minutes=10)
SCHEDULE_SETTING = "casework_schedule_key"
SYNC_BATCH = 2_000
SYNC_CACHE_KIB = 32 * 1024  # page cache while due times are worked out for many cases (as fast as 128 MiB)


def _parse(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _text(value: str | None, what: str, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{what} is needed.")
    if len(text) > limit:
        raise InvalidInput(f"{what} is too long (at most {limit:,} characters).")
    return text


def _choice(value: str | None, choices: Sequence[Any], what: str) -> str:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise InvalidInput(f"{what} {value!r} is not one of: {', '.join(allowed)}.")
    return str(value)


# ----------------------------------------------------------------------------------------- values
@dataclass(frozen=True, slots=True)
class CaseAssessment:
    id: int
    kind: str  # part2 | bail
    risk_revision: int
    previous_grade: str | None
    grade: str
    decision_at: str | None
    answers: dict[str, Any]
    sha256: str
    created_at: str
    created_by: str

    @property
    def in_time(self) -> bool | None:
        """Bail: made before the custody decision time (None for a part 2)."""
        if self.kind != "bail" or not self.decision_at:
            return None
        made, due = _parse(self.created_at), _parse(self.decision_at)
        return made is not None and due is not None and made <= due


@dataclass(frozen=True, slots=True)
class CaseReview:
    step: int
    due_at: str
    due_by: str
    reviewed_at: str
    reviewer: str
    outcome: str
    next_action: str

    @property
    def late(self) -> bool:
        return self.reviewed_at > self.due_at


@dataclass(frozen=True, slots=True)
class CaseContact:
    id: int
    contacted_at: str
    method: str
    made: bool
    regarding: str
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class CaseEvent:
    id: int
    kind: str
    at: str
    recorded_by: str


@dataclass(frozen=True, slots=True)
class CaseReferral:
    id: int
    agency: str
    referred_on: str
    outcome: str
    outcome_on: str | None
    note: str
    by: str


@dataclass(frozen=True, slots=True)
class RetentionDecision:
    reviewed_at: str
    reviewer: str
    decision: str
    reason: str
    next_review: str


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Everything about one case (what the case screen and ``dsvdesk case show`` print)."""

    record_id: str
    urn: str | None
    status: str
    victim_name: str | None
    owner: str
    opened_at: str
    io: str | None  # username
    io_name: str | None
    allocated_by: str | None
    allocated_at: str | None
    record_grade: str | None
    grade: str | None  # current: latest re-assessment, else the record's
    risk_revision: int
    reviews_done: int
    next_review_due: str | None
    next_review_by: str | None
    outcome: str | None
    outcome_at: str | None
    retention_due: str | None
    version: int
    assessments: tuple[CaseAssessment, ...]
    reviews: tuple[CaseReview, ...]
    contacts: tuple[CaseContact, ...]
    events: tuple[CaseEvent, ...]
    referrals: tuple[CaseReferral, ...]
    retention: tuple[RetentionDecision, ...]

    @property
    def closed(self) -> bool:
        return self.outcome is not None


class DueRow(NamedTuple):
    """One line of the review-due or retention list (list columns only, no free text)."""

    record_id: str
    urn: str | None
    victim_name: str | None
    grade: str | None
    io: str | None  # the IO's full name
    due: str
    due_by: str | None  # review: who reviews; retention: the outcome
    step: int
    opened_at: str


@dataclass(frozen=True, slots=True)
class Tombstone:
    record_id: str
    form_id: str
    urn: str | None
    created_at: str
    opened_at: str | None
    disposed_at: str
    disposed_by: str
    reason: str
    audit_event_id: int
    audit_hash: str


# ----------------------------------------------------------------------------------------- SQL
# The lifecycle's hooks: a case opens at the record's first submission (submit's transaction); an
# approval may change the grade, so the case's due times are worked out again.
OPEN_CASE_SQL = "INSERT INTO cases (record_id, opened_at) VALUES (?, ?) ON CONFLICT (record_id) DO NOTHING"
RESCHEDULE_SQL = "UPDATE cases SET schedule_key = NULL WHERE record_id = ?"
# Bulk loads (store/bulk.py): every loaded record that was submitted opens its case at its submission.
OPEN_LOADED_CASES_SQL = (
    "INSERT INTO cases (record_id, opened_at) SELECT id, COALESCE(submitted_at, approved_at, created_at) "
    "FROM records WHERE ever_submitted = 1 ON CONFLICT (record_id) DO NOTHING"
)
_CASE_COLUMNS = (
    "c.record_id, r.urn, r.status, r.victim_name, ou.full_name, c.opened_at, iu.username, iu.full_name, "
    "au.full_name, c.allocated_at, r.grade, COALESCE(c.grade, r.grade), c.risk_revision, c.reviews_done, c.next_review_due, "
    "c.next_review_by, c.outcome, c.outcome_at, c.retention_due, c.version, r.owner_id, c.io_id"
)
_CASE_FROM = (
    "FROM cases c JOIN records r ON r.id = c.record_id JOIN users ou ON ou.id = r.owner_id "
    "LEFT JOIN users iu ON iu.id = c.io_id LEFT JOIN users au ON au.id = c.allocated_by"
)
_DUE_COLUMNS = (
    "c.record_id, r.urn, r.victim_name, COALESCE(c.grade, r.grade), iu.full_name, {due}, {by}, "
    "c.reviews_done, c.opened_at"
)


@dataclass(frozen=True, slots=True)
class _CaseState:
    record_id: str
    status: str
    owner_id: int
    io_id: int | None
    opened_at: str
    grade: str | None  # current
    risk_revision: int
    reviews_done: int
    outcome: str | None
    retention_due: str | None
    version: int


class CaseworkOps(RecordOps):
    """The casework part of the Store (see the module docstring)."""

    # ------------------------------------------------------------------------- helpers
    def _case_state(self, conn: sqlite3.Connection, record_id: str) -> _CaseState:
        row = conn.execute(
            "SELECT c.record_id, r.status, r.owner_id, c.io_id, c.opened_at, COALESCE(c.grade, r.grade), "
            "c.risk_revision, c.reviews_done, c.outcome, c.retention_due, c.version "
            "FROM cases c JOIN records r ON r.id = c.record_id WHERE c.record_id = ?",
            (str(record_id),),
        ).fetchone()
        if row is None:
            if conn.execute("SELECT 1 FROM records WHERE id = ?", (str(record_id),)).fetchone() is None:
                raise NotFound(f"There is no record {record_id} on this PC (it may have been disposed of).")
            raise InvalidTransition(
                "This record has not been submitted, so there is no case yet; casework starts at submission."
            )
        return _CaseState(
            str(row[0]), str(row[1]), int(row[2]), row[3], str(row[4]), row[5], int(row[6]), int(row[7]),
            row[8], row[9], int(row[10]),
        )  # fmt: skip

    def _case_worker(self, session: Session, case: _CaseState, action: str) -> User:
        """The case's investigating officer or a supervisor (never an admin)."""
        user = self._current_user(session)
        if user.role is Role.SUPERVISOR or (user.role is Role.OFFICER and case.io_id == user.id):
            return user
        raise PermissionDenied(
            f"Only the investigating officer the case is allocated to, or a supervisor, can {action}."
        )

    def _case_reader(self, session: Session, case: _CaseState) -> User:
        user = self._current_user(session)
        if user.role is Role.SUPERVISOR or user.id in (case.io_id, case.owner_id):
            return user
        if user.role is Role.ADMIN:
            raise PermissionDenied("Administrators cannot read case content.")
        raise PermissionDenied(
            "Only the investigating officer, the reporting officer or a supervisor can see this case."
        )

    def _bump(
        self, conn: sqlite3.Connection, record_id: str, sets: str = "", params: Sequence[Any] = ()
    ) -> None:
        extra = f", {sets}" if sets else ""
        conn.execute(
            f"UPDATE cases SET version = version + 1{extra} WHERE record_id = ?",  # noqa: S608 - fixed fragments
            (*params, record_id),
        )

    def _when(self, text: str | dt.datetime, what: str) -> str:
        """A time given by the user: ISO text or a datetime (naive = the PC's local time), not in the future."""
        if isinstance(text, dt.datetime):
            moment = text
        else:
            try:
                moment = dt.datetime.fromisoformat(str(text).strip())
            except ValueError:
                raise InvalidInput(f"{what} {text!r} is not a date and time like 2026-09-03T14:30.") from None
        if moment.tzinfo is None:
            moment = moment.astimezone()
        if moment > self._now() + FUTURE_SLACK:
            raise InvalidInput(f"{what} cannot be in the future.")
        return iso(moment)

    # ------------------------------------------------------------------------- schedule
    def sync_schedule(self, policy: CaseworkPolicy) -> int:
        """Work out the due times of every case whose times are not from ``policy``'s schedule (new
        cases, changed grades or outcomes, or a changed schedule); returns how many were updated."""
        key = policy.schedule_key
        with self._read() as conn:
            stored, pending = conn.execute(
                "SELECT (SELECT value FROM settings WHERE key = ?), "
                "EXISTS (SELECT 1 FROM cases WHERE schedule_key IS NULL)",
                (SCHEDULE_SETTING,),
            ).fetchone()
        if stored is not None and json.loads(stored) == key and not pending:
            return 0
        with self._tx() as conn:
            if stored is None or json.loads(stored) != key:
                conn.execute("UPDATE cases SET schedule_key = NULL")
                conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (SCHEDULE_SETTING, json.dumps(key)),
                )
            # the unscheduled cases' rowids first (the partial index of unscheduled cases), then in the
            # table's own order SYNC_BATCH cases at a time: their columns read (each one's record by its
            # id), their due times written back. Table order with a wider page cache for the pass: at
            # 100,000 cases, random order through the default 2 MB cache made every update decrypt and
            # re-encrypt pages it had just evicted. The cache (SYNC_CACHE_KIB) and the rows held (one
            # batch) are bounded: this runs on a worker while the app starts, and every case's columns
            # at once, or a cache holding every page the pass dirties, doubled the app's peak memory.
            cache = conn.execute("PRAGMA cache_size").fetchone()[0]
            conn.execute(f"PRAGMA cache_size = {-SYNC_CACHE_KIB:d}")
            try:
                ordered = [r[0] for r in conn.execute("SELECT rowid FROM cases WHERE schedule_key IS NULL")]
                ordered.sort()
                updated = 0
                for start in range(0, len(ordered), SYNC_BATCH):
                    batch = ordered[start : start + SYNC_BATCH]
                    rows = conn.execute(
                        "SELECT c.rowid, c.opened_at, c.reviews_done, COALESCE(c.grade, r.grade), c.outcome, "  # noqa: S608 - only ? markers are formatted in; values are bound
                        "c.outcome_at, c.retain_until FROM cases c CROSS JOIN records r ON r.id = c.record_id "
                        f"WHERE c.rowid IN ({', '.join('?' for _ in batch)}) ORDER BY c.rowid",
                        batch,
                    ).fetchall()
                    conn.executemany(
                        "UPDATE cases SET next_review_due = ?, next_review_by = ?, retention_due = ?, "
                        "schedule_key = ? WHERE rowid = ?",
                        [(*_due_times(policy, row), key, row[0]) for row in rows],
                    )
                    updated += len(rows)
            finally:
                conn.execute(f"PRAGMA cache_size = {int(cache):d}")
        return updated

    # ------------------------------------------------------------------------- allocation
    def allocate(
        self, session: Session, record_id: str, io_username: str, *, expected_version: int | None = None
    ) -> int:
        """A supervisor (the CSU DS) allocates an approved record's case to an investigating officer."""
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._require(session, Role.SUPERVISOR, action="allocate a case")
            if case.status != Status.APPROVED.value:
                raise InvalidTransition(
                    f"Only an approved record is allocated for investigation; this one is {case.status}."
                )
            if expected_version is not None and expected_version != case.version:
                raise InvalidTransition("Someone else changed this case meanwhile; look at it again.")
            io = _user_named(conn, io_username)
            if io is None or io.role is Role.ADMIN:
                raise InvalidInput(f"{io_username!r} is not an officer or supervisor on this PC.")
            self._share_with_io(conn, session, case.record_id, io.id, case.io_id)
            self._bump(
                conn,
                case.record_id,
                "io_id = ?, allocated_by = ?, allocated_at = ?",
                (io.id, user.id, self._stamp()),
            )
            self._audit(
                session,
                audit.ALTERATION,
                record_id=case.record_id,
                detail={"casework": "allocated", "io": io.username},
            )
        return case.version + 1

    # ------------------------------------------------------------------------- signed entries
    def add_assessment(
        self,
        session: Session,
        record_id: str,
        *,
        kind: str,
        risk_revision: int,
        spec: Any,
        answers: Mapping[str, Any],
        grade: str,
        decision_at: str | None,
        signed_pdf: bytes,
    ) -> int:
        """Store a signed re-assessment (``kind`` part2) or bail re-assessment as revision
        ``risk_revision`` of the case's risk part; the grade becomes the case's grade. The officer's
        signed record is untouched."""
        if not bytes(signed_pdf[:5]) == b"%PDF-":
            raise InvalidInput("The signed re-assessment is not a PDF, so nothing was stored.")
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._case_worker(session, case, "re-assess the risk")
            if case.status != Status.APPROVED.value:
                raise InvalidTransition("The risk is re-assessed after the record is approved.")
            if risk_revision != case.risk_revision + 1:
                raise InvalidTransition("Someone else re-assessed this case meanwhile; look at it again.")
            definition = self._store_definition(conn, spec)
            digest = hashlib.sha256(signed_pdf).hexdigest()
            now = self._stamp()
            text = json.dumps(dict(answers), ensure_ascii=False, sort_keys=True)
            seal = self._seal_row(
                conn, session, "case_assessments", case.record_id,
                {"answers_json": text, "pdf": bytes(signed_pdf)},
            )  # fmt: skip
            seal.insert(
                conn, "case_assessments",
                {"record_id": case.record_id, "kind": kind, "risk_revision": risk_revision,
                 "previous_grade": case.grade, "grade": grade, "decision_at": decision_at,
                 "definition_hash": definition, "sha256": digest, "created_at": now, "created_by": user.id},
            )  # fmt: skip
            self._bump(
                conn,
                case.record_id,
                "grade = ?, risk_revision = ?, schedule_key = NULL",
                (grade, risk_revision),
            )
            self._audit(
                session,
                audit.COLLECTION,
                record_id=case.record_id,
                value_sha256=digest,
                detail={
                    "casework": kind,
                    "risk_revision": risk_revision,
                    "grade_changed": grade != case.grade,
                },
            )
            self._checkpoint(session, "re-assessment")
        return risk_revision

    def assessment_pdf(self, session: Session, record_id: str, risk_revision: int) -> bytes:
        with self._read() as conn:
            case = self._case_state(conn, record_id)
            self._case_reader(session, case)
            return self._assessment_pdf(conn, session, case.record_id, int(risk_revision))[0]

    def _assessment_pdf(
        self, conn: sqlite3.Connection, session: Session, record_id: str, risk_revision: int
    ) -> tuple[bytes, str]:
        """(the signed PDF opened with the session's keys, its SHA-256) of a re-assessment revision."""
        row = conn.execute(
            "SELECT id, key_id, sealed_pdf, pdf, sha256 FROM case_assessments WHERE record_id = ? AND risk_revision = ?",
            (record_id, risk_revision),
        ).fetchone()
        if row is None:
            raise NotFound(f"The case has no re-assessment revision {risk_revision}.")
        pdf = self._open_row_value(
            conn, session, "case_assessments", "pdf",
            record_id=record_id, row_id=int(row[0]), key_id=row[1], sealed=row[2], plain=row[3],
        )  # fmt: skip
        return pdf, str(row[4])

    def disclose_assessment(
        self, session: Session, record_id: str, risk_revision: int, *, recipient: str, justification: str
    ) -> bytes:
        """A signed re-assessment leaving DSVDesk: its PDF, with the disclosure (recipient, reason) and a
        signed checkpoint logged first. The IO, the reporting officer or a supervisor."""
        recipient = _text(recipient, "The recipient", 500)
        justification = _text(justification, "A reason for the disclosure", MAX_REASON_CHARS)
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            self._case_reader(session, case)
            pdf, digest = self._assessment_pdf(conn, session, case.record_id, int(risk_revision))
            self._audit(
                session,
                audit.DISCLOSURE,
                record_id=case.record_id,
                recipient=recipient,
                justification=justification,
                value_sha256=digest,
                detail={"what": "risk re-assessment", "risk_revision": int(risk_revision)},
            )
            self._checkpoint(session, "disclosure")
        return pdf

    # ------------------------------------------------------------------------- reviews
    def record_review(
        self, session: Session, record_id: str, policy: CaseworkPolicy, *, outcome: str, next_action: str
    ) -> CaseReview:
        """A supervisor records the next scheduled risk review (who, when, outcome, next action)."""
        outcome = _choice(outcome, policy.review_outcomes, "The review outcome")
        next_action = _text(next_action, "The next action", MAX_NOTE_CHARS)
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._require(session, Role.SUPERVISOR, action="record a risk review")
            if case.outcome is not None:
                raise InvalidTransition("The case has an outcome recorded; its risk reviews have ended.")
            opened = _parse(case.opened_at) or self._now()
            due = policy.review_due(opened, case.reviews_done)
            after = policy.review_due(opened, case.reviews_done + 1)
            now = self._stamp()
            self._seal_row(conn, session, "case_reviews", case.record_id, {"next_action": next_action}).insert(
                conn, "case_reviews",
                {"record_id": case.record_id, "step": due.step, "due_at": iso(due.due), "due_by": due.by,
                 "reviewed_at": now, "reviewer_id": user.id, "outcome": outcome},
            )  # fmt: skip
            self._bump(
                conn,
                case.record_id,
                "reviews_done = reviews_done + 1, next_review_due = ?, next_review_by = ?",
                (iso(after.due), after.by),
            )
            self._audit(
                session,
                audit.COLLECTION,
                record_id=case.record_id,
                value_sha256=self._value_hash(next_action),
                detail={
                    "casework": "review",
                    "step": due.step,
                    "outcome": outcome,
                    "late": now > iso(due.due),
                },
            )
        return CaseReview(due.step, iso(due.due), due.by, now, user.full_name, outcome, next_action)

    # ------------------------------------------------------------------------- contacts and events
    def log_contact(
        self,
        session: Session,
        record_id: str,
        policy: CaseworkPolicy,
        *,
        at: str | dt.datetime,
        method: str,
        made: bool,
        note: str,
        regarding: str = "",
    ) -> int:
        """Log a Victims' Code contact with the victim (made, or attempted)."""
        from dsvdesk.engine.casework import FIRST_CONTACT, UPDATE_CONTACT

        method = _choice(method, policy.contact_methods, "The contact method")
        note = _text(note, "What was said", MAX_NOTE_CHARS)
        when = self._when(at, "The contact time")
        allowed = {FIRST_CONTACT, UPDATE_CONTACT, *(e.value for e in policy.contact_events)}
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._case_worker(session, case, "log contact with the victim")
            if not regarding:
                first = conn.execute(
                    "SELECT 1 FROM case_contacts WHERE record_id = ? LIMIT 1", (case.record_id,)
                ).fetchone()
                regarding = UPDATE_CONTACT if first else FIRST_CONTACT
            if regarding not in allowed:
                raise InvalidInput(f"A contact is about one of: {', '.join(sorted(allowed))}.")
            contact_id = self._seal_row(conn, session, "case_contacts", case.record_id, {"note": note}).insert(
                conn, "case_contacts",
                {"record_id": case.record_id, "contacted_at": when, "method": method, "made": 1 if made else 0,
                 "regarding": regarding, "by_id": user.id, "recorded_at": self._stamp()},
            )  # fmt: skip
            self._bump(conn, case.record_id)
            self._audit(
                session,
                audit.COLLECTION,
                record_id=case.record_id,
                value_sha256=self._value_hash(note),
                detail={"casework": "contact", "method": method, "made": bool(made), "regarding": regarding},
            )
        return contact_id

    def record_event(
        self, session: Session, record_id: str, policy: CaseworkPolicy, *, kind: str, at: str | dt.datetime
    ) -> int:
        """An arrest, charge or bail (the form's events): the victim must then be told in time."""
        if policy.event(kind) is None:
            raise InvalidInput(
                f"The event {kind!r} is not one of: {', '.join(e.value for e in policy.contact_events)}."
            )
        when = self._when(at, "The event time")
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._case_worker(session, case, "record a case event")
            cursor = conn.execute(
                "INSERT INTO case_events (record_id, kind, at, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?)",
                (case.record_id, kind, when, user.id, self._stamp()),
            )
            self._bump(conn, case.record_id)
            self._audit(
                session,
                audit.COLLECTION,
                record_id=case.record_id,
                detail={"casework": "event", "kind": kind},
            )
        return int(cursor.lastrowid or 0)

    # ------------------------------------------------------------------------- referrals
    def add_referral(
        self,
        session: Session,
        record_id: str,
        policy: CaseworkPolicy,
        *,
        agency: str,
        referred_on: str | dt.date,
        outcome: str,
        note: str = "",
    ) -> int:
        agency = _choice(agency, policy.agencies, "The agency")
        outcome = _choice(outcome, policy.referral_outcomes, "The referral outcome")
        note = _text(note, "The referral note", MAX_NOTE_CHARS, required=False)
        day = _date(referred_on, "The referral date")
        if day > self._now().date():
            raise InvalidInput("The referral date cannot be in the future.")
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._case_worker(session, case, "record a referral")
            referral_id = self._seal_row(conn, session, "case_referrals", case.record_id, {"note": note}).insert(
                conn, "case_referrals",
                {"record_id": case.record_id, "agency": agency, "referred_on": day.isoformat(), "outcome": outcome,
                 "outcome_on": None, "by_id": user.id, "recorded_at": self._stamp()},
            )  # fmt: skip
            self._bump(conn, case.record_id)
            self._audit(
                session,
                audit.COLLECTION,
                record_id=case.record_id,
                value_sha256=self._value_hash(note) if note else None,
                detail={"casework": "referral", "agency": agency, "outcome": outcome},
            )
        return referral_id

    def update_referral(
        self, session: Session, record_id: str, referral_id: int, policy: CaseworkPolicy, *, outcome: str
    ) -> None:
        outcome = _choice(outcome, policy.referral_outcomes, "The referral outcome")
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            self._case_worker(session, case, "record a referral's outcome")
            changed = conn.execute(
                "UPDATE case_referrals SET outcome = ?, outcome_on = ? WHERE id = ? AND record_id = ?",
                (outcome, self._now().date().isoformat(), int(referral_id), case.record_id),
            ).rowcount
            if not changed:
                raise NotFound(f"The case has no referral {referral_id}.")
            self._bump(conn, case.record_id)
            self._audit(
                session,
                audit.ALTERATION,
                record_id=case.record_id,
                detail={"casework": "referral_outcome", "referral": int(referral_id), "outcome": outcome},
            )

    # ------------------------------------------------------------------------- outcome
    def record_outcome(
        self, session: Session, record_id: str, policy: CaseworkPolicy, *, outcome: str
    ) -> None:
        """The case's outcome (charged, NFA ...): its risk reviews end, its MoPI review date is set."""
        outcome = _choice(outcome, policy.outcomes, "The outcome")
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            self._require(session, Role.SUPERVISOR, action="record a case outcome")
            self._bump(
                conn,
                case.record_id,
                "outcome = ?, outcome_at = ?, next_review_due = NULL, next_review_by = NULL, schedule_key = NULL",
                (outcome, self._stamp()),
            )
            self._audit(
                session,
                audit.ALTERATION,
                record_id=case.record_id,
                detail={"casework": "outcome", "outcome": outcome},
            )

    # ------------------------------------------------------------------------- retention
    def retain(self, session: Session, record_id: str, policy: CaseworkPolicy, *, reason: str) -> str:
        """A supervisor decides at the MoPI review to keep the record; the next review is set. Returns it."""
        reason = _text(reason, "A reason to retain the record", MAX_REASON_CHARS)
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._require(session, Role.SUPERVISOR, action="make a retention decision")
            now = self._now()
            next_review = iso(policy.review_again.after(now))
            self._seal_row(conn, session, "retention_reviews", case.record_id, {"reason": reason}).insert(
                conn, "retention_reviews",
                {"record_id": case.record_id, "reviewed_at": iso(now), "reviewer_id": user.id,
                 "decision": "retain", "next_review": next_review},
            )  # fmt: skip
            self._bump(
                conn, case.record_id, "retain_until = ?, retention_due = ?", (next_review, next_review)
            )
            self._audit(
                session,
                audit.ALTERATION,
                record_id=case.record_id,
                justification="MoPI retention review",
                value_sha256=self._value_hash(reason),
                detail={"casework": "retain", "next_review": next_review},
            )
        return next_review

    def dispose(self, session: Session, record_id: str, policy: CaseworkPolicy, *, reason: str) -> Tombstone:
        """Erase a record whose MoPI review is due: its content everywhere this PC holds it, leaving a
        tombstone anchored in the audit chain (an erasure event and a signed checkpoint)."""
        reason = _choice(reason, policy.dispose_reasons, "The disposal reason")
        self.sync_schedule(policy)
        with self._tx() as conn:
            case = self._case_state(conn, record_id)
            user = self._require(session, Role.SUPERVISOR, action="dispose of a record")
            now = self._stamp()
            if case.retention_due is None or case.retention_due > now:
                when = f" (due {case.retention_due[:10]})" if case.retention_due else ""
                raise InvalidTransition(
                    f"This record's MoPI review is not due yet{when}; a record is disposed of only at its review."
                )
            state = self._load(conn, case.record_id)
            _erase(conn, state)
            event_id = self._audit(
                session,
                audit.ERASURE,
                record_id=state.id,
                revision=state.revision,
                justification=f"MoPI disposal: {policy.dispose_reason_label(reason)}",
                detail={"casework": "disposal", "form_id": state.form_id, "urn": state.urn, "reason": reason},
            )
            hash_row = conn.execute("SELECT hash FROM audit_events WHERE id = ?", (event_id,)).fetchone()
            conn.execute(
                "INSERT INTO tombstones (record_id, form_id, urn, created_at, opened_at, disposed_at, disposed_by, "
                "reason, audit_event_id, audit_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (state.id, state.form_id, state.urn, state.created_at, case.opened_at, now, user.id, reason,
                 event_id, str(hash_row[0])),
            )  # fmt: skip
            self._checkpoint(session, "disposal")
        self._saved().pop(state.id, None)
        _truncate_wal(self._conn)
        log.storage.info("record %s disposed of (MoPI) by user id %d", state.id, user.id)
        return Tombstone(
            state.id, state.form_id, state.urn, state.created_at, case.opened_at, now, user.full_name, reason,
            event_id, str(hash_row[0]),
        )  # fmt: skip

    def tombstones(self, session: Session, *, limit: int = 200) -> list[Tombstone]:
        self._require(session, Role.SUPERVISOR, Role.ADMIN, action="see disposed records")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT t.record_id, t.form_id, t.urn, t.created_at, t.opened_at, t.disposed_at, u.full_name, "
                "t.reason, t.audit_event_id, t.audit_hash FROM tombstones t JOIN users u ON u.id = t.disposed_by "
                "ORDER BY t.disposed_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Tombstone(*row) for row in rows]

    # ------------------------------------------------------------------------- reading
    def case_file(
        self, session: Session, record_id: str, policy: CaseworkPolicy, *, log_consultation: bool = True
    ) -> CaseFile:
        """The whole case, its due times from ``policy``; reading it is logged as one consultation."""
        self.sync_schedule(policy)
        with self._read() as conn:
            case = self._case_state(conn, record_id)
            self._case_reader(session, case)
            row = conn.execute(
                f"SELECT {_CASE_COLUMNS} {_CASE_FROM} WHERE c.record_id = ?", (case.record_id,)
            ).fetchone()
            parts = self._case_parts(conn, session, case.record_id)
        name = self.sealed_values(session, [case.record_id]).get(case.record_id, {}).get("victim_name")
        if name is not None:  # sealed (issue 15): opened with the reader's keys
            row = (*row[:3], str(name), *row[4:])
        if log_consultation:
            with self._tx():
                self._audit(session, audit.CONSULTATION, record_id=case.record_id, detail={"what": "case"})
        return CaseFile(*row[:20], *parts)

    def _case_parts(
        self, conn: sqlite3.Connection, session: Session, record_id: str
    ) -> tuple[tuple[Any, ...], ...]:
        """The case's entries, their sealed texts opened with the reader's keys (migration 0021)."""

        def name(user_id: int) -> str:
            row = conn.execute("SELECT full_name FROM users WHERE id = ?", (user_id,)).fetchone()
            return str(row[0]) if row else "unknown user"

        def text(table: str, column: str, row: Any) -> str:
            return self._open_row_text(conn, session, table, column, (row[0], record_id, *row[1:4]))

        assessments = tuple(
            CaseAssessment(
                r[0],
                r[4],
                r[5],
                r[6],
                r[7],
                r[8],
                json.loads(text("case_assessments", "answers_json", r)),
                r[9],
                r[10],
                name(r[11]),
            )
            for r in conn.execute(
                "SELECT id, key_id, sealed_answers, answers_json, kind, risk_revision, previous_grade, grade, "
                "decision_at, sha256, created_at, created_by FROM case_assessments WHERE record_id = ? "
                "ORDER BY risk_revision",
                (record_id,),
            )
        )
        reviews = tuple(
            CaseReview(r[4], r[5], r[6], r[7], name(r[8]), r[9], text("case_reviews", "next_action", r))
            for r in conn.execute(
                "SELECT id, key_id, sealed_next_action, next_action, step, due_at, due_by, reviewed_at, "
                "reviewer_id, outcome FROM case_reviews WHERE record_id = ? ORDER BY step, id",
                (record_id,),
            )
        )
        contacts = tuple(
            CaseContact(r[0], r[4], r[5], bool(r[6]), r[7], text("case_contacts", "note", r), name(r[8]))
            for r in conn.execute(
                "SELECT id, key_id, sealed_note, note, contacted_at, method, made, regarding, by_id "
                "FROM case_contacts WHERE record_id = ? ORDER BY contacted_at, id",
                (record_id,),
            )
        )
        events = tuple(
            CaseEvent(r[0], r[1], r[2], name(r[3]))
            for r in conn.execute(
                "SELECT id, kind, at, recorded_by FROM case_events WHERE record_id = ? ORDER BY at, id",
                (record_id,),
            )
        )
        referrals = tuple(
            CaseReferral(r[0], r[4], r[5], r[6], r[7], text("case_referrals", "note", r), name(r[8]))
            for r in conn.execute(
                "SELECT id, key_id, sealed_note, note, agency, referred_on, outcome, outcome_on, by_id "
                "FROM case_referrals WHERE record_id = ? ORDER BY referred_on, id",
                (record_id,),
            )
        )
        retention = tuple(
            RetentionDecision(r[4], name(r[5]), r[6], text("retention_reviews", "reason", r), r[7])
            for r in conn.execute(
                "SELECT id, key_id, sealed_reason, reason, reviewed_at, reviewer_id, decision, next_review "
                "FROM retention_reviews WHERE record_id = ? ORDER BY id",
                (record_id,),
            )
        )
        return assessments, reviews, contacts, events, referrals, retention

    def review_due_rows(
        self, session: Session, policy: CaseworkPolicy, *, until: dt.datetime, io: str | None = None,
        offset: int = 0, limit: int = 100,
    ) -> list[DueRow]:  # fmt: skip
        """Open cases whose next review is due by ``until``, soonest first (officers: their own cases)."""
        where, params = self._due_scope(session, io)
        self.sync_schedule(policy)
        sql = (
            f"SELECT {_DUE_COLUMNS.format(due='c.next_review_due', by='c.next_review_by')} FROM cases c "  # noqa: S608
            "JOIN records r ON r.id = c.record_id LEFT JOIN users iu ON iu.id = c.io_id "
            f"WHERE c.next_review_due IS NOT NULL AND c.next_review_due <= ?{where} "
            "ORDER BY c.next_review_due, c.record_id LIMIT ? OFFSET ?"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (iso(until), *params, int(limit), int(offset))).fetchall()
        return self._due_rows_named(session, rows)

    def _due_rows_named(self, session: Session, rows: list[Any]) -> list[DueRow]:
        """Due rows with the victims' names opened with the reader's keys (sealed, issue 15)."""
        names = self.sealed_values(session, [str(r[0]) for r in rows])
        return [
            DueRow._make((*r[:2], names.get(str(r[0]), {}).get("victim_name", r[2]), *r[3:])) for r in rows
        ]

    def review_due_counts(
        self,
        session: Session,
        policy: CaseworkPolicy,
        *,
        now: dt.datetime,
        until: dt.datetime,
        io: str | None = None,
        cap: int | None = None,
    ) -> tuple[int, int]:
        """(overdue at ``now``, due by ``until``) in one pass over the index range, soonest first; with
        ``cap`` the pass stops after that many (a list shows "10,000+"; overdue ones come first, so the
        overdue count is exact up to the cap)."""
        where, params = self._due_scope(session, io)
        self.sync_schedule(policy)
        sql = (
            "SELECT count(*) FILTER (WHERE due <= ?), count(*) FROM (SELECT c.next_review_due AS due "  # noqa: S608
            f"FROM cases c WHERE c.next_review_due IS NOT NULL AND c.next_review_due <= ?{where} "
            "ORDER BY c.next_review_due LIMIT ?)"
        )
        with self._read() as conn:
            overdue, due = conn.execute(
                sql, (iso(now), iso(until), *params, -1 if cap is None else cap)
            ).fetchone()
        return int(overdue), int(due)

    def review_due_count(
        self, session: Session, policy: CaseworkPolicy, *, until: dt.datetime, io: str | None = None
    ) -> int:
        where, params = self._due_scope(session, io)
        self.sync_schedule(policy)
        sql = f"SELECT count(*) FROM cases c WHERE c.next_review_due IS NOT NULL AND c.next_review_due <= ?{where}"  # noqa: S608
        with self._read() as conn:
            return int(conn.execute(sql, (iso(until), *params)).fetchone()[0])

    def retention_rows(
        self,
        session: Session,
        policy: CaseworkPolicy,
        *,
        until: dt.datetime,
        offset: int = 0,
        limit: int = 100,
    ) -> list[DueRow]:
        """Records whose MoPI review is due by ``until``, oldest first (supervisors only)."""
        self._require(session, Role.SUPERVISOR, action="see the retention review list")
        self.sync_schedule(policy)
        sql = (
            f"SELECT {_DUE_COLUMNS.format(due='c.retention_due', by='c.outcome')} FROM cases c "  # noqa: S608
            "JOIN records r ON r.id = c.record_id LEFT JOIN users iu ON iu.id = c.io_id "
            "WHERE c.retention_due IS NOT NULL AND c.retention_due <= ? "
            "ORDER BY c.retention_due, c.record_id LIMIT ? OFFSET ?"
        )
        with self._read() as conn:
            rows = conn.execute(sql, (iso(until), int(limit), int(offset))).fetchall()
        return self._due_rows_named(session, rows)

    def retention_count(
        self, session: Session, policy: CaseworkPolicy, *, until: dt.datetime, cap: int | None = None
    ) -> int:
        """How many records' MoPI review is due by ``until`` (with ``cap``: counted up to that many)."""
        self._require(session, Role.SUPERVISOR, action="see the retention review list")
        self.sync_schedule(policy)
        with self._read() as conn:
            return int(
                conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM cases WHERE retention_due IS NOT NULL AND retention_due <= ? "
                    "ORDER BY retention_due LIMIT ?)",
                    (iso(until), -1 if cap is None else cap),
                ).fetchone()[0]
            )

    def _due_scope(self, session: Session, io: str | None) -> tuple[str, tuple[Any, ...]]:
        user = self._current_user(session)
        if user.role is Role.ADMIN:
            raise PermissionDenied("Administrators cannot see casework.")
        if user.role is Role.OFFICER:
            return " AND c.io_id = ?", (user.id,)
        if io:
            with self._read() as conn:
                target = _user_named(conn, io)
            if target is None:
                raise InvalidInput(f"There is no user {io!r} on this PC.")
            return " AND c.io_id = ?", (target.id,)
        return "", ()

    def cases_opened(self, session: Session, first: str, after: str) -> list[str]:
        """Record ids of the cases opened (first submitted) from ``first`` up to ``after`` (stored UTC
        stamps). Supervisors."""
        self._require(session, Role.SUPERVISOR, action="see casework figures")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT record_id FROM cases WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at, record_id",
                (first, after),
            ).fetchall()
        return [str(r[0]) for r in rows]

    def case_facts(
        self, session: Session, record_ids: Sequence[str], policy: CaseworkPolicy
    ) -> dict[str, dict[str, Any]]:
        """For figures (dashboard, Part A): per case the opened time, current grade, contacts (time,
        made), events (kind, time), referral agencies and next review due — no free text. Supervisors."""
        self._require(session, Role.SUPERVISOR, action="see casework figures")
        self.sync_schedule(policy)
        facts: dict[str, dict[str, Any]] = {}
        with self._read() as conn:
            for start in range(0, len(record_ids), 500):
                chunk = [str(r) for r in record_ids[start : start + 500]]
                marks = ", ".join("?" for _ in chunk)
                for row in conn.execute(
                    "SELECT c.record_id, c.opened_at, COALESCE(c.grade, r.grade), c.next_review_due, c.outcome "  # noqa: S608
                    f"FROM cases c JOIN records r ON r.id = c.record_id WHERE c.record_id IN ({marks})",
                    chunk,
                ):
                    facts[row[0]] = {
                        "opened_at": row[1], "grade": row[2], "next_review_due": row[3], "outcome": row[4],
                        "contacts": [], "events": [], "referrals": [],
                    }  # fmt: skip
                for table, columns, key in (
                    ("case_contacts", "contacted_at, made", "contacts"),
                    ("case_events", "kind, at", "events"),
                    ("case_referrals", "agency, outcome", "referrals"),
                ):
                    for row in conn.execute(
                        f"SELECT record_id, {columns} FROM {table} WHERE record_id IN ({marks})",  # noqa: S608 - fixed names
                        chunk,
                    ):
                        if row[0] in facts:
                            facts[row[0]][key].append((row[1], row[2]))
        return facts


# ----------------------------------------------------------------------------------------- module helpers
def _user_named(conn: sqlite3.Connection, username: str) -> User | None:
    sql = f"SELECT {USER_COLUMNS} FROM users WHERE username = ?"  # noqa: S608 - fixed column list
    row = conn.execute(sql, (str(username).strip(),)).fetchone()
    return user_from_row(row) if row else None


def _date(value: str | dt.date, what: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a date like 2026-09-03.") from None


def _due_times(policy: CaseworkPolicy, row: Sequence[Any]) -> tuple[str | None, str | None, str]:
    """(next review due, who reviews, MoPI review due) of a case row
    (record_id, opened_at, reviews_done, grade, outcome, outcome_at, retain_until)."""
    opened = _parse(row[1]) or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    if row[4] is None:
        due = policy.review_due(opened, int(row[2]))
        review, by = iso(due.due), due.by
    else:
        review, by = None, None
    retention = row[6] or iso(policy.retention_due(opened, _parse(row[5]), row[3], row[4]))
    return review, by, retention


CASE_TABLES = (
    "case_assessments",
    "case_reviews",
    "case_events",
    "case_contacts",
    "case_referrals",
    "retention_reviews",
)


def _erase(conn: sqlite3.Connection, state: RecordState) -> None:
    """Delete every row holding the record's content (inside the caller's transaction). The search
    index rows (keyed tokens) go with it; ``secure_delete`` zeroes freed pages."""
    for table in CASE_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE record_id = ?", (state.id,))  # noqa: S608 - fixed names
    conn.execute("DELETE FROM cases WHERE record_id = ?", (state.id,))
    conn.execute("DELETE FROM signed_pdfs WHERE record_id = ?", (state.id,))
    conn.execute("DELETE FROM review_comments WHERE record_id = ?", (state.id,))
    conn.execute("DELETE FROM record_revisions WHERE record_id = ?", (state.id,))
    # sealed records (issue 15): the record's content keys and their wraps go too (crypto-shredding)
    conn.execute("DELETE FROM sealed_keys WHERE kind = 'record' AND record_id = ?", (state.id,))
    conn.execute("DELETE FROM search_tokens WHERE seq = ?", (state.seq,))
    conn.execute("DELETE FROM records WHERE seq = ?", (state.seq,))


def _truncate_wal(conn: sqlite3.Connection) -> None:
    """Fold the WAL (which still holds the erased pages' old images) into the database and empty it.
    Another reader may keep part of it until it closes; the WAL is encrypted either way."""
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except db.Errors as exc:  # pragma: no cover - a busy reader; the next checkpoint folds it
        log.storage.info("WAL not truncated after disposal: %s", exc)
