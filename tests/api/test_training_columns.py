"""trainingDataConfig: the Items columns a model learns from, seen through aws-hrnn-coldstart, which scores items
nobody has interacted with by their metadata alone."""

import uuid

import pytest

from tests import steps, synthetic

COLDSTART = "arn:aws:personalize:::recipe/aws-hrnn-coldstart"
COLD = [(f"a-new{n}", "comedy", "") for n in range(4)] + [(f"b-new{n}", "drama", "") for n in range(4)]
EVERY_ITEM = 108


@pytest.fixture(scope="module")
def group(personalize, aws_client, wait_for):
    """Users 0-29 walk through comedies (a*), 30-59 through dramas (b*); a-new* and b-new* exist only as Items."""
    name = f"columns-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    loaded = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=4))
    steps.add_items(personalize, s3, wait_for, loaded["group"], name, synthetic.items_of_two_tastes() + COLD)
    return loaded["group"]


def cold_scores(personalize, runtime, wait_for, group: str, name: str, **config) -> dict[str, float]:
    """The scores a comedy lover's list gives the cold items, from a model trained with `config`."""
    solution = personalize.create_solution(name=name, datasetGroupArn=group, recipeArn=COLDSTART,
                                           solutionConfig=config)["solutionArn"]
    wait_for(lambda: personalize.describe_solution(solutionArn=solution))
    assert personalize.describe_solution(solutionArn=solution)["solution"].get("solutionConfig", {}) == config
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    campaign = steps.campaign(personalize, wait_for, version, name, itemExplorationConfig={"explorationWeight": "0"})
    items = runtime.get_recommendations(campaignArn=campaign, userId="user1", numResults=EVERY_ITEM)["itemList"]
    return {item["itemId"]: item["score"] for item in items if "-new" in item["itemId"]}


def test_a_model_learns_cold_items_from_their_metadata(personalize, personalize_runtime, group, wait_for,
                                                       unique_name):
    scores = cold_scores(personalize, personalize_runtime, wait_for, group, unique_name("with"))
    assert min(scores[f"a-new{n}"] for n in range(4)) > max(scores[f"b-new{n}"] for n in range(4))


def test_excluded_columns_are_not_learned_from(personalize, personalize_runtime, group, wait_for, unique_name):
    config = {"trainingDataConfig": {"excludedDatasetColumns": {"ITEMS": ["GENRE", "PRICE"]}}}
    scores = cold_scores(personalize, personalize_runtime, wait_for, group, unique_name("without"), **config)
    assert len(scores) == 8 and len(set(scores.values())) == 1   # nothing tells the cold items apart


def test_columns_outside_the_include_list_are_not_learned_from(personalize, personalize_runtime, group, wait_for,
                                                               unique_name):
    config = {"trainingDataConfig": {"includedDatasetColumns": {"ITEMS": ["PRICE"]}}}
    scores = cold_scores(personalize, personalize_runtime, wait_for, group, unique_name("price"), **config)
    assert len(set(scores.values())) == 1   # the cold items have no PRICE
