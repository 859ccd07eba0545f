"""Fixtures for the QA screens: the QA test form in the forms folder, sign-in as a chosen user, the
app started and stopped as a user would, and pdfsig/pdftotext around the signed PDFs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dsvdesk.store import Store, pki
from dsvdesk.ui import app as app_module
from dsvdesk.ui.dialogs.login import LoginDialog
from dsvdesk.ui.main_window import MainWindow
from dsvdesk.ui.qt import QPoint, QRadioButton, Qt
from tests.unit.qa.forms import QA_FORM


@pytest.fixture
def qa_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "qa.yaml").write_text(QA_FORM, encoding="utf-8")
    monkeypatch.setenv("DSVDESK_FORMS", str(folder))
    return folder


def sign_in_as(monkeypatch: pytest.MonkeyPatch, username: str, password: str) -> None:
    def ask(cls: type[LoginDialog], parent: Any, store: Store, **_kw: Any) -> Any:
        return store.login(username, password)

    monkeypatch.setattr(LoginDialog, "ask", classmethod(ask))


def open_app(
    qtbot: QtBot, db_path: Path, monkeypatch: pytest.MonkeyPatch, username: str, password: str
) -> MainWindow:
    sign_in_as(monkeypatch, username, password)
    window = app_module.start(db_path)
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    qtbot.waitExposed(window)
    return window


def close_app(window: MainWindow) -> None:
    assert window.close()
    window.context.store.close()


def click_radio(qtbot: QtBot, radio: QRadioButton) -> None:
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(6, radio.height() // 2))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install poppler-utils libnss3-tools)")
    return path


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


def nss_db(folder: Path, ca_pem: bytes) -> Path:
    """An NSS database trusting the station CA, for pdfsig."""
    folder.mkdir()
    ca_file = folder.parent / "station_ca.pem"
    ca_file.write_bytes(pki.cert_pem(pki.load_certs(ca_pem)[0]))
    certutil = tool("certutil")
    for argv in (
        [certutil, "-N", "-d", f"sql:{folder}", "--empty-password"],
        [certutil, "-A", "-d", f"sql:{folder}", "-n", "Station CA", "-t", "CT,C,C", "-i", str(ca_file)],
    ):
        result = run(argv)
        assert result.returncode == 0, result.stderr
    return folder


def pdfsig(pdf: Path, nssdir: Path) -> list[dict[str, str]]:
    """pdfsig's report per signature (its exit code is 0 even for a bad one: read the text)."""
    result = run([tool("pdfsig"), "-nssdir", str(nssdir), str(pdf)])
    blocks = re.split(r"^Signature #\d+:\s*$", result.stdout, flags=re.MULTILINE)[1:]
    parsed = [dict(re.findall(r"^[ \t]+- ([^:\n]+): (.*)$", block, flags=re.MULTILINE)) for block in blocks]
    assert parsed, result.stdout + result.stderr
    return parsed


def pdf_text(pdf: Path) -> str:
    result = run([tool("pdftotext"), str(pdf), "-"])
    assert result.returncode == 0, result.stderr
    return re.sub(r"\s+", " ", result.stdout)


def pdf_pages(pdf: Path, out_prefix: Path) -> None:
    result = run([tool("pdftoppm"), "-png", "-r", "60", str(pdf), str(out_prefix)])
    assert result.returncode == 0, result.stderr
