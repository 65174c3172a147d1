"""next_steps/data_science/offline_performance_evaluation/personalize_temporal_holdout.ipynb, run as
"Run All" would: each user's newest 10 % of events held out before import, an HRNN version right after its
solution, the held-out events scored against the campaign's recommendations and against a most-popular list,
and the notebook's clean-up, which polls the List operations until they come back empty."""

import time
import uuid
from collections import Counter, defaultdict

from tests import synthetic
from tests.scenarios import samples

HRNN = "arn:aws:personalize:::recipe/aws-hrnn"


def test_temporal_holdout_notebook_runs_all_to_the_end(personalize, personalize_runtime, aws_client, wait_for):
    suffix = uuid.uuid4().hex[:5]
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = samples.bucket(s3, f"demo-temporal-holdout-{suffix}", policy=False)
    train, holdout = newest_tenth_held_out([(u, i, t) for u, i, _, t in samples.movielens_ratings(seed=5)])
    s3.put_object(Bucket=bucket, Key="DEMO-temporal-holdout.csv",
                  Body=samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], train, index=False))

    schema = personalize.create_schema(name=f"DEMO-temporal-schema-{suffix}",
                                       schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=f"DEMO-temporal-dataset-group-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(datasetType="INTERACTIONS", datasetGroupArn=group, schemaArn=schema,
                                         name=f"DEMO-temporal-dataset-{suffix}")["datasetArn"]
    samples.bucket_policy(s3, bucket)
    role = samples.s3_reader_role(iam, f"PersonalizeS3Role-{suffix}")
    job = personalize.create_dataset_import_job(
        jobName=f"DEMO-temporal-dataset-import-job-{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/DEMO-temporal-holdout.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))

    personalize.list_recipes()
    solution = personalize.create_solution(name=f"DEMO-temporal-solution-{suffix}", datasetGroupArn=group,
                                           recipeArn=HRNN)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    campaign = personalize.create_campaign(name=f"DEMO-temporal-campaign-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=2)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))

    model_mrr = mean_reciprocal_rank({user: [int(item["itemId"]) for item in personalize_runtime.get_recommendations(
        campaignArn=campaign, userId=str(user))["itemList"]] for user in holdout}, holdout)
    popular = [item for item, _ in Counter(item for _, item, _ in train).most_common(25)]
    popularity_mrr = mean_reciprocal_rank({user: popular for user in holdout}, holdout)
    assert model_mrr > popularity_mrr   # users walk through their own half of the catalogue

    personalize.delete_campaign(campaignArn=campaign)
    until_empty(lambda: personalize.list_campaigns(solutionArn=solution)["campaigns"])
    personalize.delete_solution(solutionArn=solution)
    until_empty(lambda: personalize.list_solutions(datasetGroupArn=group)["solutions"])
    for listed in personalize.list_datasets(datasetGroupArn=group)["datasets"]:
        personalize.delete_dataset(datasetArn=listed["datasetArn"])
    until_empty(lambda: personalize.list_datasets(datasetGroupArn=group)["datasets"])
    personalize.delete_dataset_group(datasetGroupArn=group)


def newest_tenth_held_out(rows: list[tuple]) -> tuple[list[tuple], dict[int, set]]:
    """The notebook's split: a row is held out when its rank among its user's rows by time, divided by their
    count, is above 0.9. Returns (the other rows, user -> held-out items)."""
    by_user = defaultdict(list)
    for row in rows:
        by_user[row[0]].append(row)
    train, holdout = [], defaultdict(set)
    for user, events in by_user.items():
        for rank, row in enumerate(sorted(events, key=lambda r: r[2]), start=1):
            if rank / len(events) > 0.9:
                holdout[user].add(row[1])
            else:
                train.append(row)
    return train, holdout


def mean_reciprocal_rank(recommended: dict[int, list[int]], relevant: dict[int, set]) -> float:
    ranks = [next((1 / n for n, item in enumerate(recommended[user], start=1) if item in relevant[user]), 0.0)
             for user in relevant]
    return sum(ranks) / len(ranks)


def until_empty(listing, timeout: float = 60.0) -> None:
    """The notebook's clean-up polls a List until the deleted resource no longer appears in it."""
    deadline = time.monotonic() + timeout
    while listing():
        assert time.monotonic() < deadline, f"still listed after {timeout} s: {listing()}"
        time.sleep(0.02)
