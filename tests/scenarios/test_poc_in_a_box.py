"""next_steps/workshops/POC_in_a_box/completed, notebooks 01 -> 06, run as "Run All" would. What one notebook
%stores, the next reads back (the `stored` dict). Their calls: interactions and item metadata each imported on
the line after their dataset is created, three versions each right after its solution, three campaigns polled
together, ten filters, clicks and watches streamed, a personalized ranking, a batch inference job whose output
folder (the bucket root) holds its input, and the clean-up."""

import json
import random
import time
import uuid

from tests.scenarios import samples

USER_PERSONALIZATION = "arn:aws:personalize:::recipe/aws-user-personalization"
SIMS = "arn:aws:personalize:::recipe/aws-sims"
RERANK = "arn:aws:personalize:::recipe/aws-personalized-ranking"
ITEMS_SCHEMA = json.dumps({
    "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string", "categorical": True},
               {"name": "YEAR", "type": "int"}],
    "version": "1.0"})
GENRES = ["Action", "Comedy", "Drama", "Film-Noir", "IMAX", "Romance", "Sci-Fi", "Western"]


def item_metadata(items: int = 100, missing_years: int = 0) -> list[tuple]:
    """(ITEM_ID, GENRE, YEAR) as notebook 02 derives them from movies.csv: several genres joined by "|",
    "(no genres listed)" for some, the year taken from the title; the last `missing_years` titles have none,
    so pandas writes an empty cell."""
    rows = []
    for item in range(1, items + 1):
        genre = "|".join(GENRES[(item + n) % len(GENRES)] for n in range(item % 3)) or "(no genres listed)"
        year = None if item > items - missing_years else 1950 + (item * 7) % 70
        rows.append((item, genre, year))
    return rows


def test_poc_in_a_box_notebooks_run_all_to_the_end(personalize, personalize_runtime, personalize_events,
                                                   aws_client, wait_for):
    stored = {"suffix": uuid.uuid4().hex[:6]}
    validating_and_importing_interactions(personalize, aws_client, wait_for, stored)
    validating_and_importing_item_metadata(personalize, aws_client("s3"), wait_for, stored, item_metadata())
    creating_and_evaluating_solutions(personalize, wait_for, stored)
    deploying_campaigns_and_filters(personalize, wait_for, stored)
    interacting_with_campaigns_and_filters(personalize, personalize_runtime, personalize_events, aws_client("s3"),
                                           wait_for, stored)
    clean_up_resources(personalize, aws_client("iam"), stored)
    assert samples.is_gone(lambda: personalize.describe_dataset(datasetArn=stored["interactions_dataset_arn"]))


def test_poc_item_metadata_with_titles_without_a_year_imports(personalize, aws_client, wait_for):
    stored = {"suffix": uuid.uuid4().hex[:6]}
    validating_and_importing_interactions(personalize, aws_client, wait_for, stored)
    validating_and_importing_item_metadata(personalize, aws_client("s3"), wait_for, stored,
                                           item_metadata(missing_years=3))
    job = personalize.describe_dataset_import_job(datasetImportJobArn=stored["items_import_arn"])["datasetImportJob"]
    assert job["status"] == "ACTIVE" and "failureReason" not in job


