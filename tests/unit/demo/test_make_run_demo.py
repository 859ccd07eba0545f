"""The make-run demo: real lifecycle, real signatures, accounts that log in, and a safe CLI."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from dsvdesk import demo
from dsvdesk.cli import main
from dsvdesk.demo_accounts import demo_accounts_in
from dsvdesk.store import Store
from tests.helpers.encrypted import raw_connect
from tests.unit.demo.conftest import TODAY

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("make-run") / "demo.sqlite3"
    summary = demo.build_demo_database(path, seed=4, today=TODAY, count=10)
    assert summary.path == path
    return path


NOW = dt.datetime.combine(TODAY, dt.time(12), dt.UTC)  # what build_demo_database(today=TODAY) is timed at


def moment(text: str | None) -> dt.datetime:
    assert text is not None
    return dt.datetime.fromisoformat(text)


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
    conn = raw_connect(demo_db)
    try:
        assert demo_accounts_in(conn) == list(demo.DEMO_ACCOUNTS)
    finally:
        conn.close()


def test_a_real_database_has_no_demo_accounts(tmp_path: Path) -> None:
    path = tmp_path / "real.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Real Station", "boss", "Real Admin", "a long real password")
    conn = raw_connect(path)
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
    with Store.open(path) as store:  # made by another process: this one signs in to read it
        reviewer = store.login("ps4411", "demo-supervisor")
        assert store.verify_audit().ok
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


def test_the_demo_looks_like_a_working_station_on_the_day_it_is_made(demo_db: Path) -> None:
    """Issue 20 item 12: a review queue of records waiting hours (not months), drafts from today and
    yesterday, records returned in the last two days with their comments, approvals over past months."""
    with Store.open(demo_db) as store:
        reviewer = store.login("ps4411", "demo-supervisor")
        rows = {status: store.list_records(reviewer, status=status, limit=100) for status in demo.STATUSES}
        queue = rows["submitted"]
        assert 1 <= len(queue) <= 6
        for row in queue:
            waited = NOW - moment(row.submitted_at)
            assert dt.timedelta(minutes=20) <= waited <= dt.timedelta(hours=10), row.submitted_at
        for row in rows["draft"]:
            assert NOW - moment(row.created_at) <= dt.timedelta(hours=31)
            assert moment(row.created_at) <= moment(row.updated_at) <= NOW
        for row in rows["returned"]:
            assert NOW - moment(row.updated_at) <= dt.timedelta(hours=51)
            record = store.open_record(reviewer, row.id, justification="test")
            assert record.comment_history
        approved = sorted(moment(row.approved_at) for row in rows["approved"])
        assert NOW - dt.timedelta(days=3) <= approved[-1] <= NOW - dt.timedelta(hours=1)
        assert approved[-1] - approved[0] >= dt.timedelta(days=60)
        for row in (r for status in demo.STATUSES for r in rows[status]):
            assert moment(row.updated_at) <= NOW
            assert row.incident_date is None or row.incident_date <= TODAY.isoformat()


@pytest.mark.parametrize("hour", [0, 7, 23])
def test_the_working_day_is_timed_from_the_clock_whatever_the_hour(hour: int) -> None:
    from dsvdesk.demo.timeline import STATION_STATUS_MIX, working_day

    now = dt.datetime.combine(TODAY, dt.time(hour, 30), dt.UTC)
    plans = demo.plan_records(
        50, seed=9, today=TODAY, officers=2, span_days=300, status_mix=STATION_STATUS_MIX
    )
    timed = working_day(plans, now=now)
    assert [p.status for p, _m in timed] == [p.status for p in plans]
    for original, (plan, moments) in zip(plans, timed, strict=True):
        assert plan.created_at >= original.created_at  # moved later only: nobody born after an incident
        steps = [
            m
            for m in (
                moments.created,
                moments.saved,
                moments.submitted,
                moments.returned,
                moments.corrected,
                moments.resubmitted,
                moments.approved,
            )
            if m is not None
        ]
        assert steps == sorted(steps) and steps[-1] < now
        assert plan.incident_at <= plan.created_at == moments.created.replace(tzinfo=None)
        assert all(child.dob < plan.incident_at.date() for child in plan.children)
        if plan.status == "submitted":
            assert now - moments.submitted <= dt.timedelta(hours=9)  # type: ignore[operator]
        if plan.status == "draft":
            assert now - moments.created <= dt.timedelta(hours=30)
    approvals = sorted(m.approved for _p, m in timed if m.approved is not None)
    assert now - approvals[-1] <= dt.timedelta(days=2)
    assert approvals[-1] - approvals[0] >= dt.timedelta(days=120)  # over the past months
