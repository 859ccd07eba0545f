"""Casework above the store (issue 19), Qt-free: signing a re-assessment, and the figures the dashboard
and the Board report quote (risk reviews overdue, Victims' Code contact, required referrals).

``sign_assessment`` = check the entry against its part of the casework form -> unlock the user's key
-> render the entry as its own PDF (the URN, the risk revision, the grade before and after) -> sign it
-> ``store.add_assessment``. The officer's signed 124D is never touched: a re-assessment is a new
revision of the risk part with its own signature.

``casework_figures`` is pure: it takes the facts ``store.case_facts`` reads (times, grades, contact
times, event times, referral agencies — no free text) and the casework policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.casework import BAIL, REASSESSMENT, TAG, CaseworkPolicy, Contact, Event, vcop_status
from dsvdesk.errors import BadInput, NotReady
from dsvdesk.reporting.dashboard import Figure

if TYPE_CHECKING:
    from dsvdesk.engine.completeness import Finding
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.reporting import parta
    from dsvdesk.store import Session, Store
    from dsvdesk.store.casework import CaseAssessment, CaseFile, CaseReferral

DATE_LENGTH = len("2026-09-03")  # a stored date without a time (a referral's day)

SIGN_REASONS = {
    REASSESSMENT: "Risk re-assessment (part 2) by the investigating officer",
    BAIL: "Bail risk re-assessment before the custody decision",
}


class IncompleteEntry(NotReady):
    """The re-assessment still has errors; nothing was signed."""

    title = "Not ready to sign"

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = tuple(findings)
        shown = "\n".join(f"- {f.message}" for f in self.findings[:10])
        super().__init__(
            f"The re-assessment cannot be signed until {len(self.findings)} problem(s) are put right:\n{shown}"
        )


@dataclass(frozen=True, slots=True)
class AssessmentResult:
    record_id: str
    risk_revision: int
    grade: str
    previous_grade: str | None
    signed_pdf: bytes


def _utc(text: Any, what: str) -> str:
    """A datetime answer (the PC's local time, ``YYYY-MM-DDTHH:MM``) as a stored UTC stamp."""
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise BadInput(f"{what} {text!r} is not a date and time like 2026-09-03T14:30.") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def sign_assessment(
    store: Store,
    session: Session,
    record_id: str,
    policy: CaseworkPolicy,
    *,
    kind: str,
    answers: Mapping[str, Any],
    password: str,
    now: dt.datetime | None = None,
) -> AssessmentResult:
    """Check, render, sign and store a re-assessment (``kind`` part2 or bail) of a case."""
    from dsvdesk.engine.completeness import evaluate, visible_answers
    from dsvdesk.export import record_model
    from dsvdesk.export.pdf import HistoryEntry, RecordMeta, render_record_pdf
    from dsvdesk.export.signing import OFFICER_FIELD, DocumentMetadata, prepare_signature_fields, sign_pdf

    if kind not in SIGN_REASONS:
        raise BadInput(f"A re-assessment is one of: {', '.join(SIGN_REASONS)}.")
    entry = policy.entry_spec(kind)
    evaluation = evaluate(entry, dict(answers))
    if evaluation.errors:
        raise IncompleteEntry(evaluation.errors)
    kept = visible_answers(entry, dict(answers))
    grade_question = policy.entry_question(kind, "grade")
    grade = str(kept.get(grade_question.id, "")) if grade_question else ""
    decision_question = policy.entry_question(kind, "decision_at")
    decision_at = (
        _utc(kept[decision_question.id], decision_question.label)
        if kind == BAIL and decision_question is not None and kept.get(decision_question.id)
        else None
    )
    case = store.case_file(session, record_id, policy, log_consultation=False)
    identity = store.unlock_signing_identity(session, password)  # a wrong password changes nothing
    user = session.user
    moment = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    revision = case.risk_revision + 1
    settings = store.get_settings()
    who = f"{user.full_name} ({user.collar})" if user.collar else user.full_name
    meta = RecordMeta(
        form_title=entry.title,
        form_version=policy.spec.version,
        record_id=case.record_id,
        status="signed",
        revision=revision,
        document_date=moment,
        urn=case.urn,
        station=user.station or settings.station_name,
        officer=who,
        marking=settings.marking or None,
        keywords=(f"Risk revision {revision}", f"Grade {case.grade or '-'} to {grade}"),
    )
    note = f"grade {case.grade or 'not recorded'} → {grade}"
    history = [HistoryEntry("re-assessed" if kind == REASSESSMENT else "bail re-assessed", who, moment, note)]
    pdf = render_record_pdf(entry, kept, meta, history)
    marking = record_model.effective_marking(meta, entry.marking)
    metadata = DocumentMetadata(
        title=record_model.document_title(meta),
        author=who,
        subject=record_model.document_subject(meta, marking),
        keywords=record_model.document_keywords(meta, marking),
        marking=marking,
    )
    signed = sign_pdf(
        prepare_signature_fields(pdf, fields=(OFFICER_FIELD,), metadata=metadata),
        identity,
        field=OFFICER_FIELD,
        reason=SIGN_REASONS[kind],
        location=meta.station,
        stamp_lines=[
            user.full_name,
            f"Collar number: {user.collar or '-'}",
            SIGN_REASONS[kind],
            f"Risk revision {revision}",
        ],
        metadata=metadata,
        audit_head=store.audit_head().pair(),
    )
    store.add_assessment(
        session,
        case.record_id,
        kind=kind,
        risk_revision=revision,
        spec=policy.spec,
        answers=kept,
        grade=grade,
        decision_at=decision_at,
        signed_pdf=signed,
    )
    return AssessmentResult(case.record_id, revision, grade, case.grade, signed)


# ------------------------------------------------------------------------------------------ figures
def _parse(text: Any) -> dt.datetime | None:
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class CaseFlags:
    """What stands out about one case at a moment (the case screen and lists show these)."""

    review_overdue: bool
    first_contact_late: bool
    events_without_contact: int
    referrals_missing: tuple[str, ...]  # agencies the policy requires for the grade and no referral made
    bail_late: int = 0  # bail re-assessments made after the custody decision time
    missing_labels: tuple[str, ...] = ()  # the agencies of referrals_missing as the form names them

    @property
    def words(self) -> tuple[str, ...]:
        out = []
        if self.review_overdue:
            out.append("review overdue")
        if self.first_contact_late:
            out.append("first contact late")
        if self.events_without_contact:
            out.append("event without contact")
        out += [f"no {a} referral" for a in (self.missing_labels or self.referrals_missing)]
        if self.bail_late:
            out.append("bail re-assessment after the custody decision")
        return tuple(out)


def case_flags(policy: CaseworkPolicy, fact: Mapping[str, Any], now: dt.datetime) -> CaseFlags:
    """Flags of one case from ``store.case_facts`` (or the same keys from a case file)."""
    opened = _parse(fact.get("opened_at")) or now
    status = vcop_status(
        policy,
        opened,
        [Contact(at, bool(made)) for at_text, made in fact.get("contacts", ()) if (at := _parse(at_text))],
        [Event(str(kind), at) for kind, at_text in fact.get("events", ()) if (at := _parse(at_text))],
        now,
    )
    due = _parse(fact.get("next_review_due"))
    referred = {agency for agency, _outcome in fact.get("referrals", ())}
    missing = tuple(a for a in policy.referrals_required(fact.get("grade")) if a not in referred)
    return CaseFlags(
        review_overdue=due is not None and due < now,
        first_contact_late=status.first_late,
        events_without_contact=len(status.events_without_contact),
        referrals_missing=missing,
        missing_labels=tuple(policy.agency_label(a).split(" (")[0] for a in missing),
        bail_late=sum(1 for made, due in fact.get("bail", ()) if due and made > due),
    )


def casework_figures(
    policy: CaseworkPolicy, facts: Mapping[str, Mapping[str, Any]], now: dt.datetime
) -> list[Figure]:
    """Pure: the casework figures of a set of cases (keys ``reviews.*``, ``vcop.*``, ``referral.<agency>.*``),
    each with the records behind it."""
    overdue: list[str] = []
    soon: list[str] = []
    first_in_time: list[str] = []
    first_late: list[str] = []
    first_pending: list[str] = []
    event_missed: list[str] = []
    compliant: list[str] = []
    judged: list[str] = []
    required: dict[str, list[str]] = {r.agency: [] for r in policy.required_referrals}
    made: dict[str, list[str]] = {r.agency: [] for r in policy.required_referrals}
    horizon = policy.due_soon.after(now)
    for record_id, fact in sorted(facts.items()):
        opened = _parse(fact.get("opened_at")) or now
        due = _parse(fact.get("next_review_due"))
        if due is not None and due < now:
            overdue.append(record_id)
        elif due is not None and due <= horizon:
            soon.append(record_id)
        status = vcop_status(
            policy,
            opened,
            [Contact(at, bool(m)) for at_text, m in fact.get("contacts", ()) if (at := _parse(at_text))],
            [Event(str(k), at) for k, at_text in fact.get("events", ()) if (at := _parse(at_text))],
            now,
        )
        {"in_time": first_in_time, "pending": first_pending}.get(status.first_state, first_late).append(
            record_id
        )
        if status.events_without_contact:
            event_missed.append(record_id)
        if status.first_state != "pending":
            judged.append(record_id)
            if status.compliant:
                compliant.append(record_id)
        referred = {agency for agency, _outcome in fact.get("referrals", ())}
        for agency in policy.referrals_required(fact.get("grade")):
            required[agency].append(record_id)
            if agency in referred:
                made[agency].append(record_id)

    def fig(group: str, key: str, label: str, ids: list[str]) -> Figure:
        return Figure(group, key, label, len(ids), tuple(ids))

    first_label = policy.first_contact_within.text
    figures = [
        fig("reviews", "reviews.overdue", "Risk reviews overdue", overdue),
        fig("reviews", "reviews.due_soon", f"Risk reviews due within {policy.due_soon.text}", soon),
        fig("vcop", "vcop.first_in_time", f"Victim first contacted within {first_label}", first_in_time),
        fig("vcop", "vcop.first_late", f"First contact late or missing (after {first_label})", first_late),
        fig("vcop", "vcop.first_pending", "First contact not yet due", first_pending),
        fig("vcop", "vcop.event_without_contact", "Arrest/charge/bail without contact in time", event_missed),
        Figure(
            "vcop",
            "vcop.compliance_rate",
            "Victims' Code compliance (cases with every contact in time)",
            None if not judged else 100.0 * len(compliant) / len(judged),
            tuple(compliant),
            "%",
        ),
    ]
    for rule in policy.required_referrals:
        agency = rule.agency
        label = policy.agency_label(agency).split(" (")[0]
        missing = [i for i in required[agency] if i not in set(made[agency])]
        figures += [
            fig("referrals", f"referral.{agency}.required", f"{label} referral required", required[agency]),
            fig("referrals", f"referral.{agency}.made", f"{label} referral made", made[agency]),
            fig(
                "referrals", f"referral.{agency}.missing", f"{label} referral required but not made", missing
            ),
        ]
    return figures


def figures_for_records(
    store: Store, session: Session, policy: CaseworkPolicy, record_ids: Sequence[str], now: dt.datetime
) -> list[Figure]:
    """The casework figures of the cases of ``record_ids`` (records never submitted have no case)."""
    return casework_figures(policy, store.case_facts(session, record_ids, policy), now)


PART_A_GROUP = "Victims' Code and referrals (casework)"
PART_A_SOURCE = "DSVDesk casework (cases opened in the period)"
PART_A_KEYS = ("vcop.", "referral.", "reviews.overdue")


def part_a_figures(
    store: Store,
    session: Session,
    policy: CaseworkPolicy,
    period: parta.Period,
    *,
    now: dt.datetime | None = None,
) -> list[parta.Figure]:
    """The casework figures of the cases opened (first submitted) in the Part A period, as Part A
    figures: the Board report's B4 Victims' Code answer can quote ``{{partA.vcop.compliance_rate}}``,
    ``{{partA.vcop.first_late}}``, ``{{partA.referral.idva.missing}}`` ..."""
    from dsvdesk.reporting.parta import Figure as PartAFigure

    first = dt.datetime.combine(period.start, dt.time.min).astimezone()
    after = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min).astimezone()
    ids = store.cases_opened(
        session,
        first.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        after.astimezone(dt.UTC).isoformat(timespec="microseconds"),
    )
    moment = now or store.now()
    figures = [
        f for f in figures_for_records(store, session, policy, ids, moment) if f.key.startswith(PART_A_KEYS)
    ]
    definition = (
        f"Of the {len(ids)} case(s) first submitted in the period, as at {moment:%d/%m/%Y %H:%M} UTC. First contact: "
        f"made or attempted within {policy.first_contact_within.text} of the first submission."
    )
    out = [
        PartAFigure(
            PART_A_GROUP, "vcop.cases", "Cases opened in the period", str(len(ids)), source=PART_A_SOURCE
        )
    ]
    out += [
        PartAFigure(PART_A_GROUP, f.key, f.label, f.text, source=PART_A_SOURCE, definition=definition)
        for f in figures
    ]
    return out


