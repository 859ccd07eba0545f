"""The review rules through the core API (not only the UI): a supervisor cannot approve their own
record, an officer cannot review, lowering the grade below the floor is refused, raising it is free;
return needs a comment and puts the record back with the officer; the headless CLI does the same."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dsvdesk.reporting.review_queue import approval_problems
from dsvdesk.store import FindingsBlock, InvalidInput, PermissionDenied, Status
from dsvdesk.workflow import approve_record, submit_record
from tests.unit.qa.conftest import PASSWORD, QaStation

HIGH_ANSWERS = {
    "victim_name": "Ana Popescu",
    "incident_date": "2026-03-01",
    "dash_q1": "yes",
    "dash_q2": "yes",
    "dash_q3": "yes",
    "officer_grade": "high",
    "marac_referral_date": "2026-03-01",
    "marac_criteria": ["visible_high_risk"],
}


def submitted(qa: QaStation, owner: str, answers: dict[str, object]) -> str:
    ref = qa.store.create_record(qa[owner], qa.spec, answers)
    submit_record(qa.store, qa[owner], ref.id, PASSWORD)
    return ref.id


def test_a_supervisor_cannot_approve_or_return_their_own_record(qa: QaStation) -> None:
    record_id = submitted(qa, "sup1", {**HIGH_ANSWERS})
    with pytest.raises(PermissionDenied, match="own record"):
        approve_record(qa.store, qa["sup1"], record_id, PASSWORD)
    record = qa.store.open_record(qa["sup1"], record_id)
    with pytest.raises(PermissionDenied, match="own record"):
        qa.store.return_record(qa["sup1"], record_id, {"victim_name": "x"}, record.version)
    assert qa.store.open_record(qa["sup1"], record_id).status is Status.SUBMITTED
    # another supervisor can
    result = approve_record(qa.store, qa["sup2"], record_id, PASSWORD)
    assert result.urn.startswith("TS-")


def test_an_officer_cannot_review(qa: QaStation) -> None:
    record_id = submitted(qa, "off1", {**HIGH_ANSWERS})
    with pytest.raises(PermissionDenied):
        approve_record(qa.store, qa["off2"], record_id, PASSWORD)  # not theirs: cannot even open it
    own = qa.store.open_record(qa["off1"], record_id)
    with pytest.raises(PermissionDenied):
        qa.store.approve(qa["off1"], record_id, own.version, lambda urn: b"%PDF-")
    with pytest.raises(PermissionDenied):
        qa.store.return_record(qa["off1"], record_id, {"victim_name": "x"}, own.version)
    assert qa.store.open_record(qa["off1"], record_id).status is Status.SUBMITTED


def test_lowering_below_the_floor_is_refused_raising_is_free(qa: QaStation) -> None:
    record_id = submitted(qa, "off1", {**HIGH_ANSWERS})
    record = qa.store.open_record(qa["sup1"], record_id, justification="Supervisor review")
    problems = approval_problems(
        record.spec, record.answers, {"supervisor_grade": "standard", "supervisor_rationale": "Lower it"}
    )
    assert [p.rule_id for p in problems] == ["supervisor_floor"]
    with pytest.raises(FindingsBlock, match="cannot be lower than High"):
        approve_record(qa.store, qa["sup1"], record_id, PASSWORD, grade="standard", rationale="Lower it")
    assert qa.store.open_record(qa["sup1"], record_id, justification="check").status is Status.SUBMITTED

    low = submitted(qa, "off2", {"victim_name": "Ivan Petrov", "officer_grade": "standard"})
    record = qa.store.open_record(qa["sup1"], low, justification="Supervisor review")
    # raising without a rationale is not enough: the form asks why when the grade changes
    assert [
        p.question_id for p in approval_problems(record.spec, record.answers, {"supervisor_grade": "high"})
    ] == ["supervisor_rationale"]
    changes = {"supervisor_grade": "high", "supervisor_rationale": "Threats to kill in the narrative"}
    assert approval_problems(record.spec, record.answers, changes) == []
    result = approve_record(
        qa.store, qa["sup1"], low, PASSWORD, grade="high", rationale="Threats to kill in the narrative"
    )
    approved = qa.store.open_record(qa["sup1"], low, justification="check")
    assert approved.status is Status.APPROVED and approved.urn == result.urn
    assert approved.answers["supervisor_grade"] == "high"
    assert qa.store.list_records(qa["sup1"], search=result.urn)[0].grade == "high"  # the final grade column


def test_return_needs_a_comment_and_goes_back_to_the_officer(qa: QaStation) -> None:
    record_id = submitted(qa, "off1", {"victim_name": "Ivan Petrov", "officer_grade": "standard"})
    record = qa.store.open_record(qa["sup1"], record_id, justification="Supervisor review")
    with pytest.raises(InvalidInput, match="at least one comment"):
        qa.store.return_record(qa["sup1"], record_id, {"victim_name": "  "}, record.version)
    qa.store.return_record(
        qa["sup1"],
        record_id,
        {"victim_name": "Full name please", "dash_q1": "Ask about injuries"},
        record.version,
    )
    back = qa.store.open_record(qa["off1"], record_id)
    assert back.status is Status.RETURNED and back.return_rounds == 1 and back.is_editable
    assert dict(back.review_comments) == {"victim_name": "Full name please", "dash_q1": "Ask about injuries"}


# ----------------------------------------------------------------------------------- CLI end to end
def cli(qa: QaStation, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DSVDESK_PASSWORD": password}
    return subprocess.run(
        [sys.executable, "-m", "dsvdesk.cli", "--db", str(qa.path), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_cli_review_return_then_approve(qa: QaStation, tmp_path: Path) -> None:
    record_id = submitted(qa, "off1", {"victim_name": "Ivan Petrov", "officer_grade": "standard"})
    qa.store.close()

    refused = cli(qa, "records", "review", record_id, "--return", "--user", "sup1")
    assert refused.returncode != 0 and "--comment" in refused.stderr + refused.stdout
    bad = cli(qa, "records", "review", record_id, "--return", "--comment", "no colon here", "--user", "sup1")
    assert bad.returncode != 0 and "question_id: what to change" in bad.stderr + bad.stdout
    officer = cli(
        qa, "records", "review", record_id, "--return", "--comment", "victim_name: x", "--user", "off1"
    )
    assert officer.returncode != 0 and "Traceback" not in officer.stderr

    returned = cli(
        qa,
        "records",
        "review",
        record_id,
        "--return",
        "--comment",
        "victim_name: Full name please",
        "--comment",
        "dash_q1: Ask about injuries",
        "--user",
        "sup1",
    )
    assert returned.returncode == 0, returned.stderr
    assert "Returned" in returned.stdout and "2 comments" in returned.stdout
    shown = cli(qa, "records", "show", record_id, "--user", "off1")
    assert "reviewer: Full name please" in shown.stdout and "reviewer: Ask about injuries" in shown.stdout

    resubmit = cli(qa, "records", "submit", record_id, "--user", "off1")
    assert resubmit.returncode == 0, resubmit.stderr
    own = cli(qa, "records", "review", record_id, "--approve", "--user", "off1")
    assert own.returncode != 0 and "Traceback" not in own.stderr
    approved = cli(
        qa,
        "records",
        "review",
        record_id,
        "--approve",
        "--grade",
        "high",
        "--rationale",
        "Threats in the narrative",
        "--user",
        "sup2",
    )
    assert approved.returncode == 0, approved.stderr
    assert re.search(r"Approved \S+ as TS-\d{4}-00001", approved.stdout), approved.stdout
