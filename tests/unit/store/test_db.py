"""Opening the database: migrations and every environment problem's message."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from dsvdesk.store import StorageBug, StorageUnavailable, Store, audit, db, keys
from tests.helpers.encrypted import copy_station, raw_connect
from tests.unit.store.conftest import Station

ROOT = Path(__file__).resolve().parents[3]


# --------------------------------------------------------------------------------------- migrations
def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}


def _at_version(tmp_path: Path, version: int) -> sqlite3.Connection:
    path, key = tmp_path / "m.sqlite3", keys.new_key()
    keys.remember(path, key)  # as after a sign-in: the later opens of this file know its key
    conn = db.connect(path, create=True, migrate_to=version, key=key)
    assert db.user_version(conn) == version
    return conn


def test_migration_0001_init(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 1)
    assert {
        "settings",
        "users",
        "station_ca",
        "ca_key_copies",
        "definitions",
        "records",
        "record_revisions",
        "signed_pdfs",
        "review_comments",
        "urn_counters",
        "audit_events",
        "audit_head",
        "audit_events_no_update",
        "audit_events_no_delete",
    } <= _tables(conn)
    assert conn.execute("SELECT last_id, last_hash, count FROM audit_head").fetchone() == (0, "", 0)
    conn.close()


def test_migration_0002_search(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 1)
    assert "records_fts" not in _tables(conn)
    db.migrate(conn, tmp_path / "m.sqlite3", target=2)
    assert db.user_version(conn) == 2
    conn.execute("INSERT INTO records_fts (rowid, names, refs) VALUES (1, 'Zoë Ångström', 'CAD1234')")
    assert conn.execute("SELECT rowid FROM records_fts WHERE records_fts MATCH 'angstrom'").fetchall() == [
        (1,)
    ]
    conn.close()


def test_every_migration_has_a_test() -> None:
    names = db.migration_names()
    assert sorted(names) == list(range(1, db.CURRENT_VERSION + 1))
    source = Path(__file__).read_text(encoding="utf-8")
    for name in names.values():
        stem = name.removesuffix(".sql")
        assert f"def test_migration_{stem}(" in source, f"migration {name} has no test_migration_{stem}"


def test_new_database_goes_through_the_whole_chain(tmp_path: Path) -> None:
    with Store.open(tmp_path / "new.sqlite3", create=True) as store:
        assert store.schema_version == db.CURRENT_VERSION
        conn = store._conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_failed_migration_step_leaves_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = _at_version(tmp_path, 1)
    real = db.migration_files()
    monkeypatch.setattr(
        db, "migration_files", lambda: {**real, 2: "CREATE TABLE half (x);\nTHIS IS NOT SQL;"}
    )
    with pytest.raises(db.driver.OperationalError):
        db.migrate(conn, tmp_path / "m.sqlite3", target=2)
    assert db.user_version(conn) == 1
    assert "half" not in _tables(conn)
    conn.close()


def test_split_statements_keeps_triggers_whole() -> None:
    script = "-- c\nCREATE TABLE a (x);\n\nCREATE TRIGGER t BEFORE DELETE ON a\nBEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    assert len(db.split_statements(script)) == 2
    with pytest.raises(StorageBug, match="incomplete"):
        db.split_statements("CREATE TABLE b (x)")


def test_newer_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {db.APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {db.CURRENT_VERSION + 1}")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageUnavailable, match="newer version of DSVDesk") as info:
        Store.open(path)
    assert info.value.reason == "too_new"
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


# --------------------------------------------------------------------------------------- environment
def test_text_file_as_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("These are my notes, not a database.\n" * 50)
    before = path.read_bytes()
    with pytest.raises(StorageUnavailable, match="is not a DSVDesk database") as info:
        Store.open(path)
    assert info.value.reason == "not_a_database" and str(path) in info.value.message
    assert path.read_bytes() == before


def test_directory_where_the_file_should_be(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    path.mkdir()
    with pytest.raises(StorageUnavailable, match="is a folder, not a database file") as info:
        Store.open(path, create=True)
    assert info.value.reason == "is_directory"


def test_missing_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StorageUnavailable, match="does not exist") as info:
        Store.open(tmp_path / "nowhere" / "db.sqlite3", create=True)
    assert info.value.reason == "missing_directory"
    with pytest.raises(StorageUnavailable, match="dsvdesk init") as info:
        Store.open(tmp_path / "absent.sqlite3")
    assert info.value.reason == "missing"
    assert not (tmp_path / "absent.sqlite3").exists()


def test_hostile_file_names_are_not_uri_options(tmp_path: Path) -> None:
    path = tmp_path / "weird ?mode=ro&cache=shared #1 %20.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Trial", "boss", "Ada Admin", "correct horse battery")
    assert path.exists()
    assert Store.open(path).is_initialised()


def test_a_change_watcher_sees_every_other_connections_commit_and_a_file_copied_over(
    station: Station, tmp_path: Path
) -> None:
    """db.ChangeWatcher (what lets the session's Stores share a name sort): the same version while
    nothing is committed (reads change nothing), another after any other connection commits, none
    (cannot tell) once the file is another file or the watcher is closed; it holds the "in use" lock."""
    store, off1 = station.store, station["off1"]  # signed in: the database key is in memory
    key = keys.key_for(station.path)
    assert key is not None
    watcher = db.ChangeWatcher(station.path, key)
    try:
        first = watcher.version()
        assert first is not None and watcher.version() == first
        with store.read() as conn:
            conn.execute("SELECT count(*) FROM records").fetchone()
        assert watcher.version() == first
        store.create_record(off1, station.spec, {"victim_name": "Ada"})  # a commit by the Store
        second = watcher.version()
        assert second is not None and second != first and watcher.version() == second
        other = raw_connect(station.path)  # a connection outside DSVDesk's code
        other.execute("UPDATE settings SET value = value WHERE key = 'station_name'")
        other.execute("INSERT INTO settings (key, value) VALUES ('watched', '1')")
        other.close()
        assert watcher.version() not in (None, second)
        assert db.in_use(station.path)
        copy = tmp_path / "copy.sqlite3"
        shutil.copyfile(station.path, copy)
        os.replace(copy, station.path)  # the file copied over (a restore refuses while it is in use)
        assert watcher.version() is None
    finally:
        watcher.close()
    assert watcher.version() is None


def test_locked_by_another_connections_write_transaction(station: Station) -> None:
    blocker = raw_connect(station.path)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("INSERT INTO settings (key, value) VALUES ('x', '1')")
    try:
        with Store.open(station.path, busy_timeout_ms=50) as store:
            with pytest.raises(StorageUnavailable, match="is busy: another DSVDesk") as info:
                store.login("off1", "correct horse battery")
            assert info.value.reason == "locked" and str(station.path) in info.value.message
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_disk_full(station: Station) -> None:
    store = station.store
    session = station["off1"]
    ref = store.create_record(session, station.spec)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow: SQLITE_FULL
    with pytest.raises(StorageUnavailable, match=r"disk holding .* is full") as info:
        store.save_answer(session, ref.id, "statement", "x" * 400_000, ref.version)
    assert info.value.reason == "full"
    store._conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.open_record(session, ref.id).version == ref.version  # nothing half-written
    assert store.verify_audit().ok


def test_corrupt_database(tmp_path: Path, template_db: Path) -> None:
    path = copy_station(template_db, tmp_path / "broken.sqlite3", unlocked=False)
    data = bytearray(template_db.read_bytes())
    data[4096 * 2 : 4096 * 6] = b"\xde\xad\xbe\xef" * 4096  # smash a few pages after the header
    path.write_bytes(bytes(data))
    with pytest.raises(StorageUnavailable) as info:
        store = Store.open(path)
        try:
            store.login("off1", "correct horse battery")
            store.list_users(store.login("admin", "correct horse battery"))
        finally:
            store.close()
    assert info.value.reason in {"corrupt", "not_a_database"}
    assert "restore" in info.value.message or "not a DSVDesk database" in info.value.message


READ_ONLY_PROBE = """
import sys
from dsvdesk.store import Store, StorageUnavailable
try:
    store = Store.open(sys.argv[1])
    store.login("off1", "correct horse battery")
except StorageUnavailable as exc:
    print(exc.reason)
    print(exc.message)
    raise SystemExit(0)
raise SystemExit("opened a read-only database for writing without complaint")
"""


def _without_root_powers(argv: list[str]) -> list[str]:
    """Root ignores file modes; drop the capabilities that let it, so the probe meets the read-only folder
    as an ordinary user would."""
    if os.geteuid() != 0:
        return argv
    capsh = shutil.which("capsh")
    if capsh is None:
        pytest.skip("running as root without capsh: cannot make a folder read-only for this process")
    drop = "--drop=cap_dac_override,cap_dac_read_search,cap_fowner"
    return [capsh, drop, "--", "-c", 'exec "$0" "$@"', *argv]


def test_read_only_directory(template_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    path = folder / "station.sqlite3"
    path.write_bytes(template_db.read_bytes())
    keys.keyfile_path(path).write_bytes(keys.keyfile_path(template_db).read_bytes())
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)  # noqa: S103 - read-only on purpose
    try:
        result = subprocess.run(
            _without_root_powers([sys.executable, "-c", READ_ONLY_PROBE, str(path)]),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert result.returncode == 0, result.stderr + result.stdout
        reason, message = result.stdout.splitlines()[:2]
        assert reason in {"readonly", "cannot_open"}
        assert str(path) in message and ("read-only" in message or "cannot open" in message)
        assert path.read_bytes() == template_db.read_bytes()
    finally:
        os.chmod(folder, 0o755)  # noqa: S103 - restored for clean-up
        os.chmod(path, 0o644)


def test_unknown_sql_errors_are_bugs(station: Station) -> None:
    with pytest.raises(StorageBug):
        with db.translate_errors(station.path):
            station.store._conn.execute("SELECT * FROM no_such_table")


def test_another_programs_sqlite_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "places.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE moz_places (url TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StorageUnavailable, match="database of another program") as info:
        Store.open(path)
    assert info.value.reason == "not_a_database" and path.read_bytes() == before


def test_dsvdesk_databases_carry_the_application_id(tmp_path: Path) -> None:
    with Store.open(tmp_path / "a.sqlite3", create=True) as store:
        assert store._conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID


def test_migration_0003_application_id(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 2)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0
    assert db.is_dsvdesk_database(conn)  # a database made before the mark is still recognised
    conn.close()
    with Store.open(tmp_path / "m.sqlite3") as store:  # ... and opened and migrated
        conn = store._conn
        assert store.schema_version == db.CURRENT_VERSION  # 0003 and every later step
        assert conn.execute("PRAGMA application_id").fetchone()[0] == db.APPLICATION_ID
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert "records_editor_updated" not in indexes and "records_owner_updated" in indexes


def test_migration_0004_part_a_index(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 3)
    db.migrate(conn, tmp_path / "m.sqlite3", target=4)
    assert db.user_version(conn) == 4
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"records_part_a", "audit_events_combination"} <= indexes
    # Part A's period query reads the index alone, never the rows with their answers documents
    plan = " ".join(
        str(r)
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, status, incident_date, json_extract(columns_json, '$.grade') "
            "FROM records WHERE form_id = ? AND incident_date >= ? AND incident_date < ?",
            ("f", "a", "b"),
        )
    )
    assert "COVERING INDEX records_part_a" in plan, plan
    # the combination look-up index holds combination events only
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_events_combination'").fetchone()[0]
    assert "WHERE event = 'combination'" in sql
    conn.close()


def test_migration_0007_erasure_and_audit_key(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 6)
    db.migrate(conn, tmp_path / "m.sqlite3", target=7)
    assert conn.execute("SELECT v FROM records_fts_config WHERE k = 'secure-delete'").fetchone() == (1,)
    secret = conn.execute("SELECT key FROM audit_value_key").fetchall()
    assert len(secret) == 1 and len(bytes(secret[0][0])) == 32
    conn.close()
    other = db.connect(tmp_path / "n.sqlite3", create=True, key=keys.new_key())
    assert other.execute("SELECT key FROM audit_value_key").fetchone() != secret[0]  # one per database
    other.close()


MY_FORMS_SORTS = (
    "victim_name",
    "incident_date",
    "status",
    "grade",
    "yes_count",
    "completeness",
    "updated_at",
)


def test_migration_0008_sort_indexes(tmp_path: Path) -> None:
    """An officer's list sorted by any column of My forms reads its page in order from an index (no
    temporary sort of every row the officer owns)."""
    from dsvdesk.store.records import SORTS

    conn = _at_version(tmp_path, 7)
    db.migrate(conn, tmp_path / "m.sqlite3", target=8)
    assert db.user_version(conn) == 8
    for key in MY_FORMS_SORTS:
        for direction in ("ASC", "DESC"):
            plan = " ".join(
                str(r)
                for r in conn.execute(
                    "EXPLAIN QUERY PLAN SELECT r.id, u.full_name FROM records r JOIN users u ON u.id = "
                    f"r.owner_id WHERE r.owner_id = ? AND r.owner_id = ? ORDER BY {SORTS[key]} {direction}, "
                    f"r.seq {direction} LIMIT 200 OFFSET 1000",
                    (1, 1),
                )
            )
            assert "TEMP B-TREE" not in plan and "records_owner_" in plan, (key, plan)
    conn.close()


def test_migration_0005_report_columns(tmp_path: Path) -> None:
    from dsvdesk.store.records import TABLE_COLUMNS

    path = tmp_path / "m.sqlite3"
    conn = _at_version(tmp_path, 4)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    columns = {
        "victim_name": "Zoë Smith",
        "victim_dob": "1990-05-05",
        "incident_date": "2010-05-01",
        "grade": "high",
        "yes_count": 15,
        "children_count": 2,
        "marac_criteria": "visible_high_risk, repeat",
        "arrested": "yes",
        "not_a_table_column": "kept in the document only",
    }
    for seq, document in ((1, json.dumps(columns, ensure_ascii=False)), (2, "{}")):
        conn.execute(
            "INSERT INTO records (seq, id, form_id, definition_hash, owner_id, editor_id, status, created_at, updated_at, "
            "victim_name, incident_date, grade, yes_count, columns_json) "
            "VALUES (?, ?, 'f', 'h', 1, 1, 'approved', 't', 't', ?, ?, ?, ?, ?)",
            (
                seq,
                f"r{seq}",
                *(
                    columns[n] if seq == 1 else None
                    for n in ("victim_name", "incident_date", "grade", "yes_count")
                ),
                document,
            ),
        )
    conn.commit()
    db.migrate(conn, path, target=5)
    names = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
    assert set(TABLE_COLUMNS) - set(COLUMNS_0006) <= set(names)
    # records saved before the step get their values from the columns document
    row = dict(zip(names, conn.execute("SELECT * FROM records WHERE seq = 1").fetchone(), strict=True))
    assert (row["victim_dob"], row["children_count"], row["marac_criteria"], row["arrested"]) == (
        "1990-05-05",
        2,
        "visible_high_risk, repeat",
        "yes",
    )
    assert row["hbv_flag"] is None and "not_a_table_column" not in row
    assert row["victim_key"] == "smith zoe|1990-05-05"  # search.person_key, as a save writes it
    assert conn.execute("SELECT victim_dob FROM records WHERE seq = 2").fetchone() == (None,)
    # the new index holds the typed values and not the document: the Part A query never reads a row
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records_part_a'").fetchone()[0]
    assert "columns_json" not in sql and "previous_incidents_12m" in sql
    plan = " ".join(
        str(r)
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id, status, victim_name, victim_dob, json_array(grade, arrested) FROM records "
            "WHERE form_id = ? AND incident_date >= ? AND incident_date < ? AND status = 'approved'",
            ("f", "a", "b"),
        )
    )
    assert "COVERING INDEX records_part_a" in plan, plan
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'records_victim_key'").fetchone()[0]
    assert "WHERE victim_key IS NOT NULL" in sql
    conn.close()
    with Store.open(path) as store:  # and the store opens it
        assert store.schema_version == db.CURRENT_VERSION


COLUMNS_0006 = (
    "forced_marriage_flag",
    "police_involved",
    "counter_allegation",
    "multiple_victims",
    "multiple_perpetrators",
)


def test_migration_0006_board_case_columns(tmp_path: Path) -> None:
    from dsvdesk.store.records import TABLE_COLUMNS

    path = tmp_path / "m.sqlite3"
    conn = _at_version(tmp_path, 5)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    with_cases = {
        "incident_date": "2026-05-01",
        "forced_marriage_flag": "yes",
        "police_involved": "yes",
        "counter_allegation": "no",
        "multiple_victims": "no",
        "multiple_perpetrators": "yes",
    }
    for seq, document in ((1, json.dumps(with_cases)), (2, json.dumps({"incident_date": "2026-05-02"}))):
        conn.execute(
            "INSERT INTO records (seq, id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, incident_date, columns_json) VALUES (?, ?, 'f', 'h', 1, 1, 'approved', 't', 't', ?, ?)",
            (seq, f"r{seq}", json.loads(document)["incident_date"], document),
        )
    conn.commit()
    db.migrate(conn, path, target=6)
    assert db.user_version(conn) == 6
    names = [r[1] for r in conn.execute("PRAGMA table_info(records)")]
    assert set(TABLE_COLUMNS) <= set(names)
    new = (
        "forced_marriage_flag",
        "police_involved",
        "counter_allegation",
        "multiple_victims",
        "multiple_perpetrators",
    )
    sql_columns = ", ".join(new)
    assert conn.execute(f"SELECT {sql_columns} FROM records WHERE seq = 1").fetchone() == (
        "yes",
        "yes",
        "no",
        "no",
        "yes",
    )
    # a record of a form version without the questions: nothing, not "no"
    assert conn.execute(f"SELECT {sql_columns} FROM records WHERE seq = 2").fetchone() == (None,) * 5
    # Part A still reads the index alone, the new columns included
    plan = " ".join(
        str(r)
        for r in conn.execute(
            f"EXPLAIN QUERY PLAN SELECT id, status, json_array(grade, {sql_columns}) FROM records "
            "WHERE form_id = ? AND incident_date >= ? AND incident_date < ? AND status = 'approved'",
            ("f", "a", "b"),
        )
    )
    assert "COVERING INDEX records_part_a" in plan, plan
    conn.close()
    with Store.open(path) as store:
        assert store.schema_version == db.CURRENT_VERSION


def test_migration_0009_force_trust(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 8)
    db.migrate(conn, tmp_path / "m.sqlite3", target=9)
    assert conn.execute("SELECT count(*) FROM force_trust").fetchone() == (0,)
    conn.execute("INSERT INTO force_trust (id, pinned_fingerprint) VALUES (1, 'AA')")
    with pytest.raises(db.driver.IntegrityError):  # one row only
        conn.execute("INSERT INTO force_trust (id, pinned_fingerprint) VALUES (2, 'BB')")
    conn.execute("INSERT INTO revocation_list (id, crl_der, number, imported_at) VALUES (1, X'00', 1, 't')")
    assert db.user_version(conn) == 9


def test_migration_0010_sealing_keys(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 9)
    db.migrate(conn, tmp_path / "m.sqlite3", target=10)
    assert db.user_version(conn) == 10
    for table in ("enc_keys", "sealed_keys", "wrap_ephemerals", "key_wraps"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
    conn.execute("INSERT INTO enc_keys (user_id, public_key, created_at) VALUES (NULL, X'00', 't')")
    with pytest.raises(db.driver.IntegrityError):  # one current escrow key
        conn.execute("INSERT INTO enc_keys (user_id, public_key, created_at) VALUES (NULL, X'01', 't')")
    with pytest.raises(db.driver.IntegrityError):
        conn.execute("INSERT INTO sealed_keys (kind, created_at) VALUES ('other', 't')")
    conn.execute("INSERT INTO sealed_keys (kind, created_at) VALUES ('station_index', 't')")
    conn.execute("INSERT INTO wrap_ephemerals (public_key) VALUES (X'02')")
    conn.execute("INSERT INTO key_wraps (key_id, recipient, ephemeral, wrapped) VALUES (1, 1, 1, X'03')")
    assert "reset_notice" in {r[1] for r in conn.execute("PRAGMA table_info(users)")}


def test_migration_0011_casework(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    conn = _at_version(tmp_path, 10)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    for seq, status, ever, submitted in (
        (1, "approved", 1, "2026-05-03T10:00:00.000000+00:00"),  # resubmitted: the case opens at the first
        (2, "draft", 0, None),  # never submitted: no case
        (3, "draft", 1, None),  # amended after approval: opened at its first submission event
    ):
        conn.execute(
            "INSERT INTO records (seq, id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, submitted_at, ever_submitted) VALUES (?, ?, 'f', 'h', 1, 1, ?, '2026-05-01', 't', ?, ?)",
            (seq, f"r{seq}", status, submitted, ever),
        )
    for record_id, at in (("r1", "2026-05-02T09:00:00.000000+00:00"), ("r1", "2026-05-03T10:00:00.000000+00:00"),
                          ("r3", "2026-04-01T08:00:00.000000+00:00")):  # fmt: skip
        conn.execute(
            "INSERT INTO audit_events (at, event, record_id, prev_hash, hash) VALUES (?, 'submitted', ?, '', '')",
            (at, record_id),
        )
    conn.commit()
    db.migrate(conn, path, target=11)
    assert db.user_version(conn) == 11
    assert conn.execute(
        "SELECT record_id, opened_at, schedule_key FROM cases ORDER BY record_id"
    ).fetchall() == [
        ("r1", "2026-05-02T09:00:00.000000+00:00", None),
        ("r3", "2026-04-01T08:00:00.000000+00:00", None),
    ]
    assert {"case_assessments", "case_reviews", "case_events", "case_contacts", "case_referrals",
            "retention_reviews", "tombstones"} <= _tables(conn)  # fmt: skip
    # the due lists read a range of an index
    for column in ("next_review_due", "retention_due"):
        plan = " ".join(
            str(r)
            for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT record_id FROM cases WHERE {column} IS NOT NULL AND {column} <= ? "
                f"ORDER BY {column}, record_id LIMIT 100",
                ("z",),
            )
        )
        assert "USING INDEX" in plan or "USING COVERING INDEX" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    with pytest.raises(db.driver.IntegrityError):  # a case belongs to a record
        conn.execute("INSERT INTO cases (record_id, opened_at) VALUES ('nope', 't')")
    conn.close()


def test_migration_0012_transfer(tmp_path: Path) -> None:
    """Existing records and users become this database's own; the database gets its unit id."""
    conn = _at_version(tmp_path, 11)
    conn.execute(
        "INSERT INTO users (username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES ('pc1', 'P C', 'officer', 'S', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'mini', '1', 'mini.yaml', 'x', 't')"
    )
    conn.execute(
        "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, updated_at) "
        "VALUES ('r1', 'mini', 'h', 1, 1, 'draft', 't', 't')"
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=12)
    assert db.user_version(conn) == 12
    assert conn.execute("SELECT station_id FROM records").fetchone() == (1,)
    assert conn.execute("SELECT home_station_id, home_username FROM users").fetchone() == (1, None)
    (uid,) = conn.execute("SELECT uid FROM stations WHERE id = 1").fetchone()
    assert len(uid) == 32 and int(uid, 16) >= 0
    assert conn.execute("SELECT value FROM transfer_clock").fetchone() == (0,)
    with pytest.raises(db.driver.IntegrityError):  # one unit key per database
        for _ in range(2):
            conn.execute(
                "INSERT INTO transfer_unit (id, certificate_pem, private_key, created_at) VALUES (1, X'', X'', 't')"
            )


