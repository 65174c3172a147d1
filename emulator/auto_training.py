"""Automatic training: a solution with performAutoTraining gets a version within an hour of becoming ACTIVE
(unless the user trained one in that hour), then one every N days of its schedulingExpression, each only if new
interactions arrived since the last training. The clock runs at settings.day_seconds per day, so a test can watch
weeks pass in seconds. spec: personalize-behavior.md §3.9

A client of the API above it, as the service's scheduler is: it calls CreateSolutionVersion's handler as the
emulator itself (trainingMode AUTOTRAIN, which clients may not ask for)."""

import logging
import threading
import time

from emulator.api.personalize import solutions
from emulator.request_context import RequestContext
from emulator.errors import ServiceError
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn

log = logging.getLogger("emulator.jobs")

DEFAULT_DAYS = 7


def period_days(solution: dict) -> int:
    """The days between automatic trainings: autoTrainingConfig.schedulingExpression `rate(N days)`."""
    expression = ((solution.get("solutionConfig") or {}).get("autoTrainingConfig") or {}).get("schedulingExpression")
    found = solutions.RATE.match(expression or "")
    return int(found.group(1)) if found else DEFAULT_DAYS


class AutoTraining:
    def __init__(self, env) -> None:
        self.env = env
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def tick_seconds(self) -> float:
        return min(1.0, self.env.settings.day_seconds / 2400)   # about a minute of the schedule's clock

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="emulator-auto-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            try:
                self.tick(time.time())
            except Exception:   # a bad solution record must not end automatic training for the others
                log.exception("automatic training failed")

    def tick(self, now: float) -> None:
        day = self.env.settings.day_seconds
        for solution in self.env.store.every("solution"):
            if solution["status"] != lifecycle.ACTIVE or not solution.get("performAutoTraining"):
                continue
            arn = solution["solutionArn"]
            versions = self.env.store.children(arn, "solution-version")
            due = self.env.store.internal(arn).get("nextAutoTraining")
            if due is None:   # the first: an hour after the solution became ACTIVE, unless trained since
                manual = [v for v in versions if v["creationDateTime"] <= solution["lastUpdatedDateTime"] + day / 24]
                due = (manual[-1]["creationDateTime"] + period_days(solution) * day if manual
                       else solution["lastUpdatedDateTime"] + day / 24)
                self.env.store.set_internal(arn, nextAutoTraining=due)
            if now < due or any(v["status"] in lifecycle.TRANSIENT for v in versions):
                continue
            self.env.store.set_internal(arn, nextAutoTraining=now + period_days(solution) * day)
            if versions and not self._new_data(solution, versions[0]):
                log.info("automatic training of %s skipped: no new interactions", arn)
                continue
            self._train(solution)

    def _new_data(self, solution: dict, latest: dict) -> bool:
        internal = self.env.store.internal(latest["solutionVersionArn"])
        # the events it trained on: trainedThrough settles that dataset's rows only (DatasetRows.settled_through)
        datasets = [internal["eventsDataset"]] if internal.get("eventsDataset") else [
            dataset_arn(solution["datasetGroupArn"], kind) for kind in ("INTERACTIONS", "ACTION_INTERACTIONS")]
        return self.env.rows.has_events_after(datasets, internal.get("trainedThrough", 0))

    def _train(self, solution: dict) -> None:
        ctx = RequestContext.for_emulator(self.env, solution["solutionArn"])
        try:
            arn = solutions.create_solution_version(ctx, solution_arn=solution["solutionArn"],
                                                    training_mode="AUTOTRAIN")["solutionVersionArn"]
            log.info("automatic training of %s: %s", solution["solutionArn"], arn)
        except ServiceError as refused:   # e.g. the quota of versions in training
            log.warning("automatic training of %s postponed: %s", solution["solutionArn"], refused.message)
