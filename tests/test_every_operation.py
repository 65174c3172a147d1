"""Every operation of personalize, personalize-events and personalize-runtime answers valid input, walked as a
user would: data in, models trained, served, exported, deleted. (tests/protocol/test_robustness.py sends every
operation invalid input.) Responses are checked against their output shapes by the strict server."""

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from service_model import SERVICES, load
from tests import synthetic

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
RECIPE = "arn:aws:personalize:::recipe/{}"
ACTIONS = [f"act{n}" for n in range(4)]


def schema(name: str, fields: list[dict]) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "fields": fields, "version": "1.0"})


INTERACTIONS = schema("Interactions", [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                                       {"name": "EVENT_TYPE", "type": "string"},
                                       {"name": "TIMESTAMP", "type": "long"}])
USERS = schema("Users", [{"name": "USER_ID", "type": "string"},
                         {"name": "TIER", "type": "string", "categorical": True}])
ACTIONS_SCHEMA = schema("Actions", [{"name": "ACTION_ID", "type": "string"}, {"name": "VALUE", "type": ["null", "long"]},
                                    {"name": "KIND", "type": "string", "categorical": True}])
ACTION_INTERACTIONS = schema("ActionInteractions", [
    {"name": "USER_ID", "type": "string"}, {"name": "ACTION_ID", "type": "string"},
    {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}])


def action_events() -> list[tuple]:
    """Users of taste a take act0 and pass on act1; taste b the other way round; act2 and act3 are viewed."""
    rows = []
    for user in range(60):
        fond, other = ("act0", "act1") if user < 30 else ("act1", "act0")
        for step in range(12):
            stamp = synthetic.START + user * 10_000 + step * 3_600
            rows.append((f"user{user}", fond, "TAKEN", stamp))
            rows.append((f"user{user}", other, "NOT_TAKEN", stamp + 60))
            rows.append((f"user{user}", ACTIONS[2 + step % 2], "VIEWED", stamp + 120))
    return rows


@pytest.fixture(scope="module")
def answered(aws_client):
    """Clients that record each operation answered with success, per service."""
    seen: dict[str, set[str]] = {service: set() for service in SERVICES}
    clients = {}
    for service in SERVICES:
        client = aws_client(service)

        def record(http_response, model, service=service, **_):
            if http_response.status_code < 300:
                seen[service].add(model.name)
        client.meta.events.register("after-call", record)
        clients[service] = client
    return clients, seen


@dataclass
class Walk:
    """What each step of the walk uses: the recording clients, S3, and the walk's name (also its bucket's)."""
    p: object   # personalize
    events: object
    runtime: object
    s3: object
    name: str
    wait_for: Callable

    def wait(self, describe, status: str = "ACTIVE") -> dict:
        return self.wait_for(describe, status, timeout=300)

    def upload(self, key: str, rows: list[tuple], header: tuple) -> str:
        self.s3.put_object(Bucket=self.name, Key=key, Body=synthetic.to_csv(rows, header))
        return f"s3://{self.name}/{key}"


def test_every_operation_answers_valid_input(answered, aws_client, wait_for):
    clients, seen = answered
    walk = Walk(clients["personalize"], clients["personalize-events"], clients["personalize-runtime"],
                aws_client("s3"), f"every-{uuid.uuid4().hex[:6]}", wait_for)
    walk.s3.create_bucket(Bucket=walk.name)
    read_the_catalogue(walk)
    group, datasets, wider = load_a_group_with_all_five_datasets(walk)
    tracker = stream_data(walk, group, datasets)
    solutions, versions = train_each_recipe_type(walk, group)
    campaigns, drama = serve(walk, group, versions)
    run_batch_jobs(walk, versions)
    attribution = export_delete_and_attribute(walk, group, datasets)
    tag_and_untag(walk, group)
    recommender = serve_a_domain_recommender(walk)
    delete_everything(walk, group, datasets, wider, tracker, solutions, campaigns, drama, attribution, recommender)

    for service in SERVICES:
        missing = set(load(service).operation_names) - seen[service]
        assert not missing, f"{service} operations never answered valid input: {sorted(missing)}"


def read_the_catalogue(walk: Walk) -> None:
    p = walk.p
    p.list_recipes()
    p.describe_recipe(recipeArn=RECIPE.format("aws-sims"))
    algorithm = p.describe_recipe(recipeArn=RECIPE.format("aws-user-personalization"))["recipe"]
    p.describe_algorithm(algorithmArn=algorithm["algorithmArn"])
    p.describe_feature_transformation(featureTransformationArn=algorithm["featureTransformationArn"])


