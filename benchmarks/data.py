"""The benchmark databases: the demo station plus N bulk records, all owned by one officer so that
the officer's "My forms" list really holds N rows."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsvdesk import demo, paths
from dsvdesk.engine.loader import load_forms_dir

OFFICER = next(a for a in demo.DEMO_ACCOUNTS if a.role == "officer")
SUPERVISOR = next(a for a in demo.DEMO_ACCOUNTS if a.role == "supervisor")
SEED = 124


@dataclass(frozen=True)
class BenchDatabase:
    path: Path
    records: int
    build_seconds: float  # wall time of `dsvdesk demo --records N` (station set-up excluded)


def investigation_form() -> Any:
    forms = demo.investigation_forms(load_forms_dir(paths.forms_dir()))
    if not forms:
        raise RuntimeError(f"no investigation form in {paths.forms_dir()}")
    return forms[0]


def reuse(folder: Path, records: int) -> BenchDatabase | None:
    """The database a run with ``--keep folder`` left at ``folder/bench-N.sqlite3``, opened with the
    benchmark officer's password (its key unwrapped into this process), if it holds N records; its
    build time is unknown (0). For measuring a few rows again without building 100,000 records anew."""
    from dsvdesk.store import Store, keys

    path = folder / f"bench-{records}.sqlite3"
    keyfile = keys.KeyFile.load(path) if path.exists() else None
    key = keyfile.unwrap_user(OFFICER.username, OFFICER.password) if keyfile is not None else None
    if key is None:
        return None
    keys.remember(path, key)
    with Store.open(path) as store, store.read() as conn:
        found = int(conn.execute("SELECT count(*) FROM records").fetchone()[0])
    # the bulk records plus the demo station's own few
    return BenchDatabase(path=path, records=records, build_seconds=0.0) if found >= records else None


def build(folder: Path, records: int, *, today: dt.date | None = None) -> BenchDatabase:
    """A fresh database at ``folder/bench-N.sqlite3`` with the demo accounts and N bulk records."""
    from dsvdesk.store import Store

    path = folder / f"bench-{records}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    with Store.open(path, create=True) as store:
        demo.create_demo_station(store)
    start = time.perf_counter()
    demo.bulk_insert_records(
        path, investigation_form(), count=records, seed=SEED, today=today, owners=(OFFICER.username,)
    )
    return BenchDatabase(path=path, records=records, build_seconds=time.perf_counter() - start)
