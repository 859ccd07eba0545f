"""`dsvdesk hq`: force HQ on PostgreSQL (issue 17). No Qt, no SQLite: bundles in, figures out.

    dsvdesk hq init --pg URL --out hq_unit.pem [--ca-dir CA_DIR]     # schema, HQ's unit key
    dsvdesk hq add-unit CSU_unit.pem --borough Islington [--fingerprint FP] --pg URL
    dsvdesk hq ingest FILE... --pg URL
    dsvdesk hq partA --borough Islington --from 2026-01-01 --to 2026-06-30 --pg URL [--json]
    dsvdesk hq table --from 2026-01-01 --to 2026-06-30 --pg URL      # every borough, then the force

URL: anything libpq takes, e.g. postgresql://dsvdesk@hq-db.example/dsvdesk (password from ~/.pgpass or
$PGPASSWORD), or $DSVDESK_HQ_PG. HQ's passphrase (it opens HQ's keys): $DSVDESK_HQ_PASSPHRASE or a prompt.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import Any

from dsvdesk.commands._common import load_form_specs, print_json
from dsvdesk.errors import BadInput, NotFound, UsageError

PG_ENV = "DSVDESK_HQ_PG"
PASSPHRASE_ENV = "DSVDESK_HQ_PASSPHRASE"  # noqa: S105 - the variable's name, not a passphrase


def register(subparsers: Any) -> None:
    hq = subparsers.add_parser(
        "hq",
        help="force HQ on PostgreSQL: ingest transfer bundles, Part A per borough and force-wide",
        description=f"Force HQ's database on an existing PostgreSQL server (--pg URL or ${PG_ENV}). "
        f"HQ's keys open with its passphrase (${PASSPHRASE_ENV} or a prompt).",
    )
    sub = hq.add_subparsers(dest="hq_command", metavar="ACTION", required=True)

    init = sub.add_parser("init", help="create HQ's schema (or bring it up to date) and its unit key")
    init.add_argument(
        "--out", type=Path, metavar="FILE", help="write HQ's unit file here (stations register it)"
    )
    init.add_argument(
        "--ca-dir", type=Path, metavar="CA_DIR", help="issue HQ's certificate with the force root"
    )
    init.add_argument("--name", default="Force HQ", help="HQ's name on its certificate")
    _pg(init)
    init.set_defaults(handler=run_init)

    add = sub.add_parser("add-unit", help="accept bundles from a borough's CSU or a station")
    add.add_argument("file", type=Path, metavar="UNIT_FILE")
    add.add_argument("--borough", required=True)
    add.add_argument(
        "--fingerprint", metavar="FP", help="needed when its CA is not certified by the force root"
    )
    _pg(add)
    add.set_defaults(handler=run_add_unit)

    ingest = sub.add_parser("ingest", help="check and merge transfer bundles made for HQ")
    ingest.add_argument("files", type=Path, nargs="+", metavar="FILE")
    _pg(ingest)
    ingest.set_defaults(handler=run_ingest)

    part_a = sub.add_parser("partA", help="Part A figures of one borough (or --borough all)")
    part_a.add_argument("--borough", required=True, help="a borough, or 'all' for the force")
    _period(part_a)
    part_a.add_argument("--json", action="store_true")
    _pg(part_a)
    part_a.set_defaults(handler=run_part_a)

    table = sub.add_parser("table", help="the force-wide table: key Part A figures of every borough")
    _period(table)
    table.add_argument("--json", action="store_true")
    _pg(table)
    table.set_defaults(handler=run_table)


def _pg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pg", metavar="URL", help=f"HQ's PostgreSQL database (default ${PG_ENV})")


def _period(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="date_from", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--to", dest="date_to", required=True, metavar="YYYY-MM-DD")


def _url(args: argparse.Namespace) -> str:
    url = args.pg or os.environ.get(PG_ENV)
    if not url:
        raise UsageError(f"Say which PostgreSQL database is HQ's: --pg URL or ${PG_ENV}.")
    return str(url)


def _passphrase() -> str:
    value = os.environ.get(PASSPHRASE_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            f"HQ's passphrase is needed: set ${PASSPHRASE_ENV} or run the command in a terminal."
        )
    return getpass.getpass("HQ passphrase: ")


def run_init(args: argparse.Namespace) -> int:
    from dsvdesk.hq import db, unit

    root = None
    if args.ca_dir is not None:
        from dsvdesk.commands import ca

        root = (ca._root_key(args.ca_dir), ca._root(args.ca_dir))  # the CA command's own readers
    with db.connect(_url(args)) as conn:
        version = db.migrate(conn)
        print(f"HQ's schema is at version {version}.")
        if conn.execute("SELECT 1 FROM hq_unit WHERE id = 1").fetchone() is None:
            data = unit.init_unit(conn, _passphrase(), name=args.name, root=root)
            print(f"HQ's unit key made; fingerprint {unit.fingerprint(conn)}.")
        else:
            data = unit.unit_file(conn)
        if args.out is not None:
            if args.out.exists():
                raise BadInput(f"{args.out} already exists; choose another file name.")
            args.out.write_bytes(data)
            print(
                f"HQ's unit file written to {args.out}: stations and CSUs register it with "
                "`dsvdesk transfer add-unit FILE --kind hq`."
            )
    return 0


def run_add_unit(args: argparse.Namespace) -> int:
    from dsvdesk.hq import db, unit

    try:
        data = args.file.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no unit file at {args.file}.") from None
    with db.connect(_url(args)) as conn:
        db.require_schema(conn)
        name, code = unit.add_unit(conn, data, borough=args.borough, fingerprint=args.fingerprint)
        print(f"HQ accepts bundles from {name} ({code}), borough {' '.join(args.borough.split())}.")
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    from dsvdesk.hq import db, ingest, unit

    with db.connect(_url(args)) as conn:
        db.require_schema(conn)
        keys = unit.load_keys(conn, _passphrase())
        for path in args.files:
            done = ingest.ingest(conn, keys, path)
            print(
                f"{done.file}: bundle {done.seq} from {done.unit} ({done.borough}): {done.new} new, "
                f"{done.updated} updated, {done.unchanged} unchanged, {done.conflicts} changed on two sides."
            )
    return 0


def _spec_and_period(args: argparse.Namespace) -> tuple[Any, Any]:
    from dsvdesk.hq.figures import parse_day
    from dsvdesk.reporting.pack import part_a_source_form
    from dsvdesk.reporting.parta import Period

    specs = load_form_specs()
    start, end = parse_day(args.date_from, "--from"), parse_day(args.date_to, "--to")
    if end < start:
        raise BadInput("--to is before --from.")
    return specs[part_a_source_form(specs)], Period(start, end)


def run_part_a(args: argparse.Namespace) -> int:
    from dsvdesk.hq import db, figures

    spec, period = _spec_and_period(args)
    with db.connect(_url(args)) as conn:
        db.require_schema(conn)
        borough = None if args.borough.strip().lower() == "all" else args.borough
        if borough is not None and borough.lower() not in {b.lower() for b in figures.boroughs(conn)}:
            raise NotFound(f"HQ holds no records of a borough called {borough!r}.")
        result = figures.part_a(conn, spec, period, borough=borough)
    if args.json:
        print_json({"borough": borough or "all", **result.to_json()})
        return 0
    print(f"Part A, {borough or 'the force'}, {period.label}")
    for figure in result.figures():
        print(f"  {figure.key:<45} {figure.value}")
    return 0


def run_table(args: argparse.Namespace) -> int:
    from dsvdesk.hq import db, figures

    spec, period = _spec_and_period(args)
    with db.connect(_url(args)) as conn:
        db.require_schema(conn)
        rows = figures.force_table(conn, spec, period)
    if args.json:
        print_json([{"borough": r.borough, **r.part_a.figure_map()} for r in rows])
        return 0
    print(f"Part A across boroughs, {period.label}")
    for line in figures.table_lines(rows):
        print(line)
    return 0