def validating_and_importing_interactions(personalize, aws_client, wait_for, stored: dict) -> None:
    """01: clicks and watches from the ratings, written with to_csv(index=False, float_format='%.0f')."""
    suffix = stored["suffix"]
    _, interactions = samples.clicks_and_watches(samples.movielens_ratings(seed=8), click="click", watch="watch")
    stored["interactions"] = interactions
    group = personalize.create_dataset_group(name=f"personalize-poc-movielens-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=f"personalize-poc-movielens-interactions-{suffix}",
                                       schema=samples.INTERACTIONS_WITH_EVENT_TYPE)["schemaArn"]
    dataset = personalize.create_dataset(name=f"personalize-poc-movielens-ints-{suffix}", datasetType="INTERACTIONS",
                                         datasetGroupArn=group, schemaArn=schema)["datasetArn"]
    s3, iam = aws_client("s3"), aws_client("iam")
    account = aws_client("sts").get_caller_identity()["Account"]
    bucket = samples.bucket(s3, f"{account}-us-east-1-personalizepocvod-{suffix}", policy=False)
    s3.put_object(Bucket=bucket, Key="interactions.csv", Body=samples.to_csv(
        ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], interactions, index=False))
    samples.bucket_policy(s3, bucket)
    role_name = f"PersonalizeRolePOC-{suffix}"
    role = samples.role(iam, role_name)
    job = personalize.create_dataset_import_job(jobName=f"personalize-poc-import1-{suffix}", datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/interactions.csv"},
                                                roleArn=role)["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    stored.update(interactions_dataset_arn=dataset, dataset_group_arn=group, bucket_name=bucket, role_arn=role,
                  role_name=role_name, interaction_schema_arn=schema)


