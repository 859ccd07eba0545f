"""`python -m benchmarks.readme_table [RESULTS]`: put a results file's rows into the READMEs.

Replaces what stands between ``<!-- bench-table -->`` and ``<!-- /bench-table -->`` in README.md and
benchmarks/README.md with a line naming the run (when, machine, how long) and its table, every row with
its floor, ratio, target, whether it was met, and its note. Run it after `make bench`
(`make bench-readme`); nothing else in the READMEs changes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
READMES = (HERE.parent / "README.md", HERE / "README.md")
START, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def _ms(value: Any) -> str:
    return "–" if value is None else f"{float(value):.1f}"


def _cell(text: Any) -> str:
    return str(text).replace("|", "/").replace("\n", " ")


def row_line(row: Mapping[str, Any]) -> str:
    records = "–" if row.get("records") is None else f"{int(row['records']):,}"
    if row.get("error"):
        median, p95 = f"error: {row['error']}", ""
    elif row.get("peak_rss_mb") is not None and row.get("median_ms") is None:
        median, p95 = f"{float(row['peak_rss_mb']):.0f} MB", ""
    else:
        median, p95 = _ms(row.get("median_ms")), _ms(row.get("p95_ms"))
        if "p99" in str(row.get("target", "")) and row.get("p99_ms") is not None:
            p95 += f" (p99 {float(row['p99_ms']):.1f})"
    ratio = "–" if row.get("ratio") is None else f"{float(row['ratio']):.2f}×"
    met = "yes" if row.get("met") else "NO"
    return (
        f"| {_cell(row['path'])} | {records} | {_cell(median)} | {p95} | {_ms(row.get('floor_ms'))} | {ratio} | "
        f"{_cell(row.get('target', ''))} | {met} | {_cell(row.get('note', ''))} |"
    )


def table(rows: Iterable[Mapping[str, Any]]) -> str:
    lines = [
        "| path | records | median ms | p95 ms | floor ms | ratio | target | met | note |",
        "|---|---:|---:|---:|---:|---:|---|:-:|---|",
    ]
    lines += [row_line(r) for r in rows]
    return "\n".join(lines)


def describe_run(document: Mapping[str, Any]) -> str:
    m = document.get("machine", {})
    rows = document.get("rows", [])
    met = sum(1 for r in rows if r.get("met"))
    kind = "smoke run (small N)" if document.get("smoke") else "full run"
    return (
        f"`make bench` {kind} of {document.get('generated', '?')}, {document.get('duration_s', '?')} s: "
        f"{met} of {len(rows)} targets met. {m.get('cores')} cores ({m.get('cpu')}), {m.get('memory_gb')} GB RAM, "
        f"Python {m.get('python')}, Qt {m.get('qt')}, reportlab {m.get('reportlab')}, pyHanko {m.get('pyhanko')}; "
        "offscreen. Generated from `benchmarks/results.json` by `make bench-readme`."
    )


def replace_block(text: str, block: str) -> str:
    start = text.find(START)
    end = text.find(END, start)
    if start < 0 or end < 0:
        raise ValueError(f"no {START} ... {END} block")
    return text[: start + len(START)] + "\n" + block + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    results = Path(args[0]) if args else HERE / "results.json"
    try:
        document = json.loads(results.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"Cannot read the results file {results}: {exc}", file=sys.stderr)
        return 2
    block = describe_run(document) + "\n\n" + table(document.get("rows", []))
    for readme in READMES:
        try:
            readme.write_text(replace_block(readme.read_text(encoding="utf-8"), block), encoding="utf-8")
        except ValueError as exc:
            print(f"{readme}: {exc}; add the two marker lines where the table goes.", file=sys.stderr)
            return 2
        print(f"{readme}: table of {len(document.get('rows', []))} rows written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
