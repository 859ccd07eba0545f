"""An import takes the derived state (columns, completeness %, rule flags) the sender saved with each
record instead of evaluating the form again (issue 17: most of an import's time); the result is the same
as evaluating it, and a record that does not carry it all is evaluated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store
from dsvdesk.store.transferio import carried_derived
from tests.unit.transfer.conftest import Unit
from tests.unit.transfer.test_bundles import export, submitted


def test_import_writes_the_carried_derived_state_without_evaluating(
    units: dict[str, Unit], mini_spec: FormSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hol, csu = units["HOL"], units["CSU"]
    ids = [submitted(hol, mini_spec, "pc1", name) for name in ("Kay King", "Lou Lane")]
    bundle = export(hol, "CSU", tmp_path, "ps1", "b1")
    calls: list[Any] = []
    original = Store.derive

    def counting(self: Store, spec: FormSpec, answers: Any) -> Any:
        calls.append(answers)
        return original(self, spec, answers)

    monkeypatch.setattr(Store, "derive", counting)
    assert csu.store.import_bundle(csu["csu1"], bundle).new == 2
    assert calls == []
    monkeypatch.undo()
    for rid in ids:
        theirs = csu.store.open_record(csu["csu1"], rid, justification="t")
        ours = hol.store.open_record(hol["ps1"], rid, justification="t")
        expected = csu.store.derive(mini_spec, ours.answers)
        assert theirs.completeness == ours.completeness == expected.completeness
    rows = {r.id: r for r in csu.store.list_records(csu["csu1"])}
    home = {r.id: r for r in hol.store.list_records(hol["ps1"])}
    for rid in ids:
        assert rows[rid].flags == home[rid].flags
        assert rows[rid].victim_name == home[rid].victim_name


def test_a_record_without_all_of_it_is_evaluated(mini_spec: FormSpec) -> None:
    columns = {name: None for name in mini_spec.columns}
    whole = {"columns": columns, "completeness": 40, "flags": ["dash_high"]}
    derived = carried_derived(mini_spec, whole)
    assert derived is not None and (derived.completeness, derived.flags) == (40, ("dash_high",))
    for broken in (
        {**whole, "flags": None},  # a bundle from before flags travelled
        {**whole, "completeness": 101},
        {**whole, "completeness": "40"},
        {**whole, "flags": ["two words"]},
        {**whole, "columns": {k: v for k, v in list(columns.items())[1:]}},  # a column missing
    ):
        assert carried_derived(mini_spec, broken) is None, broken
