"""performHPO and performAutoML: a real search on validation users, reported where the service reports it."""

import uuid

import pytest

from tests import steps, synthetic

SIMS = "arn:aws:personalize:::recipe/aws-sims"
HPO = {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"},
       "algorithmHyperParameterRanges": {"continuousHyperParameterRanges": [
           {"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0}]}}


@pytest.fixture(scope="module")
def group(personalize, aws_client, wait_for):
    name = f"search-{uuid.uuid4().hex[:6]}"
    return steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=14))["group"]


def trained(personalize, wait_for, solution: str) -> dict:
    wait_for(lambda: personalize.describe_solution(solutionArn=solution))
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    return wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)


def test_hpo_reports_the_winning_values_within_the_ranges(personalize, group, wait_for, unique_name):
    solution = personalize.create_solution(name=unique_name("hpo"), datasetGroupArn=group, recipeArn=SIMS,
                                           performHPO=True, solutionConfig={"hpoConfig": HPO})["solutionArn"]
    version = trained(personalize, wait_for, solution)
    tuned = version["tunedHPOParams"]["algorithmHyperParameters"]
    assert 0.0 <= float(tuned["popularity_discount_factor"]) <= 1.0
    assert personalize.describe_solution(solutionArn=solution)["solution"]["solutionConfig"]["hpoConfig"] == HPO


@pytest.fixture(scope="module")
def sparse_group(personalize, aws_client, wait_for):
    """Items seen together by few users: SIMS's min_cointeraction_count of 6 and above drops most pairs."""
    name = f"sparse-{uuid.uuid4().hex[:6]}"
    rows = synthetic.two_tastes(users=80, items=200, per_user=25, seed=1)
    return steps.loaded_group(personalize, aws_client("s3"), wait_for, name, rows)["group"]


def cointeraction_search(low: int, high: int) -> dict:
    return {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "4", "maxParallelTrainingJobs": "2"},
            "algorithmHyperParameterRanges": {"integerHyperParameterRanges": [
                {"name": "min_cointeraction_count", "minValue": low, "maxValue": high}]}}


def test_hpo_over_only_worse_settings_reports_the_defaults(personalize, sparse_group, wait_for, unique_name):
    solution = personalize.create_solution(name=unique_name("hpo"), datasetGroupArn=sparse_group, recipeArn=SIMS,
                                           performHPO=True,
                                           solutionConfig={"hpoConfig": cointeraction_search(6, 10)})["solutionArn"]
    tuned = trained(personalize, wait_for, solution)["tunedHPOParams"]["algorithmHyperParameters"]
    assert tuned["min_cointeraction_count"] == "3" and tuned["popularity_discount_factor"] == "0.5"


def test_hpo_replaces_a_poor_given_value_by_a_clearly_better_one(personalize, sparse_group, wait_for, unique_name):
    config = {"algorithmHyperParameters": {"min_cointeraction_count": "10"}, "hpoConfig": cointeraction_search(1, 2)}
    solution = personalize.create_solution(name=unique_name("hpo"), datasetGroupArn=sparse_group, recipeArn=SIMS,
                                           performHPO=True, solutionConfig=config)["solutionArn"]
    tuned = trained(personalize, wait_for, solution)["tunedHPOParams"]["algorithmHyperParameters"]
    assert tuned["min_cointeraction_count"] in {"1", "2"}


@pytest.mark.parametrize("ranges,words", [
    ({"continuousHyperParameterRanges": [{"name": "no_such_parameter", "minValue": 0.0, "maxValue": 1.0}]},
     "no_such_parameter is not a hyperparameter of the recipe aws-sims"),
    ({"continuousHyperParameterRanges": [{"name": "popularity_discount_factor", "minValue": 0.9, "maxValue": 0.1}]},
     "popularity_discount_factor has minValue 0.9 above maxValue 0.1"),
])
def test_bad_ranges_are_invalid_input_at_create(personalize, group, unique_name, ranges, words):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_solution(name=unique_name("hpo"), datasetGroupArn=group, recipeArn=SIMS, performHPO=True,
                                    solutionConfig={"hpoConfig": {"algorithmHyperParameterRanges": ranges}})
    assert words in caught.value.response["Error"]["Message"]


def test_automl_picks_the_better_recipe_and_reports_it(personalize, group, wait_for, unique_name):
    solution = personalize.create_solution(
        name=unique_name("automl"), datasetGroupArn=group, performAutoML=True,
        solutionConfig={"autoMLConfig": {"metricName": "precision_at_5",
                                         "recipeList": ["arn:aws:personalize:::recipe/aws-popularity-count", SIMS]},
                        "hpoConfig": {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "2",
                                                            "maxParallelTrainingJobs": "1"}}})["solutionArn"]
    version = trained(personalize, wait_for, solution)
    best = personalize.describe_solution(solutionArn=solution)["solution"]["autoMLResult"]["bestRecipeArn"]
    assert best == version["recipeArn"] == SIMS   # two tastes: co-occurrence beats popularity
    assert personalize.get_solution_metrics(solutionVersionArn=version["solutionVersionArn"])["metrics"]