def test_migration_0013_dashboard_indexes(tmp_path: Path) -> None:
    """Records saved before the step are in the dashboard's index at once, with what the figures ask
    of their columns document; the dashboard's cohort is then read from that index alone."""
    from dsvdesk.reporting import dashboard

    conn = _at_version(tmp_path, 12)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    columns = {"marac_required": " Yes", "marac_referral_date": "\u3000", "children_count": "2"}
    conn.execute(
        "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
        "updated_at, columns_json) VALUES ('r1', 'f', 'h', 1, 1, 'submitted', '2026-03-02', 't', ?)",
        (json.dumps(columns),),
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=13)
    assert db.user_version(conn) == 13
    params = ("f", "2026-03-01", "2026-04-01")
    # the figures' expressions as 0013 indexed them (0024 keeps them, as one key: GROUP_COLUMNS)
    sql = (
        f"SELECT id, {', '.join(dashboard.GROUP_COLUMNS)} FROM records "
        "WHERE form_id = ? AND created_at >= ? AND created_at < ?"
    )
    plan = " ".join(str(r) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "COVERING INDEX records_dashboard" in plan
    (row,) = conn.execute(sql, params).fetchall()
    assert (row[0], row[5], row[6], row[8], row[9]) == ("r1", 1, 0, "text", "2")
    conn.close()


def test_migration_0014_queue_index(tmp_path: Path) -> None:
    """The review queue's page is chosen from a covering index whatever column it is sorted by (and
    with its filters): no waiting record's row is read but the page's own."""
    from dsvdesk.reporting.review_queue import QUEUE_SORTS
    from dsvdesk.store.records import SORTS

    conn = _at_version(tmp_path, 13)
    db.migrate(conn, tmp_path / "m.sqlite3", target=14)
    assert db.user_version(conn) == 14

    def plan(key: str, filters: str) -> str:
        order = (
            "r.grade DESC, r.yes_count DESC, r.submitted_at, r.seq"
            if key == "risk"
            else f"{SORTS[key]}, r.seq"
        )
        join = " JOIN users u ON u.id = r.owner_id" if key == "owner" else ""
        return " ".join(
            str(r[3])
            for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT r.seq FROM records r{join} WHERE r.status IN (?){filters} "
                f"ORDER BY {order} LIMIT 200 OFFSET 3000",
                ("submitted",),
            )
        )

    for key in QUEUE_SORTS:
        assert "USING COVERING INDEX" in plan(key, ""), (key, plan(key, ""))
    filtered = " AND r.flags LIKE '% x %' AND r.incident_date >= '2026'"
    for key in ("risk", "victim_name", "submitted_at", "grade", "owner"):
        assert "COVERING INDEX records_queue" in plan(key, filtered), (key, plan(key, filtered))
    conn.close()


