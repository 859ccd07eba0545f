"""The force certificate hierarchy end to end, as force ICT, a station admin and a Board secretary run
it: `ca init` -> `init --force-root-fingerprint` (request) -> `ca issue` -> `trust install-station-cert`
-> a countersigned PDF that `dsvdesk verify --trust FORCE_ROOT.pem` and pdfsig (the force root alone
in its NSS store) both trust; then revocation, and every bad input with its sentence and exit code."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.export.disclosure import export_record
from dsvdesk.export.verify import Outcome, verify_pdf
from dsvdesk.store import PermissionDenied, Store, forceca, pki
from dsvdesk.workflow import approve_record, submit_record
from tests.unit.export.conftest import FORCE_CA_PASSPHRASE, fingerprint_in
from tests.unit.export.station import GOOD_ANSWERS, OFFICER, PASSWORD, REVIEW_FORM, SUPERVISOR

PASSPHRASE = FORCE_CA_PASSPHRASE
STATION = "Aberystwyth"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    monkeypatch.setenv("DSVDESK_CA_PASSPHRASE", PASSPHRASE)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils libnss3-tools)")
    return path


def nss_with(folder: Path, *certs: Path) -> Path:
    """An NSS store trusting exactly ``certs`` (none: trusting nothing)."""
    folder.mkdir()
    certutil = tool("certutil")
    argv = [[certutil, "-N", "-d", f"sql:{folder}", "--empty-password"]]
    argv += [
        [certutil, "-A", "-d", f"sql:{folder}", "-n", c.stem, "-t", "CT,C,C", "-i", str(c)] for c in certs
    ]
    for command in argv:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        assert result.returncode == 0, result.stderr
    return folder


def pdfsig(pdf: Path, nssdir: Path) -> list[dict[str, str]]:
    """pdfsig's report per signature (it exits 0 even on a bad signature: read the text)."""
    result = subprocess.run(
        [tool("pdfsig"), "-nssdir", str(nssdir), str(pdf)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    blocks = re.split(r"^Signature #\d+:\s*$", result.stdout, flags=re.MULTILINE)[1:]
    parsed = [dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, flags=re.MULTILINE)) for block in blocks]
    assert parsed, result.stdout + result.stderr
    return parsed


def certified_station(
    tmp_path: Path, force: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str], name: str = "st"
) -> Path:
    ca_dir, root, fingerprint = force
    folder = tmp_path / name
    folder.mkdir()
    db_path = folder / "station.sqlite3"
    request = folder / "station_request.csr"
    assert (
        main(
            [
                "init",
                "--db",
                str(db_path),
                "--station",
                STATION,
                "--admin",
                "admin",
                "--force-root-fingerprint",
                fingerprint,
            ]
        )
        == 0
    )
    assert request.exists() and "Pinned the force root" in capsys.readouterr().out
    cert = folder / "station_ca.pem"
    assert (
        main(["ca", "issue", str(request), "--dir", str(ca_dir), "--station", STATION, "--out", str(cert)])
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "trust",
                "install-station-cert",
                str(cert),
                "--root",
                str(root),
                "--user",
                "admin",
                "--db",
                str(db_path),
            ]
        )
        == 0
    )
    assert "certified by the force root" in capsys.readouterr().out
    with Store.open(db_path) as store:
        admin = store.login("admin", PASSWORD)
        store.add_user(admin, OFFICER, "officer", "Łukasz Żółć", "1234", PASSWORD, PASSWORD)
        store.add_user(admin, SUPERVISOR, "supervisor", "Ann Jones", "4411", PASSWORD, PASSWORD)
    return db_path


def countersigned(db_path: Path, out: Path) -> Path:
    from dsvdesk.engine.loader import load_form_text

    spec = load_form_text(REVIEW_FORM, "review_test.yaml")
    with Store.open(db_path) as store:
        officer, supervisor = store.login(OFFICER, PASSWORD), store.login(SUPERVISOR, PASSWORD)
        ref = store.create_record(officer, spec, GOOD_ANSWERS)
        submit_record(store, officer, ref.id, PASSWORD)
        approve_record(store, supervisor, ref.id, PASSWORD, grade="high", rationale="Agreed")
        out.mkdir()
        return export_record(
            store, supervisor, ref.id, out, recipient="CPS", justification="Charging file"
        ).pdf_path


