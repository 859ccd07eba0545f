"""The audit chain cannot be rewritten unseen: the attacks of issue 16, run as an attacker would.

The attacker has the database file and plain sqlite3 + hashlib, but no user's password: they edit a
disclosure (who received the record and why), recompute every later hash, move `audit_head` and put
the no-update/no-delete triggers back; or cut the newest events off. The database is opened with the
store's own connection helper (db.connect), so the attack keeps working whatever the file's encryption.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.export.disclosure import export_record
from dsvdesk.store import anchor, audit, db, keys, pki
from dsvdesk.workflow import approve_record, submit_record
from tests.unit.export.station import GOOD_ANSWERS, OFFICER, PASSWORD, SUPERVISOR, Station

COLUMNS = audit.COLUMNS


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)


# ------------------------------------------------------------------------------------- the attacker's tools
def _attacker_hash(fields: dict[str, Any]) -> str:
    """The chain hash, recomputed from the column values with json + hashlib only."""
    body = {name: fields[name] for name in COLUMNS if name != "hash"}
    body["detail"] = json.loads(body["detail"]) if body["detail"] else {}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _open(path: Path) -> sqlite3.Connection:
    return db.connect(path)


def _triggers(conn: sqlite3.Connection) -> list[str]:
    return [
        str(row[0])
        for row in conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_events' "
            "AND name IN ('audit_events_no_update', 'audit_events_no_delete')"  # the append-only guards
        )
    ]


def _drop_triggers(conn: sqlite3.Connection) -> list[str]:
    saved = _triggers(conn)
    for name in ("audit_events_no_update", "audit_events_no_delete"):
        conn.execute(f"DROP TRIGGER {name}")
    return saved


def rewrite_and_rechain(path: Path, event_id: int, **changes: Any) -> None:
    """Edit one event, recompute every later hash, update audit_head, restore the triggers."""
    conn = _open(path)
    try:
        saved = _drop_triggers(conn)
        rows = [
            dict(zip(COLUMNS, row, strict=True))
            for row in conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_events ORDER BY id")
        ]
        previous = ""
        for fields in rows:
            if fields["id"] == event_id:
                fields.update(changes)
            if fields["id"] >= event_id:
                fields["prev_hash"] = previous
                fields["hash"] = _attacker_hash(fields)
                conn.execute(
                    "UPDATE audit_events SET recipient = ?, justification = ?, detail = ?, prev_hash = ?, hash = ? "
                    "WHERE id = ?",
                    (
                        fields["recipient"],
                        fields["justification"],
                        fields["detail"],
                        fields["prev_hash"],
                        fields["hash"],
                        fields["id"],
                    ),
                )
            previous = fields["hash"]
        conn.execute(
            "UPDATE audit_head SET last_id = ?, last_hash = ? WHERE id = 1", (rows[-1]["id"], previous)
        )
        for sql in saved:
            conn.execute(sql)
        assert len(_triggers(conn)) == 2
    finally:
        conn.close()


def truncate(path: Path, keep_up_to: int) -> None:
    """Cut every event after ``keep_up_to`` and move the head back."""
    conn = _open(path)
    try:
        saved = _drop_triggers(conn)
        conn.execute("DELETE FROM audit_events WHERE id > ?", (keep_up_to,))
        last_hash = conn.execute("SELECT hash FROM audit_events WHERE id = ?", (keep_up_to,)).fetchone()[0]
        conn.execute(
            "UPDATE audit_head SET last_id = ?, last_hash = ?, count = ? WHERE id = 1",
            (keep_up_to, last_hash, keep_up_to),
        )
        for sql in saved:
            conn.execute(sql)
    finally:
        conn.close()


def forge_checkpoint(path: Path, checkpoint: int, key: Any, cert: Any) -> None:
    """Re-sign checkpoint ``checkpoint`` over the events as they now are, with the attacker's ``key``
    and ``cert``, and re-chain everything after it."""
    from cryptography.hazmat.primitives import hashes as crypto_hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    conn = _open(path)
    try:
        row = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_events WHERE id = ?", (checkpoint,))
        fields = dict(zip(COLUMNS, row.fetchone(), strict=True))
        hashes = {int(i): str(h) for i, h in conn.execute("SELECT id, hash FROM audit_events")}
    finally:
        conn.close()
    detail = json.loads(fields["detail"])
    detail["hashes"] = [
        hashes[detail["from"] + i][: anchor.PREFIX_CHARS] for i in range(len(detail["hashes"]))
    ]
    detail["hash"] = hashes[detail["seq"]]
    payload = audit.canonical_json(
        {
            "format": anchor.PAYLOAD_FORMAT,
            "at": fields["at"],
            "user": fields["username"],
            "reason": detail["reason"],
            "seq": detail["seq"],
            "hash": detail["hash"],
            "from": detail["from"],
            "hashes": detail["hashes"],
        }
    ).encode("utf-8")
    detail["signature"] = base64.b64encode(
        key.sign(payload, padding.PKCS1v15(), crypto_hashes.SHA256())
    ).decode()
    detail["certificate"] = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    rewrite_and_rechain(path, checkpoint, detail=audit.canonical_json(detail))


def events(path: Path, event: str) -> list[int]:
    conn = _open(path)
    try:
        return [
            int(r[0])
            for r in conn.execute("SELECT id FROM audit_events WHERE event = ? ORDER BY id", (event,))
        ]
    finally:
        conn.close()


# ------------------------------------------------------------------------------------- a station's day
def a_day(station: Station, tmp_path: Path) -> tuple[str, Path]:
    """Submit, approve, export (a disclosure) and sign out: checkpoints at each signature event."""
    ref = station.store.create_record(station[OFFICER], station.spec, GOOD_ANSWERS)
    submit_record(station.store, station[OFFICER], ref.id, PASSWORD)
    approve_record(station.store, station[SUPERVISOR], ref.id, PASSWORD, grade="high", rationale="Agreed")
    out = tmp_path / "out"
    out.mkdir()
    result = export_record(
        station.store,
        station[SUPERVISOR],
        ref.id,
        out,
        recipient="CPS Direct",
        justification="Charging file",
    )
    station.store.logout(station.sessions.pop(SUPERVISOR))
    station.store.logout(station.sessions.pop(OFFICER))
    return ref.id, result.pdf_path


def audit_verify(station: Station, *extra: str) -> int:
    return main(["audit", "verify", "--user", SUPERVISOR, "--db", str(station.path), *extra])


def test_every_signature_event_and_sign_out_leaves_a_signed_checkpoint(
    station: Station, tmp_path: Path
) -> None:
    a_day(station, tmp_path)
    conn = _open(station.path)
    try:
        rows = conn.execute(
            "SELECT e.username, e.detail, p.event FROM audit_events e JOIN audit_events p ON p.id = e.id - 1 "
            "WHERE e.event = 'checkpoint' ORDER BY e.id"
        ).fetchall()
    finally:
        conn.close()
    reasons = [(user, json.loads(detail)["reason"], before) for user, detail, before in rows]
    assert reasons == [
        (OFFICER, "submitted", "submitted"),
        (SUPERVISOR, "approved", "approved"),
        (SUPERVISOR, "disclosure", "disclosure"),
        (SUPERVISOR, "sign-out", "logout"),
        (OFFICER, "sign-out", "logout"),
    ]
    result = station.store.verify_audit()
    assert result.ok, result.reason


def test_rewriting_a_disclosure_and_rechaining_is_caught_and_the_event_named(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_day(station, tmp_path)
    disclosure = events(station.path, audit.DISCLOSURE)[-1]
    rewrite_and_rechain(station.path, disclosure, recipient="Nobody", justification="Never happened")
    conn = _open(station.path)
    try:
        assert audit.verify(conn).ok  # the plain hash chain is fooled: the attack itself works
        assert conn.execute("SELECT recipient FROM audit_events WHERE id = ?", (disclosure,)).fetchone() == (
            "Nobody",
        )
    finally:
        conn.close()
    result = station.store.verify_audit()
    assert not result.ok and result.first_bad_event_id == disclosure
    assert f"event {disclosure} was changed after checkpoint event" in result.reason
    capsys.readouterr()
    assert audit_verify(station) == ExitCode.VERIFICATION_FAILED
    printed = capsys.readouterr().out
    assert f"Audit log BROKEN at event {disclosure}:" in printed and "re-chained" in printed


def test_an_event_edited_long_before_the_checkpoint_is_named_too(station: Station, tmp_path: Path) -> None:
    a_day(station, tmp_path)
    first_login = events(station.path, audit.LOGIN)[0]
    conn = _open(station.path)
    try:
        detail = conn.execute("SELECT detail FROM audit_events WHERE id = ?", (first_login,)).fetchone()[0]
    finally:
        conn.close()
    rewrite_and_rechain(station.path, first_login, detail=json.dumps({"note": "edited"}) or detail)
    result = station.store.verify_audit()
    assert not result.ok and result.first_bad_event_id == first_login


def test_a_forged_checkpoint_signed_by_a_key_the_station_never_issued_is_refused(
    station: Station, tmp_path: Path
) -> None:
    """Re-chaining and re-signing the checkpoints with the attacker's own key does not help."""
    a_day(station, tmp_path)
    disclosure = events(station.path, audit.DISCLOSURE)[-1]
    checkpoint = next(c for c in events(station.path, audit.CHECKPOINT) if c > disclosure)
    rewrite_and_rechain(station.path, disclosure, recipient="Nobody")
    key, own_ca = pki.create_ca("Aberystwyth")  # a look-alike CA with the same station name
    forge_checkpoint(station.path, checkpoint, key, own_ca)
    result = station.store.verify_audit()
    assert not result.ok and result.first_bad_event_id == checkpoint
    assert "certificate this station's CA did not issue" in result.reason