def test_migration_0015_lifecycle_index_partial(tmp_path: Path) -> None:
    """The lifecycle-event index keeps only submit, return and approve events, and a statement naming
    its condition reads them from it (0024's triggers find a revision's first submission so)."""
    conn = _at_version(tmp_path, 14)
    for n, event in enumerate(("submitted", "collection", "combination", "approved", "returned"), start=1):
        conn.execute(
            "INSERT INTO audit_events (id, at, event, record_id, revision, prev_hash, hash) "
            "VALUES (?, '2026-03-02T10:00:00.000000+00:00', ?, 'r1', 1, '', '')",
            (n, event),
        )
    db.migrate(conn, tmp_path / "m.sqlite3", target=15)
    assert db.user_version(conn) == 15
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_events_lifecycle'").fetchone()
    assert "WHERE event IN ('submitted', 'returned', 'approved')" in sql
    lifecycle = "event IN ('submitted', 'returned', 'approved')"  # the index's condition, word for word
    for event in ("returned", "approved"):
        statement = (
            f"SELECT record_id, revision, at FROM audit_events WHERE {lifecycle} AND event = '{event}'"
        )
        plan = " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {statement}"))
        assert "COVERING INDEX audit_events_lifecycle" in plan, plan


def test_migration_0017_sealed_records(tmp_path: Path) -> None:
    conn = _at_version(tmp_path, 16)
    db.migrate(conn, tmp_path / "m.sqlite3", target=17)
    assert db.user_version(conn) == 17
    columns = {r[1] for r in conn.execute("PRAGMA table_info(records)")}
    assert {"key_id", "sealed_answers", "sealed_columns", "victim_age", "index_pending"} <= columns
    assert {"key_id", "sealed_answers"} <= {r[1] for r in conn.execute("PRAGMA table_info(record_revisions)")}
    assert {"key_id", "audit_heads"} <= {r[1] for r in conn.execute("PRAGMA table_info(signed_pdfs)")}
    assert {"key_id", "sealed_comment"} <= {r[1] for r in conn.execute("PRAGMA table_info(review_comments)")}
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "records_victim" not in indexes and "records_owner_victim" not in indexes  # names are sealed
    part_a = [r[2] for r in conn.execute("PRAGMA index_info(records_part_a)")]
    assert "victim_age" in part_a and "victim_key" in part_a
    assert "victim_name" not in part_a and "victim_dob" not in part_a
    assert "disabled_at" in {r[1] for r in conn.execute("PRAGMA table_info(users)")}
    conn.close()


