"""next_steps/core_use_cases/objective_optimization/objective-optimization.ipynb, run as "Run All" would:
items read from a Latin-1 u.item with a negative ROYALTY column written by to_csv(index=False), three
User-Personalization solutions whose versions are created on the line after each solution, three campaigns
created before any is polled, and the notebook's delete-and-poll clean-up."""

import random
import uuid

import pytest

from tests import synthetic
from tests.scenarios import samples

USER_PERSONALIZATION = "arn:aws:personalize:::recipe/aws-user-personalization"
ROYALTIES = [0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.05, 0.10]
ITEMS_SCHEMA = """{"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
 "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "ROYALTY", "type": "float"},
            {"name": "GENRE", "type": ["null", "string"], "categorical": true}], "version": "1.0"}"""
GENRES = ["ACTION", "COMEDY", "DRAMA", "SCIFI"]


def test_objective_optimization_notebook_runs_all_to_the_end(personalize, personalize_runtime, aws_client,
                                                             wait_for):
    stored = {"suffix": uuid.uuid4().hex[:5]}
    s3, iam = aws_client("s3"), aws_client("iam")
    write_the_data(personalize, s3, stored)
    import_the_data(personalize, iam, wait_for, stored)
    train_a_solution_per_sensitivity(personalize, wait_for, stored)
    deploy_and_recommend(personalize, personalize_runtime, wait_for, stored)
    clean_up(personalize, s3, iam, stored)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match="does not exist"):
        personalize.describe_dataset_group(datasetGroupArn=stored["group"])   # the last cell ran


def write_the_data(personalize, s3, stored: dict) -> None:
    """Items with a negative ROYALTY and the liked ratings, in a bucket; their two schemas."""
    suffix = stored["suffix"]
    titles = samples.read_titles(samples.latin1_item_file())           # encoding='latin-1', as u.item needs
    royalty = {int(item): -abs(ROYALTIES[int(item) % 8]) for item in titles}   # item 8 gets -0.0
    genre = {int(item): "|".join(g for n, g in enumerate(GENRES) if int(item) % (n + 2) == 0) for item in titles}
    items = [(item, royalty[item], genre[item] or None) for item in sorted(royalty)]   # some have no genre

    bucket = samples.bucket(s3, f"personalize-objective-optimization-{suffix}")
    s3.put_object(Bucket=bucket, Key="movie-lens-items.csv",
                  Body=samples.to_csv(["ITEM_ID", "ROYALTY", "GENRE"], items, index=False))
    item_schema = personalize.create_schema(name=f"personalize-objective-optmization-item-schema{suffix}",
                                            schema=ITEMS_SCHEMA)["schemaArn"]
    ratings = samples.movielens_ratings(seed=7)
    liked = [(u, i, t) for u, i, r, t in ratings if r > 3]
    s3.put_object(Bucket=bucket, Key="movie-lens-100k.csv",
                  Body=samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], liked, index=False))
    schema = personalize.create_schema(name=f"personalize-objective-optmization-schema{suffix}",
                                       schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    stored.update(royalty=royalty, liked=liked, bucket=bucket, item_schema=item_schema, schema=schema)


def import_the_data(personalize, iam, wait_for, stored: dict) -> None:
    suffix = stored["suffix"]
    group = personalize.create_dataset_group(name=f"personalize-objective-optmization-demo-{suffix}"
                                             )["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    datasets = {}
    for kind, schema_arn in (("INTERACTIONS", stored["schema"]), ("ITEMS", stored["item_schema"])):
        # each created, then polled
        datasets[kind] = personalize.create_dataset(name=f"personalize-objective-optmization-{kind}-{suffix}",
                                                    datasetType=kind, datasetGroupArn=group,
                                                    schemaArn=schema_arn)["datasetArn"]
        wait_for(lambda: personalize.describe_dataset(datasetArn=datasets[kind]))
    role_name = f"PersonalizeRoleDemo{suffix}"
    role = samples.role(iam, role_name)
    for kind, key in (("INTERACTIONS", "movie-lens-100k.csv"), ("ITEMS", "movie-lens-items.csv")):
        job = personalize.create_dataset_import_job(jobName=f"personalize-objective-optimization-{kind}-{suffix}",
                                                    datasetArn=datasets[kind], roleArn=role,
                                                    dataSource={"dataLocation": f"s3://{stored['bucket']}/{key}"}
                                                    )["datasetImportJobArn"]
        wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    stored.update(group=group, datasets=datasets, role_name=role_name)


def train_a_solution_per_sensitivity(personalize, wait_for, stored: dict) -> None:
    """Three User-Personalization solutions, each version created on the line after its solution."""
    solutions = {}
    for name, sensitivity in (("high", "HIGH"), ("low", "LOW"), ("off", "OFF")):
        solution = personalize.create_solution(
            name=f"movie-recommendation-{name}-royalties-{stored['suffix']}", datasetGroupArn=stored["group"],
            recipeArn=USER_PERSONALIZATION,
            solutionConfig={"optimizationObjective": {"itemAttribute": "ROYALTY",
                                                      "objectiveSensitivity": sensitivity}})["solutionArn"]
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        solutions[name] = {"solution_arn": solution, "solution_version_arn": version}
    for name in ("low", "off", "high"):
        wait_for(lambda: personalize.describe_solution_version(
            solutionVersionArn=solutions[name]["solution_version_arn"]), timeout=300)
    for solution in solutions.values():
        assert personalize.get_solution_metrics(solutionVersionArn=solution["solution_version_arn"])["metrics"]
    stored["solutions"] = solutions


def deploy_and_recommend(personalize, runtime, wait_for, stored: dict) -> None:
    """Three campaigns created before any is polled; each recommends to one user."""
    solutions = stored["solutions"]
    for name, solution in solutions.items():
        solution["campaign_arn"] = personalize.create_campaign(
            name=f"personalize-demo-{name}-{stored['suffix']}", solutionVersionArn=solution["solution_version_arn"],
            minProvisionedTPS=1, campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}}
        )["campaignArn"]
    for solution in solutions.values():
        wait_for(lambda: personalize.describe_campaign(campaignArn=solution["campaign_arn"]))
    user_id = random.Random(7).choice(stored["liked"])[0]
    for solution in solutions.values():
        recommended = runtime.get_recommendations(campaignArn=solution["campaign_arn"],
                                                  userId=str(user_id))["itemList"]
        total_royalties = sum(-stored["royalty"][int(item["itemId"])] for item in recommended)   # ids index items
        assert recommended and total_royalties >= 0


