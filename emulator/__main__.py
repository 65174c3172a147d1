"""Command line: `python -m emulator serve` (also installed as `personalize-emulator`). Every option of serve can
also be set by an environment variable, PERSONALIZE_EMULATOR_<OPTION> (e.g. PERSONALIZE_EMULATOR_PORT=4566);
a flag on the command line wins."""

import argparse
import logging
import os
import pathlib
import signal
import sys

from emulator import __version__
from emulator.settings import DEFAULT_PORT, Settings

ENV_PREFIX = "PERSONALIZE_EMULATOR_"


def _flag(value: str) -> bool:
    if value.strip().lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
        raise argparse.ArgumentTypeError(f"{value!r} is not a boolean (true or false)")
    return value.strip().lower() in ("1", "true", "yes", "on")


def _options(serve: argparse.ArgumentParser, defaults: Settings) -> None:
    """The serve options: (flag, type, default, help); booleans are switches whose variable takes true/false."""
    for flag, kind, default, text in [
        ("--host", str, defaults.host, "address to bind; only loopback unless you say otherwise"),
        ("--port", int, DEFAULT_PORT, "port; 0 picks a free one"),
        ("--data-dir", pathlib.Path, defaults.data_dir, "where the SQLite state and the model files live"),
        ("--account-id", str, defaults.account_id, "the AWS account id in every ARN"),
        ("--s3-endpoint-url", str, None, "read import data from this S3 endpoint instead of the built-in S3"),
        ("--status-seconds", float, defaults.status_seconds, "least time each transient status stays visible"),
        ("--training-seconds", float, defaults.training.seconds, "wall-clock budget of one training"),
        ("--feedback-refresh-seconds", float, defaults.feedback_refresh_seconds,
         "how often exploration takes in new clicks and impressions"),
        ("--day-seconds", float, defaults.day_seconds,
         "real seconds in one day of automatic training's schedule and of users' time away"),
        ("--log-level", str, "INFO", "DEBUG, INFO (a line per request), WARNING (failures only) or ERROR"),
    ]:
        variable = ENV_PREFIX + flag[2:].upper().replace("-", "_")
        if variable in os.environ:
            default = kind(os.environ[variable])
        serve.add_argument(flag, type=kind, default=default, help=f"{text} (default %(default)s; ${variable})")
    for flag, dest, on, text in [
        ("--extra-recipes", "extra_recipes", False,
         "list the emulator's own recipes (emulator-deepfm, emulator-ffnn) in ListRecipes too"),
        ("--no-quotas", "quotas", True, "lift the service's quotas (5 dataset groups per region, ...)"),
        ("--strict-responses", "strict_responses", False, "check every response against its output shape (tests)"),
    ]:
        variable = ENV_PREFIX + dest.upper()
        default = _flag(os.environ[variable]) if variable in os.environ else on
        serve.add_argument(flag, dest=dest, action="store_const", const=not on, default=default,
                           help=f"{text} (${variable}=true|false)")
    origins = os.environ.get(ENV_PREFIX + "CORS_ORIGIN")
    serve.add_argument("--cors-origin", dest="cors_origins", action="append",
                       default=[origin.strip() for origin in origins.split(",")] if origins else None,
                       help="let web pages of this origin (e.g. http://localhost:3000; * for any) call the emulator "
                            f"from a browser; repeatable (${ENV_PREFIX}CORS_ORIGIN, comma-separated)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="personalize-emulator", description="A local Amazon Personalize.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator's HTTP endpoint")
    _options(serve, Settings())
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings(host=args.host, port=args.port, data_dir=args.data_dir.expanduser(),
                        account_id=args.account_id, s3_endpoint_url=args.s3_endpoint_url,
                        status_seconds=args.status_seconds, quotas=args.quotas,
                        feedback_refresh_seconds=args.feedback_refresh_seconds, day_seconds=args.day_seconds,
                        extra_recipes=args.extra_recipes, strict_responses=args.strict_responses,
                        cors_origins=tuple(args.cors_origins or ()))
    settings.training.seconds = args.training_seconds
    from emulator.server import Server
    try:
        server = Server(settings)
    except OSError as problem:   # the port is taken, or the address is not this machine's
        print(f"personalize-emulator: cannot listen on {settings.host}:{settings.port}: {problem.strerror}. "
              "Stop what uses it, or pick another with --port (0 picks a free one).", file=sys.stderr)
        return 2
    print(f"Personalize emulator on {server.endpoint} (data: {settings.data_dir}; console: {server.console})",
          flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # stop cleanly: trainings end, state is committed
    # Ctrl-C stops it too, even when started from a shell that ignores SIGINT in background jobs
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    # Everything acknowledged is committed and the trainings are ended: skip the interpreter's teardown of every
    # loaded module (moto, Flask, botocore), which takes most of a second, so a test session ends promptly.
    logging.shutdown()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
