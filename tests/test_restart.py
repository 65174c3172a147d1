"""Acknowledged state survives a restart: a server in a subprocess, stopped and started on the same data."""

import contextlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from tests import steps, synthetic

UP = "arn:aws:personalize:::recipe/aws-user-personalization"


class ServerProcess:
    def __init__(self, data_dir, status_seconds: float = 0.05, extra: list[str] = ()) -> None:
        self.data_dir, self.status_seconds, self.extra = data_dir, status_seconds, list(extra)
        with contextlib.closing(socket.socket()) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> "ServerProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             "--status-seconds", str(self.status_seconds), "--log-level", "WARNING", *self.extra])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.endpoint}/_emulator/health", timeout=1)
                return self
            time.sleep(0.1)
        raise AssertionError("the emulator did not start")

    def stop(self, how: int = signal.SIGINT) -> None:
        self.process.send_signal(how)
        self.process.wait(timeout=30)

    def client(self, service: str):
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test",
                            config=Config(retries={"max_attempts": 1}))


def settle(describe, status="ACTIVE", timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = next(iter(describe().values()))
        if record["status"] == status:
            return record
        assert record["status"] not in ("CREATE FAILED",), record.get("failureReason")
        time.sleep(0.05)
    raise AssertionError(f"still {record['status']}")


@pytest.fixture
def server(tmp_path):
    running = ServerProcess(tmp_path / "data").start()
    yield running
    if running.process.poll() is None:
        running.stop()


def test_everything_acknowledged_survives_a_restart(server):
    personalize, s3 = server.client("personalize"), server.client("s3")
    runtime, events = server.client("personalize-runtime"), server.client("personalize-events")
    loaded = steps.loaded_group(personalize, s3, settle, "restart", synthetic.two_tastes())
    group = loaded["group"]
    version = steps.trained_version(personalize, settle, group, UP, "up")
    solution = version.rsplit("/", 1)[0]
    campaign = personalize.create_campaign(
        name="c", solutionVersionArn=version,
        campaignConfig={"itemExplorationConfig": {"explorationWeight": "0"}})["campaignArn"]
    settle(lambda: personalize.describe_campaign(campaignArn=campaign))
    tracker = personalize.create_event_tracker(name="t", datasetGroupArn=group)
    settle(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    events.put_events(trackingId=tracker["trackingId"], userId="user1", sessionId="s1",
                      eventList=[{"eventType": "click", "itemId": "b3", "sentAt": 1_800_000_000}])

    def snapshot():
        return {
            "groups": personalize.list_dataset_groups()["datasetGroups"],
            "datasets": personalize.list_datasets()["datasets"],
            "solution": personalize.describe_solution(solutionArn=solution)["solution"],
            "version": personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"],
            "metrics": personalize.get_solution_metrics(solutionVersionArn=version)["metrics"],
            "campaign": personalize.describe_campaign(campaignArn=campaign)["campaign"],
            "tracker": personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
            "user1": runtime.get_recommendations(campaignArn=campaign, userId="user1")["itemList"],
            "user40": runtime.get_recommendations(campaignArn=campaign, userId="user40")["itemList"],
        }

    def without_metadata(state):
        state["tracker"].pop("ResponseMetadata")
        return state

    before = without_metadata(snapshot())
    server.stop()
    server.start()
    after = without_metadata(snapshot())
    assert after == before
    assert after["campaign"]["status"] == "ACTIVE"


def test_work_interrupted_by_a_crash_is_resumed_at_the_next_start(tmp_path):
    slow = ServerProcess(tmp_path / "data", status_seconds=3).start()
    group = slow.client("personalize").create_dataset_group(name="interrupted")["datasetGroupArn"]
    slow.stop(signal.SIGKILL)
    fast = ServerProcess(tmp_path / "data", status_seconds=0.05).start()
    try:
        personalize = fast.client("personalize")
        assert settle(lambda: personalize.describe_dataset_group(datasetGroupArn=group), timeout=30)
    finally:
        fast.stop()


def test_reset_forgets_every_resource_and_the_s3_data(server):
    """In a subprocess of its own: the reset also clears moto, whose state is global to a process."""
    import json
    personalize, s3 = server.client("personalize"), server.client("s3")
    personalize.create_dataset_group(name="before-reset")
    s3.create_bucket(Bucket="before-reset")
    request = urllib.request.Request(f"{server.endpoint}/_emulator/reset", method="POST")
    assert json.load(urllib.request.urlopen(request))["status"] == "reset"
    assert personalize.list_dataset_groups()["datasetGroups"] == []
    assert s3.list_buckets()["Buckets"] == []
    assert personalize.create_dataset_group(name="before-reset")["datasetGroupArn"].endswith("/before-reset")
