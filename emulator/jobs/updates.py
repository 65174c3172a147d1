"""The `latest…Update` member of campaigns, recommenders and solutions: CREATE PENDING -> CREATE IN_PROGRESS ->
ACTIVE / CREATE FAILED, while the resource keeps serving its current settings. spec: personalize-behavior.md §2.4"""

import logging
import time
from collections.abc import Callable

from emulator.errors import TaskFailed
from emulator.jobs import dwell
from emulator.store import lifecycle

log = logging.getLogger("emulator")


def walk(env, arn: str, member: str, work: Callable[[dict, dict], None],
         finish: Callable[[dict, dict], None]) -> None:
    """Run `work(record, update)` (the slow part, may raise TaskFailed) while the update is IN_PROGRESS, then
    `finish(record, update)` and ACTIVE in one transaction."""
    record = env.store.get(None, arn)
    update = record.get(member, {})
    if update.get("status") == lifecycle.CREATE_PENDING:
        dwell(env)
        update = mark(env, arn, member, update, lifecycle.CREATE_IN_PROGRESS)
    if update.get("status") != lifecycle.CREATE_IN_PROGRESS:
        return
    started = time.monotonic()
    try:
        work(record, update)
    except TaskFailed as failure:
        dwell(env, since=started)
        mark(env, arn, member, update, lifecycle.CREATE_FAILED, str(failure))
        return
    dwell(env, since=started)
    with env.store.transaction():
        finish(record, update)
        mark(env, arn, member, update, lifecycle.ACTIVE)


def mark(env, arn: str, member: str, update: dict, status: str, reason: str | None = None) -> dict:
    marked = {**update, "status": status, "lastUpdatedDateTime": time.time()}
    if reason:
        marked["failureReason"] = reason
        log.warning("the update of %s is %s: %s", arn, status, reason)
    env.store.update(arn, **{member: marked})
    return marked


def begin(store, arn: str, member: str, **settings) -> None:
    """Record a new update as CREATE PENDING (inside the caller's transaction)."""
    now = time.time()
    store.update(arn, **{member: {**settings, "status": lifecycle.CREATE_PENDING, "creationDateTime": now,
                                  "lastUpdatedDateTime": now}})
