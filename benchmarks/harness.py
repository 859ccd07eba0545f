"""Timing, targets, the results table and the machine report shared by every benchmark.

A row is one user-facing path measured beside its bare-dependency floor in the same run, so the
ratio says how much DSVDesk adds on top of what its dependencies can do at best on this machine.
Floor and path are measured alternately (not one block after the other) so that a machine getting
warmer or busier during the run affects both alike.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Clock = Callable[[], float]


@dataclass(frozen=True)
class Timing:
    """Samples of one measured operation, in milliseconds."""

    samples_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ms)

    def percentile_ms(self, pct: float) -> float:
        """Nearest-rank percentile: with few samples it is the slowest one, never an interpolation."""
        ordered = sorted(self.samples_ms)
        rank = max(1, math.ceil(pct / 100.0 * len(ordered)))
        return ordered[rank - 1]

    @property
    def p95_ms(self) -> float:
        return self.percentile_ms(95)

    @property
    def p99_ms(self) -> float:
        return self.percentile_ms(99)


def time_calls(fn: Callable[[], object], repeats: int, *, warmup: int = 1) -> Timing:
    """Call ``fn`` ``warmup`` times unmeasured, then ``repeats`` times measured."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000.0)
    return Timing(tuple(samples))


def time_pair(
    ours: Callable[[], object], floor: Callable[[], object], repeats: int, *, warmup: int = 1
) -> tuple[Timing, Timing]:
    """Measure ``ours`` and ``floor`` alternately, ``repeats`` times each."""
    for _ in range(warmup):
        floor()
        ours()
    ours_ms: list[float] = []
    floor_ms: list[float] = []
    for i in range(repeats):
        # Alternate which goes first so neither always benefits from the other's warm caches.
        order = ((floor, floor_ms), (ours, ours_ms)) if i % 2 == 0 else ((ours, ours_ms), (floor, floor_ms))
        for fn, bucket in order:
            start = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - start) * 1000.0)
    return Timing(tuple(ours_ms)), Timing(tuple(floor_ms))


@dataclass(frozen=True)
class Target:
    """What a row must achieve: at most ``max_ratio`` × its floor (median against median) and the chosen
    statistic under ``max_ms`` (or peak memory under ``max_mb``)."""

    max_ms: float | None = None
    stat: str = "median"  # "median", "p95" or "p99": which statistic max_ms applies to
    max_ratio: float | None = None
    max_mb: float | None = None

    def describe(self) -> str:
        parts = []
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}× floor")
        if self.max_ms is not None:
            label = "" if self.stat == "median" else f"{self.stat} "
            parts.append(f"{label}< {self.max_ms:g} ms")
        if self.max_mb is not None:
            parts.append(f"< {self.max_mb:g} MB RSS")
        return ", ".join(parts)


@dataclass
class Row:
    path: str
    records: int | None
    target: Target
    timing: Timing | None = None
    floor: Timing | None = None
    peak_rss_mb: float | None = None
    note: str = ""
    error: str | None = None  # the row could not be measured: why (shown in the table, met = false)
    extra: dict[str, Any] = field(default_factory=dict)
    # ratio of each of several consecutive runs (cold start): with a max_ratio target, every one of
    # them must meet it, not only the pooled median
    run_ratios: tuple[float, ...] = ()

    @property
    def ratio(self) -> float | None:
        if self.timing is None or self.floor is None or self.floor.median_ms <= 0:
            return None
        return self.timing.median_ms / self.floor.median_ms

    def stat_ms(self) -> float | None:
        if self.timing is None:
            return None
        return {"median": self.timing.median_ms, "p95": self.timing.p95_ms, "p99": self.timing.p99_ms}[
            self.target.stat
        ]

    @property
    def met(self) -> bool:
        if self.error is not None:
            return False
        t = self.target
        if t.max_ms is not None:
            value = self.stat_ms()
            if value is None or value >= t.max_ms:
                return False
        if t.max_ratio is not None:
            ratio = self.ratio
            if ratio is None or ratio > t.max_ratio:
                return False
            if any(r > t.max_ratio for r in self.run_ratios):
                return False
        if t.max_mb is not None and (self.peak_rss_mb is None or self.peak_rss_mb >= t.max_mb):
            return False
        return True

    def as_json(self) -> dict[str, Any]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        data: dict[str, Any] = {
            "path": self.path,
            "records": self.records,
            "median_ms": r(self.timing.median_ms) if self.timing else None,
            "p95_ms": r(self.timing.p95_ms) if self.timing else None,
            "floor_ms": r(self.floor.median_ms) if self.floor else None,
            "ratio": r(self.ratio),
            "target": self.target.describe(),
            "met": self.met,
            "p99_ms": r(self.timing.p99_ms) if self.timing else None,
            "samples": len(self.timing.samples_ms) if self.timing else 0,
        }
        if self.peak_rss_mb is not None:
            data["peak_rss_mb"] = r(self.peak_rss_mb)
        if self.run_ratios:
            data["run_ratios"] = [round(r, 3) for r in self.run_ratios]
        if self.note:
            data["note"] = self.note
        if self.error is not None:
            data["error"] = self.error
        data.update(self.extra)
        return data


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def format_table(rows: Iterable[Row]) -> str:
    """A Markdown table (readable in a terminal, pasteable into README.md)."""
    header = "| path | records | median ms | p95 ms | floor ms | ratio | target | met |"
    lines = [header, "|---|---:|---:|---:|---:|---:|---|:-:|"]
    for row in rows:
        records = "–" if row.records is None else f"{row.records:,}"
        if row.error is not None:
            median, p95 = f"error: {row.error}", ""
        elif row.peak_rss_mb is not None and row.timing is None:
            median, p95 = f"{row.peak_rss_mb:.0f} MB", ""
        else:
            median = _fmt(row.timing.median_ms if row.timing else None)
            p95 = _fmt(row.timing.p95_ms if row.timing else None)
            if row.target.stat == "p99" and row.timing is not None:
                p95 += f" (p99 {row.timing.p99_ms:.1f})"
        ratio = "–" if row.ratio is None else f"{row.ratio:.2f}×"
        floor = _fmt(row.floor.median_ms if row.floor else None)
        lines.append(
            f"| {row.path} | {records} | {median} | {p95} | {floor} | {ratio} | {row.target.describe()} | "
            f"{'yes' if row.met else 'NO'} |"
        )
    return "\n".join(lines)


def machine_info() -> dict[str, Any]:
    """Cores, CPU model, memory, Python, Qt and SQLite versions (Qt read without starting an app)."""
    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        import PySide6
        from PySide6 import QtCore

        info["pyside6"] = PySide6.__version__
        info["qt"] = QtCore.qVersion()
    except ImportError:
        info["qt"] = None
    for dist in ("reportlab", "pyHanko", "cryptography"):
        try:
            from importlib.metadata import version

            info[dist.lower()] = version(dist)
        except Exception:
            info[dist.lower()] = None
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def describe_machine(info: dict[str, Any]) -> str:
    return (
        f"{info['cores']} cores ({info['cpu']}), {info['memory_gb']} GB RAM, {info['os']}; "
        f"Python {info['python']}, Qt {info['qt']} (PySide6 {info.get('pyside6')}), SQLite {info['sqlite']}, "
        f"reportlab {info.get('reportlab')}, pyHanko {info.get('pyhanko')}"
    )


def write_results(path: Path, rows: list[Row], info: dict[str, Any], *, smoke: bool, seconds: float) -> None:
    document = {
        "machine": info,
        "smoke": smoke,
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "duration_s": round(seconds, 1),
        "rows": [row.as_json() for row in rows],
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
