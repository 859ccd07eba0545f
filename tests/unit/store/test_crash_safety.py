"""Crash safety: a process autosaving in a loop is SIGKILLed at random points, 25 times. After each
kill the database passes integrity_check, the audit chain verifies, and every save the process had
acknowledged is there."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dsvdesk.store import Store
from dsvdesk.store.audit import value_hash, value_secret
from tests.helpers.encrypted import raw_connect
from tests.unit.store.conftest import PASSWORD, Station

ROOT = Path(__file__).resolve().parents[3]
KILLS = 25

AUTOSAVER = """
import sys
from dsvdesk.store import Store
path, record_id, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store.open(path)
session = store.login("off1", sys.argv[4])
version = store.open_record(session, record_id).version
print("READY", flush=True)
i = start
while True:
    version = store.save_answers(session, record_id, {"statement": f"save {i}", "suspect_name": f"s{i}"}, version)
    print(f"ACK {i}", flush=True)   # printed only after the commit returned
    i += 1
"""


@pytest.mark.slow
def test_sigkill_during_autosave_loses_no_acknowledged_save(station: Station) -> None:
    rng = random.Random(20260124)
    store = station.store
    ref = store.create_record(station["off1"], station.spec, {"victim_name": "Crash Test"})
    store.close()
    acknowledged: list[int] = []
    next_value = 0
    for _round in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-c", AUTOSAVER, str(station.path), ref.id, str(next_value), PASSWORD],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY", proc.stderr.read() if proc.stderr else ""
        wanted = rng.randint(0, 8)  # kill after a random number of acknowledged saves ...
        seen: list[int] = []
        while len(seen) < wanted:
            line = proc.stdout.readline()
            assert line.startswith("ACK "), (line, proc.stderr.read() if proc.stderr else "")
            seen.append(int(line.split()[1]))
        time.sleep(rng.uniform(0, 0.015))  # ... plus a random moment, often mid-transaction
        proc.send_signal(signal.SIGKILL)
        rest, _err = proc.communicate(timeout=30)
        seen.extend(int(line.split()[1]) for line in rest.splitlines() if line.startswith("ACK "))
        assert proc.returncode == -signal.SIGKILL
        acknowledged.extend(seen)
        next_value = (max(seen) + 1000) if seen else next_value + 1000  # values stay distinct across rounds

        raw = raw_connect(station.path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        raw.close()
        with Store.open(station.path) as check:
            verification = check.verify_audit()
            assert verification.ok, verification.reason
            logged = {
                row[0]
                for row in check._conn.execute(
                    "SELECT value_sha256 FROM audit_events WHERE record_id = ? AND question_id = 'statement'",
                    (ref.id,),
                )
            }
            secret = value_secret(check._conn)
            missing = [i for i in acknowledged if value_hash(f"save {i}", secret) not in logged]
            assert missing == [], f"acknowledged saves lost: {missing}"
            if seen:
                record = check.open_record(check.login("off1", PASSWORD), ref.id)
                saved = int(str(record.answers["statement"]).split()[1])
                assert saved >= max(seen)  # the last acknowledged save (or a later one) is the answer
                assert record.answers["suspect_name"] == f"s{saved}"  # both answers from one transaction
    assert len(acknowledged) > KILLS  # the loop really saved
