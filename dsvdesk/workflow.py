"""Submission and approval: the multi-package actions, Qt-free, shared by the CLI and the UI.

submit  = completeness check -> unlock the officer's key -> render the PDF (status Submitted, title the
          record id) -> add both signature fields and XMP metadata -> officer signs -> store.submit
          (stores the signed bytes with the revision)
approve = unlock the supervisor's key -> save grade/rationale into the reviewer questions -> store.approve,
          which allocates the URN and calls back for the approved document: a new PDF whose body is
          true (URN, status Approved, the supervisor's grade, rationale, QA checklist, MARAC decision and
          comments, the approval in the history), with the officer's signed PDF attached unchanged and
          the supervisor's signature over the whole (docs/architecture.md, "The approved document")

The key is unlocked before anything is written, so a wrong password changes nothing. The officer's
signed content never changes: the officer's signature stays over exactly what the officer signed, inside
the approved document, and `dsvdesk verify` checks both.

Reviewer questions are found by tag, never by id: a question tagged `review: grade` takes the grade,
one tagged `review: rationale` the rationale (docs/architecture.md, "Tags with a meaning to code").
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.errors import BadInput, NotReady, UserFacingError
from dsvdesk.store.errors import FindingsBlock

if TYPE_CHECKING:
    from dsvdesk.engine.completeness import Finding
    from dsvdesk.engine.spec import FormSpec, Question
    from dsvdesk.export.pdf import HistoryEntry, RecordComment, RecordMeta, ReviewOutcome
    from dsvdesk.export.signing import DocumentMetadata
    from dsvdesk.store import Store
    from dsvdesk.store.models import HistoryEvent, Record, RecordRef, Session, SigningIdentity, User

REVIEW_TAG = "review"
REVIEW_GRADE = "grade"
REVIEW_RATIONALE = "rationale"
DEFAULT_REVIEW_JUSTIFICATION = "Supervisor review and approval"
# The rationale is shortened to this many characters on the countersignature stamp.
STAMP_RATIONALE_CHARS = 240


class IncompleteRecord(NotReady):
    """Submission refused: the record still has errors. `findings` lists them for "jump to"."""

    title = "Not ready to submit"

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        shown = [f"- {f.message}" for f in self.findings[:10]]
        more = [f"- ... and {len(self.findings) - 10} more"] if len(self.findings) > 10 else []
        super().__init__(
            f"The record cannot be submitted until {len(self.findings)} problem(s) are put right:\n"
            + "\n".join(shown + more)
        )


class ReviewQuestionMissing(BadInput):
    """The form has no question tagged for the supervisor's grade or rationale."""


@dataclass(frozen=True, slots=True)
class SubmitResult:
    ref: RecordRef
    signed_pdf: bytes


@dataclass(frozen=True, slots=True)
class ApproveResult:
    record_id: str
    revision: int
    urn: str
    approved_pdf: bytes


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def display_name(user: User) -> str:
    """'Jane Smith (1234)' — the name used in history blocks, stamps and titles."""
    return f"{user.full_name} ({user.collar})" if user.collar else user.full_name


def _parse_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def history_entries(events: Sequence[HistoryEvent]) -> list[HistoryEntry]:
    from dsvdesk.export.pdf import HistoryEntry

    entries = []
    for event in events:
        actor = event.full_name or event.username or "unknown user"
        note = ""
        reason = event.detail.get("reason") if isinstance(event.detail, Mapping) else None
        if isinstance(reason, str):
            note = reason
        elif (
            event.action == "returned" and isinstance(event.detail, Mapping) and event.detail.get("questions")
        ):
            note = f"{len(event.detail['questions'])} question(s) commented"
        entries.append(HistoryEntry(event.action, actor, _parse_time(event.at), note))
    return entries


def record_comments(record: Record) -> list[RecordComment]:
    from dsvdesk.export.pdf import RecordComment

    return [
        RecordComment(
            author=c.author_name,
            at=_parse_time(c.created_at),
            text=f"(return {c.round}) {c.comment}",
            question_id=c.question_id or None,
        )
        for c in record.comment_history
    ]


