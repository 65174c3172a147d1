"""Campaigns: a deployed solution version that answers GetRecommendations."""

from emulator.api.personalize.common import begin_delete, checked_tags, compact, list_page, require_active
from emulator.context import RequestContext

KIND = "campaign"


def create_campaign(ctx: RequestContext, *, name: str, solution_version_arn: str,
                    min_provisioned_tps: int | None = None, campaign_config: dict | None = None,
                    tags: list | None = None) -> dict:
    version = ctx.store.get("solution-version", solution_version_arn)
    require_active(version, "solutionVersionArn")
    arn = ctx.arn(KIND, name)
    record = compact(name=name, campaignArn=arn, solutionVersionArn=solution_version_arn,
                     minProvisionedTPS=min_provisioned_tps or 1, campaignConfig=campaign_config)
    with ctx.store.transaction():
        ctx.create(KIND, record, "campaignArn", parent=version["solutionArn"], tags=checked_tags(tags))
        ctx.jobs.enqueue("create", arn)
    return {"campaignArn": arn}


def describe_campaign(ctx: RequestContext, *, campaign_arn: str) -> dict:
    return {"campaign": ctx.store.get(KIND, campaign_arn)}


def list_campaigns(ctx: RequestContext, *, solution_arn: str | None = None, next_token: str | None = None,
                   max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "campaigns", next_token, max_results, parent=solution_arn)


def delete_campaign(ctx: RequestContext, *, campaign_arn: str) -> None:
    begin_delete(ctx, KIND, campaign_arn)
