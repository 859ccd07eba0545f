"""A bundle carries its sender's audit events since the receiver's last acknowledgement (issue 17):
the receiver keeps them apart from its own chain and can re-check the sender's chain there."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.engine.spec import FormSpec
from dsvdesk.errors import ExitCode
from dsvdesk.store import anchor, audit, bundlefile, stationaudit
from tests.helpers.encrypted import raw_connect
from tests.unit.transfer.conftest import PASSWORD, Unit
from tests.unit.transfer.test_bundles import export, submitted


def _head(unit: Unit) -> anchor.AuditHead:
    with unit.store.read() as conn:
        return anchor.current_head(conn)


def _held(unit: Unit, code: str) -> tuple[int, int]:
    """(count, acknowledged end) of the events `unit` holds from the unit `code`."""
    peer = unit.store.transfer_peer(code)
    with unit.store.read() as conn:
        count = conn.execute(
            "SELECT count(*) FROM station_audit_events WHERE station_id = ?", (peer.id,)
        ).fetchone()[0]
        return int(count), stationaudit.acknowledged(conn, peer.id)


def _acked(unit: Unit, code: str) -> int:
    peer = unit.store.transfer_peer(code)
    with unit.store.read() as conn:
        return int(conn.execute("SELECT acked_audit FROM stations WHERE id = ?", (peer.id,)).fetchone()[0])


def test_events_travel_once_and_the_answer_moves_the_mark(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "Amy Ash")
    first = csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    head = _head(hol)
    assert first.audit_events == head.seq  # the whole chain so far, up to the export's own checkpoint
    assert _held(csu, "HOL") == (head.seq, head.seq)
    assert csu.store.verify_audit().ok  # the CSU's own chain is untouched by them

    # not acknowledged yet: the next bundle carries everything again, and only the new ones are kept
    submitted(hol, mini_spec, "pc1", "Bea Birch")
    second = csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b2"))
    assert second.audit_events == _head(hol).seq - head.seq
    assert _acked(hol, "CSU") == 0

    # the CSU's bundle back acknowledges them; Holloway's next bundle starts after that mark
    hol.store.import_bundle(hol["ps1"], export(csu, "HOL", tmp_path, "csu1", "r1"))
    marked = _head(hol).seq
    assert _acked(hol, "CSU") == _held(csu, "HOL")[1] < marked
    submitted(hol, mini_spec, "pc1", "Cal Cedar")
    third = csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b3"))
    assert third.audit_events == _head(hol).seq - _acked(hol, "CSU")
    assert _held(csu, "HOL") == (_head(hol).seq, _head(hol).seq)
    # and the station holds the CSU's events the same way
    assert _held(hol, "CSU")[0] > 0

    result = csu.store.verify_station_audit("HOL")
    assert result.ok and result.checked == _head(hol).seq, result
    assert "Holloway" in result.checked_against


def test_an_out_of_order_bundle_adds_nothing_and_a_rewritten_log_is_refused(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "Dee Dale")
    older = export(hol, "CSU", tmp_path, "ps1", "b1")
    newer = export(hol, "CSU", tmp_path, "ps1", "b2")
    assert csu.store.import_bundle(csu["csu1"], newer).audit_events == _head(hol).seq
    assert csu.store.import_bundle(csu["csu1"], older).audit_events == 0  # idempotent
    assert csu.store.verify_station_audit("HOL").ok

    with hol.store.read() as conn:
        rows = stationaudit.collect(conn, 0, _head(hol).seq)
    peer = csu.store.transfer_peer("HOL")
    head = _head(hol)
    rewritten = [list(r) for r in rows]
    rewritten[2][audit.COLUMNS.index("justification")] = "rewritten"
    with pytest.raises(bundlefile.BundleAltered) as broken:  # the carried events must chain
        with csu.store.transaction() as conn:
            stationaudit.store(conn, peer.id, rewritten, head, "b.dsvbundle")
    assert "do not chain (event 3)" in str(broken.value)
    with pytest.raises(bundlefile.BundleAltered) as wrong_head:
        with csu.store.transaction() as conn:
            stationaudit.store(conn, peer.id, rows[:-1], head, "b.dsvbundle")
    assert "do not end at the head" in str(wrong_head.value)


def test_a_station_chain_altered_at_the_csu_is_named(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "Eve Elm")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    csu.store.close()
    with raw_connect(csu.path) as conn:
        conn.execute("DROP TRIGGER station_audit_events_no_update")
        conn.execute("UPDATE station_audit_events SET username = 'someone' WHERE id = 4")
    conn.close()
    csu.store = type(csu.store).open(csu.path)
    csu.sessions.clear()
    result = csu.store.verify_station_audit("HOL")
    assert not result.ok and result.first_bad_event_id == 4 and "altered" in result.reason


def test_audit_verify_station_command(
    units: dict[str, Unit],
    mini_spec: FormSpec,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    hol, csu = units["HOL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "Fay Fir")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    events = _head(hol).seq
    for unit in units.values():
        unit.store.close()
    code = main(["audit", "verify", "--station", "HOL", "--db", str(csu.path), "--user", "csu1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Holloway sent to this PC" in out and f"{events} events checked" in out
    code = main(["audit", "verify", "--station", "NOPE", "--db", str(csu.path), "--user", "csu1"])
    out, err = capsys.readouterr()
    assert code == ExitCode.NOT_FOUND and "No transfer unit 'NOPE'" in err
