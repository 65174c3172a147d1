"""The wire protocol: routing by target and path, AWS-style errors for broken requests, never HTML or 500."""

import http.client
import json
from urllib.parse import urlparse

import pytest

SIGNED = ("AWS4-HMAC-SHA256 Credential=test/20261128/eu-west-1/personalize/aws4_request, "
          "SignedHeaders=host, Signature=0")


def raw(endpoint: str, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    """One request with no SDK in between: (status, headers, parsed JSON body or raw bytes)."""
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = data
    return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed


def control(operation: str) -> dict:
    return {"X-Amz-Target": f"AmazonPersonalize.{operation}", "Content-Type": "application/x-amz-json-1.1",
            "Authorization": SIGNED}


def test_malformed_json_is_a_serialization_error_not_a_500(personalize_endpoint):
    status, headers, body = raw(personalize_endpoint, "POST", "/", b"{not json", control("ListDatasetGroups"))
    assert status == 400
    assert body["__type"] == "SerializationException" and headers["x-amzn-errortype"] == "SerializationException"
    assert headers["x-amzn-requestid"]


def test_unknown_target_is_an_unknown_operation(personalize_endpoint):
    status, _, body = raw(personalize_endpoint, "POST", "/", b"{}", control("MakeCoffee"))
    assert status == 400 and body["__type"] == "UnknownOperationException"
    assert "MakeCoffee" in body["message"]


def test_unknown_path_signed_for_personalize_is_a_json_404(personalize_endpoint):
    status, headers, body = raw(personalize_endpoint, "POST", "/no-such-path", b"{}",
                                {"Authorization": SIGNED, "Content-Type": "application/json"})
    assert status == 404 and body["__type"] == "UnknownOperationException"
    assert headers["content-type"].startswith("application/json")


def test_wrong_member_type_names_the_member(personalize_endpoint):
    status, _, body = raw(personalize_endpoint, "POST", "/", json.dumps({"maxResults": "ten"}).encode(),
                          control("ListSolutions"))
    assert status == 400 and body["__type"] == "InvalidInputException"
    assert "'maxResults'" in body["message"]


def test_max_results_above_the_model_maximum_is_invalid_input(personalize):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.list_solutions(maxResults=101)
    assert "less than or equal to 100" in caught.value.response["Error"]["Message"]


def test_enum_violation_lists_the_allowed_values(personalize_endpoint):
    body = json.dumps({"name": "shop", "domain": "GROCERIES"}).encode()
    status, _, answer = raw(personalize_endpoint, "POST", "/", body, control("CreateDatasetGroup"))
    assert status == 400 and "ECOMMERCE, VIDEO_ON_DEMAND" in answer["message"]


def test_missing_required_member_is_invalid_input(personalize_endpoint):
    status, _, body = raw(personalize_endpoint, "POST", "/", b"{}", control("CreateDatasetGroup"))
    assert status == 400 and "Value null at 'name'" in body["message"]


def test_runtime_errors_use_the_status_its_model_declares(personalize_runtime, arn_for):
    missing = arn_for("campaign", "nowhere")
    with pytest.raises(personalize_runtime.exceptions.ResourceNotFoundException) as caught:
        personalize_runtime.get_recommendations(campaignArn=missing, userId="u")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_events_reject_an_unknown_tracking_id(personalize_events):
    with pytest.raises(personalize_events.exceptions.InvalidInputException):
        personalize_events.put_events(trackingId="no-such-tracker", sessionId="s",
                                      eventList=[{"eventType": "click", "itemId": "i", "sentAt": 1}])


def test_every_response_carries_a_request_id(personalize):
    response = personalize.list_dataset_groups()
    assert response["ResponseMetadata"]["RequestId"]


def test_an_operation_not_built_yet_answers_501_once(personalize_endpoint):
    from emulator.api import HANDLERS
    from service_model import load
    missing = sorted(set(load("personalize").operation_names) - set(HANDLERS["personalize"]))
    if not missing:
        pytest.skip("every control-plane operation is implemented")
    status, _, body = raw(personalize_endpoint, "POST", "/", b"{}", control(missing[0]))
    assert status == 501 and body["__type"] == "InternalFailure"


def test_health_reports_version_and_services(personalize_endpoint):
    status, _, body = raw(personalize_endpoint, "GET", "/_emulator/health")
    assert status == 200 and body["status"] == "ok" and body["version"]
    assert body["services"] == ["personalize", "personalize-events", "personalize-runtime"]


def test_unsigned_curl_style_request_reaches_personalize(personalize_endpoint):
    status, _, body = raw(personalize_endpoint, "POST", "/recommendations", b"{}",
                          {"Content-Type": "application/json"})
    assert status == 400 and body["__type"] == "InvalidInputException"


def test_s3_iam_and_sts_share_the_endpoint(aws_client):
    assert aws_client("sts").get_caller_identity()["Account"] == "123456789012"
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="shared-endpoint-check")
    assert "shared-endpoint-check" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_region_comes_from_the_credential_scope(aws_client, personalize_endpoint):
    import boto3
    client = boto3.client("personalize", endpoint_url=personalize_endpoint, region_name="eu-west-1",
                          aws_access_key_id="test", aws_secret_access_key="test")
    arn = client.create_dataset_group(name="in-ireland")["datasetGroupArn"]
    assert arn.startswith("arn:aws:personalize:eu-west-1:123456789012:dataset-group/")


def test_pagination_hands_out_tokens_and_rejects_foreign_ones(personalize, unique_name):
    for _ in range(3):
        personalize.create_schema(name=unique_name("paged"), schema=json.dumps({
            "type": "record", "name": "Interactions", "fields": [
                {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                {"name": "TIMESTAMP", "type": "long"}]}))
    first = personalize.list_schemas(maxResults=2)
    assert len(first["schemas"]) == 2 and first["nextToken"]
    second = personalize.list_schemas(maxResults=2, nextToken=first["nextToken"])
    assert not {s["schemaArn"] for s in first["schemas"]} & {s["schemaArn"] for s in second["schemas"]}
    with pytest.raises(personalize.exceptions.InvalidNextTokenException):
        personalize.list_schemas(nextToken="forged")


def test_members_the_model_does_not_know_are_ignored(personalize_endpoint):
    body = json.dumps({"maxResults": 5, "colour": "blue"}).encode()
    status, _, answer = raw(personalize_endpoint, "POST", "/", body, control("ListDatasetGroups"))
    assert status == 200 and "datasetGroups" in answer


def test_unknown_nested_members_are_dropped_before_they_are_stored(personalize_endpoint, personalize, unique_name):
    name = unique_name("nested")
    body = json.dumps({"name": name, "tags": [{"tagKey": "k", "tagValue": "v", "colour": "blue"}]}).encode()
    status, _, answer = raw(personalize_endpoint, "POST", "/", body, control("CreateDatasetGroup"))
    assert status == 200
    assert personalize.list_tags_for_resource(resourceArn=answer["datasetGroupArn"])["tags"] == [
        {"tagKey": "k", "tagValue": "v"}]



def test_an_empty_s3_object_uploads_without_waiting(s3, bucket):
    """botocore sends Expect: 100-continue with every PutObject; an empty body must not leave it hanging."""
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    assert s3.get_object(Bucket=bucket, Key="folder/")["ContentLength"] == 0
