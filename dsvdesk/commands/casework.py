"""Headless casework (issue 19): `case show|allocate|reassess|bail|review|contact|event|referral|
referral-outcome|outcome|due|retention|retain|dispose|disposed`, each acting as `--user USERNAME` (password
from $DSVDESK_PASSWORD or a prompt). Schedules, times and choices come from the casework form
(forms/casework.yaml); re-assessments are signed as the app signs them (dsvdesk.reporting.casework)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.commands._common import (
    add_common,
    add_user_option,
    load_form_specs,
    open_existing_store,
    print_json,
    read_answers_file,
    sign_in,
)

if TYPE_CHECKING:
    from dsvdesk.engine.casework import CaseworkPolicy
    from dsvdesk.reporting.casework import GradeLabel
    from dsvdesk.store.casework import DueRow


def register(subparsers: Any) -> None:
    case = subparsers.add_parser(
        "case", help="CSU casework after submission: allocation, re-assessment, reviews, contact, retention"
    )
    sub = case.add_subparsers(dest="case_command", metavar="ACTION", required=True)

    show = sub.add_parser("show", help="a case: IO, grade, reviews, contacts, events, referrals, flags")
    show.add_argument("record_id", metavar="UUID")
    show.add_argument("--json", action="store_true", help="print JSON")
    _finish(show, run_show)

    allocate = sub.add_parser(
        "allocate", help="supervisors: allocate an approved record to an investigating officer"
    )
    allocate.add_argument("record_id", metavar="UUID")
    allocate.add_argument("--to", required=True, metavar="USERNAME", help="the investigating officer")
    _finish(allocate, run_allocate)

    for name, kind, text in (
        ("reassess", "part2", "the IO's re-assessment (part 2): signed, a new revision of the risk part"),
        ("bail", "bail", "the bail risk re-assessment before the custody decision: signed"),
    ):
        entry = sub.add_parser(name, help=text)
        entry.add_argument("record_id", metavar="UUID")
        entry.add_argument(
            "--answers", required=True, type=Path, metavar="FILE.json", help="answers of the entry"
        )
        entry.set_defaults(kind=kind)
        _finish(entry, run_assess)

    review = sub.add_parser("review", help="supervisors: record the next scheduled risk review")
    review.add_argument("record_id", metavar="UUID")
    review.add_argument("--outcome", required=True, metavar="VALUE", help="one of the form's review outcomes")
    review.add_argument("--next-action", required=True, metavar="TEXT")
    _finish(review, run_review)

    contact = sub.add_parser("contact", help="log a Victims' Code contact with the victim")
    contact.add_argument("record_id", metavar="UUID")
    contact.add_argument("--at", required=True, metavar="YYYY-MM-DDTHH:MM", help="when (local time)")
    contact.add_argument("--method", required=True, metavar="VALUE", help="one of the form's contact methods")
    made = contact.add_mutually_exclusive_group(required=True)
    made.add_argument("--made", action="store_true", help="contact was made")
    made.add_argument("--attempted", action="store_true", help="contact was attempted only")
    contact.add_argument("--note", required=True, metavar="TEXT", help="what was said")
    contact.add_argument(
        "--regarding", default="", metavar="VALUE", help="first, update or an event (arrest ...)"
    )
    _finish(contact, run_contact)

    event = sub.add_parser(
        "event", help="record an arrest, charge or bail (the victim must then be told in time)"
    )
    event.add_argument("record_id", metavar="UUID")
    event.add_argument("--kind", required=True, metavar="VALUE")
    event.add_argument("--at", required=True, metavar="YYYY-MM-DDTHH:MM", help="when (local time)")
    _finish(event, run_event)

    referral = sub.add_parser("referral", help="record a referral (IDVA, Sanctuary ...)")
    referral.add_argument("record_id", metavar="UUID")
    referral.add_argument("--agency", required=True, metavar="VALUE")
    referral.add_argument("--on", required=True, metavar="YYYY-MM-DD", help="date referred")
    referral.add_argument("--outcome", default="pending", metavar="VALUE")
    referral.add_argument("--note", default="", metavar="TEXT")
    _finish(referral, run_referral)

    ref_outcome = sub.add_parser("referral-outcome", help="record a referral's outcome")
    ref_outcome.add_argument("record_id", metavar="UUID")
    ref_outcome.add_argument("referral_id", type=int, metavar="N")
    ref_outcome.add_argument("--outcome", required=True, metavar="VALUE")
    _finish(ref_outcome, run_referral_outcome)

    outcome = sub.add_parser("outcome", help="supervisors: record the case outcome (ends risk reviews)")
    outcome.add_argument("record_id", metavar="UUID")
    outcome.add_argument("--outcome", required=True, metavar="VALUE")
    _finish(outcome, run_outcome)

    due = sub.add_parser("due", help="risk reviews due (officers: their own cases), overdue first")
    due.add_argument("--io", metavar="USERNAME", help="supervisors: one officer's cases")
    due.add_argument(
        "--all-soon", action="store_true", help="include reviews due soon, not only overdue ones"
    )
    due.add_argument("--limit", type=int, default=100, metavar="N")
    due.add_argument("--json", action="store_true")
    _finish(due, run_due)

    retention = sub.add_parser("retention", help="supervisors: records whose MoPI review is due")
    retention.add_argument("--limit", type=int, default=100, metavar="N")
    retention.add_argument("--json", action="store_true")
    _finish(retention, run_retention)

    retain = sub.add_parser("retain", help="supervisors: MoPI review decision to retain, with the reason")
    retain.add_argument("record_id", metavar="UUID")
    retain.add_argument("--reason", required=True, metavar="TEXT")
    _finish(retain, run_retain)

    dispose = sub.add_parser(
        "dispose",
        help="supervisors: MoPI disposal — erases the record's content, leaving an audited tombstone",
    )
    dispose.add_argument("record_id", metavar="UUID")
    dispose.add_argument("--reason", required=True, metavar="VALUE", help="one of the form's dispose reasons")
    dispose.add_argument("--yes", action="store_true", help="do not ask; the content cannot be brought back")
    _finish(dispose, run_dispose)

    pdf = sub.add_parser(
        "pdf", help="write a signed re-assessment's PDF to a file (logged as a disclosure with its reason)"
    )
    pdf.add_argument("record_id", metavar="UUID")
    pdf.add_argument("--revision", type=int, required=True, metavar="N", help="the risk revision")
    pdf.add_argument("--out", type=Path, required=True, metavar="FILE.pdf")
    pdf.add_argument("--recipient", required=True, metavar="WHO")
    pdf.add_argument("--justification", required=True, metavar="TEXT")
    _finish(pdf, run_pdf)

    disposed = sub.add_parser("disposed", help="supervisors and admins: the tombstones of disposed records")
    disposed.add_argument("--json", action="store_true")
    _finish(disposed, run_disposed)


def _finish(parser: argparse.ArgumentParser, handler: Any) -> None:
    add_user_option(parser)
    add_common(parser)
    parser.set_defaults(handler=handler)


def _policy() -> CaseworkPolicy:
    from dsvdesk.engine.casework import policy_from_forms

    return policy_from_forms(load_form_specs())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local(text: str | None) -> str:
    from dsvdesk.reporting.casework import local_time

    return local_time(text)


def _grade_label() -> GradeLabel:
    from dsvdesk.reporting.casework import grade_labeller

    return grade_labeller(load_form_specs().values())


# --------------------------------------------------------------------------------------- handlers
def run_show(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from dsvdesk.reporting.casework import case_flags, describe_case, facts_of

    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        case = store.case_file(session, args.record_id, policy)
        now = store.now()
    flags = case_flags(policy, facts_of(case), now)
    if args.json:
        data = asdict(case)
        data["flags"] = list(flags.words)
        print_json(data)
        return 0
    for line in describe_case(case, policy, flags.words, _grade_label()):
        print(line)
    return 0


def run_allocate(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.allocate(session, args.record_id, args.to)
    print(f"Allocated to {args.to}.")
    return 0


def run_assess(args: argparse.Namespace) -> int:
    from dsvdesk.reporting.casework import grade_change, sign_assessment

    policy = _policy()
    answers = read_answers_file(args.answers)
    with open_existing_store(args) as store:
        session, password = sign_in(store, args.user)
        result = sign_assessment(
            store, session, args.record_id, policy, kind=args.kind, answers=answers, password=password
        )
    grade = grade_change(result.previous_grade, result.grade, _grade_label())
    print(f"Signed risk revision {result.risk_revision}: grade {grade}.")
    return 0


def run_review(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        review = store.record_review(
            session, args.record_id, policy, outcome=args.outcome, next_action=args.next_action
        )
    late = " (late)" if review.late else ""
    print(f"Review {review.step + 1} ({review.due_by}, due {_local(review.due_at)}) recorded{late}.")
    return 0


def run_contact(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.log_contact(
            session, args.record_id, policy, at=args.at, method=args.method, made=bool(args.made),
            note=args.note, regarding=args.regarding,
        )  # fmt: skip
    print("Contact logged.")
    return 0


def run_event(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.record_event(session, args.record_id, policy, kind=args.kind, at=args.at)
    print(f"{policy.event_label(args.kind)} recorded.")
    return 0


def run_referral(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        number = store.add_referral(
            session, args.record_id, policy, agency=args.agency, referred_on=args.on, outcome=args.outcome,
            note=args.note,
        )  # fmt: skip
    print(f"Referral #{number} recorded.")
    return 0


def run_referral_outcome(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.update_referral(session, args.record_id, args.referral_id, policy, outcome=args.outcome)
    print("Referral outcome recorded.")
    return 0


def run_outcome(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.record_outcome(session, args.record_id, policy, outcome=args.outcome)
    print(f"Outcome recorded: {policy.outcome_label(args.outcome)}.")
    return 0


def _print_rows(
    rows: Sequence[DueRow], now: dt.datetime, *, as_json: bool, what: str, due_by: Callable[[str | None], str]
) -> None:
    if as_json:
        print_json([{**row_dict(r), "overdue": r.due < now.isoformat()} for r in rows])
        return
    if not rows:
        print(f"No {what}.")
        return
    grade = _grade_label()
    for r in rows:
        mark = "OVERDUE " if r.due < now.isoformat() else "due     "
        print(f"{mark}{_local(r.due)}  {r.urn or r.record_id}  {r.victim_name or '-'}  {grade(r.grade)}  "
              f"IO: {r.io or 'not allocated'}  {due_by(r.due_by)}")  # fmt: skip


def row_dict(row: DueRow) -> dict[str, Any]:
    return row._asdict()


def run_due(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        now = store.now()
        until = policy.due_soon.after(now) if args.all_soon else now
        rows = store.review_due_rows(session, policy, until=until, io=args.io, limit=args.limit)
    _print_rows(rows, now, as_json=args.json, what="risk reviews due", due_by=lambda by: by or "")
    return 0


def run_retention(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        now = store.now()
        rows = store.retention_rows(session, policy, until=now, limit=args.limit)
    _print_rows(
        rows, now, as_json=args.json, what="records due for MoPI review",
        due_by=lambda outcome: policy.outcome_label(outcome) if outcome else "no outcome",
    )  # fmt: skip
    return 0


def run_retain(args: argparse.Namespace) -> int:
    policy = _policy()
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        next_review = store.retain(session, args.record_id, policy, reason=args.reason)
    print(f"Retained; next MoPI review {_local(next_review)}.")
    return 0


def run_dispose(args: argparse.Namespace) -> int:
    import sys

    from dsvdesk.errors import UsageError

    policy = _policy()
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(
                "Disposal erases the record for good: add --yes to confirm when not in a terminal."
            )
        answer = input(f"Erase record {args.record_id} for good? Type yes: ")
        if answer.strip().lower() != "yes":
            print("Nothing was erased.")
            return 0
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        stone = store.dispose(session, args.record_id, policy, reason=args.reason)
    print(
        f"Record {stone.record_id} ({stone.urn or 'no URN'}) disposed of; erasure event {stone.audit_event_id}."
    )
    return 0


def run_disposed(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        stones = store.tombstones(session)
    if args.json:
        print_json([asdict(s) for s in stones])
        return 0
    for s in stones:
        print(
            f"{_local(s.disposed_at)}  {s.record_id}  {s.urn or '-'}  {s.form_id}  by {s.disposed_by}: {s.reason}"
        )
    if not stones:
        print("No records have been disposed of.")
    return 0


def run_pdf(args: argparse.Namespace) -> int:
    from dsvdesk.errors import Conflict, EnvironmentProblem

    out = Path(args.out)
    if out.exists():
        raise Conflict(f"{out} already exists; nothing was written. Choose another file name.")
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        signed = store.disclose_assessment(
            session, args.record_id, args.revision, recipient=args.recipient, justification=args.justification
        )
    try:
        out.write_bytes(signed)
    except OSError as exc:
        raise EnvironmentProblem(f"{out} cannot be written ({exc.strerror or exc}).") from None
    print(f"Wrote {out} (risk revision {args.revision}, {len(signed):,} bytes).")
    return 0
