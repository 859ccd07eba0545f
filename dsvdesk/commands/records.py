"""Headless record commands: `records new|set|submit|show|list|delete|amend|upgrade|review`, each acting as
`--user USERNAME` (password from $DSVDESK_PASSWORD or a prompt). Submission and approval sign PDFs
through dsvdesk.workflow, as the app does."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.commands._common import (
    add_common,
    add_user_option,
    form_spec,
    open_store,
    print_json,
    read_answers_file,
    sign_in,
)
from dsvdesk.errors import BadInput, ExitCode, NotReady, UsageError

if TYPE_CHECKING:
    from dsvdesk.store import Record, RecordRow, Session, Store

STATUSES = ("draft", "submitted", "returned", "approved")
REASON_HELP = "why you open someone else's record (kept in the audit log; supervisors)"


def register(subparsers: Any) -> None:
    records = subparsers.add_parser(
        "records", help="create, fill, submit, list and review records headlessly"
    )
    sub = records.add_subparsers(dest="records_command", metavar="ACTION", required=True)

    new = sub.add_parser("new", help="start a draft and print its id")
    new.add_argument("--form", required=True, metavar="ID", help="form id, e.g. 124d")
    new.add_argument(
        "--answers", type=Path, metavar="FILE.json", help='answers as {"question_id": value, ...}'
    )
    _finish(new, handler=run_new)

    set_ = sub.add_parser("set", help="save answers from a JSON file into a draft")
    set_.add_argument("record_id", metavar="UUID")
    set_.add_argument("--answers", required=True, type=Path, metavar="FILE.json")
    set_.add_argument("--reason", metavar="TEXT", help=REASON_HELP)
    _finish(set_, handler=run_set)

    submit = sub.add_parser("submit", help="check, sign (your password) and submit a draft for review")
    submit.add_argument("record_id", metavar="UUID")
    _finish(submit, handler=run_submit)

    show = sub.add_parser("show", help="show a record's answers and status")
    show.add_argument("record_id", metavar="UUID")
    show.add_argument("--revision", type=int, metavar="N", help="an earlier revision")
    show.add_argument("--reason", metavar="TEXT", help=REASON_HELP)
    show.add_argument("--json", action="store_true", help="print JSON")
    _finish(show, handler=run_show)

    list_ = sub.add_parser("list", help="list records (officers: their own; supervisors: the station's)")
    list_.add_argument("--status", choices=STATUSES)
    list_.add_argument("--search", metavar="TEXT", help="names and references")
    list_.add_argument("--limit", type=int, default=50, metavar="N")
    list_.add_argument("--offset", type=int, default=0, metavar="N")
    list_.add_argument("--json", action="store_true", help="print JSON")
    _finish(list_, handler=run_list)

    delete = sub.add_parser("delete", help="delete a draft that was never submitted (logged as erasure)")
    delete.add_argument("record_id", metavar="UUID")
    _finish(delete, handler=run_delete)

    amend = sub.add_parser("amend", help="start a new revision of an approved record")
    amend.add_argument("record_id", metavar="UUID")
    amend.add_argument("--why", required=True, metavar="TEXT", help="the reason for the amendment")
    _finish(amend, handler=run_amend)

    upgrade = sub.add_parser(
        "upgrade",
        help="move a draft to the installed version of its form (reports kept/dropped/new answers first)",
        description="Maps the answers by question id onto the form version installed now (or --to FILE), "
        "prints which answers are kept, which are dropped and why, and which new questions need an "
        "answer, then asks before saving (one audited change). Submitted and approved records never move.",
    )
    upgrade.add_argument("record_id", metavar="UUID")
    upgrade.add_argument(
        "--to", type=Path, metavar="FILE.yaml", help="a form file (default: the installed form)"
    )
    upgrade.add_argument("--yes", action="store_true", help="save without asking")
    upgrade.add_argument("--dry-run", action="store_true", help="print the report only; change nothing")
    upgrade.add_argument("--json", action="store_true", help="print the report as JSON")
    _finish(upgrade, handler=run_upgrade)

    review = sub.add_parser(
        "review",
        help="supervisors: return a submitted record with comments, or approve it (URN + countersignature)",
        description='Return: --return --comment "question_id: what to change" (one or more). '
        'Approve: --approve [--grade G --rationale "..."]; your password countersigns the PDF.',
    )
    review.add_argument("record_id", metavar="UUID")
    action = review.add_mutually_exclusive_group(required=True)
    action.add_argument("--return", dest="do_return", action="store_true", help="send back to the officer")
    action.add_argument("--approve", action="store_true", help="approve and countersign")
    review.add_argument("--comment", action="append", default=[], metavar='"QID: TEXT"', help="with --return")
    review.add_argument("--grade", metavar="G", help="with --approve: the supervisor's grade")
    review.add_argument("--rationale", metavar="TEXT", help="with --approve: why this grade")
    review.add_argument("--reason", metavar="TEXT", default="Supervisor review", help=REASON_HELP)
    _finish(review, handler=run_review)


def _finish(parser: argparse.ArgumentParser, *, handler: Any) -> None:
    add_user_option(parser)
    add_common(parser)
    parser.set_defaults(handler=handler)


def _open(
    store: Store, session: Session, record_id: str, reason: str | None, revision: int | None = None
) -> Record:
    return store.open_record(session, record_id, revision=revision, justification=reason)


# --------------------------------------------------------------------------------------- handlers
def run_new(args: argparse.Namespace) -> int:
    spec = form_spec(args.form)
    answers = read_answers_file(args.answers) if args.answers else None
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        ref = store.create_record(session, spec, answers)
    print(ref.id)
    return 0


def run_set(args: argparse.Namespace) -> int:
    answers = read_answers_file(args.answers)
    if not answers:
        raise BadInput(f"{args.answers} holds no answers; nothing was saved.")
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        record = _open(store, session, args.record_id, args.reason)
        version = store.save_answers(session, record.id, answers, record.version)
    print(f"Saved {len(answers)} answer{'s' if len(answers) != 1 else ''} (version {version}).")
    return 0


def run_submit(args: argparse.Namespace) -> int:
    from dsvdesk.workflow import submit_record

    with open_store(args) as store:
        session, password = sign_in(store, args.user)
        submit_record(store, session, args.record_id, password)
    print(f"Submitted {args.record_id} for review.")
    return 0


def _record_json(record: Record) -> dict[str, Any]:
    return {
        "id": record.id,
        "form_id": record.form_id,
        "status": record.status.value,
        "revision": record.revision,
        "latest_revision": record.latest_revision,
        "version": record.version,
        "owner": record.owner_username,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "submitted_at": record.submitted_at,
        "approved_at": record.approved_at,
        "urn": record.urn,
        "completeness": record.completeness,
        "return_rounds": record.return_rounds,
        "supersedes": record.supersedes,
        "amend_reason": record.amend_reason,
        "review_comments": dict(record.review_comments),
        "answers": dict(record.answers),
    }


def run_show(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        record = _open(store, session, args.record_id, args.reason, args.revision)
    if args.json:
        print_json(_record_json(record))
        return 0
    print(f"{record.spec.marking}")
    print(f"{record.spec.title}")
    print(
        f"Record {record.id}  revision {record.revision}  {record.status.value}  {record.completeness}% complete"
    )
    if record.urn:
        print(f"URN {record.urn}")
    print(f"Officer {record.owner_name} ({record.owner_username}); updated {record.updated_at}")
    for _section, _page, question in record.spec.iter_questions():
        for key, label in (
            (question.id, question.label),
            (question.comment_id, f"{question.label} - comment"),
        ):
            if key in record.answers:
                print(f"  {key}: {label}: {_short(record.answers[key])}")
            if key in record.review_comments:
                print(f"    reviewer: {record.review_comments[key]}")
    return 0


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row_json(row: RecordRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "form_id": row.form_id,
        "status": row.status.value,
        "revision": row.revision,
        "owner": row.owner_username,
        "victim_name": row.victim_name,
        "incident_date": row.incident_date,
        "grade": row.grade,
        "yes_count": row.yes_count,
        "completeness": row.completeness,
        "urn": row.urn,
        "updated_at": row.updated_at,
        "flags": list(row.flags),
    }


def run_list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        rows = store.list_records(
            session, status=args.status, search=args.search, offset=args.offset, limit=args.limit
        )
        total = store.count_records(session, status=args.status, search=args.search)
    if args.json:
        print_json([_row_json(r) for r in rows])
        return 0
    for r in rows:
        print(
            f"{r.id}  {r.status.value:<9}  r{r.revision}  {r.completeness:>3}%  {r.incident_date or '-':<10}  "
            f"{r.urn or '-':<18}  {r.victim_name or '-'}"
        )
    print(f"{len(rows)} of {total} record{'s' if total != 1 else ''}.")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        store.delete_draft(session, args.record_id)
    print(f"Deleted draft {args.record_id}.")
    return 0


def run_amend(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        ref = store.amend(session, args.record_id, args.why)
    print(f"Revision {ref.revision} of {ref.id} started as a draft.")
    return 0


def _upgrade_json(report: Any, *, saved: bool) -> dict[str, Any]:
    return {
        "form": report.form_id,
        "from_version": report.old_version,
        "to_version": report.new_version,
        "from_hash": report.old_hash,
        "to_hash": report.new_hash,
        "kept": list(report.kept),
        "dropped": [
            {"id": d.answer_id, "reason": d.reason.value, "detail": d.detail} for d in report.dropped
        ],
        "needs_answer": list(report.needs_answer),
        "saved": saved,
    }


def _confirm(question: str) -> bool:
    import sys

    if not sys.stdin.isatty():
        raise NotReady("Nothing was changed: add --yes to move the record without being asked.")
    try:
        return input(f"{question} [y/N] ").strip().lower() in {"y", "yes"}
    except EOFError:
        return False


def run_upgrade(args: argparse.Namespace) -> int:
    from dsvdesk.engine.upgrade import UpgradeNotPossible, plan_upgrade, report_lines

    with open_store(args) as store:
        session, _ = sign_in(store, args.user)
        record = _open(store, session, args.record_id, None)
        spec = _target_spec(args.to) if args.to else form_spec(record.form_id)
        try:
            report = plan_upgrade(record.spec, spec, record.answers)
        except UpgradeNotPossible as exc:
            raise BadInput(str(exc)) from None
        if not record.is_editable:
            raise NotReady(
                f"This record is {record.status}: only drafts and returned records move to a new version "
                "of their form. Nothing was changed."
            )
        if not args.json:
            print("\n".join(report_lines(report, spec)))
        if args.dry_run:
            if args.json:
                print_json(_upgrade_json(report, saved=False))
            return 0
        if not args.yes and not _confirm(f"Move this record to version {spec.version}?"):
            print("Nothing was changed.")
            return int(ExitCode.NOT_READY)
        _ref, saved = store.upgrade_record(session, record.id, spec, record.version)
    if args.json:
        print_json(_upgrade_json(saved, saved=True))
    else:
        print(f"Moved {record.id} to {spec.id} version {spec.version}.")
    return 0


def _target_spec(path: Path) -> Any:
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_form

    try:
        return load_form(path)
    except FormDefinitionErrors as exc:
        raise BadInput(f"The form definition {path} has {len(exc.problems)} problem(s):\n{exc}") from None


def _parse_comments(raw: list[str]) -> dict[str, str]:
    comments: dict[str, str] = {}
    for item in raw:
        question_id, sep, text = item.partition(":")
        if not sep or not question_id.strip() or not text.strip():
            raise UsageError(f'A comment must look like "question_id: what to change", not {item!r}.')
        key = question_id.strip()
        comments[key] = f"{comments[key]}\n{text.strip()}" if key in comments else text.strip()
    return comments


def run_review(args: argparse.Namespace) -> int:
    if args.do_return:
        if args.grade or args.rationale:
            raise UsageError("--grade and --rationale go with --approve, not --return.")
        comments = _parse_comments(args.comment)
        if not comments:
            raise UsageError('--return needs at least one --comment "question_id: what to change".')
        with open_store(args) as store:
            session, _ = sign_in(store, args.user)
            record = _open(store, session, args.record_id, args.reason)
            store.return_record(session, record.id, comments, record.version)
        print(
            f"Returned {args.record_id} to its officer with {len(comments)} comment{'s' if len(comments) != 1 else ''}."
        )
        return 0
    if args.comment:
        raise UsageError("--comment goes with --return; an approval has no comments.")
    from dsvdesk.workflow import approve_record

    with open_store(args) as store:
        session, password = sign_in(store, args.user)
        result = approve_record(
            store,
            session,
            args.record_id,
            password,
            grade=args.grade,
            rationale=args.rationale,
            justification=args.reason,
        )
    print(f"Approved {result.record_id} as {result.urn}.")
    return 0
