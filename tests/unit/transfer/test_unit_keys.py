"""The bundle key is wrapped to the receiving unit's X25519 key, whose private part is wrapped to the
unit's supervisors' X25519 encryption keys and the force escrow key: never to a signing key (issue 17)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dsvdesk.engine.spec import FormSpec
from dsvdesk.errors import ExitCode
from dsvdesk.store import bundlefile, sealing
from dsvdesk.store.errors import InvalidInput, PermissionDenied
from tests.unit.transfer.conftest import PASSWORD, Unit
from tests.unit.transfer.test_bundles import export, submitted


def _wrap_recipients(unit: Unit) -> tuple[set[int], set[int], set[int]]:
    """(recipients of the unit key's wraps, supervisors' current encryption keys, the escrow key)."""
    with unit.store.read() as conn:
        wrapped = {int(r[0]) for r in conn.execute("SELECT recipient FROM transfer_unit_wraps")}
        supervisors = {
            int(r[0])
            for r in conn.execute(
                "SELECT k.id FROM enc_keys k JOIN users u ON u.id = k.user_id "
                "WHERE u.role = 'supervisor' AND k.retired_at IS NULL"
            )
        }
        escrow = {int(r[0]) for r in conn.execute("SELECT id FROM enc_keys WHERE user_id IS NULL")}
    return wrapped, supervisors, escrow


def test_the_unit_key_is_wrapped_for_supervisors_and_escrow_only(units: dict[str, Unit]) -> None:
    wrapped, supervisors, escrow = _wrap_recipients(units["CSU"])
    assert len(supervisors) == 2 and len(escrow) == 1
    assert wrapped == supervisors | escrow  # X25519 encryption keys; no user certificate (signing) key
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

    from dsvdesk.store import pki

    assert isinstance(pki.load_cert(units["CSU"].store.transfer_unit_file()).public_key(), X25519PublicKey)


def test_the_force_escrow_key_opens_a_bundle(
    units: dict[str, Unit],
    unit_templates: dict[str, Path],
    mini_spec: FormSpec,
    tmp_path: Path,
) -> None:
    """Force ICT, holding the escrow private key, can open a bundle addressed to the CSU without any
    supervisor's password: the escrow wrap opens the unit key, the unit key the bundle."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    hol, csu = units["HOL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "Gil Gale")
    bundle = export(hol, "CSU", tmp_path, "ps1", "b1")
    escrow_private = unit_templates["Borough CSU"].with_suffix(".escrow").read_bytes()
    _wrapped, _supervisors, escrow = _wrap_recipients(csu)
    with csu.store.read() as conn:
        epk, wrapped = conn.execute(
            "SELECT ephemeral, wrapped FROM transfer_unit_wraps WHERE recipient = ?", (escrow.pop(),)
        ).fetchone()
        (sealed,) = conn.execute("SELECT private_key FROM transfer_unit").fetchone()
    subject = b"dsvdesk transfer unit key"
    secret = sealing.Unwrapper(escrow_private).unwrap(bytes(epk), bytes(wrapped), subject)
    unit_private = AESGCM(secret).decrypt(bytes(sealed)[:12], bytes(sealed)[12:], subject)
    reader = bundlefile.BundleReader(bundle, bundle.name, unit_private)
    bundlefile.check_signature(reader.envelope(), bundle.name)
    assert [r["answers"]["victim_name"] for r in reader.records()] == ["Gil Gale"]
    # and a key that is not the unit's opens nothing
    with pytest.raises(bundlefile.BundleAltered):
        bundlefile.BundleReader(bundle, bundle.name, sealing.new_key_pair().private)


def test_a_supervisor_added_later_gets_a_wrap_at_the_next_import(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    admin = csu.store.login("admin", PASSWORD)
    csu.store.add_user(admin, "csu3", "supervisor", "Cy New", "5003", PASSWORD, PASSWORD)
    submitted(hol, mini_spec, "pc1", "Hal Hill")
    with pytest.raises(PermissionDenied, match="holds no copy"):
        csu.store.import_bundle(csu["csu3"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    assert csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b2")).new == 1
    wrapped, supervisors, escrow = _wrap_recipients(csu)
    assert wrapped == supervisors | escrow and len(supervisors) == 3
    submitted(hol, mini_spec, "pc1", "Ivy Ives")
    assert csu.store.import_bundle(csu["csu3"], export(hol, "CSU", tmp_path, "ps1", "b3")).new == 1


def test_earlier_bundles_and_unit_files_are_refused_with_a_sentence(
    units: dict[str, Unit], tmp_path: Path
) -> None:
    old = tmp_path / "old.dsvbundle"
    old.write_bytes(b"DSVDESK-BUNDLE\n1\n" + bytes(64))
    csu = units["CSU"]
    with pytest.raises(bundlefile.BundleTooOld) as caught:
        csu.store.import_bundle(csu["csu1"], old)
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    assert "earlier DSVDesk" in str(caught.value) and "export it again" in str(caught.value)

    # a unit file whose unit key is RSA (as an earlier DSVDesk made it)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    from dsvdesk.store import pki

    now = dt.datetime.now(dt.UTC)
    ca_key, unit_key = pki.new_key(2048), pki.new_key(2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    unit = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Old Station"),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, "ab" * 16),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(unit_key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(ca_key, hashes.SHA256())
    )
    admin = csu.store.login("admin", PASSWORD)
    with pytest.raises(InvalidInput, match="earlier DSVDesk"):
        csu.store.add_transfer_peer(admin, pki.cert_pem(unit) + pki.cert_pem(ca), fingerprint="00")
