"""Helpers on top of the shipped pytest plugin (emulator.pytest_plugin provides the server and clients)."""

import uuid

import pytest

from tests import synthetic


@pytest.fixture
def unique_name():
    """unique_name("dsg") -> "dsg-1a2b3c4d": tests share one server, so names must not collide."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def arn_for():
    return lambda kind, name: f"arn:aws:personalize:us-east-1:123456789012:{kind}/{name}"


@pytest.fixture(scope="session")
def bucket(s3):
    name = f"data-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session")
def interactions_schema(personalize):
    return personalize.create_schema(name=f"interactions-{uuid.uuid4().hex[:8]}",
                                     schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]


@pytest.fixture
def dataset_group(personalize, wait_for, unique_name):
    """A new ACTIVE dataset group."""
    arn = personalize.create_dataset_group(name=unique_name("group"))["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=arn))
    return arn


@pytest.fixture
def import_interactions(personalize, s3, bucket, wait_for, unique_name, interactions_schema):
    """import_interactions(group, rows) -> dataset ARN: an Interactions dataset loaded with `rows`."""

    def load(group: str, rows: list[tuple], expect: str = "ACTIVE") -> str:
        dataset = personalize.create_dataset(name=unique_name("interactions"), schemaArn=interactions_schema,
                                             datasetGroupArn=group, datasetType="Interactions")["datasetArn"]
        wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
        key = f"{unique_name('upload')}.csv"
        s3.put_object(Bucket=bucket, Key=key, Body=synthetic.to_csv(rows))
        job = personalize.create_dataset_import_job(
            jobName=unique_name("import"), datasetArn=dataset, dataSource={"dataLocation": f"s3://{bucket}/{key}"},
            roleArn="arn:aws:iam::123456789012:role/PersonalizeRole")["datasetImportJobArn"]
        wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), expect)
        return dataset
    return load
