"""personalize-runtime: recommendations and rankings from ACTIVE campaigns."""

import uuid
from dataclasses import dataclass

import numpy as np

from emulator import exploration
from emulator.context import RequestContext
from emulator.datasets.schemas import parse_schema
from emulator.errors import InvalidInputException, ResourceNotFoundException
from emulator.jobs import lifecycle
from emulator.recipes.metrics import top_k
from emulator.serving import Deployed
from emulator.store.arns import dataset_arn
from service_model import recipes as catalogue

DEFAULT_RESULTS, MAX_RESULTS = 25, 500   # spec: personalize-behavior.md §8.1
MAX_RANKED = 500                         # spec: personalize-behavior.md §8.2
MAX_WITH_METADATA = 50


@dataclass
class Target:
    """What a campaign serves right now."""
    campaign: dict
    version_arn: str
    recipe: str
    recipe_type: str
    deployed: Deployed
    group: str


def get_recommendations(ctx: RequestContext, *, campaign_arn: str | None = None,
                        recommender_arn: str | None = None, user_id: str | None = None,
                        item_id: str | None = None, num_results: int | None = None, context: dict | None = None,
                        filter_arn: str | None = None, filter_values: dict | None = None,
                        promotions: list | None = None, metadata_columns: dict | None = None) -> dict:
    if bool(campaign_arn) == bool(recommender_arn):
        raise InvalidInputException("Give exactly one of campaignArn and recommenderArn.")
    if recommender_arn:
        raise ResourceNotFoundException(f"Recommender {recommender_arn} does not exist.")
    target = _target(ctx, campaign_arn)
    _check_options(target, filter_arn, metadata_columns, promotions)
    count = num_results or DEFAULT_RESULTS
    if count > MAX_RESULTS:
        raise InvalidInputException(f"numResults must be at most {MAX_RESULTS}.")
    serving = ctx.env.serving
    if target.recipe_type == "RELATED_ITEMS":
        if item_id is None:
            raise InvalidInputException(f"itemId is required for a RELATED_ITEMS campaign ({target.recipe}).")
        scores = serving.related_scores(target.version_arn, item_id)
    elif target.recipe_type == "USER_PERSONALIZATION":
        if user_id is None and target.recipe != "aws-popularity-count":
            raise InvalidInputException(f"userId is required for a USER_PERSONALIZATION campaign ({target.recipe}).")
        scores = serving.scores(target.version_arn, user_id)
    else:
        raise InvalidInputException(f"GetRecommendations does not serve {target.recipe_type} campaigns "
                                    f"({target.recipe}); use the operation made for them.")
    if target.recipe in exploration.EXPLORING_RECIPES:
        weight, cut_off = exploration.settings(target.campaign.get("campaignConfig"))
        scores = exploration.explore(scores, target.deployed.stats, weight, cut_off, f"{campaign_arn}|{user_id}")
    best = top_k(scores, min(count, int(np.isfinite(scores).sum())))
    item_ids = target.deployed.model.item_ids
    if not target.deployed.model.returns_scores:
        items = [{"itemId": str(item_ids[i])} for i in best]
    else:
        # spec: personalize-behavior.md §8.1: a softmax over the whole catalogue, 7 decimals
        items = _scored(item_ids, best, _softmax(scores)[best])
    _add_metadata(ctx, target, items, metadata_columns)
    return {"itemList": items, "recommendationId": f"RID-{uuid.uuid4()}"}


