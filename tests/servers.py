"""A server of a test's own, in this process, for settings the shared test server does not have (quotas on, another
S3, a fast clock, browser origins)."""

import contextlib
import pathlib
from collections.abc import Callable, Iterator

import boto3

from emulator.server import Server
from emulator.settings import Settings


@contextlib.contextmanager
def own_server(data_dir: pathlib.Path, **settings) -> Iterator[Server]:
    """A started server of these Settings (by default a 0.01 s status dwell and every response checked against its
    output shape), stopped on leaving."""
    server = Server(Settings(port=0, data_dir=data_dir, **{"status_seconds": 0.01, "strict_responses": True,
                                                           **settings})).start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def clients(server: Server) -> Callable[[str], object]:
    """A boto3 client factory for the server: clients(server)("personalize")."""
    return lambda service: boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1",
                                        aws_access_key_id="test", aws_secret_access_key="test")
