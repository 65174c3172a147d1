"""Input found by fuzzing that once answered 500 or stalled the server: each now gets the AWS error."""

import json
import time

import pytest

from service_model import SERVICES, load, validation
from tests.protocol.test_wire import SIGNED, control, raw

LONG_ARN = "arn:aws:personalize:" + ":" * 3200 + "\n"


def events(path: str = "/events") -> dict:
    return {"Content-Type": "application/json", "Authorization": SIGNED}


def test_a_pathological_arn_is_refused_for_its_length_at_once(personalize):
    started = time.perf_counter()
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.describe_campaign(campaignArn=LONG_ARN)
    assert time.perf_counter() - started < 1.0
    message = caught.value.response["Error"]["Message"]
    assert "length less than or equal to 256" in message and "regular expression" not in message


@pytest.mark.parametrize("service", SERVICES)
def test_every_model_pattern_matches_in_linear_time(service):
    model = load(service)
    for name in model.shape_names:
        shape = model.shape_for(name)
        pattern = shape.metadata.get("pattern")
        if not pattern:
            continue
        size = shape.metadata.get("max", 1000)
        for unit in ("arn:aws:personalize:", ":", " ", "a", ":kms:", ":123456789012", "/"):
            text = (unit * size)[:size - 1] + "\n"
            started = time.perf_counter()
            validation.violations(shape, text)
            assert time.perf_counter() - started < 0.05, (name, unit)


def test_an_event_attribution_source_at_its_limit_is_checked_quickly(personalize_events):
    event = {"eventType": "click", "sentAt": 1_700_000_000,
             "metricAttribution": {"eventAttributionSource": "a" * 1023 + "\n"}}
    started = time.perf_counter()
    with pytest.raises(personalize_events.exceptions.InvalidInputException) as caught:
        personalize_events.put_events(trackingId="t", sessionId="s", eventList=[event])
    assert time.perf_counter() - started < 1.0
    assert "eventAttributionSource" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("body", [b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 990 + b"1" + b"}" * 990,
                                  b'{"name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"])
def test_a_deeply_nested_body_is_a_serialization_error_or_read(personalize_endpoint, body):
    status, headers, answer = raw(personalize_endpoint, "POST", "/", body, control("ListDatasetGroups"))
    assert status < 500 and headers["x-amzn-errortype"] if status >= 400 else status == 200
    if b"[" * 5_000 in body:
        assert answer["__type"] == "SerializationException" and "nests" in answer["message"]


def test_a_schema_nested_ten_thousand_deep_is_invalid_input(personalize, unique_name):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_schema(name=unique_name("deep"), schema="[" * 10_000 + "]" * 10_000)
    assert "nests deeper than 32 levels" in caught.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def items_dataset(personalize, wait_for):
    from tests import synthetic
    import uuid
    name = f"hostile-{uuid.uuid4().hex[:6]}"
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=name, schema=synthetic.ITEMS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Items")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    return dataset


def test_put_items_properties_nested_fifteen_thousand_deep_are_invalid_input(personalize_events, items_dataset):
    with pytest.raises(personalize_events.exceptions.InvalidInputException) as caught:
        personalize_events.put_items(datasetArn=items_dataset,
                                     items=[{"itemId": "i1", "properties": "[" * 15_000 + "]" * 15_000}])
    assert caught.value.response["Error"]["Message"].startswith("Error parsing properties json: it nests deeper")


def test_a_lone_surrogate_is_invalid_input_not_a_database_error(personalize_events, personalize_runtime, items_dataset):
    with pytest.raises(personalize_events.exceptions.InvalidInputException) as caught:
        personalize_events.put_items(datasetArn=items_dataset, items=[{"itemId": "\ud800"}])
    assert "'items.1.member.itemId'" in caught.value.response["Error"]["Message"]
    assert "lone surrogates" in caught.value.response["Error"]["Message"]
    with pytest.raises(personalize_events.exceptions.InvalidInputException):
        personalize_events.put_events(trackingId="\ud800", sessionId="s",
                                      eventList=[{"eventType": "click", "sentAt": 1_700_000_000}])
    with pytest.raises(personalize_runtime.exceptions.InvalidInputException) as caught:
        personalize_runtime.get_recommendations(campaignArn="arn:aws:personalize:us-east-1:1:campaign/c",
                                                userId="x\udfff")
    assert "'userId'" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("value,accepted", [(b"1" + b"0" * 30, True), (b"9223372036854775808", True),
                                            (b"1" + b"0" * 39, False), (b"1" + b"0" * 400, False)])
def test_a_huge_event_value_is_stored_as_a_float_or_refused_as_out_of_range(personalize_endpoint, personalize,
                                                                            wait_for, value, accepted, tracker):
    body = (b'{"trackingId": "%s", "sessionId": "s", "eventList": [{"eventType": "click", "itemId": "i1", '
            b'"sentAt": 1700000000, "eventValue": %s}]}' % (tracker.encode(), value))
    status, _, answer = raw(personalize_endpoint, "POST", "/events", body, events())
    if accepted:
        assert status == 200
    else:
        assert status == 400 and answer["__type"] == "InvalidInputException"
        assert "'eventList.1.member.eventValue'" in answer["message"]


@pytest.fixture(scope="module")
def tracker(personalize, wait_for):
    from tests import synthetic
    import uuid
    name = f"hostile-events-{uuid.uuid4().hex[:6]}"
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=name, schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    created = personalize.create_event_tracker(name=name, datasetGroupArn=group)
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=created["eventTrackerArn"]))
    return created["trackingId"]


def test_a_32_bit_member_refuses_two_to_the_31(personalize, arn_for):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_campaign(name="tps", solutionVersionArn=arn_for("solution/s", "v"),
                                    minProvisionedTPS=2 ** 31)
    assert ("'minProvisionedTPS' failed to satisfy constraint: Member must have value less than or equal to "
            "2147483647") in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("operation", ["list_dataset_groups", "list_schemas"])
def test_a_bad_next_token_is_the_modelled_invalid_next_token(personalize, operation):
    for token in ("not-a-token", "é" * 10):
        with pytest.raises(personalize.exceptions.InvalidNextTokenException) as caught:
            getattr(personalize, operation)(nextToken=token)
        assert "nextToken" in caught.value.response["Error"]["Message"]


def test_list_dataset_groups_answers_a_bad_max_results_with_the_protocols_validation_error(personalize_endpoint):
    status, _, answer = raw(personalize_endpoint, "POST", "/", json.dumps({"maxResults": 1000}).encode(),
                            control("ListDatasetGroups"))
    assert status == 400 and answer["__type"] == "ValidationException"
    assert "'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100" \
        in answer["message"]


@pytest.mark.parametrize("method,path,headers,body", [
    ("PUT", "/events", {}, b"{}"),
    ("POST", "/recommendations", {"Content-Type": "text/plain"}, b"{}"),
    ("OPTIONS", "/", {}, b""),
    ("GET", "/items", {}, b""),
])
def test_unsigned_requests_on_personalize_paths_get_personalize_answers(personalize_endpoint, method, path,
                                                                       headers, body):
    status, answer_headers, answer = raw(personalize_endpoint, method, path, body, headers)
    assert 400 <= status < 500
    assert answer["__type"] in ("UnknownOperationException", "SerializationException")
    assert answer_headers["x-amzn-errortype"] == answer["__type"] and answer["message"]


def test_an_unsigned_post_to_an_unknown_path_is_a_client_error(personalize_endpoint):
    status, _, _ = raw(personalize_endpoint, "POST", "/no-such-path", b"{}", {"Content-Type": "text/plain"})
    assert 400 <= status < 500
