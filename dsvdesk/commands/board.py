"""`dsvdesk partA` (the computed Part A figures for a period) and `dsvdesk pack` (the signed board pack).

Both sign in as a supervisor; the core refuses anyone else. The password is read from $DSVDESK_PASSWORD
or asked for, as for `dsvdesk export`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from dsvdesk.commands._common import add_common, add_user_option
from dsvdesk.errors import NotFound, UsageError


def register(subparsers: Any) -> None:
    part_a = subparsers.add_parser(
        "partA",
        help="print the Part A figures computed from approved 124D records for a period (supervisors)",
        description="Compute the Board report's Part A figures (records, completion, grades, DASH 'yes' counts, "
        "MARAC referrals, repeat victims, children, HBV, arrests, diversity, by month) from the station's "
        "approved 124D records with an incident date in the period. The repeat-victim matches not linked before "
        "are logged as one combination in the audit log (the links themselves beside it).",
    )
    part_a.add_argument(
        "--from", dest="date_from", required=True, metavar="YYYY-MM-DD", help="first day of the period"
    )
    part_a.add_argument(
        "--to", dest="date_to", required=True, metavar="YYYY-MM-DD", help="last day of the period"
    )
    part_a.add_argument("--json", action="store_true", help="print JSON instead of a table")
    add_user_option(part_a, "who is asking (a supervisor; signs in)")
    add_common(part_a)
    part_a.set_defaults(handler=run_part_a)

    pack = subparsers.add_parser(
        "pack",
        help="export a Board report as a signed board pack (folder + zip); logged as a disclosure to the Board",
        description="Write part_b_report.pdf (signed), part_a_data.pdf (signed, with the manifest inside), "
        "part_a_data.csv and manifest.json (with the audit head it was made at) into a new folder under DIR, "
        "and a zip of it. The Board checks it against the force root it holds: "
        "dsvdesk verify PACK.zip --trust FORCE_ROOT.pem",
    )
    pack.add_argument("report_id", metavar="REPORT_UUID", help="the Board report record's id")
    pack.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write the pack into (must exist)"
    )
    add_user_option(pack, "who exports and signs (a supervisor)")
    add_common(pack)
    pack.set_defaults(handler=run_pack)


def format_table(part_a: Any) -> list[str]:
    """The figures as aligned text, one group after another; the period and message first."""
    lines = [f"Part A: {part_a.period.label}", part_a.message]
    if part_a.coverage_line:  # a CSU: which stations, up to which transfer bundle
        lines.append(part_a.coverage_line)
    if part_a.is_empty:
        return lines
    group = None
    for figure in part_a.figures():
        if figure.group != group:
            group = figure.group
            lines += ["", group]
        marker = "" if figure.computed else f"   [entered; source: {figure.source}]"
        lines.append(f"  {figure.label:<58} {figure.value:>8}{marker}")
    return lines


def run_part_a(args: argparse.Namespace) -> int:
    from dsvdesk.commands._common import load_form_specs, open_existing_store, sign_in
    from dsvdesk.reporting import queries
    from dsvdesk.reporting.pack import casework_policy_of, part_a_from_store, part_a_source_form
    from dsvdesk.reporting.parta import PartAError, Period

    try:
        period = Period.parse(args.date_from, args.date_to)
    except PartAError as exc:
        raise UsageError(str(exc)) from None
    specs = load_form_specs()
    spec = specs[part_a_source_form(specs)]
    with open_existing_store(args) as store:
        session, _ = sign_in(store, args.user)
        queries.require_reporting_role(session)
        part_a = part_a_from_store(store, session, period, spec=spec, casework=casework_policy_of(specs))
    if args.json:
        print(json.dumps(part_a.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(format_table(part_a)))
    return 0


def run_pack(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dsvdesk.commands._common import load_form_specs, open_existing_store, sign_in
    from dsvdesk.reporting import queries
    from dsvdesk.reporting.pack import export_board_pack

    out_dir = Path(args.out)
    if not out_dir.is_dir():
        raise NotFound(f"The folder {out_dir} does not exist. Create it first, or choose another with --out.")
    specs = load_form_specs()
    with open_existing_store(args) as store:
        session, password = sign_in(store, args.user)
        queries.require_reporting_role(session, "export board packs")
        result = export_board_pack(store, session, args.report_id, out_dir, password=password, specs=specs)
    print(f"Wrote {result.folder}")
    print(f"Wrote {result.zip_path}")
    print(
        "The Board checks it against the force root it holds: dsvdesk verify PACK.zip --trust FORCE_ROOT.pem"
    )
    return 0
