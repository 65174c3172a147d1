"""Serving an Emulator over HTTP with waitress: threads and keep-alive, unlike a development server."""

import gc
import logging
import threading

from waitress.channel import HTTPChannel
from waitress.server import create_server

from emulator.app import Emulator, create_app
from emulator.settings import Settings

log = logging.getLogger("emulator")


class _Channel(HTTPChannel):
    """waitress marks a request unfinished when it answers `Expect: 100-continue`, even one with no body to wait
    for, which then hangs: botocore sends that header with every S3 PutObject, an empty one (a folder marker, a
    _CHECK file) included."""

    def send_continue(self) -> None:
        finished = self.request.completed and not self.request.chunked and self.request.content_length == 0
        super().send_continue()
        self.request.completed = self.request.completed or finished


class Server:
    """An emulator listening on host:port (port 0 picks a free one), run in the foreground or on a thread."""

    def __init__(self, settings: Settings) -> None:
        self.emulator: Emulator = create_app(settings)
        self._server = create_server(self.emulator.wsgi, host=settings.host, port=settings.port,
                                     threads=settings.server_threads, ident="personalize-emulator",
                                     channel_timeout=300)
        self._server.channel_class = _Channel
        self._thread: threading.Thread | None = None
        self._closing = False

    @property
    def port(self) -> int:
        return self._server.effective_port

    @property
    def endpoint(self) -> str:
        return f"http://{self.emulator.settings.host}:{self.port}"

    @property
    def console(self) -> str:
        """The web console's address."""
        from emulator.internal import CONSOLE_PATH
        return self.endpoint + CONSOLE_PATH

    def run(self) -> None:
        self.emulator.start()
        # what start-up made (botocore's models, moto, the app) lives as long as the process: out of the collector's
        # way (and each deployed model with it, deployed.py), a full collection pauses a request for about a
        # millisecond instead of 100
        gc.collect()
        gc.freeze()
        log.info("Personalize emulator listening on %s (data in %s); console at %s", self.endpoint,
                 self.emulator.settings.data_dir, self.console)
        try:
            self._server.run()
        finally:
            self.emulator.stop()

    def start_in_thread(self) -> "Server":
        self.emulator.start()
        self._thread = threading.Thread(target=self._serve_until_closed, name="emulator-http", daemon=True)
        self._thread.start()
        return self

    def _serve_until_closed(self) -> None:
        try:
            self._server.run()
        except OSError:
            if not self._closing:   # closing the sockets from another thread ends the loop this way
                raise

    def stop(self) -> None:
        """Close the listening socket and every connection from inside the serving loop (an open keep-alive
        connection would keep it running), then end waitress's threads and the emulator's."""
        self._closing = True

        def close_all() -> None:
            for channel in list(self._server._map.values()):
                channel.close()
        if self._thread:
            self._server.trigger.pull_trigger(close_all)
            self._thread.join(timeout=5)
        else:
            self._server.close()
        self._server.task_dispatcher.shutdown(timeout=5)
        self.emulator.stop()