def record_meta(
    store: Store,
    session: Session,
    record: Record,
    *,
    status: str,
    now: dt.datetime,
    urn: str | None = None,
    include_reviewer_sections: bool = False,
    review: ReviewOutcome | None = None,
) -> RecordMeta:
    """What the PDF's title block, header, footer and metadata say about the record."""
    from dsvdesk.export.pdf import RecordMeta

    settings = store.get_settings()
    return RecordMeta(
        form_title=record.spec.title,
        form_version=record.spec.version,
        record_id=record.id,
        status=status,
        revision=record.revision,
        document_date=now,
        urn=urn or record.urn,
        supersedes_revision=record.supersedes,
        station=session.user.station or getattr(settings, "station_name", ""),
        officer=record.owner_name,
        include_reviewer_sections=include_reviewer_sections,
        marking=getattr(settings, "marking", None) or None,
        review=review,
    )


def document_metadata(spec: FormSpec, meta: RecordMeta) -> DocumentMetadata:
    """The XMP/Info metadata of a signed document: title URN or record id, author the officer."""
    from dsvdesk.export import record_model
    from dsvdesk.export.signing import DocumentMetadata

    marking = record_model.effective_marking(meta, spec.marking)
    return DocumentMetadata(
        title=record_model.document_title(meta),
        author=meta.officer or "DSVDesk",
        subject=record_model.document_subject(meta, marking),
        keywords=record_model.document_keywords(meta, marking),
        marking=marking,
    )


def render_record(
    store: Store,
    session: Session,
    record: Record,
    *,
    status: str,
    now: dt.datetime,
    extra_history: Sequence[HistoryEntry] = (),
    include_reviewer_sections: bool = False,
) -> bytes:
    """The unsigned PDF of a record as it stands (also used for previews)."""
    from dsvdesk.export.pdf import render_record_pdf

    meta = record_meta(
        store, session, record, status=status, now=now, include_reviewer_sections=include_reviewer_sections
    )
    history = [*history_entries(store.record_history(session, record.id)), *extra_history]
    return render_record_pdf(record.spec, record.answers, meta, history, comments=record_comments(record))


def _unlock(store: Store, session: Session, password: str) -> SigningIdentity:
    """The signed-in user's key; a wrong password raises the store's WrongPassword (nothing changed)."""
    return store.unlock_signing_identity(session, password)


# ------------------------------------------------------------------------------------------ submit
def submit_record(store: Store, session: Session, record_id: str, password: str) -> SubmitResult:
    """Check, render, sign and submit a draft or returned record (its officer only)."""
    from dsvdesk.engine.completeness import evaluate
    from dsvdesk.export.pdf import HistoryEntry
    from dsvdesk.export.signing import OFFICER_FIELD, SUBMIT_REASON, prepare_signature_fields, sign_pdf

    record = store.open_record(session, record_id)
    evaluation = evaluate(record.spec, record.answers, audiences=("author",))
    errors = list(evaluation.errors)
    if errors:
        raise IncompleteRecord(errors)
    identity = _unlock(store, session, password)
    user = session.user
    now = _now()
    submitted = HistoryEntry("submitted", display_name(user), now)
    pdf = render_record(store, session, record, status="submitted", now=now, extra_history=[submitted])
    metadata = document_metadata(
        record.spec, record_meta(store, session, record, status="submitted", now=now)
    )
    station = user.station
    signed = sign_pdf(
        prepare_signature_fields(pdf, fields=(OFFICER_FIELD,), metadata=metadata),
        identity,
        field=OFFICER_FIELD,
        reason=SUBMIT_REASON,
        location=station,
        stamp_lines=[user.full_name, f"Collar number: {user.collar or '-'}", SUBMIT_REASON, station],
        metadata=metadata,
        audit_head=store.audit_head().pair(),
    )
    ref = store.submit(session, record_id, record.version, signed)
    log.sign.info("record %s revision %d signed and submitted", record_id, ref.revision)
    return SubmitResult(ref=ref, signed_pdf=signed)


# ------------------------------------------------------------------------------------------ approve
def review_question(spec: FormSpec, role: str) -> Question | None:
    """The top-level question tagged `review: <role>` (grade or rationale), if the form has one."""
    for _section, _page, question in spec.iter_questions():
        if question.tag_value(REVIEW_TAG) == role:
            return question
    return None


