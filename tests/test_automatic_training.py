"""Automatic training on a server whose schedule runs fast (--day-seconds): versions appear by themselves, only
when new interactions arrived; trainingMode UPDATE brings new items into a FULL version's model."""

import time

import pytest

from tests import steps, synthetic
from tests.test_restart import ServerProcess, settle

DAY = 2.0   # seconds in one day of the schedule: the first automatic version comes 1/24 day after ACTIVE


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("auto"), extra=["--day-seconds", str(DAY)]).start()
    yield process
    process.stop()


def versions(personalize, solution: str) -> list[dict]:
    return personalize.list_solution_versions(solutionArn=solution)["solutionVersions"]


def test_versions_are_trained_on_schedule_when_new_data_arrived(server):
    personalize, events = server.client("personalize"), server.client("personalize-events")
    loaded = steps.loaded_group(personalize, server.client("s3"), settle, "auto", synthetic.two_tastes(seed=17))
    solution = personalize.create_solution(
        name="auto", datasetGroupArn=loaded["group"], recipeArn="arn:aws:personalize:::recipe/aws-popularity-count",
        solutionConfig={"autoTrainingConfig": {"schedulingExpression": "rate(1 day)"}})["solutionArn"]
    settle(lambda: personalize.describe_solution(solutionArn=solution))
    deadline = time.monotonic() + 30
    while not versions(personalize, solution) and time.monotonic() < deadline:
        time.sleep(0.1)
    first = versions(personalize, solution)
    assert len(first) == 1 and first[0]["trainingType"] == "AUTOMATIC" and first[0]["trainingMode"] == "AUTOTRAIN"
    settle(lambda: personalize.describe_solution_version(solutionVersionArn=first[0]["solutionVersionArn"]))
    time.sleep(DAY * 1.5)   # a day passes without new data: nothing to train
    assert len(versions(personalize, solution)) == 1
    tracker = personalize.create_event_tracker(name="auto", datasetGroupArn=loaded["group"])
    settle(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    events.put_events(trackingId=tracker["trackingId"], userId="user1", sessionId="s",
                      eventList=[{"eventType": "click", "itemId": "a1", "sentAt": synthetic.START + 10**6}])
    deadline = time.monotonic() + DAY * 3
    while len(versions(personalize, solution)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(versions(personalize, solution)) == 2


def test_update_mode_brings_new_items_into_the_model(server):
    personalize, events = server.client("personalize"), server.client("personalize-events")
    s3 = server.client("s3")
    loaded = steps.loaded_group(personalize, s3, settle, "update", synthetic.two_tastes(seed=18))
    items = steps.add_items(personalize, s3, settle, loaded["group"], "update", synthetic.items_of_two_tastes())
    solution = personalize.create_solution(name="update", datasetGroupArn=loaded["group"], performAutoTraining=False,
                                           recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")
    settle(lambda: personalize.describe_solution(solutionArn=solution["solutionArn"]))
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="UPDATE needs an ACTIVE version of trainingMode FULL"):
        personalize.create_solution_version(solutionArn=solution["solutionArn"], trainingMode="UPDATE")
    full = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    settle(lambda: personalize.describe_solution_version(solutionVersionArn=full), timeout=300)
    events.put_items(datasetArn=items, items=[{"itemId": "late-1", "properties": '{"genre": "comedy"}'}])
    update = personalize.create_solution_version(solutionArn=solution["solutionArn"],
                                                 trainingMode="UPDATE")["solutionVersionArn"]
    described = settle(lambda: personalize.describe_solution_version(solutionVersionArn=update))
    assert described["trainingMode"] == "UPDATE" and described["trainingType"] == "MANUAL"
    assert personalize.get_solution_metrics(solutionVersionArn=update)["metrics"] == \
        personalize.get_solution_metrics(solutionVersionArn=full)["metrics"]
    campaign = personalize.create_campaign(name="update", solutionVersionArn=update, campaignConfig={
        "itemExplorationConfig": {"explorationWeight": "0"}})["campaignArn"]
    settle(lambda: personalize.describe_campaign(campaignArn=campaign))
    ranked = server.client("personalize-runtime").get_recommendations(campaignArn=campaign, userId="user1",
                                                                     numResults=500)["itemList"]
    assert "late-1" in [item["itemId"] for item in ranked]   # in the catalogue now, without retraining
