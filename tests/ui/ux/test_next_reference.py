"""Issue 20, item 11: the admin's "next reference" is the real next URN, the one the store allocates at the
next approval (this year's approvals counted), also while a new format or station code is typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.engine.loader import load_form_text
from dsvdesk.store import Store
from dsvdesk.ui.admin.screen import AdminScreen
from dsvdesk.workflow import approve_record, submit_record
from tests.ui.conftest import ADMIN_PASSWORD, OFFICER_PASSWORD, SUPERVISOR_PASSWORD, type_text
from tests.ui.ux.conftest import close_app, start_as
from tests.unit.qa.forms import QA_FORM

ANSWERS = {
    "victim_name": "Ewa Next",
    "incident_date": "2026-03-01",
    "dash_q1": "no",
    "officer_grade": "standard",
}


def approve_one(db_path: Path) -> str:
    with Store.open(db_path) as store:
        officer = store.login("officer1", OFFICER_PASSWORD)
        ref = store.create_record(officer, load_form_text(QA_FORM, "qa.yaml"), ANSWERS)
        submit_record(store, officer, ref.id, OFFICER_PASSWORD)
        supervisor = store.login("super1", SUPERVISOR_PASSWORD)
        return approve_record(
            store,
            supervisor,
            ref.id,
            SUPERVISOR_PASSWORD,
            grade="standard",
            rationale=None,
            justification="QA",
        ).urn


def test_the_store_says_which_reference_comes_next(db_path: Path) -> None:
    with Store.open(db_path) as store:
        admin = store.login("admin", ADMIN_PASSWORD)
        first = store.next_urn(admin)
    assert approve_one(db_path) == first
    with Store.open(db_path) as store:
        admin = store.login("admin", ADMIN_PASSWORD)
        second = store.next_urn(admin)
        assert second != first
        assert store.next_urn(admin, urn_format="{station}/{yyyy}/{seq:05d}", station_code="KX").startswith(
            "KX/"
        )
    assert approve_one(db_path) == second


@pytest.mark.usefixtures("ui_app")
def test_the_admin_screen_shows_the_real_next_reference(qtbot: QtBot, db_path: Path, tmp_path: Path) -> None:
    approve_one(db_path)
    used = approve_one(db_path)
    with Store.open(db_path) as store:
        expected = store.next_urn(store.login("admin", ADMIN_PASSWORD))
    window = start_as(qtbot, db_path, tmp_path, "admin", ADMIN_PASSWORD)
    screen = window.tabs.currentWidget()
    assert isinstance(screen, AdminScreen)
    assert screen.urn_preview.text() == f"Next reference: {expected}"
    assert expected != used and used.rsplit("-", 1)[0] == expected.rsplit("-", 1)[0]
    code = screen.setting_boxes["station_code"]
    code.setFocus()
    code.selectAll()
    type_text(code, "KX")  # while typing: the same number under the new code
    assert screen.urn_preview.text().startswith("Next reference: KX")
    close_app(window)
