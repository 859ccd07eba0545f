"""The app's log file: rolls over by size and keeps a bounded number of old files."""

from __future__ import annotations

import logging
from pathlib import Path

from dsvdesk.log import SizeRotatingFileHandler


def test_log_file_rolls_over_and_keeps_only_the_configured_backups(tmp_path: Path) -> None:
    path = tmp_path / "dsvdesk.log"
    handler = SizeRotatingFileHandler(path, max_bytes=200, backups=2)
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
    handler = SizeRotatingFileHandler(blocked / "dsvdesk.log", max_bytes=100, backups=1)
    record = logging.LogRecord("dsvdesk.test", logging.WARNING, __file__, 1, "hello", None, None)
    errors: list[logging.LogRecord] = []
    handler.handleError = errors.append  # type: ignore[method-assign]
    handler.emit(record)  # must not raise into the app
    handler.close()
    assert errors == [record]
