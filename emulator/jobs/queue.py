"""Durable jobs: rows in the same database as the resources they move, so a handler's writes and the
job it enqueues commit together, and a restart finds every unfinished job."""

import threading
import time
from dataclasses import dataclass

from emulator.store.db import Database


@dataclass(frozen=True)
class Job:
    id: int
    task: str
    arn: str


class Queue:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._wake = threading.Condition()

    def enqueue(self, task: str, arn: str) -> None:
        """Add a job inside the caller's transaction; workers see it once that commits."""
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO jobs (task, arn, enqueued) VALUES (?, ?, ?)", (task, arn, time.time()))
            self.db.after_commit(self.notify)

    def notify(self) -> None:
        with self._wake:
            self._wake.notify_all()

    def claim(self, wait: float) -> Job | None:
        """Take the oldest queued job, or wait up to `wait` seconds for one."""
        job = self._claim()
        if job is None:
            with self._wake:
                self._wake.wait(wait)
            job = self._claim()
        return job

    def finish(self, job: Job) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job.id,))

    def resume_interrupted(self) -> int:
        """Jobs that were running when the server stopped run again (every task is safe to repeat)."""
        with self.db.transaction() as conn:
            return conn.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'").rowcount

    def pending(self) -> int:
        return self.db.execute("SELECT count(*) FROM jobs").fetchone()[0]

    def _claim(self) -> Job | None:
        with self.db.transaction() as conn:
            row = conn.execute(
                "UPDATE jobs SET state = 'running' WHERE id = (SELECT id FROM jobs WHERE state = 'queued'"
                " ORDER BY id LIMIT 1) RETURNING id, task, arn").fetchone()
        return Job(row["id"], row["task"], row["arn"]) if row else None
