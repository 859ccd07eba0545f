"""A built wheel carries forms/ and resources/: installed into a fresh venv, `dsvdesk check-forms` and
`dsvdesk forms list` work from the installed package alone (no checkout, no network).

The wheel is built from a copy of the source (the checkout is never written to) with the test venv's
own setuptools (`--no-build-isolation`: nothing is downloaded). The fresh venv gets the wheel with
`--no-deps --no-index`; its dependencies (PyYAML, platformdirs ...) come from the test venv through a
.pth line, which adds the folder to sys.path without running the test venv's own .pth files (so the
editable install of the checkout stays out of sight)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "dsvdesk", "forms", "resources")
FORMS = sorted((ROOT / "forms").glob("*.yaml"))
FORM_IDS = sorted(yaml.safe_load(path.read_text(encoding="utf-8"))["id"] for path in FORMS)

pytestmark = pytest.mark.slow


def _run(argv: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert result.returncode == 0, f"{argv}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the freshly built wheel installed; returns its python."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = work / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q", "-w", wheels],
        source,
    )
    (wheel,) = wheels.glob("dsvdesk-*.whl")
    fresh = work / "fresh"
    venv.EnvBuilder(with_pip=True).create(fresh)
    python = fresh / ("Scripts" if os.name == "nt" else "bin") / "python"
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], work)
    fresh_site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work).strip()
    )
    (fresh_site / "test_venv_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return python


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DSVDESK_") and k != "PYTHONPATH"}
    return env | {"DSVDESK_LOG_DIR": str(tmp / "logs"), "DSVDESK_DB": str(tmp / "none.sqlite3")}


def test_the_wheel_ships_forms_and_resources_found_through_the_package(
    installed: Path, tmp_path: Path
) -> None:
    where = _run(
        [
            installed,
            "-c",
            "import dsvdesk, sys; from dsvdesk import paths; "
            "print(dsvdesk.__file__); print(paths.forms_dir()); print(paths.fonts_dir()); "
            "print((paths.resources_dir() / 'style.qss').is_file())",
        ],
        tmp_path,
        _env(tmp_path),
    ).splitlines()
    package = Path(where[0]).parent
    assert ROOT not in package.parents, f"imported the checkout, not the wheel: {package}"
    assert Path(where[1]) == package / "forms"
    assert (Path(where[2]) / "DejaVuSans.ttf").is_file()
    assert where[3] == "True"


def test_installed_cli_checks_and_lists_the_shipped_forms(installed: Path, tmp_path: Path) -> None:
    scripts = installed.parent
    dsvdesk = scripts / ("dsvdesk.exe" if os.name == "nt" else "dsvdesk")
    assert (scripts / ("dsvdesk-gui.exe" if os.name == "nt" else "dsvdesk-gui")).is_file()  # gui-scripts
    checked = _run([dsvdesk, "check-forms"], tmp_path, _env(tmp_path))
    assert f"{len(FORMS)} form(s) OK" in checked
    listed = _run([dsvdesk, "forms", "list"], tmp_path, _env(tmp_path))
    assert sorted(line.split("\t")[0] for line in listed.splitlines()) == FORM_IDS
