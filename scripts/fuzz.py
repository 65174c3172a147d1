"""Fuzz the three Personalize APIs from botocore's models, and check that nothing answers 5xx, no error is one
the operation does not model, validation stays fast, and the server is healthy afterwards.

    .venv/bin/python scripts/fuzz.py [--requests N] [--seed S] [--endpoint URL]

Each request breaks one thing: a member of a plausible input (missing, wrong type, too long or short, against
its pattern or enum, out of range, unknown, nested thousands deep, a huge list, odd Unicode such as lone
surrogates, huge numbers), or the request itself (broken, empty or non-UTF-8 bodies, wrong content types,
unsigned, wrong methods, unknown targets and paths). Without --endpoint it serves an emulator in-process on a
free port with a temporary data directory. Exits 1 when a check fails."""

import argparse
import contextlib
import gc
import http.client
import json
import pathlib
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlparse

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))   # this checkout's emulator, not an installed one

from emulator import gate  # noqa: E402
from service_model import SERVICES, load, routing  # noqa: E402
from scripts.fuzz_inputs import Fixtures, model_probe, raw_probe  # noqa: E402

PROTOCOL_ERRORS = {"SerializationException", "UnknownOperationException", "ValidationException"}
VALIDATION_BUDGET_MS = 100.0
OPERATIONS = [(service, name) for service in SERVICES for name in load(service).operation_names]


class Probe(NamedTuple):
    """One request to send, and the operation it aims at (None for raw requests that name none)."""
    kind: str
    method: str
    path: str
    headers: dict
    body: bytes
    service: str | None = None
    operation: str | None = None


def probes(seed: int, count: int, fixtures: Fixtures | None = None) -> Iterator[Probe]:
    """`count` requests, the same ones for the same seed: about four in five break one member of an operation's
    input (every operation in turn), the rest break the request itself."""
    rng = random.Random(seed)
    fixtures = fixtures or Fixtures()
    for number in range(count):
        if rng.random() < 0.8:
            service, operation = OPERATIONS[number % len(OPERATIONS)]
            yield Probe(*model_probe(rng, service, operation, fixtures))
        else:
            yield Probe(*raw_probe(rng, fixtures))


@dataclass
class Report:
    requests: int = 0
    server_errors: list = field(default_factory=list)      # (probe kind, status, body head)
    unmodelled: list = field(default_factory=list)         # (operation, error type, probe kind)
    not_json: list = field(default_factory=list)           # Personalize routes that answered HTML, XML or text
    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    validation_ms: float = 0.0
    decode_ms: float = 0.0
    slowest: str = ""
    round_trip_ms: float = 0.0
    healthy: bool = False

    @property
    def passed(self) -> bool:
        return (not self.server_errors and not self.unmodelled and not self.not_json and self.healthy
                and self.validation_ms < VALIDATION_BUDGET_MS)

    def lines(self) -> list[str]:
        out = [f"requests:                   {self.requests}",
               f"5xx answers:                {len(self.server_errors)}",
               f"unmodelled error types:     {len(self.unmodelled)}",
               f"non-JSON Personalize answers: {len(self.not_json)}",
               f"max validation CPU time:    {self.validation_ms:.1f} ms ({self.slowest})",
               f"max JSON decoding CPU time: {self.decode_ms:.1f} ms",
               f"max round trip:             {self.round_trip_ms:.1f} ms",
               f"healthy after:              {self.healthy}",
               "statuses: " + ", ".join(f"{status} x{n}" for status, n in sorted(self.statuses.items())),
               "probes:   " + ", ".join(f"{kind} x{n}" for kind, n in sorted(self.kinds.items()))]
        for title, rows in (("5xx", self.server_errors), ("unmodelled", self.unmodelled),
                            ("non-JSON", self.not_json)):
            out += [f"  {title}: {row}" for row in rows[:20]]
        return out


class Client:
    """Keep-alive HTTP to one endpoint; reconnects when the server closed the connection."""

    def __init__(self, endpoint: str) -> None:
        url = urlparse(endpoint)
        self.host, self.port = url.hostname, url.port
        self.conn = None

    def send(self, probe: Probe) -> tuple[int, dict, bytes]:
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.conn.request(probe.method, probe.path, body=probe.body, headers=probe.headers)
                response = self.conn.getresponse()
                body = response.read()
                headers = {k.lower(): v for k, v in response.getheaders()}
                if headers.get("connection", "").lower() == "close":
                    self.close()
                return response.status, headers, body
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def server_ms(probe: Probe) -> tuple[float, float]:
    """CPU milliseconds the server's code spends decoding this body and validating it, measured in this thread
    as timeit does: CPU time, since wall time on a shared machine counts the waits for a core and the GIL, and
    with the garbage collector off, since a full collection costs whatever the whole process holds."""
    with _collector_off():
        return _server_ms(probe)


