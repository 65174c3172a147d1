"""Campaigns: a deployed solution version that answers GetRecommendations."""

from emulator.api.personalize.common import begin_delete, compact, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.errors import InvalidInputException, ResourceInUseException
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn
from emulator.jobs import updates
from service_model import recipes as catalogue

KIND = "campaign"
LATEST = "/$LATEST"


def create_campaign(ctx: RequestContext, *, name: str, solution_version_arn: str,
                    min_provisioned_tps: int | None = None, campaign_config: dict | None = None,
                    tags: list | None = None) -> dict:
    version = _deployable(ctx, solution_version_arn, campaign_config)
    solution_version_arn = version["solutionVersionArn"]
    if (campaign_config or {}).get("enableMetadataWithRecommendations"):
        if ctx.store.find("dataset", dataset_arn(version["datasetGroupArn"], "ITEMS")) is None:
            raise InvalidInputException("enableMetadataWithRecommendations needs an Items dataset in the group.")
    arn = ctx.arn(KIND, name)
    record = compact(name=name, campaignArn=arn, solutionVersionArn=solution_version_arn,
                     minProvisionedTPS=min_provisioned_tps or 1, campaignConfig=campaign_config)
    create_resource(ctx, KIND, record, "campaignArn", group=version["datasetGroupArn"], parent=version["solutionArn"],
                    tags=tags)
    return {"campaignArn": arn}


def describe_campaign(ctx: RequestContext, *, campaign_arn: str) -> dict:
    return {"campaign": ctx.store.get(KIND, campaign_arn)}


def list_campaigns(ctx: RequestContext, *, solution_arn: str | None = None, next_token: str | None = None,
                   max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "campaigns", next_token, max_results, parent=solution_arn)


def update_campaign(ctx: RequestContext, *, campaign_arn: str, solution_version_arn: str | None = None,
                    min_provisioned_tps: int | None = None, campaign_config: dict | None = None) -> dict:
    """Deploy another version or configuration; the campaign answers with the old one until it is ready."""
    with ctx.store.transaction():
        campaign = ctx.store.get(KIND, campaign_arn)
        underway = campaign.get("latestCampaignUpdate", {}).get("status") in lifecycle.TRANSIENT
        if campaign["status"] not in lifecycle.SETTLED or underway:
            raise ResourceInUseException(f"Campaign {campaign_arn} is being created, updated or deleted.")
        config = campaign.get("campaignConfig") if campaign_config is None else campaign_config
        target = _deployable(ctx, solution_version_arn or campaign["solutionVersionArn"], config)["solutionVersionArn"]
        updates.begin(ctx.store, campaign_arn, "latestCampaignUpdate", **compact(
            solutionVersionArn=target, minProvisionedTPS=min_provisioned_tps or campaign["minProvisionedTPS"],
            campaignConfig=config))
        ctx.jobs.enqueue("update_campaign", campaign_arn)
    return {"campaignArn": campaign_arn}


def _deployable(ctx: RequestContext, version_arn: str, config: dict | None) -> dict:
    """The ACTIVE solution version a campaign may deploy: `<solution ARN>/$LATEST` names the solution's newest
    ACTIVE version, and goes with syncWithLatestSolutionVersion. spec: personalize-behavior.md §3.11"""
    sync = bool((config or {}).get("syncWithLatestSolutionVersion"))
    if version_arn.endswith(LATEST) != sync:
        raise InvalidInputException("syncWithLatestSolutionVersion needs solutionVersionArn <solution ARN>/$LATEST, "
                                    "and <solution ARN>/$LATEST needs syncWithLatestSolutionVersion true.")
    if sync:
        solution = version_arn[:-len(LATEST)]
        ctx.store.get("solution", solution)
        active = [v for v in ctx.store.children(solution, "solution-version") if v["status"] == lifecycle.ACTIVE]
        if not active:
            raise InvalidInputException(f"Solution {solution} has no ACTIVE solution version to deploy.")
        return active[0]
    version = ctx.store.get("solution-version", version_arn)
    require_active(version, "solutionVersionArn")
    if catalogue.recipe(version["recipeArn"])["recipeType"] == "USER_SEGMENTATION":
        raise InvalidInputException(f"{version_arn} is a user segmentation model; use it with batch segment jobs.")
    return version


def delete_campaign(ctx: RequestContext, *, campaign_arn: str) -> None:
    campaign = ctx.store.get(KIND, campaign_arn)
    if campaign.get("latestCampaignUpdate", {}).get("status") in lifecycle.TRANSIENT:
        raise ResourceInUseException(f"Campaign {campaign_arn} is being updated.")
    begin_delete(ctx, KIND, campaign_arn)
