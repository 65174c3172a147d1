"""kill -9 of the server at each stage of each long job, then a restart on the same data directory: the job must
settle (no status stuck), finish with its whole output (none half-written), and everything acknowledged before the
kill must still be there. The S3 the jobs read and write is a second emulator that lives through the kills (the
built-in S3 is memory and leaves with the server), so an interrupted job can finish after the restart.

    .venv/bin/python scripts/kill_matrix.py [--cases import,training,...] [--stages queued,working,finishing]

Stages: queued (just acknowledged), working (IN_PROGRESS: an import's first rows staged, a trainer fitting),
finishing (2 s into IN_PROGRESS: small jobs have done their work and wait to show the outcome)."""

import argparse
import contextlib
import csv
import dataclasses
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from benchlib import ROOT, client, free_port

sys.path.insert(0, str(ROOT))
from tests import synthetic  # noqa: E402
from tests.processes import running, trainers_of  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
RECIPE = "arn:aws:personalize:::recipe/"
BUCKET = "matrix"
SETTLED = {"ACTIVE", "CREATE FAILED", "COMPLETED", "FAILED"}
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}


class Server:
    """An emulator subprocess on a data directory, reading and writing S3 at `s3` (None: its own)."""

    def __init__(self, data: Path, s3: str | None, status_seconds: float) -> None:
        self.data, self.port = data, free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        flags = ["--s3-endpoint-url", s3] if s3 else []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(self.port), "--data-dir", str(data),
             "--status-seconds", str(status_seconds), "--log-level", "ERROR", "--no-quotas", *flags],
            cwd=ROOT, env={**os.environ, **CREDENTIALS}, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.endpoint}/_emulator/health", timeout=1)
                return
            time.sleep(0.1)
        raise SystemExit("the emulator did not start")

    def client(self, service: str):
        return client(service, self.endpoint)

    def trainings(self) -> dict:
        return json.load(urllib.request.urlopen(f"{self.endpoint}/_emulator/trainings"))["trainings"]

    def query(self, sql: str) -> list:
        with contextlib.closing(sqlite3.connect(f"file:{self.data / 'emulator.db'}?mode=ro", uri=True)) as db:
            return db.execute(sql).fetchall()

    def stop(self, how: int = signal.SIGINT) -> None:
        self.process.send_signal(how)
        self.process.wait(timeout=60)


def status_of(record: dict) -> str:
    return record["status"]


