"""Limits and defaults that protect the user: body size, error size, moto's extras, requests a web page sends."""

import json

import pytest

from tests.protocol.test_wire import SIGNED, control, raw

PAGE = {"Origin": "http://page.example"}


def test_a_body_above_the_limit_gets_a_clear_error_unread(personalize_endpoint):
    body = b'{"name": "' + b"a" * (5 * 1024 * 1024) + b'"}'
    status, headers, answer = raw(personalize_endpoint, "POST", "/", body, control("CreateDatasetGroup"))
    assert status == 413 and answer["__type"] == "SerializationException"
    assert "reads at most 4194304" in answer["message"]


@pytest.mark.parametrize("count,opening,closing", [(50, "50 validation errors detected: ", "; and 40 more"),
                                                  (10_000, "100 or more validation errors detected: ", "; and more")])
def test_an_error_lists_the_first_ten_violations_and_counts_them(personalize_endpoint, count, opening, closing):
    body = json.dumps({"campaignArn": "arn:aws:personalize:us-east-1:123456789012:campaign/c", "userId": "u",
                       "inputList": ["a" * 300] * count}).encode()
    status, _, answer = raw(personalize_endpoint, "POST", "/personalize-ranking", body,
                            {"Content-Type": "application/json", "Authorization": SIGNED})
    assert status == 400 and answer["message"].startswith(opening) and answer["message"].endswith(closing)
    assert answer["message"].count("failed to satisfy constraint") == 10 and len(answer["message"]) < 3000


def test_moto_recorder_is_disabled(personalize_endpoint):
    for action in ("upload-recording", "replay-recording", "start-recording"):
        status, _, answer = raw(personalize_endpoint, "POST", f"/moto-api/recorder/{action}", b"{}",
                                {"Content-Type": "application/json"})
        assert status == 404 and "recorder is disabled" in answer["message"]


def test_resets_that_a_web_page_could_send_are_refused(personalize_endpoint):
    for path in ("/_emulator/reset", "/moto-api/reset"):
        for headers in ({"Content-Type": "text/plain"}, {"Content-Type": "application/x-www-form-urlencoded"},
                        PAGE):
            status, _, answer = raw(personalize_endpoint, "POST", path, b"", headers)
            assert status == 403 and answer["__type"] == "AccessDeniedException", (path, headers)
            assert "Content-Type: application/json" in answer["message"]


def test_put_items_with_a_content_type_a_page_can_send_is_refused(personalize_endpoint):
    body = json.dumps({"datasetArn": "arn:aws:personalize:us-east-1:123456789012:dataset/g/ITEMS",
                       "items": [{"itemId": "i"}]}).encode()
    for content_type in ("text/plain; charset=json", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x"):
        status, _, answer = raw(personalize_endpoint, "POST", "/items", body,
                                {"Content-Type": content_type, **PAGE})
        assert status == 415 and answer["__type"] == "SerializationException"
        assert "application/json" in answer["message"]


def test_moto_does_not_echo_an_origin(personalize_endpoint, s3):
    s3.list_buckets()
    for path in ("/moto-api/data.json", "/"):
        status, headers, _ = raw(personalize_endpoint, "GET", path, b"", PAGE)
        assert status == 200 and not any(name.startswith("access-control-") for name in headers)


def test_sdk_content_types_are_served(personalize, personalize_runtime):
    assert "datasetGroups" in personalize.list_dataset_groups()
    try:
        personalize_runtime.get_recommendations(campaignArn="arn:aws:personalize:us-east-1:1:campaign/none",
                                                userId="u")
    except personalize_runtime.exceptions.ResourceNotFoundException:
        pass
