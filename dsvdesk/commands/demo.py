"""``dsvdesk demo``: the make-run demo database, or bulk records for the benchmarks.

dsvdesk demo --fresh --db PATH                      the demo station, its accounts, ~50 records
dsvdesk demo --records 100000 [--seed S] --db PATH  bulk records in every state (no signed PDFs)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from dsvdesk.errors import UserFacingError

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec

MAX_BULK_RECORDS = 2_000_000


class DemoRefused(UserFacingError):
    """The demo command was asked to do something that would harm real data, or cannot be done."""

    title = "Demo data"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dsvdesk.cli import add_db_option

    parser = subparsers.add_parser(
        "demo",
        help="create the demo database, or add bulk records for benchmarks",
        description="--fresh makes the demo station (accounts with demo passwords shown on the login screen in "
        "demo mode, and about 50 records taken through submission, return and approval, with real "
        "signatures). --records N adds N realistic records in every state, fast, for benchmarks "
        "(a fresh database gets the demo station first).",
    )
    add_db_option(parser)
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="delete the database file first (only a database this command made) and make the demo",
    )
    parser.add_argument(
        "--records", type=int, metavar="N", help="add N bulk records instead of the lifecycle demo"
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=2026,
        help="random seed: the same seed on the same day gives the same data",
    )
    parser.add_argument("--count", type=int, default=50, help="records in the lifecycle demo (default 50)")
    parser.add_argument(
        "--owner",
        action="append",
        default=[],
        metavar="USERNAME",
        help="with --records: give the records to this officer only (repeatable)",
    )
    parser.add_argument(
        "--date",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the day the data is made relative to (default: now; the lifecycle demo is then timed as at "
        "noon that day, UTC)",
    )
    parser.set_defaults(handler=run)


def _is_demo_database(path: Path) -> bool:
    """Only a database whose key file lists the demo accounts may be deleted by --fresh."""
    from dsvdesk.errors import UserFacingError
    from dsvdesk.store import keys

    try:
        keyfile = keys.KeyFile.load(path.absolute())
    except UserFacingError:
        return False
    return keyfile is not None and bool(keyfile.demo_accounts)


def _sign_in_to_demo(path: Path) -> None:
    """An existing demo database is encrypted like any other: sign in with its (public) demo admin
    account so that this process can open it. Any other database is refused: its passwords are not ours."""
    from dsvdesk.store import Store, keys

    keyfile = keys.KeyFile.load(path.absolute())
    admin = next((a for a in (keyfile.demo_accounts if keyfile else []) if a.get("role") == "admin"), None)
    if admin is None:
        raise DemoRefused(
            f"{path} is not a demo database, so demo records are not added to it. Choose another file with --db."
        )
    with Store.open(path) as store:
        store.login(admin.get("username", ""), admin.get("password", ""))
        # the bulk records are sealed: the demo supervisors' and officers' keys (public demo passwords)
        # make their search tokens and Part A keys at once, instead of at the next sign-in
        for account in keyfile.demo_accounts if keyfile else []:
            if account.get("role") in ("officer", "supervisor"):
                store.login(account.get("username", ""), account.get("password", ""))


def _remove_database(path: Path) -> None:
    from dsvdesk.store import keys

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    keys.keyfile_path(path.absolute()).unlink(missing_ok=True)
    keys.forget(path.absolute())


def run(args: argparse.Namespace) -> int:
    from dsvdesk import demo
    from dsvdesk.cli import db_path

    path = db_path(args).expanduser()
    today = args.date or dt.date.today()
    if args.records is not None and not 1 <= args.records <= MAX_BULK_RECORDS:
        raise DemoRefused(f"--records needs a number from 1 to {MAX_BULK_RECORDS:,} (got {args.records}).")
    if not 1 <= args.count <= 1000:
        raise DemoRefused(f"--count needs a number from 1 to 1,000 (got {args.count}).")
    if path.is_dir():
        raise DemoRefused(f"{path} is a folder; give a database file name, e.g. {path / 'demo.sqlite3'}.")
    if args.fresh and path.exists():
        if not _is_demo_database(path):
            raise DemoRefused(
                f"{path} is not a demo database, so --fresh will not delete it. Choose another file with --db, "
                "or move that file away yourself if you really mean to replace it."
            )
        _remove_database(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def say(text: str) -> None:
        print(f"  {text}", file=sys.stderr, flush=True)

    if args.records is None:
        if path.exists():
            raise DemoRefused(f"{path} already exists. Add --fresh to make the demo again from scratch.")
        print(
            f"Making the demo database {path} (signing every submitted and approved record) ...",
            file=sys.stderr,
        )
        summary = demo.build_demo_database(
            path, seed=args.seed, today=args.date, count=args.count, progress=say
        )
        counts = ", ".join(f"{n} {status}" for status, n in summary.by_status.items())
        print(f"Demo database ready: {path} ({counts}; {summary.seconds:.0f} s).")
        print("Accounts (demo passwords, shown on the login screen with --demo):")
        for account in summary.accounts:
            print(f"  {account.username:8}  {account.password:18}  {account.role}")
        return 0

    spec = _bulk_form()
    from dsvdesk.store import Store

    if not path.exists():
        with Store.open(path, create=True) as store:
            demo.create_demo_station(store)
    else:
        _sign_in_to_demo(path)
    print(f"Adding {args.records:,} records to {path} ...", file=sys.stderr)
    bulk = demo.bulk_insert_records(
        path, spec, count=args.records, seed=args.seed, today=today, owners=tuple(args.owner), progress=say
    )
    counts = ", ".join(f"{n:,} {status}" for status, n in sorted(bulk.by_status.items()))
    print(
        f"Added {bulk.records:,} records ({counts}) and {bulk.audit_events:,} audit events in {bulk.seconds:.1f} s."
    )
    return 0


def _bulk_form() -> FormSpec:
    from dsvdesk import demo, paths
    from dsvdesk.engine.loader import load_forms_dir

    forms = demo.investigation_forms(load_forms_dir(paths.forms_dir()))
    if not forms:
        raise DemoRefused(
            f"No form in {paths.forms_dir()} records an incident (maps the incident_date column)."
        )
    return forms[0]
