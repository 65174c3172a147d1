"""Solutions, solution versions and campaigns: the rules around training and deploying."""

import json
import re
import time
import urllib.request

import pytest

from tests import synthetic

UP = "arn:aws:personalize:::recipe/aws-user-personalization"
POPULARITY = "arn:aws:personalize:::recipe/aws-popularity-count"


@pytest.fixture
def solution(personalize, dataset_group, wait_for, unique_name):
    def make(recipe: str = POPULARITY) -> str:
        arn = personalize.create_solution(name=unique_name("s"), datasetGroupArn=dataset_group,
                                          recipeArn=recipe)["solutionArn"]
        wait_for(lambda: personalize.describe_solution(solutionArn=arn))
        return arn
    return make


def test_an_unknown_recipe_is_not_found(personalize, dataset_group, unique_name):
    with pytest.raises(personalize.exceptions.ResourceNotFoundException,
                       match="Recipe arn:aws:personalize:::recipe/aws-no-such-recipe does not exist"):
        personalize.create_solution(name=unique_name("s"), datasetGroupArn=dataset_group,
                                    recipeArn="arn:aws:personalize:::recipe/aws-no-such-recipe")


def test_recipe_and_automl_together_are_invalid_input(personalize, dataset_group, unique_name):
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="Give a recipeArn, or set performAutoML without one"):
        personalize.create_solution(name=unique_name("s"), datasetGroupArn=dataset_group, recipeArn=UP,
                                    performAutoML=True)


def test_solution_defaults_are_echoed(personalize, solution):
    described = personalize.describe_solution(solutionArn=solution())["solution"]
    assert described["performHPO"] is False and described["performAutoTraining"] is True
    assert described["recipeArn"] == POPULARITY


def test_too_few_active_users_fail_training_with_the_documented_reason(personalize, dataset_group, solution,
                                                                        import_interactions, wait_for):
    # 1000 interactions, but only 20 users
    import_interactions(dataset_group, synthetic.two_tastes(users=20, per_user=50))
    version = personalize.create_solution_version(solutionArn=solution())["solutionVersionArn"]
    failed = wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), "CREATE FAILED")
    assert failed["failureReason"] == (
        "Create failed. Dataset has fewer than 25 users with at least 2 interactions each.")


def test_training_with_no_interactions_dataset_fails_asynchronously(personalize, solution, wait_for):
    version = personalize.create_solution_version(solutionArn=solution())["solutionVersionArn"]
    failed = wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), "CREATE FAILED")
    assert "1000 interactions" in failed["failureReason"]


def test_training_mode_autotrain_is_automatic_trainings_own_and_refused_to_a_client(personalize, solution):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_solution_version(solutionArn=solution(), trainingMode="AUTOTRAIN")
    assert "trainingMode AUTOTRAIN" in caught.value.response["Error"]["Message"]


def test_metrics_of_a_version_still_training_are_in_use(personalize, dataset_group, solution, import_interactions):
    import_interactions(dataset_group, synthetic.two_tastes())
    version = personalize.create_solution_version(solutionArn=solution())["solutionVersionArn"]
    training = f"{re.escape(version)} is CREATE (PENDING|IN_PROGRESS); it must be ACTIVE"
    with pytest.raises(personalize.exceptions.ResourceInUseException, match=training):
        personalize.get_solution_metrics(solutionVersionArn=version)
    with pytest.raises(personalize.exceptions.ResourceInUseException, match=training):
        personalize.create_campaign(name="too-early", solutionVersionArn=version)


def test_solution_version_arn_and_default_name(personalize, dataset_group, solution, import_interactions, wait_for):
    import_interactions(dataset_group, synthetic.two_tastes())
    arn = solution()
    version = personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    assert version.startswith(arn + "/") and len(version.rsplit("/", 1)[1]) == 8
    active = wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    assert active["name"] == f"{arn.rsplit('/', 1)[1]}/{version.rsplit('/', 1)[1]}"
    assert active["trainingMode"] == "FULL" and active["trainingType"] == "MANUAL" and active["trainingHours"] > 0
    latest = personalize.describe_solution(solutionArn=arn)["solution"]["latestSolutionVersion"]
    assert latest["solutionVersionArn"] == version and latest["status"] == "ACTIVE"
    assert personalize.list_solution_versions(solutionArn=arn)["solutionVersions"][0]["solutionVersionArn"] == version


