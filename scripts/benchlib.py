"""What the bench_*.py scripts share: the emulator in a subprocess, boto3 clients against it, waiting for a
status, and timing calls."""

import contextlib
import pathlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator

import boto3
from botocore.config import Config

ROOT = pathlib.Path(__file__).resolve().parents[1]


def free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def emulator(*flags: str, data_dir: str | None = None, health_seconds: float = 60) -> Iterator[str]:
    """An emulator in a subprocess (so client and server do not share a GIL) on a free port, with a temporary
    data directory unless one is given; yields its endpoint once /_emulator/health answers."""
    with emulator_process(*flags, data_dir=data_dir, health_seconds=health_seconds) as (endpoint, _):
        yield endpoint


@contextlib.contextmanager
def emulator_process(*flags: str, data_dir: str | None = None,
                     health_seconds: float = 60) -> Iterator[tuple[str, subprocess.Popen]]:
    """emulator(), yielding its process too (to watch its training processes). Flags come after the defaults
    here (a 0.05 s status dwell), so they override them."""
    with contextlib.ExitStack() as stack:
        if data_dir is None:
            data_dir = stack.enter_context(tempfile.TemporaryDirectory())
        port = free_port()
        endpoint = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-m", "emulator", "serve", "--port", str(port), "--data-dir",
                                   data_dir, "--status-seconds", "0.05", "--log-level", "WARNING", *flags], cwd=ROOT)
        try:
            _wait_healthy(endpoint, server, health_seconds)
            yield endpoint, server
        finally:
            server.terminate()
            server.wait()


def _wait_healthy(endpoint: str, server: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the emulator exited with status {server.returncode} before it answered")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{endpoint}/_emulator/health", timeout=1)
            return
        time.sleep(0.1)
    raise SystemExit(f"the emulator did not answer {endpoint}/_emulator/health within {seconds:g} s")


def client(name: str, endpoint: str):
    """A boto3 client for one service of the emulator, with dummy credentials and no retries."""
    return boto3.client(name, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))


def wait_active(describe: Callable[[], dict], timeout: float = 600) -> float:
    """Poll a Describe call until its record is ACTIVE; the seconds it took. Exits on CREATE FAILED."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        record = next(iter(describe().values()))
        if record["status"] == "ACTIVE":
            return time.monotonic() - started
        if record["status"] == "CREATE FAILED":
            raise SystemExit(f"failed: {record.get('failureReason')}")
        time.sleep(0.05)
    raise SystemExit("timed out")


def latencies(call: Callable[[], object], count: int, warm_up: int = 20) -> list[float]:
    """Milliseconds of `count` calls after `warm_up` untimed ones (connections, caches), sorted."""
    for _ in range(warm_up):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return sorted(samples)


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted samples; share in [0, 1]."""
    return samples[min(len(samples) - 1, int(share * len(samples)))]
