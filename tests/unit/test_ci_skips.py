"""Under CI=true a test may not skip for a tool or font that .ci/run installs (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ci_must_not_skip

ROOT = Path(__file__).resolve().parents[2]
PROBE = "DSVDESK_SKIP_PROBE"


def test_probe_skips_for_a_missing_tool_when_asked() -> None:
    """Run by the test below in a child pytest; on its own (no probe variable) it simply passes."""
    if os.environ.get(PROBE) == "tool":
        pytest.skip("pdftotext is not installed (apt-get install poppler-utils)")
    if os.environ.get(PROBE) == "other":
        pytest.skip("running as root: cannot make a folder read-only")


def _child(probe: str, ci: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {PROBE: probe, "CI": ci}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            f"{__file__}::{test_probe_skips_for_a_missing_tool_when_asked.__name__}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_ci_turns_a_skip_for_an_installable_tool_into_a_failure() -> None:
    failed = _child("tool", "true")
    assert failed.returncode == 1 and "may not skip" in failed.stdout, failed.stdout


def test_other_skips_and_local_runs_are_left_alone() -> None:
    assert not ci_must_not_skip("running as root without capsh", {"CI": "true"})
    assert not ci_must_not_skip("pdfsig (poppler-utils) is not installed", {})
    assert ci_must_not_skip("pdfsig (poppler-utils) is not installed", {"CI": "true"})
    assert ci_must_not_skip("a Noto font is missing", {"CI": "TRUE"})
