"""A throwaway PostgreSQL cluster for the test session, and a `store_url` fixture over both backends.

Debian's `postgresql` package provides the binaries (installed here if missing). initdb refuses
to run as root, so the cluster belongs to the `postgres` OS user, lives in a fresh temp dir and
listens on a free loopback port. A watchdog stops it even if pytest itself is killed, so no
server outlives the session. Each test gets its own database.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_USER = "lineage"
PG_PASSWORD = "pg-secret-for-tests"
OS_USER = "postgres"
# Durability across power loss is not what the tests check; these keep the suite fast on 2 cores.
SPEED_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=300", "shared_buffers=64MB")


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=True, env=os.environ | {"DEBIAN_FRONTEND": "noninteractive"})
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(*argv: str) -> list[str]:
    return list(argv) if os.geteuid() != 0 else ["runuser", "-u", OS_USER, "--", *argv]


@dataclass
class Cluster:
    root: Path
    port: int
    bin_dir: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        password_file = self.root / "pw"
        password_file.write_text(PG_PASSWORD)
        self._chown()
        subprocess.run(
            _as_postgres(str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", PG_USER, f"--pwfile={password_file}",
                         "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync"),
            check=True, capture_output=True,
        )
        options = " ".join(f"-c {setting}" for setting in SPEED_SETTINGS)
        options += f" -c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
        subprocess.run(
            _as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options, "-w", "-t", "60", "start"),
            check=True, capture_output=True,
        )
        self._start_watchdog()

    def stop(self) -> None:
        subprocess.run(_as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"), capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self) -> str:
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def _chown(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, OS_USER, OS_USER)
            for path in self.root.iterdir():
                shutil.chown(path, OS_USER, OS_USER)

    def _start_watchdog(self) -> None:
        """Stop the server when this process is gone, however it ended."""
        stop = " ".join(_as_postgres(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"))
        script = f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {self.root}"
        subprocess.Popen(["sh", "-c", script], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture(scope="session")
def postgres_cluster():
    root = Path(tempfile.mkdtemp(prefix="lineage-nb-pg-"))
    cluster = Cluster(root, free_port(), _bin_dir())
    try:
        cluster.start()
    except subprocess.CalledProcessError as exc:
        log = root / "server.log"
        details = (exc.stderr or b"").decode(errors="replace") + (log.read_text() if log.exists() else "")
        cluster.stop()
        raise RuntimeError(f"could not start the test PostgreSQL cluster: {details}") from exc
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """A fresh, empty database on the session's cluster."""
    return postgres_cluster.create_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store lives: a SQLite file, or a PostgreSQL database URL (with a password in it)."""
    if request.param == "sqlite":
        return str(tmp_path / "store" / "lineage.db")
    return request.getfixturevalue("postgres_cluster").create_database()

