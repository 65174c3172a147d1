"""How long the test-facing pieces take: entering and leaving the in-process mode, starting and stopping the
server fixture's process, and the clean-state reset.

    .venv/bin/python scripts/bench_fixtures.py [--rounds 5]

Prints the median and the worst of each, beside the targets (in-process enter/leave <= 0.5 s, server teardown
<= 0.5 s, reset <= 50 ms)."""

import argparse
import pathlib
import statistics
import tempfile
import threading
import time

import boto3

from emulator import mock_personalize
from emulator.pytest_plugin import EmulatorProcess


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def report(name: str, seconds: list[float], target: float) -> None:
    print(f"{name:<34} median {statistics.median(seconds) * 1000:8.1f} ms   worst {max(seconds) * 1000:8.1f} ms"
          f"   target <= {target * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    threads = threading.active_count()
    with mock_personalize():   # the first activation imports the emulator: not what a test pays each time
        pass
    enter, leave = [], []
    for _ in range(rounds):
        mock = mock_personalize()
        enter.append(timed(mock.start))
        boto3.client("personalize", region_name="us-east-1").create_dataset_group(name="timed")
        leave.append(timed(mock.stop))
    report("in-process enter", enter, 0.5)
    report("in-process leave (a job in flight)", leave, 0.5)
    print(f"threads left after {rounds} activations: {threading.active_count() - threads}")
    start, stop, reset = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as data_dir:
            started = time.perf_counter()
            server = EmulatorProcess(pathlib.Path(data_dir), "--status-seconds", "0.1")
            start.append(time.perf_counter() - started)
            reset.extend(timed(server.reset) for _ in range(5))
            stop.append(timed(server.stop))
    report("server fixture start", start, float("inf"))
    report("server fixture teardown", stop, 0.5)
    report("clean-state reset", reset, 0.05)


if __name__ == "__main__":
    main()
