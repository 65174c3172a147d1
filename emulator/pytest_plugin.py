"""pytest fixtures for testing code against the emulator (registered through the pytest11 entry point).

    def test_my_pipeline(personalize, s3):   # boto3 clients bound to an emulator server
        ...

    def test_in_process(personalize_inprocess):   # every boto3 client in the test answered in this process
        personalize = boto3.client("personalize", region_name="us-east-1")
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.config import Config

REGION = "us-east-1"
SETTLED = ("ACTIVE", "CREATE FAILED", "CREATE STOPPED", "INACTIVE", "COMPLETED", "FAILED")   # statuses that stay
START_SECONDS = 60   # the server's first answer, on a busy machine


def pytest_addoption(parser) -> None:
    parser.addini("personalize_emulator_strict", type="bool", default=False,
                  help="check every emulator response against its output shape")
    parser.addini("personalize_emulator_status_seconds", default="0.1",
                  help="least time each transient status stays visible")
    parser.addini("personalize_emulator_quotas", type="bool", default=True,
                  help="enforce the service's quotas (5 dataset groups per region, ...)")
    parser.addini("personalize_emulator_wait_seconds", default="600",
                  help="how long wait_for polls before it fails (a training under load can take minutes)")


class EmulatorProcess:
    """An emulator server in a process of its own, so that its S3 and IAM (moto's, in memory) are not the ones a
    test's mock_aws resets, and a crash or a torch import stays out of the test process. Its log is `log_path`."""

    def __init__(self, data_dir: pathlib.Path, *flags: str) -> None:
        self.data_dir, self.log_path = data_dir, data_dir / "emulator.log"
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "emulator", "serve", "--port", "0", "--data-dir", str(data_dir), *flags],
                stdout=subprocess.PIPE, stderr=log, text=True)
        line = self._process.stdout.readline()   # "Personalize emulator on http://127.0.0.1:PORT (data: ...)"
        if not line.startswith("Personalize emulator on "):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self.log_path.read_text()[-2000:]}")
        self.endpoint = line.split()[3]
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_emulator/health", timeout=5):
                    return
            except OSError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the emulator did not answer: {self.log_path.read_text()[-2000:]}")
                time.sleep(0.05)

    def reset(self) -> None:
        """Forget every Personalize resource, record and model, and the server's S3, IAM and STS state."""
        request = urllib.request.Request(f"{self.endpoint}/_emulator/reset", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as answer:
            json.load(answer)

    def stop(self) -> None:
        self._process.terminate()   # SIGTERM: the server commits, ends its trainings and exits
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


@pytest.fixture(scope="session")
def personalize_emulator(pytestconfig) -> Iterator[EmulatorProcess]:
    """A running emulator on a free port with a temporary data directory, for the whole session."""
    flags = ["--status-seconds", pytestconfig.getini("personalize_emulator_status_seconds")]
    if pytestconfig.getini("personalize_emulator_strict"):
        flags.append("--strict-responses")
    if not pytestconfig.getini("personalize_emulator_quotas"):
        flags.append("--no-quotas")
    with tempfile.TemporaryDirectory(prefix="personalize-emulator-") as data_dir:
        server = EmulatorProcess(pathlib.Path(data_dir), *flags)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def personalize_clean(personalize_emulator) -> EmulatorProcess:
    """The session's server with nothing in it: every resource, record, model, bucket and role of earlier tests
    forgotten before this test runs."""
    personalize_emulator.reset()
    return personalize_emulator


@pytest.fixture
def personalize_inprocess(pytestconfig) -> Iterator:
    """In-process mode for one test (emulator.mock_personalize): every boto3 client of the three Personalize
    services made in the test is answered in this process, and S3, IAM and the rest by moto's mock_aws."""
    from emulator import mock_personalize
    with mock_personalize(status_seconds=float(pytestconfig.getini("personalize_emulator_status_seconds")),
                          quotas=pytestconfig.getini("personalize_emulator_quotas")) as mocked:
        yield mocked


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
def wait_for(pytestconfig) -> Callable:
    """wait_for(describe, "ACTIVE"): poll describe() until its status settles; return what it saw last. Fails
    with the failureReason when the status settles elsewhere, or after personalize_emulator_wait_seconds."""
    default_timeout = float(pytestconfig.getini("personalize_emulator_wait_seconds"))

    def poll(describe: Callable[[], dict], status: str = "ACTIVE", timeout: float | None = None,
             seen: list | None = None) -> dict:
        timeout = default_timeout if timeout is None else timeout
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
