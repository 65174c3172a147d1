"""pytest fixtures for testing code against the emulator (registered through the pytest11 entry point).

    def test_my_pipeline(personalize, s3):   # boto3 clients bound to a fresh emulator
        ...
"""

import os
import pathlib
import tempfile
import time
from collections.abc import Callable

import boto3
import pytest
from botocore.config import Config

from emulator.settings import Settings

REGION = "us-east-1"
SETTLED = ("ACTIVE", "CREATE FAILED", "CREATE STOPPED", "INACTIVE", "COMPLETED", "FAILED")   # statuses that stay


def pytest_addoption(parser) -> None:
    parser.addini("personalize_emulator_strict", type="bool", default=False,
                  help="check every emulator response against its output shape")
    parser.addini("personalize_emulator_status_seconds", default="0.1",
                  help="least time each transient status stays visible")
    parser.addini("personalize_emulator_quotas", type="bool", default=True,
                  help="enforce the service's quotas (5 dataset groups per region, ...)")


@pytest.fixture(scope="session")
def personalize_emulator(pytestconfig):
    """A running emulator on a free port with a temporary data directory, for the whole session."""
    from emulator.server import Server
    with tempfile.TemporaryDirectory(prefix="personalize-emulator-") as data_dir:
        settings = Settings(port=0, data_dir=pathlib.Path(data_dir),
                            strict_responses=pytestconfig.getini("personalize_emulator_strict"),
                            status_seconds=float(pytestconfig.getini("personalize_emulator_status_seconds")),
                            quotas=pytestconfig.getini("personalize_emulator_quotas"))
        server = Server(settings).start_in_thread()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def personalize_endpoint(personalize_emulator) -> str:
    return personalize_emulator.endpoint


@pytest.fixture(scope="session")
def aws_client(personalize_endpoint) -> Callable:
    """Make a boto3 client of any service for the emulator's endpoint: aws_client("s3")."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

    def make(service: str):
        # one attempt: a local server does not throttle, and a failure should show at once
        return boto3.client(service, endpoint_url=personalize_endpoint, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))
    return make


@pytest.fixture(scope="session")
def personalize(aws_client):
    return aws_client("personalize")


@pytest.fixture(scope="session")
def personalize_events(aws_client):
    return aws_client("personalize-events")


@pytest.fixture(scope="session")
def personalize_runtime(aws_client):
    return aws_client("personalize-runtime")


@pytest.fixture(scope="session")
def s3(aws_client):
    return aws_client("s3")


@pytest.fixture(scope="session")
def wait_for() -> Callable:
    """wait_for(describe, "ACTIVE"): poll describe() until its status settles; return what it saw last."""

    def poll(describe: Callable[[], dict], status: str = "ACTIVE", timeout: float = 120.0,
             seen: list | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            record = next(iter(describe().values()))
            if seen is not None and (not seen or seen[-1] != record.get("status")):
                seen.append(record.get("status"))
            if record.get("status") == status:
                return record
            if record.get("status") in SETTLED or time.monotonic() > deadline:
                raise AssertionError(f"expected {status}, got {record.get('status')}: "
                                     f"{record.get('failureReason', '')}")
            time.sleep(0.02)
    return poll
