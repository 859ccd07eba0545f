"""`make run` / `make test` pre-flight: a missing Debian library or display is named with its fix."""

from __future__ import annotations

import pytest

from dsvdesk import syscheck


def test_missing_qt_library_names_the_apt_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(name: str) -> None:
        raise ImportError("libEGL.so.1: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(syscheck.importlib, "import_module", fail)
    assert syscheck.main([]) == 1
    out = capsys.readouterr().out
    assert "libEGL.so.1" in out
    assert "sudo apt-get install -y --no-install-recommends libegl1" in out


def test_no_display_says_so_and_how_to_run_under_xvfb(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setattr(syscheck.sys, "platform", "linux")
    assert syscheck.main(["--display"]) == 2
    out = capsys.readouterr().out
    assert "no display" in out and "xvfb-run -a make run" in out


def test_a_display_or_offscreen_platform_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert syscheck.main(["--display"]) == 0
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("DISPLAY", ":99")
    assert syscheck.main(["--display"]) == 0
