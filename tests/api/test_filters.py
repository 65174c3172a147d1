"""Filters: created against the group's schemas, applied to recommendations, rankings and promotions."""

import re
import uuid

import pytest

from tests import steps, synthetic

POPULARITY = "arn:aws:personalize:::recipe/aws-popularity-count"


@pytest.fixture(scope="module")
def shop(personalize, aws_client, wait_for):
    """A group with interactions, an Items dataset (GENRE, PRICE), an event tracker, and a popularity campaign."""
    name = f"filters-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    loaded = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=5))
    steps.add_items(personalize, s3, wait_for, loaded["group"], name, synthetic.items_of_two_tastes())
    version = steps.trained_version(personalize, wait_for, loaded["group"], POPULARITY, name)
    tracker = personalize.create_event_tracker(name=name, datasetGroupArn=loaded["group"])
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    return {"group": loaded["group"], "campaign": steps.campaign(personalize, wait_for, version, name),
            "tracking": tracker["trackingId"]}


@pytest.fixture
def make_filter(personalize, shop, wait_for, unique_name):
    def make(expression: str) -> str:
        arn = personalize.create_filter(name=unique_name("f"), datasetGroupArn=shop["group"],
                                        filterExpression=expression)["filterArn"]
        wait_for(lambda: personalize.describe_filter(filterArn=arn))
        return arn
    return make


def items(runtime, shop, **request) -> list[dict]:
    return runtime.get_recommendations(campaignArn=shop["campaign"], **request)["itemList"]


def test_filter_lifecycle_describe_list_delete(personalize, shop, make_filter, wait_for):
    arn = make_filter('INCLUDE ItemID WHERE Items.GENRE IN ("drama")')
    described = personalize.describe_filter(filterArn=arn)["filter"]
    assert described["status"] == "ACTIVE" and described["datasetGroupArn"] == shop["group"]
    assert described["filterExpression"] == 'INCLUDE ItemID WHERE Items.GENRE IN ("drama")'
    listed = personalize.list_filters(datasetGroupArn=shop["group"])["Filters"]
    assert arn in [entry["filterArn"] for entry in listed]
    personalize.delete_filter(filterArn=arn)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(arn)} does not exist"):
        wait_for(lambda: personalize.describe_filter(filterArn=arn), "GONE", timeout=10)


