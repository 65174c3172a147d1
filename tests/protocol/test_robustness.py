"""Whatever arrives, a Personalize route answers with an AWS error or a result, never a 500 or HTML."""

import json

import pytest

from emulator.api import HANDLERS
from service_model import load
from tests.protocol.test_wire import SIGNED, raw

ARN = "arn:aws:personalize:us-east-1:123456789012:campaign/not-there"


def sample(shape, name: str = "", depth: int = 0, everything: bool = False):
    """A value of the right type for `shape`, plausible but naming nothing that exists."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members if everything else {m: shape.members[m] for m in shape.required_members}
        return {member: sample(inner, member, depth + 1, everything) for member, inner in members.items()
                if depth < 4}
    if kind == "list":
        return [sample(shape.member, name, depth + 1, everything)]
    if kind == "map":
        return {"key": sample(shape.value, name, depth + 1, everything)}
    if kind == "string":
        if shape.enum:
            return shape.enum[0]
        if name.lower().endswith("arn"):
            return ARN
        return "s3://nowhere/data.csv" if "location" in name.lower() or name == "path" else "value1"
    if kind in ("integer", "long"):
        return int(shape.metadata.get("min", 1))
    if kind in ("float", "double", "timestamp"):
        return 1.0
    return True if kind == "boolean" else "x"


OPERATIONS = [(service, name) for service in HANDLERS for name in sorted(HANDLERS[service])]


def send(endpoint: str, service: str, operation: str, body: dict):
    model = load(service).operation_model(operation)
    if service == "personalize":
        headers = {"X-Amz-Target": f"AmazonPersonalize.{operation}", "Content-Type": "application/x-amz-json-1.1"}
        path = "/"
    else:
        headers, path = {"Content-Type": "application/json"}, model.http["requestUri"]
    headers["Authorization"] = SIGNED
    return raw(endpoint, "POST", path, json.dumps(body).encode(), headers)


@pytest.mark.parametrize("everything", [False, True], ids=["required-members", "all-members"])
@pytest.mark.parametrize("service,operation", OPERATIONS)
def test_plausible_input_naming_nothing_gets_a_modeled_answer(personalize_endpoint, service, operation, everything):
    shape = load(service).operation_model(operation).input_shape
    body = sample(shape, everything=everything) if shape else {}
    status, headers, answer = send(personalize_endpoint, service, operation, body)
    assert status < 500, answer
    if status >= 400:
        assert isinstance(answer, dict) and answer["__type"] == headers["x-amzn-errortype"]


@pytest.mark.parametrize("junk", [b"[]", b'"text"', b"null", b"{\"name\": {\"deep\": [1, 2]}}", b"\xff\xfe"])
@pytest.mark.parametrize("service,operation", [("personalize", "CreateDatasetGroup"),
                                               ("personalize-runtime", "GetRecommendations"),
                                               ("personalize-events", "PutEvents")])
def test_junk_bodies_are_client_errors(personalize_endpoint, service, operation, junk):
    model = load(service).operation_model(operation)
    headers = {"Authorization": SIGNED, "Content-Type": "application/json"}
    path = "/"
    if service == "personalize":
        headers["X-Amz-Target"] = f"AmazonPersonalize.{operation}"
    else:
        path = model.http["requestUri"]
    status, _, answer = raw(personalize_endpoint, "POST", path, junk, headers)
    assert 400 <= status < 500 and isinstance(answer, dict)
