"""`dsvdesk transfer`: records between station PCs and the borough's CSU as bundle files (issue 17).

dsvdesk transfer unit-key --out HOL_unit.pem --user admin        # once per PC: its transfer key
dsvdesk transfer add-unit CSU_unit.pem --kind csu [--fingerprint FP] --user admin
dsvdesk transfer export --to CSU --out FILE --user ps1           # station -> CSU (or CSU -> station)
dsvdesk transfer import FILE --user csu1
dsvdesk transfer units | conflicts | resolve ID --keep ours|theirs | remove-unit CODE
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dsvdesk.commands._common import add_common, add_user_option, open_existing_store, print_json, sign_in
from dsvdesk.errors import BadInput, NotFound


def register(subparsers: Any) -> None:
    transfer = subparsers.add_parser(
        "transfer",
        help="move records between station PCs and the CSU as encrypted, signed bundle files",
        description="Transfer bundles: one file per exchange, encrypted to the receiving unit, signed by "
        "the exporting supervisor. Import merges by record and revision in one transaction.",
    )
    sub = transfer.add_subparsers(dest="transfer_command", metavar="ACTION", required=True)

    key = sub.add_parser(
        "unit-key", help="make this PC's transfer key and write the file other units register"
    )
    key.add_argument("--out", required=True, type=Path, metavar="FILE", help="e.g. HOL_unit.pem")
    key.add_argument("--replace", action="store_true", help="replace a lost or exposed key")
    _acting(key, "the acting admin (signs in; the password unlocks the station CA key)")
    key.set_defaults(handler=run_unit_key)

    unit_file = sub.add_parser("unit-file", help="write this PC's published transfer unit file again")
    unit_file.add_argument("--out", required=True, type=Path, metavar="FILE")
    _acting(unit_file, "who is acting (signs in)")
    unit_file.set_defaults(handler=run_unit_file)

    add = sub.add_parser(
        "add-unit", help="register another unit (a station, the CSU or HQ) from its unit file"
    )
    add.add_argument("file", type=Path, metavar="FILE")
    add.add_argument("--kind", choices=("station", "csu", "hq"), default="station")
    add.add_argument("--fingerprint", metavar="FP", help="needed when this PC has no force root installed")
    _acting(add, "the acting admin (signs in)")
    add.set_defaults(handler=run_add_unit)

    remove = sub.add_parser("remove-unit", help="refuse a unit's bundles from now on")
    remove.add_argument("unit", metavar="UNIT", help="its code, name or id")
    _acting(remove, "the acting admin (signs in)")
    remove.set_defaults(handler=run_remove_unit)

    units = sub.add_parser("units", help="list the registered units and what this PC's records cover")
    units.add_argument("--json", action="store_true")
    _acting(units, "who is acting (signs in)")
    units.set_defaults(handler=run_units)

    export = sub.add_parser("export", help="write a bundle for another unit")
    export.add_argument("--to", required=True, metavar="UNIT", help="the receiving unit's code, name or id")
    export.add_argument("--out", required=True, type=Path, metavar="FILE")
    _acting(export, "the exporting supervisor (signs in; the password signs the bundle)")
    export.set_defaults(handler=run_export)

    imp = sub.add_parser("import", help="check and merge a bundle made for this PC")
    imp.add_argument("file", type=Path, metavar="FILE")
    _acting(imp, "the importing supervisor (signs in)")
    imp.set_defaults(handler=run_import)

    conflicts = sub.add_parser("conflicts", help="records changed on both sides, with both states")
    conflicts.add_argument("--json", action="store_true")
    _acting(conflicts, "a supervisor (signs in)")
    conflicts.set_defaults(handler=run_conflicts)

    resolve = sub.add_parser("resolve", help="settle a conflict: keep this PC's state or the other side's")
    resolve.add_argument("conflict", type=int, metavar="ID")
    resolve.add_argument("--keep", required=True, choices=("ours", "theirs"))
    _acting(resolve, "a supervisor (signs in)")
    resolve.set_defaults(handler=run_resolve)


def _acting(parser: argparse.ArgumentParser, who: str) -> None:
    add_user_option(parser, who)
    add_common(parser)


def _write_new(path: Path, data: bytes) -> None:
    if path.exists():
        raise BadInput(f"{path} already exists; choose another file name (nothing was written).")
    path.write_bytes(data)


def run_unit_key(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, password = sign_in(store, args.user)
        data = store.create_transfer_unit(session, password, replace=args.replace)
        _write_new(args.out, data)
        print(f"Transfer unit file written to {args.out}.")
        print(
            f"Fingerprint (read it to the other units' administrators): {store.transfer_unit_fingerprint()}"
        )
    return 0


def run_unit_file(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        sign_in(store, args.user)
        _write_new(args.out, store.transfer_unit_file())
        print(f"Transfer unit file written to {args.out} (fingerprint {store.transfer_unit_fingerprint()}).")
    return 0


def run_add_unit(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no unit file at {args.file}.") from None
    except IsADirectoryError:
        raise BadInput(f"{args.file} is a folder; give the unit file.") from None
    with open_existing_store(args) as store:
        session, _password = sign_in(store, args.user)
        peer = store.add_transfer_peer(session, data, kind=args.kind, fingerprint=args.fingerprint)
        print(
            f"Registered {peer.name} ({peer.code}, {peer.kind}) as a transfer unit; fingerprint {peer.fingerprint}."
        )
    return 0


def run_remove_unit(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _password = sign_in(store, args.user)
        peer = store.remove_transfer_peer(session, args.unit)
        print(f"{peer.name} removed: its bundles are refused from now on; records already merged stay.")
    return 0


def run_units(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        sign_in(store, args.user)
        peers = store.transfer_peers()
        coverage = store.transfer_coverage()
        if args.json:
            print_json(
                {
                    "units": [
                        {
                            "name": p.name,
                            "code": p.code,
                            "kind": p.kind,
                            "uid": p.uid,
                            "fingerprint": p.fingerprint,
                            "removed": p.revoked,
                            "last_bundle_in": p.last_in_seq,
                            "bundles_sent": p.sent_seq,
                        }
                        for p in peers
                    ],
                    "coverage": [c.describe() for c in coverage],
                }
            )
            return 0
        for p in peers:
            state = "removed" if p.revoked else f"last bundle in {p.last_in_seq}, bundles sent {p.sent_seq}"
            print(f"{p.code:<8} {p.kind:<8} {p.name}: {state}")
        if not peers:
            print("No transfer units registered.")
        print("Records held: " + "; ".join(c.describe() for c in coverage))
    return 0


def _progress(label: str) -> Any:
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        print(f"\r{label}: {done}/{total} records", end="" if done < total else "\n", file=sys.stderr)

    return show


def run_export(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, password = sign_in(store, args.user)
        result = store.export_bundle(session, args.to, args.out, password, progress=_progress("Exporting"))
        print(
            f"Bundle {result.seq} for {result.to} written to {result.path}: {result.records} record(s), "
            f"{result.size:,} bytes."
        )
    return 0


def run_import(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _password = sign_in(store, args.user)
        result = store.import_bundle(session, args.file, progress=_progress("Importing"))
        print(
            f"Bundle {result.seq} from {result.station} imported: {result.new} new, {result.updated} updated, "
            f"{result.unchanged} unchanged, {result.conflicts} changed on both sides."
        )
        if result.disposed:
            print(f"{result.disposed} record(s) disposed of here under MoPI were not brought back.")
        if result.conflicts:
            print(
                "Records changed on both sides are flagged; `dsvdesk transfer conflicts` shows both states."
            )
    return 0


def run_conflicts(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _password = sign_in(store, args.user)
        conflicts = store.transfer_conflicts(session)
        if args.json:
            print_json(conflicts)
            return 0
        for c in conflicts:
            theirs = c["theirs"]
            if theirs is None:
                print(f"{c['id']}: record {c['record_id']}\n   {c['problem']}")
                continue
            mine = store.open_record(session, c["record_id"], justification="Transfer conflict review")
            print(
                f"{c['id']}: record {c['record_id']}\n"
                f"   here:   {mine.status.value}, revision {mine.revision}, URN {mine.urn or '-'}\n"
                f"   {c['from'] or 'other'}: {theirs['status']}, revision {theirs['revision']}, URN {theirs.get('urn') or '-'}"
            )
            changed = sorted(
                k
                for k in {*mine.answers, *theirs["answers"]}
                if mine.answers.get(k) != theirs["answers"].get(k)
            )
            if changed:
                print(f"   answers that differ: {', '.join(changed)}")
        if not conflicts:
            print("No records are changed on both sides.")
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    with open_existing_store(args) as store:
        session, _password = sign_in(store, args.user)
        store.resolve_transfer_conflict(session, args.conflict, keep=args.keep)
        print(f"Conflict {args.conflict} settled ({args.keep} kept); the next bundle carries the decision.")
    return 0
