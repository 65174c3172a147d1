"""A user-personalization campaign starts a user's recommendations from their Users record: for users imported
without events, and for users put after training (spec: recipes-and-models.md §2.4, §2.7)."""

import json
import uuid

import pytest

from tests import steps, synthetic

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
USERS_SCHEMA = json.dumps({
    "type": "record", "name": "Users", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "SEGMENT", "type": "string", "categorical": True}],
    "version": "1.0"})


def segment(user: int) -> str:
    return "comedy" if user < 30 else "drama"   # synthetic.two_tastes: users 0-29 walk through a-items


@pytest.fixture(scope="module")
def served(personalize, aws_client, wait_for):
    """(campaign, Users dataset): users 0-59 with their segment, fan-a and fan-b with a record and no events."""
    name = f"profiles-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    group = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=4))["group"]
    rows = [(f"user{n}", segment(n)) for n in range(60)] + [("fan-a", "comedy"), ("fan-b", "drama")]
    users = steps.add_records(personalize, s3, wait_for, group, name, "Users", rows, USERS_SCHEMA,
                              ("USER_ID", "SEGMENT"))
    version = steps.trained_version(personalize, wait_for, group, RECIPE, name)
    return steps.campaign(personalize, wait_for, version, name, itemExplorationConfig={"explorationWeight": "0"}), users


def comedies(runtime, campaign: str, user: str) -> int:
    """How many of the user's top 10 are a-items (comedies)."""
    items = runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=10)["itemList"]
    return sum(item["itemId"].startswith("a") for item in items)


def test_users_imported_without_events_get_their_segments_items(personalize_runtime, served):
    campaign, _ = served
    assert comedies(personalize_runtime, campaign, "fan-a") > comedies(personalize_runtime, campaign, "fan-b")


def test_users_put_after_training_get_their_segments_items_and_follow_a_changed_record(
        personalize_runtime, personalize_events, served):
    campaign, users = served
    personalize_events.put_users(datasetArn=users, users=[
        {"userId": "late-a", "properties": '{"segment": "comedy"}'},
        {"userId": "late-b", "properties": '{"segment": "drama"}'}])
    before = comedies(personalize_runtime, campaign, "late-a")
    assert before > comedies(personalize_runtime, campaign, "late-b")
    personalize_events.put_users(datasetArn=users, users=[{"userId": "late-a", "properties": '{"segment": "drama"}'}])
    assert comedies(personalize_runtime, campaign, "late-a") < before
