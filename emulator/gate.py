"""The WSGI front door: Personalize to us, every other AWS service (S3, IAM, STS, ...) to moto.
spec: wire-protocol.md §3 (the order of the rules) and §9.2."""

import json
import logging
import time
from typing import NamedTuple
from xml.sax.saxutils import escape

from emulator import browsers
from service_model import routing

log = logging.getLogger("emulator.gate")
requests_log = logging.getLogger("emulator.requests")

INTERNAL_PREFIX = "/_emulator"
MOTO_API_PREFIX = "/moto-api"
RECORDER_PREFIX = "/moto-api/recorder/"   # upload-recording writes files, replay-recording calls any host


class Scope(NamedTuple):
    region: str
    service: str


def credential_scope(authorization: str | None) -> Scope | None:
    """Region and service from a SigV4 Authorization header; None when unsigned or unreadable."""
    if not authorization or " " not in authorization:
        return None
    for part in authorization.split(" ", 1)[1].split(","):
        part = part.strip()
        if part.startswith("Credential="):
            fields = part[len("Credential="):].split("/")
            if len(fields) == 5 and fields[4] == "aws4_request":
                return Scope(region=fields[2], service=fields[3])
    return None


def is_personalize(environ: dict, scope: Scope | None) -> bool:
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
    if path.startswith(INTERNAL_PREFIX) or environ.get("HTTP_X_AMZ_TARGET", "").startswith(routing.TARGET_PREFIX):
        return True
    if scope is not None:
        return scope.service == "personalize"
    # Unsigned (curl, a browser): the eight rest-json paths are ours whatever the method or content type (an
    # anonymous path-style S3 request to a bucket named "events" loses out; signed S3 requests carry scope s3),
    # and so is "/" except S3's ListBuckets and the form POSTs of STS's unsigned operations.
    if routing.is_rest_path(path):
        return True
    if path == "/":
        return method not in ("GET", "HEAD") and browsers.media_type(environ) not in browsers.FORM_TYPES
    return False


def make_gate(personalize_app, other_app, on_moto_reset=lambda: None):
    """The front door. moto's Access-Control-* headers are dropped (cors.py adds ours where allowed) and its
    state-changing /moto-api routes refuse what a web page could send (see browsers.py). moto's reset route
    resets Personalize too (`on_moto_reset`), so a client that knows only moto's clean slate gets a whole one."""
    moto = _guarded(other_app)

    def gate(environ, start_response):
        scope = credential_scope(environ.get("HTTP_AUTHORIZATION"))
        if is_personalize(environ, scope):
            environ["emulator.region"] = scope.region if scope else None
            return personalize_app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if path.startswith(RECORDER_PREFIX):
            return _refuse(start_response, "404 Not Found", "moto's recorder is disabled in the emulator.")
        if path.startswith(MOTO_API_PREFIX) and browsers.changes_state_without_preflight(environ):
            return _refuse(start_response, "403 Forbidden", browsers.CROSS_ORIGIN)
        if path == MOTO_API_PREFIX + "/reset" and environ.get("REQUEST_METHOD") == "POST":
            on_moto_reset()
        started = time.perf_counter()

        def answer(status, headers, *rest):
            if requests_log.isEnabledFor(logging.INFO):   # moto's requests get their line too: service, call, status
                requests_log.info("%s %s %s %s %.1f ms", scope.service if scope else "unsigned",
                                  environ.get("REQUEST_METHOD"), path, status.split(" ", 1)[0],
                                  (time.perf_counter() - started) * 1000)
            return start_response(status, browsers.without_cors_headers(headers), *rest)
        return moto(environ, answer)
    return gate


def _guarded(app):
    """moto answers some requests it cannot read (an S3 PATCH, a JSON body where XML belongs) by raising or
    with a 500; S3 itself answers those with a 400, and so do we."""
    def guarded(environ, start_response):
        failed = []

        def capture(status, headers, exc_info=None):
            if status.startswith("5"):
                failed.append(status)
                return lambda data: None
            return start_response(status, headers, exc_info)
        try:
            result = app(environ, capture)
        except Exception as error:   # noqa: BLE001 - moto's bug, the client's bad request
            log.info("moto could not handle %s %s: %r", environ.get("REQUEST_METHOD"), environ.get("PATH_INFO"),
                     error)
            failed.append(repr(error))
        else:
            if not failed:
                return result
            getattr(result, "close", lambda: None)()
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidRequest</Code><Message>The "
                f"emulator's S3/IAM/STS (moto) cannot handle this {escape(environ.get('REQUEST_METHOD', ''))} "
                f"request.</Message></Error>").encode()
        start_response("400 Bad Request", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
        return [body]
    return guarded


def _refuse(start_response, status: str, message: str) -> list[bytes]:
    code = "AccessDeniedException" if status.startswith("403") else "UnknownOperationException"
    body = json.dumps({"__type": code, "message": message}).encode()
    start_response(status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", code),
                            ("Content-Length", str(len(body)))])
    return [body]
