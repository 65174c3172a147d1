"""The getting-started journey on MovieLens-100K, timed: import, training, metrics and request latency.

    .venv/bin/python scripts/bench_getting_started.py [--data ../shared/data/ml-100k/u.data]

Starts the emulator in a subprocess (so client and server do not share a GIL), then prints the numbers
of issue #2's targets and their ratios."""

import argparse
import contextlib
import io
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},'
          ' {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')
RECIPES = {"user-personalization": "arn:aws:personalize:::recipe/aws-user-personalization",
           "popularity-count": "arn:aws:personalize:::recipe/aws-popularity-count"}


def movielens_csv(path: pathlib.Path) -> tuple[bytes, list[str]]:
    """Ratings above 3 as interactions (the AWS notebook's choice): CSV bytes and the user ids."""
    out, users = io.StringIO(), set()
    out.write("USER_ID,ITEM_ID,TIMESTAMP\n")
    for line in path.read_text().splitlines():
        user, item, rating, stamp = line.split("\t")
        if int(rating) > 3:
            out.write(f"{user},{item},{stamp}\n")
            users.add(user)
    return out.getvalue().encode(), sorted(users)


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_active(describe, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        record = next(iter(describe().values()))
        if record["status"] == "ACTIVE":
            return time.monotonic() - started
        if record["status"] == "CREATE FAILED":
            raise SystemExit(f"failed: {record.get('failureReason')}")
        time.sleep(0.05)
    raise SystemExit("timed out")


def latencies(call, count: int) -> list[float]:
    for _ in range(20):
        call()   # warm up: connections, caches
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def percentile(samples: list[float], share: float) -> float:
    return samples[min(len(samples) - 1, int(share * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parents[2]
                        / "shared/data/ml-100k/u.data")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    body, users = movielens_csv(args.data)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = subprocess.Popen([sys.executable, "-m", "emulator", "serve", "--port", str(port), "--data-dir",
                                   data_dir, "--status-seconds", "0.05", "--log-level", "WARNING"])
        try:
            for _ in range(600):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"{endpoint}/_emulator/health", timeout=1)
                    break
                time.sleep(0.1)
            run(endpoint, body, users, args.requests)
        finally:
            server.terminate()
            server.wait()


def run(endpoint: str, body: bytes, users: list[str], requests: int) -> None:
    def client(name):
        return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                            aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
    personalize, runtime, s3 = client("personalize"), client("personalize-runtime"), client("s3")
    s3.create_bucket(Bucket="movielens")
    s3.put_object(Bucket="movielens", Key="ratings.csv", Body=body)
    schema = personalize.create_schema(name="ml", schema=SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name="ml")["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name="ml", schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait_active(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName="ml", datasetArn=dataset,
                                                dataSource={"dataLocation": "s3://movielens/ratings.csv"})
    import_seconds = wait_active(lambda: personalize.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]))
    rows = body.count(b"\n") - 1
    print(f"import: {rows} interactions ACTIVE in {import_seconds:.2f} s (target <= 5 s)")

    metrics, versions = {}, {}
    for label, recipe in RECIPES.items():
        solution = personalize.create_solution(name=label, datasetGroupArn=group, recipeArn=recipe)["solutionArn"]
        wait_active(lambda: personalize.describe_solution(solutionArn=solution))
        versions[label] = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        seconds = wait_active(lambda: personalize.describe_solution_version(solutionVersionArn=versions[label]))
        metrics[label] = personalize.get_solution_metrics(solutionVersionArn=versions[label])["metrics"]
        target = " (target <= 60 s)" if label == "user-personalization" else ""
        print(f"training {label}: ACTIVE in {seconds:.1f} s{target}")
    print(f"\n{'metric':46} {'user-personalization':>21} {'popularity-count':>17}")
    for key in sorted(metrics["popularity-count"]):
        print(f"{key:46} {metrics['user-personalization'][key]:21.4f} {metrics['popularity-count'][key]:17.4f}")
    ratio = (metrics["user-personalization"]["normalized_discounted_cumulative_gain_at_10"]
             / max(metrics["popularity-count"]["normalized_discounted_cumulative_gain_at_10"], 1e-9))
    print(f"NDCG@10 ratio user-personalization / popularity-count: {ratio:.2f} (target >= 1.2)")

    campaign = personalize.create_campaign(name="ml",
                                           solutionVersionArn=versions["user-personalization"])["campaignArn"]
    wait_active(lambda: personalize.describe_campaign(campaignArn=campaign))
    floor = latencies(lambda: personalize.list_recipes(), requests)
    counter = iter(range(10**9))
    recommend = latencies(lambda: runtime.get_recommendations(
        campaignArn=campaign, userId=users[next(counter) % len(users)]), requests)
    print(f"\n{'call':28} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'ListRecipes (floor)':28} {percentile(floor, .5):8.2f} {percentile(floor, .99):8.2f}")
    print(f"{'GetRecommendations':28} {percentile(recommend, .5):8.2f} {percentile(recommend, .99):8.2f}")
    print(f"GetRecommendations p50 / floor p50: {percentile(recommend, .5) / percentile(floor, .5):.2f} (target <= 1.5)"
          f"; mean {statistics.mean(recommend):.2f} ms")


if __name__ == "__main__":
    main()