def test_a_solution_with_a_campaign_cannot_be_deleted(personalize, dataset_group, solution, import_interactions,
                                                     wait_for, unique_name):
    import_interactions(dataset_group, synthetic.two_tastes())
    arn = solution()
    version = personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    campaign = personalize.create_campaign(name=unique_name("c"), solutionVersionArn=version)["campaignArn"]
    with pytest.raises(personalize.exceptions.ResourceInUseException,
                       match=f"{re.escape(arn)} is still used by: {re.escape(campaign)}"):
        personalize.delete_solution(solutionArn=arn)
    assert personalize.list_campaigns(solutionArn=arn)["campaigns"][0]["campaignArn"] == campaign


def test_deleting_a_solution_deletes_its_versions_model_files(personalize, personalize_emulator, dataset_group,
                                                              solution, import_interactions, wait_for):
    import_interactions(dataset_group, synthetic.two_tastes())
    arn = solution()
    version = personalize.create_solution_version(solutionArn=arn)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))

    def files() -> list:
        return list((personalize_emulator.data_dir / "models").glob(f"*{version.rsplit('/', 1)[1]}*"))
    assert len(files()) == 3   # the model, its item statistics, its context lifts
    personalize.delete_solution(solutionArn=arn)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        wait_for(lambda: personalize.describe_solution(solutionArn=arn), "GONE", timeout=10)
    assert files() == []


def test_a_second_event_tracker_in_a_group_already_exists(personalize, dataset_group, unique_name):
    personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=dataset_group)
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException,
                       match=f"{re.escape(dataset_group)} already has an event tracker"):
        personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=dataset_group)


def test_event_tracker_arn_ends_in_an_id_and_tracking_id_is_a_uuid(personalize, dataset_group, unique_name):
    created = personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=dataset_group)
    tail = created["eventTrackerArn"].rsplit("/", 1)[1]
    assert len(tail) == 8 and int(tail, 16) >= 0
    assert len(created["trackingId"]) == 36 and created["trackingId"].count("-") == 4


def test_stopping_a_training_version_goes_through_stopping_to_stopped(personalize, dataset_group, solution,
                                                                      import_interactions, wait_for):
    import_interactions(dataset_group, synthetic.two_tastes())
    version = personalize.create_solution_version(solutionArn=solution(UP))["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), "CREATE IN_PROGRESS")
    personalize.stop_solution_version_creation(solutionVersionArn=version)
    seen = []
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), "CREATE STOPPED", seen=seen)
    assert seen[0] in ("CREATE STOPPING", "CREATE STOPPED")
    with pytest.raises(personalize.exceptions.ResourceInUseException,
                       match=f"{re.escape(version)} is CREATE STOPPED; only a version being created"):
        personalize.stop_solution_version_creation(solutionVersionArn=version)


def test_a_pending_version_stops_at_once(personalize, solution):
    version = personalize.create_solution_version(solutionArn=solution())["solutionVersionArn"]
    personalize.stop_solution_version_creation(solutionVersionArn=version)
    assert personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"][
        "status"] == "CREATE STOPPED"


def test_training_progress_is_visible_while_it_runs(personalize, personalize_endpoint, dataset_group, solution,
                                                    import_interactions, wait_for):
    import_interactions(dataset_group, synthetic.two_tastes())
    version = personalize.create_solution_version(solutionArn=solution(UP))["solutionVersionArn"]
    seen = []
    while personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] != "ACTIVE":
        with urllib.request.urlopen(f"{personalize_endpoint}/_emulator/trainings") as answer:
            running = json.load(answer)["trainings"]
        if version in running:
            seen.append(running[version]["lastMessage"])
        time.sleep(0.05)
    assert any("epoch 1" in message for message in seen), seen
    assert personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["trainingHours"] > 0


def test_the_emulators_extra_recipes_train_but_are_not_listed_by_default(personalize, dataset_group, solution,
                                                                        import_interactions, wait_for):
    listed = {recipe["name"] for recipe in personalize.list_recipes()["recipes"]}
    assert "emulator-ffnn" not in listed
    assert personalize.describe_recipe(recipeArn="arn:aws:personalize:::recipe/emulator-ffnn")["recipe"][
        "recipeType"] == "USER_PERSONALIZATION"
    import_interactions(dataset_group, synthetic.two_tastes())
    version = personalize.create_solution_version(
        solutionArn=solution("arn:aws:personalize:::recipe/emulator-ffnn"))["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]["coverage"] > 0
