"""Browser access is opt-in (--cors-origin); moto's reset route and our own routes answer plainly."""

import json
import urllib.error
import urllib.request

import pytest

from tests.servers import own_server

APP = "http://localhost:3000"


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory):
    with own_server(tmp_path_factory.mktemp("cors"), cors_origins=(APP,), strict_responses=False) as server:
        yield server


def call(endpoint: str, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    request = urllib.request.Request(endpoint + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("path", ["/", "/recommendations", "/events", "/some-bucket/some-key"])
def test_a_named_origin_gets_its_preflights_answered(cors_server, path):
    status, headers, _ = call(cors_server.endpoint, "OPTIONS", path, {
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-amz-date,x-amz-target"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == APP
    assert headers["Access-Control-Allow-Headers"] == "authorization,content-type,x-amz-date,x-amz-target"
    assert "x-amzn-RequestId" in headers["Access-Control-Expose-Headers"]


def test_other_origins_get_no_cors_headers(cors_server):
    status, headers, body = call(cors_server.endpoint, "OPTIONS", "/", {
        "Origin": "http://elsewhere.example", "Access-Control-Request-Method": "POST"})
    assert status == 405 and "Access-Control-Allow-Origin" not in headers
    assert json.loads(body)["__type"] == "UnknownOperationException"


def test_an_allowed_origins_answers_carry_the_header(cors_server):
    status, headers, _ = call(cors_server.endpoint, "POST", "/", {
        "Origin": APP, "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AmazonPersonalize.ListDatasetGroups"}, b"{}")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == APP


def test_without_an_origin_named_no_answer_carries_cors_headers(personalize_endpoint):
    status, headers, _ = call(personalize_endpoint, "OPTIONS", "/", {
        "Origin": APP, "Access-Control-Request-Method": "POST"})
    assert status == 405 and not [name for name in headers if name.lower().startswith("access-control-")]


def test_motos_reset_route_resets_personalize_too(cors_server):
    body = json.dumps({"name": "before-reset"}).encode()
    json_call = {"Content-Type": "application/x-amz-json-1.1"}
    call(cors_server.endpoint, "POST", "/", {**json_call, "X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup"}, body)
    status, _, _ = call(cors_server.endpoint, "POST", "/moto-api/reset", {"Content-Type": "application/json"}, b"{}")
    assert status == 200
    _, _, listed = call(cors_server.endpoint, "POST", "/", {
        **json_call, "X-Amz-Target": "AmazonPersonalize.ListDatasetGroups"}, b"{}")
    assert json.loads(listed)["datasetGroups"] == []


def test_a_wrong_method_on_our_routes_says_which_method(cors_server):
    status, _, body = call(cors_server.endpoint, "GET", "/_emulator/reset")
    assert status == 405 and json.loads(body)["message"] == "/_emulator/reset answers POST, not GET."