def test_migration_0016_wrap_watermarks(tmp_path: Path) -> None:
    """Recipient keys start with no mark (the first check after the step counts every key); a key made
    at or below a mark moves it back, and a record given to another owner drops that owner's mark."""
    conn = _at_version(tmp_path, 15)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute("INSERT INTO enc_keys (id, user_id, public_key, created_at) VALUES (5, 1, X'00', 't')")
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    conn.execute(
        "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
        "updated_at) VALUES ('r1', 'f', 'h', 1, 1, 'draft', 't', 't')"
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=16)
    assert db.user_version(conn) == 16
    assert conn.execute("SELECT count(*) FROM wrap_watermarks").fetchone() == (0,)
    conn.execute("INSERT INTO wrap_watermarks (recipient, scope, complete_to) VALUES (5, 1, 9)")
    conn.execute("INSERT INTO sealed_keys (id, kind, user_id, created_at) VALUES (7, 'user_index', 1, 't')")
    assert conn.execute("SELECT complete_to FROM wrap_watermarks").fetchone() == (6,)
    conn.execute("INSERT INTO sealed_keys (id, kind, user_id, created_at) VALUES (12, 'user_index', 1, 't')")
    assert conn.execute("SELECT complete_to FROM wrap_watermarks").fetchone() == (6,)
    conn.execute("UPDATE records SET updated_at = 'u' WHERE id = 'r1'")
    assert conn.execute("SELECT count(*) FROM wrap_watermarks").fetchone() == (1,)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (2, 'p', 'P', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute("UPDATE records SET owner_id = 2 WHERE id = 'r1'")
    assert conn.execute("SELECT count(*) FROM wrap_watermarks").fetchone() == (1,)  # not officer 1's
    conn.execute("UPDATE records SET owner_id = 1 WHERE id = 'r1'")
    assert conn.execute("SELECT count(*) FROM wrap_watermarks").fetchone() == (0,)
    conn.close()


def test_migration_0018_station_audit(tmp_path: Path) -> None:
    """Other units' audit events are kept apart from the local chain, append-only; nothing is
    acknowledged yet."""
    conn = _at_version(tmp_path, 17)
    conn.execute("INSERT INTO stations (id, uid) VALUES (2, 'peer')")
    db.migrate(conn, tmp_path / "m.sqlite3", target=18)
    assert db.user_version(conn) == 18
    assert conn.execute("SELECT acked_audit FROM stations ORDER BY id").fetchall() == [(0,), (0,)]
    conn.execute(
        "INSERT INTO station_audit_events (station_id, id, at, event, prev_hash, hash) "
        "VALUES (2, 1, 't', 'login', '', 'h')"
    )
    for statement in ("UPDATE station_audit_events SET hash = 'x'", "DELETE FROM station_audit_events"):
        with pytest.raises(db.driver.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert conn.execute("SELECT count(*) FROM audit_events").fetchone() == (0,)
    conn.close()


def test_migration_0019_combination_links(tmp_path: Path) -> None:
    """One combination event per linking run, its links in an append-only side table looked up by pair."""
    conn = _at_version(tmp_path, 18)
    db.migrate(conn, tmp_path / "m.sqlite3", target=19)
    assert db.user_version(conn) == 19
    assert [r[1] for r in conn.execute("PRAGMA table_info(combination_links)")] == [
        "record_a",
        "record_b",
        "event_id",
    ]
    conn.execute("BEGIN")
    written = audit.append_combination(
        conn, [("r2", "r1"), ("r2", "r1"), ("r3", "r1")], at="t", user_id=1, username="s", justification="why"
    )
    conn.execute("COMMIT")
    assert written == 2  # the same pair once
    assert audit.logged_links(conn, ["r2"]) == {("r2", "r1")}
    assert audit.unlogged_links(conn, [("r2", "r1"), ("r2", "r4"), ("r1", "r2")]) == {
        ("r2", "r4"),
        ("r1", "r2"),
    }
    plan = " ".join(
        str(r[3])
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT record_a, record_b FROM combination_links "
            "WHERE record_a IN (SELECT value FROM json_each(?))",
            ("[]",),
        )
    )
    assert "USING PRIMARY KEY (record_a=?)" in plan, plan  # a look-up by pair, not a scan
    for statement in ("UPDATE combination_links SET record_b = 'x'", "DELETE FROM combination_links"):
        with pytest.raises(db.driver.IntegrityError, match="append-only"):
            conn.execute(statement)
    assert audit.verify(conn).ok


def test_migration_0020_transfer_unit_x25519(tmp_path: Path) -> None:
    """The RSA unit key and its wraps to signing keys go; the new wraps name X25519 encryption keys."""
    conn = _at_version(tmp_path, 19)
    conn.execute(
        "INSERT INTO transfer_unit (id, certificate_pem, private_key, created_at) VALUES (1, X'01', X'02', 't')"
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=20)
    assert db.user_version(conn) == 20
    assert conn.execute("SELECT count(*) FROM transfer_unit").fetchone() == (0,)
    columns = [r[1] for r in conn.execute("PRAGMA table_info(transfer_unit_wraps)")]
    assert columns == ["recipient", "ephemeral", "wrapped"]
    (target,) = {r[2] for r in conn.execute("PRAGMA foreign_key_list(transfer_unit_wraps)")}
    assert target == "enc_keys"


def test_migration_0021_sealed_casework(tmp_path: Path) -> None:
    """Casework and conflict rows get a key id and sealed columns; rows already there stay pending (key
    id NULL, found through a partial index) for the next sign-in to seal; the investigating officers of
    cases already allocated lose their wrap mark (so the next check wraps the records' keys for them),
    and so does an officer a case is allocated to later."""
    from dsvdesk.store.sealed_rows import SEALED_ROWS

    conn = _at_version(tmp_path, 20)
    for user_id in (1, 2):
        conn.execute(
            "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
            f"private_key_pem, certificate_pem) VALUES ({user_id}, 'o{user_id}', 'O', 'officer', 's', 'x', 't', "
            "X'', X'', X'')"
        )
        conn.execute(
            "INSERT INTO enc_keys (id, user_id, public_key, created_at) VALUES (?, ?, X'00', 't')",
            (user_id + 10, user_id),
        )
        conn.execute(
            "INSERT INTO wrap_watermarks (recipient, scope, complete_to) VALUES (?, ?, 5)",
            (user_id + 10, user_id),
        )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    conn.execute(
        "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
        "updated_at) VALUES ('r1', 'f', 'h', 1, 1, 'approved', 't', 't')"
    )
    conn.execute("INSERT INTO cases (record_id, opened_at, io_id) VALUES ('r1', 't', 2)")
    conn.execute(
        "INSERT INTO case_contacts (record_id, contacted_at, method, made, regarding, note, by_id, recorded_at) "
        "VALUES ('r1', 't', 'phone', 1, 'first', 'Said the suspect drives a red van.', 2, 't')"
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=21)
    assert db.user_version(conn) == 21
    for table, specs in SEALED_ROWS.items():
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        assert {"key_id", *(s.sealed for s in specs), *(s.column for s in specs)} <= columns, table
        plan = " ".join(
            str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN SELECT id FROM {table} WHERE key_id IS NULL")
        )
        assert f"{table}_unsealed" in plan, plan
    # nothing is sealed by the step itself (it holds no key): the row waits for a sign-in
    assert conn.execute("SELECT key_id, sealed_note, note FROM case_contacts").fetchone() == (
        None,
        None,
        "Said the suspect drives a red van.",
    )
    assert conn.execute("SELECT recipient FROM wrap_watermarks").fetchall() == [(11,)]  # the IO's mark went
    conn.execute("INSERT INTO wrap_watermarks (recipient, scope, complete_to) VALUES (12, 2, 5)")
    conn.execute("UPDATE cases SET io_id = 1 WHERE record_id = 'r1'")
    assert conn.execute("SELECT recipient FROM wrap_watermarks").fetchall() == [(12,)]
    conn.close()


def test_migration_0022_search_tokens(tmp_path: Path) -> None:
    """The keyed tokens of sealed records move from the old full-text index into search_tokens as raw
    bytes; the plain words of a record not sealed yet do not (it is indexed when it is sealed)."""
    import base64

    from dsvdesk.store import sealing

    conn = _at_version(tmp_path, 21)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    for seq, key_id in ((1, 7), (2, None)):
        conn.execute(
            "INSERT INTO records (seq, id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, key_id) VALUES (?, ?, 'f', 'h', 1, 1, 'draft', 't', 't', ?)",
            (seq, f"r{seq}", key_id),
        )
    key = b"k" * 32
    names, refs = sealing.index_tokens(key, ["Łucja Nowak"]), sealing.index_tokens(key, ["CAD77"])

    def text(tokens: frozenset[bytes]) -> str:
        return " ".join(base64.b32encode(t).decode().lower() for t in tokens)

    conn.execute("INSERT INTO records_fts (rowid, names, refs) VALUES (1, ?, ?)", (text(names), text(refs)))
    conn.execute("INSERT INTO records_fts (rowid, names, refs) VALUES (2, 'quizzlewick lucja', '')")
    db.migrate(conn, tmp_path / "m.sqlite3", target=22)
    assert db.user_version(conn) == 22
    assert "records_fts" not in _tables(conn)
    rows = conn.execute("SELECT token, seq FROM search_tokens").fetchall()
    assert {(bytes(t), s) for t, s in rows} == {(t, 1) for t in names | refs}
    (lucja,) = sealing.query_tokens(key, "luc")
    plan = " ".join(
        str(r[3])
        for r in conn.execute("EXPLAIN QUERY PLAN SELECT seq FROM search_tokens WHERE token IN (?)", (lucja,))
    )
    assert "PRIMARY KEY" in plan, plan
    plan = " ".join(
        str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN DELETE FROM search_tokens WHERE seq = ?", (1,))
    )
    assert "search_tokens_seq" in plan, plan
    conn.close()


def test_migration_0023_queue_index_without_name(tmp_path: Path) -> None:
    """records_queue no longer carries the (always empty, sealed) victim_name; every other queue sort,
    with the queue's filters, still chooses its page from the index alone."""
    from dsvdesk.reporting.review_queue import QUEUE_SORTS
    from dsvdesk.store.name_order import NAME_SORTS
    from dsvdesk.store.records import SORTS

    conn = _at_version(tmp_path, 22)
    db.migrate(conn, tmp_path / "m.sqlite3", target=23)
    assert db.user_version(conn) == 23
    assert "victim_name" not in [r[2] for r in conn.execute("PRAGMA index_info(records_queue)")]

    def plan(key: str, filters: str) -> str:
        order = (
            "r.grade DESC, r.yes_count DESC, r.submitted_at, r.seq"
            if key == "risk"
            else f"{SORTS[key]}, r.seq"
        )
        join = " JOIN users u ON u.id = r.owner_id" if key == "owner" else ""
        return " ".join(
            str(r[3])
            for r in conn.execute(
                f"EXPLAIN QUERY PLAN SELECT r.seq FROM records r{join} WHERE r.status IN (?){filters} "
                f"ORDER BY {order} LIMIT 200 OFFSET 3000",
                ("submitted",),
            )
        )

    filtered = " AND r.flags LIKE '% x %' AND r.incident_date >= '2026'"
    for key in QUEUE_SORTS:
        if key in NAME_SORTS:
            continue  # sealed: ordered by the store once opened
        assert "USING COVERING INDEX" in plan(key, ""), (key, plan(key, ""))
    for key in ("risk", "submitted_at", "grade", "owner", "incident_date"):  # as 0014 checked, with filters
        assert "COVERING INDEX records_queue" in plan(key, filtered), (key, plan(key, filtered))
    conn.close()


def test_migration_0024_dashboard_events(tmp_path: Path) -> None:
    """Returns and approvals saved before the step get their dashboard rows (the approval with the first
    submission of its revision, and its hours); an event of no record gets none. Events written
    afterwards, and records loaded after their events, are kept by the triggers. The period's records
    are grouped from records_dashboard_groups, 0013's index is gone."""
    from dsvdesk.reporting import dashboard

    conn = _at_version(tmp_path, 23)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )

    def record(record_id: str, created: str) -> None:
        conn.execute(
            "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, columns_json) VALUES (?, 'f', 'h', 1, 1, 'approved', ?, 't', '{\"children_count\": 2}')",
            (record_id, created),
        )

    def event(event_id: int, event: str, record_id: str, at: str, revision: int | None = 1) -> None:
        conn.execute(
            "INSERT INTO audit_events (id, at, event, record_id, revision, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, '', '')",
            (event_id, f"2026-03-{at}+00:00", event, record_id, revision),
        )

    record("r1", "2026-03-02T09:00:00.000000+00:00")
    event(1, "submitted", "r1", "02T10:00:00.000000")
    event(2, "returned", "r1", "02T11:00:00.000000")
    event(3, "submitted", "r1", "02T12:00:00.000000")
    event(4, "approved", "r1", "03T10:30:00.000000")
    event(5, "approved", "ghost", "03T10:30:00.000000")  # no such record
    db.migrate(conn, tmp_path / "m.sqlite3", target=24)
    assert db.user_version(conn) == 24
    rows = conn.execute(
        "SELECT event_id, event, record_id, revision, form_id, started_at, at, submitted_at FROM dashboard_events"
    ).fetchall()
    assert rows == [
        (
            2,
            "returned",
            "r1",
            1,
            "f",
            "2026-03-02T09:00:00.000000+00:00",
            "2026-03-02T11:00:00.000000+00:00",
            None,
        ),
        (
            4,
            "approved",
            "r1",
            1,
            "f",
            "2026-03-02T09:00:00.000000+00:00",
            "2026-03-03T10:30:00.000000+00:00",
            "2026-03-02T10:00:00.000000+00:00",  # the revision's first submission, not the last
        ),
    ]
    params = ("f", "2026-03-01", "2026-04-01")
    assert dashboard.read_lifecycle(conn, *params) == (["r1"], dashboard.Approvals.of([("r1", 24.5)]))
    # after the step: a record bulk-loaded after its events, an approval before its submission is known
    event(6, "approved", "r2", "04T10:00:00.000000", revision=None)
    record("r2", "2026-03-03T09:00:00.000000+00:00")
    assert dashboard.read_lifecycle(conn, *params) == (
        ["r1"],
        dashboard.Approvals.of([("r1", 24.5)]),
    )  # not timed yet
    event(7, "submitted", "r2", "04T08:00:00.000000", revision=None)
    approvals = dashboard.read_lifecycle(conn, *params)[1]
    assert (sorted(approvals.records), approvals.count, approvals.median_hours) == (["r1", "r2"], 2, 13.25)
    (group,) = dashboard.read_cohort_groups(conn, *params)
    assert (sorted(group.ids), group.status, group.children) == (["r1", "r2"], "approved", 2)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "records_dashboard" not in indexes and "records_dashboard_groups" in indexes
    conn.close()


