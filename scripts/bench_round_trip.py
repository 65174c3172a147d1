"""Serving round trip against a floor (issue 14): GetRecommendations from an aws-user-personalization campaign trained
on MovieLens-100K (ratings >= 4), through boto3, beside the same call to a trivial waitress endpoint (a minimal WSGI
app with our server's thread settings that answers any POST with a fixed 25-item GetRecommendations body), made by
two boto3 clients of one configuration, request by request in shuffled rounds, in one run.

    .venv/bin/python scripts/bench_round_trip.py [--requests N] [--data DIR] [--keep DIR] [--log-level LEVEL]

Prints p50 and p99 of each call and their ratios to the floor's. The target is GetRecommendations from the campaign
created with the defaults (exploration weight 0.3); the same version with explorationWeight 0, GetRecommendations
with a filter and GetPersonalizedRanking are shown for information. Users are drawn from MovieLens' 943, so about
a third of the timed GetRecommendations are a user's first (nothing kept for them yet); p99 is made of those.
--keep leaves the trained data directory behind, for scripts/profile_serving.py to profile the same requests
in-process."""

import argparse
import dataclasses
import json
import os
import pathlib
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable

import numpy as np
from benchlib import client, emulator, free_port, percentile, wait_active

import bench_serving
import bench_training

RECIPE = "arn:aws:personalize:::recipe/{}"
EXCLUDE_SEEN = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
INCLUDE_GENRE = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"
GENRES = ("Action", "Comedy", "Drama", "Thriller", "Romance")
TARGET = 1.25   # GetRecommendations / floor, at p50 and at p99


def fixed_app(body: bytes):
    """The floor: a WSGI app that reads the request and answers any POST with `body`, as the runtime answers."""
    def app(environ, start_response):
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  ("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")])
        return [body]
    return app


def serve_fixed(port: int, body: str) -> None:
    """Run the floor in this process, with the emulator's waitress thread settings (server.Server)."""
    from waitress.server import create_server
    from emulator.settings import Settings
    server = create_server(fixed_app(body.encode()), host="127.0.0.1", port=port,
                           threads=Settings().server_threads, ident="fixed", channel_timeout=300)
    server.run()