def test_full_ca_flow_to_a_countersigned_pdf_that_pdfsig_trusts_through_the_force_root_alone(
    tmp_path: Path, force: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    ca_dir, root, _fingerprint = force
    db_path = certified_station(tmp_path, force, capsys)
    pdf = countersigned(db_path, tmp_path / "out")

    nobody = tmp_path / "nowhere.sqlite3"  # the Board secretary's PC: no station database at all
    assert main(["verify", str(pdf), "--trust", str(root), "--db", str(nobody)]) == 0
    printed = capsys.readouterr().out
    assert "All 2 signature(s) are intact and trusted." in printed and "not certified" not in printed
    assert main(["verify", str(pdf), "--db", str(nobody)]) == Outcome.UNTRUSTED.exit_code
    assert "Anyone could have made" in capsys.readouterr().out

    # the approved document carries the supervisor's signature over the whole, with the officer's signed
    # submission attached unchanged: pdfsig checks each file, trusting the force root alone
    from dsvdesk.export.signing import attached_submission

    submission = tmp_path / "officer_submission.pdf"
    submission.write_bytes(attached_submission(pdf.read_bytes()) or b"")
    nss = nss_with(tmp_path / "nss_force", root)
    reports = [*pdfsig(pdf, nss), *pdfsig(submission, nss)]
    assert [r["Signer Certificate Common Name"] for r in reports] == ["Ann Jones", "Łukasz Żółć"]
    for report in reports:
        assert report["Signature Validation"] == "Signature is Valid."
        assert report["Certificate Validation"] == "Certificate is Trusted."
    untrusting = [*pdfsig(pdf, nss_with(tmp_path / "nss_empty")), *pdfsig(submission, tmp_path / "nss_empty")]
    assert all(r["Certificate Validation"] != "Certificate is Trusted." for r in untrusting)

    # force ICT revokes the supervisor: checkers with the list see it, the station refuses to sign
    user_cert = tmp_path / "ps4411.pem"
    assert (
        main(
            [
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
        )
        == 0
    )
    assert main(["ca", "revoke", str(user_cert), "--dir", str(ca_dir)]) == 0
    crl = ca_dir / "force_revocations.crl"
    capsys.readouterr()
    assert (
        main(["verify", str(pdf), "--trust", str(root), "--crl", str(crl), "--db", str(nobody)])
        == ExitCode.UNTRUSTED_SIGNER
    )
    assert "Ann Jones was revoked by the force" in capsys.readouterr().out
    assert main(["trust", "import-crl", str(crl), "--user", "admin", "--db", str(db_path)]) == 0
    with Store.open(db_path) as store:
        supervisor = store.login(SUPERVISOR, PASSWORD)
        with pytest.raises(PermissionDenied, match="revoked by force ICT"):
            store.unlock_signing_identity(supervisor, PASSWORD)
        anchors = store.trust_anchors()
    assert anchors.force_certified and len(anchors.revocations) == 1
    check = verify_pdf(
        pdf, anchors.roots, intermediates=anchors.intermediates, revocations=anchors.revocations
    )
    assert check.outcome is Outcome.UNTRUSTED


def test_a_station_without_a_force_root_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "station.sqlite3"
    assert main(["init", "--db", str(db_path), "--station", STATION, "--admin", "admin"]) == 0
    assert "Station CA not certified by a force" in capsys.readouterr().out
    with Store.open(db_path) as store:
        admin = store.login("admin", PASSWORD)
        store.add_user(admin, OFFICER, "officer", "Łukasz Żółć", "1234", PASSWORD, PASSWORD)
        store.add_user(admin, SUPERVISOR, "supervisor", "Ann Jones", "4411", PASSWORD, PASSWORD)
        identity = store.unlock_signing_identity(store.login(OFFICER, PASSWORD), PASSWORD)
    from dsvdesk.export.signing import NOT_CERTIFIED_LINE, force_certified

    assert not force_certified(identity) and NOT_CERTIFIED_LINE == "Station CA not certified by a force"
    pdf = countersigned(db_path, tmp_path / "out")
    capsys.readouterr()
    assert (
        main(["verify", str(pdf), "--db", str(db_path)]) == 0
    )  # the station vouches for itself, and says so
    assert "station CA not certified by a force" in capsys.readouterr().out
    assert main(["trust", "show", "--db", str(db_path)]) == 0
    assert "Station CA not certified by a force" in capsys.readouterr().out


def test_bad_inputs_get_one_sentence_and_an_exit_code(
    tmp_path: Path, force: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    ca_dir, root, fingerprint = force
    db_path = certified_station(tmp_path, force, capsys)
    # a request from another station, when the CA expects this one
    other_db = tmp_path / "other.sqlite3"
    assert (
        main(
            [
                "init",
                "--db",
                str(other_db),
                "--station",
                "Cardigan",
                "--admin",
                "admin",
                "--force-root-fingerprint",
                fingerprint,
                "--request-out",
                str(tmp_path / "cardigan.csr"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            [
                "ca",
                "issue",
                str(tmp_path / "cardigan.csr"),
                "--dir",
                str(ca_dir),
                "--station",
                STATION,
                "--out",
                str(tmp_path / "x.pem"),
            ]
        )
        == ExitCode.BAD_INPUT
    )
    assert "another station's request" in capsys.readouterr().err
    # a certificate issued for another station's request cannot be installed here
    cardigan_cert = tmp_path / "cardigan.pem"
    assert (
        main(
            ["ca", "issue", str(tmp_path / "cardigan.csr"), "--dir", str(ca_dir), "--out", str(cardigan_cert)]
        )
        == 0
    )
    capsys.readouterr()
    install = ["trust", "install-station-cert", str(cardigan_cert), "--root", str(root), "--user", "admin"]
    assert main([*install, "--db", str(db_path)]) == ExitCode.BAD_INPUT
    assert "issued for another station's request" in capsys.readouterr().err
    # a root that is not the pinned one
    other_root = tmp_path / "other_root.pem"
    other_root.write_bytes(pki.cert_pem(forceca.create_root("Impostor Police")[1]))
    wrong_root = [
        "trust",
        "install-station-cert",
        str(cardigan_cert),
        "--root",
        str(other_root),
        "--user",
        "admin",
    ]
    assert main([*wrong_root, "--db", str(other_db)]) == ExitCode.BAD_INPUT
    assert "not the one pinned at this station" in capsys.readouterr().err
    # expired and not-yet-valid station certificates
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((ca_dir / "force_root.key").read_bytes(), PASSPHRASE.encode())
    request = forceca.load_request((tmp_path / "cardigan.csr").read_bytes())
    root_cert = pki.load_cert(root.read_bytes())
    for when, words in (
        (dt.datetime.now(dt.UTC) - dt.timedelta(days=forceca.STATION_VALID_DAYS + 30), "expired on"),
        (dt.datetime.now(dt.UTC) + dt.timedelta(days=30), "is not valid yet"),
    ):
        stale = tmp_path / f"stale_{words.split()[-1]}.pem"
        stale.write_bytes(pki.cert_pem(forceca.issue_station(key, root_cert, request, now=when)))  # type: ignore[arg-type]
        assert (
            main(
                [
                    "trust",
                    "install-station-cert",
                    str(stale),
                    "--root",
                    str(root),
                    "--user",
                    "admin",
                    "--db",
                    str(other_db),
                ]
            )
            == ExitCode.BAD_INPUT
        )
        assert words in capsys.readouterr().err
    # the wrong CA passphrase, a request that is not one, a CRL from another root
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSVDESK_CA_PASSPHRASE", "not the passphrase at all")
        assert (
            main(
                [
                    "ca",
                    "issue",
                    str(tmp_path / "cardigan.csr"),
                    "--dir",
                    str(ca_dir),
                    "--out",
                    str(tmp_path / "y.pem"),
                ]
            )
            == ExitCode.AUTH
        )
    assert "passphrase is not right" in capsys.readouterr().err
    assert (
        main(["ca", "issue", str(root), "--dir", str(ca_dir), "--out", str(tmp_path / "z.pem")])
        == ExitCode.BAD_INPUT
    )
    assert "not a certificate request" in capsys.readouterr().err
    impostor_dir = tmp_path / "impostor_ca"
    assert main(["ca", "init", "--dir", str(impostor_dir), "--force", "Impostor Police"]) == 0
    assert main(["ca", "revoke", str(root), "--dir", str(impostor_dir)]) == 0
    capsys.readouterr()
    assert (
        main(
            [
                "trust",
                "import-crl",
                str(impostor_dir / "force_revocations.crl"),
                "--user",
                "admin",
                "--db",
                str(db_path),
            ]
        )
        == ExitCode.BAD_INPUT
    )
    assert "not signed by the force root this station trusts" in capsys.readouterr().err


def test_a_pack_whose_chain_ends_at_an_unknown_root_is_untrusted(
    tmp_path: Path, force: tuple[Path, Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """A look-alike station (same name, same people) certified by an impostor 'force' is not trusted."""
    _ca_dir, root, _fingerprint = force
    impostor = tmp_path / "impostor"
    assert main(["ca", "init", "--dir", str(impostor / "ca"), "--force", "Dyfed-Powys Police"]) == 0
    assert main(["ca", "publish", "--dir", str(impostor / "ca"), "--out", str(impostor / "root.pem")]) == 0
    impostor_force = (impostor / "ca", impostor / "root.pem", fingerprint_in(capsys.readouterr().out))
    forged_db = certified_station(tmp_path, impostor_force, capsys, name="forger")
    pdf = countersigned(forged_db, tmp_path / "forged")
    capsys.readouterr()
    assert (
        main(["verify", str(pdf), "--trust", str(root), "--db", str(tmp_path / "none.sqlite3")])
        == ExitCode.UNTRUSTED_SIGNER
    )
    assert "does not lead to a root you trust" in capsys.readouterr().out
