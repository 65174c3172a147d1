"""Campaigns serving a user-personalization model: exploration settings and request rules."""

import json
import re
import time
import uuid

import pytest

from emulator.recipes import popular_now
from tests import steps, synthetic
from tests.servers import clients, own_server

UP = "arn:aws:personalize:::recipe/aws-user-personalization"


@pytest.fixture(scope="module")
def trained_version(personalize, aws_client, wait_for):
    """One trained user-personalization version, shared by the tests of this module."""
    name = f"campaigns-{uuid.uuid4().hex[:6]}"
    loaded = steps.loaded_group(personalize, aws_client("s3"), lambda describe: wait_for(describe, timeout=300), name,
                                synthetic.two_tastes(seed=1))
    return steps.trained_version(personalize, lambda describe: wait_for(describe, timeout=300), loaded["group"], UP,
                                 name)


@pytest.fixture
def campaign(personalize, trained_version, wait_for, unique_name):
    def deploy(**config) -> str:
        arn = personalize.create_campaign(name=unique_name("c"), solutionVersionArn=trained_version,
                                          **({"campaignConfig": config} if config else {}))["campaignArn"]
        wait_for(lambda: personalize.describe_campaign(campaignArn=arn))
        return arn
    return deploy


def ranking(runtime, campaign_arn: str, user: str) -> list[str]:
    return [item["itemId"] for item in runtime.get_recommendations(campaignArn=campaign_arn, userId=user)["itemList"]]


def test_campaign_echoes_its_configuration(personalize, campaign, trained_version):
    arn = campaign(itemExplorationConfig={"explorationWeight": "0.5", "explorationItemAgeCutOff": "7"})
    described = personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert described["campaignConfig"]["itemExplorationConfig"]["explorationWeight"] == "0.5"
    assert described["minProvisionedTPS"] == 1 and described["solutionVersionArn"] == trained_version
    assert "latestCampaignUpdate" not in described


def test_without_exploration_results_are_the_same_on_every_call(personalize_runtime, campaign):
    arn = campaign(itemExplorationConfig={"explorationWeight": "0"})
    assert ranking(personalize_runtime, arn, "user2") == ranking(personalize_runtime, arn, "user2")


def test_full_exploration_changes_the_ranking_and_stays_stable_per_user(personalize_runtime, campaign):
    exploit = campaign(itemExplorationConfig={"explorationWeight": "0"})
    explore = campaign(itemExplorationConfig={"explorationWeight": "1", "explorationItemAgeCutOff": "3650"})
    assert ranking(personalize_runtime, explore, "user2") != ranking(personalize_runtime, exploit, "user2")
    assert ranking(personalize_runtime, explore, "user2") == ranking(personalize_runtime, explore, "user2")


def test_exploration_settings_updated_apply_to_a_user_answered_before(personalize, personalize_runtime, campaign,
                                                                      wait_for):
    arn = campaign(itemExplorationConfig={"explorationWeight": "0.01", "explorationItemAgeCutOff": "3650"})
    before = ranking(personalize_runtime, arn, "user2")
    assert ranking(personalize_runtime, arn, "user2") == before
    personalize.update_campaign(campaignArn=arn, campaignConfig={"itemExplorationConfig": {
        "explorationWeight": "1", "explorationItemAgeCutOff": "3650"}})
    wait_for(lambda: {"update": personalize.describe_campaign(campaignArn=arn)["campaign"]["latestCampaignUpdate"]})
    assert ranking(personalize_runtime, arn, "user2") != before


def test_num_results_is_honoured_up_to_the_maximum(personalize_runtime, campaign):
    arn = campaign(itemExplorationConfig={"explorationWeight": "0"})
    assert len(personalize_runtime.get_recommendations(campaignArn=arn, userId="user2", numResults=7)["itemList"]) == 7
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException, match="numResults must be at most 500"):
        personalize_runtime.get_recommendations(campaignArn=arn, userId="user2", numResults=501)


