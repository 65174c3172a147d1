"""Does exploration pay? A simulated shop where new items arrive after training, some of them hits.

    .venv/bin/python scripts/simulate_exploration.py [--rounds 12] [--weight 0.6]

An emulator runs in this process. Users of two tastes have browsed 60 old items; a user-personalization model is
trained on that. Then 12 new items arrive through PutItems (the model never saw them): 4 are hits that users of
their taste take far more often than any old item, the rest are duds. Users are split into two arms served by two
campaigns of the same model, one without exploration and one with it. Each round every user asks for 10 items,
takes each with the environment's probability, and the takes flow back through PutEvents. The script prints the
click-through of each arm per round and in total."""

import argparse
import json
import pathlib
import tempfile

import boto3
import numpy as np
from botocore.config import Config

from emulator.server import Server
from emulator.settings import Settings

START = 1_700_000_000
OLD, NEW, HITS = 60, 12, 4
TAKE_MATCH, TAKE_OTHER, TAKE_HIT, TAKE_DUD = 0.12, 0.01, 0.45, 0.01
INTERACTIONS = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",'
                ' "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},'
                ' {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')
ITEMS = ('{"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",'
         ' "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string",'
         ' "categorical": true}], "version": "1.0"}')


def taste_of(item: str) -> str:
    return item.split("-")[1]


def take_probability(user_taste: str, item: str) -> float:
    """The environment: what the model cannot know about the new items."""
    if item.startswith("new"):
        hit = int(item.split("-")[2]) < HITS // 2
        return (TAKE_HIT if hit else TAKE_DUD) if taste_of(item) == user_taste else TAKE_OTHER
    return TAKE_MATCH if taste_of(item) == user_taste else TAKE_OTHER


def history(users: int, rng: np.random.Generator) -> list[tuple[str, str, int]]:
    """Each user browses 25 old items, mostly of their taste; their first weeks span a month."""
    rows = []
    for user in range(users):
        taste = "a" if user % 2 == 0 else "b"
        for step in range(25):
            own = rng.random() < 0.85
            group = taste if own else ("b" if taste == "a" else "a")
            rows.append((f"user{user}", f"old-{group}-{rng.integers(OLD // 2)}", START + user * 12_000 + step * 60))
    return rows


def client(endpoint: str, service: str):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def wait(describe) -> None:
    while True:
        status = next(iter(describe().values()))["status"]
        if status == "ACTIVE":
            return
        if status == "CREATE FAILED":
            raise SystemExit(next(iter(describe().values())).get("failureReason"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--weight", default="0.6")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Settings(port=0, data_dir=pathlib.Path(data_dir), status_seconds=0.0,
                                 feedback_refresh_seconds=0.0))
        server.start_in_thread()
        try:
            simulate(server.endpoint, args, rng)
        finally:
            server.stop()


def simulate(endpoint: str, args, rng: np.random.Generator) -> None:
    personalize, events, runtime, s3 = (client(endpoint, name) for name in
                                        ("personalize", "personalize-events", "personalize-runtime", "s3"))
    s3.create_bucket(Bucket="shop")
    rows = history(args.users, rng)
    s3.put_object(Bucket="shop", Key="history.csv",
                  Body=("USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(f"{u},{i},{t}\n" for u, i, t in rows)).encode())
    old_items = [f"old-{group}-{n}" for group in "ab" for n in range(OLD // 2)]
    s3.put_object(Bucket="shop", Key="items.csv",
                  Body=("ITEM_ID,GENRE\n" + "".join(f"{item},{taste_of(item)}\n" for item in old_items)).encode())
    group = personalize.create_dataset_group(name="shop")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    datasets = {}
    for kind, schema, key in (("Interactions", INTERACTIONS, "history.csv"), ("Items", ITEMS, "items.csv")):
        schema_arn = personalize.create_schema(name=kind, schema=schema)["schemaArn"]
        datasets[kind] = personalize.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group,
                                                    datasetType=kind)["datasetArn"]
        wait(lambda: personalize.describe_dataset(datasetArn=datasets[kind]))
        job = personalize.create_dataset_import_job(jobName=kind, datasetArn=datasets[kind],
                                                    dataSource={"dataLocation": f"s3://shop/{key}"})
        wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    solution = personalize.create_solution(name="shop", datasetGroupArn=group,
                                           recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")
    wait(lambda: personalize.describe_solution(solutionArn=solution["solutionArn"]))
    version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    arms = {}
    for arm, weight in (("no exploration", "0"), (f"exploration {args.weight}", args.weight)):
        arms[arm] = personalize.create_campaign(name=arm.replace(" ", "-").replace(".", "-"), solutionVersionArn=version,
                                                campaignConfig={"itemExplorationConfig": {
                                                    "explorationWeight": weight, "explorationItemAgeCutOff": "1"}}
                                                )["campaignArn"]
        wait(lambda: personalize.describe_campaign(campaignArn=arms[arm]))
    tracker = personalize.create_event_tracker(name="shop", datasetGroupArn=group)
    wait(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    new_items = [f"new-{group_}-{n}" for group_ in "ab" for n in range(NEW // 2)]
    for start in range(0, len(new_items), 10):   # PutItems takes 10 at a time
        events.put_items(datasetArn=datasets["Items"], items=[
            {"itemId": item, "properties": json.dumps({"genre": taste_of(item)})} for item in new_items[start:start + 10]])

    users = [f"user{n}" for n in range(args.users)]
    arm_of = {user: list(arms)[n % 4 // 2] for n, user in enumerate(users)}   # both tastes in both arms
    shown = {arm: [0] * args.rounds for arm in arms}
    taken = {arm: [0] * args.rounds for arm in arms}
    new_taken = {arm: 0 for arm in arms}
    clock = START + 10**8
    for round_ in range(args.rounds):
        for n, user in enumerate(users):
            arm = arm_of[user]
            answer = runtime.get_recommendations(campaignArn=arms[arm], userId=user, numResults=10)
            taste = "a" if n % 2 == 0 else "b"
            chosen = [item["itemId"] for item in answer["itemList"]
                      if rng.random() < take_probability(taste, item["itemId"])]
            shown[arm][round_] += len(answer["itemList"])
            taken[arm][round_] += len(chosen)
            new_taken[arm] += sum(item.startswith("new") for item in chosen)
            if chosen:
                clock += 1
                events.put_events(trackingId=tracker["trackingId"], userId=user, sessionId=f"{user}-{round_}",
                                  eventList=[{"eventType": "click", "itemId": item, "sentAt": clock,
                                              "recommendationId": answer["recommendationId"]} for item in chosen])
    print(f"{args.users} users, {OLD} old items, {NEW} new items ({HITS} hits) arriving after training; "
          f"10 recommendations per user per round\n")
    print(f"{'round':>5} " + " ".join(f"{arm + ' CTR':>24}" for arm in arms))
    for round_ in range(args.rounds):
        print(f"{round_ + 1:5d} " + " ".join(f"{taken[arm][round_] / shown[arm][round_]:24.4f}" for arm in arms))
    totals = {arm: sum(taken[arm]) / sum(shown[arm]) for arm in arms}
    print("\n" + "\n".join(f"{arm:24} total CTR {totals[arm]:.4f}, takes of new items {new_taken[arm]}"
                           for arm in arms))
    baseline, explored = totals.values()
    print(f"exploration / no exploration CTR: {explored / baseline:.2f}")


if __name__ == "__main__":
    main()
