"""personalize-runtime: recommendations, rankings and actions from ACTIVE campaigns and recommenders."""

from emulator import recommending
from emulator.request_context import RequestContext
from emulator.datasets import group as group_data
from emulator.errors import InvalidInputException, ResourceNotFoundException
from emulator.recipes.use_cases import USE_CASES
from emulator.recommending import Source
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn
from service_model import recipes as catalogue

DEFAULT_RESULTS, MAX_RESULTS = 25, 500   # spec: personalize-behavior.md §8.1
MAX_RANKED = 500                         # spec: personalize-behavior.md §8.2
MAX_WITH_METADATA = 50
DEFAULT_ACTIONS, MAX_ACTIONS = 5, 100    # spec: personalize-behavior.md §8.3


def get_recommendations(ctx: RequestContext, *, campaign_arn: str | None = None,
                        recommender_arn: str | None = None, user_id: str | None = None,
                        item_id: str | None = None, num_results: int | None = None, context: dict | None = None,
                        filter_arn: str | None = None, filter_values: dict | None = None,
                        promotions: list | None = None, metadata_columns: dict | None = None) -> dict:
    if bool(campaign_arn) == bool(recommender_arn):
        raise InvalidInputException("Give exactly one of campaignArn and recommenderArn.")
    source = _campaign(ctx, campaign_arn) if campaign_arn else _recommender(ctx, recommender_arn)
    if source.recipe_type not in ("USER_PERSONALIZATION", "RELATED_ITEMS", "POPULAR_ITEMS"):
        raise InvalidInputException(f"GetRecommendations does not serve {source.recipe_type} recipes "
                                    f"({source.recipe}); use the operation made for them.")
    _check_ids(source, user_id, item_id)
    count = num_results or DEFAULT_RESULTS
    limit = MAX_WITH_METADATA if metadata_columns else MAX_RESULTS
    if count > limit:
        raise InvalidInputException(f"numResults must be at most {limit}{' with metadataColumns' * bool(metadata_columns)}.")
    items = recommending.recommend(ctx.env, source, user_id=user_id, item_id=item_id, count=count,
                                   filter_arn=filter_arn, filter_values=filter_values, promotions=promotions,
                                   context=context)
    _add_metadata(ctx, source, items, metadata_columns)
    return {"itemList": items, "recommendationId": _issue(ctx, source)}


def get_personalized_ranking(ctx: RequestContext, *, campaign_arn: str, input_list: list[str], user_id: str,
                             context: dict | None = None, filter_arn: str | None = None,
                             filter_values: dict | None = None, metadata_columns: dict | None = None) -> dict:
    source = _campaign(ctx, campaign_arn)
    if source.recipe_type != "PERSONALIZED_RANKING":
        raise InvalidInputException(f"GetPersonalizedRanking needs a PERSONALIZED_RANKING campaign; this one serves "
                                    f"{source.recipe_type} ({source.recipe}).")
    limit = MAX_WITH_METADATA if metadata_columns else MAX_RANKED
    if not input_list or len(input_list) > limit:
        raise InvalidInputException(f"inputList must hold 1 to {limit} item ids; it holds {len(input_list)}.")
    ranked = recommending.rank(ctx.env, source, user_id=user_id, input_list=input_list, filter_arn=filter_arn,
                               filter_values=filter_values, context=context)
    _add_metadata(ctx, source, ranked, metadata_columns)
    return {"personalizedRanking": ranked, "recommendationId": _issue(ctx, source)}


def get_action_recommendations(ctx: RequestContext, *, campaign_arn: str | None = None, user_id: str | None = None,
                               num_results: int | None = None, filter_arn: str | None = None,
                               filter_values: dict | None = None) -> dict:
    if not campaign_arn:
        raise InvalidInputException("campaignArn is required.")
    source = _campaign(ctx, campaign_arn)
    if source.recipe_type != "PERSONALIZED_ACTIONS":
        raise InvalidInputException(f"GetActionRecommendations needs a PERSONALIZED_ACTIONS campaign; this one "
                                    f"serves {source.recipe_type} ({source.recipe}).")
    if not user_id:
        raise InvalidInputException("userId is required for action recommendations.")
    count = num_results or DEFAULT_ACTIONS
    if count > MAX_ACTIONS:
        raise InvalidInputException(f"numResults must be at most {MAX_ACTIONS}.")
    actions = recommending.actions(ctx.env, source, user_id=user_id, count=count, filter_arn=filter_arn,
                                   filter_values=filter_values)
    return {"actionList": actions, "recommendationId": _issue(ctx, source)}


