"""Recommenders: the use cases of domain dataset groups, trained and served as one resource.
spec: personalize-behavior.md §3.12, §10"""

from emulator.api.personalize.common import begin_delete, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from emulator.jobs import updates
from emulator.store import lifecycle
from service_model import recipes as catalogue

KIND = "recommender"


def create_recommender(ctx: RequestContext, *, name: str, dataset_group_arn: str, recipe_arn: str,
                       recommender_config: dict | None = None, tags: list | None = None) -> dict:
    group = ctx.store.get("dataset-group", dataset_group_arn)
    recipe = catalogue.recipe(recipe_arn)
    if recipe is None:
        raise ResourceNotFoundException(f"Recipe {recipe_arn} does not exist.")
    if not group.get("domain"):
        raise InvalidInputException(f"{dataset_group_arn} has no domain; recommenders need a domain dataset group "
                                    "(use solutions and campaigns for custom ones).")
    if recipe.get("domain") != group["domain"]:
        raise InvalidInputException(f"{recipe['name']} is not a use case of the {group['domain']} domain.")
    require_active(group, "datasetGroupArn")
    arn = ctx.arn(KIND, name)
    record = {"name": name, "recommenderArn": arn, "datasetGroupArn": dataset_group_arn, "recipeArn": recipe_arn,
              "recommenderConfig": recommender_config or {}}   # spec §3.12: observed {} when none is given
    create_resource(ctx, KIND, record, "recommenderArn", group=dataset_group_arn, parent=dataset_group_arn, tags=tags)
    return {"recommenderArn": arn}


def describe_recommender(ctx: RequestContext, *, recommender_arn: str) -> dict:
    return {"recommender": ctx.store.get(KIND, recommender_arn)}


def list_recommenders(ctx: RequestContext, *, dataset_group_arn: str | None = None, next_token: str | None = None,
                      max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "recommenders", next_token, max_results, parent=dataset_group_arn)


def update_recommender(ctx: RequestContext, *, recommender_arn: str, recommender_config: dict) -> dict:
    with ctx.store.transaction():
        recommender = ctx.store.get(KIND, recommender_arn)
        _require(recommender, lifecycle.ACTIVE)
        if recommender.get("latestRecommenderUpdate", {}).get("status") in lifecycle.TRANSIENT:
            raise ResourceInUseException(f"Recommender {recommender_arn} is already being updated.")
        updates.begin(ctx.store, recommender_arn, "latestRecommenderUpdate",
                      recommenderConfig={**recommender.get("recommenderConfig", {}), **recommender_config})
        ctx.jobs.enqueue("update_recommender", recommender_arn)
    return {"recommenderArn": recommender_arn}


def stop_recommender(ctx: RequestContext, *, recommender_arn: str) -> dict:
    _move(ctx, recommender_arn, lifecycle.ACTIVE, lifecycle.STOP_PENDING, "stop_recommender")
    return {"recommenderArn": recommender_arn}


def start_recommender(ctx: RequestContext, *, recommender_arn: str) -> dict:
    _move(ctx, recommender_arn, lifecycle.INACTIVE, lifecycle.START_PENDING, "start_recommender")
    return {"recommenderArn": recommender_arn}


def delete_recommender(ctx: RequestContext, *, recommender_arn: str) -> None:
    begin_delete(ctx, KIND, recommender_arn)


def _move(ctx: RequestContext, arn: str, expected: str, status: str, task: str) -> None:
    with ctx.store.transaction():
        _require(ctx.store.get(KIND, arn), expected)
        ctx.store.set_status(arn, status)
        ctx.jobs.enqueue(task, arn)


def _require(recommender: dict, status: str) -> None:
    if recommender["status"] != status:
        raise ResourceInUseException(f"Recommender {recommender['recommenderArn']} is {recommender['status']}; "
                                     f"it must be {status} for this request.")