def test_user_personalization_needs_a_user_id(personalize_runtime, campaign):
    arn = campaign()
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException) as caught:
        personalize_runtime.get_recommendations(campaignArn=arn)
    assert "userId is required" in caught.value.response["Error"]["Message"]


def taste_a(items: list[str]) -> int:
    return sum(item.startswith("a") for item in items[:10])


@pytest.fixture
def tracking_id(personalize, trained_version, wait_for, unique_name) -> str:
    """The tracking id of the trained version's group's event tracker."""
    group = personalize.describe_solution_version(solutionVersionArn=trained_version)["solutionVersion"][
        "datasetGroupArn"]
    trackers = personalize.list_event_trackers(datasetGroupArn=group)["eventTrackers"]
    tracker_arn = trackers[0]["eventTrackerArn"] if trackers else personalize.create_event_tracker(
        name=unique_name("t"), datasetGroupArn=group)["eventTrackerArn"]
    return wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker_arn))["trackingId"]


def test_anonymous_session_events_count_for_that_session_id(personalize_events, personalize_runtime, campaign,
                                                           tracking_id, unique_name):
    arn = campaign(itemExplorationConfig={"explorationWeight": "0"})
    visitor = unique_name("visitor")
    cold = ranking(personalize_runtime, arn, visitor)
    personalize_events.put_events(trackingId=tracking_id, sessionId=visitor,
                                  eventList=[{"eventType": "click", "itemId": f"a{i}", "sentAt": 1_800_000_000 + i}
                                             for i in range(5)])
    assert taste_a(ranking(personalize_runtime, arn, visitor)) >= taste_a(cold) + 4
    # the visitor signs in: the session's anonymous events now count for the user id too
    member = unique_name("member")
    assert ranking(personalize_runtime, arn, member) == cold
    personalize_events.put_events(trackingId=tracking_id, sessionId=visitor, userId=member,
                                  eventList=[{"eventType": "click", "itemId": "a5", "sentAt": 1_800_000_010}])
    assert taste_a(ranking(personalize_runtime, arn, member)) >= taste_a(cold) + 4


def test_events_streamed_before_a_campaign_deploys_count_from_its_first_answer(personalize_events,
                                                                              personalize_runtime, campaign,
                                                                              tracking_id, unique_name):
    """A deploying campaign works out its users' scores beforehand, but not from a state older than their events."""
    first = campaign(itemExplorationConfig={"explorationWeight": "0"})
    user = "user59"   # of taste b
    cold = ranking(personalize_runtime, first, user)
    personalize_events.put_events(trackingId=tracking_id, sessionId=unique_name("s"), userId=user,
                                  eventList=[{"eventType": "click", "itemId": f"a{i}", "sentAt": 1_800_000_100 + i}
                                             for i in range(10, 16)])
    second = campaign(itemExplorationConfig={"explorationWeight": "0"})
    assert taste_a(ranking(personalize_runtime, second, user)) >= taste_a(cold) + 4
    # a user without new events gets what the first campaign worked out on request
    assert ranking(personalize_runtime, second, "user58") == ranking(personalize_runtime, first, "user58")


def test_deleted_campaign_stops_answering(personalize, personalize_runtime, campaign, wait_for):
    arn = campaign()
    personalize.delete_campaign(campaignArn=arn)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(arn)} does not exist"):
        wait_for(lambda: personalize.describe_campaign(campaignArn=arn), "GONE", timeout=10)
    with pytest.raises(personalize_runtime.exceptions.ResourceNotFoundException,
                       match=f"{re.escape(arn)} does not exist"):
        personalize_runtime.get_recommendations(campaignArn=arn, userId="user2")


