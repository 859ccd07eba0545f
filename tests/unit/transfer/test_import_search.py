"""Records imported from a transfer bundle are found by name (issue 15's search tokens, made at the
import): at the CSU by every supervisor, and back at the station by the officer and the supervisors."""

from __future__ import annotations

from pathlib import Path

from dsvdesk.engine.spec import FormSpec
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf


def test_an_imported_record_is_found_by_name_at_the_csu_and_back_home(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    ref = hol.store.create_record(
        hol["pc1"], mini_spec, {"victim_name": "Jane Quillfeather", "incident_date": "2026-03-01"}
    )
    hol.store.submit(hol["pc1"], ref.id, ref.version, fake_pdf("submitted"))
    bundle = tmp_path / "b1.dsvbundle"
    hol.store.export_bundle(hol["ps1"], "CSU", bundle, PASSWORD)

    csu.store.import_bundle(csu["csu1"], bundle)
    for supervisor in ("csu1", "csu2"):
        found = csu.store.list_records(csu[supervisor], search="quillfeath")
        assert [r.id for r in found] == [ref.id], supervisor
        assert found[0].victim_name == "Jane Quillfeather"
    with csu.store.read() as conn:
        assert conn.execute("SELECT index_pending FROM records WHERE id = ?", (ref.id,)).fetchone() == (0,)

    record = csu.store.open_record(csu["csu1"], ref.id, justification="CSU QA")
    csu.store.return_record(csu["csu1"], ref.id, {"victim_name": "Full name please"}, record.version)
    back = tmp_path / "r1.dsvbundle"
    csu.store.export_bundle(csu["csu1"], "HOL", back, PASSWORD)
    hol.store.import_bundle(hol["ps1"], back)
    for user in ("pc1", "ps1"):
        assert [r.id for r in hol.store.list_records(hol[user], search="jane quill")] == [ref.id], user
