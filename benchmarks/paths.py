"""The user-facing paths, each measured with DSVDesk's real code beside its floor (benchmarks/floors.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import floors
from benchmarks.data import OFFICER, SUPERVISOR, BenchDatabase, investigation_form
from benchmarks.harness import Row, Target, Timing, time_calls, time_pair

CHILDREN = Path(__file__).resolve().parent / "children"


@dataclass
class Config:
    smoke: bool
    large: int
    small: int
    cold_runs: int
    saves: int
    keystrokes: int
    wizard_opens: int
    list_runs: int
    sign_runs: int
    parta_runs: int

    @classmethod
    def full(cls) -> Config:
        return cls(
            smoke=False,
            large=100_000,
            small=1_000,
            cold_runs=12,
            saves=300,
            keystrokes=300,
            wizard_opens=15,
            list_runs=60,
            sign_runs=12,
            parta_runs=8,
        )

    @classmethod
    def smoke_run(cls) -> Config:
        return cls(
            smoke=True,
            large=2_000,
            small=200,
            cold_runs=3,
            saves=20,
            keystrokes=20,
            wizard_opens=3,
            list_runs=5,
            sign_runs=2,
            parta_runs=2,
        )


@dataclass
class Context:
    config: Config
    folder: Path
    databases: dict[int, BenchDatabase] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # An installed app runs from compiled bytecode; with PYTHONDONTWRITEBYTECODE set (as on some dev
    # machines) every start would recompile every module and the cold-start row would measure the compiler.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _open_store(db: BenchDatabase) -> Any:
    from dsvdesk.store import Store

    return Store.open(db.path)


def _raw_connection(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection with the store's own pragmas (the floor's connection)."""
    from dsvdesk.store import db

    conn = sqlite3.connect(path, isolation_level=None)
    db.apply_pragmas(conn)
    return conn


def _complete_record(store: Any, session: Any, status: str = "approved") -> Any:
    """A complete 124D (the newest approved record), opened as its reader would."""
    rows = store.list_records(session, status=status, limit=1)
    if not rows:
        raise RuntimeError(f"the benchmark database has no {status} record")
    return store.open_record(session, rows[0].id, justification="Benchmark")


# ------------------------------------------------------------------------------------ cold start


def bench_cold_start(ctx: Context) -> list[Row]:
    db = ctx.databases[ctx.config.large]
    ours_argv = [sys.executable, str(CHILDREN / "app_start.py"), str(db.path)]
    ours_t, floor_t = _process_pair(ours_argv, ctx)
    return [
        Row(
            "cold start to login window shown (separate process, offscreen)",
            db.records,
            Target(max_ms=1000, max_ratio=1.5),
            timing=ours_t,
            floor=floor_t,
            note=f"first window painted: {ours_t.extra}; wall time from spawn, page cache warm",
        )
    ]


@dataclass(frozen=True)
class _ProcessTiming(Timing):
    extra: str = ""


def _process_pair(ours_argv: list[str], ctx: Context) -> tuple[_ProcessTiming, Timing]:
    ours_ms: list[float] = []
    floor_ms: list[float] = []
    first_window = ""
    floor_argv = [sys.executable, str(CHILDREN / "bare_window.py")]
    # one unmeasured run of each warms the page cache, as a second start on a user's PC would be
    floors.time_to_marker(floor_argv, env=ctx.env)
    floors.time_to_marker(ours_argv, env=ctx.env)
    for i in range(ctx.config.cold_runs):
        pair = [(floor_argv, floor_ms), (ours_argv, ours_ms)]
        for argv, bucket in pair if i % 2 == 0 else reversed(pair):
            elapsed, line = floors.time_to_marker(argv, env=ctx.env)
            bucket.append(elapsed)
            if argv is ours_argv:
                first_window = line.removeprefix("SHOWN ").strip()
    return _ProcessTiming(tuple(ours_ms), extra=first_window), Timing(tuple(floor_ms))


# ------------------------------------------------------------------------------------ autosave


def bench_autosave(ctx: Context) -> list[Row]:
    return [
        _autosave_at(ctx, ctx.databases[records]) for records in sorted({ctx.config.small, ctx.config.large})
    ]


