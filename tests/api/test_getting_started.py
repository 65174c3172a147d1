"""The getting-started journey, written the way the official notebook is: S3 and IAM on the same endpoint,
then schema, dataset group, import, two solutions, a campaign, recommendations and real-time events."""

import json
import uuid

import pytest

from tests import synthetic

ROLE_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {
    "Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
USER_PERSONALIZATION = "arn:aws:personalize:::recipe/aws-user-personalization"
POPULARITY = "arn:aws:personalize:::recipe/aws-popularity-count"


@pytest.fixture(scope="module")
def journey(personalize, aws_client, wait_for):
    """Runs the notebook's steps once; each test below checks what one step produced."""
    suffix = uuid.uuid4().hex[:6]
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = f"personalize-demo-{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="interactions.csv", Body=synthetic.to_csv(synthetic.two_tastes()))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "PersonalizeS3BucketAccessPolicy", "Effect": "Allow",
        "Principal": {"Service": "personalize.amazonaws.com"}, "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}))
    role = iam.create_role(RoleName=f"PersonalizeRole-{suffix}",
                           AssumeRolePolicyDocument=json.dumps(ROLE_POLICY))["Role"]["Arn"]
    iam.attach_role_policy(RoleName=f"PersonalizeRole-{suffix}",
                           PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess")

    seen = {}
    schema = personalize.create_schema(name=f"schema-{suffix}", schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=f"group-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group), seen=seen.setdefault("group", []))
    dataset = personalize.create_dataset(name=f"interactions-{suffix}", schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(
        jobName=f"import-{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/interactions.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job),
             seen=seen.setdefault("import", []))

    versions = {}
    for recipe in (USER_PERSONALIZATION, POPULARITY):
        solution = personalize.create_solution(name=f"{recipe.rsplit('/', 1)[1]}-{suffix}", datasetGroupArn=group,
                                               recipeArn=recipe)["solutionArn"]
        wait_for(lambda: personalize.describe_solution(solutionArn=solution))
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version),
                 seen=seen.setdefault(recipe, []), timeout=300)
        versions[recipe] = version
    campaign = personalize.create_campaign(name=f"campaign-{suffix}",
                                           solutionVersionArn=versions[USER_PERSONALIZATION])["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))
    return {"group": group, "dataset": dataset, "job": job, "schema": schema, "versions": versions,
            "campaign": campaign, "seen": seen, "role": role}


def test_the_role_created_in_iam_carries_the_emulator_account(journey):
    assert journey["role"].startswith("arn:aws:iam::123456789012:role/PersonalizeRole-")


def test_dataset_group_passes_through_pending_before_active(journey):
    assert journey["seen"]["group"][0] == "CREATE PENDING"
    assert journey["seen"]["group"][-1] == "ACTIVE"


def test_import_job_reads_the_uploaded_csv_and_becomes_active(personalize, journey):
    job = personalize.describe_dataset_import_job(datasetImportJobArn=journey["job"])["datasetImportJob"]
    assert job["status"] == "ACTIVE"
    assert job["importMode"] == "FULL"
    assert "CREATE IN_PROGRESS" in journey["seen"]["import"]


@pytest.mark.parametrize("recipe", [USER_PERSONALIZATION, POPULARITY])
def test_solution_versions_go_pending_in_progress_active(journey, recipe):
    assert journey["seen"][recipe] == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]


def test_list_recipes_includes_both_recipes_used(personalize):
    arns = {recipe["recipeArn"] for recipe in personalize.list_recipes()["recipes"]}
    assert {USER_PERSONALIZATION, POPULARITY} <= arns


@pytest.mark.parametrize("recipe", [USER_PERSONALIZATION, POPULARITY])
def test_solution_metrics_are_computed_on_held_out_users(personalize, journey, recipe):
    metrics = personalize.get_solution_metrics(solutionVersionArn=journey["versions"][recipe])["metrics"]
    assert set(metrics) == {"coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
                            "normalized_discounted_cumulative_gain_at_10",
                            "normalized_discounted_cumulative_gain_at_25",
                            "precision_at_5", "precision_at_10", "precision_at_25"}
    assert all(0.0 <= value <= 1.0 for value in metrics.values())
    assert metrics["coverage"] > 0


def test_the_sequence_model_beats_popularity_on_held_out_users(personalize, journey):
    def ndcg(recipe):
        return personalize.get_solution_metrics(solutionVersionArn=journey["versions"][recipe])["metrics"][
            "normalized_discounted_cumulative_gain_at_10"]
    assert ndcg(USER_PERSONALIZATION) > ndcg(POPULARITY)


def test_known_user_gets_25_distinct_scored_items(personalize_runtime, journey):
    response = personalize_runtime.get_recommendations(campaignArn=journey["campaign"], userId="user3")
    items = response["itemList"]
    assert len(items) == 25 and len({item["itemId"] for item in items}) == 25
    assert all(0 < item["score"] <= 1 for item in items)
    assert [item["score"] for item in items] == sorted((item["score"] for item in items), reverse=True)
    assert response["recommendationId"].startswith("RID-")


def test_known_users_get_the_items_of_their_taste(personalize_runtime, journey):
    """Judged on the mean over all 60 users: one user's top 10 held 6 to 10 of their taste over model seeds and
    splits (each run trains with new ones), the mean 8.9 to 9.8."""
    shares = []
    for user in range(60):   # users 0-29 like the a items
        items = personalize_runtime.get_recommendations(campaignArn=journey["campaign"], userId=f"user{user}",
                                                        numResults=10)["itemList"]
        shares.append(sum(synthetic.group_of(item["itemId"]) == "ab"[user >= 30] for item in items))
    assert sum(shares) / len(shares) >= 8, shares


def test_never_seen_user_gets_the_popular_items(personalize, personalize_runtime, journey, wait_for):
    popular = personalize.create_campaign(name=f"popular-{uuid.uuid4().hex[:6]}",
                                          solutionVersionArn=journey["versions"][POPULARITY])["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=popular))
    cold = personalize_runtime.get_recommendations(campaignArn=popular, userId="somebody-new")["itemList"]
    known = personalize_runtime.get_recommendations(campaignArn=popular, userId="user3")["itemList"]
    assert len(cold) == 25 and "score" not in cold[0] and cold == known
    users_per_item = {}
    for user, item, _ in synthetic.two_tastes():
        users_per_item.setdefault(item, set()).add(user)
    reach = {item: len(users) for item, users in users_per_item.items()}
    top_reach = sum(reach[item["itemId"]] for item in cold[:5]) / 5
    assert top_reach >= sorted(reach.values())[int(0.8 * len(reach))]   # the list leads with widely reached items


def test_never_seen_user_gets_scored_items_from_the_sequence_model_too(personalize_runtime, journey):
    items = personalize_runtime.get_recommendations(campaignArn=journey["campaign"], userId="nobody")["itemList"]
    assert len(items) == 25 and all("score" in item for item in items)


def test_put_events_change_the_very_next_recommendations(personalize, personalize_events, personalize_runtime,
                                                        journey, wait_for):
    tracker = personalize.create_event_tracker(name=f"tracker-{uuid.uuid4().hex[:6]}",
                                               datasetGroupArn=journey["group"])
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    before = personalize_runtime.get_recommendations(campaignArn=journey["campaign"], userId="user5")["itemList"]
    personalize_events.put_events(trackingId=tracker["trackingId"], userId="user5", sessionId="session-1",
                                  eventList=[{"eventType": "click", "itemId": f"b{i}", "sentAt": 1_800_000_000 + i}
                                             for i in range(10, 20)][:10])
    after = personalize_runtime.get_recommendations(campaignArn=journey["campaign"], userId="user5")["itemList"]
    def taste_b(items):
        return sum(synthetic.group_of(item["itemId"]) == "b" for item in items[:10])
    assert taste_b(after) >= taste_b(before) + 5
