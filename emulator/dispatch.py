"""The one generic view: route, parse, validate, call the handler, serialise."""

import logging
import uuid

from botocore import xform_name
from flask import Request, Response

from emulator import protocol
from emulator.api import HANDLERS
from emulator.context import RequestContext
from emulator.errors import NotImplementedYet, ServiceError, UnknownOperationException
from service_model import routing

log = logging.getLogger("emulator.requests")


def handle(env, request: Request) -> Response:
    request_id = str(uuid.uuid4())
    route = _route(request)
    service = route.service if route else ("personalize" if request.path == "/" else "personalize-runtime")
    try:
        if route is None:
            raise _unknown(request)
        handler = HANDLERS[route.service].get(route.operation.name)
        if handler is None:
            raise NotImplementedYet(f"{route.operation.name} is not implemented by the emulator yet.")
        params = protocol.parse(route.operation, request.get_data())
        ctx = RequestContext(env, env.settings.account_id, request.environ.get("emulator.region")
                             or env.settings.default_region, request_id)
        result = handler(ctx, **{xform_name(name): value for name, value in params.items()})
        body = protocol.respond(route.operation, result, strict=env.settings.strict_responses)
        status, headers = 200, {"Content-Type": protocol.CONTENT_TYPES[route.operation.service_model.protocol]}
    except ServiceError as error:
        status, headers, body = protocol.error_body(service, error)
    except Exception as error:   # a bug: answer JSON, never HTML; log it with the request id
        log.exception("request %s failed", request_id)
        status, headers, body = protocol.error_body(service, _internal(error))
    headers["x-amzn-RequestId"] = request_id
    return Response(body, status=status, headers=headers)


def _route(request: Request) -> routing.Route | None:
    target = request.headers.get("X-Amz-Target")
    if target is not None:
        return routing.by_target(target)
    return routing.by_path(request.method, request.path)


def _unknown(request: Request) -> UnknownOperationException:
    target = request.headers.get("X-Amz-Target")
    if target is not None:
        return UnknownOperationException(f"Unknown operation {target}.")
    error = UnknownOperationException(f"No Personalize operation answers {request.method} {request.path}.")
    error.status = 404   # spec: wire-protocol.md §5.6
    return error


def _internal(error: Exception) -> ServiceError:
    failure = ServiceError(f"Internal error in the emulator ({type(error).__name__}: {error}).")
    failure.status = 500
    return failure
