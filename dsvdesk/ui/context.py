"""What every screen needs after sign-in: the store, the session, the forms, the UI state.

All calls from the UI into the store go through here, so the screens share one contract with the
core (docs/architecture.md) and tests can see every access in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.ui.models.records import RecordQuery
from dsvdesk.ui.state import UiState

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store import Store
    from dsvdesk.store.models import Record, RecordRow, Session
    from dsvdesk.ui.name_sort import NameOrderWarmUp


REPORT_KIND = "report"
NOT_OFFERED_KINDS = (REPORT_KIND, "casework")  # board reports and CSU casework have their own screens


def offered_forms(forms: Mapping[str, FormSpec]) -> list[FormSpec]:
    """Forms an officer can start with "New …": every form whose ``options.kind`` is not "report" or
    "casework" (board reports and casework have their own screens), in title order."""
    return sorted(
        (
            spec
            for spec in forms.values()
            if str(spec.options.get("kind", "")).lower() not in NOT_OFFERED_KINDS
        ),
        key=lambda spec: spec.title.lower(),
    )


def new_button_text(spec: FormSpec) -> str:
    """'New 124D' from the title's first word, or the form's own ``options.new_label``."""
    label = spec.options.get("new_label")
    if isinstance(label, str) and label.strip():
        return label.strip()
    first_word = spec.title.split()[0] if spec.title.split() else spec.id
    short = first_word if any(ch.isdigit() for ch in first_word) else spec.title
    return f"New {short}"


@dataclass
class AppContext:
    store: Store
    session: Session
    db_path: Path
    forms: dict[str, FormSpec] = field(default_factory=dict)
    ui_state: UiState = field(default_factory=UiState)
    demo: bool = False
    # the session's sealed-name order being made off the UI thread after sign-in (ui/name_sort.py);
    # None: sorts by a name open what they need themselves
    name_orders: NameOrderWarmUp | None = None

    def sort_waits_for(self, sort_key: str) -> bool:
        """Whether a list sorted by ``sort_key`` should wait for the name order being made."""
        return self.name_orders is not None and self.name_orders.waits_for(sort_key)

    # --- who --------------------------------------------------------------------------------------
    @property
    def role(self) -> str:
        return str(self.session.user.role)

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def audiences(self) -> tuple[str, ...]:
        return ("author", "reviewer") if self.is_supervisor else ("author",)

    # --- records ----------------------------------------------------------------------------------
    def list_records(self, query: RecordQuery, offset: int, limit: int) -> Sequence[RecordRow]:
        return self.store.list_records(self.session, **self._query_args(query), offset=offset, limit=limit)

    def count_records(self, query: RecordQuery) -> int:
        args = self._query_args(query)
        args.pop("sort")
        args.pop("descending")
        return int(self.store.count_records(self.session, **args))

    def _query_args(self, query: RecordQuery) -> dict[str, Any]:
        args: dict[str, Any] = {
            "search": query.search or None,
            "sort": query.sort,
            "descending": query.descending,
        }
        if query.statuses:
            args["status"] = list(query.statuses)
        if query.mine_only:
            args["owner"] = self.session.user.id
        args.update(query.extra)
        return args

    def create_record(self, spec: FormSpec) -> str:
        """A new record, starting with what is already known (the form's ``prefill:`` tags): the
        signed-in officer, the station and the time now. The officer can change any of them."""
        import datetime as dt

        from dsvdesk.engine.prefill import known_values, prefill_answers

        user = self.session.user
        station = self.store.get_settings().station_name or user.station
        known = known_values(
            full_name=user.full_name, collar=user.collar, station=station, now=dt.datetime.now()
        )
        ref = self.store.create_record(self.session, spec, prefill_answers(spec, known) or None)
        return str(getattr(ref, "id", ref))

    def open_record(self, record_id: str, justification: str | None = None) -> Record:
        return self.store.open_record(self.session, record_id, justification=justification)

    def save_answer(self, record_id: str, answer_id: str, value: Any, expected_version: int) -> int:
        return int(
            self.store.save_answer(
                self.session, record_id, answer_id, value, expected_version=expected_version
            )
        )

    def upgrade_record(self, record_id: str, spec: FormSpec, expected_version: int) -> int:
        """Move a draft to another version of its form (one audited change); returns the new version."""
        ref, _report = self.store.upgrade_record(self.session, record_id, spec, expected_version)
        return int(ref.version)

    def submit_record(self, record_id: str, password: str) -> None:
        """Runs on a worker thread: it opens its own connection (sqlite3 connections stay on their thread)."""
        from dsvdesk import workflow
        from dsvdesk.store import Store

        worker_store = Store.open(self.db_path)
        try:
            workflow.submit_record(worker_store, self.session, record_id, password)
        finally:
            worker_store.close()
