"""Lifecycles that do real work: durable jobs, the worker that runs them, one task module per job kind."""


class TaskFailed(Exception):
    """The job's resource ends CREATE FAILED with this message as its failureReason."""