def test_update_swaps_the_model_only_once_the_update_is_active(personalize, personalize_runtime, campaign,
                                                               trained_version, wait_for):
    popularity_solution = personalize.create_solution(
        name=f"pop-{trained_version[-8:]}", recipeArn="arn:aws:personalize:::recipe/aws-popularity-count",
        datasetGroupArn=personalize.describe_solution_version(solutionVersionArn=trained_version)[
            "solutionVersion"]["datasetGroupArn"])["solutionArn"]
    wait_for(lambda: personalize.describe_solution(solutionArn=popularity_solution))
    popularity = personalize.create_solution_version(solutionArn=popularity_solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=popularity))
    arn = campaign(itemExplorationConfig={"explorationWeight": "0"})

    personalize.update_campaign(campaignArn=arn, solutionVersionArn=popularity)
    during = personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert during["status"] == "ACTIVE" and during["solutionVersionArn"] == trained_version
    assert during["latestCampaignUpdate"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    assert "score" in personalize_runtime.get_recommendations(campaignArn=arn, userId="user2")["itemList"][0]
    with pytest.raises(personalize.exceptions.ResourceInUseException, match=f"{re.escape(arn)} is being .*updated"):
        personalize.update_campaign(campaignArn=arn, minProvisionedTPS=2)

    seen = []
    wait_for(lambda: {"update": personalize.describe_campaign(campaignArn=arn)["campaign"]["latestCampaignUpdate"]},
             seen=seen)
    after = personalize.describe_campaign(campaignArn=arn)["campaign"]
    assert after["solutionVersionArn"] == popularity and after["status"] == "ACTIVE"
    assert "CREATE IN_PROGRESS" in seen
    assert "score" not in personalize_runtime.get_recommendations(campaignArn=arn, userId="user2")["itemList"][0]


def test_updating_to_a_missing_version_is_not_found(personalize, campaign, trained_version):
    arn = campaign()
    missing = trained_version[:-8] + "00000000"
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(missing)} does not exist"):
        personalize.update_campaign(campaignArn=arn, solutionVersionArn=missing)


def test_sims_campaign_answers_an_item_with_its_co_occurring_items(personalize, personalize_runtime, aws_client,
                                                                   wait_for, unique_name):
    name = unique_name("sims")
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=3))
    version = steps.trained_version(personalize, wait_for, loaded["group"],
                                    "arn:aws:personalize:::recipe/aws-sims", name)
    arn = personalize.create_campaign(name=name, solutionVersionArn=version)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=arn))
    # b43 is taken by 14 users: b7, by 10, kept fewer than SIMS's 3 co-interactions with its neighbours in 9 of 300
    # splits (the split follows the group's name), and was then answered by popularity; b43 never was
    related = personalize_runtime.get_recommendations(campaignArn=arn, itemId="b43")["itemList"]
    ids = [item["itemId"] for item in related]
    assert len(ids) == 25 and "b43" not in ids and all("score" not in item for item in related)
    assert sum(item.startswith("b") for item in ids[:10]) == 10, ids
    # users walk through the b items in order, so the items a few steps from b43 share most histories with it
    assert all(abs(int(item[1:]) - 43) <= 6 for item in ids[:5]), ids
    unknown = personalize_runtime.get_recommendations(campaignArn=arn, itemId="never-seen")["itemList"]
    assert len(unknown) == 25
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException) as caught:
        personalize_runtime.get_recommendations(campaignArn=arn, userId="user1")
    assert "itemId is required" in caught.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def group_with_items(personalize, aws_client, wait_for):
    """A group with interactions and an Items dataset (GENRE, PRICE)."""
    name = f"items-{uuid.uuid4().hex[:6]}"
    s3 = aws_client("s3")
    loaded = steps.loaded_group(personalize, s3, wait_for, name, synthetic.two_tastes(seed=4))
    steps.add_items(personalize, s3, wait_for, loaded["group"], name, synthetic.items_of_two_tastes())
    return loaded["group"]


@pytest.fixture(scope="module")
def version_with_items(personalize, group_with_items, wait_for):
    """A user-personalization version of group_with_items, shared by the tests that only serve it (each with a
    campaign of its own)."""
    return steps.trained_version(personalize, wait_for, group_with_items, UP, f"meta-{uuid.uuid4().hex[:6]}")


