"""A user's test suite, run by tests/test_external_suite.py in a pytest session of its own (as another project
would run it): the shipped fixtures, the in-process mode and moto's mock_aws side by side."""

import uuid

import boto3
from moto import mock_aws

from emulator import mock_personalize

REGION = "us-east-1"
ROWS = "".join(f"user{u},item{(u * 7 + s) % 40},{1_700_000_000 + u * 1000 + s}\n" for u in range(50) for s in range(25))
CSV = ("USER_ID,ITEM_ID,TIMESTAMP\n" + ROWS).encode()
SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},'
          ' {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')


def recommend(personalize, runtime, s3, wait_for) -> list[str]:
    """Upload, import, train popularity, deploy, recommend: the whole path through whatever answers the clients."""
    s3.create_bucket(Bucket="user-data")
    s3.put_object(Bucket="user-data", Key="interactions.csv", Body=CSV)
    schema = personalize.create_schema(name="s", schema=SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name="g")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    job = personalize.create_dataset_import_job(jobName="j", datasetArn=dataset,
                                                dataSource={"dataLocation": "s3://user-data/interactions.csv"})
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    solution = personalize.create_solution(name="s", datasetGroupArn=group,
                                           recipeArn="arn:aws:personalize:::recipe/aws-popularity-count")
    version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    campaign = personalize.create_campaign(name="c", solutionVersionArn=version)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))
    return [item["itemId"] for item in runtime.get_recommendations(campaignArn=campaign, userId="user1")["itemList"]]


def test_in_process_alone(personalize_inprocess, wait_for):
    items = recommend(boto3.client("personalize", region_name=REGION),
                      boto3.client("personalize-runtime", region_name=REGION),
                      boto3.client("s3", region_name=REGION), wait_for)
    assert len(items) == 25


@mock_aws
def test_in_process_inside_mock_aws(wait_for):
    s3 = boto3.client("s3", region_name=REGION)
    with mock_personalize():
        items = recommend(boto3.client("personalize", region_name=REGION),
                          boto3.client("personalize-runtime", region_name=REGION), s3, wait_for)
    assert len(items) == 25 and s3.list_objects_v2(Bucket="user-data")["KeyCount"] == 1


def test_server_fixture_beside_mock_aws(s3, personalize):
    bucket = f"kept-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    with mock_aws():
        assert boto3.client("s3", region_name=REGION).list_buckets()["Buckets"] == []
    assert bucket in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    personalize.create_dataset_group(name="left-behind")


def test_clean_state(personalize_clean, personalize, s3):
    assert personalize.list_dataset_groups()["datasetGroups"] == []
    assert s3.list_buckets()["Buckets"] == []