def clean_up(personalize, s3, iam, stored: dict) -> None:
    datasets, group, bucket = stored["datasets"], stored["group"], stored["bucket"]
    delete_all(personalize, list(stored["solutions"].values()))
    for kind in ("ITEMS", "INTERACTIONS"):
        personalize.delete_dataset(datasetArn=datasets[kind])
        samples.wait_until_gone(lambda: personalize.describe_dataset(datasetArn=datasets[kind]))
    personalize.delete_schema(schemaArn=stored["item_schema"])
    personalize.delete_schema(schemaArn=stored["schema"])
    personalize.delete_dataset_group(datasetGroupArn=group)
    samples.wait_until_gone(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    samples.remove_role(iam, stored["role_name"])
    for listed in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        s3.delete_object(Bucket=bucket, Key=listed["Key"])
    s3.delete_bucket(Bucket=bucket)


def delete_all(personalize, solutions: list[dict]) -> None:
    """The notebook deletes every campaign, then polls each until Describe fails, then does the same for the
    solutions (its loops stop at the first error, which is ResourceNotFoundException)."""
    for solution in solutions:
        personalize.delete_campaign(campaignArn=solution["campaign_arn"])
    for solution in solutions:
        samples.wait_until_gone(lambda: personalize.describe_campaign(campaignArn=solution["campaign_arn"]))
    for solution in solutions:
        personalize.delete_solution(solutionArn=solution["solution_arn"])
    for solution in solutions:
        samples.wait_until_gone(lambda: personalize.describe_solution(solutionArn=solution["solution_arn"]))

