"""The app's log file: rolls over by size and keeps a bounded number of old files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from dsvdesk import log
from dsvdesk.log import rotating_file_handler


def test_log_file_rolls_over_and_keeps_only_the_configured_backups(tmp_path: Path) -> None:
    path = tmp_path / "dsvdesk.log"
    handler = rotating_file_handler(path, max_bytes=200, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("dsvdesk.test-rotation")
    logger.propagate = False
    logger.addHandler(handler)
    try:
        for n in range(40):
            logger.warning("record %03d saved", n)  # ids only, as in the app
    finally:
        logger.removeHandler(handler)
        handler.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["dsvdesk.log", "dsvdesk.log.1", "dsvdesk.log.2"]
    assert all(p.stat().st_size <= 200 + 30 for p in tmp_path.iterdir())
    assert "record 039 saved" in path.read_text(encoding="utf-8")


def test_log_folder_that_cannot_be_written_loses_nothing_else(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    handler = rotating_file_handler(blocked / "dsvdesk.log", max_bytes=100, backups=1)
    record = logging.LogRecord("dsvdesk.test", logging.WARNING, __file__, 1, "hello", None, None)
    errors: list[logging.LogRecord] = []
    handler.handleError = errors.append  # type: ignore[method-assign]
    handler.emit(record)  # must not raise into the app
    handler.close()
    assert errors == [record]


def test_deferred_file_log_keeps_early_records_and_writes_them_when_attached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app defers the file (logging.handlers stays out of its cold start) until sign-in."""
    monkeypatch.setenv("DSVDESK_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(log, "_configured_file", None)
    monkeypatch.setattr(log, "_pending", None)
    root = logging.getLogger("dsvdesk")
    before = list(root.handlers)
    try:
        assert log.setup_file_logging(defer=True) == tmp_path / "dsvdesk.log"
        log.ui.warning("window shown for record %s", "r-1")
        assert not (tmp_path / "dsvdesk.log").exists()
        assert log.setup_file_logging() == tmp_path / "dsvdesk.log"
        log.ui.warning("signed in")
        for handler in root.handlers:
            handler.flush()
        lines = (tmp_path / "dsvdesk.log").read_text(encoding="utf-8").splitlines()
        assert [line.split(": ", 1)[1] for line in lines] == ["window shown for record r-1", "signed in"]
        assert log.setup_file_logging(defer=True) == tmp_path / "dsvdesk.log"  # once attached, stays
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
