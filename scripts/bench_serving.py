"""Serving speed of a user-personalization campaign trained on a synthetic 1M-interaction data set, measured
against a floor (ListRecipes) taken in the same run with the same client.

    .venv/bin/python scripts/bench_serving.py [--interactions N] [--requests N] [--training-seconds S]

Generates the data (numpy, seeded: power-law item popularity, users' events in sessions, a GENRE per item),
imports it from the emulator's own S3, trains aws-user-personalization, creates campaigns, an event tracker
and filters, then prints one table of call -> p50, p99, ratio to the floor, target, pass/fail."""

import argparse
import datetime
import functools
import http.client
import json
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlparse

import numpy as np
from benchlib import client, emulator, latencies, percentile, wait_active

USERS, ITEMS, GENRES = 50_000, 10_000, 20
INTERACTIONS_SCHEMA = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                       "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                                  {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}],
                       "version": "1.0"}
ITEMS_SCHEMA = {"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
                "fields": [{"name": "ITEM_ID", "type": "string"},
                           {"name": "GENRE", "type": "string", "categorical": True}], "version": "1.0"}
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
EXCLUDE_PURCHASED = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
INCLUDE_GENRE = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"
# any signature passes; the credential scope routes the request (tests/protocol/test_wire.py signs the same way)
SIGNED = ("AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/personalize/aws4_request, "
          "SignedHeaders=host, Signature=x")
THROUGHPUT_CLIENTS, THROUGHPUT_SECONDS = 4, 5.0


def synthetic(interactions: int, seed: int = 7) -> tuple[bytes, bytes, list[str]]:
    """(interactions CSV, items CSV, user ids): Zipf-like item popularity; each user has a favourite genre,
    each session a genre (mostly the favourite) that most of its events come from; 8% of events purchases."""
    rng = np.random.default_rng(seed)
    genre = rng.integers(GENRES, size=ITEMS)
    popularity = 1.0 / np.arange(1, ITEMS + 1) ** 1.05
    popularity = popularity[rng.permutation(ITEMS)] / popularity.sum()
    weights = rng.lognormal(0.0, 1.0, size=USERS)
    counts = 1 + rng.multinomial(interactions - USERS, weights / weights.sum())
    user = np.repeat(np.arange(USERS), counts)
    first = np.r_[0, np.cumsum(counts)[:-1]]
    starts_session = rng.random(interactions) < 0.2
    starts_session[first] = True
    session = np.cumsum(starts_session) - 1
    favourite = rng.integers(GENRES, size=USERS)
    session_genre = np.where(rng.random(session[-1] + 1) < 0.7, favourite[user[starts_session]],
                             rng.integers(GENRES, size=session[-1] + 1))[session]
    item = rng.choice(ITEMS, size=interactions, p=popularity)
    in_genre = rng.random(interactions) < 0.8
    for g in range(GENRES):
        rows = np.flatnonzero(in_genre & (session_genre == g))
        members = np.flatnonzero(genre == g)
        item[rows] = rng.choice(members, size=rows.size, p=popularity[members] / popularity[members].sum())
    gap = np.where(starts_session, rng.exponential(86_400.0, interactions), rng.exponential(60.0, interactions))
    gap[first] = rng.uniform(0, 90 * 86_400.0, USERS)
    elapsed = np.cumsum(gap)
    now = int(time.time())
    stamp = np.minimum(now - 365 * 86_400 + elapsed - (elapsed[first] - gap[first])[user], now - 3600).astype(np.int64)
    event = np.where(rng.random(interactions) < 0.08, "purchase", "click")
    lines = ["USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"]
    lines += [f"u{u},i{i},{e},{t}" for u, i, e, t in zip(user.tolist(), item.tolist(), event.tolist(), stamp.tolist())]
    items = ["ITEM_ID,GENRE"] + [f"i{i},g{g}" for i, g in enumerate(genre.tolist())]
    return ("\n".join(lines) + "\n").encode(), ("\n".join(items) + "\n").encode(), [f"u{u}" for u in range(USERS)]


@dataclass
class Setup:
    campaign: str             # explorationWeight "0"
    exploring: str            # the default exploration
    tracking_id: str
    exclude_purchased: str
    include_genre: str