def test_recommendations_carry_the_requested_item_metadata(personalize, personalize_runtime, version_with_items,
                                                           wait_for, unique_name):
    version = version_with_items
    arn = personalize.create_campaign(name=unique_name("meta"), solutionVersionArn=version,
                                      campaignConfig={"enableMetadataWithRecommendations": True})["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=arn))
    items = personalize_runtime.get_recommendations(campaignArn=arn, userId="user1", numResults=10,
                                                    metadataColumns={"ITEMS": ["GENRE", "PRICE"]})["itemList"]
    for item in items:
        expected = "comedy" if item["itemId"].startswith("a") else "drama"
        assert item["metadata"]["GENRE"] == expected
        assert ("PRICE" in item["metadata"]) == item["itemId"].startswith("a")
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException,
                       match="Items dataset has no columns COLOUR"):
        personalize_runtime.get_recommendations(campaignArn=arn, userId="user1", metadataColumns={"ITEMS": ["COLOUR"]})


def test_personalized_ranking_orders_the_input_and_appends_unknown_items(personalize, personalize_runtime,
                                                                        group_with_items, wait_for, unique_name):
    version = steps.trained_version(personalize, wait_for, group_with_items,
                                    "arn:aws:personalize:::recipe/aws-personalized-ranking", unique_name("rank"))
    arn = personalize.create_campaign(name=unique_name("rank"), solutionVersionArn=version)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=arn))
    ranked = personalize_runtime.get_personalized_ranking(
        campaignArn=arn, userId="user2", inputList=["b3", "a3", "mystery", "b9", "a9"])["personalizedRanking"]
    assert [item["itemId"] for item in ranked][-1] == "mystery" and "score" not in ranked[-1]
    scored = ranked[:-1]
    assert {item["itemId"] for item in scored} == {"a3", "a9", "b3", "b9"}
    assert abs(sum(item["score"] for item in scored) - 1.0) < 1e-5
    assert [item["score"] for item in scored] == sorted((item["score"] for item in scored), reverse=True)
    cheap = personalize.create_filter(name=unique_name("cheap"), datasetGroupArn=group_with_items,
                                      filterExpression="INCLUDE ItemID WHERE Items.PRICE < $MAX")["filterArn"]
    wait_for(lambda: personalize.describe_filter(filterArn=cheap))
    filtered = personalize_runtime.get_personalized_ranking(campaignArn=arn, userId="user2", filterArn=cheap,
                                                            filterValues={"MAX": "5"},
                                                            inputList=["b3", "a3", "a9"])["personalizedRanking"]
    assert [item["itemId"] for item in filtered] == ["a3"]

    def taste_a(user: str) -> float:
        ranked = personalize_runtime.get_personalized_ranking(
            campaignArn=arn, userId=user, inputList=[f"{group}{n}" for group in "ab" for n in range(0, 50, 5)]
        )["personalizedRanking"]
        return sum(item["score"] for item in ranked if item["itemId"].startswith("a"))
    # users 0-29 walk through group a, 30-59 through group b: the model ranks by the user's taste
    shares = [taste_a(f"user{n}") for n in range(0, 60, 3)]
    assert sum(share > 0.5 for share in shares[:10]) >= 7 and sum(share < 0.5 for share in shares[10:]) >= 7
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException,
                       match="GetRecommendations does not serve PERSONALIZED_RANKING"):
        personalize_runtime.get_recommendations(campaignArn=arn, userId="user2")