def wait(describe, until=SETTLED, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = next(iter(describe().values()))
        if record["status"] in until:
            return record
        time.sleep(0.05)
    raise AssertionError(f"stuck in {record['status']}")


def read_objects(s3, prefix: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {entry["Key"]: s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read() for entry in listed}


def prepare(base: Path, s3_endpoint: str) -> dict:
    """The acknowledged state every case starts from: a loaded group, two trained versions, a campaign, events."""
    server = Server(base, s3_endpoint, 0.05)
    personalize, s3 = server.client("personalize"), client("s3", s3_endpoint)
    s3.create_bucket(Bucket=BUCKET)
    rows = synthetic.two_tastes(users=200, per_user=30)
    s3.put_object(Bucket=BUCKET, Key="events.csv", Body=synthetic.to_csv(rows))
    s3.put_object(Bucket=BUCKET, Key="items.csv", Body=synthetic.to_csv(
        synthetic.items_of_two_tastes(), header=("ITEM_ID", "GENRE", "PRICE")))
    s3.put_object(Bucket=BUCKET, Key="big.csv", Body=synthetic.to_csv(
        [(f"big{n % 5000}", f"a{n % 50}", synthetic.START + n) for n in range(150_000)]))
    s3.put_object(Bucket=BUCKET, Key="users.json", Body="".join(
        json.dumps({"userId": f"user{n}"}) + "\n" for n in range(100)).encode())
    s3.put_object(Bucket=BUCKET, Key="items.json", Body="".join(
        json.dumps({"itemId": f"a{n}"}) + "\n" for n in range(20)).encode())
    s3.put_object(Bucket=BUCKET, Key="forget.csv", Body=b"USER_ID\nuser1\nuser2\n")
    schemas = {kind: personalize.create_schema(name=kind, schema=schema)["schemaArn"]
               for kind, schema in (("Interactions", synthetic.INTERACTIONS_SCHEMA), ("Items", synthetic.ITEMS_SCHEMA))}
    group = personalize.create_dataset_group(name="matrix")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    datasets = {}
    for kind, key in (("Interactions", "events.csv"), ("Items", "items.csv")):
        datasets[kind] = personalize.create_dataset(name=kind.lower(), schemaArn=schemas[kind], datasetGroupArn=group,
                                                    datasetType=kind)["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=datasets[kind]))
        job = personalize.create_dataset_import_job(jobName=kind.lower(), datasetArn=datasets[kind], dataSource={
            "dataLocation": f"s3://{BUCKET}/{key}"})["datasetImportJobArn"]
        wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), {"ACTIVE"})
    versions = {}
    for name, recipe in (("up", "aws-user-personalization"), ("up2", "aws-user-personalization"),
                         ("affinity", "aws-item-affinity")):
        solution = personalize.create_solution(name=name, datasetGroupArn=group,
                                               recipeArn=RECIPE + recipe)["solutionArn"]
        wait(lambda: personalize.describe_solution(solutionArn=solution))
        versions[name] = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        wait(lambda: personalize.describe_solution_version(solutionVersionArn=versions[name]), {"ACTIVE"})
    campaign = personalize.create_campaign(name="live", solutionVersionArn=versions["up"])["campaignArn"]
    wait(lambda: personalize.describe_campaign(campaignArn=campaign), {"ACTIVE"})
    tracker = personalize.create_event_tracker(name="clicks", datasetGroupArn=group)
    wait(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]), {"ACTIVE"})
    events = server.client("personalize-events")
    for n in range(20):
        events.put_events(trackingId=tracker["trackingId"], userId=f"user{100 + n}", sessionId=f"s{n}",
                          eventList=[{"eventType": "click", "itemId": "b3", "sentAt": synthetic.START + n}])
    server.stop()
    return {"group": group, "datasets": datasets, "versions": versions, "campaign": campaign,
            "interactions": len(rows), "put": 20}


# Each case: start(personalize, state) -> the ARN of what it created; describe(personalize, arn) -> its record;
# check(server, s3, state, record) asserts the finished job's outcome.

def start_import(personalize, state):
    return personalize.create_dataset_import_job(jobName="big", datasetArn=state["datasets"]["Interactions"],
                                                 dataSource={"dataLocation": f"s3://{BUCKET}/big.csv"})[
        "datasetImportJobArn"]


def check_import(server, s3, state, record):
    bulk = server.query("SELECT count(*), count(DISTINCT job) FROM interactions WHERE source = 'bulk'")[0]
    assert bulk == (150_000, 1), f"bulk rows (count, imports) {bulk}: the FULL import should have replaced the rest"


def start_training(personalize, state):
    return personalize.create_solution_version(solutionArn=state["versions"]["up"].rsplit("/", 1)[0])[
        "solutionVersionArn"]


def check_training(server, s3, state, record):
    assert server.client("personalize").get_solution_metrics(solutionVersionArn=record["solutionVersionArn"])[
        "metrics"]


