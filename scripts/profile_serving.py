"""Where a runtime request's time goes inside the emulator: the requests of scripts/bench_round_trip.py sent
in-process straight to the emulator's WSGI app (no sockets, no client), timed, then profiled with cProfile.

    .venv/bin/python scripts/bench_round_trip.py --keep /tmp/rt-data --requests 100   # trains once
    .venv/bin/python scripts/profile_serving.py /tmp/rt-data [--requests N] [--call NAME] [--log-level INFO]"""

import argparse
import cProfile
import io
import json
import logging
import os
import pathlib
import pstats
import statistics
import time

import numpy as np

from bench_round_trip import GENRES, Setup
from emulator.app import create_app
from emulator.settings import Settings

AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/personalize/aws4_request, "
                 "SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64)


def environ(path: str, body: dict) -> dict:
    """A WSGI environ as waitress builds it for a botocore request."""
    data = json.dumps(body).encode()
    return {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
            "HTTP_HOST": "127.0.0.1:8080", "HTTP_USER_AGENT": "Boto3/1.34 md/Botocore#1.34 ua/2.0 os/linux",
            "HTTP_X_AMZ_DATE": "20260101T000000Z", "HTTP_AUTHORIZATION": AUTHORIZATION,
            "HTTP_AMZ_SDK_INVOCATION_ID": "00000000-0000-0000-0000-000000000000",
            "HTTP_AMZ_SDK_REQUEST": "attempt=1; max=1", "wsgi.input": io.BytesIO(data), "wsgi.input_terminated": True,
            "wsgi.url_scheme": "http",
            "wsgi.errors": io.StringIO(), "wsgi.multithread": True, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "wsgi.version": (1, 0)}


def requests(setup: Setup, rng: np.random.Generator) -> dict:
    """Call name -> a function making the next request's environ."""
    def user() -> str:
        return setup.users[rng.integers(len(setup.users))]
    return {
        "GetRecommendations": lambda: environ("/recommendations", {"campaignArn": setup.campaign, "userId": user()}),
        "explorationWeight 0": lambda: environ("/recommendations", {"campaignArn": setup.no_exploration,
                                                                    "userId": user()}),
        "filter EXCLUDE seen": lambda: environ("/recommendations", {
            "campaignArn": setup.campaign, "userId": user(), "filterArn": setup.exclude_seen}),
        "filter INCLUDE $GENRE": lambda: environ("/recommendations", {
            "campaignArn": setup.campaign, "userId": user(), "filterArn": setup.include_genre,
            "filterValues": {"GENRE": f'"{GENRES[rng.integers(len(GENRES))]}"'}}),
        "GetPersonalizedRanking (25)": lambda: environ("/personalize-ranking", {
            "campaignArn": setup.ranking, "userId": user(),
            "inputList": [setup.items[i] for i in rng.choice(len(setup.items), 25, replace=False)]}),
    }


def call(app, environ: dict) -> bytes:
    answered = []
    body = b"".join(app(environ, lambda status, headers, *rest: answered.append(status)))
    if not answered[0].startswith("200"):
        raise SystemExit(f"{environ['PATH_INFO']} answered {answered[0]}: {body[:300]!r}")
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=pathlib.Path, help="a directory scripts/bench_round_trip.py --keep left")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--call", default="GetRecommendations", help="the call to profile")
    parser.add_argument("--log-level", default="WARNING", help="INFO: the request line, written to /dev/null")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, filename=os.devnull)
    setup = Setup(**json.loads((args.data_dir / "bench-setup.json").read_text()))
    app = create_app(Settings(data_dir=args.data_dir)).wsgi
    make = requests(setup, np.random.default_rng(3))
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for name, next_environ in make.items():
        prepared = [next_environ() for _ in range(args.requests // 3 + 50)]
        for environ_ in prepared[:50]:
            call(app, environ_)
        times = []
        for environ_ in prepared[50:]:
            started = time.perf_counter()
            call(app, environ_)
            times.append((time.perf_counter() - started) * 1e6)
        print(f"{name:30} median {statistics.median(times):7.0f} us  mean {statistics.fmean(times):7.0f} us")
    prepared = [make[args.call]() for _ in range(args.requests)]
    profiler = cProfile.Profile()
    profiler.enable()
    for environ_ in prepared:
        call(app, environ_)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(args.top)
        print(text.getvalue())


if __name__ == "__main__":
    main()
