"""Recommenders of domain dataset groups: trained behind the scenes, served by ARN, stopped, started, updated."""

import json
import re
import uuid

import pytest

from tests import steps, synthetic

ECOMMERCE_INTERACTIONS = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}],
    "version": "1.0"})
HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
RECIPE = "arn:aws:personalize:::recipe/{}"


def shop_events(seed: int = 8) -> list[tuple]:
    """two_tastes as View events, and every other one also a Purchase."""
    rows = []
    for number, (user, item, stamp) in enumerate(synthetic.two_tastes(seed=seed, per_user=40)):
        rows.append((user, item, "View", stamp))
        if number % 2 == 0:
            rows.append((user, item, "Purchase", stamp + 1))
    return rows


@pytest.fixture(scope="module")
def shop(personalize, aws_client, wait_for):
    name = f"ecomm-{uuid.uuid4().hex[:6]}"
    return steps.loaded_group(personalize, aws_client("s3"), wait_for, name, shop_events(),
                              schema=ECOMMERCE_INTERACTIONS, header=HEADER, domain="ECOMMERCE")["group"]


@pytest.fixture
def recommender(personalize, shop, wait_for, unique_name):
    def create(use_case: str, **config) -> str:
        arn = personalize.create_recommender(name=unique_name("r"), datasetGroupArn=shop,
                                             recipeArn=RECIPE.format(use_case),
                                             **({"recommenderConfig": config} if config else {}))["recommenderArn"]
        wait_for(lambda: personalize.describe_recommender(recommenderArn=arn), timeout=300)
        return arn
    return create


def test_most_viewed_is_trained_on_views_and_reports_metrics(personalize, personalize_runtime, recommender):
    arn = recommender("aws-ecomm-popular-items-by-views")
    described = personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert described["status"] == "ACTIVE" and described["recommenderConfig"] == {}
    assert {"coverage", "normalized_discounted_cumulative_gain_at_10"} <= set(described["modelMetrics"])
    items = personalize_runtime.get_recommendations(recommenderArn=arn, userId="user1")["itemList"]
    assert len(items) == 25 and all("score" not in item for item in items)


def test_recommended_for_you_never_returns_what_the_user_bought(personalize_runtime, recommender):
    arn = recommender("aws-ecomm-recommended-for-you")
    bought = {item for user, item, kind, _ in shop_events() if user == "user4" and kind == "Purchase"}
    items = personalize_runtime.get_recommendations(recommenderArn=arn, userId="user4", numResults=100)["itemList"]
    assert len(items) == 100 - len(bought) or len(items) == 100
    assert not bought & {item["itemId"] for item in items}
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException, match="userId is required"):
        personalize_runtime.get_recommendations(recommenderArn=arn)


def test_customers_who_viewed_needs_an_item(personalize_runtime, recommender):
    arn = recommender("aws-ecomm-customers-who-viewed-x-also-viewed")
    related = personalize_runtime.get_recommendations(recommenderArn=arn, userId="user40", itemId="b3")["itemList"]
    assert sum(item["itemId"].startswith("b") for item in related[:10]) >= 8
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException, match="itemId is required"):
        personalize_runtime.get_recommendations(recommenderArn=arn, userId="user40")


def test_stop_and_start_move_through_their_statuses(personalize, personalize_runtime, recommender, wait_for):
    arn = recommender("aws-ecomm-popular-items-by-purchases")
    personalize.stop_recommender(recommenderArn=arn)
    seen = []
    wait_for(lambda: personalize.describe_recommender(recommenderArn=arn), "INACTIVE", seen=seen)
    assert seen[0] in ("STOP PENDING", "STOP IN_PROGRESS") and "STOP IN_PROGRESS" in seen
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException,
                       match=f"{re.escape(arn)} is stopped .*start it"):
        personalize_runtime.get_recommendations(recommenderArn=arn, userId="user1")
    with pytest.raises(personalize.exceptions.ResourceInUseException,
                       match=f"{re.escape(arn)} is INACTIVE; it must be ACTIVE"):
        personalize.stop_recommender(recommenderArn=arn)
    personalize.start_recommender(recommenderArn=arn)
    wait_for(lambda: personalize.describe_recommender(recommenderArn=arn))
    assert personalize_runtime.get_recommendations(recommenderArn=arn, userId="user1")["itemList"]


def test_update_records_latest_recommender_update(personalize, recommender, wait_for):
    arn = recommender("aws-ecomm-popular-items-by-views")
    personalize.update_recommender(recommenderArn=arn, recommenderConfig={"minRecommendationRequestsPerSecond": 3})

    def update():
        return {"update": personalize.describe_recommender(recommenderArn=arn)["recommender"]["latestRecommenderUpdate"]}
    done = wait_for(update)
    assert done["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
    described = personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert described["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3


def test_recommenders_need_a_use_case_of_the_groups_domain(personalize, shop, dataset_group, unique_name):
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="aws-vod-top-picks is not a use case of the ECOMMERCE domain"):
        personalize.create_recommender(name=unique_name("r"), datasetGroupArn=shop,
                                       recipeArn=RECIPE.format("aws-vod-top-picks"))
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match=f"{re.escape(dataset_group)} has no domain"):
        personalize.create_recommender(name=unique_name("r"), datasetGroupArn=dataset_group,
                                       recipeArn=RECIPE.format("aws-ecomm-recommended-for-you"))


def test_a_use_case_without_its_events_fails_with_the_documented_reason(personalize, aws_client, wait_for,
                                                                        unique_name):
    name = unique_name("vod")
    rows = [(user, item, "Click", stamp) for user, item, stamp in synthetic.two_tastes(seed=9)]
    group = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, rows, schema=ECOMMERCE_INTERACTIONS,
                               header=HEADER, domain="VIDEO_ON_DEMAND")["group"]
    arn = personalize.create_recommender(name=name, datasetGroupArn=group,
                                         recipeArn=RECIPE.format("aws-vod-most-popular"))["recommenderArn"]
    failed = wait_for(lambda: personalize.describe_recommender(recommenderArn=arn), "CREATE FAILED")
    assert "after filtering by event type: Watch" in failed["failureReason"]
