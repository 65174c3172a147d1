"""In-process mode: while `mock_personalize` is active, every botocore client of personalize, personalize-events
and personalize-runtime in this process is answered by an emulator without a socket, whatever its endpoint and
region. Every other AWS service is moto's (it activates moto's mock_aws, which nests with the caller's own), so
import, export and batch jobs read and write the same in-memory S3 as the test.

    from emulator import mock_personalize

    @mock_personalize
    def test_pipeline():
        personalize = boto3.client("personalize", region_name="us-east-1")
        ...
"""

import functools
import inspect
import io
import pathlib
import tempfile
import threading
from urllib.parse import urlsplit

import boto3
from botocore import handlers
from botocore.awsrequest import AWSResponse

SERVICES = ("personalize", "personalize-events", "personalize-runtime")   # botocore's hyphenized service ids

_active: list["PersonalizeMock"] = []   # activations, innermost last: it answers
_lock = threading.Lock()


def _answer(request, **_) -> AWSResponse | None:
    """botocore's before-send hook: the active emulator's answer, or None to let the request go on."""
    with _lock:
        current = _active[-1] if _active else None
    if current is None:
        return None
    request.answered_by_emulator = True
    return current.send(request)


def _let_moto_skip_our_requests() -> None:
    """botocore calls every before-send hook, and moto's answers each amazonaws.com request it does not serve with
    a 404 (or its own Personalize stub) even after ours answered: it skips the requests the emulator answered."""
    from moto.core.botocore_stubber import BotocoreStubber
    if getattr(BotocoreStubber, "skips_emulator_requests", False):
        return
    original = BotocoreStubber.__call__

    def call(self, event_name, request, **kwargs):
        return None if getattr(request, "answered_by_emulator", False) else original(self, event_name, request,
                                                                                       **kwargs)
    BotocoreStubber.__call__, BotocoreStubber.skips_emulator_requests = call, True


# Clients copy their session's handlers when they are made: register for sessions made from now on, and for the
# default session if it exists already. A service-specific event runs before moto's catch-all before-send hook.
for _service in SERVICES:
    handlers.BUILTIN_HANDLERS.append((f"before-send.{_service}", _answer))
    if boto3.DEFAULT_SESSION is not None:
        boto3.DEFAULT_SESSION._session.register(f"before-send.{_service}", _answer)


class _Body(io.BytesIO):
    """A response body in the shape botocore reads: stream() yields the bytes."""

    def stream(self, **_):
        yield self.read()


def mock_personalize(func=None, *, data_dir: str | pathlib.Path | None = None, **settings):
    """An in-process emulator, as moto's mock_aws is used: `@mock_personalize` on a function or a class (each of its
    test methods), `with mock_personalize() as mocked:`, or start()/stop(). State lives in a temporary directory
    per activation unless `data_dir` names one; `settings` are emulator.settings.Settings fields."""
    mock = PersonalizeMock(data_dir, settings)
    return mock if func is None else mock(func)


class PersonalizeMock:
    def __init__(self, data_dir: str | pathlib.Path | None, settings: dict) -> None:
        self._data_dir, self._settings = data_dir, settings
        self.emulator = None

    def __call__(self, target):
        """Decorate a function, or each test method of a class, to run inside a fresh activation."""
        if inspect.isclass(target):
            for name, member in list(vars(target).items()):
                if name.startswith("test") and callable(member):
                    setattr(target, name, self(member))
            return target

        @functools.wraps(target)
        def wrapper(*args, **kwargs):
            with PersonalizeMock(self._data_dir, self._settings):
                return target(*args, **kwargs)
        return wrapper

    def __enter__(self) -> "PersonalizeMock":
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()

    def start(self) -> "PersonalizeMock":
        from moto import mock_aws
        from emulator.app import Emulator
        from emulator.settings import Settings
        _let_moto_skip_our_requests()
        self._moto = mock_aws()
        self._moto.start()
        self._temporary = None
        data_dir = self._data_dir
        if data_dir is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="personalize-emulator-")
            data_dir = self._temporary.name
        # no torch warm-up in the training process: it would cost each activation about 2 s of CPU
        settings = {"status_seconds": 0.05, "warm_up_training": False, **self._settings}
        self.emulator = Emulator(Settings(data_dir=pathlib.Path(data_dir), **settings)).start()
        with _lock:
            _active.append(self)
        return self

    def stop(self) -> None:
        with _lock:
            _active.remove(self)
        try:
            self.emulator.stop()
            self.emulator.db.close()
        finally:
            if self._temporary is not None:
                self._temporary.cleanup()
            self._moto.stop()

    def reset(self) -> None:
        """Forget every Personalize resource, record and model (moto's state is the caller's)."""
        self.emulator.reset()

    def send(self, request) -> AWSResponse:
        """Answer one prepared botocore request through the emulator's WSGI app."""
        from werkzeug.test import EnvironBuilder, run_wsgi_app
        url = urlsplit(request.url)
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        headers = {name: value.decode() if isinstance(value, bytes) else value
                   for name, value in request.headers.items()}
        environ = EnvironBuilder(method=request.method, base_url=f"{url.scheme}://{url.netloc}",
                                 path=url.path or "/", query_string=url.query, headers=headers,
                                 data=body).get_environ()
        chunks, status, answer = run_wsgi_app(self.emulator.wsgi, environ, buffered=True)
        return AWSResponse(request.url, int(status.split()[0]), dict(answer), _Body(b"".join(chunks)))
