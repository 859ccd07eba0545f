"""Demo fixtures: the real 124D, and a demo station made once per session (its CA and RSA keys are
slow to make) copied for each test that writes to it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from dsvdesk import demo, paths
from dsvdesk.engine.loader import load_forms_dir
from dsvdesk.engine.spec import FormSpec
from dsvdesk.store import Store
from tests.helpers.encrypted import copy_station

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def spec() -> FormSpec:
    forms = demo.investigation_forms(load_forms_dir(paths.forms_dir()))
    assert forms, "forms/ holds no investigation form"
    return forms[0]


@pytest.fixture(scope="session")
def station_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo-station") / "station.sqlite3"
    with Store.open(path, create=True) as store:
        demo.create_demo_station(store)
    return path


@pytest.fixture
def station(tmp_path: Path, station_template: Path) -> Path:
    """A private copy of the demo station (accounts only, no records)."""
    return copy_station(station_template, tmp_path / "station.sqlite3")


def copy_database(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    copy_station(source, target)
    return target
