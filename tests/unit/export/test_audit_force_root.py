"""Audit checkpoints are checked against the force root: user certificate -> station CA -> the root
pinned at the station, and, with `audit verify --trust FORCE_ROOT.pem`, the root an outside checker
holds. An attacker who rewrites the log and re-signs its checkpoints with a look-alike station CA is
caught; one who also swaps the station's force root is caught by the checker's own root; a station no
force has certified says so plainly; a checkpoint signed with a revoked certificate after the station
knew of the revocation is refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.store import Store, audit, db, pki
from tests.unit.export.conftest import fingerprint_in
from tests.unit.export.station import OFFICER, PASSWORD, SUPERVISOR
from tests.unit.export.test_audit_anchor import events, forge_checkpoint, rewrite_and_rechain
from tests.unit.export.test_force_ca import PASSPHRASE, STATION, certified_station, countersigned

Force = tuple[Path, Path, str]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    monkeypatch.setenv("DSVDESK_CA_PASSPHRASE", PASSPHRASE)


def audit_verify(db_path: Path, *extra: str) -> int:
    return main(["audit", "verify", "--user", SUPERVISOR, "--db", str(db_path), *extra])


def a_day(db_path: Path, out: Path) -> None:
    """An approved record disclosed, and everyone signed out: checkpoints signed by both users."""
    countersigned(db_path, out)
    with Store.open(db_path) as store:
        store.logout(store.login(OFFICER, PASSWORD))


def _attacker(db_path: Path) -> sqlite3.Connection:
    return db.connect(db_path)


def look_alike_signer(station_ca: object) -> tuple[object, object]:
    """The attacker's signing key and certificate, issued by ``station_ca`` (key, certificate)."""
    ca_key, ca_cert = station_ca  # type: ignore[misc]
    return pki.issue_user_certificate(
        ca_key,
        ca_cert,
        full_name="Ann Jones",
        username=SUPERVISOR,
        collar="4411",
        role="supervisor",
        station=STATION,
    )


def resign_from(db_path: Path, first_event: int, key: object, cert: object) -> None:
    for checkpoint in [c for c in events(db_path, audit.CHECKPOINT) if c > first_event]:
        forge_checkpoint(db_path, checkpoint, key, cert)


def test_checkpoints_lead_to_the_pinned_force_root_and_to_the_checkers_own(
    tmp_path: Path, force: Force, capsys: pytest.CaptureFixture[str]
) -> None:
    _ca_dir, root, fingerprint = force
    db_path = certified_station(tmp_path, force, capsys)
    a_day(db_path, tmp_path / "out")
    capsys.readouterr()
    assert audit_verify(db_path) == 0
    printed = capsys.readouterr().out
    assert f"checked against: the force root pinned at this station ({fingerprint[:23]}…)" in printed
    assert "not certified" not in printed
    assert audit_verify(db_path, "--trust", str(root)) == 0
    assert f"checked against: the force root you gave ({fingerprint[:23]}…)" in capsys.readouterr().out

    # The attacker rewrites the disclosure and re-signs every checkpoint under a look-alike station CA
    # (same name), which they also put in the database as the station CA.
    disclosure = events(db_path, audit.DISCLOSURE)[-1]
    rewrite_and_rechain(db_path, disclosure, recipient="Nobody", justification="Never happened")
    look_alike = pki.create_ca(STATION)
    key, cert = look_alike_signer(look_alike)
    resign_from(db_path, 0, key, cert)
    conn = _attacker(db_path)
    try:
        conn.execute("UPDATE station_ca SET certificate_pem = ? WHERE id = 1", (pki.cert_pem(look_alike[1]),))
    finally:
        conn.close()
    # the look-alike CA does not lead to the force root pinned at this station: the first checkpoint
    # (all are forged now) is named
    first = events(db_path, audit.CHECKPOINT)[0]
    assert audit_verify(db_path) == ExitCode.VERIFICATION_FAILED
    printed = capsys.readouterr().out
    assert f"Audit log BROKEN at event {first}: checkpoint event {first}" in printed
    assert "does not lead to the force root pinned at this station" in printed

    # A whole look-alike station, certified by an impostor "force" of the same name: everything inside
    # its database agrees with itself; the checker's own root is not fooled.
    impostor_dir = tmp_path / "impostor"
    assert main(["ca", "init", "--dir", str(impostor_dir / "ca"), "--force", "Dyfed-Powys Police"]) == 0
    assert (
        main(["ca", "publish", "--dir", str(impostor_dir / "ca"), "--out", str(impostor_dir / "root.pem")])
        == 0
    )
    impostor = (impostor_dir / "ca", impostor_dir / "root.pem", fingerprint_in(capsys.readouterr().out))
    forged_db = certified_station(tmp_path, impostor, capsys, name="forger")
    a_day(forged_db, tmp_path / "forged")
    capsys.readouterr()
    assert audit_verify(forged_db) == 0
    capsys.readouterr()
    assert audit_verify(forged_db, "--trust", str(root)) == ExitCode.UNTRUSTED_SIGNER
    printed = capsys.readouterr().out
    assert f"NOT TRUSTED: this station pins the force root {impostor[2]}, not the one you gave" in printed
    assert "Anyone who can write the database file could have made this log" in printed


