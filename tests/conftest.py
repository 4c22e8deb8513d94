"""Fixtures every test area shares: a moto S3 server (a real HTTP endpoint)."""

import os
import uuid

import boto3
import pytest
from dagster._core.storage.defs_state.base import _current_storage as _current_defs_state_storage
from moto.server import ThreadedMotoServer


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


@pytest.fixture(autouse=True)
def no_dagster_state_storage_left_behind():
    """Leave Dagster's current defs-state storage unset after each test. An `instance_for_test`
    fixture can leave it pointing at its disposed instance, and every later `dg.materialize` in the
    process then fails with "Attempted to resolve undefined DagsterInstance weakref"."""
    yield
    _current_defs_state_storage.set(None)