def load_a_group_with_all_five_datasets(walk: Walk) -> tuple[str, dict[str, str], str]:
    """(group, dataset ARN by type, the wider Users schema the Users dataset was updated to)."""
    p, wait, name = walk.p, walk.wait, walk.name
    group = p.create_dataset_group(name=name)["datasetGroupArn"]
    wait(lambda: p.describe_dataset_group(datasetGroupArn=group))
    p.list_dataset_groups()
    datasets = {}
    for kind, text, header, rows in [
            ("Interactions", INTERACTIONS, ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"),
             [(u, i, "click", t) for u, i, t in synthetic.two_tastes(seed=11)]),
            ("Items", synthetic.ITEMS_SCHEMA, ("ITEM_ID", "GENRE", "PRICE"), synthetic.items_of_two_tastes()),
            ("Users", USERS, ("USER_ID", "TIER"), [(f"user{n}", "gold" if n % 2 else "basic") for n in range(60)]),
            ("Actions", ACTIONS_SCHEMA, ("ACTION_ID", "VALUE", "KIND"), [(a, n, "offer") for n, a in enumerate(ACTIONS)]),
            ("Action_Interactions", ACTION_INTERACTIONS, ("USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP"),
             action_events())]:
        schema_arn = p.create_schema(name=f"{name}-{kind}", schema=text)["schemaArn"]
        dataset = p.create_dataset(name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=group,
                                   datasetType=kind)["datasetArn"]
        wait(lambda: p.describe_dataset(datasetArn=dataset))
        job = p.create_dataset_import_job(jobName=f"{name}-{kind}", datasetArn=dataset, roleArn=ROLE,
                                          dataSource={"dataLocation": walk.upload(f"{kind}.csv", rows, header)})
        wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
        datasets[kind] = dataset
    p.describe_schema(schemaArn=schema_arn)
    p.list_schemas()
    p.list_datasets(datasetGroupArn=group)
    p.list_dataset_import_jobs(datasetArn=datasets["Interactions"])
    wider = p.create_schema(name=f"{name}-users2", schema=schema("Users", [
        {"name": "USER_ID", "type": "string"}, {"name": "TIER", "type": "string", "categorical": True},
        {"name": "AGE", "type": ["null", "int"]}]))["schemaArn"]
    p.update_dataset(datasetArn=datasets["Users"], schemaArn=wider)
    wait(lambda: p.describe_dataset(datasetArn=datasets["Users"]))
    return group, datasets, wider


