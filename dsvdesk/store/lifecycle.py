"""The record lifecycle, enforced here whatever the caller:

    draft -> submitted -> returned (a draft again for its officer, round counted) -> submitted ... -> approved

then an approved record changes only by ``amend`` (a new revision as a draft; the approved revision and
its signed PDF are kept). ``exported`` is a disclosure event, not a state.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence

from dsvdesk import log
from dsvdesk.store import audit
from dsvdesk.store.casework import OPEN_CASE_SQL, RESCHEDULE_SQL
from dsvdesk.store.errors import FindingsBlock, InvalidInput, InvalidTransition, PermissionDenied
from dsvdesk.store.models import EDITABLE_STATUSES, RecordRef, Role, Session, Status, User
from dsvdesk.store.records import RecordOps, RecordState
from dsvdesk.store.sealed import comment_part, pdf_part
from dsvdesk.store.settings import format_urn

MAX_COMMENT_CHARS = 10_000
MAX_REASON_CHARS = 2_000


def _check_pdf(data: bytes, what: str) -> bytes:
    if not isinstance(data, bytes | bytearray) or not bytes(data[:5]) == b"%PDF-":
        raise InvalidInput(
            f"The {what} is not a PDF, so nothing was stored. This is a DSVDesk fault; please report it."
        )
    return bytes(data)


def _text(value: str | None, what: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidInput(f"{what} is needed.")
    if len(text) > limit:
        raise InvalidInput(f"{what} is too long (at most {limit:,} characters).")
    return text


class LifecycleOps(RecordOps):
    def _findings_block(self, state: RecordState, audiences: tuple[str, ...], doing: str) -> None:
        from dsvdesk.engine.completeness import evaluate

        evaluation = evaluate(self.spec_for_hash(state.definition_hash), state.answers, audiences=audiences)
        errors = list(evaluation.errors)
        if errors:
            first = "; ".join(str(getattr(f, "message", f)) for f in errors[:3])
            more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
            raise FindingsBlock(f"The record cannot be {doing} yet: {first}{more}.", errors)

    def _store_pdf(
        self,
        conn: sqlite3.Connection,
        session: Session,
        state: RecordState,
        *,
        kind: str,
        pdf: bytes,
        user: User,
    ) -> str:
        """Keep a signed PDF sealed under the record's key; the audit heads it carries stay readable
        (``audit verify`` checks them without opening any record)."""
        from dsvdesk.store import anchor

        digest = hashlib.sha256(pdf).hexdigest()
        seal = self._seal_of(conn, session, state)
        heads = [[h.seq, h.hash] for h in anchor.heads_in_pdf(pdf)]
        conn.execute(
            "INSERT INTO signed_pdfs (record_id, revision, kind, pdf, sha256, created_at, created_by, key_id, "
            "audit_heads) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                state.id,
                state.revision,
                kind,
                seal.seal_part(pdf, pdf_part(kind)),
                digest,
                self._stamp(),
                user.id,
                seal.key_id,
                json.dumps(heads),
            ),
        )
        return digest

    def _reviewer(self, session: Session, state: RecordState, action: str) -> User:
        user = self._require(session, Role.SUPERVISOR, action=action)
        if state.is_own(user):
            raise PermissionDenied(
                f"You cannot {action.split(' ', 1)[0]} your own record; another supervisor must."
            )
        return user

    # ----------------------------------------------------------------------------------- submit
    def submit(self, session: Session, record_id: str, expected_version: int, signed_pdf: bytes) -> RecordRef:
        """The owner submits a draft (or a returned record) with the PDF they signed."""
        pdf = _check_pdf(signed_pdf, "signed report")
        with self._tx() as conn:
            state = self._load(conn, record_id, session)
            user = self._current_user(session)
            if user.role is Role.ADMIN or user.id != state.editor_id:
                raise PermissionDenied("Only the officer who wrote this record can submit it.")
            self._check_version(state, expected_version)
            if state.status not in EDITABLE_STATUSES:
                raise InvalidTransition(
                    f"This record is already {state.status.value}; it cannot be submitted again."
                )
            self._findings_block(state, ("author",), "submitted")
            digest = self._store_pdf(conn, session, state, kind="submitted", pdf=pdf, user=user)
            now = self._stamp()
            conn.execute(
                "UPDATE records SET status = 'submitted', submitted_at = ?, ever_submitted = 1, version = version + 1, "
                "updated_at = ? WHERE seq = ?",
                (now, now, state.seq),
            )
            conn.execute(OPEN_CASE_SQL, (state.id, now))
            self._audit(
                session,
                audit.SUBMITTED,
                record_id=state.id,
                revision=state.revision,
                value_sha256=digest,
                detail={"round": state.return_rounds + 1},
            )
            self._checkpoint(session, "submitted")
        log.storage.info("record %s revision %d submitted", state.id, state.revision)
        return RecordRef(state.id, state.revision, state.version + 1, Status.SUBMITTED)

    # ----------------------------------------------------------------------------------- return
    def return_record(
        self, session: Session, record_id: str, comments: Mapping[str, str], expected_version: int
    ) -> RecordRef:
        """A supervisor sends a submitted record back to its officer with comments keyed by question id."""
        with self._tx() as conn:
            state = self._load(conn, record_id, session)
            user = self._reviewer(session, state, "return this record")
            self._check_version(state, expected_version)
            if state.status is not Status.SUBMITTED:
                raise InvalidTransition(
                    f"Only a submitted record can be returned; this one is {state.status.value}."
                )
            spec = self.spec_for_hash(state.definition_hash)
            known = {q.id for _s, _p, q in spec.iter_questions()}
            cleaned: dict[str, str] = {}
            for question_id, text in dict(comments or {}).items():
                if not str(text or "").strip():
                    continue
                if question_id not in known:
                    raise InvalidInput(
                        f"The form has no question {question_id!r} to attach a comment to. Check the question id."
                    )
                cleaned[question_id] = _text(text, f"The comment on {question_id}", MAX_COMMENT_CHARS)
            if not cleaned:
                raise InvalidInput("A returned record needs at least one comment saying what to change.")
            round_number = state.return_rounds + 1
            now = self._stamp()
            seal = self._seal_of(conn, session, state)
            conn.executemany(
                "INSERT INTO review_comments (record_id, revision, round, question_id, comment, author_id, created_at, "
                "key_id, sealed_comment) VALUES (?, ?, ?, ?, '', ?, ?, ?, ?)",
                [
                    (
                        state.id,
                        state.revision,
                        round_number,
                        q,
                        user.id,
                        now,
                        seal.key_id,
                        seal.seal_part(c.encode("utf-8"), comment_part(round_number, q)),
                    )
                    for q, c in cleaned.items()
                ],
            )
            conn.execute(
                "UPDATE records SET status = 'returned', return_rounds = ?, version = version + 1, updated_at = ? "
                "WHERE seq = ?",
                (round_number, now, state.seq),
            )
            self._audit(
                session,
                audit.RETURNED,
                record_id=state.id,
                revision=state.revision,
                value_sha256=self._value_hash(cleaned),
                detail={"round": round_number, "questions": sorted(cleaned)},
            )
        return RecordRef(state.id, state.revision, state.version + 1, Status.RETURNED)

    # ----------------------------------------------------------------------------------- approve
    def approve(
        self, session: Session, record_id: str, expected_version: int, countersign: Callable[[str], bytes]
    ) -> str:
        """Approve in ONE write transaction: allocate the URN (unique, gap-free), call ``countersign(urn)``
        for the countersigned PDF, store it and mark the record approved. If anything fails — including
        countersign — everything rolls back and the URN number is not used. Returns the URN.

        An amended record keeps the URN its first approval gave it."""
        with self._tx() as conn:
            state = self._load(conn, record_id, session)
            user = self._reviewer(session, state, "approve this record")
            self._check_version(state, expected_version)
            if state.status is not Status.SUBMITTED:
                raise InvalidTransition(
                    f"Only a submitted record can be approved; this one is {state.status.value}."
                )
            self._findings_block(state, ("author", "reviewer"), "approved")
            urn = state.urn or self._allocate_urn(conn)
            pdf = _check_pdf(countersign(urn), "countersigned report")
            digest = self._store_pdf(conn, session, state, kind="approved", pdf=pdf, user=user)
            now = self._stamp()
            conn.execute(
                "UPDATE records SET status = 'approved', approved_at = ?, approved_by = ?, urn = ?, "
                "version = version + 1, updated_at = ? WHERE seq = ?",
                (now, user.id, urn, now, state.seq),
            )
            self._write_search(conn, state.seq, session)
            conn.execute(RESCHEDULE_SQL, (state.id,))
            self._audit(
                session,
                audit.APPROVED,
                record_id=state.id,
                revision=state.revision,
                value_sha256=digest,
                detail={"urn": urn},
            )
            self._checkpoint(session, "approved")
        log.storage.info("record %s revision %d approved as %s", state.id, state.revision, urn)
        return urn

    def next_urn(
        self, session: Session, *, urn_format: str | None = None, station_code: str | None = None
    ) -> str:
        """The reference the next approval would be given now, as ``_allocate_urn`` works it out (this
        year's counter + 1, skipping references already used), without taking it. ``urn_format`` and
        ``station_code`` preview settings not saved yet (the admin screen). Admins and supervisors."""
        self._require(session, Role.ADMIN, Role.SUPERVISOR, action="see the next reference")
        settings = self._settings()
        if urn_format is not None:
            settings = dataclasses.replace(settings, urn_format=urn_format)
        if station_code is not None:
            settings = dataclasses.replace(settings, station_code=station_code)
        year = self._now().year
        with self._read() as conn:
            row = conn.execute("SELECT last FROM urn_counters WHERE year = ?", (year,)).fetchone()
            seq = (int(row[0]) if row is not None else 0) + 1
            while True:
                urn = format_urn(settings, year, seq)
                if conn.execute("SELECT 1 FROM records WHERE urn = ?", (urn,)).fetchone() is None:
                    return urn
                seq += 1

    def _allocate_urn(self, conn: sqlite3.Connection) -> str:
        settings = self._settings()
        year = self._now().year
        while True:
            seq = int(
                conn.execute(
                    "INSERT INTO urn_counters (year, last) VALUES (?, 1) "
                    "ON CONFLICT (year) DO UPDATE SET last = last + 1 RETURNING last",
                    (year,),
                ).fetchone()[0]
            )
            urn = format_urn(settings, year, seq)
            # a changed format could repeat an earlier reference: skip to the next number rather than collide
            if conn.execute("SELECT 1 FROM records WHERE urn = ?", (urn,)).fetchone() is None:
                return urn

    # ----------------------------------------------------------------------------------- amend
    def amend(self, session: Session, record_id: str, reason: str) -> RecordRef:
        """Start a new revision of an approved record as a draft (owner officer or any supervisor).
        The approved revision and its signed PDF stay as they were."""
        reason = _text(reason, "A reason for the amendment", MAX_REASON_CHARS)
        with self._tx() as conn:
            state = self._load(conn, record_id, session)
            user = self._current_user(session)
            if user.role is Role.ADMIN or (user.role is Role.OFFICER and not state.is_own(user)):
                raise PermissionDenied("Only the record's officer or a supervisor can amend it.")
            if state.status is not Status.APPROVED:
                raise InvalidTransition(
                    f"Only an approved record is amended; this one is {state.status.value}, so it can be "
                    "changed directly while it is a draft or returned."
                )
            now = self._stamp()
            old_seal = self._seal_of(conn, session, state)
            answers = state.answers
            conn.execute(
                "INSERT INTO record_revisions (record_id, revision, definition_hash, status, editor_id, supersedes, "
                "amend_reason, created_at, updated_at, submitted_at, approved_at, approved_by, return_rounds, urn, "
                "completeness, answers_json, archived_at, key_id, sealed_answers) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?)",
                (
                    state.id,
                    state.revision,
                    state.definition_hash,
                    state.status.value,
                    state.editor_id,
                    state.supersedes,
                    state.amend_reason,
                    state.created_at,
                    state.updated_at,
                    state.submitted_at,
                    state.approved_at,
                    state.approved_by,
                    state.return_rounds,
                    state.urn,
                    state.completeness,
                    now,
                    old_seal.key_id,
                    state.sealed_answers,
                ),
            )
            new_revision = state.revision + 1
            # a new content key for the new revision; the archived revision keeps its own (key history)
            new_key = self._new_record_key(conn, session, state.id, state.owner_id)
            new_seal = self._record_seal(
                conn,
                session,
                record_id=state.id,
                revision=new_revision,
                key_id=new_key,
                owner_id=state.owner_id,
            )
            row = conn.execute("SELECT sealed_columns FROM records WHERE seq = ?", (state.seq,)).fetchone()
            sealed_columns = (
                self._sealed_columns_of(
                    conn,
                    session,
                    key_id=old_seal.key_id,
                    record_id=state.id,
                    revision=state.revision,
                    blob=row[0],
                )
                or {}
            )
            conn.execute(
                "UPDATE records SET key_id = ?, sealed_answers = ?, sealed_columns = ? WHERE seq = ?",
                (
                    new_key,
                    new_seal.seal_answers(json.dumps(answers, ensure_ascii=False)),
                    new_seal.seal_columns(sealed_columns),
                    state.seq,
                ),
            )
            conn.execute(
                "UPDATE records SET revision = ?, status = 'draft', version = version + 1, supersedes = ?, "
                "amend_reason = ?, editor_id = ?, submitted_at = NULL, approved_at = NULL, approved_by = NULL, "
                "return_rounds = 0, updated_at = ? WHERE seq = ?",
                (new_revision, state.revision, reason, user.id, now, state.seq),
            )
            self._audit(
                session,
                audit.AMENDED,
                record_id=state.id,
                revision=new_revision,
                value_sha256=self._value_hash(reason),
                detail={"supersedes": state.revision},
            )
        return RecordRef(state.id, new_revision, state.version + 1, Status.DRAFT)

    # ----------------------------------------------------------------------------------- erase
    def delete_draft(self, session: Session, record_id: str) -> None:
        """Erase a never-submitted draft (its owner only); logged as an erasure."""
        with self._tx() as conn:
            state = self._load(conn, record_id)
            user = self._current_user(session)
            if user.role is Role.ADMIN or user.id != state.owner_id or user.id != state.editor_id:
                raise PermissionDenied("Only the officer who started this draft can delete it.")
            if state.ever_submitted or state.revision != 1 or state.status is not Status.DRAFT:
                raise InvalidTransition(
                    "Only a draft that was never submitted can be deleted; submitted records are kept."
                )
            conn.execute("DELETE FROM search_tokens WHERE seq = ?", (state.seq,))
            conn.execute("DELETE FROM records WHERE seq = ?", (state.seq,))
            conn.execute("DELETE FROM sealed_keys WHERE record_id = ?", (state.id,))  # and their wraps
            self._audit(
                session,
                audit.ERASURE,
                record_id=state.id,
                revision=state.revision,
                detail={"form_id": state.form_id},
            )
        log.storage.info("draft %s erased by user id %d", state.id, user.id)

    # ----------------------------------------------------------------------------------- disclosure
    def record_disclosure(
        self, session: Session, record_id: str, recipient: str, justification: str, what: str
    ) -> None:
        """Log that a record left DSVDesk (export, print, pack) with its recipient and reason."""
        recipient = _text(recipient, "The recipient", 500)
        justification = _text(justification, "A reason for the disclosure", MAX_REASON_CHARS)
        what = _text(what, "What was disclosed", 200)
        with self._tx() as conn:
            state = self._load(conn, record_id)
            user = self._current_user(session)
            if user.role is Role.ADMIN:
                raise PermissionDenied("Administrators cannot disclose record content.")
            if not state.is_own(user) and user.role is not Role.SUPERVISOR:
                raise PermissionDenied("Officers can disclose only their own records.")
            self._audit(
                session,
                audit.DISCLOSURE,
                record_id=state.id,
                revision=state.revision,
                recipient=recipient,
                justification=justification,
                detail={"what": what},
            )
            self._checkpoint(session, "disclosure")

    def record_combination(self, session: Session, record_ids: Sequence[str], reason: str) -> None:
        """Log that records were linked (e.g. the same victim found in earlier records)."""
        self._require(session, Role.OFFICER, Role.SUPERVISOR, action="link records")
        reason = _text(reason, "A reason for linking the records", MAX_REASON_CHARS)
        ids = list(dict.fromkeys(str(r) for r in record_ids))
        if len(ids) < 2:
            raise InvalidInput("Linking needs at least two different records.")
        with self._tx() as conn:
            for record_id in ids:
                self._load(conn, record_id)  # each must exist
            for record_id in ids:
                self._audit(
                    session,
                    audit.COMBINATION,
                    record_id=record_id,
                    justification=reason,
                    detail={"linked": [r for r in ids if r != record_id]},
                )
