"""Training processes kept warm: each has torch imported and trains one request after another (a JSON line in,
a JSON line out), so a training no longer pays an interpreter start and torch's import (about 1.2 s). Each is
still a process of its own: a crash or a stop ends that process only, and a fresh one takes its place. Imports no
torch, so the server starts as fast as before; the processes warm up beside it."""

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable

RECYCLE_MB = 1024   # a warm process holding more than this after a training is replaced
_idle: list["Trainer"] = []
_lock = threading.Lock()
_warm_up = True   # whether new processes set torch up before their first training (the last prewarm's choice)


class Trainer:
    """One training process (`python -m emulator.jobs.training_process`). It is started from a thread that lives
    as long as the server (the main thread or a worker), since Linux ends it when the thread that started it ends
    (PR_SET_PDEATHSIG: see training_process.serve)."""

    def __init__(self, warm_up: bool = True) -> None:
        self.warm_up = warm_up
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator.jobs.training_process", *([] if warm_up else ["--no-warm-up"])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
        self._listener: Callable[[str], None] | None = None   # who gets the log lines of the training in progress
        self._log = threading.Thread(target=self._follow, name="trainer-log", daemon=True)
        self._log.start()

    def run(self, request: dict, listener: Callable[[str], None]) -> dict:
        """One training's outcome; RuntimeError when the process ends before answering (a crash, a stop)."""
        self._listener = listener
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except OSError:   # the process had already ended
            answer = ""
        finally:
            self._listener = None
        if not answer:
            raise RuntimeError(f"the training process exited with status {self.process.wait()}")
        return json.loads(answer)

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """End the process, and the thread that reads its log, which ends at the log's end."""
        self.process.terminate()
        self.process.wait()
        self._log.join(timeout=5)

    def resident_mb(self) -> float:
        """Its resident memory; 0 where /proc is missing (not Linux), which keeps it."""
        try:
            with open(f"/proc/{self.process.pid}/statm") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
        except (OSError, ValueError, IndexError):
            return 0.0

    def _follow(self) -> None:
        for line in self.process.stderr:
            listener = self._listener
            if listener is not None and line.strip():
                listener(line.rstrip())


def take() -> Trainer:
    """A warm training process if one is idle, else a new one (the caller's thread must outlive it)."""
    with _lock:
        while _idle:
            trainer = _idle.pop()
            if trainer.alive():
                return trainer
    return Trainer(_warm_up)


def give_back(trainer: Trainer) -> None:
    """After a training: the process waits for the next one; if it ended (a crash, a stop) or holds more than
    RECYCLE_MB (a big training's memory, which it would keep), a fresh one warms up in its place."""
    if not trainer.alive() or trainer.resident_mb() > RECYCLE_MB:
        trainer.terminate()   # also reaps a process that had ended, and ends its log thread
        trainer = Trainer(trainer.warm_up)
    with _lock:
        _idle.append(trainer)


def prewarm(count: int, warm_up: bool = True) -> None:
    """Start training processes until `count` are idle (at server start, from its main thread). Without `warm_up`
    they import no torch until a training needs it, and set it up in that training (the in-process mode: an
    activation is short, and most of its trainings never reach torch)."""
    global _warm_up
    with _lock:
        _warm_up = warm_up
        _idle[:] = [trainer for trainer in _idle if trainer.alive()]
        while len(_idle) < count:
            _idle.append(Trainer(warm_up))


def shutdown() -> None:
    """End the idle training processes."""
    with _lock:
        for trainer in _idle:
            trainer.terminate()
        _idle.clear()
