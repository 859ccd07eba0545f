"""The house rules that keep the core usable without Qt and off the network, and the layers of
docs/architecture.md: engine <- store <- reporting / export <- ui, with the CLI beside the ui."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import NetworkAccessError

ROOT = Path(__file__).resolve().parents[2]

BLOCK_QT = """
import sys
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == 'PySide6' or name.startswith('PySide6.') or name == 'shiboken6':
            raise ImportError('PySide6 is blocked in this test')
        return None
sys.meta_path.insert(0, _Blocker())
"""


PACKAGE = ROOT / "dsvdesk"
# Qt-free packages and modules; dsvdesk/reporting is covered as soon as it exists.
CORE_MODULES = [
    name
    for name in ("engine", "store", "reporting", "export", "hq", "cli", "workflow", "commands", "demo")
    if (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
]


@pytest.mark.parametrize("module", [f"dsvdesk.{name}" for name in CORE_MODULES])
def test_core_imports_without_pyside6(module: str) -> None:
    code = (
        BLOCK_QT
        + f"""
import importlib, pkgutil
pkg = importlib.import_module({module!r})
if hasattr(pkg, '__path__'):
    for info in pkgutil.walk_packages(pkg.__path__, prefix={module!r} + '.'):
        importlib.import_module(info.name)
assert not any(m.startswith('PySide6') for m in sys.modules), 'PySide6 got imported'
"""
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def test_headless_cli_runs_without_pyside6() -> None:
    code = BLOCK_QT + "from dsvdesk.cli import main; raise SystemExit(main(['--version']))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "DSVDesk" in result.stdout


def test_only_ui_qt_module_imports_pyside6() -> None:
    offenders = []
    for path in (ROOT / "dsvdesk").rglob("*.py"):
        if path == ROOT / "dsvdesk" / "ui" / "qt.py" or path.name == "syscheck.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "import PySide6" in text or "from PySide6" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# ------------------------------------------------------------------------------------------ layers
# Each part of the package and what it must never import (docs/architecture.md). Imports are read from
# the source (top-level, inside functions and under TYPE_CHECKING alike: a lazy import is still a
# dependency), plus importlib.import_module("...") with a literal name.
ENTRY_POINTS = {"cli", "commands", "__main__", "demo", "workflow"}  # orchestration above the core
FORBIDDEN: dict[str, set[str]] = {
    "engine": {"store", "reporting", "export", "ui", "hq", *ENTRY_POINTS},
    "store": {"reporting", "export", "ui", "hq", *ENTRY_POINTS},
    "reporting": {"ui", "hq", *ENTRY_POINTS},
    "export": {"ui", "hq", *ENTRY_POINTS},
    "hq": {"ui", "export", *ENTRY_POINTS},  # force HQ: bundles in, figures out; no Qt, no PDFs
    "workflow": {"ui", "cli", "commands", "__main__", "demo"},
    "commands": {"ui"},  # headless: the app is opened only by cli.run_gui
    "demo": {"ui", "cli", "commands", "__main__"},
}
# Store modules that are its machinery, not its surface: export, ui and the commands go through the
# Store facade (and StationGate for the sign-in window), its models, errors, settings and the pure helpers
# (search keys, pki, user-field checks). reporting builds its queries on the store's read surface
# (store/base.py), so it is not held to this list.
STORE_INTERNALS = {"db", "base", "records", "lifecycle", "backup", "bulk", "audit"}
KNOWN_EXCEPTIONS = {
    # The login window lists demo accounts before anyone signs in, from a bare connection (no Store).
    ("dsvdesk/ui/app.py", "dsvdesk.store.db"),
}
STORE_INTERNALS_FORBIDDEN_TO = {"export", "ui", "commands"}
QT_MODULES = ("PySide6", "shiboken6")
QT_ALLOWED = {PACKAGE / "ui" / "qt.py", PACKAGE / "syscheck.py"}  # syscheck probes Qt's system libraries


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``path`` (or in ``source`` as if it were that
    file), relative imports resolved."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    text = path.read_text(encoding="utf-8") if source is None else source
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # `from dsvdesk import store` imports dsvdesk.store
                yield node.lineno, f"{target}.{alias.name}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _part(module: str) -> str | None:
    """The top-level part of dsvdesk a module belongs to (``dsvdesk.store.db`` -> ``store``)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "dsvdesk" and len(parts) > 1 else None


def _package_files() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_imports_respect_the_layers() -> None:
    offenders = []
    for path in _package_files():
        own = _part(_module_name(path))
        forbidden = FORBIDDEN.get(own or "", set())
        for line, target in imported_modules(path):
            if _part(target) in forbidden:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {target}")
    assert offenders == [], "imports against docs/architecture.md's layers:\n" + "\n".join(offenders)


def test_export_ui_and_commands_use_the_stores_surface_not_its_machinery() -> None:
    offenders = []
    for path in _package_files():
        own = _part(_module_name(path))
        if own not in STORE_INTERNALS_FORBIDDEN_TO:
            continue
        for line, target in imported_modules(path):
            parts = target.split(".")
            if (str(path.relative_to(ROOT)), target) in KNOWN_EXCEPTIONS:
                continue
            if parts[:2] == ["dsvdesk", "store"] and len(parts) > 2 and parts[2] in STORE_INTERNALS:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {own} imports {target}")
    assert offenders == [], "use dsvdesk.store's public surface:\n" + "\n".join(offenders)


def test_qt_is_imported_only_through_ui_qt() -> None:
    offenders = []
    for path in _package_files():
        if path in QT_ALLOWED:
            continue
        for line, target in imported_modules(path):
            if target.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {target}")
    assert offenders == [], "import Qt only via dsvdesk.ui.qt:\n" + "\n".join(offenders)


def test_the_layer_check_sees_lazy_relative_and_dynamic_imports() -> None:
    probe = (
        "from . import spec\n"
        "def f():\n"
        "    from dsvdesk.store import db\n"
        "    import importlib\n"
        "    importlib.import_module('PySide6.QtWidgets')\n"
    )
    found = {name for _line, name in imported_modules(PACKAGE / "engine" / "loader.py", probe)}
    assert {"dsvdesk.engine.spec", "dsvdesk.store.db", "PySide6.QtWidgets"} <= found
    assert _part("dsvdesk.store.db") == "store" and "store" in FORBIDDEN["engine"]


def test_network_guard_refuses_connections() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkAccessError):
            sock.connect(("127.0.0.1", 9))
    finally:
        sock.close()


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from dsvdesk import __version__
    from dsvdesk.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out
