"""The hash-chained audit log: tampering with plain sqlite3 is caught and named; CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import pytest

from dsvdesk.errors import UserFacingError
from dsvdesk.store import PermissionDenied, Status, Store, audit, db
from tests.helpers.encrypted import raw_connect
from tests.unit.store.conftest import ADMIN, PASSWORD, Station
from tests.unit.store.helpers import prepare


def _busy_station(station: Station) -> int:
    prepare(station, "off1", Status.APPROVED)
    prepare(station, "off2", Status.RETURNED)
    station.store.close()
    conn = raw_connect(station.path)
    count = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
    conn.close()
    return int(count)


def _tamper(path: Path, *statements: str) -> None:
    conn = raw_connect(path)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def _verify(path: Path) -> tuple[bool, int | None, str]:
    with Store.open(path) as store:
        result = store.verify_audit()
    return result.ok, result.first_bad_event_id, result.reason


def test_intact_chain_verifies(station: Station) -> None:
    count = _busy_station(station)
    ok, bad, _ = _verify(station.path)
    assert ok and bad is None
    with Store.open(station.path) as store:
        assert store.verify_audit().checked == count


def test_triggers_refuse_update_and_delete(station: Station) -> None:
    with pytest.raises(db.driver.IntegrityError, match="append-only"):
        station.store._conn.execute("UPDATE audit_events SET username = 'x' WHERE id = 1")
    with pytest.raises(db.driver.IntegrityError, match="append-only"):
        station.store._conn.execute("DELETE FROM audit_events WHERE id = 1")


@pytest.mark.parametrize(
    "column", ["username", "justification", "question_id", "at", "detail", "value_sha256"]
)
def test_edited_row_is_named(station: Station, column: str) -> None:
    _busy_station(station)
    value = "'{\"x\": 1}'" if column == "detail" else "'forged'"
    _tamper(station.path, f"UPDATE audit_events SET {column} = {value} WHERE id = 7")
    ok, bad, reason = _verify(station.path)
    assert not ok and bad == 7 and "7" in reason


def test_edit_with_recomputed_hash_breaks_the_next_link(station: Station) -> None:
    _busy_station(station)
    # a careful forger rewrites row 5 and its hash; row 6 still points at the old hash
    _tamper(
        station.path,
        "UPDATE audit_events SET username = 'forged', hash = 'f' || substr(hash, 2) WHERE id = 5",
    )
    ok, bad, _ = _verify(station.path)
    assert not ok and bad == 5
    with Store.open(station.path) as store:
        from dsvdesk.store import audit

        rows = store._conn.execute("SELECT * FROM audit_events WHERE id = 5").fetchone()
        assert rows is not None
        fields = dict(zip(audit.COLUMNS, rows, strict=True))
        real_hash = audit.event_hash(fields)
    _tamper_again = raw_connect(station.path)
    _tamper_again.execute(f"UPDATE audit_events SET hash = '{real_hash}' WHERE id = 5")
    _tamper_again.commit()
    _tamper_again.close()
    ok, bad, reason = _verify(station.path)
    assert not ok and bad == 6 and "chain broken" in reason


def test_deleted_middle_row_is_named(station: Station) -> None:
    _busy_station(station)
    _tamper(station.path, "DELETE FROM audit_events WHERE id = 4")
    ok, bad, reason = _verify(station.path)
    assert not ok and bad == 4 and "missing" in reason


def test_deleted_last_rows_are_noticed(station: Station) -> None:
    count = _busy_station(station)
    _tamper(station.path, f"DELETE FROM audit_events WHERE id >= {count - 1}")
    ok, bad, reason = _verify(station.path)
    assert not ok and bad == count - 1 and "missing" in reason


def test_reordered_rows_are_named(station: Station) -> None:
    _busy_station(station)
    _tamper(
        station.path,
        "UPDATE audit_events SET id = -1 WHERE id = 3",
        "UPDATE audit_events SET id = 3 WHERE id = 8",
        "UPDATE audit_events SET id = 8 WHERE id = -1",
    )
    ok, bad, _ = _verify(station.path)
    assert not ok and bad == 3


def test_inserted_row_is_named(station: Station) -> None:
    _busy_station(station)
    _tamper(
        station.path,
        "UPDATE audit_events SET id = id + 1000 WHERE id >= 5",
        "UPDATE audit_events SET id = id - 999 WHERE id >= 1005",
        "INSERT INTO audit_events (id, at, event, detail, prev_hash, hash) VALUES (5, '2026', 'login', '{}', '', '')",
    )
    ok, bad, _ = _verify(station.path)
    assert not ok and bad == 5


def test_export_csv_with_dates_and_formula_guard(station_path: Path) -> None:
    clock_now = [dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)]
    with Store.open(station_path, clock=lambda: clock_now[0]) as store:
        off1 = store.login("off1", PASSWORD)
        sup1 = store.login("sup1", PASSWORD)
        from dsvdesk.engine.loader import load_form_text
        from tests.unit.store.forms import MINI_FORM

        ref = store.create_record(
            off1, load_form_text(MINI_FORM, "mini.yaml"), {"victim_name": "Secret Victim"}
        )
        clock_now[0] = dt.datetime(2026, 1, 12, 9, tzinfo=dt.UTC)
        store.open_record(sup1, ref.id, justification='=HYPERLINK("http://x")')
        out = station_path.parent / "audit.csv"
        count = store.export_audit_csv(out, dt.date(2026, 1, 12), dt.date(2026, 1, 12), session=sup1)
        with out.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert count == len(rows) == 1
        assert rows[0]["event"] == "consultation" and rows[0]["justification"].startswith("'=")
        everything = store.export_audit_csv(out)
        text = out.read_text(encoding="utf-8")
        assert everything > 10 and "Secret Victim" not in text
        header = text.splitlines()[0].split(",")
        assert not {"value_sha256", "hash", "prev_hash"} & set(header)  # nothing to match guessed answers to
        secret_digest = audit.value_hash("Secret Victim", audit.value_secret(store._conn))
        plain_digest = hashlib.sha256(audit.canonical_json("Secret Victim").encode()).hexdigest()
        logged = [r[0] for r in store._conn.execute("SELECT value_sha256 FROM audit_events")]
        assert secret_digest in logged and plain_digest not in logged
        with pytest.raises(PermissionDenied):
            store.export_audit_csv(out, session=off1)
        with pytest.raises(UserFacingError, match="does not exist"):
            store.export_audit_csv(station_path.parent / "nope" / "a.csv")
        admin = store.login(ADMIN, PASSWORD)
        store.export_audit_csv(out, session=admin)
        assert (
            store._conn.execute(
                "SELECT count(*) FROM audit_events WHERE event = 'disclosure' AND detail LIKE '%audit_log%'"
            ).fetchone()[0]
            == 2
        )


def test_links_digest_is_the_documented_one() -> None:
    """A combination event's digest of its links (migration 0019) is the sha256 of one
    ``record_a TAB record_b LF`` line per pair, pairs sorted: events written before any change to how
    it is worked out must still verify."""
    pairs = {("r2", "r1"), ("r1", "r3"), ("r1", "r2"), ("é", "r1")}
    lines = "r1\tr2\nr1\tr3\nr2\tr1\né\tr1\n"
    assert audit.links_digest(pairs) == hashlib.sha256(lines.encode("utf-8")).hexdigest()
    assert audit.links_digest([]) == hashlib.sha256(b"").hexdigest()
