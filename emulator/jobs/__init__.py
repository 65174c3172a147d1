"""Lifecycles that do real work: durable jobs, the worker that runs them, one task module per job kind."""

import time
from collections.abc import Callable


class Interrupted(Exception):
    """The server is stopping and ended the work: the job stays unfinished and runs again at the next start."""


class NotYet(Exception):
    """The job waits for another resource to settle: the worker runs it again shortly."""

    RETRY_SECONDS = 0.05


def dwell(env, since: float | None = None) -> None:
    """Keep the current status visible for at least status_seconds, so polling clients can see it."""
    spent = time.monotonic() - since if since is not None else 0.0
    time.sleep(max(0.0, env.settings.status_seconds - spent))


def advance(env, arn: str, pending: str, in_progress: str, ready: Callable[[], None] | None = None,
            then: Callable[[], None] | None = None) -> bool:
    """A task's first step: a resource still `pending` keeps that status for the dwell (once `ready`, which may
    raise NotYet or TaskFailed, lets it start), then moves to `in_progress`, `then` in the same transaction. True
    when the resource is `in_progress` now; False when a stop or another task moved it first."""
    if env.store.status(arn) == pending:
        if ready is not None:
            ready()
        dwell(env)
        with env.store.transaction():
            env.store.move(arn, pending, in_progress)
            if then is not None:
                then()
    return env.store.status(arn) == in_progress
