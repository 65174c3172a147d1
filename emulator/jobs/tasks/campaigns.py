"""Campaign deployment: load the solution version's model (and its users' scores) so the campaign can answer;
updates swap it."""

from emulator.errors import TaskFailed
from emulator.jobs import updates
from emulator.store import lifecycle
from service_model import recipes as catalogue


def deploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    _load(env, campaign["solutionVersionArn"])


def update(arn: str, env) -> None:
    """UpdateCampaign's work: the campaign keeps answering with its old model until the new one is ready,
    then its top-level members switch. spec: personalize-behavior.md §3.11"""
    def finish(campaign: dict, pending: dict) -> None:
        if campaign["status"] == lifecycle.CREATE_FAILED:
            env.store.set_status(arn, lifecycle.ACTIVE)
        env.store.update(arn, failureReason=None, **{key: pending[key] for key in
                                                    ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
                                                    if key in pending})
    updates.walk(env, arn, "latestCampaignUpdate", lambda _, pending: _load(env, pending["solutionVersionArn"]),
                 finish)


def follow(version_arn: str, env) -> None:
    """A new solution version is ACTIVE: campaigns that sync with their solution's latest version update to it."""
    version = env.store.get("solution-version", version_arn)
    for campaign in env.store.children(version["solutionArn"], "campaign"):
        config = campaign.get("campaignConfig") or {}
        busy = campaign.get("latestCampaignUpdate", {}).get("status") in lifecycle.TRANSIENT
        if config.get("syncWithLatestSolutionVersion") and campaign["status"] == lifecycle.ACTIVE and not busy:
            with env.store.transaction():
                updates.begin(env.store, campaign["campaignArn"], "latestCampaignUpdate",
                              solutionVersionArn=version_arn, minProvisionedTPS=campaign["minProvisionedTPS"],
                              campaignConfig=config)
                env.queue.enqueue("update_campaign", campaign["campaignArn"])


def undeploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    in_use = {other["solutionVersionArn"] for other in env.store.all("campaign", *_scope(campaign))
              if other["campaignArn"] != arn}
    if campaign["solutionVersionArn"] not in in_use:
        env.deployed.forget(campaign["solutionVersionArn"])


def _load(env, version_arn: str) -> None:
    version = env.store.find("solution-version", version_arn)
    if version is None or version["status"] != lifecycle.ACTIVE:
        raise TaskFailed(f"Solution version {version_arn} is not ACTIVE.")
    if catalogue.recipe_type(version["recipeArn"]) in ("USER_PERSONALIZATION", "PERSONALIZED_RANKING"):
        env.deployed.warm(version_arn)   # its requests name users: their scores are worked out now
    else:
        env.deployed.model(version_arn)


def _scope(campaign: dict) -> tuple[str, str]:
    """(account, region) of a campaign, from its ARN."""
    parts = campaign["campaignArn"].split(":")
    return parts[4], parts[3]
