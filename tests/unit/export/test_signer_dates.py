"""A signature made with a certificate outside its dates (expired, or not valid yet: a PC clock set
wrong, or a forged back-dated certificate) is intact but not trusted: `dsvdesk verify` says why in one
sentence and exits 9 (untrusted signer), never 0."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dsvdesk.cli import main
from dsvdesk.errors import ExitCode
from dsvdesk.export.pdf import render_record_pdf
from dsvdesk.export.signing import OFFICER_FIELD, SUBMIT_REASON, prepare_signature_fields, sign_pdf
from dsvdesk.store import pki
from dsvdesk.store.models import SigningIdentity
from tests.unit.export.conftest import HISTORY, StationPki, every_type_spec, full_answers, make_meta


@pytest.mark.parametrize(
    ("issued", "words"),
    [
        (dt.timedelta(days=-(pki.USER_VALID_DAYS + 30)), "the signer's certificate expired on"),
        (dt.timedelta(days=30), "the signer's certificate is not valid until"),
    ],
    ids=["expired", "not-yet-valid"],
)
def test_a_signer_certificate_outside_its_dates_is_untrusted_with_a_sentence(
    station_pki: StationPki,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    issued: dt.timedelta,
    words: str,
) -> None:
    key, cert = pki.issue_user_certificate(
        station_pki.ca_key,
        station_pki.ca,
        full_name="Łukasz Żółć",
        username="pc1234",
        collar="1234",
        role="officer",
        station="Aberystwyth",
        now=dt.datetime.now(dt.UTC) + issued,
    )
    identity = SigningIdentity(
        private_key=key, certificate=cert, ca_certificate=station_pki.ca, chain=(station_pki.ca,)
    )
    pdf = tmp_path / "record.pdf"
    pdf.write_bytes(
        sign_pdf(
            prepare_signature_fields(
                render_record_pdf(every_type_spec(), full_answers(), make_meta(), HISTORY)
            ),
            identity,
            field=OFFICER_FIELD,
            reason=SUBMIT_REASON,
            location="Aberystwyth",
            stamp_lines=["Łukasz Żółć", "Collar number: 1234", SUBMIT_REASON],
        )
    )
    ca_file = tmp_path / "station_ca.pem"  # the checker holds the right root: only the dates are wrong
    ca_file.write_bytes(pki.cert_pem(station_pki.ca))
    argv = ["verify", str(pdf), "--trust", str(ca_file), "--db", str(tmp_path / "none.sqlite3")]
    assert main(argv) == ExitCode.UNTRUSTED_SIGNER
    printed = capsys.readouterr().out
    assert words in printed and "Anyone could have made" in printed
    assert "intact and trusted" not in printed
