"""Durable jobs: rows in the same database as the resources they move, so a handler's writes and the
job it enqueues commit together, and a restart finds every unfinished job.

Jobs that train a model run in a lane of their own with as many places as there are training processes: a
training waiting for its turn stays queued (its resource CREATE PENDING, as on the service) instead of holding a
worker that every other lifecycle needs."""

import threading
import time
from dataclasses import dataclass

from emulator.store.arns import kind_of
from emulator.store.db import Database

TRAINING, WORK = "training", "work"


@dataclass(frozen=True)
class Job:
    id: int
    task: str
    arn: str


def lane_of(task: str, arn: str) -> str:
    """The lane of a job: the training lane for the tasks that fit a model."""
    trains = task == "update_recommender" or (task == "create" and kind_of(arn) in ("solution-version",
                                                                                     "recommender"))
    return TRAINING if trains else WORK


class Queue:
    def __init__(self, db: Database, training_slots: int) -> None:
        self.db, self.training_slots = db, training_slots
        self._wake = threading.Condition()

    def enqueue(self, task: str, arn: str) -> None:
        """Add a job inside the caller's transaction; workers see it once that commits."""
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO jobs (task, arn, enqueued, lane) VALUES (?, ?, ?, ?)",
                         (task, arn, time.time(), lane_of(task, arn)))
            self.db.after_commit(self.notify)

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def claim(self, wait: float) -> Job | None:
        """Take the oldest job that may run now, or wait up to `wait` seconds for one."""
        job = self._claim()
        if job is None:
            with self._wake:
                self._wake.wait(min(wait, self._next_due()))
            job = self._claim()
        return job

    def defer(self, job: Job, seconds: float) -> None:
        """Put a job back to run again in `seconds` (it waits for another resource to settle)."""
        with self.db.transaction() as conn:
            conn.execute("UPDATE jobs SET state = 'queued', not_before = ? WHERE id = ?",
                         (time.time() + seconds, job.id))

    def finish(self, job: Job) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job.id,))
            self.db.after_commit(self.notify)   # a place in its lane is free

    def resume_interrupted(self) -> int:
        """Jobs that were running when the server stopped run again (every task is safe to repeat)."""
        with self.db.transaction() as conn:
            return conn.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'").rowcount

    def pending(self) -> int:
        return self.db.execute("SELECT count(*) FROM jobs").fetchone()[0]

    def _next_due(self) -> float:
        """Seconds until the earliest deferred job may run again (infinite without one)."""
        due = self.db.execute("SELECT min(not_before) FROM jobs WHERE state = 'queued' AND not_before > 0"
                              ).fetchone()[0]
        return float("inf") if due is None else max(0.0, due - time.time())

    def _claim(self) -> Job | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET state = 'running' WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
                " AND not_before <= ? AND (lane != ? OR (SELECT count(*) FROM jobs WHERE state = 'running'"
                " AND lane = ?) < ?) ORDER BY id LIMIT 1) RETURNING id, task, arn",
                (time.time(), TRAINING, TRAINING, self.training_slots)).fetchone()
        return Job(row["id"], row["task"], row["arn"]) if row else None