def test_migration_0025_name_order_indexes(tmp_path: Path) -> None:
    """A sort by a sealed name reads each record's key, revision, version, id and sealed columns from
    records_sealed_names and every record's stamp from records_stamps, never the rows (whose sealed
    columns sit after the answers' overflow pages); list pages read the sealed columns from the index
    too. The stamp SQLite computes is the one name_order computes."""
    from dsvdesk.store import sealed
    from dsvdesk.store.name_order import STAMP_SQL, stamp_of
    from dsvdesk.store.records import SEALED_LIST_COLUMNS

    conn = _at_version(tmp_path, 24)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    for seq, key_id, revision, version in ((1, 7, 1, 3), (2, None, 1, 1), (3, 2**31 - 1, 40, 2**21 + 5)):
        conn.execute(
            "INSERT INTO records (seq, id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, key_id, revision, version, sealed_columns) "
            "VALUES (?, ?, 'f', 'h', 1, 1, 'draft', 't', 't', ?, ?, ?, X'0102')",
            (seq, f"r{seq}", key_id, revision, version),
        )
    db.migrate(conn, tmp_path / "m.sqlite3", target=25)
    assert db.user_version(conn) == 25

    def plan(sql: str, *params: object) -> str:
        return " ".join(str(r[3]) for r in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))

    stamps = f"SELECT seq, {STAMP_SQL} FROM records"
    assert "COVERING INDEX records_stamps" in plan(stamps)
    assert "COVERING INDEX records_stamps" in plan(sealed._DIGEST_SQL)
    assert dict(conn.execute(stamps).fetchall()) == {
        1: stamp_of(7, 1, 3),
        2: stamp_of(None, 1, 1),
        3: stamp_of(2**31 - 1, 40, 2**21 + 5),
    }
    names = "SELECT seq, key_id, revision, version, id, sealed_columns FROM records INDEXED BY records_sealed_names"
    assert "COVERING INDEX records_sealed_names" in plan(f"{names} WHERE seq IN (?, ?)", 1, 3)
    assert "COVERING INDEX records_sealed_names" in plan(f"{names} WHERE seq BETWEEN ? AND ?", 1, 3)
    page = f"SELECT {SEALED_LIST_COLUMNS} FROM records r JOIN users u ON u.id = r.owner_id WHERE r.seq IN (?)"
    assert "COVERING INDEX records_sealed_names" in plan(page, 1)
    assert conn.execute(page, (1,)).fetchone()[-1] == b"\x01\x02"
    conn.close()


