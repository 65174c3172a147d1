"""The two generic tasks, create and delete, and the per-kind work they run.

A task is safe to run twice: after a restart it picks up from the status the resource shows."""

import logging
import time
from functools import partial

from emulator.errors import TaskFailed
from emulator.jobs import Interrupted, advance, dwell, updates
from emulator.jobs.tasks import batch, campaigns, exports, imports, recommenders, solution_versions
from emulator.store import lifecycle
from emulator.store.arns import kind_of

log = logging.getLogger("emulator.jobs")

# kind -> work done while the resource is CREATE IN_PROGRESS (kinds absent here have none); it may return what
# makes its result visible, run in the transaction that makes the resource ACTIVE
WORK = {
    "dataset-import-job": imports.run_import,
    "solution-version": solution_versions.train,
    "campaign": campaigns.deploy,
    "dataset-export-job": exports.export_dataset,
    "recommender": recommenders.build,
    "batch-inference-job": batch.infer,
    "batch-segment-job": batch.segment,
}
# kind -> whether the work may start: raises NotYet to wait for another resource, TaskFailed to fail
READY = {"dataset-import-job": imports.dataset_ready}
# kind -> what a failed create leaves to undo, in the transaction that records the failure
UNDO = {"dataset-import-job": imports.abandon}
# kind -> what follows once the resource is ACTIVE
AFTER_ACTIVE = {"solution-version": campaigns.follow}
# kind -> clean-up done while the resource is DELETE IN_PROGRESS
CLEANUP = {
    "dataset": imports.drop_dataset_data,
    "solution": solution_versions.drop_solution_versions,
    "campaign": campaigns.undeploy,
    "recommender": recommenders.remove,
    "dataset-group": lambda arn, env: env.store.remove_children(arn),   # only finished jobs are left
}


def create(arn: str, env) -> None:
    store, kind = env.store, kind_of(arn)
    try:
        in_progress = advance(env, arn, lifecycle.CREATE_PENDING, lifecycle.CREATE_IN_PROGRESS,
                              ready=partial(READY[kind], arn, env) if kind in READY else None)
    except TaskFailed as failure:   # from READY: the work cannot start
        store.move(arn, lifecycle.CREATE_PENDING, lifecycle.CREATE_FAILED, str(failure))
        return
    if not in_progress:
        return   # stopped meanwhile
    started, undo = time.monotonic(), partial(UNDO[kind], arn, env) if kind in UNDO else None
    try:
        publish = WORK[kind](arn, env) if kind in WORK else None
        _settle(env, arn, lifecycle.ACTIVE, started, publish)
    except TaskFailed as failure:
        _settle(env, arn, lifecycle.CREATE_FAILED, started, undo, str(failure))
        return
    except Interrupted:
        raise
    except Exception:
        log.exception("creating %s failed", arn)
        _settle(env, arn, lifecycle.CREATE_FAILED, started, undo,
                "Internal error in the emulator; the server log has the details.")
        return
    if kind in AFTER_ACTIVE and store.status(arn) == lifecycle.ACTIVE:
        AFTER_ACTIVE[kind](arn, env)


def delete(arn: str, env) -> None:
    store, kind = env.store, kind_of(arn)
    if not advance(env, arn, lifecycle.DELETE_PENDING, lifecycle.DELETE_IN_PROGRESS):
        return
    if kind in CLEANUP:
        CLEANUP[kind](arn, env)
    dwell(env)
    store.remove(arn)


def _settle(env, arn: str, status: str, started: float, then=None, reason: str | None = None) -> None:
    """End the work: the outcome, or CREATE STOPPED when a stop arrived while it ran. `then` runs in the same
    transaction as the outcome, so a crash never records one without the other."""
    dwell(env, since=started)
    with env.store.transaction():
        if env.store.move(arn, lifecycle.CREATE_STOPPING, lifecycle.CREATE_STOPPED):
            return
        if env.store.move(arn, lifecycle.CREATE_IN_PROGRESS, status, reason) and then is not None:
            then()


def update_dataset(arn: str, env) -> None:
    """UpdateDataset's schema swap: UPDATE PENDING -> UPDATE IN_PROGRESS -> ACTIVE, with latestDatasetUpdate
    following CREATE PENDING -> CREATE IN_PROGRESS -> ACTIVE. spec: personalize-behavior.md §2.4"""
    store = env.store
    if not advance(env, arn, lifecycle.UPDATE_PENDING, lifecycle.UPDATE_IN_PROGRESS,
                   then=lambda: _mark_update(store, arn, lifecycle.CREATE_IN_PROGRESS)):
        return
    dwell(env)
    with store.transaction():
        schema = store.get("dataset", arn)["latestDatasetUpdate"]["schemaArn"]
        store.update(arn, schemaArn=schema)
        _mark_update(store, arn, lifecycle.ACTIVE)
        store.move(arn, lifecycle.UPDATE_IN_PROGRESS, lifecycle.ACTIVE)


def _mark_update(store, arn: str, status: str) -> None:
    update = store.get("dataset", arn)["latestDatasetUpdate"]
    store.update(arn, latestDatasetUpdate={**update, "status": status, "lastUpdatedDateTime": time.time()})


def delete_users(arn: str, env) -> None:
    """A data deletion job, in its own vocabulary: PENDING -> IN_PROGRESS -> COMPLETED / FAILED. The records go
    in the transaction that completes the job, so a job that ends FAILED deleted nothing."""
    store = env.store
    if not advance(env, arn, lifecycle.PENDING, lifecycle.IN_PROGRESS):
        return
    started = time.monotonic()
    try:
        users = exports.users_to_delete(arn, env)
    except Exception as failure:
        reason = str(failure) if isinstance(failure, TaskFailed) else "Internal error in the emulator."
        if not isinstance(failure, TaskFailed):
            log.exception("data deletion job %s failed", arn)
        dwell(env, since=started)
        store.move(arn, lifecycle.IN_PROGRESS, lifecycle.FAILED, reason)
        return
    dwell(env, since=started)
    with store.transaction():
        if store.status(arn) == lifecycle.IN_PROGRESS:
            store.update(arn, numDeleted=env.rows.delete_users(store.get(None, arn)["datasetGroupArn"], users))
            store.move(arn, lifecycle.IN_PROGRESS, lifecycle.COMPLETED)


def update_solution(arn: str, env) -> None:
    """UpdateSolution: the new automatic-training settings take effect once the update is ACTIVE."""
    def finish(solution: dict, pending: dict) -> None:
        config = {**(solution.get("solutionConfig") or {}), **(pending.get("solutionUpdateConfig") or {})}
        env.store.update(arn, solutionConfig=config or None, **{
            key: pending[key] for key in ("performAutoTraining", "performIncrementalUpdate") if key in pending})
    updates.walk(env, arn, "latestSolutionUpdate", lambda *_: None, finish)


TASKS = {"create": create, "delete": delete, "update_campaign": campaigns.update, "update_dataset": update_dataset,
         "delete_users": delete_users, "stop_recommender": recommenders.stop,
         "start_recommender": recommenders.start, "update_recommender": recommenders.update,
         "update_solution": update_solution, "drop_staged_rows": imports.drop_staged_rows}