def _autosave_at(ctx: Context, db: BenchDatabase) -> Row:
    from dsvdesk.engine.spec import QuestionType

    store = _open_store(db)
    try:
        session = store.login(OFFICER.username, OFFICER.password)
        drafts = store.list_records(session, status="draft", limit=2)
        if len(drafts) < 2:
            raise RuntimeError("the benchmark database needs two drafts of the benchmark officer")
        record = store.open_record(session, drafts[0].id)
        # The floor writes the same document into ANOTHER draft: a raw write into the record being
        # edited would be a second writer changing it behind the store's back, which the store must
        # (and does) detect by re-reading and re-evaluating the row; nothing does that in real use.
        floor_id = drafts[1].id
        question = next(
            q
            for _s, _p, q in record.spec.iter_questions()
            if q.type is QuestionType.LONGTEXT and q.id in record.answers
        )
        text = str(record.answers[question.id])
        state = {"version": record.version, "n": 0}
        answers = dict(record.answers)
        raw = _raw_connection(db.path)

        def ours() -> None:
            state["n"] += 1
            value = f"{text} {state['n']}"  # one more keystroke's worth of text, as the wizard saves it
            state["version"] = store.save_answer(session, record.id, question.id, value, state["version"])

        def floor() -> None:
            state["n"] += 1
            answers[question.id] = f"{text} {state['n']}"
            with raw:
                raw.execute(
                    "UPDATE records SET answers_json = ?, updated_at = ? WHERE id = ?",
                    (json.dumps(answers, ensure_ascii=False), dt.datetime.now(dt.UTC).isoformat(), floor_id),
                )

        ours_t, floor_t = time_pair(ours, floor, ctx.config.saves, warmup=3)
        raw.close()
    finally:
        store.close()
    return Row(
        f"autosave one answer, DB with {db.records:,} records",
        db.records,
        Target(max_ms=10, stat="p99", max_ratio=3),
        timing=ours_t,
        floor=floor_t,
        note="floor: raw sqlite3 UPDATE of the same JSON document (into another draft), WAL, same pragmas "
        "(synchronous=FULL)",
    )


# ------------------------------------------------------------------------------------ completeness


def bench_keystroke(ctx: Context) -> list[Row]:
    from dsvdesk.engine.completeness import evaluate
    from dsvdesk.engine.spec import QuestionType

    db = ctx.databases[ctx.config.small]
    store = _open_store(db)
    try:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        record = _complete_record(store, session)
    finally:
        store.close()
    spec = record.spec
    answers = dict(record.answers)
    question = next(
        q for _s, _p, q in spec.iter_questions() if q.type is QuestionType.LONGTEXT and q.id in answers
    )
    counter = {"n": 0}

    def keystroke() -> None:
        counter["n"] += 1
        answers[question.id] = f"{answers[question.id]}x"
        evaluate(spec, answers, audiences=("author",))

    timing = time_calls(keystroke, ctx.config.keystrokes, warmup=5)
    return [
        Row(
            "completeness + rules on one keystroke, full 124D",
            None,
            Target(max_ms=5),
            timing=timing,
            note=f"{len(answers)} answers",
        )
    ]


# ------------------------------------------------------------------------------------ wizard


def bench_wizard_open(ctx: Context) -> list[Row]:
    from PySide6.QtCore import QEvent, QObject, qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    from dsvdesk.ui.app import apply_look, ensure_application
    from dsvdesk.ui.wizard.form_wizard import FormWizard

    def quiet(_mode: object, _context: object, message: str) -> None:
        # the offscreen platform's known, harmless notice (docs/stack.md §2a); anything else shows
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(quiet)
    app = ensure_application()
    apply_look(app)
    db = ctx.databases[ctx.config.large]
    store = _open_store(db)
    try:
        session = store.login(OFFICER.username, OFFICER.password)
        # the officer's newest approved record: complete, every page filled
        rows = store.list_records(session, status="approved", limit=1)
        record_id = rows[0].id

        class Painted(QObject):
            seen = False

            def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    self.seen = True
                return False

        opened: list[Any] = []

        def open_record() -> None:
            record = store.open_record(session, record_id)
            wizard = FormWizard(record.spec, record.answers, audiences=("author",), read_only=True)
            watcher = Painted()
            wizard.installEventFilter(watcher)
            wizard.resize(1100, 760)
            wizard.show()
            for _ in range(200):
                QApplication.processEvents()
                if watcher.seen:
                    break
            opened.append(wizard)

        def close_all() -> None:
            while opened:
                w = opened.pop()
                w.close()
                w.deleteLater()
            QApplication.processEvents()

        samples = []
        import time

        open_record()
        close_all()
        for _ in range(ctx.config.wizard_opens):
            start = time.perf_counter()
            open_record()
            samples.append((time.perf_counter() - start) * 1000)
            close_all()
    finally:
        store.close()
    return [
        Row(
            "open a complete 124D in the wizard (to first page shown)",
            db.records,
            Target(max_ms=300),
            timing=Timing(tuple(samples)),
            note="store.open_record + FormWizard built, shown and painted",
        )
    ]


