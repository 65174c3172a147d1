"""The modeled exceptions, raised where the real service raises them."""

import json
import re

import pytest

from tests import synthetic


def test_describing_a_missing_dataset_group_is_not_found(personalize, arn_for):
    missing = arn_for("dataset-group", "no-such-group")
    with pytest.raises(personalize.exceptions.ResourceNotFoundException) as caught:
        personalize.describe_dataset_group(datasetGroupArn=missing)
    assert missing in caught.value.response["Error"]["Message"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_second_dataset_group_with_the_same_name_already_exists(personalize, unique_name):
    name = unique_name("twice")
    personalize.create_dataset_group(name=name)
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException) as caught:
        personalize.create_dataset_group(name=name)
    assert f"{name} already exists" in caught.value.response["Error"]["Message"]


def test_deleting_a_dataset_group_that_still_has_a_dataset_is_in_use(personalize, dataset_group, unique_name,
                                                                     interactions_schema, wait_for):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    with pytest.raises(personalize.exceptions.ResourceInUseException) as caught:
        personalize.delete_dataset_group(datasetGroupArn=dataset_group)
    assert f"still used by: {dataset}" in caught.value.response["Error"]["Message"]
    status = personalize.describe_dataset_group(datasetGroupArn=dataset_group)["datasetGroup"]["status"]
    assert status == "ACTIVE"


def test_an_interactions_schema_without_timestamp_is_invalid_input(personalize, unique_name):
    schema = json.loads(synthetic.INTERACTIONS_SCHEMA)
    schema["fields"] = [field for field in schema["fields"] if field["name"] != "TIMESTAMP"]
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_schema(name=unique_name("schema"), schema=json.dumps(schema))
    assert "missing required field TIMESTAMP" in caught.value.response["Error"]["Message"]


@pytest.mark.parametrize("name", ["bad name", "-leading-dash", "trailing!", "x" * 64])
def test_an_invalid_name_is_invalid_input_naming_the_field(personalize, name):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_dataset_group(name=name)
    assert "at 'name' failed to satisfy constraint" in caught.value.response["Error"]["Message"]


def test_deleted_dataset_group_shows_delete_pending_then_disappears(personalize, dataset_group, wait_for):
    personalize.delete_dataset_group(datasetGroupArn=dataset_group)
    status = personalize.describe_dataset_group(datasetGroupArn=dataset_group)["datasetGroup"]["status"]
    assert status in ("DELETE PENDING", "DELETE IN_PROGRESS")
    with pytest.raises(personalize.exceptions.ResourceNotFoundException,
                       match=f"{re.escape(dataset_group)} does not exist"):
        wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=dataset_group), "GONE", timeout=10)


def test_deleting_twice_while_the_first_delete_runs_is_in_use(personalize, dataset_group):
    personalize.delete_dataset_group(datasetGroupArn=dataset_group)
    with pytest.raises(personalize.exceptions.ResourceInUseException,
                       match=f"{re.escape(dataset_group)} is DELETE .*cannot be deleted now"):
        personalize.delete_dataset_group(datasetGroupArn=dataset_group)


def test_an_event_time_far_beyond_epoch_seconds_is_invalid_input_not_a_crash(
        personalize, personalize_endpoint, dataset_group, interactions_schema, unique_name, wait_for):
    from tests.protocol.test_wire import SIGNED, raw
    personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema, datasetGroupArn=dataset_group,
                               datasetType="Interactions")
    tracker = personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=dataset_group)
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    body = json.dumps({"trackingId": tracker["trackingId"], "sessionId": "s",
                       "eventList": [{"eventType": "click", "itemId": "i", "sentAt": 1e30}]}).encode()
    status, _, answer = raw(personalize_endpoint, "POST", "/events", body,
                            {"Authorization": SIGNED, "Content-Type": "application/json"})
    assert status == 400 and answer["__type"] == "InvalidInputException" and "sentAt" in answer["message"]
