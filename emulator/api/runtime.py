"""personalize-runtime: recommendations from ACTIVE campaigns."""

import uuid

import numpy as np

from emulator import exploration
from emulator.context import RequestContext
from emulator.errors import InvalidInputException, ResourceNotFoundException
from emulator.jobs import lifecycle
from emulator.recipes.metrics import top_k
from service_model import recipes as catalogue

DEFAULT_RESULTS, MAX_RESULTS = 25, 500   # spec: personalize-behavior.md §8.1


def get_recommendations(ctx: RequestContext, *, campaign_arn: str | None = None,
                        recommender_arn: str | None = None, user_id: str | None = None,
                        item_id: str | None = None, num_results: int | None = None, **_unused) -> dict:
    if bool(campaign_arn) == bool(recommender_arn):
        raise InvalidInputException("Give exactly one of campaignArn and recommenderArn.")
    if recommender_arn:
        raise ResourceNotFoundException(f"Recommender {recommender_arn} does not exist.")
    campaign = _active_campaign(ctx, campaign_arn)
    version = ctx.store.get("solution-version", campaign["solutionVersionArn"])
    recipe = catalogue.recipe_name(version["recipeArn"])
    count = num_results or DEFAULT_RESULTS
    if count > MAX_RESULTS:
        raise InvalidInputException(f"numResults must be at most {MAX_RESULTS}.")
    serving = ctx.env.serving
    deployed = serving.deployed(version["solutionVersionArn"])
    recipe_type = catalogue.recipe(version["recipeArn"])["recipeType"]
    if recipe_type == "RELATED_ITEMS":
        if item_id is None:
            raise InvalidInputException(f"itemId is required for a RELATED_ITEMS campaign ({recipe}).")
        scores = serving.related_scores(version["solutionVersionArn"], item_id)
    elif recipe_type == "USER_PERSONALIZATION":
        if user_id is None and recipe != "aws-popularity-count":
            raise InvalidInputException(f"userId is required for a USER_PERSONALIZATION campaign ({recipe}).")
        scores = serving.scores(version["solutionVersionArn"], user_id)
    else:
        raise InvalidInputException(f"GetRecommendations does not serve {recipe_type} campaigns ({recipe}).")
    if recipe in exploration.EXPLORING_RECIPES:
        weight, cut_off = exploration.settings(campaign.get("campaignConfig"))
        scores = exploration.explore(scores, deployed.stats, weight, cut_off, f"{campaign_arn}|{user_id}")
    return {"itemList": _top(scores, count, deployed.model.item_ids, deployed.model.returns_scores),
            "recommendationId": f"RID-{uuid.uuid4()}"}


def _active_campaign(ctx: RequestContext, campaign_arn: str) -> dict:
    campaign = ctx.store.get("campaign", campaign_arn)
    if campaign["status"] != lifecycle.ACTIVE:
        raise ResourceNotFoundException(f"Campaign {campaign_arn} is {campaign['status']}, not ACTIVE.")
    return campaign


def _top(scores: np.ndarray, count: int, item_ids: np.ndarray, with_scores: bool) -> list[dict]:
    """The best `count` items, best first; ties keep catalogue order, so results are deterministic.
    Items scored -inf (a related-items query itself) are never returned."""
    best = top_k(scores, min(count, int(np.isfinite(scores).sum())))
    if not with_scores:
        return [{"itemId": str(item_ids[i])} for i in best]
    # spec: personalize-behavior.md §8.1: a softmax over the whole catalogue, 7 decimals
    shifted = np.exp(scores - scores.max())
    probabilities = shifted[best] / shifted.sum()
    return [{"itemId": str(item_ids[i]), "score": round(float(p), 7)} for i, p in zip(best, probabilities)]