# ------------------------------------------------------------------------------------------ text
GradeLabel = Callable[[str | None], str]


def local_time(text: str | None, blank: str = "-") -> str:
    """A stored UTC stamp in the PC's local time, dd/mm/yyyy HH:MM (a bare date: dd/mm/yyyy)."""
    if not text:
        return blank
    try:
        if len(text) == DATE_LENGTH:
            return dt.date.fromisoformat(text).strftime("%d/%m/%Y")
        return dt.datetime.fromisoformat(text).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return text


def grade_labeller(specs: Iterable[FormSpec], blank: str = "-") -> GradeLabel:
    """The grade as the forms label it ("High"): the investigation forms' vocabulary first, then the
    casework form's own grade questions; a value no form knows is shown as stored."""
    from dsvdesk.engine.casework import is_casework_form
    from dsvdesk.engine.vocabulary import vocabulary_for

    specs = list(specs)
    vocabulary = vocabulary_for(s for s in specs if not is_casework_form(s))
    casework = {
        choice.value: choice.label
        for spec in specs
        if is_casework_form(spec)
        for page in (p for s in spec.sections for p in s.pages)
        for q in page.questions
        if q.tag_value(TAG) == "grade"
        for choice in q.choices or ()
    }

    def label(value: str | None) -> str:
        if not value:
            return blank
        known = vocabulary.normalise_grade(value)
        if known is not None:
            return vocabulary.grade_label(known)
        return casework.get(value, value)

    return label


