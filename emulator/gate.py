"""The WSGI front door: Personalize to us, every other AWS service (S3, IAM, STS, ...) to moto.
spec: wire-protocol.md §3 (the order of the rules) and §9.2."""

from typing import NamedTuple

from service_model import routing

INTERNAL_PREFIX = "/_emulator"


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
    # unsigned (curl): only JSON bodies on the eight rest-json paths; S3 never sends those
    return (routing.by_path(method, path) is not None
            and "json" in environ.get("CONTENT_TYPE", ""))


def make_gate(personalize_app, other_app):
    def gate(environ, start_response):
        scope = credential_scope(environ.get("HTTP_AUTHORIZATION"))
        if is_personalize(environ, scope):
            environ["emulator.region"] = scope.region if scope else None
            return personalize_app(environ, start_response)
        return other_app(environ, start_response)
    return gate