def test_a_station_no_force_has_certified_says_so_and_is_not_trusted_by_the_force_root(
    tmp_path: Path, force: Force, capsys: pytest.CaptureFixture[str]
) -> None:
    _ca_dir, root, _fingerprint = force
    db_path = tmp_path / "station.sqlite3"
    assert main(["init", "--db", str(db_path), "--station", STATION, "--admin", "admin"]) == 0
    with Store.open(db_path) as store:
        admin = store.login("admin", PASSWORD)
        store.add_user(admin, OFFICER, "officer", "Łukasz Żółć", "1234", PASSWORD, PASSWORD)
        store.add_user(admin, SUPERVISOR, "supervisor", "Ann Jones", "4411", PASSWORD, PASSWORD)
        store.logout(admin)
    a_day(db_path, tmp_path / "out")
    capsys.readouterr()
    assert audit_verify(db_path) == 0
    printed = capsys.readouterr().out
    assert "checked against: this station's own CA." in printed
    assert "Note: station CA not certified by a force" in printed
    assert audit_verify(db_path, "--trust", str(root)) == ExitCode.UNTRUSTED_SIGNER
    printed = capsys.readouterr().out
    assert "NOT TRUSTED: checkpoint event" in printed
    assert "does not lead to the force root you gave (station CA not certified by a force)" in printed
    # an admin pins the root later (`trust pin`): an audited change; the log stays whole
    assert main(["trust", "pin", _fingerprint.lower(), "--user", "admin", "--db", str(db_path)]) == 0
    assert f"Pinned the force root {_fingerprint}." in capsys.readouterr().out
    assert events(db_path, audit.TRUST_CHANGED)
    assert audit_verify(db_path) == 0


def test_a_checkpoint_signed_with_a_revoked_certificate_after_the_station_knew_is_refused(
    tmp_path: Path, force: Force, capsys: pytest.CaptureFixture[str]
) -> None:
    ca_dir, _root, _fingerprint = force
    db_path = certified_station(tmp_path, force, capsys)
    a_day(db_path, tmp_path / "out")
    with Store.open(db_path) as store:  # the key force ICT revokes because it was stolen
        stolen = store.unlock_signing_identity(store.login(SUPERVISOR, PASSWORD), PASSWORD)
    user_cert = tmp_path / "ps4411.pem"
    argv = [
        "trust",
        "user-cert",
        SUPERVISOR,
        "--out",
        str(user_cert),
        "--user",
        "admin",
        "--db",
        str(db_path),
    ]
    assert main(argv) == 0
    assert main(["ca", "revoke", str(user_cert), "--dir", str(ca_dir)]) == 0
    crl = str(ca_dir / "force_revocations.crl")
    assert main(["trust", "import-crl", crl, "--user", "admin", "--db", str(db_path)]) == 0
    before = len(events(db_path, audit.CHECKPOINT))
    with Store.open(db_path) as store:  # the revoked supervisor signs in and out: no checkpoint of theirs
        store.logout(store.login(SUPERVISOR, PASSWORD))
        store.logout(store.login(OFFICER, PASSWORD))
    assert len(events(db_path, audit.CHECKPOINT)) == before + 1  # the officer's sign-out only
    assert audit_verify(db_path) == 0  # checkpoints made before the list arrived still hold

    # the thief re-signs the officer's last sign-out checkpoint with the stolen, revoked key
    last = events(db_path, audit.CHECKPOINT)[-1]
    forge_checkpoint(db_path, last, stolen.private_key, stolen.certificate)
    with Store.open(db_path) as store:
        result = store.verify_audit()
    assert not result.ok and result.first_bad_event_id == last
    assert "which the force revoked on" in result.reason and "Ann Jones" in result.reason