def facts_of(case: CaseFile) -> dict[str, Any]:
    """A case file as the facts ``case_flags`` reads."""
    return {
        "opened_at": case.opened_at,
        "grade": case.grade,
        "next_review_due": case.next_review_due,
        "contacts": [(c.contacted_at, c.made) for c in case.contacts],
        "events": [(e.kind, e.at) for e in case.events],
        "referrals": [(r.agency, r.outcome) for r in case.referrals],
        "bail": [(a.created_at, a.decision_at) for a in case.assessments if a.kind == BAIL],
    }


def describe_case(
    case: CaseFile, policy: CaseworkPolicy, flags: Sequence[str], grade_label: GradeLabel
) -> list[str]:
    """The case as text: its summary, then its history (``case_history``)."""
    return [*case_summary(case, policy, flags, grade_label), *case_history(case, policy, grade_label)]


def case_summary(
    case: CaseFile, policy: CaseworkPolicy, flags: Sequence[str], grade_label: GradeLabel
) -> list[str]:
    grade = grade_label(case.grade) if case.grade else "not recorded"
    return [
        f"Case {case.urn or case.record_id} ({case.status}); opened {local_time(case.opened_at)}",
        f"Investigating officer: {case.io_name or 'not allocated'}",
        f"Grade: {grade} (risk revision {case.risk_revision})",
        f"Next review: {local_time(case.next_review_due)} by {case.next_review_by or '-'}"
        if not case.closed
        else f"Outcome: {policy.outcome_label(case.outcome)} on {local_time(case.outcome_at)}",
        f"MoPI review: {local_time(case.retention_due)}",
        f"Flags: {', '.join(flags) if flags else 'none'}",
    ]