def start_export(personalize, state):
    return personalize.create_dataset_export_job(
        jobName="export", datasetArn=state["datasets"]["Interactions"], roleArn=ROLE, ingestionMode="ALL",
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/export/"}})["datasetExportJobArn"]


def check_export(server, s3, state, record):
    (body,) = read_objects(s3, "export/").values()
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert len(rows) == 1 + state["interactions"] + state["put"], f"{len(rows)} lines exported"


def start_batch_inference(personalize, state):
    return personalize.create_batch_inference_job(
        jobName="batch", solutionVersionArn=state["versions"]["up"], roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/"}})["batchInferenceJobArn"]


def start_batch_segment(personalize, state):
    return personalize.create_batch_segment_job(
        jobName="segment", solutionVersionArn=state["versions"]["affinity"], roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/items.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/segment/"}})["batchSegmentJobArn"]


def check_batch_output(prefix: str, source: str, lines: int):
    def check(server, s3, state, record):
        found = read_objects(s3, prefix)
        assert set(found) == {prefix + "_CHECK", prefix + source + ".out"}, sorted(found)
        answers = [json.loads(line) for line in found[prefix + source + ".out"].decode().splitlines()]
        assert len(answers) == lines and all(answer["error"] is None for answer in answers)
    return check


def start_campaign(personalize, state):
    return personalize.create_campaign(name="deployed", solutionVersionArn=state["versions"]["up2"])["campaignArn"]


def check_campaign(server, s3, state, record):
    answer = server.client("personalize-runtime").get_recommendations(campaignArn=record["campaignArn"],
                                                                      userId="user3")
    assert len(answer["itemList"]) == 25


def start_campaign_update(personalize, state):
    personalize.update_campaign(campaignArn=state["campaign"], solutionVersionArn=state["versions"]["up2"])
    return state["campaign"]


def check_campaign_update(server, s3, state, record):
    assert record["status"] == "ACTIVE" and record["solutionVersionArn"] == state["versions"]["up2"], record
    check_campaign(server, s3, state, record)


def start_deletion(personalize, state):
    return personalize.create_data_deletion_job(jobName="forget", datasetGroupArn=state["group"], roleArn=ROLE,
                                                dataSource={"dataLocation": f"s3://{BUCKET}/forget.csv"})[
        "dataDeletionJobArn"]


def check_deletion(server, s3, state, record):
    left = server.query("SELECT count(*) FROM interaction_rows WHERE user_id IN ('user1', 'user2')")[0][0]
    assert left == 0 and record["numDeleted"] == 60, (left, record)   # 30 imported events each


def describe(operation: str, key: str):
    return lambda personalize, arn: next(iter(getattr(personalize, operation)(**{key: arn}).values()))


@dataclasses.dataclass
class Case:
    start: Callable
    describe: Callable
    check: Callable
    outcome: str = "ACTIVE"
    status: Callable = status_of


CASES = {
    "import": Case(start_import, describe("describe_dataset_import_job", "datasetImportJobArn"), check_import),
    "training": Case(start_training, describe("describe_solution_version", "solutionVersionArn"), check_training),
    "export": Case(start_export, describe("describe_dataset_export_job", "datasetExportJobArn"), check_export),
    "batch-inference": Case(start_batch_inference, describe("describe_batch_inference_job", "batchInferenceJobArn"),
                            check_batch_output("batch/", "users.json", 100)),
    "batch-segment": Case(start_batch_segment, describe("describe_batch_segment_job", "batchSegmentJobArn"),
                          check_batch_output("segment/", "items.json", 20)),
    "campaign-deploy": Case(start_campaign, describe("describe_campaign", "campaignArn"), check_campaign),
    "campaign-update": Case(start_campaign_update, describe("describe_campaign", "campaignArn"),
                            check_campaign_update, status=lambda record: record["latestCampaignUpdate"]["status"]),
    "data-deletion": Case(start_deletion, describe("describe_data_deletion_job", "dataDeletionJobArn"),
                          check_deletion, outcome="COMPLETED"),
}
STAGES = ("queued", "working", "finishing")
IN_PROGRESS = {"CREATE IN_PROGRESS", "IN_PROGRESS", "UPDATE IN_PROGRESS"}


def kill_at(stage: str, server: Server, case: str, show) -> str:
    """Wait for the stage, kill -9 the server; the status the job showed at the kill."""
    if stage != "queued":
        wait_until(lambda: show() in IN_PROGRESS, timeout=60)
        if stage == "working" and case == "import":   # its first chunk of rows is staged
            wait_until(lambda: server.query("SELECT count(*) FROM interaction_rows WHERE job LIKE '%/big'")[0][0])
        elif stage == "working" and case == "training":   # the trainer is fitting
            wait_until(lambda: any("epoch" in entry["lastMessage"] for entry in server.trainings().values()))
        elif stage == "finishing":
            time.sleep(2)
    shown = show()
    server.stop(signal.SIGKILL)
    return shown


def wait_until(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def acknowledged(server: Server, state: dict) -> None:
    """What was acknowledged before the kill is all there, and nothing is left half done."""
    personalize = server.client("personalize")
    for arn in state["versions"].values():
        assert personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"] == "ACTIVE"
    assert personalize.describe_campaign(campaignArn=state["campaign"])["campaign"]["status"] == "ACTIVE"
    put = server.query("SELECT count(*) FROM interactions WHERE source = 'put'")[0][0]
    assert put == state["put"], f"{put} of {state['put']} put events left"
    assert server.query("PRAGMA integrity_check")[0][0] == "ok"
    wait_until(lambda: not server.query("SELECT count(*) FROM hidden_imports")[0][0], timeout=60)
    wait_until(lambda: not server.query("SELECT count(*) FROM jobs")[0][0], timeout=60)
    stuck = server.query("SELECT arn, status FROM resources WHERE status LIKE '%PENDING' OR status LIKE '%PROGRESS'")
    assert not stuck, stuck
    assert not list((server.data / "models").glob("*.partial"))


def run(name: str, stage: str, base: Path, s3_endpoint: str, state: dict, scratch: Path) -> str:
    case, data = CASES[name], scratch / f"{name}-{stage}"
    shutil.copytree(base, data)
    s3 = client("s3", s3_endpoint)
    for key in read_objects(s3, ""):   # outputs of the previous case
        if key.split("/")[0] in ("export", "batch", "segment"):
            s3.delete_object(Bucket=BUCKET, Key=key)
    slow = Server(data, s3_endpoint, 3)
    personalize = slow.client("personalize")
    arn = case.start(personalize, state)
    trainers = []

    def show() -> str:
        trainers.extend(pid for pid in trainers_of(slow.process.pid) if pid not in trainers)
        return case.status(case.describe(personalize, arn))
    shown = kill_at(stage, slow, name, show)
    wait_until(lambda: not any(running(pid) for pid in trainers), timeout=5)   # trainers die with their server
    again = Server(data, s3_endpoint, 0.05)
    try:
        personalize = again.client("personalize")
        wait_until(lambda: case.status(case.describe(personalize, arn)) in SETTLED, timeout=300)
        record = case.describe(personalize, arn)
        assert case.status(record) == case.outcome, f"ended {case.status(record)}: {record.get('failureReason')}"
        case.check(again, s3, state, record)
        acknowledged(again, state)
    finally:
        again.stop()
        shutil.rmtree(data, ignore_errors=True)
    return shown


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--stages", default=",".join(STAGES))
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        s3_server = Server(scratch / "s3", None, 0.05)
        try:
            state = prepare(scratch / "base", s3_server.endpoint)
            for case in args.cases.split(","):
                for stage in args.stages.split(","):
                    started = time.monotonic()
                    try:
                        shown = run(case, stage, scratch / "base", s3_server.endpoint, state, scratch)
                        verdict = f"ok (killed while {shown})"
                    except AssertionError as problem:
                        failures += 1
                        verdict = f"FAILED: {problem}"
                    print(f"{case:16} {stage:10} {time.monotonic() - started:5.0f} s  {verdict}", flush=True)
        finally:
            s3_server.stop()
    print("all cases passed" if not failures else f"{failures} case(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
