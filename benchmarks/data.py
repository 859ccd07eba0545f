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
