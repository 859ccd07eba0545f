"""Issue 17's "Done when": two station databases and one CSU database. Officers at both stations submit
(signed PDFs), bundles go to the CSU, a supervisor there returns one and approves the others, bundles go
back, the officer sees the comment and resubmits, the CSU's board pack counts both stations and names
them, and HQ on PostgreSQL shows the same Part A figures."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from dsvdesk import paths
from dsvdesk.engine.loader import load_form
from dsvdesk.export.board_pack import MANIFEST, verify_pack
from dsvdesk.hq import db as hq_db
from dsvdesk.hq import figures, ingest, unit
from dsvdesk.reporting.pack import export_board_pack, read_part_a
from dsvdesk.store.models import Status
from dsvdesk.workflow import approve_record, submit_record
from tests.unit.board.seeds import ISLINGTON
from tests.unit.board.test_store_board import INV, PERIOD, seed_answers
from tests.unit.transfer.conftest import PASSWORD, Unit

HQ_PASSPHRASE = "hq passphrase for tests"


def _answers(victim: str, dob: str, day: str, grade: str, yes: int) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "victim_name": victim,
        "victim_dob": dob,
        "incident_date": day,
        "grade": grade,
        "yes_count": yes,
        "children_count": 1,
        "merlin_missing": 0,
        "hbv_flag": "no",
        "arrested": "yes",
        "victim_sex": "female",
        "victim_ethnic_group": "white",
        "victim_disability": "no",
        "previous_incidents_12m": 0,
    }
    if yes >= 14:
        answers |= {"marac_referral_date": day, "marac_criteria": ["visible_high_risk"]}
    return answers


def _submit(unit_: Unit, answers: dict[str, Any]) -> str:
    session = unit_["pc1"]
    ref = unit_.store.create_record(session, INV, answers)
    submit_record(unit_.store, session, ref.id, PASSWORD)
    return ref.id


def _send(sender: Unit, supervisor: str, to: str, receiver: Unit, receiver_sup: str, *, out: Path) -> None:
    sender.store.export_bundle(sender[supervisor], to, out, PASSWORD)
    receiver.store.import_bundle(receiver[receiver_sup], out)


def test_two_stations_a_csu_and_hq(units: dict[str, Unit], pg_cluster: Any, tmp_path: Path) -> None:
    hol, isl, csu = units["HOL"], units["ISL"], units["CSU"]
    returned = _submit(hol, _answers("Zoë Smith", "1990-05-05", "2010-05-10", "high", 15))
    kept = _submit(hol, _answers("Ann Lee", "1970-02-01", "2010-06-03", "medium", 8))
    isl_a = _submit(isl, _answers("SMITH, Zoe", "1990-05-05", "2010-08-12", "high", 16))  # the same victim
    isl_b = _submit(isl, _answers("Olga Ivanova", "1945-11-30", "2010-07-07", "standard", 2))

    _send(hol, "ps1", "CSU", csu, "csu1", out=tmp_path / "hol1.dsvbundle")
    _send(isl, "ps1", "CSU", csu, "csu2", out=tmp_path / "isl1.dsvbundle")
    assert csu.store.count_records(csu["csu1"], status="submitted") == 4

    # the CSU returns one with a comment and approves the others (signed approved documents, its URNs)
    record = csu.store.open_record(csu["csu1"], returned, justification="CSU QA")
    csu.store.return_record(
        csu["csu1"], returned, {"victim_dob": "Check the date of birth with CRIS"}, record.version
    )
    urns = {rid: approve_record(csu.store, csu["csu1"], rid, PASSWORD).urn for rid in (kept, isl_a, isl_b)}
    _send(csu, "csu1", "HOL", hol, "ps1", out=tmp_path / "csu_hol1.dsvbundle")
    _send(csu, "csu1", "ISL", isl, "ps1", out=tmp_path / "csu_isl1.dsvbundle")

    # the officer sees the supervisor's comment at the station, corrects and resubmits
    mine = hol.store.open_record(hol["pc1"], returned)
    assert mine.status is Status.RETURNED
    assert mine.review_comments == {"victim_dob": "Check the date of birth with CRIS"}
    assert hol.store.open_record(hol["pc1"], kept).urn == urns[kept]
    assert isl.store.open_record(isl["pc1"], isl_a).status is Status.APPROVED
    version = hol.store.save_answer(hol["pc1"], returned, "victim_dob", "1990-05-05", mine.version)
    assert version > mine.version
    submit_record(hol.store, hol["pc1"], returned, PASSWORD)
    _send(hol, "ps1", "CSU", csu, "csu1", out=tmp_path / "hol2.dsvbundle")
    assert csu.store.open_record(csu["csu1"], returned, justification="CSU QA").status is Status.SUBMITTED
    approve_record(csu.store, csu["csu1"], returned, PASSWORD)

    # the CSU's board pack counts both stations and says which, up to which bundle
    report_spec = load_form(paths.forms_dir() / "dsvb_report.yaml")
    specs = {"inv": INV, "dsvb_report": report_spec}
    report = csu.store.create_record(csu["csu1"], report_spec, seed_answers(report_spec, ISLINGTON))
    pack_dir = tmp_path / "pack"
    pack_dir.mkdir()
    result = export_board_pack(csu.store, csu["csu1"], report.id, pack_dir, password=PASSWORD, specs=specs)
    with zipfile.ZipFile(result.zip_path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(MANIFEST))
        manifest = json.loads(archive.read(name))
    assert [s.split(" (")[0] for s in manifest["stations"]] == ["Borough CSU", "Holloway", "Islington"]
    assert "Holloway (up to bundle 2" in manifest["stations"][1]
    assert "Islington (up to bundle 1" in manifest["stations"][2]
    assert verify_pack(result.zip_path, csu.store.trust_anchors().roots).ok
    at_csu = read_part_a(csu.store, csu["csu1"], PERIOD, spec=INV)
    assert at_csu.records == 4 and at_csu.repeat_victims == 1  # the repeat is found across the stations

    # HQ on PostgreSQL: the CSU's bundle gives the same figures
    url = pg_cluster.new_database("hq_end_to_end")
    with hq_db.connect(url) as conn:
        hq_db.migrate(conn)
        published = unit.init_unit(conn, HQ_PASSPHRASE)
        admin = csu.store.login("admin", PASSWORD)
        csu.store.add_transfer_peer(admin, published, kind="hq", fingerprint=unit.fingerprint(conn))
        unit.add_unit(
            conn,
            csu.store.transfer_unit_file(),
            borough="Islington",
            fingerprint=csu.store.transfer_unit_fingerprint(),
        )
        bundle = tmp_path / "csu_hq.dsvbundle"
        csu.store.export_bundle(csu["csu1"], "HQ", bundle, PASSWORD)
        assert ingest.ingest(conn, unit.load_keys(conn, HQ_PASSPHRASE), bundle).new == 4
        at_hq = figures.part_a(conn, INV, PERIOD, borough="Islington")
    assert [(f.key, f.value) for f in at_hq.figures()] == [(f.key, f.value) for f in at_csu.figures()]

    for u in (hol, isl, csu):
        assert u.store.verify_audit().ok