def test_migration_0026_part_a_period_index(tmp_path: Path) -> None:
    """The records started in a period (any status) are counted from records_period, an index of the
    form and the date only, and the count is the same."""
    from dsvdesk.reporting import queries

    conn = _at_version(tmp_path, 25)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    for n, (form, day, status) in enumerate(
        [
            ("f", "2026-01-01", "approved"),
            ("f", "2026-03-31T23:10", "draft"),  # a time after the date: still the period's last day
            ("f", "2026-04-01", "submitted"),
            ("f", "2025-12-31", "approved"),
            ("g", "2026-02-01", "approved"),
        ]
    ):
        conn.execute(
            "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at, incident_date) VALUES (?, ?, 'h', 1, 1, ?, 't', 't', ?)",
            (f"r{n}", form, status, day),
        )
    db.migrate(conn, tmp_path / "m.sqlite3", target=26)
    assert db.user_version(conn) == 26
    assert [r[2] for r in conn.execute("PRAGMA index_info(records_period)")] == ["form_id", "incident_date"]
    params = ("2025-01-01", "2026-04-01", "f", "2026-01-01")  # lookback, end + 1 day, form, start
    plan = " ".join(str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + queries.STARTED_SQL, params))
    assert "COVERING INDEX records_period (form_id=? AND incident_date>? AND incident_date<?)" in plan, plan
    assert conn.execute(queries.STARTED_SQL, params).fetchone()[0] == 2
    conn.close()