class Floor:
    """The floor in a subprocess of its own, as the emulator is (client and servers share no GIL)."""

    def __init__(self, body: bytes) -> None:
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-fixed", str(self.port), body.decode()],
                                        cwd=bench_training.ROOT)
        self.endpoint = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(urllib.request.Request(self.endpoint, data=b"{}"), timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the fixed endpoint did not answer")

    def close(self) -> None:
        self.process.terminate()
        self.process.wait()


@dataclasses.dataclass
class Setup:
    """The campaigns and filters measured, and the users and items to ask about."""
    campaign: str          # aws-user-personalization, created with the defaults (exploration weight 0.3)
    no_exploration: str    # the same solution version, explorationWeight "0"
    ranking: str           # aws-personalized-ranking
    exclude_seen: str
    include_genre: str
    users: list[str]
    items: list[str]

    @classmethod
    def build(cls, endpoint: str, data: pathlib.Path) -> "Setup":
        personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
        started = time.monotonic()
        datasets = bench_training.movielens_data(data)
        group = bench_training.loaded_group(personalize, s3, "ml-100k", datasets)
        print(f"ML-100K imported in {time.monotonic() - started:.1f} s", flush=True)
        versions = {}
        for recipe in ("aws-user-personalization", "aws-personalized-ranking"):
            solution = personalize.create_solution(name=recipe[4:], datasetGroupArn=group,
                                                   recipeArn=RECIPE.format(recipe))["solutionArn"]
            versions[recipe] = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        for recipe, version in versions.items():
            seconds = wait_active(lambda: personalize.describe_solution_version(solutionVersionArn=version), 3600)
            print(f"{recipe} trained: ACTIVE after {seconds:.1f} s more", flush=True)
        campaigns = [personalize.create_campaign(name=name, solutionVersionArn=versions[recipe], **config)[
            "campaignArn"] for name, recipe, config in (
                ("up", "aws-user-personalization", {}),
                ("up-no-exploration", "aws-user-personalization",
                 {"campaignConfig": {"itemExplorationConfig": {"explorationWeight": "0"}}}),
                ("ranking", "aws-personalized-ranking", {}))]
        filters = [personalize.create_filter(name=name, datasetGroupArn=group, filterExpression=expression)[
            "filterArn"] for name, expression in (("exclude-seen", EXCLUDE_SEEN), ("include-genre", INCLUDE_GENRE))]
        for campaign in campaigns:
            wait_active(lambda: personalize.describe_campaign(campaignArn=campaign))
        for arn in filters:
            wait_active(lambda: personalize.describe_filter(filterArn=arn))
        interactions = [line.split(",") for line in datasets["Interactions"][1].decode().splitlines()[1:]]
        return cls(*campaigns, *filters, sorted({row[0] for row in interactions}),
                   sorted({row[1] for row in interactions}))


def calls(runtime, floor_runtime, setup: Setup, rng: np.random.Generator) -> dict[str, Callable[[], object]]:
    def user() -> str:
        return setup.users[rng.integers(len(setup.users))]
    return {
        "floor: fixed 25 items": lambda: floor_runtime.get_recommendations(campaignArn=setup.campaign, userId=user()),
        "GetRecommendations": lambda: runtime.get_recommendations(campaignArn=setup.campaign, userId=user()),
        "  explorationWeight 0": lambda: runtime.get_recommendations(campaignArn=setup.no_exploration,
                                                                     userId=user()),
        "  filter EXCLUDE seen": lambda: runtime.get_recommendations(campaignArn=setup.campaign, userId=user(),
                                                                     filterArn=setup.exclude_seen),
        "  filter INCLUDE $GENRE": lambda: runtime.get_recommendations(
            campaignArn=setup.campaign, userId=user(), filterArn=setup.include_genre,
            filterValues={"GENRE": f'"{GENRES[rng.integers(len(GENRES))]}"'}),
        "GetPersonalizedRanking (25)": lambda: runtime.get_personalized_ranking(
            campaignArn=setup.ranking, userId=user(),
            inputList=[setup.items[i] for i in rng.choice(len(setup.items), 25, replace=False)]),
    }


def interleaved(named: dict[str, Callable[[], object]], requests: int, rng: np.random.Generator,
                warm_up: int = 50) -> dict[str, list[float]]:
    """Milliseconds of each call, sorted: `requests` rounds in which every call is made once, in a shuffled order,
    so load from elsewhere on the machine falls on all of them alike."""
    names = list(named)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(warm_up + requests):
        for position in rng.permutation(len(names)):
            name = names[position]
            started = time.perf_counter()
            named[name]()
            if round_number >= warm_up:
                samples[name].append((time.perf_counter() - started) * 1000)
    return {name: sorted(values) for name, values in samples.items()}


def report(samples: dict[str, list[float]]) -> None:
    floor = samples["floor: fixed 25 items"]
    floor50, floor99 = percentile(floor, .5), percentile(floor, .99)
    print(f"{'call':30} {'n':>5} {'p50 ms':>7} {'p99 ms':>7} {'p50/floor':>9} {'p99/floor':>9}  target")
    for name, values in samples.items():
        p50, p99 = percentile(values, .5), percentile(values, .99)
        verdict = ""
        if name == "GetRecommendations":
            ok = p50 / floor50 <= TARGET and p99 / floor99 <= TARGET
            verdict = f"both <= {TARGET}: {'pass' if ok else 'FAIL'}"
        print(f"{name:30} {len(values):5} {p50:7.2f} {p99:7.2f} {p50 / floor50:9.2f} {p99 / floor99:9.2f}  {verdict}")


def uptime() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-fixed":
        serve_fixed(int(sys.argv[2]), sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed rounds (one call of each kind a round)")
    parser.add_argument("--data", type=pathlib.Path, default=bench_training.ML_100K, help="the ml-100k directory")
    parser.add_argument("--keep", type=pathlib.Path, help="data directory to train in and leave behind; one left "
                        "by an earlier run is measured again without training")
    parser.add_argument("--log-level", default="WARNING", help="the emulator's (INFO logs a line per request)")
    args = parser.parse_args()
    print(f"bench_round_trip: {uptime()} at the start", flush=True)
    data_dir = None
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        data_dir = str(args.keep)
    with emulator("--log-level", args.log_level, data_dir=data_dir) as endpoint:
        saved = args.keep / "bench-setup.json" if args.keep else None
        if saved and saved.exists():
            setup = Setup(**json.loads(saved.read_text()))
        else:
            setup = Setup.build(endpoint, args.data)
            if saved:
                saved.write_text(json.dumps(dataclasses.asdict(setup)))
        runtime = client("personalize-runtime", endpoint)
        body = emulator_body(endpoint, setup)
        floor = Floor(body)
        try:
            floor_runtime = client("personalize-runtime", floor.endpoint)
            rng = np.random.default_rng(14)
            print(f"measuring {args.requests} rounds (emulator --log-level {args.log_level}; fixed body of "
                  f"{len(body)} bytes): {uptime()}", flush=True)
            samples = interleaved(calls(runtime, floor_runtime, setup, rng), args.requests, rng)
            print(f"measured: {uptime()}\n", flush=True)
        finally:
            floor.close()
    report(samples)


def emulator_body(endpoint: str, setup: Setup) -> bytes:
    """The emulator's own answer for one user, the floor's fixed body: the same bytes on the wire."""
    request = urllib.request.Request(f"{endpoint}/recommendations", method="POST", data=json.dumps(
        {"campaignArn": setup.campaign, "userId": setup.users[0]}).encode(), headers={
        "Content-Type": "application/json", "Authorization": bench_serving.SIGNED})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


if __name__ == "__main__":
    main()