def stream_data(walk: Walk, group: str, datasets: dict[str, str]) -> dict:
    """The event tracker (CreateEventTracker's answer) that events were put through."""
    p, events, wait = walk.p, walk.events, walk.wait
    tracker = p.create_event_tracker(name=walk.name, datasetGroupArn=group)
    wait(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    p.list_event_trackers(datasetGroupArn=group)
    events.put_events(trackingId=tracker["trackingId"], userId="user1", sessionId="s1",
                      eventList=[{"eventType": "click", "itemId": "a3", "sentAt": time.time()}])
    events.put_items(datasetArn=datasets["Items"], items=[{"itemId": "a99", "properties": '{"genre": "comedy"}'}])
    events.put_users(datasetArn=datasets["Users"], users=[{"userId": "user99", "properties": '{"tier": "gold"}'}])
    events.put_actions(datasetArn=datasets["Actions"], actions=[{"actionId": "act9",
                                                                 "properties": '{"value": 3, "kind": "offer"}'}])
    action_tracking = p.describe_dataset(datasetArn=datasets["Action_Interactions"])["dataset"]["trackingId"]
    events.put_action_interactions(trackingId=action_tracking, actionInteractions=[
        {"actionId": "act0", "userId": "user1", "sessionId": "s1", "timestamp": time.time(), "eventType": "Viewed"}])
    return tracker


def train_each_recipe_type(walk: Walk, group: str) -> tuple[dict[str, str], dict[str, str]]:
    """(solution ARN by recipe, its ACTIVE version's ARN by recipe); the last solution also had a version stopped
    and its automatic training turned off."""
    p, wait, name = walk.p, walk.wait, walk.name
    solutions, versions = {}, {}
    for recipe in ("aws-popularity-count", "aws-personalized-ranking", "aws-sims", "aws-next-best-action",
                   "aws-item-affinity"):
        solution = p.create_solution(name=f"{name}-{recipe[4:]}", datasetGroupArn=group,
                                     recipeArn=RECIPE.format(recipe))["solutionArn"]
        wait(lambda: p.describe_solution(solutionArn=solution))
        solutions[recipe] = solution
        version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        versions[recipe] = wait(lambda: p.describe_solution_version(solutionVersionArn=version))["solutionVersionArn"]
    p.list_solutions(datasetGroupArn=group)
    p.list_solution_versions(solutionArn=solution)
    p.get_solution_metrics(solutionVersionArn=versions["aws-popularity-count"])
    stopped = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    p.stop_solution_version_creation(solutionVersionArn=stopped)
    wait(lambda: p.describe_solution_version(solutionVersionArn=stopped), "CREATE STOPPED")
    p.update_solution(solutionArn=solution, performAutoTraining=False)
    wait(lambda: {"update": p.describe_solution(solutionArn=solution)["solution"]["latestSolutionUpdate"]})
    return solutions, versions


def serve(walk: Walk, group: str, versions: dict[str, str]) -> tuple[dict[str, str], str]:
    """(campaign ARN by recipe, the filter's ARN)."""
    p, runtime, wait, name = walk.p, walk.runtime, walk.wait, walk.name
    campaigns = {recipe: p.create_campaign(name=f"{name}-{recipe[4:]}", solutionVersionArn=version)["campaignArn"]
                 for recipe, version in versions.items() if recipe != "aws-item-affinity"}
    for campaign in campaigns.values():
        wait(lambda: p.describe_campaign(campaignArn=campaign))
    p.list_campaigns()
    p.update_campaign(campaignArn=campaigns["aws-sims"], minProvisionedTPS=2)
    wait(lambda: {"update": p.describe_campaign(campaignArn=campaigns["aws-sims"])["campaign"]["latestCampaignUpdate"]})
    drama = p.create_filter(name=name, datasetGroupArn=group,
                            filterExpression='INCLUDE ItemID WHERE Items.GENRE IN ("drama")')["filterArn"]
    wait(lambda: p.describe_filter(filterArn=drama))
    p.list_filters(datasetGroupArn=group)
    runtime.get_recommendations(campaignArn=campaigns["aws-popularity-count"], userId="user1", filterArn=drama)
    runtime.get_personalized_ranking(campaignArn=campaigns["aws-personalized-ranking"], userId="user1",
                                     inputList=["a1", "b1"])
    actions = runtime.get_action_recommendations(campaignArn=campaigns["aws-next-best-action"], userId="user2")
    assert actions["actionList"][0]["actionId"] == "act0"
    return campaigns, drama


def run_batch_jobs(walk: Walk, versions: dict[str, str]) -> None:
    p, s3, wait, name = walk.p, walk.s3, walk.wait, walk.name
    s3.put_object(Bucket=name, Key="in/users.json", Body=b'{"userId": "user1"}\n')
    s3.put_object(Bucket=name, Key="in/items.json", Body=b'{"itemId": "a1"}\n')
    inference = p.create_batch_inference_job(
        jobName=name, solutionVersionArn=versions["aws-popularity-count"], roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{name}/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{name}/out/inference/"}})["batchInferenceJobArn"]
    wait(lambda: p.describe_batch_inference_job(batchInferenceJobArn=inference))
    p.list_batch_inference_jobs()
    segment = p.create_batch_segment_job(
        jobName=name, solutionVersionArn=versions["aws-item-affinity"], roleArn=ROLE, numResults=5,
        jobInput={"s3DataSource": {"path": f"s3://{name}/in/items.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{name}/out/segments/"}})["batchSegmentJobArn"]
    wait(lambda: p.describe_batch_segment_job(batchSegmentJobArn=segment))
    p.list_batch_segment_jobs()
    users = json.loads(s3.get_object(Bucket=name, Key="out/segments/items.json.out")["Body"].read())
    assert len(users["output"]["usersList"]) == 5


def export_delete_and_attribute(walk: Walk, group: str, datasets: dict[str, str]) -> str:
    """The metric attribution's ARN."""
    p, wait, name = walk.p, walk.wait, walk.name
    export = p.create_dataset_export_job(jobName=name, datasetArn=datasets["Users"], roleArn=ROLE,
                                         jobOutput={"s3DataDestination": {"path": f"s3://{name}/export/"}})
    wait(lambda: p.describe_dataset_export_job(datasetExportJobArn=export["datasetExportJobArn"]))
    p.list_dataset_export_jobs()
    deletion = p.create_data_deletion_job(jobName=name, datasetGroupArn=group, roleArn=ROLE,
                                          dataSource={"dataLocation": walk.upload("forget.csv", [("user59",)],
                                                                                  ("USER_ID",))})["dataDeletionJobArn"]
    wait(lambda: p.describe_data_deletion_job(dataDeletionJobArn=deletion), "COMPLETED")
    p.list_data_deletion_jobs(datasetGroupArn=group)
    attribution = p.create_metric_attribution(
        name=name, datasetGroupArn=group, metricsOutputConfig={"roleArn": ROLE},
        metrics=[{"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}])["metricAttributionArn"]
    wait(lambda: p.describe_metric_attribution(metricAttributionArn=attribution))
    p.list_metric_attributions(datasetGroupArn=group)
    p.list_metric_attribution_metrics(metricAttributionArn=attribution)
    p.update_metric_attribution(metricAttributionArn=attribution, addMetrics=[
        {"eventType": "click", "metricName": "CLICKS2", "expression": "SAMPLECOUNT()"}])
    return attribution


def tag_and_untag(walk: Walk, group: str) -> None:
    walk.p.tag_resource(resourceArn=group, tags=[{"tagKey": "team", "tagValue": "search"}])
    walk.p.list_tags_for_resource(resourceArn=group)
    walk.p.untag_resource(resourceArn=group, tagKeys=["team"])


def serve_a_domain_recommender(walk: Walk) -> str:
    """The recommender's ARN, in an ECOMMERCE group of its own, stopped and started again."""
    p, wait, name = walk.p, walk.wait, walk.name
    recommender_group = p.create_dataset_group(name=f"{name}-shop", domain="ECOMMERCE")["datasetGroupArn"]
    wait(lambda: p.describe_dataset_group(datasetGroupArn=recommender_group))
    shop_schema = p.create_schema(name=f"{name}-shop", schema=INTERACTIONS, domain="ECOMMERCE")["schemaArn"]
    shop_data = p.create_dataset(name=f"{name}-shop", schemaArn=shop_schema, datasetGroupArn=recommender_group,
                                 datasetType="Interactions")["datasetArn"]
    wait(lambda: p.describe_dataset(datasetArn=shop_data))
    views = [(u, i, "View", t) for u, i, t in synthetic.two_tastes(seed=12)]
    job = p.create_dataset_import_job(jobName=f"{name}-shop", datasetArn=shop_data, dataSource={
        "dataLocation": walk.upload("views.csv", views, ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"))})
    wait(lambda: p.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    recommender = p.create_recommender(name=name, datasetGroupArn=recommender_group,
                                       recipeArn=RECIPE.format("aws-ecomm-popular-items-by-views"))["recommenderArn"]
    wait(lambda: p.describe_recommender(recommenderArn=recommender))
    p.list_recommenders(datasetGroupArn=recommender_group)
    walk.runtime.get_recommendations(recommenderArn=recommender, userId="user1")
    p.update_recommender(recommenderArn=recommender, recommenderConfig={"minRecommendationRequestsPerSecond": 2})
    wait(lambda: {"update": p.describe_recommender(recommenderArn=recommender)["recommender"]["latestRecommenderUpdate"]})
    p.stop_recommender(recommenderArn=recommender)
    wait(lambda: p.describe_recommender(recommenderArn=recommender), "INACTIVE")
    p.start_recommender(recommenderArn=recommender)
    wait(lambda: p.describe_recommender(recommenderArn=recommender))
    return recommender


def delete_everything(walk: Walk, group: str, datasets: dict[str, str], wider: str, tracker: dict,
                      solutions: dict[str, str], campaigns: dict[str, str], drama: str, attribution: str,
                      recommender: str) -> None:
    p = walk.p
    for campaign in campaigns.values():
        p.delete_campaign(campaignArn=campaign)
    p.delete_recommender(recommenderArn=recommender)
    p.delete_filter(filterArn=drama)
    p.delete_metric_attribution(metricAttributionArn=attribution)
    p.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    gone(lambda: p.describe_campaign(campaignArn=campaigns["aws-sims"]))
    for solution in solutions.values():
        p.delete_solution(solutionArn=solution)
    for dataset in datasets.values():
        p.delete_dataset(datasetArn=dataset)
    for dataset in datasets.values():
        gone(lambda: p.describe_dataset(datasetArn=dataset))
    gone(lambda: p.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    gone(lambda: p.describe_filter(filterArn=drama))
    gone(lambda: p.describe_metric_attribution(metricAttributionArn=attribution))
    for solution in solutions.values():
        gone(lambda: p.describe_solution(solutionArn=solution))
    p.delete_dataset_group(datasetGroupArn=group)
    p.delete_schema(schemaArn=wider)


def gone(describe, timeout: float = 30.0) -> None:
    """Poll until describe() raises ResourceNotFoundException."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe()
        except Exception as error:   # botocore's modeled exceptions are generated per client
            if type(error).__name__ == "ResourceNotFoundException":
                return
            raise
        time.sleep(0.05)
    raise AssertionError("the resource was not deleted in time")
