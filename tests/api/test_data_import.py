"""Datasets and dataset import jobs: CSV from S3 checked against the schema, FULL and INCREMENTAL."""

import json
import re

import pytest

from tests import steps, synthetic
from tests.servers import clients, own_server

ROWS = synthetic.two_tastes(users=40, per_user=30)


def test_dataset_arn_and_type_are_upper_case(personalize, dataset_group, interactions_schema, unique_name):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")
    assert dataset["datasetArn"].endswith("/INTERACTIONS")
    described = personalize.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"]
    assert described["datasetType"] == "INTERACTIONS" and described["schemaArn"] == interactions_schema


def test_a_second_interactions_dataset_in_a_group_already_exists(personalize, dataset_group, interactions_schema,
                                                                 unique_name):
    first = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                       datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException,
                       match=f"{re.escape(first)} already exists"):
        personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                   datasetGroupArn=dataset_group, datasetType="Interactions")


def test_a_schema_for_another_dataset_type_is_invalid_input(personalize, dataset_group, interactions_schema,
                                                             unique_name):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                   datasetGroupArn=dataset_group, datasetType="Users")
    assert "INTERACTIONS dataset, not USERS" in caught.value.response["Error"]["Message"]


def test_a_schema_used_by_a_dataset_cannot_be_deleted(personalize, dataset_group, interactions_schema, unique_name):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    with pytest.raises(personalize.exceptions.ResourceInUseException,
                       match=f"{re.escape(interactions_schema)} is used by .*{re.escape(dataset)}"):
        personalize.delete_schema(schemaArn=interactions_schema)


def test_import_job_lists_under_its_dataset(personalize, dataset_group, import_interactions):
    dataset = import_interactions(dataset_group, ROWS)
    jobs = personalize.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"]
    assert len(jobs) == 1 and jobs[0]["status"] == "ACTIVE"


def test_a_bad_timestamp_fails_the_import_naming_row_and_column(personalize, dataset_group, import_interactions):
    broken = list(ROWS)
    broken[6] = (broken[6][0], broken[6][1], "yesterday")
    import_interactions(dataset_group, broken, expect="CREATE FAILED")
    dataset = personalize.list_datasets(datasetGroupArn=dataset_group)["datasets"][0]["datasetArn"]
    job = personalize.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"][0]
    reason = job["failureReason"]
    assert "TIMESTAMP" in reason and "yesterday" in reason and "7" in reason


def test_fewer_than_1000_interactions_fail_the_import(personalize, dataset_group, import_interactions):
    import_interactions(dataset_group, ROWS[:999], expect="CREATE FAILED")
    dataset = personalize.list_datasets(datasetGroupArn=dataset_group)["datasets"][0]["datasetArn"]
    job = personalize.list_dataset_import_jobs(datasetArn=dataset)["datasetImportJobs"][0]
    assert "1000" in job["failureReason"]


def test_incremental_import_before_any_full_import_is_invalid_input(personalize, dataset_group,
                                                                     interactions_schema, unique_name, wait_for):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="INCREMENTAL import needs an earlier bulk import"):
        personalize.create_dataset_import_job(jobName=unique_name("inc"), datasetArn=dataset,
                                              dataSource={"dataLocation": "s3://b/k.csv"}, importMode="INCREMENTAL")


def test_a_missing_object_fails_the_import_with_its_location(personalize, dataset_group, interactions_schema,
                                                             unique_name, wait_for, bucket):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName=unique_name("missing"), datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/nothing-here.csv"})
    failed = wait_for(lambda: personalize.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]), "CREATE FAILED")
    assert "nothing-here.csv" in failed["failureReason"]


def test_a_folder_prefix_imports_every_csv_in_it(personalize, s3, bucket, dataset_group, interactions_schema,
                                                unique_name, wait_for):
    folder = unique_name("folder")
    s3.put_object(Bucket=bucket, Key=f"{folder}/part1.csv", Body=synthetic.to_csv(ROWS[:600]))
    s3.put_object(Bucket=bucket, Key=f"{folder}/part2.csv", Body=synthetic.to_csv(ROWS[600:]))
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName=unique_name("folder"), datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{folder}/"})
    imported = wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    assert imported["status"] == "ACTIVE" and imported["dataSource"]["dataLocation"].endswith(f"{folder}/")


def test_import_reads_from_another_s3_endpoint_when_configured(tmp_path, personalize_endpoint, s3, bucket,
                                                               wait_for):
    """A second emulator whose --s3-endpoint-url is the first one: its imports read S3 over HTTP."""
    with own_server(tmp_path, s3_endpoint_url=personalize_endpoint, status_seconds=0.05) as server:
        loaded = steps.loaded_group(clients(server)("personalize"), s3, wait_for, "elsewhere", ROWS, bucket=bucket)
        assert loaded["job"]["status"] == "ACTIVE"
        assert loaded["job"]["dataSource"]["dataLocation"] == f"s3://{bucket}/elsewhere.csv"


def test_update_dataset_swaps_the_schema_through_the_update_statuses(personalize, dataset_group, interactions_schema,
                                                                     unique_name, wait_for):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    wider = json.loads(synthetic.INTERACTIONS_SCHEMA)
    wider["fields"].append({"name": "DEVICE", "type": ["null", "string"], "categorical": True})
    schema = personalize.create_schema(name=unique_name("wider"), schema=json.dumps(wider))["schemaArn"]
    personalize.update_dataset(datasetArn=dataset, schemaArn=schema)
    seen = []
    updated = wait_for(lambda: personalize.describe_dataset(datasetArn=dataset), seen=seen)
    assert seen[0] in ("UPDATE PENDING", "UPDATE IN_PROGRESS")
    assert updated["schemaArn"] == schema and updated["latestDatasetUpdate"]["status"] == "ACTIVE"


def test_update_dataset_to_another_type_is_invalid_input(personalize, dataset_group, interactions_schema,
                                                         unique_name, wait_for):
    dataset = personalize.create_dataset(name=unique_name("d"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    users = personalize.create_schema(name=unique_name("users"), schema=json.dumps({
        "type": "record", "name": "Users", "fields": [{"name": "USER_ID", "type": "string"},
                                                      {"name": "AGE", "type": "int"}]}))["schemaArn"]
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="schema is for USERS.*holds INTERACTIONS"):
        personalize.update_dataset(datasetArn=dataset, schemaArn=users)
