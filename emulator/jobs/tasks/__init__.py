"""The two generic tasks, create and delete, and the per-kind work they run.

A task is safe to run twice: after a restart it picks up from the status the resource shows."""

import logging
import time

from emulator.jobs import TaskFailed, dwell, lifecycle
from emulator.jobs.tasks import campaigns, imports, training
from emulator.store.arns import kind_of

log = logging.getLogger("emulator.jobs")

# kind -> work done while the resource is CREATE IN_PROGRESS (kinds absent here have none)
WORK = {
    "dataset-import-job": imports.run_import,
    "solution-version": training.train,
    "campaign": campaigns.deploy,
}
# kind -> clean-up done while the resource is DELETE IN_PROGRESS
CLEANUP = {
    "dataset": imports.drop_dataset_data,
    "solution": training.drop_solution_versions,
    "campaign": campaigns.undeploy,
}


def create(arn: str, env) -> None:
    store, kind = env.store, kind_of(arn)
    if store.status(arn) == lifecycle.CREATE_PENDING:
        dwell(env)
        store.move(arn, lifecycle.CREATE_PENDING, lifecycle.CREATE_IN_PROGRESS)
    if store.status(arn) != lifecycle.CREATE_IN_PROGRESS:
        return   # stopped meanwhile
    started = time.monotonic()
    try:
        if kind in WORK:
            WORK[kind](arn, env)
    except TaskFailed as failure:
        _settle(env, arn, lifecycle.CREATE_FAILED, started, str(failure))
        return
    except Exception:
        log.exception("creating %s failed", arn)
        _settle(env, arn, lifecycle.CREATE_FAILED, started,
                "Internal error in the emulator; the server log has the details.")
        return
    _settle(env, arn, lifecycle.ACTIVE, started)


def delete(arn: str, env) -> None:
    store, kind = env.store, kind_of(arn)
    if store.status(arn) == lifecycle.DELETE_PENDING:
        dwell(env)
        store.move(arn, lifecycle.DELETE_PENDING, lifecycle.DELETE_IN_PROGRESS)
    if store.status(arn) != lifecycle.DELETE_IN_PROGRESS:
        return
    if kind in CLEANUP:
        CLEANUP[kind](arn, env)
    dwell(env)
    store.remove(arn)


def _settle(env, arn: str, status: str, started: float, reason: str | None = None) -> None:
    """End the work: the outcome, or CREATE STOPPED when a stop arrived while it ran."""
    dwell(env, since=started)
    if env.store.move(arn, lifecycle.CREATE_STOPPING, lifecycle.CREATE_STOPPED):
        return
    if env.store.move(arn, lifecycle.CREATE_IN_PROGRESS, status, reason) and status == lifecycle.ACTIVE:
        env.on_active(arn)


TASKS = {"create": create, "delete": delete, "update_campaign": campaigns.update}
