"""A throw-away PostgreSQL cluster for the HQ tests (issue 17): initdb into a temporary folder, a Unix
socket in that folder (no TCP), stopped and removed afterwards. PostgreSQL refuses to run as root, so
when the suite runs as root (.ci/run in a container) the cluster runs as the unprivileged user `nobody`
(runuser); otherwise as the current user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SKIP_REASON = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found (apt-get install postgresql): HQ tests skipped"
)


def server_bin() -> Path | None:
    """The folder with initdb and pg_ctl: $DSVDESK_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin."""
    given = os.environ.get("DSVDESK_PG_BIN")
    candidates = [Path(given)] if given else sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


@dataclass
class Cluster:
    folder: Path
    bin: Path
    as_user: str | None

    @property
    def url(self) -> str:
        return f"postgresql:///postgres?host={self.folder}&user=dsv"

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        subprocess.run([*prefix, *argv], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        data = self.folder / "data"
        self._run(
            str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "dsv", "-E", "UTF8", "--no-sync"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-w", "-o",
            f"-k {self.folder} -c listen_addresses='' -c fsync=off -c full_page_writes=off", "start",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql:///{name}?host={self.folder}&user=dsv"


def start_cluster() -> Cluster:
    folder_bin = server_bin()
    assert folder_bin is not None
    folder = Path(tempfile.mkdtemp(prefix="dsvdesk-pg-", dir="/tmp"))  # short: a socket path has ~100 chars
    as_user = None
    if os.geteuid() == 0:  # initdb refuses root
        as_user = "nobody"
        entry = pwd.getpwnam(as_user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)
    cluster = Cluster(folder, folder_bin, as_user)
    try:
        cluster.start()
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return cluster
