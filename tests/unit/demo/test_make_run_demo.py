"""The make-run demo: real lifecycle, real signatures, accounts that log in, and a safe CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from dsvdesk import demo
from dsvdesk.cli import main
from dsvdesk.demo_accounts import demo_accounts_in
from dsvdesk.store import Store
from tests.unit.demo.conftest import TODAY

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("make-run") / "demo.sqlite3"
    summary = demo.build_demo_database(path, seed=4, today=TODAY, count=10)
    assert summary.path == path
    return path


def test_every_state_is_there(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        reviewer = store.login("ps4411", "demo-supervisor")
        counts = {status: store.count_records(reviewer, status=status) for status in demo.STATUSES}
    assert sum(counts.values()) == 10
    assert all(counts[status] >= 1 for status in demo.STATUSES), counts


def test_every_demo_account_logs_in_with_its_demo_password(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        for account in demo.DEMO_ACCOUNTS:
            session = store.login(account.username, account.password)
            assert session.user.role.value == account.role
            assert session.user.full_name == account.full_name


def test_the_database_lists_its_demo_accounts_for_the_login_screen(demo_db: Path) -> None:
    conn = sqlite3.connect(demo_db)
    try:
        assert demo_accounts_in(conn) == list(demo.DEMO_ACCOUNTS)
    finally:
        conn.close()


def test_a_real_database_has_no_demo_accounts(tmp_path: Path) -> None:
    path = tmp_path / "real.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Real Station", "boss", "Real Admin", "a long real password")
    conn = sqlite3.connect(path)
    try:
        assert demo_accounts_in(conn) == []
    finally:
        conn.close()


def test_submitted_and_approved_records_carry_verifiable_signed_pdfs(demo_db: Path) -> None:
    from dsvdesk.export.verify import verify_pdf

    with Store.open(demo_db) as store:
        reviewer = store.login("ps4411", "demo-supervisor")
        ca_pem = store.station_ca_pem()
        assert ca_pem is not None
        ca = x509.load_pem_x509_certificate(ca_pem)
        for status, signatures in (("submitted", 1), ("approved", 2)):
            row = store.list_records(reviewer, status=status, limit=1)[0]
            pdf = store.signed_pdf(reviewer, row.id, row.revision, justification="test")
            assert pdf is not None and pdf.startswith(b"%PDF")
            report = verify_pdf(pdf, [ca])
            assert len(report.signatures) == signatures
            assert report.all_good, report.describe()


def test_returned_records_carry_the_supervisors_comments(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        officer_rows = []
        for account in (a for a in demo.DEMO_ACCOUNTS if a.role == "officer"):
            session = store.login(account.username, account.password)
            officer_rows += [(session, r) for r in store.list_records(session, status="returned", limit=10)]
        assert officer_rows
        session, row = officer_rows[0]
        record = store.open_record(session, row.id)
        assert record.review_comments
        assert record.is_editable


def test_the_audit_chain_verifies_and_history_is_spread_over_time(demo_db: Path) -> None:
    with Store.open(demo_db) as store:
        assert store.verify_audit().ok
        reviewer = store.login("ps4411", "demo-supervisor")
        days = {r.updated_at[:10] for r in store.list_records(reviewer, limit=50)}
    assert len(days) >= 4  # made over weeks, not all in the minute the demo was built


def test_cli_fresh_refuses_to_delete_a_database_it_did_not_make(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "real.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Real Station", "boss", "Real Admin", "a long real password")
    code = main(["demo", "--fresh", "--db", str(path)])
    assert code != 0
    assert "not a demo database" in capsys.readouterr().err
    assert path.exists()
    with Store.open(path) as store:
        assert store.login("boss", "a long real password")


def test_cli_rejects_bad_counts_calmly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--records", "0", "--db", str(tmp_path / "x.sqlite3")]) != 0
    assert "--records needs a number" in capsys.readouterr().err
    assert not (tmp_path / "x.sqlite3").exists()


def test_cli_bulk_on_a_new_file_makes_the_station_first(tmp_path: Path) -> None:
    path = tmp_path / "bulk.sqlite3"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "dsvdesk",
            "demo",
            "--records",
            "50",
            "--seed",
            "3",
            "--date",
            "2026-11-25",
            "--db",
            str(path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Added 50 records" in result.stdout
    with Store.open(path) as store:
        assert store.verify_audit().ok
        reviewer = store.login("ps4411", "demo-supervisor")
        assert store.count_records(reviewer) == 50


def test_cli_fresh_remakes_a_demo_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "demo.sqlite3"
    assert main(["demo", "--fresh", "--count", "3", "--seed", "1", "--db", str(path)]) == 0
    assert main(["demo", "--fresh", "--count", "3", "--seed", "2", "--db", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Demo database ready" in out and "demo-officer-1" in out
    with Store.open(path) as store:
        reviewer = store.login("ps4411", "demo-supervisor")
        assert store.count_records(reviewer) == 3
