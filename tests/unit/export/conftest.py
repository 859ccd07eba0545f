"""Fixtures for the PDF, signing and verification tests: an inline form with every question type,
a station CA with an officer and a supervisor (made with dsvdesk.store.pki, as `dsvdesk init` does),
and helpers around poppler's command-line tools."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from dsvdesk.engine.expressions import Expression
from dsvdesk.engine.spec import (
    Audience,
    Choice,
    FormSpec,
    Page,
    Question,
    QuestionType,
    Section,
    SummaryItem,
    Tag,
)
from dsvdesk.export.pdf import HistoryEntry, RecordMeta
from dsvdesk.store import pki
from dsvdesk.store.models import SigningIdentity
from tests.unit.export.station import station, station_template  # noqa: F401 - fixtures for the workflow/CLI tests

QT = QuestionType
RECORD_ID = "5f0c6a0e-1111-4222-8333-944444444444"
DOC_DATE = datetime(2026, 1, 6, 10, 0, tzinfo=UTC)


def _q(qid: str, qtype: QuestionType, label: str, **kwargs: Any) -> Question:
    return Question(id=qid, type=qtype, label=label, **kwargs)


def every_type_spec() -> FormSpec:
    """A form with one question of every type, a hidden question, a reviewer section and a summary."""
    yes_no_dk = {"tags": (Tag("dash"),)}
    return FormSpec(
        id="every_type",
        version="2026.1",
        title="Every Type Test Form",
        marking="OFFICIAL-SENSITIVE",
        sections=(
            Section(
                id="incident",
                title="Incident",
                number="1",
                pages=(
                    Page(
                        id="details",
                        title="Incident details",
                        questions=(
                            _q("victim_name", QT.TEXT, "Victim's full name", required=True),
                            _q(
                                "cad",
                                QT.REFERENCE,
                                "CAD number",
                                required=True,
                                pattern=r"^CAD\d{4}$",
                                example="CAD1234",
                            ),
                            _q("incident_date", QT.DATE, "Date of incident"),
                            _q("incident_time", QT.TIME, "Time of incident"),
                            _q("reported_at", QT.DATETIME, "Reported at"),
                            _q("officers", QT.INTEGER, "Officers attending"),
                            _q("distance", QT.DECIMAL, "Distance in miles"),
                            _q("present", QT.YESNO, "Was the suspect present?"),
                            _q(
                                "grade",
                                QT.CHOICE,
                                "Officer's grade",
                                choices=(Choice("standard", "Standard"), Choice("high", "High risk")),
                            ),
                            _q(
                                "services",
                                QT.MULTICHOICE,
                                "Services contacted",
                                choices=(
                                    Choice("idva", "IDVA"),
                                    Choice("refuge", "Refuge"),
                                    Choice("police", "Police"),
                                ),
                            ),
                            _q(
                                "guidance", QT.NOTE, "Read the victim their rights (guidance, never printed)."
                            ),
                            _q(
                                "hidden_reason",
                                QT.TEXT,
                                "Why was the suspect present?",
                                show_when=Expression.parse("present == 'yes'"),
                            ),
                        ),
                    ),
                    Page(
                        id="dash",
                        title="DASH questions",
                        questions=(
                            _q(
                                "q1",
                                QT.YESNO_DK,
                                "Has the current incident resulted in injury?",
                                number="1",
                                comment=True,
                                **yes_no_dk,
                            ),
                            _q("q2", QT.YESNO_DK, "Are you very frightened?", number="2", **yes_no_dk),
                            _q("q3", QT.YESNO_DK, "What are you afraid of?", number="3", **yes_no_dk),
                            _q(
                                "q4",
                                QT.YESNO_DK,
                                "Do you feel isolated?",
                                number="4",
                                comment=True,
                                **yes_no_dk,
                            ),
                            _q(
                                "afraid_grid",
                                QT.GRID,
                                "Afraid of what, for whom?",
                                rows=(Choice("kill", "Being killed"), Choice("hurt", "Being hurt")),
                                columns=(
                                    Choice("self", "Self"),
                                    Choice("children", "Children"),
                                    Choice("other", "Other"),
                                ),
                            ),
                            _q(
                                "yes_count",
                                QT.COMPUTED,
                                "Number of 'yes' answers",
                                expression=Expression.parse("count_tagged('dash', 'yes')"),
                            ),
                        ),
                    ),
                    Page(
                        id="people",
                        title="Children and statement",
                        questions=(
                            _q(
                                "children",
                                QT.REPEAT,
                                "Children and dependants",
                                item_label="Child",
                                max_items=40,
                                fields=(
                                    _q("name", QT.TEXT, "Name", required=True),
                                    _q("dob", QT.DATE, "Date of birth"),
                                    _q("present", QT.YESNO, "Present"),
                                ),
                            ),
                            _q(
                                "witnesses",
                                QT.REPEAT,
                                "Witnesses",
                                item_label="Witness",
                                fields=tuple(
                                    _q(fid, QT.TEXT, label)
                                    for fid, label in (
                                        ("name", "Name"),
                                        ("address", "Address"),
                                        ("phone", "Telephone"),
                                        ("relationship", "Relationship"),
                                        ("account", "First account"),
                                        ("statement_taken", "Statement taken"),
                                    )
                                ),
                            ),
                            _q("statement", QT.LONGTEXT, "Officer's statement", required=True),
                        ),
                    ),
                ),
            ),
            Section(
                id="supervisor",
                title="Supervisor review",
                number="2",
                audience=Audience.REVIEWER,
                pages=(
                    Page(
                        id="review",
                        title="Supervisor review",
                        questions=(
                            _q(
                                "supervisor_grade",
                                QT.CHOICE,
                                "Supervisor's grade",
                                required=True,
                                tags=(Tag("review", "grade"),),
                                choices=(Choice("standard", "Standard"), Choice("high", "High risk")),
                            ),
                            _q(
                                "supervisor_rationale",
                                QT.LONGTEXT,
                                "Reason for the grade",
                                tags=(Tag("review", "rationale"),),
                            ),
                        ),
                    ),
                ),
            ),
        ),
        summary=(
            SummaryItem("DASH 'yes' answers", Expression.parse("yes_count")),
            SummaryItem("Items answered yes", Expression.parse("list_tagged('dash', 'yes')")),
            SummaryItem("Officer's grade", Expression.parse("grade")),
        ),
    )


STATEMENT_SENTINEL = "ZZENDOFSTATEMENTZZ"


def full_answers(*, words: int = 300, children: int = 3) -> dict[str, Any]:
    statement = " ".join(f"word{i}" + ("." if i % 17 == 16 else "") for i in range(words))
    return {
        "victim_name": "Łukasz Żółć",
        "cad": "CAD1234",
        "incident_date": "2026-01-05",
        "incident_time": "21:40",
        "reported_at": "2026-01-05T21:45",
        "officers": 2,
        "distance": 1.5,
        "present": "no",
        "hidden_reason": "STALEHIDDENANSWER",
        "grade": "high",
        "services": ["idva", "refuge"],
        "q1": "yes",
        "q1__comment": "Bruising to the left arm <b>not bold</b> & more",
        "q2": "no",
        "q3": "dont_know",
        "q4": "not_asked",
        "q4__comment": "Suspect in the room",
        "afraid_grid": {"kill": ["self"], "hurt": ["self", "children"]},
        "children": [
            {"name": f"Child{i:02d} Gwenllïan ap Dafydd", "dob": "2015-03-01", "present": "yes"}
            for i in range(1, children + 1)
        ],
        "witnesses": [
            {
                "name": "Σωκράτης Παπαδόπουλος",
                "address": "12 Ffordd y Môr, Aberystwyth",
                "phone": "01970 000000",
                "relationship": "Neighbour",
                "account": "Heard shouting through the wall",
                "statement_taken": "Yes",
            }
        ],
        "statement": statement + " " + STATEMENT_SENTINEL,
        "supervisor_grade": "high",
        "supervisor_rationale": "Agree with the officer.",
    }


def make_meta(**overrides: Any) -> RecordMeta:
    values: dict[str, Any] = {
        "form_title": "Every Type Test Form",
        "form_version": "2026.1",
        "record_id": RECORD_ID,
        "status": "submitted",
        "revision": 1,
        "document_date": DOC_DATE,
        "station": "Aberystwyth",
        "officer": "PC 1234 Łukasz Żółć",
    }
    values.update(overrides)
    return RecordMeta(**values)


HISTORY = [
    HistoryEntry("created", "PC 1234 Łukasz Żółć", datetime(2026, 1, 5, 22, 0)),
    HistoryEntry("submitted", "PC 1234 Łukasz Żółć", datetime(2026, 1, 6, 9, 55)),
]


# ------------------------------------------------------------------------------------------ PKI
class StationPki:
    def __init__(self) -> None:
        self.ca_key, self.ca = pki.create_ca("Aberystwyth")
        self.officer = self.identity("Łukasz Żółć", "lzolc", "1234", "officer")
        self.supervisor = self.identity("王小明", "wxm", "4411", "supervisor")

    def identity(self, full_name: str, username: str, collar: str, role: str) -> SigningIdentity:
        key, cert = pki.issue_user_certificate(
            self.ca_key,
            self.ca,
            full_name=full_name,
            username=username,
            collar=collar,
            role=role,
            station="Aberystwyth",
        )
        return SigningIdentity(private_key=key, certificate=cert, ca_certificate=self.ca, chain=(self.ca,))


@pytest.fixture(scope="session")
def station_pki() -> StationPki:
    return StationPki()


@pytest.fixture(scope="session")
def other_ca() -> x509.Certificate:
    return pki.create_ca("Somewhere Else")[1]


# ------------------------------------------------------------------------------------------ poppler
def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils libnss3-tools)")
    return path


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


def pdf_text(pdf: Path, *, page: int | None = None) -> str:
    argv = [tool("pdftotext"), "-layout"]
    if page is not None:
        argv += ["-f", str(page), "-l", str(page)]
    result = run([*argv, str(pdf), "-"])
    assert result.returncode == 0, result.stderr
    return result.stdout


def page_count(pdf: Path) -> int:
    result = run([tool("pdfinfo"), str(pdf)])
    for line in result.stdout.splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError(result.stdout + result.stderr)


@pytest.fixture
def save_pages(artifacts_dir: Path) -> Callable[[bytes, str], Path]:
    """Write a PDF and its pages as PNGs (pdftoppm -r 60) into the artefacts folder for a human."""

    def save(data: bytes, name: str, *, first: int | None = None, last: int | None = None) -> Path:
        folder = artifacts_dir / "pdf"
        folder.mkdir(parents=True, exist_ok=True)
        pdf = folder / f"{name}.pdf"
        pdf.write_bytes(data)
        argv = [tool("pdftoppm"), "-png", "-r", "60"]
        if first:
            argv += ["-f", str(first)]
        if last:
            argv += ["-l", str(last)]
        result = run([*argv, str(pdf), str(folder / name)])
        assert result.returncode == 0, result.stderr
        return pdf

    return save  # type: ignore[return-value]


FORCE_CA_PASSPHRASE = "force ICT offline passphrase"


def fingerprint_in(text: str) -> str:
    """The SHA-256 fingerprint `dsvdesk ca init/publish` printed."""
    import re

    found = re.search(r"Fingerprint \(SHA-256\): ([0-9A-F:]{95})", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path, str]:
    """A force CA folder (made with `dsvdesk ca init`), the published root and its fingerprint."""
    from dsvdesk.cli import main

    monkeypatch.setenv("DSVDESK_CA_PASSPHRASE", FORCE_CA_PASSPHRASE)
    ca_dir = tmp_path / "force_ca"
    assert main(["ca", "init", "--dir", str(ca_dir), "--force", "Dyfed-Powys Police"]) == 0
    capsys.readouterr()
    root = tmp_path / "force_root.pem"
    assert main(["ca", "publish", "--dir", str(ca_dir), "--out", str(root)]) == 0
    return ca_dir, root, fingerprint_in(capsys.readouterr().out)
