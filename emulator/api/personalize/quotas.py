"""The service quotas that surface as LimitExceededException. spec: personalize-behavior.md §2.6"""

from emulator.request_context import RequestContext
from emulator.errors import LimitExceededException
from emulator.store import lifecycle
from emulator.store.lifecycle import live

DATASET_GROUPS, SCHEMAS = 5, 500                       # per account and region
SOLUTIONS, CAMPAIGNS = 10, 5                           # per dataset group
FILTERS, RECOMMENDERS, PENDING_DELETIONS = 30, 5, 5    # per dataset group
RUNNING_IMPORTS, RUNNING_VERSIONS = 5, 20              # PENDING or IN_PROGRESS, per account and region
RUNNING_BATCH_JOBS = 5                                 # of each kind, per account and region
RUNNING = "status IN ('CREATE PENDING', 'CREATE IN_PROGRESS')"


def check(ctx: RequestContext, kind: str, group: str | None = None) -> None:
    """Raise LimitExceededException if one more `kind` would pass its quota (unless quotas are off)."""
    if not ctx.env.settings.quotas:
        return
    if kind == "dataset-group" and len(live(ctx.all(kind))) >= DATASET_GROUPS:
        raise LimitExceededException(f"Cannot create a dataset group. More than {DATASET_GROUPS} dataset groups "
                                     "exist. Please delete some and try again.")
    if kind == "schema" and len(ctx.all(kind)) >= SCHEMAS:
        raise LimitExceededException(f"Cannot create a schema. More than {SCHEMAS} schemas exist.")
    if kind == "solution" and len(live(ctx.store.children(group, kind))) >= SOLUTIONS:
        raise LimitExceededException(f"Cannot create a solution. More than {SOLUTIONS} resources in ACTIVE state. "
                                     "Please delete some and try again.")
    if kind == "campaign" and _active_campaigns(ctx, group) >= CAMPAIGNS:
        raise LimitExceededException(f"Cannot create a campaign. More than {CAMPAIGNS} resources in ACTIVE state. "
                                     "Please delete some and try again.")
    if kind == "filter" and len(live(ctx.store.children(group, kind))) >= FILTERS:
        raise LimitExceededException(f"A dataset group can have at most {FILTERS} filters.")
    if kind == "recommender" and len(live(ctx.store.children(group, kind))) >= RECOMMENDERS:
        raise LimitExceededException(f"A dataset group can have at most {RECOMMENDERS} recommenders.")
    if kind == "data-deletion-job" and len([job for job in ctx.store.children(group, kind)
                                            if job["status"] == lifecycle.PENDING]) >= PENDING_DELETIONS:
        raise LimitExceededException(f"A dataset group can have at most {PENDING_DELETIONS} PENDING data deletion "
                                     "jobs.")
    if kind in ("batch-inference-job", "batch-segment-job") and \
            len(ctx.all(kind, where=RUNNING)) >= RUNNING_BATCH_JOBS:
        raise LimitExceededException(f"More than {RUNNING_BATCH_JOBS} resources with PENDING or IN_PROGRESS status.")
    if kind == "dataset-import-job" and len(ctx.all(kind, where=RUNNING)) >= RUNNING_IMPORTS:
        raise LimitExceededException(f"More than {RUNNING_IMPORTS} resources with PENDING or IN_PROGRESS status.")
    if kind == "solution-version" and len(ctx.all(kind, where=RUNNING)) >= RUNNING_VERSIONS:
        raise LimitExceededException(f"More than {RUNNING_VERSIONS} resources with PENDING or IN_PROGRESS status.")


def _active_campaigns(ctx: RequestContext, group: str) -> int:
    return sum(len([c for c in live(ctx.store.children(solution["solutionArn"], "campaign"))
                    if c["status"] != lifecycle.CREATE_FAILED])
               for solution in ctx.store.children(group, "solution"))
