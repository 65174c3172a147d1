"""getting_started/notebooks: 1.Building_Your_First_Campaign -> 2.View_Campaign_And_Interactions ->
3.Best_Practices-Clientside -> 99.Cleanup, run as "Run All" would: one call after another, polling only where
the notebooks poll. What notebook 1 %stores, notebooks 2 and 99 read back (the `stored` dict below)."""

import json
import random
import time
import uuid

import pytest

from tests import synthetic
from tests.scenarios import samples

USER_PERSONALIZATION = "arn:aws:personalize:::recipe/aws-user-personalization"
HRNN = "arn:aws:personalize:::recipe/aws-hrnn"


@pytest.fixture
def suffix():
    return uuid.uuid4().hex[:6]


def test_getting_started_notebooks_run_all_to_the_end(personalize, personalize_runtime, personalize_events,
                                                      aws_client, wait_for, suffix):
    stored = building_your_first_campaign(personalize, personalize_runtime, aws_client, wait_for, suffix)
    view_campaign_and_interactions(personalize, personalize_runtime, personalize_events, wait_for, stored)
    cleanup(personalize, stored)
    assert samples.is_gone(lambda: personalize.describe_campaign(campaignArn=stored["campaign_arn"]))
    items = best_practices(personalize, personalize_runtime, aws_client, wait_for, suffix)
    assert items   # the encrypted group's campaign recommends