def get_personalized_ranking(ctx: RequestContext, *, campaign_arn: str, input_list: list[str], user_id: str,
                             context: dict | None = None, filter_arn: str | None = None,
                             filter_values: dict | None = None, metadata_columns: dict | None = None) -> dict:
    """The input items by the user's scores; a softmax over the known ones; unknown items last, unscored.
    spec: personalize-behavior.md §8.2"""
    target = _target(ctx, campaign_arn)
    _check_options(target, filter_arn, metadata_columns)
    if target.recipe_type != "PERSONALIZED_RANKING":
        raise InvalidInputException(f"GetPersonalizedRanking needs a PERSONALIZED_RANKING campaign; this one serves "
                                    f"{target.recipe_type} ({target.recipe}).")
    if not input_list or len(input_list) > MAX_RANKED:
        raise InvalidInputException(f"inputList must hold 1 to {MAX_RANKED} item ids; it holds {len(input_list)}.")
    index = target.deployed.item_index
    known = list(dict.fromkeys(item for item in input_list if item in index))
    unknown = list(dict.fromkeys(item for item in input_list if item not in index))
    scores = ctx.env.serving.scores(target.version_arn, user_id)[[index[item] for item in known]]
    order = top_k(scores, len(known))
    ranked = _scored(np.asarray(known), order, _softmax(scores)[order]) + [{"itemId": item} for item in unknown]
    _add_metadata(ctx, target, ranked, metadata_columns)
    return {"personalizedRanking": ranked, "recommendationId": f"RID-{uuid.uuid4()}"}


def _target(ctx: RequestContext, campaign_arn: str) -> Target:
    campaign = ctx.store.get("campaign", campaign_arn)
    if campaign["status"] != lifecycle.ACTIVE:
        raise ResourceNotFoundException(f"Campaign {campaign_arn} is {campaign['status']}, not ACTIVE.")
    version = ctx.store.get("solution-version", campaign["solutionVersionArn"])
    return Target(campaign, version["solutionVersionArn"], catalogue.recipe_name(version["recipeArn"]),
                  catalogue.recipe(version["recipeArn"])["recipeType"],
                  ctx.env.serving.deployed(version["solutionVersionArn"]), version["datasetGroupArn"])


def _check_options(target: Target, filter_arn: str | None, metadata_columns: dict | None,
                   promotions: list | None = None) -> None:
    """Options that need resources this emulator cannot create yet are refused, not silently ignored."""
    for arn in [filter_arn] + [promotion.get("filterArn") for promotion in promotions or []]:
        if arn:
            raise ResourceNotFoundException(f"Filter {arn} does not exist.")
    if metadata_columns and not (target.campaign.get("campaignConfig") or {}).get("enableMetadataWithRecommendations"):
        raise InvalidInputException("metadataColumns needs a campaign created with "
                                    "campaignConfig.enableMetadataWithRecommendations.")


def _add_metadata(ctx: RequestContext, target: Target, items: list[dict], metadata_columns: dict | None) -> None:
    """Each item's requested Items columns, as strings. spec: personalize-behavior.md §8.1"""
    columns = (metadata_columns or {}).get("ITEMS")
    if not columns:
        return
    if len(items) > MAX_WITH_METADATA:
        raise InvalidInputException(f"With metadataColumns at most {MAX_WITH_METADATA} results can be returned.")
    unknown = set(columns) - set(_items_schema(ctx, target.group).names)
    if unknown:
        raise InvalidInputException(f"The Items dataset has no columns {', '.join(sorted(unknown))}.")
    found = ctx.env.serving.item_metadata(target.group, [item["itemId"] for item in items], columns)
    for item in items:
        item["metadata"] = found.get(item["itemId"], {})


def _items_schema(ctx: RequestContext, group: str):
    dataset = ctx.store.find("dataset", dataset_arn(group, "ITEMS"))
    if dataset is None:
        raise InvalidInputException(f"Dataset group {group} has no Items dataset to take metadata from.")
    return parse_schema(ctx.store.get("schema", dataset["schemaArn"])["schema"])


def _softmax(scores: np.ndarray) -> np.ndarray:
    shifted = np.exp(scores - scores[np.isfinite(scores)].max())
    return shifted / shifted.sum()


def _scored(item_ids: np.ndarray, best: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    return [{"itemId": str(item_ids[i]), "score": round(float(p), 7)} for i, p in zip(best, probabilities)]
