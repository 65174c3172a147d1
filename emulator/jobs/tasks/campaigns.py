"""Campaign deployment: load the solution version's model so the campaign can answer; updates swap it."""

import time

from emulator.jobs import TaskFailed, dwell, lifecycle


def deploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    _load(env, campaign["solutionVersionArn"])


def update(arn: str, env) -> None:
    """UpdateCampaign's work: the campaign keeps answering with its old model until the new one is ready,
    then its top-level members switch. spec: personalize-behavior.md §3.11"""
    campaign = env.store.get("campaign", arn)
    pending = campaign.get("latestCampaignUpdate", {})
    if pending.get("status") == lifecycle.CREATE_PENDING:
        dwell(env)
        pending = _mark(env, arn, pending, lifecycle.CREATE_IN_PROGRESS)
    if pending.get("status") != lifecycle.CREATE_IN_PROGRESS:
        return
    started = time.monotonic()
    try:
        _load(env, pending["solutionVersionArn"])
    except TaskFailed as failure:
        dwell(env, since=started)
        _mark(env, arn, pending, lifecycle.CREATE_FAILED, str(failure))
        return
    dwell(env, since=started)
    with env.store.transaction():
        if campaign["status"] == lifecycle.CREATE_FAILED:
            env.store.set_status(arn, lifecycle.ACTIVE)
        env.store.update(arn, failureReason=None, **{key: pending[key] for key in
                                                    ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
                                                    if key in pending})
        _mark(env, arn, pending, lifecycle.ACTIVE)


def undeploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    in_use = {other["solutionVersionArn"] for other in env.store.all("campaign", *_scope(campaign))
              if other["campaignArn"] != arn}
    if campaign["solutionVersionArn"] not in in_use:
        env.serving.forget(campaign["solutionVersionArn"])


def _load(env, version_arn: str) -> None:
    version = env.store.find("solution-version", version_arn)
    if version is None or version["status"] != lifecycle.ACTIVE:
        raise TaskFailed(f"Solution version {version_arn} is not ACTIVE.")
    env.serving.deployed(version_arn)


def _mark(env, arn: str, pending: dict, status: str, reason: str | None = None) -> dict:
    marked = {**pending, "status": status, "lastUpdatedDateTime": time.time()}
    if reason:
        marked["failureReason"] = reason
    env.store.update(arn, latestCampaignUpdate=marked)
    return marked


def _scope(campaign: dict) -> tuple[str, str]:
    """(account, region) of a campaign, from its ARN."""
    parts = campaign["campaignArn"].split(":")
    return parts[4], parts[3]
