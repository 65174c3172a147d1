"""next_steps/workshops/Reinvent_2019/ReInvent2019_Workshop.ipynb, run as "Run All" would: import, an HRNN
version right after its solution, a campaign, clicks streamed through a new event tracker, a batch inference
job whose output folder (the bucket's root) holds its input file, and the notebook's clean-up."""

import json
import random
import re
import time
import uuid

import pytest

from tests import synthetic
from tests.scenarios import samples

HRNN = "arn:aws:personalize:::recipe/aws-hrnn"


def test_reinvent_2019_workshop_runs_all_to_the_end(personalize, personalize_runtime, personalize_events,
                                                    aws_client, wait_for):
    stored = {"suffix": uuid.uuid4().hex[:6], "ratings": samples.movielens_ratings(seed=6),
              "titles": samples.read_titles(samples.latin1_item_file())}
    s3, iam = aws_client("s3"), aws_client("iam")
    import_the_ratings(personalize, s3, iam, aws_client("sts"), wait_for, stored)
    train_and_deploy_hrnn(personalize, wait_for, stored)
    recommend_as_clicks_stream_in(personalize, personalize_runtime, personalize_events, wait_for, stored)
    recommend_in_a_batch(personalize, s3, wait_for, stored)
    cleanup(personalize, s3, iam, campaign=stored["campaign"], solution=stored["solution"],
            tracker=stored["tracker"], dataset=stored["dataset"], schema=stored["schema"], group=stored["group"],
            bucket=stored["bucket"], role_name=stored["role_name"])
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match="does not exist"):
        personalize.describe_campaign(campaignArn=stored["campaign"])   # the clean-up cells ran


def import_the_ratings(personalize, s3, iam, sts, wait_for, stored: dict) -> None:
    suffix = stored["suffix"]
    account = sts.get_caller_identity()["Account"]
    bucket = samples.bucket(s3, f"{account}reinventpersonalizeworkshop{suffix}", policy=False)
    s3.put_object(Bucket=bucket, Key="movie-lens-ml-100k-prepared.csv", Body=samples.to_csv(
        ["USER_ID", "ITEM_ID", "TIMESTAMP"], [(u, i, t) for u, i, _, t in stored["ratings"]], index=False))

    group = personalize.create_dataset_group(name=f"personalize-RI-demo-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=f"personalize-ri-demo-schema-{suffix}",
                                       schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(name=f"personalize-ri-interactions-{suffix}", datasetType="INTERACTIONS",
                                         datasetGroupArn=group, schemaArn=schema)["datasetArn"]
    samples.bucket_policy(s3, bucket)
    role_name = f"PersonalizeRoleRIDemo-{suffix}"
    role = samples.role(iam, role_name)
    job = personalize.create_dataset_import_job(
        jobName=f"personalize-ri-import-{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/movie-lens-ml-100k-prepared.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    stored.update(bucket=bucket, group=group, schema=schema, dataset=dataset, role_name=role_name, role=role)


def train_and_deploy_hrnn(personalize, wait_for, stored: dict) -> None:
    """The version is created right after its solution; then a campaign."""
    suffix = stored["suffix"]
    personalize.list_recipes()
    solution = personalize.create_solution(name=f"personalize-ri-soln-hrnn-{suffix}", datasetGroupArn=stored["group"],
                                           recipeArn=HRNN)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]
    campaign = personalize.create_campaign(name=f"personalize-ri-camp-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=1)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))
    stored.update(solution=solution, version=version, campaign=campaign)


def recommend_as_clicks_stream_in(personalize, runtime, events, wait_for, stored: dict) -> None:
    campaign, titles = stored["campaign"], stored["titles"]
    user_id = random.Random(6).choice(stored["ratings"])[0]
    items = runtime.get_recommendations(campaignArn=campaign, userId=str(user_id))["itemList"]
    assert items and all(item["itemId"] in titles for item in items)

    tracker = personalize.create_event_tracker(name=f"MovieClickTrackerRI-{stored['suffix']}",
                                               datasetGroupArn=stored["group"])
    stored["tracker"] = tracker["eventTrackerArn"]
    # the notebook clicks two cells later without polling; this scenario clicks the moment it is ACTIVE (§3.7)
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    session_id = str(uuid.uuid1())
    for movie in ("18", "21", "41"):
        events.put_events(trackingId=tracker["trackingId"], userId=str(user_id), sessionId=session_id,
                          eventList=[{"sentAt": int(time.time()), "eventType": "EVENT_TYPE",
                                      "properties": json.dumps({"itemId": movie})}])
        items = runtime.get_recommendations(campaignArn=campaign, userId=str(user_id))["itemList"]
        assert items and all(item["itemId"] in titles for item in items)


def recommend_in_a_batch(personalize, s3, wait_for, stored: dict) -> None:
    """A batch inference job whose output folder (the bucket's root) holds its input file."""
    bucket, titles = stored["bucket"], stored["titles"]
    users = ["5", "23", "57"]
    s3.put_object(Bucket=bucket, Key="json_input.json",
                  Body="".join('{"userId": "' + user + '"}\n' for user in users).encode())
    batch = personalize.create_batch_inference_job(
        solutionVersionArn=stored["version"], jobName=f"RI-Workshop-Batch-Inference-Job-{stored['suffix']}",
        roleArn=stored["role"], jobInput={"s3DataSource": {"path": f"s3://{bucket}/json_input.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/"}})["batchInferenceJobArn"]   # holds the input
    wait_for(lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=batch))
    lines = s3.get_object(Bucket=bucket, Key="json_input.json.out")["Body"].read().decode().splitlines()
    results = [json.loads(line) for line in lines if line]
    assert [result["input"]["userId"] for result in results] == users
    assert all(result["output"]["recommendedItems"] and all(item in titles for item in
                                                             result["output"]["recommendedItems"])
               for result in results)


def cleanup(personalize, s3, iam, *, campaign, solution, tracker, dataset, schema, group, bucket, role_name):
    """The notebook sleeps 60 s after each delete; here each delete waits until the resource is gone."""
    steps = [(personalize.delete_campaign, personalize.describe_campaign, "campaignArn", campaign),
             (personalize.delete_solution, personalize.describe_solution, "solutionArn", solution),
             (personalize.delete_event_tracker, personalize.describe_event_tracker, "eventTrackerArn", tracker),
             (personalize.delete_dataset, personalize.describe_dataset, "datasetArn", dataset)]
    for delete, describe, key, arn in steps:
        delete(**{key: arn})
        samples.wait_until_gone(lambda: describe(**{key: arn}))
    retired = dataset.replace("INTERACTIONS", "EVENT_INTERACTIONS")   # a dataset type that no longer exists
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(retired)} does not exist"):
        personalize.delete_dataset(datasetArn=retired)
    personalize.delete_schema(schemaArn=schema)
    personalize.delete_dataset_group(datasetGroupArn=group)
    for listed in s3.list_objects_v2(Bucket=bucket)["Contents"]:
        s3.delete_object(Bucket=bucket, Key=listed["Key"])
    s3.delete_bucket(Bucket=bucket)
    samples.remove_role(iam, role_name)