def return_comments(
    spec: FormSpec, answers: Mapping[str, Any], comments: Mapping[str, str]
) -> dict[str, str]:
    """Everything that goes back to the officer with a return, keyed by question id: the supervisor's
    comments beside questions, the general comment (`review: comments`), a regrade with its rationale
    (told beside the officer's grade, `review: officer_grade`) and a MARAC referral still needed (the
    findings of rules on `review: marac_referral`, with the decision `review: marac`), told beside the
    officer's referral question. The form's tags say which questions these are."""
    notes = {qid: str(text).strip() for qid, text in comments.items() if str(text or "").strip()}

    def add(question: Question | None, text: str) -> None:
        if question is None or not text:
            return
        before = notes.get(question.id, "")
        if text not in before:
            notes[question.id] = f"{before}\n{text}" if before else text

    general = review_question(spec, "comments")
    if general is not None and str(answers.get(general.id) or "").strip():
        add(general, str(answers[general.id]).strip())
    add(review_question(spec, "officer_grade"), _regrade_note(spec, answers))
    add(review_question(spec, "marac_referral"), _marac_note(spec, answers))
    return notes


def _regrade_note(spec: FormSpec, answers: Mapping[str, Any]) -> str:
    grade_q, officer_q = review_question(spec, REVIEW_GRADE), review_question(spec, "officer_grade")
    if grade_q is None or officer_q is None:
        return ""
    new, old = answers.get(grade_q.id), answers.get(officer_q.id)
    if not new or new == old:
        return ""
    text = f"Your supervisor regraded this record to {grade_q.choice_label(new)}"
    text += f" (you chose {officer_q.choice_label(old)})." if old else "."
    rationale_q = review_question(spec, REVIEW_RATIONALE)
    reason = str(answers.get(rationale_q.id) or "").strip() if rationale_q is not None else ""
    return f"{text} Reason: {reason}" if reason else text


def _marac_note(spec: FormSpec, answers: Mapping[str, Any]) -> str:
    from dsvdesk.engine.completeness import evaluate

    referral_q, need_q = review_question(spec, "marac_referral"), review_question(spec, "marac_required")
    if referral_q is None or need_q is None:
        return ""
    evaluation = evaluate(spec, dict(answers), audiences=("author", "reviewer"))
    if evaluation.values.get(need_q.id) is not True:
        return ""
    about = {r.id for r in spec.rules if referral_q.id in r.targets}
    found = list(dict.fromkeys(f.message for f in evaluation.findings if f.rule_id in about))
    if not found:
        return ""
    decision_q = review_question(spec, "marac")
    decision = answers.get(decision_q.id) if decision_q is not None else None
    lines = [f"A MARAC referral is needed. {' '.join(found)}"]
    if decision_q is not None and decision:
        lines.append(f"Your supervisor's MARAC decision: {decision_q.choice_label(decision)}.")
    return " ".join(lines)


def _grade_value(question: Question, grade: str) -> str:
    """Accept a choice's value or its label (any case); anything else is a clear error."""
    wanted = grade.strip().casefold()
    for choice in question.choices:
        if wanted in (choice.value.casefold(), choice.label.casefold()):
            return choice.value
    if not question.choices:
        return grade.strip()
    options = ", ".join(c.value for c in question.choices)
    raise UserFacingError(f"'{grade}' is not a grade this form knows. Choose one of: {options}.")


def review_changes(spec: FormSpec, grade: str | None, rationale: str | None) -> dict[str, Any]:
    """The answers to save for a grade and rationale given at approval (empty when neither is)."""
    changes: dict[str, Any] = {}
    if grade is not None and grade.strip():
        question = review_question(spec, REVIEW_GRADE)
        if question is None:
            raise ReviewQuestionMissing(
                f"The form '{spec.title}' has no question tagged 'review: grade', so a grade cannot be "
                "recorded with the approval. Approve without a grade, or ask for the form to be updated."
            )
        changes[question.id] = _grade_value(question, grade)
    if rationale is not None and rationale.strip():
        question = review_question(spec, REVIEW_RATIONALE)
        if question is None:
            raise ReviewQuestionMissing(
                f"The form '{spec.title}' has no question tagged 'review: rationale', so a rationale cannot "
                "be recorded with the approval."
            )
        changes[question.id] = rationale.strip()
    return changes