# ------------------------------------------------------------------------------------ lists


def _capture_sql(store: Any, action: Callable[[], object]) -> list[str]:
    """The SQL statements (parameters expanded) the store runs for ``action``."""
    statements: list[str] = []
    # the benchmark reads the store's own statements to replay them raw
    with store.read() as conn:
        conn.set_trace_callback(statements.append)
    try:
        action()
    finally:
        conn.set_trace_callback(None)
    return [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def bench_lists(ctx: Context) -> list[Row]:
    from dsvdesk.ui.models.records import PAGE_SIZE

    db = ctx.databases[ctx.config.large]
    store = _open_store(db)
    rows: list[Row] = []
    try:
        session = store.login(OFFICER.username, OFFICER.password)
        newest = store.list_records(session, limit=1)[0]
        surname = str(newest.victim_name or "").split()[-1]

        def first_page() -> None:
            store.count_records(session)
            store.list_records(session, limit=PAGE_SIZE)

        def search() -> None:
            store.count_records(session, search=surname)
            store.list_records(session, search=surname, limit=PAGE_SIZE)

        for label, action in (("home list first page", first_page), (f"name search ('{surname}')", search)):
            statements = [
                s for s in _capture_sql(store, action) if "FROM records" in s or "from records" in s
            ]
            raw = _raw_connection(db.path)

            def floor(statements: list[str] = statements, raw: sqlite3.Connection = raw) -> None:
                for sql in statements:
                    raw.execute(sql).fetchall()

            ours_t, floor_t = time_pair(action, floor, ctx.config.list_runs, warmup=2)
            raw.close()
            rows.append(
                Row(
                    f"{label} at {db.records:,} records",
                    db.records,
                    Target(max_ms=100, max_ratio=2),
                    timing=ours_t,
                    floor=floor_t,
                    note=f"count + page of {PAGE_SIZE}; floor replays the store's {len(statements)} SQL statements raw",
                )
            )
    finally:
        store.close()
    return rows


# ------------------------------------------------------------------------------------ PDF


def _story(spec: Any, answers: Mapping[str, Any]) -> list[floors.StoryPage]:
    """The same content as the record PDF, flattened to (page title, [(number, label, answer)])."""
    from dsvdesk.engine.completeness import visible_answers
    from dsvdesk.engine.spec import QuestionType

    shown = visible_answers(spec, answers)
    pages: list[floors.StoryPage] = []
    for page in spec.pages:
        lines: list[tuple[str, str, str]] = []
        for q in page.questions:
            if q.id not in shown:
                continue
            value = shown[q.id]
            if q.type is QuestionType.REPEAT and isinstance(value, list):
                for n, item in enumerate(value, start=1):
                    text = "; ".join(
                        f"{f.label}: {f.choice_label(item[f.id])}" for f in q.fields if f.id in item
                    )
                    lines.append((q.number, f"{q.item_label or q.label} {n}", text))
            elif isinstance(value, list):
                lines.append((q.number, q.label, ", ".join(q.choice_label(v) for v in value)))
            elif isinstance(value, dict):
                lines.append((q.number, q.label, "; ".join(f"{k}: {', '.join(v)}" for k, v in value.items())))
            else:
                lines.append((q.number, q.label, str(q.choice_label(value))))
            if q.comment and q.comment_id in shown:
                lines.append(("", q.comment_label, str(shown[q.comment_id])))
        if lines:
            pages.append((page.title, lines))
    return pages


def bench_render_sign(ctx: Context) -> list[Row]:
    import logging

    from dsvdesk.export.pdf import HistoryEntry, RecordMeta, render_record_pdf
    from dsvdesk.export.signing import OFFICER_FIELD, SUBMIT_REASON, prepare_signature_fields, sign_pdf

    logging.getLogger("fontTools").setLevel(logging.ERROR)  # "FFTM NOT subset" lines, on both sides
    db = ctx.databases[ctx.config.small]
    store = _open_store(db)
    try:
        session = store.login(OFFICER.username, OFFICER.password)
        record = _complete_record(store, session, status="approved")
        identity = store.unlock_signing_identity(session, OFFICER.password)
    finally:
        store.close()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    meta = RecordMeta(
        form_title=record.spec.title,
        form_version=record.spec.version,
        record_id=record.id,
        status="submitted",
        revision=record.revision,
        document_date=now,
        station="Bench station",
        officer=record.owner_name,
    )
    history = [
        HistoryEntry("created", record.owner_name, now),
        HistoryEntry("submitted", record.owner_name, now),
    ]
    bare_signer = floors.BareSigner.create()
    story = _story(record.spec, record.answers)
    marking = record.spec.marking

    def ours() -> None:
        pdf = render_record_pdf(record.spec, record.answers, meta, history)
        sign_pdf(
            prepare_signature_fields(pdf),
            identity,
            field=OFFICER_FIELD,
            reason=SUBMIT_REASON,
            location="Bench station",
            stamp_lines=[record.owner_name, SUBMIT_REASON],
        )

    def floor() -> None:
        bare_signer.sign(floors.bare_story_pdf(record.spec.title, marking, story))

    ours_t, floor_t = time_pair(ours, floor, ctx.config.sign_runs, warmup=1)
    return [
        Row(
            "render + sign one complete 124D",
            None,
            Target(max_ms=500, max_ratio=1.3),
            timing=ours_t,
            floor=floor_t,
            note="floor: reportlab story of the same answers + pyHanko sign (both DejaVu embedded)",
        )
    ]


# ------------------------------------------------------------------------------------ Part A


def bench_part_a(ctx: Context) -> list[Row]:
    from dsvdesk.reporting.pack import part_a_from_store
    from dsvdesk.reporting.parta import Period

    db = ctx.databases[ctx.config.large]
    spec = investigation_form()
    store = _open_store(db)
    try:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        today = dt.date.today()
        period = Period(today.replace(year=today.year - 1) + dt.timedelta(days=1), today)
        figures: list[Any] = []
        timing = time_calls(
            lambda: figures.append(part_a_from_store(store, session, period, spec=spec)),
            ctx.config.parta_runs,
            warmup=1,
        )
    finally:
        store.close()
    part_a = figures[-1]
    return [
        Row(
            f"Part A figures for 12 months over {db.records:,} records",
            db.records,
            Target(max_ms=1000),
            timing=timing,
            note=f"{getattr(part_a, 'records', '?')} records in the period, "
            f"{len(getattr(part_a, 'repeat_matches', ()))} repeat-victim matches",
        )
    ]


# ------------------------------------------------------------------------------------ memory


def bench_peak_memory(ctx: Context) -> list[Row]:
    db = ctx.databases[ctx.config.large]
    result = subprocess.run(
        [sys.executable, str(CHILDREN / "app_scroll.py"), str(db.path), OFFICER.username, OFFICER.password],
        capture_output=True,
        text=True,
        env=ctx.env,
        timeout=900,
        check=False,
    )
    line = next((x for x in result.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-6:])
        raise RuntimeError(f"the app did not report its memory: {tail}")
    values = dict(part.split("=", 1) for part in line.split()[1:])
    return [
        Row(
            "peak memory, app with the list scrolled end to end",
            db.records,
            Target(max_mb=300),
            peak_rss_mb=float(values["peak_rss_mb"]),
            note=f"{int(values['rows']):,} rows loaded in the list",
        )
    ]


# ------------------------------------------------------------------------------------ data


def bench_generation(ctx: Context) -> list[Row]:
    db = ctx.databases[ctx.config.large]
    return [
        Row(
            f"demo --records {db.records:,} (bulk data, one transaction)",
            db.records,
            Target(max_ms=60_000),
            timing=Timing((db.build_seconds * 1000,)),
            note="one run: the database every other row uses",
        )
    ]


BENCHES: list[tuple[str, Callable[[Context], list[Row]]]] = [
    ("generation", bench_generation),
    ("cold-start", bench_cold_start),
    ("autosave", bench_autosave),
    ("keystroke", bench_keystroke),
    ("wizard", bench_wizard_open),
    ("lists", bench_lists),
    ("render-sign", bench_render_sign),
    ("part-a", bench_part_a),
    ("memory", bench_peak_memory),
]