def build(endpoint: str, interactions: bytes, items: bytes) -> Setup:
    personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
    s3.create_bucket(Bucket="bench")
    s3.put_object(Bucket="bench", Key="interactions.csv", Body=interactions)
    s3.put_object(Bucket="bench", Key="items.csv", Body=items)
    group = personalize.create_dataset_group(name="bench")["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    jobs = []
    for kind, schema, key in (("Interactions", INTERACTIONS_SCHEMA, "interactions.csv"),
                              ("Items", ITEMS_SCHEMA, "items.csv")):
        schema_arn = personalize.create_schema(name=kind, schema=json.dumps(schema))["schemaArn"]
        dataset = personalize.create_dataset(name=kind, schemaArn=schema_arn, datasetGroupArn=group,
                                             datasetType=kind)["datasetArn"]
        wait_active(functools.partial(personalize.describe_dataset, datasetArn=dataset))
        jobs.append(personalize.create_dataset_import_job(jobName=kind, datasetArn=dataset, dataSource={
            "dataLocation": f"s3://bench/{key}"})["datasetImportJobArn"])
    seconds = sum(wait_active(functools.partial(personalize.describe_dataset_import_job, datasetImportJobArn=job))
                  for job in jobs)   # the second wait starts when the first ends: the sum is the wall time
    rows = [data.count(b"\n") - 1 for data in (interactions, items)]
    print(f"import: {rows[0]} interactions and {rows[1]} items ACTIVE in {seconds:.1f} s", flush=True)
    solution = personalize.create_solution(name="bench", datasetGroupArn=group, recipeArn=RECIPE)["solutionArn"]
    wait_active(lambda: personalize.describe_solution(solutionArn=solution))
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    seconds = wait_active(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=3600)
    print(f"training aws-user-personalization: ACTIVE in {seconds:.1f} s", flush=True)
    started = time.monotonic()
    campaigns = [personalize.create_campaign(name=name, solutionVersionArn=version, **config)["campaignArn"]
                 for name, config in (("no-exploration", {"campaignConfig": {"itemExplorationConfig": {
                     "explorationWeight": "0"}}}), ("default-exploration", {}))]
    tracker = personalize.create_event_tracker(name="bench", datasetGroupArn=group)
    filters = [personalize.create_filter(name=name, datasetGroupArn=group, filterExpression=expression)["filterArn"]
               for name, expression in (("no-purchased", EXCLUDE_PURCHASED), ("genre", INCLUDE_GENRE))]
    for campaign in campaigns:
        wait_active(functools.partial(personalize.describe_campaign, campaignArn=campaign))
    wait_active(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    for arn in filters:
        wait_active(functools.partial(personalize.describe_filter, filterArn=arn))
    print(f"campaigns, event tracker and filters: ACTIVE in {time.monotonic() - started:.1f} s\n", flush=True)
    return Setup(*campaigns, tracker["trackingId"], *filters)


Block = Callable[[int, int], dict[str, list[float]]]   # (count, warm_up) -> milliseconds by call name


def timed(name: str, call: Callable[[], object]) -> Block:
    return lambda count, warm_up: {name: latencies(call, count, warm_up)}


def interleaved(blocks: list[Block], count: int, rounds: int = 10) -> dict[str, list[float]]:
    """Milliseconds by call name, taken in rounds in which the blocks take turns, so load from elsewhere on
    the machine falls on every call alike."""
    samples: dict[str, list[float]] = {}
    for round_number in range(rounds):
        for block in blocks:
            for name, values in block(count // rounds, 20 if round_number == 0 else 2).items():
                samples.setdefault(name, []).extend(values)
    return {name: sorted(values) for name, values in samples.items()}


def events_then_recommendations(events, runtime, setup: Setup, users: list[str], rng: np.random.Generator) -> Block:
    """PutEvents for a user, then GetRecommendations for the same user, whose state the event changed."""
    def block(count: int, warm_up: int) -> dict[str, list[float]]:
        put, after = [], []
        for number in range(warm_up + count):
            user = users[rng.integers(len(users))]
            started = time.perf_counter()
            events.put_events(trackingId=setup.tracking_id, userId=user, sessionId=f"s-{user}", eventList=[{
                "eventType": "click", "itemId": f"i{rng.integers(ITEMS)}", "sentAt": datetime.datetime.now()}])
            middle = time.perf_counter()
            runtime.get_recommendations(campaignArn=setup.campaign, userId=user)
            if number >= warm_up:
                put.append((middle - started) * 1000)
                after.append((time.perf_counter() - middle) * 1000)
        return {"PutEvents": put, "  GetRecommendations after it": after}
    return block


class RawRecommendations:
    """POST /recommendations over one keep-alive connection, no SDK: the server's time plus loopback."""

    def __init__(self, endpoint: str, campaign: str, users: list[str], seed: int) -> None:
        url = urlparse(endpoint)
        self.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.campaign, self.users, self.rng = campaign, users, np.random.default_rng(seed)

    def __call__(self) -> None:
        body = json.dumps({"campaignArn": self.campaign, "userId": self.users[self.rng.integers(len(self.users))]})
        self.connection.request("POST", "/recommendations", body=body, headers={
            "Content-Type": "application/json", "Authorization": SIGNED})
        response = self.connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise SystemExit(f"GetRecommendations answered {response.status}: {data[:300]!r}")


def _throughput_worker(mode: str, endpoint: str, campaign: str, users: list[str], seed: int, barrier,
                       results) -> None:
    if mode == "boto3":
        runtime, rng = client("personalize-runtime", endpoint), np.random.default_rng(seed)

        def call():
            runtime.get_recommendations(campaignArn=campaign, userId=users[rng.integers(len(users))])
    else:
        call = RawRecommendations(endpoint, campaign, users, seed)
    for _ in range(20):
        call()
    barrier.wait()
    started, done = time.monotonic(), 0
    while time.monotonic() - started < THROUGHPUT_SECONDS:
        call()
        done += 1
    results.put((done, time.monotonic() - started))


def throughput(mode: str, endpoint: str, campaign: str, users: list[str]) -> float:
    """GetRecommendations per second from THROUGHPUT_CLIENTS processes calling as fast as they can."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(THROUGHPUT_CLIENTS), context.Queue()
    workers = [context.Process(target=_throughput_worker, args=(mode, endpoint, campaign, users, 100 + number,
                                                                barrier, results))
               for number in range(THROUGHPUT_CLIENTS)]
    for worker in workers:
        worker.start()
    finished = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
    return sum(done for done, _ in finished) / max(seconds for _, seconds in finished)


def measure(endpoint: str, setup: Setup, users: list[str], requests: int) -> None:
    print(f"load average before measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}", flush=True)
    personalize, runtime = client("personalize", endpoint), client("personalize-runtime", endpoint)
    events = client("personalize-events", endpoint)
    rng = np.random.default_rng(11)

    def user() -> str:
        return users[rng.integers(len(users))]
    samples = interleaved([
        timed("ListRecipes (floor)", lambda: personalize.list_recipes()),
        timed("GetRecommendations", lambda: runtime.get_recommendations(campaignArn=setup.campaign, userId=user())),
        timed("  default exploration", lambda: runtime.get_recommendations(campaignArn=setup.exploring,
                                                                            userId=user())),
        timed("  filter EXCLUDE purchased", lambda: runtime.get_recommendations(
            campaignArn=setup.campaign, userId=user(), filterArn=setup.exclude_purchased)),
        timed("  filter INCLUDE $GENRE", lambda: runtime.get_recommendations(
            campaignArn=setup.campaign, userId=user(), filterArn=setup.include_genre,
            filterValues={"GENRE": f'"g{rng.integers(GENRES)}"'})),
        timed("raw HTTP GetRecommendations", RawRecommendations(endpoint, setup.campaign, users, seed=5)),
        events_then_recommendations(events, runtime, setup, users, rng),
    ], requests)
    rates = {mode: throughput(mode, endpoint, setup.campaign, users) for mode in ("boto3", "raw")}
    print(f"load average after measuring: {os.getloadavg()[0]:.1f}\n")
    report(samples, rates)


# call -> its targets: (percentile, limit), the limit a ratio to the floor's same percentile, or milliseconds
TARGETS = {"GetRecommendations": [("p50", 1.25), ("p99", 2.0)], "  filter EXCLUDE purchased": [("p50", 1.5)],
           "  filter INCLUDE $GENRE": [("p50", 1.5)], "PutEvents": [("p50", 1.25)],
           "raw HTTP GetRecommendations": [("p50 ms", 1.5)]}


def report(samples: dict[str, list[float]], rates: dict[str, float]) -> None:
    floor = samples["ListRecipes (floor)"]
    floor50, floor99 = percentile(floor, .5), percentile(floor, .99)
    print(f"{'call':30} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>9} {'p99/floor':>9}  {'target':47} result")
    for name, values in samples.items():
        measured = {"p50": percentile(values, .5), "p99": percentile(values, .99)}
        ratios = {"p50": measured["p50"] / floor50, "p99": measured["p99"] / floor99}
        checks = [(f"{key} <= {limit} ms", measured["p50"] <= limit) if key == "p50 ms"
                  else (f"{key} <= {limit} x floor {key}", ratios[key] <= limit)
                  for key, limit in TARGETS.get(name, [])]
        print(f"{name:30} {len(values):5} {measured['p50']:8.2f} {measured['p99']:8.2f} {ratios['p50']:9.2f} "
              f"{ratios['p99']:9.2f}  {', '.join(text for text, _ in checks):47} "
              f"{' '.join('pass' if ok else 'FAIL' for _, ok in checks)}")
    for mode, rate in rates.items():
        print(f"throughput, {THROUGHPUT_CLIENTS} {mode} client processes x {THROUGHPUT_SECONDS:g} s: {rate:6.0f} "
              f"GetRecommendations/s (target >= 500: {'pass' if rate >= 500 else 'FAIL'})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000, help="timed calls per call kind")
    parser.add_argument("--training-seconds", type=float, default=120.0, help="the server's training budget")
    args = parser.parse_args()
    started = time.monotonic()
    interactions, items, users = synthetic(args.interactions)
    print(f"synthetic data: {args.interactions} interactions, {USERS} users, {ITEMS} items in "
          f"{time.monotonic() - started:.1f} s", flush=True)
    with emulator("--training-seconds", str(args.training_seconds)) as endpoint:
        setup = build(endpoint, interactions, items)
        measure(endpoint, setup, users, args.requests)


if __name__ == "__main__":
    main()
