"""Helpers to put a record into a given lifecycle state."""

from __future__ import annotations

from dsvdesk.store import RecordRef, Status
from tests.unit.store.conftest import Station, fake_pdf

GOOD = {
    "victim_name": "Ann Ångström",
    "suspect_name": "Bob Bloggs",
    "incident_date": "2026-01-02",
    "cad_ref": "CAD1234",
}


def reviewer_for(owner: str) -> str:
    return "sup2" if owner == "sup1" else "sup1"


def prepare(station: Station, owner: str, status: Status) -> RecordRef:
    store = station.store
    ref = store.create_record(station[owner], station.spec, GOOD)
    if status is Status.DRAFT:
        return ref
    ref = store.submit(station[owner], ref.id, ref.version, fake_pdf("officer"))
    if status is Status.SUBMITTED:
        return ref
    reviewer = station[reviewer_for(owner)]
    if status is Status.RETURNED:
        return store.return_record(reviewer, ref.id, {"victim_name": "Spell it out"}, ref.version)
    store.approve(reviewer, ref.id, ref.version, lambda urn: fake_pdf(f"approved {urn}"))
    return RecordRef(ref.id, ref.revision, ref.version + 1, Status.APPROVED)
