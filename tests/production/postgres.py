"""A throwaway PostgreSQL server: Debian's `postgresql` binaries (scripts/install-postgres.sh), `initdb`
into a temporary folder, a free loopback port, trust authentication. PostgreSQL refuses to run as root,
so under root the server runs as the package's `postgres` user."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg2

USER = "mixtape"


def server_binaries() -> Path:
    """The folder of initdb and pg_ctl: Debian keeps them out of PATH, under /usr/lib/postgresql/<version>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL is not installed: run scripts/install-postgres.sh (make test does)")
    return Path(initdb).resolve().parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class Postgres:
    folder: Path
    port: int
    binaries: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its storage from."""
        return {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_DB": "dagster",
                "DAGSTER_PG_USERNAME": USER, "DAGSTER_PG_PASSWORD": "unused"}

    def connect(self, db: str = "dagster"):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=USER, dbname=db)

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_server_user([str(self.binaries / "pg_ctl"), "-D", str(self.folder / "data"), *args]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_postgres() -> Postgres:
    """initdb, start on a free port and create the `dagster` database."""
    binaries = server_binaries()
    # Not under pytest's tmp_path: its root-only parents would keep the `postgres` user out.
    folder = Path(tempfile.mkdtemp(prefix="mixtape-pg-"))
    if os.geteuid() == 0:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    server = Postgres(folder, free_port(), binaries)
    subprocess.run(_as_server_user([str(binaries / "initdb"), "-D", str(folder / "data"), "-U", USER,
                                    "--auth=trust", "--no-sync", "-E", "UTF8"]),
                   check=True, stdout=subprocess.DEVNULL)
    options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    server.pg_ctl("-o", options, "-l", str(folder / "server.log"), "-w", "start")
    deadline = time.monotonic() + 30
    while True:
        try:
            con = server.connect("postgres")
        except psycopg2.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
            continue
        con.autocommit = True  # create database refuses to run inside a transaction
        con.cursor().execute("create database dagster")
        con.close()
        return server


def stop_postgres(server: Postgres) -> None:
    server.pg_ctl("-m", "immediate", "stop")
    shutil.rmtree(server.folder, ignore_errors=True)
