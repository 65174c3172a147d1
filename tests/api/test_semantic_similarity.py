"""An aws-semantic-similarity campaign: related items by their names and descriptions, re-weighted by the
campaign's rankingInfluence; a schema without a textual field fails training with a reason."""

import json
import uuid

import pytest

from tests import steps, synthetic

RECIPE = "arn:aws:personalize:::recipe/aws-semantic-similarity"
ITEMS_SCHEMA = json.dumps({
    "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "TITLE", "type": "string", "itemName": True},
               {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True}],
    "version": "1.0"})
WORDS = {"a": ["rocket", "orbit", "moon", "astronaut", "launch", "galaxy", "planet", "comet"],
         "b": ["cake", "bread", "flour", "oven", "icing", "yeast", "dough", "pastry"]}


def item_rows() -> list[tuple[str, str, str]]:
    """a0..a49 speak of space, b0..b49 of baking: titles of two words and descriptions of three of the topic."""
    return [(f"{group}{n}", f"The {words[(n + 5) % 8]} {words[n % 7]}", " ".join(words[(n + k) % 8] for k in (0, 1, 3)))
            for group, words in WORDS.items() for n in range(50)]


@pytest.fixture(scope="module")
def version(personalize, aws_client, wait_for):
    name = f"semantic-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    group = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=4))["group"]
    steps.add_records(personalize, s3, wait_for, group, name, "Items", item_rows(), ITEMS_SCHEMA,
                      ("ITEM_ID", "TITLE", "DESCRIPTION"))
    return steps.trained_version(personalize, wait_for, group, RECIPE, name)


def related(runtime, campaign: str, item: str) -> list[str]:
    return [entry["itemId"] for entry in runtime.get_recommendations(campaignArn=campaign, itemId=item,
                                                                     numResults=10)["itemList"]]


def test_related_items_share_the_query_items_topic(personalize, personalize_runtime, version, wait_for,
                                                   unique_name):
    campaign = steps.campaign(personalize, wait_for, version, unique_name("semantic"))
    for query in ("a3", "b7"):
        assert all(item[0] == query[0] for item in related(personalize_runtime, campaign, query))


def test_ranking_influence_lifts_the_popular_items(personalize, personalize_runtime, version, wait_for, unique_name):
    plain = steps.campaign(personalize, wait_for, version, unique_name("plain"))
    popular = steps.campaign(personalize, wait_for, version, unique_name("popular"),
                             rankingInfluence={"POPULARITY": 1.0})
    counts = {}
    for _, item, _ in synthetic.two_tastes(seed=4):
        counts[item] = counts.get(item, 0) + 1
    lists = [related(personalize_runtime, campaign, "a3") for campaign in (plain, popular)]
    assert lists[0] != lists[1]
    assert sum(counts.get(item, 0) for item in lists[1]) > sum(counts.get(item, 0) for item in lists[0])


def test_without_a_textual_field_the_version_fails_with_a_reason(personalize, aws_client, wait_for, unique_name):
    name = unique_name("notext")
    s3 = aws_client("s3")
    group = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=4))["group"]
    steps.add_items(personalize, s3, wait_for, group, name, synthetic.items_of_two_tastes())
    solution = personalize.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE)["solutionArn"]
    wait_for(lambda: personalize.describe_solution(solutionArn=solution))
    arn = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    failed = wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=arn), status="CREATE FAILED")
    assert "textual field" in failed["failureReason"]
