"""A generated demo database is encrypted like a station's: its victims' names are nowhere on disk."""

from __future__ import annotations

import os
from pathlib import Path

from dsvdesk import demo
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store, db, keys
from tests.helpers.encrypted import occurrences
from tests.unit.demo.conftest import TODAY

SUPERVISOR = next(a for a in demo.DEMO_ACCOUNTS if a.role == "supervisor")


def _names(path: Path, count: int) -> list[str]:
    """Victims' names as a supervisor reads them (sealed on disk, issue 15)."""
    with Store.open(path) as store:
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        rows = store.list_records(session, sort="created_at", descending=False, limit=1000)
    names = list(dict.fromkeys(str(r.victim_name) for r in rows if r.victim_name and len(r.victim_name) > 8))
    return names[:count]


def _hits(folders: list[Path], words: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for folder in folders:
        for path in (p for p in folder.rglob("*") if p.is_file()):
            data = path.read_bytes()
            hits = sum(occurrences(data, w) for w in words)
            if hits:
                found[str(path)] = hits
    return found


def test_a_bulk_demo_database_holds_no_name_in_the_clear(station: Path, spec: FormSpec) -> None:
    summary = demo.bulk_insert_records(station, spec, count=3000, seed=3, today=TODAY, templates_per_group=8)
    assert summary.records == 3000
    names = _names(station, 40)
    assert len(names) == 40
    words = [*names, *{n.split()[-1] for n in names if len(n.split()[-1]) >= 6}]
    folders = [station.parent, Path(os.environ["DSVDESK_LOG_DIR"])]
    assert db.file_kind(station) == "encrypted"
    with Store.open(station) as store:  # the app open: the WAL has pages
        session = store.login(SUPERVISOR.username, SUPERVISOR.password)
        assert store.count_records(session) == 3000
        assert store.list_records(session, search=names[0].split()[-1])
        assert _hits(folders, words) == {}
    assert _hits(folders, words) == {}
    assert keys.KeyFile.load(station) is not None
