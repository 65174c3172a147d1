"""Command line: `python -m emulator serve` (also installed as `personalize-emulator`)."""

import argparse
import logging
import pathlib
import signal
import sys

from emulator.settings import DEFAULT_PORT, Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="personalize-emulator", description="A local Amazon Personalize.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the emulator's HTTP endpoint")
    defaults = Settings()
    serve.add_argument("--host", default=defaults.host, help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default %(default)s; 0 = any free)")
    serve.add_argument("--data-dir", type=pathlib.Path, default=defaults.data_dir,
                       help="where state and models live (default %(default)s)")
    serve.add_argument("--account-id", default=defaults.account_id, help="AWS account id in ARNs")
    serve.add_argument("--s3-endpoint-url", default=None,
                       help="read import data from this S3 endpoint instead of the built-in S3")
    serve.add_argument("--status-seconds", type=float, default=defaults.status_seconds,
                       help="least time each transient status stays visible (default %(default)s)")
    serve.add_argument("--training-seconds", type=float, default=defaults.training.seconds,
                       help="wall-clock budget of one training (default %(default)s)")
    serve.add_argument("--feedback-refresh-seconds", type=float, default=defaults.feedback_refresh_seconds,
                       help="how often exploration takes in new clicks and impressions (default %(default)s)")
    serve.add_argument("--day-seconds", type=float, default=defaults.day_seconds,
                       help="real seconds in one day of automatic training's schedule (default %(default)s)")
    serve.add_argument("--extra-recipes", action="store_true",
                       help="list the emulator's own recipes (emulator-deepfm, emulator-ffnn) in ListRecipes too")
    serve.add_argument("--no-quotas", dest="quotas", action="store_false",
                       help="lift the service's quotas (5 dataset groups per region, 5 campaigns per group, ...)")
    serve.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = Settings(host=args.host, port=args.port, data_dir=args.data_dir.expanduser(),
                        account_id=args.account_id, s3_endpoint_url=args.s3_endpoint_url,
                        status_seconds=args.status_seconds, quotas=args.quotas,
                        feedback_refresh_seconds=args.feedback_refresh_seconds, day_seconds=args.day_seconds,
                        extra_recipes=args.extra_recipes)
    settings.training.seconds = args.training_seconds
    from emulator.server import Server
    server = Server(settings)
    print(f"Personalize emulator on {server.endpoint} (data: {settings.data_dir})", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))   # stop cleanly: trainings end, state is committed
    # Ctrl-C stops it too, even when started from a shell that ignores SIGINT in background jobs
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
