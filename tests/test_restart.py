"""Acknowledged state survives a restart: a server in a subprocess, stopped and started on the same data."""

import contextlib
import csv
import io
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config

from tests import steps, synthetic
from tests.processes import running, trainers_of

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

    def count(self, sql: str) -> int:
        """A count read straight from the data directory's database: where a crash left its rows."""
        with contextlib.closing(sqlite3.connect(f"file:{self.data_dir / 'emulator.db'}?mode=ro", uri=True)) as db:
            return db.execute(sql).fetchone()[0]

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


def bulk_export(personalize, s3, dataset: str, name: str) -> list[dict]:
    """The dataset's bulk rows, through an export job to a new bucket."""
    s3.create_bucket(Bucket=name)
    job = personalize.create_dataset_export_job(
        jobName=name, datasetArn=dataset, roleArn="arn:aws:iam::123456789012:role/R", ingestionMode="BULK",
        jobOutput={"s3DataDestination": {"path": f"s3://{name}/"}})["datasetExportJobArn"]
    settle(lambda: personalize.describe_dataset_export_job(datasetExportJobArn=job))
    key = s3.list_objects_v2(Bucket=name)["Contents"][0]["Key"]
    return list(csv.DictReader(io.StringIO(s3.get_object(Bucket=name, Key=key)["Body"].read().decode())))


def test_imports_killed_before_they_are_active_leave_no_rows_or_records_behind(tmp_path):
    """kill -9 after an interactions import wrote its first chunk, and while an Items import waits to be ACTIVE:
    after the restart both jobs fail (the built-in S3 is gone) and the dataset holds what it held before."""
    data, rows = tmp_path / "data", synthetic.two_tastes()
    fast = ServerProcess(data).start()
    personalize, s3 = fast.client("personalize"), fast.client("s3")
    loaded = steps.loaded_group(personalize, s3, settle, "kept", rows)
    items = steps.add_items(personalize, s3, settle, loaded["group"], "kept", synthetic.items_of_two_tastes())
    fast.stop()

    slow = ServerProcess(data, status_seconds=4).start()
    personalize, s3 = slow.client("personalize"), slow.client("s3")
    s3.create_bucket(Bucket="late")
    late = [(f"late{n % 5000}", f"a{n % 50}", synthetic.START + n) for n in range(150_000)]
    s3.put_object(Bucket="late", Key="events.csv", Body=synthetic.to_csv(late))
    s3.put_object(Bucket="late", Key="items.csv", Body=synthetic.to_csv(
        [(f"a{n}", "horror", "") for n in range(50)], header=("ITEM_ID", "GENRE", "PRICE")))
    jobs = [personalize.create_dataset_import_job(jobName=f"late-{name}", datasetArn=dataset,
                                                  dataSource={"dataLocation": f"s3://late/{name}.csv"})
            ["datasetImportJobArn"] for name, dataset in (("events", loaded["dataset"]), ("items", items))]
    describe = [lambda job=job: personalize.describe_dataset_import_job(datasetImportJobArn=job) for job in jobs]
    settle(describe[1], "CREATE IN_PROGRESS", timeout=30)
    deadline = time.monotonic() + 60
    while slow.count("SELECT count(*) FROM interaction_rows") <= len(rows):   # a first chunk is in
        assert time.monotonic() < deadline, "the import wrote no rows"
        time.sleep(0.05)
    assert describe[1]()["datasetImportJob"]["status"] == "CREATE IN_PROGRESS"   # its records wait for ACTIVE
    slow.stop(signal.SIGKILL)

    again = ServerProcess(data).start()
    try:
        personalize, s3 = again.client("personalize"), again.client("s3")
        for job in jobs:
            failed = settle(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), "CREATE FAILED")
            assert "late" in failed["failureReason"]
        exported = bulk_export(personalize, s3, loaded["dataset"], "after-kill")
        assert sorted((row["USER_ID"], row["ITEM_ID"], int(row["TIMESTAMP"])) for row in exported) == sorted(rows)
        genres = {row["ITEM_ID"]: row["GENRE"] for row in bulk_export(personalize, s3, items, "items-after-kill")}
        assert genres == {item: genre for item, genre, _ in synthetic.items_of_two_tastes()}
        deadline = time.monotonic() + 30
        while again.count("SELECT count(*) FROM interaction_rows") > len(rows):   # the hidden rows are deleted
            assert time.monotonic() < deadline, "the failed import's rows are still stored"
            time.sleep(0.1)
        assert again.count("SELECT count(*) FROM hidden_imports") == 0
    finally:
        again.stop()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "clean-stop"])
def test_a_training_killed_with_its_server_ends_too_and_resumes_at_the_next_start(tmp_path, how):
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    personalize, s3 = server.client("personalize"), server.client("s3")
    rows = synthetic.two_tastes(users=400, per_user=40)
    group = steps.loaded_group(personalize, s3, settle, "trained", rows)["group"]
    solution = personalize.create_solution(name="killed", datasetGroupArn=group, recipeArn=UP)["solutionArn"]
    settle(lambda: personalize.describe_solution(solutionArn=solution))
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    deadline = time.monotonic() + 120
    while "epoch" not in json.load(urllib.request.urlopen(f"{server.endpoint}/_emulator/trainings")).get(
            "trainings", {}).get(version, {}).get("lastMessage", ""):   # the trainer is fitting the model
        assert time.monotonic() < deadline, "the training did not start"
        time.sleep(0.05)
    trainers = trainers_of(server.process.pid)
    assert len(trainers) == 1
    server.stop(how)   # a clean stop ends the training too, and leaves its job to run again, not CREATE FAILED
    killed = time.monotonic()
    while running(trainers[0]):
        assert time.monotonic() < killed + 2, "the training process outlived its server"
        time.sleep(0.05)

    # the resumed training may stop at a short time budget: what counts is that it runs again and ends ACTIVE
    again = ServerProcess(data, extra=["--training-seconds", "1"]).start()
    try:
        personalize = again.client("personalize")
        settle(lambda: personalize.describe_solution_version(solutionVersionArn=version))
        assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
        assert not list((data / "models").glob("*.partial"))
    finally:
        again.stop()
