"""Worker threads: claim durable jobs and run their tasks, off the request path."""

import logging
import sqlite3
import threading

from emulator.jobs import Interrupted, NotYet
from emulator.jobs.queue import Queue

log = logging.getLogger("emulator.jobs")


class Worker:
    def __init__(self, queue: Queue, env, threads: int) -> None:
        self.queue, self.env, self.count = queue, env, threads
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        resumed = self.queue.resume_interrupted()
        if resumed:
            log.info("resuming %d job(s) interrupted by the last stop", resumed)
        for number in range(self.count):
            thread = threading.Thread(target=self._loop, name=f"emulator-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.queue.notify()
        for thread in self._threads:
            thread.join(timeout=5)

    def _loop(self) -> None:
        from emulator.jobs.tasks import TASKS   # tasks import the whole model layer; load it on the worker
        while not self._stop.is_set():
            try:
                job = self.queue.claim(wait=0.5)
            except sqlite3.OperationalError:   # the database stayed locked past its timeout: try again
                log.warning("could not claim a job: the database is busy")
                continue
            if job is None:
                continue
            try:
                TASKS[job.task](job.arn, self.env)
            except NotYet:
                self.queue.defer(job, NotYet.RETRY_SECONDS)
                continue
            except Interrupted:   # left 'running': the next start runs it again
                continue
            except Exception:   # a task bug must not kill the worker; the task already failed its resource
                log.exception("job %s (%s on %s) crashed", job.id, job.task, job.arn)
            self._finish(job)

    def _finish(self, job) -> None:
        while True:
            try:
                return self.queue.finish(job)
            except sqlite3.OperationalError:   # busy: the job must not stay 'running' and run again at restart
                log.warning("could not finish job %s: the database is busy", job.id)