def test_put_items_replaces_metadata_served_with_recommendations(personalize, personalize_events, personalize_runtime,
                                                                 group_with_items, version_with_items, wait_for,
                                                                 unique_name):
    items = next(d for d in personalize.list_datasets(datasetGroupArn=group_with_items)["datasets"]
                 if d["datasetType"] == "ITEMS")["datasetArn"]
    version = version_with_items
    arn = personalize.create_campaign(name=unique_name("put"), solutionVersionArn=version, campaignConfig={
        "enableMetadataWithRecommendations": True, "itemExplorationConfig": {"explorationWeight": "0"}})["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=arn))

    def first():
        return personalize_runtime.get_recommendations(campaignArn=arn, userId="user1", numResults=5,
                                                       metadataColumns={"ITEMS": ["GENRE", "PRICE"]})["itemList"][0]
    before = first()
    personalize_events.put_items(datasetArn=items, items=[
        {"itemId": before["itemId"], "properties": json.dumps({"genre": "musical", "price": "12.5"})},
        {"itemId": "brand-new", "properties": json.dumps({"genre": "western"})}])
    after = first()
    assert after["itemId"] == before["itemId"]
    assert after["metadata"] == {"GENRE": "musical", "PRICE": "12.5"} != before["metadata"]


@pytest.mark.parametrize("properties,words", [
    ('{"colour": "red"}', "colour"), ('{"genre": "x", "price": "cheap"}', "float"), ("not json", "parsing"),
    ("{}", "genre")])
def test_put_items_checks_properties_against_the_schema(personalize, personalize_events, group_with_items,
                                                        properties, words):
    items = next(d for d in personalize.list_datasets(datasetGroupArn=group_with_items)["datasets"]
                 if d["datasetType"] == "ITEMS")["datasetArn"]
    with pytest.raises(personalize_events.exceptions.InvalidInputException) as caught:
        personalize_events.put_items(datasetArn=items, items=[{"itemId": "x1", "properties": properties}])
    assert words in caught.value.response["Error"]["Message"]


def test_put_users_into_an_items_dataset_is_invalid_input(personalize, personalize_events, group_with_items):
    items = next(d for d in personalize.list_datasets(datasetGroupArn=group_with_items)["datasets"]
                 if d["datasetType"] == "ITEMS")["datasetArn"]
    with pytest.raises(personalize_events.exceptions.InvalidInputException,
                       match=f"{re.escape(items)} .*ITEMS dataset, not USERS"):
        personalize_events.put_users(datasetArn=items, users=[{"userId": "u1", "properties": "{}"}])


def test_a_campaign_synced_with_latest_follows_each_new_version(personalize, aws_client, wait_for, unique_name):
    name = unique_name("sync")
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=13))
    first = steps.trained_version(personalize, wait_for, loaded["group"],
                                  "arn:aws:personalize:::recipe/aws-popularity-count", name)
    solution = personalize.describe_solution_version(solutionVersionArn=first)["solutionVersion"]["solutionArn"]
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match=r"syncWithLatestSolutionVersion needs .*/\$LATEST"):
        personalize.create_campaign(name=name, solutionVersionArn=first,
                                    campaignConfig={"syncWithLatestSolutionVersion": True})
    arn = steps.campaign(personalize, wait_for, f"{solution}/$LATEST", name, syncWithLatestSolutionVersion=True)
    assert personalize.describe_campaign(campaignArn=arn)["campaign"]["solutionVersionArn"] == first
    second = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=second))

    def update():
        found = personalize.describe_campaign(campaignArn=arn)["campaign"].get("latestCampaignUpdate",
                                                                                {"status": "CREATE PENDING"})
        return {"update": found}
    assert wait_for(update)["solutionVersionArn"] == second
    assert personalize.describe_campaign(campaignArn=arn)["campaign"]["solutionVersionArn"] == second


def test_items_put_after_training_are_explored_without_retraining(personalize, personalize_events,
                                                                  personalize_runtime, group_with_items, wait_for,
                                                                  unique_name):
    items = next(d for d in personalize.list_datasets(datasetGroupArn=group_with_items)["datasets"]
                 if d["datasetType"] == "ITEMS")["datasetArn"]
    version = steps.trained_version(personalize, wait_for, group_with_items, UP, unique_name("new"))
    exploit = steps.campaign(personalize, wait_for, version, unique_name("exploit"),
                             itemExplorationConfig={"explorationWeight": "0"})
    explore = steps.campaign(personalize, wait_for, version, unique_name("explore"),
                             itemExplorationConfig={"explorationWeight": "1", "explorationItemAgeCutOff": "1"})
    fresh = [f"fresh-{n}" for n in range(5)]
    personalize_events.put_items(datasetArn=items, items=[
        {"itemId": item, "properties": json.dumps({"genre": "comedy"})} for item in fresh])
    users = [f"user{n}" for n in range(0, 30, 3)]   # group a: comedy lovers
    explored = [ranking(personalize_runtime, explore, user) for user in users]
    assert all(set(fresh) & set(found) for found in explored)
    assert not any(set(fresh) & set(ranking(personalize_runtime, exploit, user)) for user in users)