def validating_and_importing_item_metadata(personalize, s3, wait_for, stored: dict, items: list[tuple]) -> None:
    """02: the Items dataset, then the upload, then its import: no wait for the dataset to be ACTIVE."""
    suffix = stored["suffix"]
    schema = personalize.create_schema(name=f"personalize-poc-movielens-item-{suffix}",
                                       schema=ITEMS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(name=f"personalize-poc-movielens-items-{suffix}", datasetType="ITEMS",
                                         datasetGroupArn=stored["dataset_group_arn"], schemaArn=schema)["datasetArn"]
    s3.put_object(Bucket=stored["bucket_name"], Key="item-meta.csv",
                  Body=samples.to_csv(["ITEM_ID", "GENRE", "YEAR"], items, index=False))
    job = personalize.create_dataset_import_job(
        jobName=f"personalize-poc-item-import1-{suffix}", datasetArn=dataset, roleArn=stored["role_arn"],
        dataSource={"dataLocation": f"s3://{stored['bucket_name']}/item-meta.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    stored.update(items_dataset_arn=dataset, itemmetadataschema_arn=schema, items=items, items_import_arn=job)


def creating_and_evaluating_solutions(personalize, wait_for, stored: dict) -> None:
    """03: each version on the line after its solution; one loop polls the three versions."""
    personalize.list_recipes()
    for name, recipe in (("userpersonalization", USER_PERSONALIZATION), ("sims", SIMS), ("rerank", RERANK)):
        solution = personalize.create_solution(name=f"personalize-poc-{name}-{stored['suffix']}",
                                               datasetGroupArn=stored["dataset_group_arn"],
                                               recipeArn=recipe)["solutionArn"]
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        stored[f"{name}_solution_arn"], stored[f"{name}_solution_version_arn"] = solution, version
    for name in ("userpersonalization", "sims", "rerank"):
        wait_for(lambda: personalize.describe_solution_version(
            solutionVersionArn=stored[f"{name}_solution_version_arn"]), timeout=300)
        metrics = personalize.get_solution_metrics(solutionVersionArn=stored[f"{name}_solution_version_arn"])
        assert metrics["metrics"]["coverage"] > 0


def deploying_campaigns_and_filters(personalize, wait_for, stored: dict) -> None:
    """04: three campaigns polled together; then ten filters, which the notebook never polls."""
    for name in ("userpersonalization", "sims", "rerank"):
        stored[f"{name}_campaign_arn"] = personalize.create_campaign(
            name=f"personalize-poc-{name}-{stored['suffix']}",
            solutionVersionArn=stored[f"{name}_solution_version_arn"], minProvisionedTPS=1)["campaignArn"]
    for name in ("userpersonalization", "sims", "rerank"):
        wait_for(lambda: personalize.describe_campaign(campaignArn=stored[f"{name}_campaign_arn"]))

    group, suffix = stored["dataset_group_arn"], stored["suffix"]
    genres = sorted({genre for _, value, _ in stored["items"] for genre in value.split("|") if "(" not in genre})
    stored["meta_filter_arns"] = [personalize.create_filter(
        name=f"{genre}-{suffix}", datasetGroupArn=group,
        filterExpression=f'INCLUDE ItemID WHERE Items.GENRE IN ("{genre}")')["filterArn"]
        for genre in random.Random(8).sample(genres, 7)]
    stored["interaction_filter_arns"] = [personalize.create_filter(
        name=f"{name}-{suffix}", datasetGroupArn=group,
        filterExpression=f'{verb} ItemID WHERE Interactions.event_type IN ("watch")')["filterArn"]
        for name, verb in (("watched", "INCLUDE"), ("unwatched", "EXCLUDE"))]   # the field in lower case
    stored["decade_filter_arns"] = [personalize.create_filter(
        name=f"1970s-{suffix}", datasetGroupArn=group,
        filterExpression="INCLUDE ItemID WHERE Items.YEAR >= 1970 AND Items.YEAR < 1980")["filterArn"]]


def interacting_with_campaigns_and_filters(personalize, runtime, events, s3, wait_for, stored: dict) -> None:
    users = recommend_through_the_filters(personalize, runtime, wait_for, stored)
    user = users[-1]
    stream_events_past_the_interaction_filters(personalize, runtime, events, wait_for, stored, user)
    rerank_and_recommend_in_a_batch(personalize, runtime, s3, wait_for, stored, user, users)


def recommend_through_the_filters(personalize, runtime, wait_for, stored: dict) -> list[int]:
    """The users recommended to; the last of them is the one the notebook follows."""
    # Notebook 05 uses the filters 04 created without polling them. A filter serves only once ACTIVE (spec
    # §3.8), and on the service one takes about a minute, which a person opening notebook 05 spends; so poll.
    for arn in stored["meta_filter_arns"] + stored["interaction_filter_arns"] + stored["decade_filter_arns"]:
        wait_for(lambda: personalize.describe_filter(filterArn=arn))
    known = {str(item) for item, _, _ in stored["items"]}
    related = runtime.get_recommendations(campaignArn=stored["sims_campaign_arn"], itemId="58")["itemList"]
    assert related and {item["itemId"] for item in related} <= known
    users = random.Random(8).sample(range(1, 61), 3)
    for user in users:
        assert runtime.get_recommendations(campaignArn=stored["userpersonalization_campaign_arn"],
                                           userId=str(user))["itemList"]
    user = users[-1]
    years = {str(item): year for item, _, year in stored["items"]}
    for arn in stored["meta_filter_arns"] + stored["decade_filter_arns"]:
        shelf = runtime.get_recommendations(campaignArn=stored["userpersonalization_campaign_arn"], userId=str(user),
                                            filterArn=arn)["itemList"]
        if arn in stored["decade_filter_arns"]:
            assert shelf and all(1970 <= years[item["itemId"]] < 1980 for item in shelf)
    return users


def stream_events_past_the_interaction_filters(personalize, runtime, events, wait_for, stored: dict,
                                               user: int) -> None:
    known = {str(item) for item, _, _ in stored["items"]}
    tracker = personalize.create_event_tracker(name=f"MovieTracker-{stored['suffix']}",
                                               datasetGroupArn=stored["dataset_group_arn"])
    stored["event_tracker_arn"] = tracker["eventTrackerArn"]
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))  # see §3.7
    session_id = str(uuid.uuid1())

    def send(item: str, event_type: str) -> None:
        events.put_events(trackingId=tracker["trackingId"], userId=str(user), sessionId=session_id,
                          eventList=[{"sentAt": int(time.time()), "eventType": event_type,
                                      "properties": json.dumps({"itemId": item})}])

    for movie in random.Random(9).sample(sorted(known), 3):
        send(movie, "click")
        assert runtime.get_recommendations(campaignArn=stored["userpersonalization_campaign_arn"],
                                           userId=str(user))["itemList"]
    watched_filter, unwatched_filter = stored["interaction_filter_arns"]
    top_unwatched = runtime.get_recommendations(campaignArn=stored["userpersonalization_campaign_arn"],
                                                userId=str(user), filterArn=unwatched_filter,
                                                numResults=4)["itemList"]
    for item in top_unwatched:
        send(item["itemId"], "watch")
    unwatched = runtime.get_recommendations(campaignArn=stored["userpersonalization_campaign_arn"], userId=str(user),
                                            filterArn=unwatched_filter)["itemList"]
    assert not {item["itemId"] for item in top_unwatched} & {item["itemId"] for item in unwatched}


def rerank_and_recommend_in_a_batch(personalize, runtime, s3, wait_for, stored: dict, user: int,
                                    users: list[int]) -> None:
    rerank_items = [str(item) for item in random.Random(10).sample(range(1, 101), 25)]
    ranked = runtime.get_personalized_ranking(campaignArn=stored["rerank_campaign_arn"], userId=str(user),
                                              inputList=rerank_items)["personalizedRanking"]
    assert sorted(item["itemId"] for item in ranked) == sorted(rerank_items)

    bucket = stored["bucket_name"]
    s3.put_object(Bucket=bucket, Key="json_input.json",
                  Body="".join('{"userId": "' + str(u) + '"}\n' for u in users).encode())
    batch = personalize.create_batch_inference_job(
        solutionVersionArn=stored["userpersonalization_solution_version_arn"],
        jobName=f"VOD-POC-Batch-Inference-Job-UserPersonalization_{round(time.time() * 1000)}",
        roleArn=stored["role_arn"], jobInput={"s3DataSource": {"path": f"s3://{bucket}/json_input.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/"}})["batchInferenceJobArn"]
    wait_for(lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=batch))
    lines = s3.get_object(Bucket=bucket, Key="json_input.json.out")["Body"].read().decode().splitlines()
    assert [json.loads(line)["input"]["userId"] for line in lines if line] == [str(u) for u in users]


