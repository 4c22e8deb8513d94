"""Fixtures every test area shares: a moto S3 server (a real HTTP endpoint).

Build sensor and schedule contexts over a persistent instance with `with dg.build_sensor_context(...)
as context:` (likewise `build_schedule_context`). Such a context opens an instance of its own; left
unclosed, it is closed whenever it is garbage-collected, which can leave Dagster's current state
pointing at an instance a test has already torn down, and later materializations in the process then
fail with "Attempted to resolve undefined DagsterInstance weakref".
"""

import os
import uuid

import boto3
import pytest
from moto.server import ThreadedMotoServer

# With no Spotify app and no sandbox URL, loading the definitions or running a mixtape command enters
# the demo world, which starts the persistent demo sandbox in the background. No test does that by
# accident: this URL (a closed port) stands in until a test sets its own or, like tests/demo, removes it.
os.environ.setdefault("SPOTIFY_API_BASE", "http://127.0.0.1:9")


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto server on an ephemeral loopback port, with fake AWS credentials in the environment."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        os.environ.setdefault(key, value)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(moto_endpoint):
    """A fresh bucket on the moto server; yields its s3:// root."""
    name = f"mixtape-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=name)
    return f"s3://{name}/lake"

