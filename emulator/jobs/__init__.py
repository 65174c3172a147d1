"""Lifecycles that do real work: durable jobs, the worker that runs them, one task module per job kind."""

import time


class Interrupted(Exception):
    """The server is stopping and ended the work: the job stays unfinished and runs again at the next start."""


class NotYet(Exception):
    """The job waits for another resource to settle: the worker runs it again shortly."""

    RETRY_SECONDS = 0.05


def dwell(env, since: float | None = None) -> None:
    """Keep the current status visible for at least status_seconds, so polling clients can see it."""
    spent = time.monotonic() - since if since is not None else 0.0
    time.sleep(max(0.0, env.settings.status_seconds - spent))