def clean_up_resources(personalize, iam, stored: dict) -> None:
    """06 makes its deletes without polling and says each step relies on the previous one being complete
    ("wait a minute or two and try again"); so each step here waits until what it deleted is gone."""
    steps = [
        ("campaign", [stored[f"{name}_campaign_arn"] for name in ("userpersonalization", "sims", "rerank")]),
        ("event_tracker", [stored["event_tracker_arn"]]),
        ("filter", stored["meta_filter_arns"] + stored["interaction_filter_arns"] + stored["decade_filter_arns"]),
        ("solution", [stored[f"{name}_solution_arn"] for name in ("userpersonalization", "sims", "rerank")]),
        ("dataset", [stored["items_dataset_arn"], stored["interactions_dataset_arn"]]),
    ]
    for kind, arns in steps:
        key = {"event_tracker": "eventTrackerArn", "dataset": "datasetArn"}.get(kind, f"{kind}Arn")
        for arn in arns:
            getattr(personalize, f"delete_{kind}")(**{key: arn})
        for arn in arns:
            samples.wait_until_gone(lambda: getattr(personalize, f"describe_{kind}")(**{key: arn}))
    personalize.delete_schema(schemaArn=stored["interaction_schema_arn"])
    personalize.delete_schema(schemaArn=stored["itemmetadataschema_arn"])
    personalize.delete_dataset_group(datasetGroupArn=stored["dataset_group_arn"])
    assert [policy["PolicyArn"] for policy in iam.list_attached_role_policies(
        RoleName=stored["role_name"])["AttachedPolicies"]] == list(samples.MANAGED_POLICIES)
    samples.remove_role(iam, stored["role_name"])
