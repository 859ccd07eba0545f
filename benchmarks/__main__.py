"""`python -m benchmarks [--smoke]`: every user-facing path beside its floor; one table, one JSON file.

Full run: 100,000 records, benchmarks/results.json (committed). Smoke run (CI, after `make test`): a
few thousand records and a few repeats, benchmarks/results-smoke.json (git-ignored), well under two
minutes. Both print the machine they ran on. No timed assertion anywhere: a missed target is reported
in the table and the JSON (met = false), and the exit code stays 0 unless a row could not be measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks.harness import Row, Target, describe_machine, format_table, machine_info, write_results
from benchmarks.paths import BENCHES, Config, Context, child_env

HERE = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small N and few repeats (CI)")
    parser.add_argument("--records", type=int, help="override the large record count")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only these benchmarks ({', '.join(n for n, _ in BENCHES)})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="results file (default benchmarks/results.json, or results-smoke.json with --smoke)",
    )
    parser.add_argument("--keep", type=Path, metavar="DIR", help="build the databases in DIR and keep them")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="with --keep: use the databases an earlier run left in DIR (for re-measuring a few rows; "
        "the bulk-data row then has no figure)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    config = Config.smoke_run() if args.smoke else Config.full()
    if args.records:
        config.large = args.records
    unknown = set(args.only) - {name for name, _ in BENCHES}
    if unknown:
        print(
            f"Unknown benchmark {', '.join(sorted(unknown))}; choose from {', '.join(n for n, _ in BENCHES)}.",
            file=sys.stderr,
        )
        return 2
    out = args.out or HERE / ("results-smoke.json" if args.smoke else "results.json")
    info = machine_info()
    print(f"Machine: {describe_machine(info)}", flush=True)
    started = time.perf_counter()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="dsvdesk-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    ctx = Context(config=config, folder=folder, env=child_env(), reuse=bool(args.reuse and args.keep))
    rows: list[Row] = []
    failed = False
    try:
        for records in sorted({config.small, config.large}):
            ctx.database(records)
        for name, bench in BENCHES:
            if args.only and name not in args.only:
                continue
            print(f"Running {name} ...", flush=True)
            try:
                rows.extend(bench(ctx))
            except Exception as exc:
                failed = True
                traceback.print_exc()
                rows.append(Row(name, None, Target(), error=f"{type(exc).__name__}: {exc}"))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    seconds = time.perf_counter() - started
    print()
    print(format_table(rows))
    print()
    print(
        f"{sum(r.met for r in rows)} of {len(rows)} targets met in {seconds:.0f} s; results written to {out}"
    )
    write_results(out, rows, info, smoke=args.smoke, seconds=seconds)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
