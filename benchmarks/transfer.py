"""Issue 17's rows: transfer bundles and force HQ on PostgreSQL.

- bundle export and import of 10,000 records (MB/s, records/s) beside a plain file copy of the bundle
  and a raw INSERT of the same answers documents into a fresh SQLCipher table;
- CSU Part A over 5 stations x 20,000 records (target < 1 s), beside the store's own SELECTs replayed;
- HQ ingest of the 5 stations' bundles (100,000 records) beside a COPY of the same number of rows;
- force-wide Part A over 1,000,000 records on PostgreSQL (target < 2 s): the ingested records copied
  across 32 boroughs and ten years by SQL, beside the grouped read alone.

PostgreSQL: $DSVDESK_BENCH_PG (a URL of an empty database), else a throw-away cluster as the tests make
(tests/helpers/postgres.py); without PostgreSQL the HQ rows say why.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path
from typing import Any

from benchmarks.data import OFFICER, SUPERVISOR, investigation_form
from benchmarks.harness import Row, Target, Timing, time_pair
from benchmarks.paths import Context, _capture_sql, _raw_connection

STATIONS = 5
BOROUGHS = 32
FORCE_RECORDS = 1_000_000
HQ_PASSPHRASE = "benchmark hq passphrase"  # noqa: S105 - a throw-away benchmark database


def _admin() -> Any:
    from dsvdesk import demo

    return next(a for a in demo.DEMO_ACCOUNTS if a.role == "admin")


def _unit(folder: Path, code: str, records: int, seed: int) -> Path:
    """A demo station database with ``records`` bulk records, station code ``code`` and a transfer key."""
    from dsvdesk import demo
    from dsvdesk.store import Store

    path = folder / f"{code}.sqlite3"
    admin = _admin()
    with Store.open(path, create=True) as store:
        demo.create_demo_station(store, station=f"Bench {code}")
        session = store.login(admin.username, admin.password)
        store.update_settings(session, station_code=code)
    if records:
        demo.bulk_insert_records(
            path, investigation_form(), count=records, seed=seed, owners=(OFFICER.username,)
        )
    with Store.open(path) as store:
        store.create_transfer_unit(store.login(admin.username, admin.password), admin.password)
    return path


def _register(a: Path, b: Path, *, kind_of_b: str) -> None:
    """``a`` registers ``b`` (by fingerprint)."""
    from dsvdesk.store import Store

    admin = _admin()
    with Store.open(b) as other:
        other.login(admin.username, admin.password)
        data, fingerprint = other.transfer_unit_file(), other.transfer_unit_fingerprint()
    with Store.open(a) as store:
        store.add_transfer_peer(
            store.login(admin.username, admin.password), data, kind=kind_of_b, fingerprint=fingerprint
        )


def _copy(source: Path, target: Path) -> Path:
    from dsvdesk.store import keys

    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    shutil.copyfile(keys.keyfile_path(source), keys.keyfile_path(target))
    key = keys.key_for(source)
    if key is not None:
        keys.remember(target, key)
    return target


def _export(path: Path, to: str, out: Path) -> Any:
    from dsvdesk.store import Store

    with Store.open(path) as store:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        return store.export_bundle(session, to, out, SUPERVISOR.password)


def _import(path: Path, bundle: Path) -> Any:
    from dsvdesk.store import Store

    with Store.open(path) as store:
        return store.import_bundle(store.login(SUPERVISOR.username, SUPERVISOR.password), bundle)


def bench_transfer(ctx: Context) -> list[Row]:
    smoke = ctx.config.smoke
    n_export = 1_000 if smoke else 10_000
    per_station = 400 if smoke else 20_000
    folder = ctx.folder / "transfer"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    print(
        f"  building {STATIONS} stations x {per_station:,} records, a {n_export:,}-record station, a CSU ...",
        flush=True,
    )
    csu = _unit(folder, "CSU", 0, 0)
    sender = _unit(folder, "EXP", n_export, 901)
    stations = [_unit(folder, f"S{i}", per_station, 910 + i) for i in range(STATIONS)]
    for station in (sender, *stations):
        _register(station, csu, kind_of_b="csu")
        _register(csu, station, kind_of_b="station")
    rows = [*_bundle_rows(ctx, folder, sender, csu, n_export)]
    rows += _csu_part_a(ctx, folder, stations, csu, per_station)
    rows += _hq_rows(ctx, folder, stations, per_station)
    return rows


def _bundle_rows(ctx: Context, folder: Path, sender: Path, csu: Path, records: int) -> list[Row]:
    bundles: list[Path] = []

    def export() -> None:
        out = folder / f"exp-{len(bundles)}.dsvbundle"
        _export(sender, "CSU", out)
        bundles.append(out)

    def copy_floor() -> None:
        target = folder / "copy.bin"
        target.unlink(missing_ok=True)
        shutil.copyfile(bundles[0], target)
        with open(target, "rb+") as handle:
            os.fsync(handle.fileno())

    export()  # the first bundle, for the floor and the imports
    runs = 2 if ctx.config.smoke else 3
    ours, floor = time_pair(export, copy_floor, runs, warmup=0)
    size_mb = bundles[0].stat().st_size / 1e6
    export_row = Row(
        f"Transfer bundle export, {records:,} records",
        records,
        Target(max_ratio=None),
        timing=ours,
        floor=floor,
        note=f"{size_mb:.1f} MB bundle: {size_mb / (ours.median_ms / 1000):.1f} MB/s, "
        f"{records / (ours.median_ms / 1000):,.0f} records/s (signed, zlib, AES-GCM to the CSU's key, one "
        "transaction with the disclosure and checkpoint); floor: a plain copy of the bundle file",
    )

    answers = _answers_of(sender)
    copies = iter(range(100))

    def import_once() -> None:
        target = _copy(csu, folder / f"csu-import-{next(copies)}.sqlite3")
        _import(target, bundles[0])

    def insert_floor() -> None:
        from dsvdesk.store import db, keys

        path = folder / f"floor-{next(copies)}.sqlite3"
        key = keys.new_key()
        conn = db.raw_connect(path, key)
        db.apply_pragmas(conn)
        conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, answers TEXT NOT NULL)")
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO t VALUES (?, ?)", answers)
        conn.execute("COMMIT")
        conn.close()

    ours_i, floor_i = time_pair(import_once, insert_floor, runs, warmup=0)
    import_row = Row(
        f"Transfer bundle import, {records:,} records",
        records,
        Target(max_ratio=None),
        timing=ours_i,
        floor=floor_i,
        note=f"{size_mb / (ours_i.median_ms / 1000):.1f} MB/s, {records / (ours_i.median_ms / 1000):,.0f} records/s "
        "(decrypt, verify, merge by id and version vector with every derived column and search row, one "
        "transaction); floor: a raw INSERT of the same answers documents into a fresh SQLCipher table",
    )
    return [export_row, import_row]


def _answers_of(path: Path) -> list[tuple[str, str]]:
    conn = _raw_connection(path)
    try:
        return [(str(r[0]), str(r[1])) for r in conn.execute("SELECT id, answers_json FROM records")]
    finally:
        conn.close()


def _period() -> Any:
    from dsvdesk.reporting.parta import Period

    today = dt.date.today()
    return Period(today.replace(year=today.year - 1) + dt.timedelta(days=1), today)


def _csu_part_a(ctx: Context, folder: Path, stations: list[Path], csu: Path, per_station: int) -> list[Row]:
    from dsvdesk.reporting.pack import read_part_a
    from dsvdesk.store import Store

    target = _copy(csu, folder / "csu-all.sqlite3")
    for i, station in enumerate(stations):
        out = folder / f"s{i}-csu.dsvbundle"
        _export(station, "CSU", out)
        _import(target, out)
    spec = investigation_form()
    period = _period()
    with Store.open(target) as store:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        figures: list[Any] = []

        def ours() -> None:
            figures.append(read_part_a(store, session, period, spec=spec))

        statements = _capture_sql(store, ours)
        raw = _raw_connection(target)

        def floor() -> None:
            for sql in statements:
                raw.execute(sql).fetchall()

        ours_t, floor_t = time_pair(ours, floor, ctx.config.parta_runs, warmup=1)
        raw.close()
    total = per_station * len(stations)
    return [
        Row(
            f"CSU Part A, {len(stations)} stations x {per_station:,} records",
            total,
            Target(max_ms=1000),
            timing=ours_t,
            floor=floor_t,
            note=f"{figures[-1].records:,} approved records in the 12 months; {'; '.join(figures[-1].coverage)[:160]}; "
            "floor replays the store's own SELECTs on a raw SQLCipher connection",
        )
    ]


# ------------------------------------------------------------------------------------------- HQ
def _hq_url() -> tuple[str | None, Any, str]:
    url = os.environ.get("DSVDESK_BENCH_PG")
    if url:
        return url, None, ""
    try:
        from tests.helpers import postgres
    except ImportError:
        return None, None, "set DSVDESK_BENCH_PG (tests/helpers/postgres.py is not here)"
    if postgres.server_bin() is None:
        return None, None, postgres.SKIP_REASON
    cluster = postgres.start_cluster()
    return cluster.new_database("bench_hq"), cluster, ""


def _hq_rows(ctx: Context, folder: Path, stations: list[Path], per_station: int) -> list[Row]:
    from dsvdesk.hq import db as hq_db
    from dsvdesk.hq import unit
    from dsvdesk.store import Store

    url, cluster, why = _hq_url()
    total = per_station * len(stations)
    if url is None:
        return [
            Row(f"HQ ingest, {total:,} records", total, Target(), error=why),
            Row(
                f"HQ force-wide Part A, {FORCE_RECORDS:,} records",
                FORCE_RECORDS,
                Target(max_ms=2000),
                error=why,
            ),
        ]
    try:
        with hq_db.connect(url) as conn:
            hq_db.migrate(conn)
            published = unit.init_unit(conn, HQ_PASSPHRASE)
            admin = _admin()
            bundles = []
            for i, station in enumerate(stations):
                with Store.open(station) as store:
                    store.add_transfer_peer(
                        store.login(admin.username, admin.password),
                        published,
                        kind="hq",
                        fingerprint=unit.fingerprint(conn),
                    )
                    unit.add_unit(
                        conn,
                        store.transfer_unit_file(),
                        borough=f"Borough {i + 1}",
                        fingerprint=store.transfer_unit_fingerprint(),
                    )
                out = folder / f"s{i}-hq.dsvbundle"
                _export(station, "HQ", out)
                bundles.append(out)
            return [_hq_ingest(conn, bundles, total), _hq_force_part_a(ctx, conn)]
    finally:
        if cluster is not None:
            cluster.stop()


def _hq_ingest(conn: Any, bundles: list[Path], total: int) -> Row:
    from dsvdesk.hq import ingest, unit

    keys = unit.load_keys(conn, HQ_PASSPHRASE)
    started = time.perf_counter()
    for bundle in bundles:
        ingest.ingest(conn, keys, bundle)
    ours_ms = (time.perf_counter() - started) * 1000
    conn.execute("CREATE TEMP TABLE copy_floor (id text, sealed bytea)")
    payload = os.urandom(2048)
    started = time.perf_counter()
    with conn.cursor() as cursor, cursor.copy("COPY copy_floor (id, sealed) FROM STDIN") as copy:
        for i in range(total):
            copy.write_row((f"{i:032x}", payload))
    floor_ms = (time.perf_counter() - started) * 1000
    return Row(
        f"HQ ingest, {total:,} records ({len(bundles)} bundles)",
        total,
        Target(),
        timing=Timing((ours_ms,)),
        floor=Timing((floor_ms,)),
        note=f"{total / (ours_ms / 1000):,.0f} records/s (decrypt, verify, reporting values, HMAC victim index, "
        "AES-GCM sealed content, upsert by version vector); floor: COPY of as many (id, 2 KB) rows",
    )


def _hq_force_part_a(ctx: Context, conn: Any) -> Row:
    from dsvdesk.hq import figures

    wanted = 20_000 if ctx.config.smoke else FORCE_RECORDS
    held = int(conn.execute("SELECT count(*) FROM hq_records").fetchone()[0])
    copies = max(0, -(-wanted // max(held, 1)) - 1)
    with conn.transaction():
        # the ingested records copied across 32 boroughs and ten years back: a force's decade
        conn.execute(
            "INSERT INTO hq_records (id, station_id, borough, form_id, status, revision, vector, incident_date, "
            "shared, referral, victim_age, victim_key, sealed, updated_at) "
            "SELECT r.id || '-' || g, r.station_id, 'Borough ' || (1 + abs(g + hashtext(r.id)::bigint) %% %s), r.form_id, "
            "r.status, r.revision, r.vector, r.incident_date - (g %% 10) * 365, r.shared, r.referral, r.victim_age, "
            "CASE WHEN r.victim_key IS NULL THEN NULL ELSE r.victim_key || (g %% 10) END, '\\x00'::bytea, r.updated_at "
            "FROM hq_records r CROSS JOIN generate_series(1, %s) g "
            "LIMIT %s",
            (BOROUGHS, copies, max(0, wanted - held)),
        )
    # what autovacuum does to a table after inserts: statistics, and the visibility map that lets Part A's
    # index-only scans skip the table (a force's decade is not read the minute it was copied in)
    conn.execute("VACUUM ANALYZE hq_records")
    count = int(conn.execute("SELECT count(*) FROM hq_records").fetchone()[0])
    spec = investigation_form()
    period = _period()
    results: list[Any] = []

    def ours() -> None:
        results.append(figures.part_a(conn, spec, period))

    def floor() -> None:
        conn.execute(
            "SELECT shared, referral, count(*) FROM hq_records WHERE form_id = %s AND status = 'approved' "
            "AND incident_date BETWEEN %s AND %s GROUP BY 1, 2",
            (spec.id, period.start, period.end),
        ).fetchall()

    ours_t, floor_t = time_pair(ours, floor, ctx.config.parta_runs, warmup=1)
    return Row(
        f"HQ force-wide Part A, {count:,} records",
        count,
        Target(max_ms=2000),
        timing=ours_t,
        floor=floor_t,
        note=f"{results[-1].records:,} approved records in the 12 months across {BOROUGHS} boroughs "
        f"(ingested records copied by SQL to {count:,}); floor: the grouped read alone",
    )