def _campaign(ctx: RequestContext, campaign_arn: str) -> Source:
    campaign = ctx.store.shared("campaign", campaign_arn)
    if campaign["status"] != lifecycle.ACTIVE:
        raise ResourceNotFoundException(f"Campaign {campaign_arn} is {campaign['status']}, not ACTIVE.")
    version = ctx.store.shared("solution-version", campaign["solutionVersionArn"])
    recipe_arn = version["recipeArn"]
    return Source(campaign_arn, version["solutionVersionArn"], catalogue.recipe_name(recipe_arn),
                  catalogue.recipe_type(recipe_arn), version["datasetGroupArn"], campaign.get("campaignConfig") or {},
                  ctx.env.deployed.model(version["solutionVersionArn"]))


def _recommender(ctx: RequestContext, recommender_arn: str) -> Source:
    recommender = ctx.store.shared("recommender", recommender_arn)
    if recommender["status"] == lifecycle.INACTIVE:
        raise InvalidInputException(f"Recommender {recommender_arn} is stopped (INACTIVE); start it to get "
                                    "recommendations.")
    if recommender["status"] not in (lifecycle.ACTIVE, lifecycle.STOP_PENDING, lifecycle.STOP_IN_PROGRESS):
        raise ResourceNotFoundException(f"Recommender {recommender_arn} is {recommender['status']}, not ACTIVE.")
    name = catalogue.recipe_name(recommender["recipeArn"])
    return Source(recommender_arn, recommender_arn, name, catalogue.recipe_type(recommender["recipeArn"]),
                  recommender["datasetGroupArn"], recommender.get("recommenderConfig") or {},
                  ctx.env.deployed.model(recommender_arn), USE_CASES[name].excluded)


def _check_ids(source: Source, user_id: str | None, item_id: str | None) -> None:
    """spec: personalize-behavior.md §8.1: which id each recipe type and use case needs."""
    use_case = USE_CASES.get(source.recipe)
    needs_item = use_case.needs_item if use_case else source.recipe_type == "RELATED_ITEMS"
    needs_user = use_case.needs_user if use_case else (source.recipe_type == "USER_PERSONALIZATION"
                                                       and not catalogue.traits(source.recipe).user_optional)
    if needs_item and item_id is None:
        raise InvalidInputException(f"itemId is required for {source.recipe_type} recipes ({source.recipe}).")
    if needs_user and user_id is None:
        raise InvalidInputException(f"userId is required for {source.recipe_type} recipes ({source.recipe}).")


def _issue(ctx: RequestContext, source: Source) -> str:
    return ctx.env.recommendation_ids.issue(source.arn)


def _add_metadata(ctx: RequestContext, source: Source, items: list[dict], metadata_columns: dict | None) -> None:
    """Each item's requested Items columns, as strings. spec: personalize-behavior.md §8.1"""
    columns = (metadata_columns or {}).get("ITEMS")
    if not metadata_columns:
        return
    if not source.config.get("enableMetadataWithRecommendations") and not catalogue.traits(source.recipe).v2:
        raise InvalidInputException("metadataColumns needs a campaign or recommender created with "
                                    "enableMetadataWithRecommendations.")
    schema = group_data.schemas(ctx.store, source.group).get("ITEMS")
    if schema is None:
        raise InvalidInputException(f"Dataset group {source.group} has no Items dataset to take metadata from.")
    unknown = set(columns or ()) - set(schema.names)
    if unknown:
        raise InvalidInputException(f"The Items dataset has no columns {', '.join(sorted(unknown))}.")
    found = ctx.env.rows.records_of(dataset_arn(source.group, "ITEMS"), [item["itemId"] for item in items])
    for position, item in enumerate(items):   # new entries: recommending may keep the ones it answered with
        values = found.get(item["itemId"], {})
        items[position] = {**item, "metadata": {column: str(values[column]) for column in columns or ()
                                                 if values.get(column) is not None}}