def _review_stamp_lines(spec: FormSpec, answers: Mapping[str, Any], user: User, urn: str) -> list[str]:
    from dsvdesk.export.signing import APPROVE_REASON, shorten

    lines = [user.full_name, f"Collar number: {user.collar or '-'}", APPROVE_REASON, f"URN: {urn}"]
    grade_q = review_question(spec, REVIEW_GRADE)
    if grade_q is not None and answers.get(grade_q.id):
        lines.append(f"Grade: {grade_q.choice_label(answers[grade_q.id])}")
    rationale_q = review_question(spec, REVIEW_RATIONALE)
    if (
        rationale_q is not None
        and isinstance(answers.get(rationale_q.id), str)
        and answers[rationale_q.id].strip()
    ):
        lines.append("Rationale: " + shorten(answers[rationale_q.id], STAMP_RATIONALE_CHARS))
    return lines


def approve_record(
    store: Store,
    session: Session,
    record_id: str,
    password: str,
    *,
    grade: str | None = None,
    rationale: str | None = None,
    justification: str = DEFAULT_REVIEW_JUSTIFICATION,
) -> ApproveResult:
    """Approve a submitted record (another officer's; supervisors only): the approved document, signed."""
    import hashlib

    from dsvdesk.export.pdf import HistoryEntry, ReviewOutcome, render_record_pdf
    from dsvdesk.export.signing import (
        APPROVE_REASON,
        OFFICER_ATTACHMENT,
        SUPERVISOR_FIELD,
        prepare_approval_document,
        sign_pdf,
    )

    record = store.open_record(session, record_id, justification=justification)
    changes = review_changes(record.spec, grade, rationale)
    identity = _unlock(store, session, password)
    officer_pdf = store.signed_pdf(session, record_id, record.revision, justification=justification)
    if officer_pdf is None:
        raise UserFacingError(
            "This record has no signed report from its officer, so it cannot be approved. "
            "Return it to the officer to submit again."
        )
    version = record.version
    if changes:
        # Check the regrade before saving it: a grade below the rule floor is refused with nothing
        # written, whichever caller (CLI, app, script) asked for it.
        from dsvdesk.reporting.review_queue import approval_problems

        problems = approval_problems(record.spec, record.answers, changes)
        if problems:
            listed = "; ".join(f.message for f in problems)
            raise FindingsBlock(f"The record cannot be approved as it stands: {listed}", problems)
        version = store.save_answers(session, record_id, changes, version)
    answers = {**record.answers, **changes}
    user = session.user
    # Everything read from the store is read now: the callback runs inside the approval transaction.
    history = history_entries(store.record_history(session, record.id))
    comments = record_comments(record)
    now = _now()
    review = ReviewOutcome(
        supervisor=display_name(user),
        approved_at=now,
        officer_signed_file=OFFICER_ATTACHMENT,
        officer_signed_sha256=hashlib.sha256(officer_pdf).hexdigest(),
    )
    approved: dict[str, bytes] = {}
    head = store.audit_head().pair()

    base_meta = record_meta(
        store, session, record, status="approved", now=now, include_reviewer_sections=True, review=review
    )

    def approve_document(urn: str) -> bytes:
        meta = dataclasses.replace(base_meta, urn=urn)
        entry = HistoryEntry("approved", display_name(user), now, f"URN {urn}")
        pdf = render_record_pdf(record.spec, answers, meta, [*history, entry], comments=comments)
        metadata = document_metadata(record.spec, meta)
        prepared = prepare_approval_document(pdf, officer_pdf, metadata)
        approved["pdf"] = sign_pdf(
            prepared,
            identity,
            field=SUPERVISOR_FIELD,
            reason=APPROVE_REASON,
            location=user.station,
            stamp_lines=_review_stamp_lines(record.spec, answers, user, urn),
            metadata=metadata,
            audit_head=head,
        )
        return approved["pdf"]

    urn = store.approve(session, record_id, version, approve_document)
    log.sign.info("record %s revision %d approved and signed", record_id, record.revision)
    return ApproveResult(record_id=record_id, revision=record.revision, urn=urn, approved_pdf=approved["pdf"])
