"""`make bench-readme`: the READMEs' benchmark table comes from the results file, every row with its
floor, ratio, target, verdict and note; nothing outside the markers changes."""

from __future__ import annotations

import pytest

from benchmarks import readme_table
from benchmarks.harness import Row, Target, Timing


def _rows() -> list[dict[str, object]]:
    return [
        Row(
            "cold start",
            100_000,
            Target(max_ms=1000, max_ratio=1.5),
            timing=Timing((300.0, 320.0)),
            floor=Timing((200.0, 200.0)),
            run_ratios=(1.4, 1.6),
            note="five runs | one over",
        ).as_json(),
        Row("autosave", 1000, Target(max_ms=10, stat="p99"), timing=Timing((1.0, 2.0, 9.0))).as_json(),
        Row("memory", 100_000, Target(max_mb=300), peak_rss_mb=101.2).as_json(),
        Row("broken", None, Target(), error="OperationalError: boom").as_json(),
    ]


def test_every_row_has_its_floor_ratio_target_verdict_and_note() -> None:
    lines = readme_table.table(_rows()).splitlines()
    assert lines[0].endswith("| target | met | note |")
    cold, autosave, memory, broken = lines[2:]
    # each run's ratio must meet the target, not only the pooled one (1.55x pooled, one run 1.6x)
    assert "| 200.0 | 1.55× | ≤ 1.5× floor, < 1000 ms | NO | five runs / one over |" in cold
    assert "(p99 9.0)" in autosave and "| yes |" in autosave
    assert "| 101 MB |" in memory
    assert "error: OperationalError: boom" in broken and "| NO |" in broken


def test_only_the_marked_block_is_replaced() -> None:
    text = "before\n<!-- bench-table -->\nold table\n<!-- /bench-table -->\nafter\n"
    assert readme_table.replace_block(text, "new") == (
        "before\n<!-- bench-table -->\nnew\n<!-- /bench-table -->\nafter\n"
    )
    with pytest.raises(ValueError, match="no <!-- bench-table -->"):
        readme_table.replace_block("no markers here", "new")


def test_the_readmes_carry_the_markers() -> None:
    for readme in readme_table.READMES:
        text = readme.read_text(encoding="utf-8")
        assert readme_table.START in text and readme_table.END in text, readme
