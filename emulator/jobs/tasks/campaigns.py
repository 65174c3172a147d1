"""Campaign deployment: load the solution version's model so the campaign can answer."""

from emulator.jobs import TaskFailed, lifecycle


def deploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    version = env.store.find("solution-version", campaign["solutionVersionArn"])
    if version is None or version["status"] != lifecycle.ACTIVE:
        raise TaskFailed(f"Solution version {campaign['solutionVersionArn']} is not ACTIVE.")
    env.serving.deployed(version["solutionVersionArn"])


def undeploy(arn: str, env) -> None:
    campaign = env.store.get("campaign", arn)
    others = [c for c in env.store.children(env.store.get("solution-version", campaign["solutionVersionArn"])
                                            ["solutionArn"], "campaign")
              if c["campaignArn"] != arn and c["solutionVersionArn"] == campaign["solutionVersionArn"]]
    if not others:
        env.serving.forget(campaign["solutionVersionArn"])