def case_history(case: CaseFile, policy: CaseworkPolicy, grade_label: GradeLabel) -> list[str]:
    """What was done on the case, one line each: every label from the forms, every time dd/mm/yyyy HH:MM."""
    lines = [_assessment_line(a, policy, grade_label) for a in case.assessments]
    lines += [
        f"Review {r.step + 1} ({r.due_by}, due {local_time(r.due_at)}): {policy.review_outcome_label(r.outcome)} "
        f"by {r.reviewer} {local_time(r.reviewed_at)}{' LATE' if r.late else ''}; next: {r.next_action}"
        for r in case.reviews
    ]
    lines += [f"Event: {policy.event_label(e.kind)} at {local_time(e.at)}" for e in case.events]
    lines += [
        f"Contact {local_time(c.contacted_at)} {policy.method_label(c.method)} "
        f"({'made' if c.made else 'attempted'}, {policy.event_label(c.regarding)}) by {c.by}: {c.note}"
        for c in case.contacts
    ]
    lines += [_referral_line(f, policy) for f in case.referrals]
    lines += [
        f"Retained {local_time(d.reviewed_at)} by {d.reviewer}: {d.reason}; next review {local_time(d.next_review)}"
        for d in case.retention
    ]
    return lines


def grade_change(previous: str | None, grade: str, grade_label: GradeLabel) -> str:
    """ "High (confirmed)", "Medium (was High)" or "High" (no grade before)."""
    if not previous:
        return grade_label(grade)
    if previous == grade:
        return f"{grade_label(grade)} (confirmed)"
    return f"{grade_label(grade)} (was {grade_label(previous)})"


def _assessment_line(a: CaseAssessment, policy: CaseworkPolicy, grade_label: GradeLabel) -> str:
    extra = ""
    if a.kind == BAIL:
        extra = f"; decision {local_time(a.decision_at)} ({'in time' if a.in_time else 'NOT in time'})"
    return (
        f"{policy.entry_title(a.kind)} r{a.risk_revision}: grade {grade_change(a.previous_grade, a.grade, grade_label)} "
        f"by {a.created_by} {local_time(a.created_at)}{extra}"
    )


def _referral_line(f: CaseReferral, policy: CaseworkPolicy) -> str:
    outcome = policy.referral_outcome_label(f.outcome)
    if f.outcome_on:
        outcome += f" ({local_time(f.outcome_on)})"
    return f"Referral #{f.id} {policy.agency_label(f.agency)} on {local_time(f.referred_on)}: {outcome}"
