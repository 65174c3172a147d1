"""The getting-started journey on MovieLens-100K, timed: import, training, metrics and request latency.

    .venv/bin/python scripts/bench_getting_started.py [--data ../shared/data/ml-100k/u.data]

Starts the emulator in a subprocess (so client and server do not share a GIL), then prints the numbers
of issue #2's targets and their ratios."""

import argparse
import functools
import io
import pathlib
import statistics

from benchlib import client, emulator, latencies, percentile, wait_active

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=pathlib.Path, default=pathlib.Path(__file__).resolve().parents[2]
                        / "shared/data/ml-100k/u.data")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    body, users = movielens_csv(args.data)
    with emulator() as endpoint:
        run(endpoint, body, users, args.requests)


def run(endpoint: str, body: bytes, users: list[str], requests: int) -> None:
    personalize, runtime, s3 = (client(name, endpoint) for name in ("personalize", "personalize-runtime", "s3"))
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
        wait_active(functools.partial(personalize.describe_solution, solutionArn=solution))
        versions[label] = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        seconds = wait_active(functools.partial(personalize.describe_solution_version,
                                                solutionVersionArn=versions[label]))
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
