"""Board packs never vouch for themselves, and carry the audit head they were made at.

The forgery of issue 16: a pack made on a second database with the same station name, supervisor
name and collar number. It is intact, so `dsvdesk verify` must say UNTRUSTED (exit 9), never
"ALL FILES VERIFIED" (exit 0), whatever the checker has configured."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.export.report_pdf import (
    BoardReport,
    ReportHeader,
    ReportParagraph,
    ReportQuestion,
    ReportSection,
)
from dsvdesk.reporting.pack import build_pack_files, write_pack
from dsvdesk.reporting.parta import compute_part_a
from dsvdesk.store import Store, audit
from tests.unit.board.fixtures import PERIOD, VOCABULARY, build_rows
from tests.unit.export.station import PASSWORD, SUPERVISOR, Station
from tests.unit.export.test_audit_anchor import events, rewrite_and_rechain

EXPORTED = datetime(2010, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSVDESK_PASSWORD", PASSWORD)


def _report() -> BoardReport:
    header = ReportHeader(
        report_id="6f1c2a7e-0000-4000-8000-000000000009",
        revision=1,
        report_number="9",
        borough="Ceredigion",
        period=PERIOD,
        authors=("PS Ann Jones",),
    )
    question = ReportQuestion(
        "q1", "How is the 124D used?", (ReportParagraph("Completion: {{partA.completion_rate}}.", ""),)
    )
    return BoardReport(header, (ReportSection("b2", "B2", "Quality assurance", (question,)),))


def make_pack(store: Store, out: Path) -> Path:
    """What `export_board_pack` signs and writes, for the report above, as the station's supervisor."""
    session = store.login(SUPERVISOR, PASSWORD)
    identity = store.unlock_signing_identity(session, PASSWORD)
    files = build_pack_files(
        _report(),
        compute_part_a(build_rows(), PERIOD, vocabulary=VOCABULARY),
        identity=identity,
        exporter=f"{SUPERVISOR} (Ann Jones)",
        exported_at=EXPORTED,
        location="Aberystwyth",
        signer_lines=["Ann Jones (4411)"],
        audit_head=store.audit_head().pair(),
    )
    out.mkdir(exist_ok=True)
    return write_pack(files, out, base_name="board_pack_report9", exported_at=EXPORTED).zip_path


def test_a_pack_forged_on_a_look_alike_database_is_untrusted_never_verified(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    genuine = make_pack(station.store, tmp_path / "genuine")
    forger = tmp_path / "forger.sqlite3"
    with Store.open(forger, create=True) as store:  # same station, same supervisor name and collar
        store.init_station("Aberystwyth", "admin", "Ada Admin", PASSWORD)
        store.add_user(
            store.login("admin", PASSWORD), SUPERVISOR, "supervisor", "Ann Jones", "4411", PASSWORD, PASSWORD
        )
        forged = make_pack(store, tmp_path / "forged")
    capsys.readouterr()
    assert main(["verify", str(genuine), "--db", str(station.path)]) == 0
    assert "ALL FILES VERIFIED" in capsys.readouterr().out
    for configured in (station.path, tmp_path / "no-database.sqlite3"):
        assert main(["verify", str(forged), "--db", str(configured)]) == ExitCode.UNTRUSTED_SIGNER
        printed = capsys.readouterr().out
        assert "ALL FILES VERIFIED" not in printed and "Anyone could have made" in printed
    # the station CA of the forger, offered by the forger, is still not a root the checker holds
    ca_file = tmp_path / "forger_ca.pem"
    with Store.open(station.path) as store:
        ca_file.write_bytes(store.station_ca_pem() or b"")
    assert main(["verify", str(forged), "--trust", str(ca_file)]) == ExitCode.UNTRUSTED_SIGNER


def test_pack_output_carries_no_self_trust_hint(
    station: Station, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pack` and `export` never suggest trusting a file that came with the document."""
    import inspect

    from dsvdesk.commands import board, export

    for module in (board, export):
        source = inspect.getsource(module)
        assert "--trust {" not in source and "station_ca.pem" not in source
    zip_path = make_pack(station.store, tmp_path / "out")
    folder = zip_path.with_suffix("")
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.json",
        "part_a_data.csv",
        "part_a_data.pdf",
        "part_b_report.pdf",
    ]


def test_against_a_pack_made_before_the_edit(
    station: Station, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # some activity, a signed checkpoint, then the pack
    station.store.logout(station[SUPERVISOR])
    station.sessions.pop(SUPERVISOR)
    zip_path = make_pack(station.store, tmp_path / "pack")
    argv = ["audit", "verify", "--user", SUPERVISOR, "--db", str(station.path), "--against", str(zip_path)]
    assert main(argv) == 0
    assert "the head board_pack_report9.zip was made at" in capsys.readouterr().out
    # the attacker rewrites an event from before the pack and re-chains everything after it
    from dsvdesk.export.heads import HeadSource, heads_of

    (head,) = heads_of(zip_path, HeadSource(station.store))
    victim = max(e for e in events(station.path, audit.LOGIN) if e < head.seq)
    checkpoints = [c for c in events(station.path, audit.CHECKPOINT) if c > victim]
    rewrite_and_rechain(station.path, victim, detail='{"rewritten":true}')
    assert main(argv) == ExitCode.VERIFICATION_FAILED
    printed = capsys.readouterr().out
    # the sign-out checkpoint after the edited sign-in names it ...
    assert checkpoints and f"Audit log BROKEN at event {victim}:" in printed
    # ... and the pack, made before the edit, proves it on its own: its head is no longer in the log
    with Store.open(station.path) as store:
        assert "the log was rewritten" in store.audit_holds(head)