@contextlib.contextmanager
def _collector_off():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _server_ms(probe: Probe) -> tuple[float, float]:
    from emulator import dispatch, protocol
    from emulator.errors import ServiceError
    route = routing.by_target(probe.headers.get("X-Amz-Target", "")) or routing.by_path(probe.method, probe.path)
    if route is None or len(probe.body) > dispatch.MAX_BODY:
        return 0.0, 0.0
    start = time.thread_time()
    try:
        params = protocol.decode(probe.body)
    except ServiceError:
        return (time.thread_time() - start) * 1000, 0.0
    decoded = time.thread_time()
    with contextlib.suppress(ServiceError):
        protocol.check(route.operation, params)
    return (decoded - start) * 1000, (time.thread_time() - decoded) * 1000


def judge(report: Report, probe: Probe, status: int, headers: dict, body: bytes) -> None:
    report.statuses[status] += 1
    if status >= 500:
        report.server_errors.append((probe.kind, probe.method, probe.path, status, body[:200]))
    personalize = _personalize_route(probe)
    if not personalize or status < 400 or probe.method == "HEAD":
        return
    try:
        error = json.loads(body)["__type"]
    except (ValueError, KeyError, TypeError):
        report.not_json.append((probe.kind, probe.method, probe.path, status, body[:120]))
        return
    allowed = set(PROTOCOL_ERRORS)
    route = routing.by_target(probe.headers.get("X-Amz-Target", "")) or routing.by_path(probe.method, probe.path)
    if route is not None:
        allowed |= {shape.name for shape in route.operation.error_shapes}
    if error not in allowed:
        report.unmodelled.append((probe.operation, error, probe.kind, json.loads(body).get("message", "")[:200]))


def _personalize_route(probe: Probe) -> bool:
    """Whether the request is on a Personalize route, which must answer Personalize's JSON errors: a control
    plane target, or a rest-json path unless signed for another service (S3 has buckets named "events")."""
    if probe.headers.get("X-Amz-Target", "").startswith(routing.TARGET_PREFIX):
        return True
    scope = gate.credential_scope(probe.headers.get("Authorization"))
    return routing.is_rest_path(probe.path) and (scope is None or scope.service == "personalize")


def run(endpoint: str, seed: int, count: int, fixtures: Fixtures | None = None) -> Report:
    report, client = Report(), Client(endpoint)
    for probe in probes(seed, count, fixtures):
        decoding, validating = server_ms(probe)
        report.decode_ms = max(report.decode_ms, decoding)
        if validating > report.validation_ms:
            report.validation_ms, report.slowest = validating, f"{probe.operation or probe.path} {probe.kind}"
        start = time.perf_counter()
        status, headers, body = client.send(probe)
        report.round_trip_ms = max(report.round_trip_ms, (time.perf_counter() - start) * 1000)
        report.requests += 1
        report.kinds[probe.kind.split(":")[0]] += 1
        judge(report, probe, status, headers, body)
    status, _, body = client.send(Probe("health", "GET", "/_emulator/health", {}, b""))
    report.healthy = status == 200 and json.loads(body).get("status") == "ok"
    client.close()
    return report


@contextlib.contextmanager
def local_emulator() -> Iterator[str]:
    """An emulator on a free port with a temporary data directory, served from this process."""
    import logging
    from emulator.server import Server
    from emulator.settings import Settings
    logging.getLogger("emulator").setLevel(logging.CRITICAL)   # the fuzzer reports what matters
    with tempfile.TemporaryDirectory(prefix="personalize-fuzz-") as data_dir:
        server = Server(Settings(port=0, data_dir=pathlib.Path(data_dir), status_seconds=0.0)).start_in_thread()
        try:
            yield server.endpoint
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--endpoint", help="fuzz a running emulator instead of starting one")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        endpoint = args.endpoint or stack.enter_context(local_emulator())
        started = time.perf_counter()
        fixtures = Fixtures.create(endpoint)
        report = run(endpoint, args.seed, args.requests, fixtures)
        print("\n".join(report.lines()))
        print(f"seconds:                    {time.perf_counter() - started:.1f}")
    print("PASS" if report.passed else "FAIL")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
