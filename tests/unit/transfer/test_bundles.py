"""Transfer bundles between stations and the CSU (issue 17): merge rules and refusals, on real stores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dsvdesk.engine.spec import FormSpec
from dsvdesk.errors import ExitCode
from dsvdesk.store import bundlefile
from dsvdesk.store.models import Status
from tests.helpers.encrypted import raw_connect
from tests.unit.transfer.conftest import PASSWORD, Unit, fake_pdf


def submitted(unit: Unit, spec: FormSpec, user: str, victim: str, *, date: str = "2026-03-01") -> str:
    session = unit[user]
    ref = unit.store.create_record(
        session, spec, {"victim_name": victim, "incident_date": date, "officer_grade": "medium"}
    )
    unit.store.submit(session, ref.id, ref.version, fake_pdf(f"{unit.name} {victim}"))
    return ref.id


def export(unit: Unit, to: str, tmp_path: Path, supervisor: str, name: str) -> Path:
    out = tmp_path / f"{name}.dsvbundle"
    unit.store.export_bundle(unit[supervisor], to, out, PASSWORD)
    return out


def version_of(unit: Unit, record_id: str, user: str) -> int:
    return unit.store.open_record(unit[user], record_id, justification="test").version


def test_station_to_csu_and_back_with_a_return(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, mini_spec, "pc1", "Jane Doe")
    bundle = export(hol, "CSU", tmp_path, "ps1", "b1")
    assert b"Jane" not in bundle.read_bytes()  # encrypted: no personal data in the file

    result = csu.store.import_bundle(csu["csu1"], bundle)
    assert (result.new, result.updated, result.conflicts) == (1, 0, 0)
    record = csu.store.open_record(csu["csu1"], rid, justification="CSU QA")
    assert record.status is Status.SUBMITTED and record.answers["victim_name"] == "Jane Doe"
    assert record.owner_username == "pc1@HOL"

    csu.store.return_record(csu["csu1"], rid, {"victim_name": "Spell the name in full"}, record.version)
    back = export(csu, "HOL", tmp_path, "csu1", "r1")
    result = hol.store.import_bundle(hol["ps1"], back)
    assert result.updated == 1
    mine = hol.store.open_record(hol["pc1"], rid)
    assert mine.status is Status.RETURNED
    assert mine.review_comments == {"victim_name": "Spell the name in full"}
    assert (
        mine.comment_history[0].author_name == "Cal Unit"
        or mine.comment_history[0].author_name == "Cass Unit"
    )

    # the officer resubmits; the CSU approves; the URN goes back to the station
    version = hol.store.save_answer(hol["pc1"], rid, "victim_name", "Jane Mary Doe", mine.version)
    hol.store.submit(hol["pc1"], rid, version, fake_pdf("resubmitted"))
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b2"))
    record = csu.store.open_record(csu["csu1"], rid, justification="CSU QA")
    assert record.status is Status.SUBMITTED and record.answers["victim_name"] == "Jane Mary Doe"
    urn = csu.store.approve(csu["csu1"], rid, record.version, lambda urn: fake_pdf(f"approved {urn}"))
    hol.store.import_bundle(hol["ps1"], export(csu, "HOL", tmp_path, "csu1", "r2"))
    final = hol.store.open_record(hol["pc1"], rid)
    assert final.status is Status.APPROVED and final.urn == urn and urn.startswith("CSU-")
    assert hol.store.verify_audit().ok and csu.store.verify_audit().ok


def test_import_twice_and_out_of_order(units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path) -> None:
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, mini_spec, "pc1", "Kim Lee")
    first = export(hol, "CSU", tmp_path, "ps1", "b1")
    version = version_of(hol, rid, "pc1")
    hol.store.approve(hol["ps1"], rid, version, fake_pdf)
    second = export(hol, "CSU", tmp_path, "ps1", "b2")

    assert csu.store.import_bundle(csu["csu1"], second).new == 1
    assert csu.store.import_bundle(csu["csu1"], first).unchanged == 1  # older: never overwrites
    assert csu.store.open_record(csu["csu1"], rid, justification="t").status is Status.APPROVED
    with pytest.raises(bundlefile.BundleReplayed) as replay:
        csu.store.import_bundle(csu["csu1"], second)
    assert replay.value.exit_code is ExitCode.CONFLICT
    assert "already imported" in str(replay.value)


def test_changed_on_both_sides_keeps_both(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, mini_spec, "pc1", "Ola Berg")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    # the station's own supervisor approves while the CSU returns it
    hol.store.approve(hol["ps1"], rid, version_of(hol, rid, "ps1"), fake_pdf)
    csu.store.return_record(csu["csu1"], rid, {"victim_name": "check"}, version_of(csu, rid, "csu1"))
    result = csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b2"))
    assert result.conflicts == 1
    record = csu.store.open_record(csu["csu1"], rid, justification="t")
    assert record.status is Status.RETURNED  # ours kept
    conflicts = csu.store.transfer_conflicts(csu["csu1"])
    assert [c["theirs"]["status"] for c in conflicts] == ["approved"]  # theirs shown beside it
    assert "transfer_conflict" in csu.store.list_records(csu["csu1"], flag="transfer_conflict")[0].flags

    csu.store.resolve_transfer_conflict(csu["csu1"], conflicts[0]["id"], keep="theirs")
    assert csu.store.open_record(csu["csu1"], rid, justification="t").status is Status.APPROVED
    assert csu.store.transfer_conflicts(csu["csu1"]) == []
    # the decision goes back and the station takes it (it covers both sides)
    assert hol.store.import_bundle(hol["ps1"], export(csu, "HOL", tmp_path, "csu1", "r1")).updated == 1


def test_csu_coverage_names_both_stations(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    hol, isl, csu = units["HOL"], units["ISL"], units["CSU"]
    submitted(hol, mini_spec, "pc1", "A One")
    submitted(isl, mini_spec, "pc1", "B Two")
    submitted(isl, mini_spec, "pc1", "C Three")
    # a report names its stations only once another station's records are here (nothing counted before)
    assert csu.store.transfer_coverage(imported_only=True) == []
    assert [c.name for c in hol.store.transfer_coverage(imported_only=True)] == []
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "h1"))
    csu.store.import_bundle(csu["csu2"], export(isl, "CSU", tmp_path, "ps1", "i1"))
    lines = {c.name: (c.records, c.last_bundle) for c in csu.store.transfer_coverage()}
    assert lines == {"Borough CSU": (0, 0), "Holloway": (1, 1), "Islington": (2, 1)}
    assert csu.store.transfer_coverage(imported_only=True) == csu.store.transfer_coverage()
    # the same usernames at two stations stay two people
    owners = {r.owner_username for r in csu.store.list_records(csu["csu1"])}
    assert owners == {"pc1@HOL", "pc1@ISL"}
    # people of other stations have no account here
    assert all("@" not in u.username for u in csu.store.list_users(csu["csu1"]))


def _bundle(units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path) -> Path:
    submitted(units["HOL"], mini_spec, "pc1", "Zed Zee")
    return export(units["HOL"], "CSU", tmp_path, "ps1", "good")


def test_bad_bundles_are_refused_and_nothing_is_merged(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    csu, isl = units["CSU"], units["ISL"]
    good = _bundle(units, mini_spec, tmp_path)
    data = good.read_bytes()
    cases: list[tuple[bytes, type[Exception], ExitCode, str]] = [
        (data[: len(data) // 2], bundlefile.BundleDamaged, ExitCode.BAD_INPUT, "cut short"),
        (
            data[:-40] + bytes(b ^ 1 for b in data[-40:]),
            bundlefile.BundleAltered,
            ExitCode.VERIFICATION_FAILED,
            "altered",
        ),
        (b"hello", bundlefile.BundleDamaged, ExitCode.BAD_INPUT, "not a DSVDesk transfer bundle"),
        (
            data.replace(b"DSVDESK-BUNDLE\n3\n", b"DSVDESK-BUNDLE\n9\n", 1),
            bundlefile.BundleTooNew,
            ExitCode.BAD_INPUT,
            "newer DSVDesk",
        ),
    ]
    for content, error, code, words in cases:
        bad = tmp_path / "bad.dsvbundle"
        bad.write_bytes(content)
        with pytest.raises(error) as caught:
            csu.store.import_bundle(csu["csu1"], bad)
        assert caught.value.exit_code is code and words in str(caught.value), caught.value  # type: ignore[attr-defined]
    with pytest.raises(bundlefile.BundleWrongUnit) as wrong:  # Islington is not the CSU
        isl.store.import_bundle(isl["ps1"], good)
    assert "another unit" in str(wrong.value)
    assert csu.store.count_records(csu["csu1"]) == 0

    admin = csu.store.login("admin", PASSWORD)
    csu.store.remove_transfer_peer(admin, "HOL")
    with pytest.raises(bundlefile.BundleUntrusted) as removed:
        csu.store.import_bundle(csu["csu1"], good)
    assert removed.value.exit_code is ExitCode.UNTRUSTED_SIGNER and "removed" in str(removed.value)
    assert csu.store.count_records(csu["csu1"]) == 0


def test_a_bundle_from_an_unknown_station_is_refused(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    """Holloway's database copied and given another station id is a stranger to the CSU."""
    good = _bundle(units, mini_spec, tmp_path)
    hol = units["HOL"]
    hol.store.close()
    with raw_connect(hol.path) as conn:
        conn.execute("UPDATE stations SET uid = 'feedfeedfeedfeedfeedfeedfeedfeed' WHERE id = 1")
    conn.close()
    hol.store = type(hol.store).open(hol.path)
    hol.sessions.clear()
    stranger = export(hol, "CSU", tmp_path, "ps1", "stranger")
    csu = units["CSU"]
    with pytest.raises(bundlefile.BundleUntrusted) as caught:
        csu.store.import_bundle(csu["csu1"], stranger)
    assert "does not know" in str(caught.value)
    shutil.copy(good, tmp_path / "copy.dsvbundle")
    assert csu.store.import_bundle(csu["csu1"], tmp_path / "copy.dsvbundle").new == 1


