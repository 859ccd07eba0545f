"""The sign-in lockout holds when wrong passwords arrive from many processes at once: the lock state is
read, the password checked and the failure counted in one write transaction, so no more than
`lockout_threshold` passwords are ever tried before the account locks (issue 16: 39 were tried)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path

import pytest

from dsvdesk.store import AccountLocked, AuthenticationFailed, Store, audit, db
from tests.helpers.encrypted import copy_station

PROCESSES = 8
ATTEMPTS = 5
PASSWORD = "correct horse battery"


def _attempts(path: str) -> list[str]:
    """One process: ATTEMPTS wrong passwords, each outcome by name. The process first opens the
    encrypted database as a PC already in use would (another user signed in), so every wrong password
    reaches the database's own failure count."""
    outcomes: list[str] = []
    with Store.open(path, busy_timeout_ms=60_000) as store:
        store.login("admin", PASSWORD)
        for _ in range(ATTEMPTS):
            try:
                store.login("pc1234", "not the password")
            except AccountLocked:
                outcomes.append("locked")
            except AuthenticationFailed:
                outcomes.append("wrong")
    return outcomes


@pytest.fixture(scope="module")
def station_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("race") / "station.sqlite3"
    with Store.open(path, create=True) as store:
        store.init_station("Aberystwyth", "admin", "Ada Admin", PASSWORD)
        admin = store.login("admin", PASSWORD)
        store.add_user(admin, "pc1234", "officer", "Olga Officer", "101", PASSWORD, PASSWORD)
    return path


def _race(
    station_file: Path, tmp_path: Path, worker: Callable[[str], list[str]]
) -> tuple[Path, int, list[str]]:
    """PROCESSES processes run ``worker`` at once on a fresh copy of the station; returns the copy's
    path, the lockout threshold and every outcome."""
    path = tmp_path / "station.sqlite3"
    copy_station(station_file, path)
    with Store.open(path) as store:
        threshold = store.get_settings().lockout_threshold
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.map(worker, [str(path)] * PROCESSES)
    outcomes = [o for per_process in results for o in per_process]
    assert len(outcomes) == PROCESSES * ATTEMPTS
    return path, threshold, outcomes


def test_eight_processes_racing_try_no_more_passwords_than_the_threshold(
    station_file: Path, tmp_path: Path
) -> None:
    path, threshold, outcomes = _race(station_file, tmp_path, _attempts)
    conn = db.connect(path)
    try:
        checked = [
            audit.json_detail(detail)
            for (detail,) in conn.execute(
                "SELECT detail FROM audit_events WHERE event = ? AND user_id IS NOT NULL",
                (audit.LOGIN_FAILED,),
            )
        ]
    finally:
        conn.close()
    tried = [d for d in checked if d.get("reason") == "wrong_password"]
    assert len(tried) == threshold  # exactly the threshold: every later attempt met the lock
    assert sum(1 for d in tried if d.get("locked")) == 1
    assert outcomes.count("wrong") == threshold - 1  # the threshold-th wrong password locks at once
    assert outcomes.count("locked") == PROCESSES * ATTEMPTS - (threshold - 1)


def _attempts_before_open(path: str) -> list[str]:
    """One process at a PC where nobody is signed in: the database is still locked, so each wrong
    password is checked against the key file and counted there (issue 14's key file, issue 16's race)."""
    outcomes: list[str] = []
    for _ in range(ATTEMPTS):
        with Store.open(path, busy_timeout_ms=60_000) as store:
            try:
                store.login("pc1234", "not the password")
            except AccountLocked:
                outcomes.append("locked")
            except AuthenticationFailed:
                outcomes.append("wrong")
    return outcomes


def test_racing_wrong_passwords_before_the_database_opens_lock_at_the_threshold(
    station_file: Path, tmp_path: Path
) -> None:
    _path, threshold, outcomes = _race(station_file, tmp_path, _attempts_before_open)
    # Every count was read under the key file's lock: the threshold-th wrong password locks, and
    # every later one meets the lock instead of being tried.
    assert outcomes.count("wrong") == threshold - 1
    assert outcomes.count("locked") == PROCESSES * ATTEMPTS - (threshold - 1)
