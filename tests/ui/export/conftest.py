"""Export UI fixtures: the QA test form in the forms folder, records submitted and approved through the
real workflow (signed with real keys), and the app started as a chosen user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.workflow import approve_record, submit_record
from tests.ui.conftest import OFFICER_PASSWORD, SUPERVISOR_PASSWORD
from tests.ui.qa.conftest import qa_forms  # noqa: F401 - the forms folder fixture, shared with the QA tests
from tests.unit.qa.forms import QA_FORM

ANSWERS: dict[str, Any] = {
    "victim_name": "Małgorzata Wiśniewska",
    "incident_date": "2026-03-01",
    "cad_ref": "CAD1234",
    "previous_incidents": 1,
    "dash_q1": "yes",
    "dash_q2": "no",
    "dash_q3": "no",
    "officer_grade": "standard",
}


def seed_record(db_path: Path, *, submit: bool = True, approve: bool = False, owner: str = "officer1") -> str:
    """A record of the QA form; submitted (officer's signature) and approved (countersigned) on request."""
    with Store.open(db_path) as store:
        officer = store.login(owner, OFFICER_PASSWORD)
        record_id = store.create_record(officer, load_form_text(QA_FORM, "qa.yaml"), ANSWERS).id
        if submit or approve:
            submit_record(store, officer, record_id, OFFICER_PASSWORD)
        if approve:
            supervisor = store.login("super1", SUPERVISOR_PASSWORD)
            approve_record(
                store,
                supervisor,
                record_id,
                SUPERVISOR_PASSWORD,
                grade="medium",
                rationale="Escalating pattern",
                justification="Supervisor review",
            )
        return record_id


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder
