"""Dataset export jobs write the dataset as CSV to S3; data deletion jobs remove users' records."""

import csv
import io
import json

import pytest

from tests import steps, synthetic

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"


@pytest.fixture
def group(personalize, aws_client, wait_for, unique_name):
    name = unique_name("data")
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=7))
    items = steps.add_items(personalize, aws_client("s3"), wait_for, loaded["group"], name,
                            synthetic.items_of_two_tastes())
    return {**loaded, "items": items, "bucket": f"{name}-data", "name": name}


def read_csv(s3, bucket: str, prefix: str) -> list[dict]:
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    assert len(keys) == 1, keys
    text = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read().decode()
    return list(csv.DictReader(io.StringIO(text)))


def export(personalize, wait_for, dataset: str, path: str, name: str, **options) -> dict:
    arn = personalize.create_dataset_export_job(jobName=name, datasetArn=dataset, roleArn=ROLE,
                                                jobOutput={"s3DataDestination": {"path": path}},
                                                **options)["datasetExportJobArn"]
    return wait_for(lambda: personalize.describe_dataset_export_job(datasetExportJobArn=arn))


def test_export_writes_the_interactions_with_the_schema_header(personalize, aws_client, group, wait_for, unique_name):
    job = export(personalize, wait_for, group["dataset"], f"s3://{group['bucket']}/export/", unique_name("x"),
                 ingestionMode="BULK")
    assert job["ingestionMode"] == "BULK" and job["status"] == "ACTIVE"
    rows = read_csv(aws_client("s3"), group["bucket"], "export/")
    assert list(rows[0]) == ["USER_ID", "ITEM_ID", "TIMESTAMP"]
    assert {(r["USER_ID"], r["ITEM_ID"], int(r["TIMESTAMP"])) for r in rows} == set(synthetic.two_tastes(seed=7))
    listed = personalize.list_dataset_export_jobs(datasetArn=group["dataset"])["datasetExportJobs"]
    assert [entry["datasetExportJobArn"] for entry in listed] == [job["datasetExportJobArn"]]


def test_export_modes_choose_bulk_or_put_records(personalize, personalize_events, aws_client, group, wait_for,
                                                unique_name):
    personalize_events.put_items(datasetArn=group["items"], items=[
        {"itemId": "new-1", "properties": json.dumps({"genre": "western", "price": "3.5"})}])
    s3 = aws_client("s3")
    put = export(personalize, wait_for, group["items"], f"s3://{group['bucket']}/put/", unique_name("p"))
    assert put["ingestionMode"] == "PUT"   # the documented default
    assert read_csv(s3, group["bucket"], "put/") == [{"ITEM_ID": "new-1", "GENRE": "western", "PRICE": "3.5"}]
    export(personalize, wait_for, group["items"], f"s3://{group['bucket']}/all/", unique_name("a"),
           ingestionMode="ALL")
    assert len(read_csv(s3, group["bucket"], "all/")) == 101


def test_export_to_a_missing_bucket_fails_with_a_reason(personalize, group, wait_for, unique_name):
    arn = personalize.create_dataset_export_job(
        jobName=unique_name("x"), datasetArn=group["dataset"], roleArn=ROLE,
        jobOutput={"s3DataDestination": {"path": "s3://no-such-bucket-here/out/"}})["datasetExportJobArn"]
    failed = wait_for(lambda: personalize.describe_dataset_export_job(datasetExportJobArn=arn), "CREATE FAILED")
    assert "no-such-bucket-here" in failed["failureReason"]


def test_data_deletion_removes_the_listed_users_everywhere(personalize, aws_client, group, wait_for, unique_name):
    s3 = aws_client("s3")
    s3.put_object(Bucket=group["bucket"], Key="forget/users.csv", Body=b"USER_ID\nuser1\nuser2\nnobody\n")
    arn = personalize.create_data_deletion_job(jobName=unique_name("d"), datasetGroupArn=group["group"],
                                               dataSource={"dataLocation": f"s3://{group['bucket']}/forget/"},
                                               roleArn=ROLE)["dataDeletionJobArn"]
    seen = []
    job = wait_for(lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn), "COMPLETED", seen=seen)
    assert seen[0] in ("PENDING", "IN_PROGRESS") and "IN_PROGRESS" in seen
    assert job["numDeleted"] == 60   # 30 interactions each
    export(personalize, wait_for, group["dataset"], f"s3://{group['bucket']}/after/", unique_name("x"),
           ingestionMode="ALL")
    users = {row["USER_ID"] for row in read_csv(s3, group["bucket"], "after/")}
    assert "user1" not in users and "user2" not in users and "user3" in users
    listed = personalize.list_data_deletion_jobs(datasetGroupArn=group["group"])["dataDeletionJobs"]
    assert listed[0]["dataDeletionJobArn"] == arn and listed[0]["status"] == "COMPLETED"


def test_data_deletion_with_a_wrong_header_fails(personalize, aws_client, group, wait_for, unique_name):
    aws_client("s3").put_object(Bucket=group["bucket"], Key="bad.csv", Body=b"CUSTOMER\nuser1\n")
    arn = personalize.create_data_deletion_job(jobName=unique_name("d"), datasetGroupArn=group["group"],
                                               dataSource={"dataLocation": f"s3://{group['bucket']}/bad.csv"},
                                               roleArn=ROLE)["dataDeletionJobArn"]
    job = wait_for(lambda: personalize.describe_data_deletion_job(dataDeletionJobArn=arn), "FAILED")
    assert "USER_ID" in job["failureReason"]


def test_a_full_import_replaces_the_bulk_interactions_and_an_incremental_one_adds_to_them(
        personalize, personalize_events, aws_client, group, wait_for, unique_name):
    s3 = aws_client("s3")
    tracker = personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=group["group"])
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
    personalize_events.put_events(trackingId=tracker["trackingId"], userId="streamed", sessionId="s",
                                  eventList=[{"eventType": "click", "itemId": "a1", "sentAt": synthetic.START}])
    late = [(f"late{n % 40}", f"b{n % 50}", synthetic.START + n) for n in range(1000)]
    more = [(f"more{n % 40}", f"a{n % 50}", synthetic.START + n) for n in range(1000)]
    for name, rows, mode in (("late", late, "FULL"), ("more", more, "INCREMENTAL")):
        s3.put_object(Bucket=group["bucket"], Key=f"{name}.csv", Body=synthetic.to_csv(rows))
        job = personalize.create_dataset_import_job(
            jobName=unique_name(name), datasetArn=group["dataset"], importMode=mode,
            dataSource={"dataLocation": f"s3://{group['bucket']}/{name}.csv"})["datasetImportJobArn"]
        wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    export(personalize, wait_for, group["dataset"], f"s3://{group['bucket']}/both/", unique_name("x"),
           ingestionMode="ALL")
    rows = {(row["USER_ID"], row["ITEM_ID"], int(row["TIMESTAMP"])) for row in read_csv(s3, group["bucket"], "both/")}
    assert rows == {*late, *more, ("streamed", "a1", synthetic.START)}   # the first import's rows are gone