def building_your_first_campaign(personalize, runtime, aws_client, wait_for, suffix: str) -> dict:
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = samples.bucket(s3, f"personalize-first-{suffix}", policy=False)   # the CloudFormation stack's bucket
    role = samples.role(iam, f"PersonalizeFirst-{suffix}")
    ratings = samples.movielens_ratings()
    liked = [(user, item, timestamp) for user, item, rating, timestamp in ratings if rating > 3]
    s3.put_object(Bucket=bucket, Key="movie-lens-100k.csv",
                  Body=samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], liked, index=False))

    schema = personalize.create_schema(name=f"personalize-demo-schema-{suffix}",
                                       schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=f"personalize-launch-demo-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name=f"personalize-launch-interactions-{suffix}", datasetType="INTERACTIONS",
                                         datasetGroupArn=group, schemaArn=schema)["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(
        jobName=f"personalize-demo-import1-{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/movie-lens-100k.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    assert USER_PERSONALIZATION in [recipe["recipeArn"] for recipe in personalize.list_recipes()["recipes"]]

    # the version is created on the line after the solution: no wait in between
    solution = personalize.create_solution(name=f"personalize-demo-soln-user-personalization-{suffix}",
                                           datasetGroupArn=group, recipeArn=USER_PERSONALIZATION)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    metrics = personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert {"coverage", "mean_reciprocal_rank_at_25", "precision_at_10"} <= set(metrics)

    campaign = personalize.create_campaign(name=f"personalize-demo-camp-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=1,
                                           campaignConfig={"itemExplorationConfig": {"explorationWeight": "0.5"}}
                                           )["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))

    user_id = random.Random(0).choice(liked)[0]
    titles = samples.read_titles(samples.latin1_item_file())   # u.item, read with encoding='latin-1'
    items = runtime.get_recommendations(campaignArn=campaign, userId=str(user_id))["itemList"]
    assert len(items) == 25 and all(item["itemId"] in titles for item in items)
    return {"campaign_arn": campaign, "dataset_group_arn": group, "solution_version_arn": version,
            "solution_arn": solution, "dataset_arn": dataset, "schema_arn": schema, "user_id": user_id,
            "titles": titles, "recommendations": [item["itemId"] for item in items]}


def view_campaign_and_interactions(personalize, runtime, events, wait_for, stored: dict) -> None:
    tracker = personalize.create_event_tracker(name="MovieClickTracker", datasetGroupArn=stored["dataset_group_arn"])
    stored["event_tracker_arn"] = tracker["eventTrackerArn"]
    # The notebook sends its click a few cells later without polling; the tracking id may be used once the
    # tracker is ACTIVE (spec §3.7), so this scenario sends it the moment the tracker is ACTIVE.
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    session_id = str(uuid.uuid1())
    clicked = "27"
    events.put_events(trackingId=tracker["trackingId"], userId=str(stored["user_id"]), sessionId=session_id,
                      eventList=[{"sentAt": int(time.time()), "eventType": "EVENT_TYPE",
                                  "properties": json.dumps({"itemId": clicked})}])
    items = runtime.get_recommendations(campaignArn=stored["campaign_arn"], userId=str(stored["user_id"]))["itemList"]
    assert len(items) == 25 and all(item["itemId"] in stored["titles"] for item in items)


def cleanup(personalize, stored: dict) -> None:
    """99.Cleanup sleeps 60 s after each delete; here each delete waits until the resource is gone instead."""
    steps = [(personalize.delete_campaign, personalize.describe_campaign, "campaignArn", stored["campaign_arn"]),
             (personalize.delete_solution, personalize.describe_solution, "solutionArn", stored["solution_arn"]),
             (personalize.delete_event_tracker, personalize.describe_event_tracker, "eventTrackerArn",
              stored["event_tracker_arn"]),
             (personalize.delete_dataset, personalize.describe_dataset, "datasetArn", stored["dataset_arn"])]
    for delete, describe, key, arn in steps:
        delete(**{key: arn})
        samples.wait_until_gone(lambda: describe(**{key: arn}))
    # The notebook then deletes an "EVENT_INTERACTIONS" dataset that no longer exists (events now go to the
    # Interactions dataset): the service answers ResourceNotFoundException.
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        personalize.delete_dataset(datasetArn=stored["dataset_arn"].replace("INTERACTIONS", "EVENT_INTERACTIONS"))
    personalize.delete_schema(schemaArn=stored["schema_arn"])
    # 99.Cleanup leaves the dataset group; the next notebook's group must still fit, so delete it here
    personalize.delete_dataset_group(datasetGroupArn=stored["dataset_group_arn"])


def best_practices(personalize, runtime, aws_client, wait_for, suffix: str) -> list[dict]:
    s3, iam, kms = aws_client("s3"), aws_client("iam"), aws_client("kms")
    bucket = samples.bucket(s3, f"personalize-demo-{suffix}")
    ratings = samples.movielens_ratings(seed=1)
    liked = [(user, item, timestamp) for user, item, rating, timestamp in ratings if rating > 3.6]
    s3.put_object(Bucket=bucket, Key="movie-lens-100k.csv",
                  Body=samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP"], liked, index=False))
    schema = personalize.create_schema(name=f"DEMO-schema-{suffix}", schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]

    key = kms.create_key(Description="personalize-data")["KeyMetadata"]["Arn"]
    policy = iam.create_policy(PolicyName=f"AccessPersonalizeDatasetPolicy-{suffix}", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": [key]}}))
    key_role = samples.role(iam, f"AccessPersonalizeDatasetRole-{suffix}", policies=(policy["Policy"]["Arn"],))

    group = personalize.create_dataset_group(name=f"DEMO-dataset-group-{suffix}", roleArn=key_role,
                                             kmsKeyArn=key)["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    # the import job is created on the line after the dataset: no wait for the dataset to be ACTIVE
    dataset = personalize.create_dataset(name=f"DEMO-dataset-{suffix}", datasetType="INTERACTIONS",
                                         datasetGroupArn=group, schemaArn=schema)["datasetArn"]
    job = personalize.create_dataset_import_job(
        jobName=f"DEMO-dataset-import-job-{suffix}", datasetArn=dataset, roleArn=key_role,
        dataSource={"dataLocation": f"s3://{bucket}/movie-lens-100k.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))

    personalize.list_recipes()
    solution = personalize.create_solution(name=f"DEMO-solution-{suffix}", datasetGroupArn=group,
                                           recipeArn=HRNN)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    campaign = personalize.create_campaign(name=f"DEMO-campaign-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=1)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))

    titles = samples.read_titles(samples.latin1_item_file())
    user_id, item_id, _ = random.Random(1).choice(liked)
    # the notebook passes the sampled row's itemId too, although HRNN recommends for the user
    items = runtime.get_recommendations(campaignArn=campaign, userId=str(user_id), itemId=str(item_id))["itemList"]
    assert items and all(item["itemId"] in titles for item in items)
    return items