def test_cutting_events_below_a_stored_signed_pdf_head_is_caught(station: Station, tmp_path: Path) -> None:
    a_day(station, tmp_path)
    approved = events(station.path, audit.APPROVED)[-1]
    truncate(station.path, approved - 3)  # back to before the approval's countersignature was made
    conn = _open(station.path)
    try:
        assert audit.verify(conn).ok  # the plain chain and head agree: the cut itself is invisible
    finally:
        conn.close()
    result = station.store.verify_audit()
    assert not result.ok and "events were cut from its end" in result.reason
    assert "approved PDF of record" in result.reason


def test_against_a_file_made_before_the_edit(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _record_id, pdf = a_day(station, tmp_path)
    capsys.readouterr()
    assert audit_verify(station, "--against", str(pdf)) == 0
    heads = anchor.heads_in_pdf(pdf.read_bytes())
    assert (
        f"The log still holds event {heads[-1].seq}, the head {pdf.name} was made at."
        in capsys.readouterr().out
    )
    truncate(station.path, heads[-1].seq - 1)
    assert audit_verify(station, "--against", str(pdf)) == ExitCode.VERIFICATION_FAILED
    # signing in to check appends new events after the cut, so the head's event is "no longer the same"
    assert f"Audit log BROKEN at event {heads[-1].seq}: the approved PDF" in capsys.readouterr().out


def test_against_a_file_with_no_head_is_a_clear_refusal(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(b"%PDF-1.7\n%%EOF\n")
    assert audit_verify(station, "--against", str(plain)) == ExitCode.BAD_INPUT
    assert "carries no audit head" in capsys.readouterr().err
    assert audit_verify(station, "--against", str(tmp_path / "missing.pdf")) == ExitCode.NOT_FOUND
    assert "There is no file" in capsys.readouterr().err


def test_a_backup_is_a_signature_event_with_a_checkpoint_and_vouches_for_the_log(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_day(station, tmp_path)
    backup = station.store.backup(tmp_path / "station-backup.dsvbackup", session=station[SUPERVISOR])
    conn = _open(station.path)
    try:
        last_two = conn.execute("SELECT id, event FROM audit_events ORDER BY id DESC LIMIT 2").fetchall()
    finally:
        conn.close()
    assert [event for _id, event in last_two] == [audit.CHECKPOINT, audit.BACKUP]  # a signature event
    # the encrypted backup carries the head it was copied at (just before its own backup event)
    head = station.store.backup_head(backup)
    assert head.seq == last_two[1][0] - 1
    capsys.readouterr()
    assert audit_verify(station, "--against", str(backup)) == 0
    assert (
        f"The log still holds event {head.seq}, the head {backup.name} was made at."
        in capsys.readouterr().out
    )
    # cutting the log back below the backup's head is caught from the backup alone
    truncate(station.path, head.seq - 2)
    assert audit_verify(station, "--against", str(backup)) == ExitCode.VERIFICATION_FAILED
    assert f"Audit log BROKEN at event {head.seq}: an exported file" in capsys.readouterr().out


def test_against_a_backup_that_is_damaged_or_another_stations_is_refused_in_one_sentence(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dsvdesk.store import AuthenticationFailed, Store

    backup = station.store.backup(tmp_path / "ours.dsvbackup")
    cut = tmp_path / "cut.dsvbackup"
    cut.write_bytes(backup.read_bytes()[:40])
    capsys.readouterr()
    assert audit_verify(station, "--against", str(cut)) == ExitCode.BAD_INPUT
    assert "is not a whole DSVDesk backup" in capsys.readouterr().err
    other_db = tmp_path / "other.sqlite3"
    with Store.open(other_db, create=True) as other:
        other.init_station("Aberystwyth", "admin", "Ada Admin", PASSWORD)
        recovery = other.take_recovery_key() or ""
        theirs = other.backup(tmp_path / "theirs.dsvbackup")
        head = other.audit_head()
        # the station's recovery key opens it, whoever is signed in; a wrong one is refused
        assert other.backup_head(theirs, recovery_key=recovery) == head
        with pytest.raises(AuthenticationFailed, match="recovery key is not right"):
            other.backup_head(theirs, recovery_key=recovery[::-1])
    assert audit_verify(station, "--against", str(theirs)) == ExitCode.BAD_INPUT
    assert "a backup of another station's database" in capsys.readouterr().err
    # where this process does not hold the station's key, a password in the backup opens it
    keys.forget(other_db)
    with Store.open(other_db) as other:
        assert other.backup_head(theirs, username="admin", password=PASSWORD) == head
        with pytest.raises(AuthenticationFailed, match="password does not open"):
            other.backup_head(theirs, username="admin", password="not the password at all")