def test_context_moves_recommendations_towards_what_is_taken_in_that_context(personalize, personalize_runtime,
                                                                              aws_client, wait_for, unique_name):
    name = unique_name("ctx")
    # every user switches between the groups at random, group b on the tv and group a on the phone: the model
    # cannot tell which group a user takes next, the device can
    rows = [(user, item, "tv" if item.startswith("b") else "phone", stamp)
            for user, item, stamp in synthetic.two_tastes(seed=16, switch=0.5)]
    schema = json.dumps({
        "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
        "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                   {"name": "DEVICE", "type": "string", "categorical": True}, {"name": "TIMESTAMP", "type": "long"}],
        "version": "1.0"})
    group = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, rows, schema=schema,
                               header=("USER_ID", "ITEM_ID", "DEVICE", "TIMESTAMP"))["group"]
    version = steps.trained_version(personalize, wait_for, group, UP, name)
    arn = steps.campaign(personalize, wait_for, version, name, itemExplorationConfig={"explorationWeight": "0"})

    def group_b(**request) -> int:
        found = personalize_runtime.get_recommendations(campaignArn=arn, userId="user3", numResults=25, **request)
        return sum(item["itemId"].startswith("b") for item in found["itemList"])
    assert group_b(context={"DEVICE": "tv"}) > group_b()
    assert group_b(context={"DEVICE": "unheard-of"}) == group_b()


