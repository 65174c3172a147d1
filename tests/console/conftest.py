"""A shop the console tests look at: a dataset group with interactions (two event types) and items, a
user-personalization version training while the tests start (its curve is watched from the first moment), a
popularity version, a filter and an event tracker; and a group whose import failed."""

import json
import threading
import time
import urllib.request
import uuid

import pytest

from tests import steps, synthetic

UP = "arn:aws:personalize:::recipe/aws-user-personalization"
POPULARITY = "arn:aws:personalize:::recipe/aws-popularity-count"
SCHEMA = json.dumps({"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                     "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                                {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"}],
                     "version": "1.0"})
HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE")


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return json.load(answer)


def post_json(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    """POST as the console page does (JSON and its header) unless `headers` says otherwise: (status, answer)."""
    sent = {"Content-Type": "application/json", "X-Emulator-Console": "1"} if headers is None else headers
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="session")
def console(personalize_endpoint) -> str:
    """The console's address on the session's server."""
    return f"{personalize_endpoint}/_emulator/console/"


class TrainingWatch:
    """Polls the console's training endpoint from the moment a training is created until it settles: the epoch
    counts seen while it trained."""

    def __init__(self, console: str, arn: str) -> None:
        self.url = f"{console}api/training?arn={urllib.request.quote(arn, safe='')}"
        self.seen_while_training: list[int] = []
        self.done = threading.Event()
        threading.Thread(target=self._poll, daemon=True).start()

    def _poll(self) -> None:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            try:
                found = get_json(self.url)
            except OSError:   # the server is gone: the session ended
                break
            if found["training"]:
                self.seen_while_training.append(len(found["epochs"]))
            elif found["status"] in ("ACTIVE", "CREATE FAILED", "CREATE STOPPED"):
                break
            time.sleep(0.3)
        self.done.set()


@pytest.fixture(scope="session")
def shop(personalize, aws_client, wait_for, console) -> dict:
    """The shop's ARNs. Its user-personalization version is still training when this returns."""
    name = f"shop-{uuid.uuid4().hex[:6]}"
    rows = [(user, item, stamp, "purchase" if n % 5 == 0 else "click")
            for n, (user, item, stamp) in enumerate(synthetic.two_tastes(users=80, seed=2))]
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, rows, schema=SCHEMA, header=HEADER)
    group = loaded["group"]
    items = steps.add_items(personalize, aws_client("s3"), wait_for, group, name, synthetic.items_of_two_tastes())
    # a wide GRU, so that its training lasts long enough (several epochs of a second or more) to be watched live
    solution = personalize.create_solution(name=f"{name}-up", datasetGroupArn=group, recipeArn=UP, solutionConfig={
        "algorithmHyperParameters": {"hidden_dimension": "768"}})["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    watch = TrainingWatch(console, version)
    popularity = personalize.create_solution(name=f"{name}-pop", datasetGroupArn=group,
                                             recipeArn=POPULARITY)["solutionArn"]
    popular = personalize.create_solution_version(solutionArn=popularity)["solutionVersionArn"]
    tracker = personalize.create_event_tracker(name=f"{name}-tracker", datasetGroupArn=group)
    genre = personalize.create_filter(name=f"{name}-genre", datasetGroupArn=group,
                                      filterExpression="INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")["filterArn"]
    return {"name": name, "group": group, "interactions": loaded["dataset"], "items": items, "solution": solution,
            "version": version, "watch": watch, "popularity": popularity, "popular": popular,
            "tracker": tracker["eventTrackerArn"], "filter": genre, "rows": len(rows)}


@pytest.fixture(scope="session")
def shop_campaign(shop, personalize, wait_for) -> str:
    """An ACTIVE campaign of the shop's user-personalization version, without exploration."""
    for arn in (shop["version"], shop["popular"]):
        wait_for(lambda arn=arn: personalize.describe_solution_version(solutionVersionArn=arn))
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=shop["tracker"]))
    wait_for(lambda: personalize.describe_filter(filterArn=shop["filter"]))
    return steps.campaign(personalize, wait_for, shop["version"], f"{shop['name']}-campaign",
                          itemExplorationConfig={"explorationWeight": "0"})


@pytest.fixture(scope="session")
def failed_import(personalize, aws_client, wait_for) -> dict:
    """A dataset group whose Interactions import failed: its CSV lacks the TIMESTAMP column."""
    name = f"broken-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="events.csv", Body=b"USER_ID,ITEM_ID\nu1,i1\n")
    schema = personalize.create_schema(name=name, schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName=name, datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{name}/events.csv"})
    failed = wait_for(lambda: personalize.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]), "CREATE FAILED")
    return {"group": group, "dataset": dataset, "job": job["datasetImportJobArn"], "reason": failed["failureReason"]}