@pytest.mark.parametrize("expression,words", [
    ("INCLUDE ItemID Items.GENRE IN (\"x\")", "expected WHERE"),
    ('INCLUDE ItemID WHERE Items.COLOUR IN ("red")', "no field COLOUR"),
    ('INCLUDE ItemID WHERE Users.AGE > 3', "Users.AGE at position 22 cannot filter ItemID"),
    ('EXCLUDE ItemID WHERE Items.GENRE NOT IN ($GENRE)', "placeholders cannot be used with NOT IN"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Interactions.EVENT_TYPE IN ("click")', "same dataset"),
])
def test_bad_expressions_are_invalid_input_naming_the_problem(personalize, shop, unique_name, expression, words):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_filter(name=unique_name("bad"), datasetGroupArn=shop["group"], filterExpression=expression)
    assert words.lower() in caught.value.response["Error"]["Message"].lower()


def test_item_attribute_filter_keeps_only_matching_items(personalize_runtime, shop, make_filter):
    drama = make_filter('INCLUDE ItemID WHERE Items.GENRE IN ("drama")')
    found = items(personalize_runtime, shop, userId="user1", numResults=30, filterArn=drama)
    assert len(found) == 30 and all(item["itemId"].startswith("b") for item in found)


def test_placeholders_take_their_values_per_request(personalize_runtime, shop, make_filter):
    cheap = make_filter("INCLUDE ItemID WHERE Items.PRICE < $MAX")
    found = items(personalize_runtime, shop, userId="user1", filterArn=cheap, filterValues={"MAX": "10"})
    assert found and all(item["itemId"].startswith("a") and int(item["itemId"][1:]) < 10 for item in found)
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException, match=r"needs a value for \$MAX"):
        items(personalize_runtime, shop, userId="user1", filterArn=cheap)
    genre = make_filter("EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    unfiltered = items(personalize_runtime, shop, userId="user1")
    assert items(personalize_runtime, shop, userId="user1", filterArn=genre) == unfiltered   # EXCLUDE skips it
    kept = items(personalize_runtime, shop, userId="user1", filterArn=genre, filterValues={"GENRE": '"comedy"'})
    assert kept and all(item["itemId"].startswith("b") for item in kept)


def test_interaction_filter_sees_events_just_put(personalize_events, personalize_runtime, shop, make_filter):
    unseen = make_filter('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    before = [item["itemId"] for item in items(personalize_runtime, shop, userId="visitor-7", filterArn=unseen)]
    personalize_events.put_events(trackingId=shop["tracking"], userId="visitor-7", sessionId="s-7", eventList=[
        {"eventType": "click", "itemId": before[0], "sentAt": synthetic.START + 10**6}])
    after = [item["itemId"] for item in items(personalize_runtime, shop, userId="visitor-7", filterArn=unseen)]
    assert before[0] not in after and after[0] == before[1]
    history = {item for user, item, _ in synthetic.two_tastes(seed=5) if user == "user3"}
    assert not history & {item["itemId"] for item in items(personalize_runtime, shop, userId="user3",
                                                          numResults=100, filterArn=unseen)}


def test_promotions_mark_a_share_of_the_results(personalize_runtime, shop, make_filter):
    comedy = make_filter('INCLUDE ItemID WHERE Items.GENRE IN ("comedy")')
    drama = make_filter('INCLUDE ItemID WHERE Items.GENRE IN ("drama")')
    found = items(personalize_runtime, shop, userId="user1", numResults=10, filterArn=drama,
                  promotions=[{"name": "laughs", "percentPromotedItems": 30, "filterArn": comedy}])
    promoted = [item for item in found if item.get("promotionName") == "laughs"]
    assert len(found) == 10 and len(promoted) == 3
    assert all(item["itemId"].startswith("a") for item in promoted)
    assert all(item["itemId"].startswith("b") for item in found if "promotionName" not in item)


def test_a_promotion_without_a_share_promotes_one_item_and_one_without_a_name_goes_unnamed(personalize_runtime, shop,
                                                                                          make_filter):
    comedy = make_filter('INCLUDE ItemID WHERE Items.GENRE IN ("comedy")')
    found = items(personalize_runtime, shop, userId="user40", numResults=10,
                  promotions=[{"name": "laughs", "filterArn": comedy}])
    assert len(found) == 10 and sum(item.get("promotionName") == "laughs" for item in found) == 1
    unnamed = items(personalize_runtime, shop, userId="user40", numResults=10, promotions=[{"filterArn": comedy}])
    assert len(unnamed) == 10 and not any("promotionName" in item for item in unnamed)


def test_a_filter_needs_the_datasets_it_reads(personalize, dataset_group, unique_name):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_filter(name=unique_name("early"), datasetGroupArn=dataset_group,
                                  filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    assert "has no Interactions dataset" in caught.value.response["Error"]["Message"]


def test_a_filter_of_another_group_is_refused(personalize, personalize_runtime, shop, dataset_group, import_interactions,
                                              unique_name, wait_for):
    import_interactions(dataset_group, synthetic.two_tastes(seed=6))
    foreign = personalize.create_filter(name=unique_name("foreign"), datasetGroupArn=dataset_group,
                                        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    wait_for(lambda: personalize.describe_filter(filterArn=foreign["filterArn"]))
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException) as caught:
        items(personalize_runtime, shop, userId="user1", filterArn=foreign["filterArn"])
    assert f"{foreign['filterArn']} belongs to another dataset group" in caught.value.response["Error"]["Message"]
