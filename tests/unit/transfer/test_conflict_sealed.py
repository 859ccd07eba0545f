"""A transfer conflict keeps the other side's state sealed under the record's key (issue 15, migration
0021): a supervisor sees and settles it as before; officer B and the admin, with the database key and
their own password (tests/helpers/attacker.py), recover nothing of it."""

from __future__ import annotations

import json
from pathlib import Path

from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import keys
from dsvdesk.store.models import Status
from tests.helpers import attacker
from tests.helpers.encrypted import decrypted_bytes, key_of, occurrences
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf
from tests.unit.transfer.test_bundles import export, submitted, version_of


def _db_key(path: Path, username: str) -> bytes:
    key_file = keys.KeyFile.load(path)
    assert key_file is not None
    raw = key_file.unwrap_user(username, PASSWORD)
    assert raw is not None
    return raw


def test_the_other_sides_state_is_sealed_and_only_a_supervisor_reads_it(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    admin = hol.store.login("admin", PASSWORD)
    hol.store.add_user(admin, "pc2", "officer", "Bea Other", "1002", PASSWORD, PASSWORD)
    rid = submitted(hol, mini_spec, "pc1", "Ola Quernstone")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    # the CSU returns it with a comment while the station's supervisor approves it
    csu.store.return_record(
        csu["csu1"], rid, {"victim_name": "Spell Quernstone"}, version_of(csu, rid, "csu1")
    )
    hol.store.approve(hol["ps1"], rid, version_of(hol, rid, "ps1"), fake_pdf)
    assert hol.store.import_bundle(hol["ps1"], export(csu, "HOL", tmp_path, "csu1", "r1")).conflicts == 1

    (conflict,) = hol.store.transfer_conflicts(hol["ps1"])  # the app shows it as before
    assert conflict["theirs"]["status"] == "returned"
    assert conflict["theirs"]["answers"]["victim_name"] == "Ola Quernstone"
    path = hol.path
    conn = attacker.connect(path, _db_key(path, "pc2"))
    try:
        assert attacker.plain_row_values(conn, rid) == []  # state blanked, kept only sealed
        rows = attacker.row_parts(conn, rid)
        assert [aad.split(b"|")[1] for _blob, aad in rows] == [b"transfer_conflicts.state"]
        for who in ("pc2", "admin"):
            loot = attacker.keys_of(conn, who, PASSWORD)
            assert attacker.readable_parts(conn, rid, loot, parts=rows) == [], who
        (state,) = attacker.readable_parts(conn, rid, attacker.keys_of(conn, "ps1", PASSWORD), parts=rows)
        assert json.loads(state)["comments"][0]["comment"] == "Spell Quernstone"
    finally:
        conn.close()

    hol.store.resolve_transfer_conflict(hol["ps1"], conflict["id"], keep="theirs")
    assert hol.store.open_record(hol["pc1"], rid).status is Status.RETURNED
    hol.store.close()
    plain = decrypted_bytes(path, key_of(path))
    assert occurrences(plain, "Spell Quernstone") == 0


def test_a_conflict_not_shared_with_a_new_supervisor_yet_is_listed_with_the_reason(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, mini_spec, "pc1", "Ola Quernstone")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    csu.store.return_record(csu["csu1"], rid, {"victim_name": "Spell it"}, version_of(csu, rid, "csu1"))
    hol.store.approve(hol["ps1"], rid, version_of(hol, rid, "ps1"), fake_pdf)
    assert hol.store.import_bundle(hol["ps1"], export(csu, "HOL", tmp_path, "csu1", "r1")).conflicts == 1
    # a supervisor added now holds no wrap of the record's key until ps1 next signs in
    admin = hol.store.login("admin", PASSWORD)
    hol.store.add_user(admin, "ps2", "supervisor", "Pat Second", "2002", PASSWORD, PASSWORD)
    new_supervisor = hol.store.login("ps2", PASSWORD)

    (conflict,) = hol.store.transfer_conflicts(new_supervisor)  # listed, not refused
    assert conflict["record_id"] == rid and conflict["theirs"] is None
    assert "not shared with your account" in conflict["problem"]

    (shared,) = hol.store.transfer_conflicts(hol.store.login("ps1", PASSWORD))
    assert shared["problem"] is None and shared["theirs"]["status"] == "returned"
