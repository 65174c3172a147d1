"""The one generic view: route, parse, validate, call the handler, serialise."""

import functools
import http
import logging
import time
from typing import NamedTuple

from botocore import xform_name
from werkzeug.wsgi import get_input_stream

from emulator import browsers, protocol
from emulator.api import HANDLERS
from emulator.request_context import RequestContext
from emulator.errors import NotImplementedYet, SerializationException, ServiceError, UnknownOperationException
from emulator.store.arns import uuid4
from service_model import routing

log = logging.getLogger("emulator.requests")

# above any request the API accepts: ten PutItems records of 32,000 characters, each JSON-escaped to 6 bytes,
# come to 2 MB
MAX_BODY = 4 * 1024 * 1024


class Call(NamedTuple):
    """What dispatch reads of an HTTP request."""
    method: str
    path: str
    target: str | None        # X-Amz-Target
    body: bytes
    region: str | None        # from the credential scope (see gate.py)
    size: int = 0             # the declared Content-Length; a body above MAX_BODY is left unread
    simple: bool = False      # a web page could have sent it without a preflight (browsers.py)


def call_of(environ: dict) -> Call:
    try:
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        size = 0
    # waitress ends the input itself (wsgi.input_terminated): werkzeug's wrapper would only add a layer to read through
    stream = environ["wsgi.input"] if "wsgi.input_terminated" in environ else get_input_stream(environ)
    body = stream.read() if size <= MAX_BODY else b""
    return Call(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), environ.get("HTTP_X_AMZ_TARGET"), body,
                environ.get("emulator.region"), size, browsers.without_preflight(environ))


def wsgi_app(env, fallback):
    """A WSGI app that serves the Personalize routes straight from the environ, and hands any other request (our
    internal routes, unknown paths and methods) to `fallback`: Flask's request context and URL map cost about
    0.4 ms a request, a quarter of a GetRecommendations."""
    def app(environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        if method != "POST" or not (path == "/" or (method, path) in routing.PATHS):
            return fallback(environ, start_response)
        status, headers, body = handle(env, call_of(environ))
        headers["Content-Length"] = str(len(body))
        start_response(_status_line(status), list(headers.items()))
        return [body]
    return app


@functools.cache
def _status_line(status: int) -> str:
    return f"{status} {http.HTTPStatus(status).phrase}"


def handle(env, call: Call) -> tuple[int, dict, bytes]:
    """Status, headers and body of the answer to one Personalize request."""
    request_id, started = uuid4(), time.perf_counter()
    route = routing.by_target(call.target) if call.target is not None else routing.by_path(call.method, call.path)
    service = route.service if route else ("personalize" if call.path == "/" else "personalize-runtime")
    try:
        _check_envelope(call)
        if route is None:
            raise _unknown(call)
        handler = HANDLERS[route.service].get(route.operation.name)
        if handler is None:
            raise NotImplementedYet(f"{route.operation.name} is not implemented by the emulator yet.")
        params = protocol.parse(route.operation, call.body)
        ctx = RequestContext(env, env.settings.account_id, call.region or env.settings.default_region, request_id)
        result = handler(ctx, **{xform_name(name): value for name, value in params.items()})
        body = protocol.respond(route.operation, result, strict=env.settings.strict_responses)
        status, headers = 200, {"Content-Type": protocol.CONTENT_TYPES[route.operation.service_model.protocol]}
    except ServiceError as error:
        status, headers, body = protocol.error_body(service, error)
    except Exception as error:   # a bug: answer JSON, never HTML; log it with the request id
        log.exception("request %s failed", request_id)
        status, headers, body = protocol.error_body(service, _internal(error))
    headers["x-amzn-RequestId"] = request_id
    if log.isEnabledFor(logging.INFO):   # one line a request, as moto and LocalStack log; quiet at WARNING
        log.info("%s.%s %d %.1f ms%s", service, route.operation.name if route else call.path, status,
                 (time.perf_counter() - started) * 1000, f" {headers['x-amzn-ErrorType']}" if status >= 400 else "")
    return status, headers, body


def _check_envelope(call: Call) -> None:
    if call.size > MAX_BODY:
        error = SerializationException(f"The request body has {call.size} bytes; the emulator reads at most "
                                       f"{MAX_BODY}, more than any Personalize request needs.")
        error.status = 413
        raise error
    if call.simple:
        error = SerializationException(f"{browsers.CROSS_ORIGIN} (AWS SDKs send application/x-amz-json-1.1 or "
                                       "application/json.)")
        error.status = 415
        raise error


def _unknown(call: Call) -> UnknownOperationException:
    if call.target is not None:
        return UnknownOperationException(f"Unknown operation {call.target}.")
    error = UnknownOperationException(f"No Personalize operation answers {call.method} {call.path}.")
    error.status = 404   # spec: wire-protocol.md §5.6
    return error


def _internal(error: Exception) -> ServiceError:
    failure = ServiceError(f"Internal error in the emulator ({type(error).__name__}: {error}).")
    failure.status = 500
    return failure