def test_v2_campaigns_give_reasons_and_metadata_without_asking(personalize, personalize_runtime, group_with_items,
                                                               wait_for, unique_name):
    version = steps.trained_version(personalize, wait_for, group_with_items,
                                    "arn:aws:personalize:::recipe/aws-user-personalization-v2", unique_name("v2"))
    arn = steps.campaign(personalize, wait_for, version, unique_name("v2"))
    comedy = personalize.create_filter(name=unique_name("f"), datasetGroupArn=group_with_items,
                                       filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("comedy")')["filterArn"]
    wait_for(lambda: personalize.describe_filter(filterArn=comedy))
    found = personalize_runtime.get_recommendations(
        campaignArn=arn, userId="user40", numResults=10, metadataColumns={"ITEMS": ["GENRE"]},
        promotions=[{"name": "laughs", "percentPromotedItems": 20, "filterArn": comedy}])["itemList"]
    promoted = [item for item in found if item.get("promotionName") == "laughs"]
    assert len(promoted) == 2 and all(item["reason"] == ["Promoted item"] for item in promoted)
    assert all(item["metadata"]["GENRE"] in ("comedy", "drama") for item in found)


def test_a_user_away_gets_what_is_popular_now_until_their_events_stream_in(personalize, personalize_events,
                                                                           personalize_runtime, aws_client,
                                                                           wait_for, unique_name):
    """The popular-now term at serving: a user whose newest event is days before the data's end is lifted towards
    the current period's new items; once their events stream in, they are in a session, and what follows counts."""
    waves = WavesCampaign(personalize, aws_client("s3"), wait_for, unique_name)
    before = waves.ranking(personalize_runtime)
    assert waves.now_popular(before) == synthetic.WAVE_ITEMS   # their order among the first 10 varies with the CPU
    waves.stream(personalize_events, "p3a")
    after = waves.ranking(personalize_runtime)   # in a session: less of what is popular, more of what follows
    assert waves.now_popular(after) < waves.now_popular(before)


FAST_DAY = 0.5   # wall seconds in a day of the fast clock's server: a week passes in 3.5 s


@pytest.fixture(scope="module")
def fast_clock(tmp_path_factory):
    """Clients of a server of its own whose days pass in FAST_DAY seconds."""
    with own_server(tmp_path_factory.mktemp("fast-clock"), day_seconds=FAST_DAY) as server:
        yield clients(server)


def test_a_user_whose_events_streamed_in_is_away_again_once_the_servers_clock_ran_a_week(fast_clock, wait_for,
                                                                                          unique_name):
    """Time away runs on the server's clock from when the user's latest event arrived, whatever its sentAt: a
    week of it later (in --day-seconds days) they get what is popular now again."""
    runtime, events = fast_clock("personalize-runtime"), fast_clock("personalize-events")
    waves = WavesCampaign(fast_clock("personalize"), fast_clock("s3"), wait_for, unique_name)
    before = waves.ranking(runtime)
    assert waves.now_popular(before) == synthetic.WAVE_ITEMS
    for _ in range(5):   # a loaded machine may take a day of this clock to answer: stream again and ask again
        sent = time.monotonic()
        waves.stream(events, "p3a", "p3b")   # a whole pair: what follows is no one item
        streamed = time.monotonic()
        after = waves.ranking(runtime)
        if time.monotonic() - sent < FAST_DAY:
            break
    else:
        pytest.fail(f"no answer came within {FAST_DAY} s of streaming an event")
    # within a day of it: in a session, or back within the day, a gap that no validation event of these data had
    assert waves.now_popular(after) < waves.now_popular(before)
    time.sleep(max(0.0, streamed + 7 * FAST_DAY * popular_now.SETTLE - time.monotonic()) + 0.05)
    back = waves.ranking(runtime)   # a week since it arrived, whatever its sentAt says
    # a version may lift them a little within a session too (1 training in 10 kept 4 in the first 10, 2 in the
    # first 5): a week later they are back among the very first
    assert waves.now_popular(back) >= synthetic.WAVE_ITEMS - 1, back
    assert waves.now_popular(back, first=5) > waves.now_popular(after, first=5), (back, after)


class WavesCampaign:
    """A campaign of aws-user-personalization trained on synthetic.waves, with exploration off, and the user back
    the longest ago, more than a week before the data's end."""

    def __init__(self, personalize, s3, wait_for, unique_name) -> None:
        name = unique_name("waves")
        rows = synthetic.waves(users=400)
        self.group = steps.loaded_group(personalize, s3, lambda describe: wait_for(describe, timeout=300), name,
                                        rows)["group"]
        solution = personalize.create_solution(
            name=name, datasetGroupArn=self.group, recipeArn=UP, performAutoTraining=False, solutionConfig={
                "algorithmHyperParameters": {"hidden_dimension": "8", "bptt": "8", "recency_mask": "false"}}
        )["solutionArn"]
        wait_for(lambda: personalize.describe_solution(solutionArn=solution))
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
        self.arn = steps.campaign(personalize, wait_for, version, unique_name("c"), itemExplorationConfig={
            "explorationWeight": "0"})
        self.end = max(timestamp for _, _, timestamp in rows)
        last = {}
        for user, _, timestamp in rows:
            last[user] = timestamp
        self.user = min(last, key=last.__getitem__)
        assert self.end - last[self.user] > 7 * synthetic.DAY
        tracker = personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=self.group)
        self.tracking_id = wait_for(lambda: personalize.describe_event_tracker(
            eventTrackerArn=tracker["eventTrackerArn"]))["trackingId"]
        self.session = unique_name("s")

    def ranking(self, runtime) -> list[str]:
        return ranking(runtime, self.arn, self.user)

    def stream(self, events, *items: str) -> None:
        """Clicks of the user's, sent 30 s apart from 30 s after the data's end."""
        events.put_events(trackingId=self.tracking_id, userId=self.user, sessionId=self.session, eventList=[
            {"eventType": "click", "itemId": item, "sentAt": self.end + 30 * (n + 1)} for n, item in enumerate(items)])

    @staticmethod
    def now_popular(items: list[str], first: int = 10) -> int:
        """Of the current period's WAVE_ITEMS new items, how many are among the `first` (of 65 items taken)."""
        return sum(item.startswith(f"w{synthetic.WAVES - 1}-") for item in items[:first])
