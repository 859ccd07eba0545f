"""Force HQ on PostgreSQL (issue 17): the same Part A figures as the CSU's SQLite for the same records,
nothing personal in plain columns, and the bundle refusals. Runs on a throw-away cluster (pg_cluster)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dsvdesk import paths
from dsvdesk.demo import bulk_insert_records
from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.engine.spec import FormSpec
from dsvdesk.hq import db as hq_db
from dsvdesk.hq import figures, ingest, unit
from dsvdesk.reporting.pack import part_a_source_form, read_part_a
from dsvdesk.reporting.parta import Period
from dsvdesk.store import Store, bundlefile
from tests.unit.transfer.conftest import PASSWORD, Unit

PASSPHRASE = "hq passphrase for tests"
TODAY = dt.date(2026, 11, 30)


@pytest.fixture
def hq_url(pg_cluster: Any) -> str:
    return str(pg_cluster.new_database(f"hq_{uuid.uuid4().hex[:10]}"))


@pytest.fixture
def spec() -> FormSpec:
    specs = load_forms_dir(paths.forms_dir())
    return specs[part_a_source_form(specs)]


@pytest.fixture
def hq(hq_url: str) -> Iterator[tuple[Any, unit.HqKeys, bytes]]:
    with hq_db.connect(hq_url) as conn:
        hq_db.migrate(conn)
        published = unit.init_unit(conn, PASSPHRASE)
        yield conn, unit.load_keys(conn, PASSPHRASE), published


def _reopen(u: Unit) -> None:
    u.store = Store.open(u.path)
    u.sessions.clear()


def test_hq_part_a_equals_the_csus_for_every_figure(
    units: dict[str, Unit], hq: tuple[Any, unit.HqKeys, bytes], spec: FormSpec, tmp_path: Path
) -> None:
    conn, keys, published = hq
    hol, isl, csu = units["HOL"], units["ISL"], units["CSU"]
    for u in units.values():
        u.store.close()
    bulk_insert_records(hol.path, spec, count=400, seed=11, today=TODAY, owners=["pc1"])
    bulk_insert_records(isl.path, spec, count=400, seed=12, today=TODAY, owners=["pc1"])
    for u in units.values():
        _reopen(u)
    admin = csu.store.login("admin", PASSWORD)
    csu.store.add_transfer_peer(admin, published, kind="hq", fingerprint=unit.fingerprint(conn))
    unit.add_unit(
        conn,
        csu.store.transfer_unit_file(),
        borough="Islington",
        fingerprint=csu.store.transfer_unit_fingerprint(),
    )

    for station, name in ((hol, "hol"), (isl, "isl")):
        out = tmp_path / f"{name}.dsvbundle"
        station.store.export_bundle(station["ps1"], "CSU", out, PASSWORD)
        assert csu.store.import_bundle(csu["csu1"], out).new > 0
    to_hq = tmp_path / "csu_hq.dsvbundle"
    sent = csu.store.export_bundle(csu["csu1"], "HQ", to_hq, PASSWORD)
    done = ingest.ingest(conn, keys, to_hq)
    assert done.new == sent.records == csu.store.count_records(csu["csu1"])

    for period in (
        Period(dt.date(2026, 1, 1), dt.date(2026, 11, 30)),
        Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
    ):
        at_csu = read_part_a(csu.store, csu["csu1"], period, spec=spec)
        at_hq = figures.part_a(conn, spec, period, borough="Islington")
        assert at_csu.records > 50
        assert [(f.key, f.value) for f in at_hq.figures()] == [(f.key, f.value) for f in at_csu.figures()]
        assert (
            figures.part_a(conn, spec, period).figure_map() == at_hq.figure_map()
        )  # one borough = the force

    # nothing personal in HQ's plain columns: no name, no date of birth, no free text
    some = csu.store.list_records(csu["csu1"], limit=20)
    names = {r.victim_name for r in some if r.victim_name}
    plain = " ".join(
        str(v)
        for row in conn.execute("SELECT id, borough, shared::text, victim_key FROM hq_records")
        for v in row
    )
    assert names and not any(n in plain for n in names)
    assert (
        "Islington"
        in figures.table_lines(figures.force_table(conn, spec, Period(dt.date(2026, 1, 1), TODAY)))[2]
    )


def test_hq_refuses_what_a_station_refuses(
    units: dict[str, Unit], hq: tuple[Any, unit.HqKeys, bytes], mini_spec: FormSpec, tmp_path: Path
) -> None:
    conn, keys, published = hq
    hol, csu = units["HOL"], units["CSU"]
    session = hol["pc1"]
    ref = hol.store.create_record(
        session, mini_spec, {"victim_name": "Pat Doe", "incident_date": "2026-02-02"}
    )
    hol.store.submit(session, ref.id, ref.version, b"%PDF-1.7\n%%EOF\n")
    admin = hol.store.login("admin", PASSWORD)
    hol.store.add_transfer_peer(admin, published, kind="hq", fingerprint=unit.fingerprint(conn))
    bundle = tmp_path / "hol_hq.dsvbundle"
    hol.store.export_bundle(hol["ps1"], "HQ", bundle, PASSWORD)
    with pytest.raises(bundlefile.BundleUntrusted):  # HQ has not registered Holloway yet
        ingest.ingest(conn, keys, bundle)
    with pytest.raises(bundlefile.BundleWrongUnit):  # a bundle made for the CSU
        hol.store.export_bundle(hol["ps1"], "CSU", tmp_path / "csu.dsvbundle", PASSWORD)
        ingest.ingest(conn, keys, tmp_path / "csu.dsvbundle")
    unit.add_unit(
        conn,
        hol.store.transfer_unit_file(),
        borough="Islington",
        fingerprint=hol.store.transfer_unit_fingerprint(),
    )
    assert ingest.ingest(conn, keys, bundle).new == 1
    with pytest.raises(bundlefile.BundleReplayed):
        ingest.ingest(conn, keys, bundle)
    assert csu.store.count_records(csu["csu1"]) == 0
