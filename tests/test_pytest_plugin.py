"""The shipped fixtures and the in-process mode, as a user's test suite uses them."""

import os
import threading
import uuid

import boto3
import pytest
from moto import mock_aws

from emulator import mock_personalize
from tests import processes, synthetic

REGION = "us-east-1"


def _group(personalize) -> str:
    return personalize.create_dataset_group(name=f"g-{uuid.uuid4().hex[:6]}")["datasetGroupArn"]


def test_the_in_process_fixture_answers_clients_with_any_endpoint(personalize_inprocess, wait_for):
    personalize = boto3.client("personalize", region_name="eu-west-1")
    group = _group(personalize)
    assert group.startswith("arn:aws:personalize:eu-west-1:123456789012:dataset-group/")
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    runtime = boto3.client("personalize-runtime", region_name="eu-west-1", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(runtime.exceptions.ResourceNotFoundException) as caught:
        runtime.get_recommendations(campaignArn=group.replace("dataset-group", "campaign"), userId="u")
    assert f"{group.replace('dataset-group', 'campaign')} does not exist" in caught.value.response["Error"]["Message"]


def test_each_activation_starts_empty_and_ends_every_thread_and_process():
    threads, before = set(threading.enumerate()), processes.children(os.getpid())
    for _ in range(2):
        with mock_personalize():
            personalize = boto3.client("personalize", region_name=REGION)
            assert personalize.list_dataset_groups()["datasetGroups"] == []
            _group(personalize)
            assert processes.children(os.getpid()) - before   # a training process warms up
    assert set(threading.enumerate()) == threads and processes.children(os.getpid()) == before


@mock_personalize
class TestAsAClassDecorator:
    def test_a_method_runs_inside_the_mock(self):
        assert boto3.client("personalize", region_name=REGION).list_recipes()["recipes"]


@pytest.mark.parametrize("outside", [True, False], ids=["mock_aws-outside", "mock_aws-inside"])
def test_imports_read_moto_s3_in_either_nesting(outside, wait_for):
    moto, ours = mock_aws(), mock_personalize(status_seconds=0.01)
    first, second = (moto, ours) if outside else (ours, moto)
    with first, second:
        s3, personalize = boto3.client("s3", region_name=REGION), boto3.client("personalize", region_name=REGION)
        s3.create_bucket(Bucket="inprocess-data")
        s3.put_object(Bucket="inprocess-data", Key="i.csv", Body=synthetic.to_csv(synthetic.two_tastes()))
        schema = personalize.create_schema(name="s", schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
        group = _group(personalize)
        wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
        dataset = personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group,
                                             datasetType="Interactions")["datasetArn"]
        job = personalize.create_dataset_import_job(jobName="j", datasetArn=dataset,
                                                    dataSource={"dataLocation": "s3://inprocess-data/i.csv"})
        imported = wait_for(lambda: personalize.describe_dataset_import_job(
            datasetImportJobArn=job["datasetImportJobArn"]))
        assert imported["status"] == "ACTIVE" and "failureReason" not in imported   # it read moto's S3


def test_mock_aws_leaves_the_server_fixtures_s3_alone(s3, personalize_endpoint):
    bucket = f"kept-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    with mock_aws():
        assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
    assert bucket in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
