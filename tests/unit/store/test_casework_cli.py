"""`dsvdesk case ...` end to end, as a script would drive it: allocation, a signed re-assessment (a real
signature, verified), bail re-assessment in time, contacts, events, referrals, reviews, outcome,
retention; wrong input gives one sentence and its exit code."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.export.verify import Outcome, verify_pdf
from dsvdesk.store import Store, pki
from tests.unit.store.conftest import PASSWORD, Station, fake_pdf
from tests.unit.store.forms import MINI_FORM
from tests.unit.store.helpers import GOOD

FORMS = Path(__file__).resolve().parents[3] / "forms"
EXAMPLE = Path(__file__).resolve().parents[2] / "data" / "examples" / "casework.json"


@pytest.fixture
def cli(station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Station, str]:
    forms = tmp_path / "forms"
    forms.mkdir()
    (forms / "mini.yaml").write_text(MINI_FORM, encoding="utf-8")
    shutil.copy(FORMS / "casework.yaml", forms / "casework.yaml")
    monkeypatch.setenv("DSVDESK_FORMS", str(forms))
    monkeypatch.setenv("DSVDESK_DB", str(station.path))
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)
    store = station.store
    ref = store.create_record(station["off1"], station.spec, GOOD)
    ref = store.submit(station["off1"], ref.id, ref.version, fake_pdf("officer"))
    store.approve(station["sup1"], ref.id, ref.version, lambda urn: fake_pdf(f"approved {urn}"))
    return station, ref.id


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_case_worked_from_the_command_line(
    cli: tuple[Station, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    station, record = cli
    assert (
        run(capsys, "case", "allocate", record, "--to", "off2", "--user", "off1")[0]
        == ExitCode.PERMISSION_DENIED
    )
    code, out, _ = run(capsys, "case", "allocate", record, "--to", "off2", "--user", "sup1")
    assert code == 0 and "off2" in out

    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    part2 = tmp_path / "part2.json"
    part2.write_text(json.dumps({k: example[k] for k in (
        "checks_done", "checks_findings", "victim_contacted", "reassessed_grade", "grade_reason", "rara_update")}))  # fmt: skip
    incomplete = tmp_path / "bad.json"
    incomplete.write_text(json.dumps({"reassessed_grade": "high"}))
    code, _, err = run(capsys, "case", "reassess", record, "--answers", str(incomplete), "--user", "off2")
    assert code == ExitCode.NOT_READY and "cannot be signed until" in err and "Traceback" not in err
    code, out, _ = run(capsys, "case", "reassess", record, "--answers", str(part2), "--user", "off2")
    assert code == 0 and "Signed risk revision 1: grade High." in out  # the form's label, not "high"

    bail = tmp_path / "bail.json"
    bail.write_text(json.dumps({k: example[k] for k in (
        "victim_consulted", "victim_views", "bail_grade", "recommended_conditions", "conditions_detail")}
        | {"custody_decision_at": "2099-01-01T18:00"}))  # fmt: skip
    assert run(capsys, "case", "bail", record, "--answers", str(bail), "--user", "off2")[0] == 0

    steps = [
        ("contact", record, "--at", "2026-01-01T10:00", "--method", "phone", "--attempted", "--note", "No answer."),
        ("event", record, "--kind", "arrest", "--at", "2026-01-02T10:00"),
        ("contact", record, "--at", "2026-01-02T12:00", "--method", "in_person", "--made",
         "--note", "Told her he was arrested.", "--regarding", "arrest"),
        ("referral", record, "--agency", "idva", "--on", "2026-01-02", "--note", "Refuge IDVA"),
        ("referral-outcome", record, "1", "--outcome", "accepted"),
    ]  # fmt: skip
    for argv in steps:
        code, _, err = run(capsys, "case", *argv, "--user", "off2")
        assert code == 0, (argv, err)
    code, _, err = run(capsys, "case", "contact", record, "--at", "2026-01-02T12:00", "--method", "carrier_pigeon",
                       "--made", "--note", "x", "--user", "off2")  # fmt: skip
    assert code == ExitCode.BAD_INPUT and "contact method" in err
    code, _, err = run(capsys, "case", "review", record, "--outcome", "risk_raised", "--next-action", "DI to see",
                       "--user", "sup2")  # fmt: skip
    assert code == 0, err

    code, out, _ = run(capsys, "case", "show", record, "--json", "--user", "sup1")
    case = json.loads(out)
    assert case["io"] == "off2" and case["grade"] == "high" and case["risk_revision"] == 2
    assert [a["kind"] for a in case["assessments"]] == ["part2", "bail"]
    assert [c["regarding"] for c in case["contacts"]] == ["first", "arrest"]
    assert case["reviews"][0]["next_action"] == "DI to see"
    assert "review overdue" not in case["flags"] and not any("referral" in f for f in case["flags"])
    code, out, _ = run(capsys, "case", "show", record, "--user", "off2")
    assert "Bail risk re-assessment r2: grade High (confirmed)" in out and "(in time)" in out
    # labels from the forms, one date format (the referral day too)
    assert "IDVA (Independent Domestic Violence Advocate) on 02/01/2026: Accepted; support in place (" in out
    assert "Grade: High (risk revision 2)" in out and "->" not in out
    assert re.search(r"\d{4}-\d{2}-\d{2}", out) is None, out

    code, out, _ = run(capsys, "case", "due", "--json", "--all-soon", "--user", "off2")
    assert code == 0 and json.loads(out) == []  # next review is in a week
    assert run(capsys, "case", "retention", "--user", "off2")[0] == ExitCode.PERMISSION_DENIED
    code, out, _ = run(capsys, "case", "retention", "--json", "--user", "sup1")
    assert code == 0 and json.loads(out) == []
    code, _, err = run(
        capsys, "case", "dispose", record, "--reason", "no_policing_purpose", "--yes", "--user", "sup1"
    )
    assert code == ExitCode.CONFLICT and "not due yet" in err
    assert run(capsys, "case", "outcome", record, "--outcome", "charged", "--user", "sup1")[0] == 0
    out = tmp_path / "part2.pdf"
    argv = ["case", "pdf", record, "--revision", "1", "--out", str(out), "--recipient", "CPS", "--justification",
            "Charging file", "--user", "off2"]  # fmt: skip
    assert run(capsys, *argv)[0] == 0 and out.read_bytes().startswith(b"%PDF-")
    assert run(capsys, *argv)[0] == ExitCode.CONFLICT  # never overwrites
    assert run(capsys, "verify", str(out))[0] == ExitCode.OK  # trusted through this station's CA

    # the re-assessment is its own signed PDF, trusted through the station CA; the officer's is unchanged
    with Store.open(station.path) as store:
        session = store.login("sup1", PASSWORD)
        signed = store.assessment_pdf(session, record, 1)
        officer = store.signed_pdf(session, record, 1)
        ca = store.station_ca_pem()
    assert ca is not None
    check = verify_pdf(signed, [pki.load_cert(ca)])
    assert check.outcome is Outcome.TRUSTED, check.describe()
    assert officer is not None and officer.startswith(b"%PDF-1.7\n% approved")