def test_migration_0027_dashboard_microseconds(tmp_path: Path) -> None:
    """dashboard_events_cohort ends with the approval's time in whole microseconds instead of hours: the
    dashboard still reads the index alone, and its median hours are 0024's hours to the last bit (odd
    and even counts, microseconds that make no whole hour, a time that is not a store stamp)."""
    from dsvdesk.reporting import dashboard

    conn = _at_version(tmp_path, 26)
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, station, password_hash, created_at, key_salt, "
        "private_key_pem, certificate_pem) VALUES (1, 'o', 'O', 'officer', 's', 'x', 't', X'', X'', X'')"
    )
    conn.execute(
        "INSERT INTO definitions (content_hash, form_id, form_version, source_name, source_text, stored_at) "
        "VALUES ('h', 'f', '1', 'f.yaml', '', 't')"
    )
    spans = [
        ("02T10:00:00.123457+00:00", "05T07:13:29.987654+00:00"),
        ("03T23:59:59.999999+00:00", "04T00:00:00.000001+00:00"),
        ("04T08:00:00.000000+00:00", "04T09:20:00.000000+00:00"),
        ("05T08:00:00.000000+00:00", "05T09:00:00.000000+01:00"),  # not a store stamp: read in Python
    ]
    for n, (submitted, approved) in enumerate(spans):
        conn.execute(
            "INSERT INTO records (id, form_id, definition_hash, owner_id, editor_id, status, created_at, "
            "updated_at) VALUES (?, 'f', 'h', 1, 1, 'approved', ?, 't')",
            (f"r{n}", f"2026-03-0{n + 1}T09:00:00.000000+00:00"),
        )
        for event, at in (("submitted", submitted), ("approved", approved)):
            conn.execute(
                "INSERT INTO audit_events (at, event, record_id, revision, prev_hash, hash) "
                "VALUES (?, ?, ?, 1, '', '')",
                (f"2026-03-{at}", event, f"r{n}"),
            )
    stamp = dashboard._STAMP
    hours_0024 = (  # 0024's last column of dashboard_events_cohort
        f"CASE WHEN submitted_at <= at AND submitted_at GLOB '{stamp}' AND at GLOB '{stamp}' THEN ((unixepoch(at) "
        "- unixepoch(submitted_at)) * 1000000 + CAST(substr(at, 21, 6) AS INTEGER) - CAST(substr(submitted_at, "
        "21, 6) AS INTEGER)) / 1000000.0 / 3600 END"
    )
    before = [r[0] for r in conn.execute(f"SELECT {hours_0024} FROM dashboard_events ORDER BY event_id")]
    assert (
        before[:3]
        == [
            (
                dt.datetime(2026, 3, 5, 7, 13, 29, 987654) - dt.datetime(2026, 3, 2, 10, 0, 0, 123457)
            ).total_seconds()
            / 3600,
            2 / 3600e6,
            80 / 60,
        ]
        and before[3] is None
    )
    db.migrate(conn, tmp_path / "m.sqlite3", target=27)
    assert db.user_version(conn) == 27
    plan = " ".join(
        str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + dashboard._EVENTS_SQL, ("f", "", "z"))
    )
    assert "COVERING INDEX dashboard_events_cohort" in plan, plan
    python_hours = 0.0  # the stamp with an offset, as compute_figures reads it
    for last, timed in ((1, before[:1]), (2, before[:2]), (3, before[:3]), (4, [*before[:3], python_hours])):
        params = ("f", "2026-03-01", f"2026-03-0{last + 1}")
        returned, approvals = dashboard.read_lifecycle(conn, *params)
        assert (returned, approvals.count, sorted(approvals.records)) == (
            [],
            last,
            [f"r{n}" for n in range(last)],
        )
        assert approvals.median_hours == statistics.median(timed)  # exactly
    conn.close()
