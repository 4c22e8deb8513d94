"""The production profile on one machine: deploy/dagster.yaml copied verbatim into a temporary
DAGSTER_HOME, its variables pointing at a throwaway PostgreSQL and at moto's S3 (compute logs, the
Parquet warehouse) and Secrets Manager (the tokens); the sandbox serving five users; the code location
as its own gRPC server, with dagster-webserver and dagster-daemon as separate processes on it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests
import yaml

from tests.production.postgres import Postgres, free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# How the code location's gRPC server finds the definitions: here, in deploy/Dockerfile and the Helm values.
CODE_LOCATION_ARGS = ["-m", "pipelines.definitions"]


def cli(name: str) -> str:
    return str(BIN / name)


def sandbox_urls(url: str) -> dict[str, str]:
    return {"SPOTIFY_API_BASE": url, "SPOTIFY_ACCOUNTS_BASE": url, "DEEZER_API_BASE": f"{url}/deezer",
            "LASTFM_API_BASE": f"{url}/lastfm", "MUSICBRAINZ_API_BASE": f"{url}/musicbrainz"}


def production_env(postgres: Postgres, moto: str, sandbox_url: str, home: Path, data_dir: Path) -> dict[str, str]:
    """Every variable deploy/production.env names, for this machine's throwaway servers."""
    s3 = boto3.client("s3", endpoint_url=moto)
    lake, logs = (f"mixtape-{kind}-{uuid.uuid4().hex[:8]}" for kind in ("lake", "logs"))
    for bucket in (lake, logs):
        s3.create_bucket(Bucket=bucket)
    return {
        **postgres.env, **sandbox_urls(sandbox_url),
        "DAGSTER_HOME": str(home), "MIXTAPE_LOGS_BUCKET": logs,
        "AWS_ENDPOINT_URL": moto, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "MIXTAPE_STORAGE": f"s3://{lake}/mixtape", "MIXTAPE_TOKEN_STORE": "secretsmanager",
        "MIXTAPE_SECRETS_PREFIX": f"mixtape-{uuid.uuid4().hex[:8]}/spotify-token/",
        "MIXTAPE_DATA_DIR": str(data_dir), "MIXTAPE_RULES": str(ROOT / "playlists.yaml"),
    }


def write_home(home: Path, code_port: int) -> None:
    """deploy/dagster.yaml as shipped, and a workspace naming the code location's gRPC server."""
    home.mkdir(parents=True)
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    (home / "workspace.yaml").write_text(yaml.safe_dump({"load_from": [{"grpc_server": {
        "host": "127.0.0.1", "port": code_port, "location_name": "mixtape"}}]}))


@dataclass
class Services:
    """The code server, the webserver and the daemon, each in its own process group."""

    home: Path
    env: dict[str, str]
    logs: Path
    code_port: int
    web_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(command, cwd=self.home, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def start_code_server(self) -> None:
        self._start("code", [cli("dagster"), "api", "grpc", *CODE_LOCATION_ARGS, "-d", str(ROOT),
                             "-h", "127.0.0.1", "-p", str(self.code_port)])
        self._wait_for(lambda: subprocess.run([cli("dagster"), "api", "grpc-health-check", "-p", str(self.code_port)],
                                              env=self.env, capture_output=True).returncode == 0, "code server")

    def start_webserver(self) -> None:
        self._start("webserver", [cli("dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1",
                                  "-p", str(self.web_port)])
        self._wait_for(lambda: self._answers(f"http://127.0.0.1:{self.web_port}/server_info"), "webserver")

    def start_daemon(self) -> None:
        self._start("daemon", [cli("dagster-daemon"), "run", "-w", "workspace.yaml"])

    def graphql(self, query: str) -> dict:
        response = requests.post(f"http://127.0.0.1:{self.web_port}/graphql", json={"query": query}, timeout=30)
        response.raise_for_status()
        return response.json()

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to tidy up."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop(self) -> None:
        for name in list(self.processes):
            process = self.processes.pop(name)
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()

    @staticmethod
    def _answers(url: str) -> bool:
        try:
            return requests.get(url, timeout=2).ok
        except requests.RequestException:
            return False

    def _wait_for(self, ready, what: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not ready():
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} exited:\n" + (self.logs / f"{name}.log").read_text()[-3000:]
            assert time.monotonic() < deadline, f"{what} did not come up"
            time.sleep(0.5)
