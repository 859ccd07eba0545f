"""Other packages use only the Store's public surface (docs/architecture.md, "store"): no module outside
``dsvdesk/store`` reaches for a Store member whose name starts with ``_``."""

from __future__ import annotations

import ast
from pathlib import Path

from dsvdesk.store import Store
from dsvdesk.store.gate import StationGate

ROOT = Path(__file__).resolve().parents[2]
STORE_PACKAGE = ROOT / "dsvdesk" / "store"

# Instance attributes set in __init__ (dir() of the class does not show them).
INSTANCE_ATTRIBUTES = {"_conn", "_clock", "_specs"}


def _private_members() -> set[str]:
    names = {n for cls in (Store, StationGate) for n in dir(cls) if n.startswith("_")}
    return {n for n in names | INSTANCE_ATTRIBUTES if not (n.startswith("__") and n.endswith("__"))}


def private_uses(source: str, private: set[str]) -> list[tuple[int, str]]:
    """(line, "receiver._name") for every ``x._name`` with ``_name`` a private Store member and ``x``
    not ``self``/``cls`` (a class's own private members are its business)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Attribute) and node.attr in private):
            continue
        if isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"}:
            continue
        found.append((node.lineno, f"{ast.unparse(node.value)}.{node.attr}"))
    return sorted(found)


def _outside_store() -> list[Path]:
    files = [*(ROOT / "dsvdesk").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    return sorted(p for p in files if STORE_PACKAGE not in p.parents)


def test_the_scan_finds_a_private_store_call() -> None:
    source = "def f(store):\n    with store._tx():\n        store._audit(None, 'x')\n    return store._conn\n"
    assert sorted(name for _, name in private_uses(source, _private_members())) == [
        "store._audit",
        "store._conn",
        "store._tx",
    ]


def test_the_public_surface_exists() -> None:
    for name in ("read", "transaction", "audit_event", "current_user", "require_role", "now", "timestamp"):
        assert callable(getattr(Store, name)), name


def test_no_module_outside_the_store_uses_a_private_store_member() -> None:
    private = _private_members()
    assert {"_tx", "_read", "_audit", "_require", "_current_user"} <= private
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for path in _outside_store()
        for line, name in private_uses(path.read_text(encoding="utf-8"), private)
    ]
    assert offenders == []
