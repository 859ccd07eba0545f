"""The house rules that keep the core usable without Qt and off the network."""

from __future__ import annotations

import socket
import subprocess
import sys
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


@pytest.mark.parametrize(
    "module", ["dsvdesk.engine", "dsvdesk.store", "dsvdesk.export", "dsvdesk.cli", "dsvdesk.workflow"]
)
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