def test_a_case_opens_at_the_csu_on_import_and_a_disposed_record_never_comes_back(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path
) -> None:
    """The CSU works imported cases (issue 19): a submitted record opens its case there. Once the CSU
    disposes of it under MoPI, a later bundle that still carries it does not bring it back."""
    import datetime as dt

    from dsvdesk.engine.casework import casework_policy
    from dsvdesk.engine.loader import load_form
    from dsvdesk.store import Store

    policy = casework_policy(load_form(Path(__file__).resolve().parents[3] / "forms" / "casework.yaml"))
    hol, csu = units["HOL"], units["CSU"]
    rid = submitted(hol, mini_spec, "pc1", "Zebulon Quixotic")
    csu.store.import_bundle(csu["csu1"], export(hol, "CSU", tmp_path, "ps1", "b1"))
    case = csu.store.case_file(csu["csu1"], rid, policy)
    assert case.opened_at.startswith(dt.date.today().isoformat()[:4])  # opened at the station's submission
    csu.store.approve(csu["csu1"], rid, version_of(csu, rid, "csu1"), fake_pdf)
    csu.store.record_outcome(csu["csu1"], rid, policy, outcome="no_further_action")
    csu.store.close()

    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=11 * 366)
    with Store.open(csu.path, clock=lambda: later) as store:
        session = store.login("csu1", PASSWORD)
        store.dispose(session, rid, policy, reason="no_policing_purpose")
        # the station changes the record again and sends it: the CSU does not take it back
        hol.store.approve(hol["ps1"], rid, version_of(hol, rid, "ps1"), fake_pdf)
        result = store.import_bundle(session, export(hol, "CSU", tmp_path, "ps1", "b2"))
        assert (result.new, result.updated, result.disposed) == (0, 0, 1)
        assert store.count_records(session, search="Quixotic") == 0
        assert store.verify_audit().ok
