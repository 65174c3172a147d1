"""Lifecycles as code written for the service expects them: what is ACTIVE at once, what may follow a create on
the next line, and that trainings waiting for their turn hold up nothing else. spec: personalize-behavior.md §2.4"""

import json
import time
import uuid

import pytest

from tests import steps, synthetic

POPULARITY = "arn:aws:personalize:::recipe/aws-popularity-count"
ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"


@pytest.fixture(scope="module")
def loaded(personalize, aws_client, wait_for):
    return steps.loaded_group(personalize, aws_client("s3"), wait_for, f"timing-{uuid.uuid4().hex[:6]}",
                              synthetic.two_tastes(seed=3))


def test_a_solution_is_active_when_create_solution_returns(personalize, loaded, unique_name, wait_for):
    solution = personalize.create_solution(name=unique_name("s"), datasetGroupArn=loaded["group"],
                                           recipeArn=POPULARITY)["solutionArn"]
    described = personalize.describe_solution(solutionArn=solution)["solution"]
    assert described["status"] == "ACTIVE"
    assert described["lastUpdatedDateTime"] == described["creationDateTime"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]   # the next line
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version))


def test_creates_are_active_at_once_while_trainings_wait_for_their_turn(personalize, loaded, unique_name, wait_for):
    solution = personalize.create_solution(name=unique_name("s"), datasetGroupArn=loaded["group"],
                                           recipeArn=POPULARITY)["solutionArn"]
    queued = [personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"] for _ in range(5)]
    try:
        started = time.monotonic()
        group = personalize.create_dataset_group(name=unique_name("g"))["datasetGroupArn"]
        tracker = personalize.create_event_tracker(name=unique_name("t"), datasetGroupArn=loaded["group"])
        found = personalize.create_filter(name=unique_name("f"), datasetGroupArn=loaded["group"],
                                          filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
        wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
        wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
        wait_for(lambda: personalize.describe_filter(filterArn=found["filterArn"]))
        elapsed = time.monotonic() - started
        waiting = [personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"]
                   for arn in queued]
        assert "CREATE PENDING" in waiting, "the test needs trainings still queued while the others were created"
        assert elapsed < 1.0, f"creates took {elapsed:.2f} s behind {len(queued)} queued trainings"
    finally:
        for arn in queued:
            try:
                personalize.stop_solution_version_creation(solutionVersionArn=arn)
            except personalize.exceptions.ResourceInUseException:
                pass   # already trained
    for arn in queued:   # a training that had begun ends ACTIVE or CREATE STOPPED; the waiting ones are stopped
        while (status := personalize.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"]
               ) not in ("ACTIVE", "CREATE STOPPED"):
            assert status in ("CREATE IN_PROGRESS", "CREATE STOPPING"), status
            time.sleep(0.05)


def test_an_import_created_right_after_its_dataset_waits_for_it(personalize, s3, bucket, interactions_schema,
                                                                 dataset_group, unique_name, wait_for):
    key = f"{unique_name('upload')}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=synthetic.to_csv(synthetic.two_tastes(seed=4)))
    dataset = personalize.create_dataset(name=unique_name("i"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    assert personalize.describe_dataset(datasetArn=dataset)["dataset"]["status"] == "CREATE PENDING"
    job = personalize.create_dataset_import_job(jobName=unique_name("import"), datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{key}"},
                                                roleArn=ROLE)["datasetImportJobArn"]
    seen: list = []
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), seen=seen)
    assert seen[0] == "CREATE PENDING" and seen[-1] == "ACTIVE"
    assert personalize.describe_dataset(datasetArn=dataset)["dataset"]["status"] == "ACTIVE"
    with pytest.raises(personalize.exceptions.ResourceInUseException) as caught:   # a dataset on its way out
        personalize.delete_dataset(datasetArn=dataset)
        personalize.create_dataset_import_job(jobName=unique_name("late"), datasetArn=dataset,
                                              dataSource={"dataLocation": f"s3://{bucket}/{key}"})
    assert f"{dataset} is DELETE PENDING; it must be ACTIVE" in caught.value.response["Error"]["Message"]


def test_a_csv_written_with_its_index_column_imports(personalize, s3, bucket, dataset_group, import_interactions,
                                                     interactions_schema, unique_name, wait_for):
    rows = synthetic.two_tastes(seed=5)
    body = ",USER_ID,ITEM_ID,TIMESTAMP\n" + "".join(f'{n},{user},"{item}",{stamp}\n'
                                                    for n, (user, item, stamp) in enumerate(rows))
    key = f"{unique_name('indexed')}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    dataset = personalize.create_dataset(name=unique_name("i"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    job = personalize.create_dataset_import_job(jobName=unique_name("import"), datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{key}"})
    imported = wait_for(lambda: personalize.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]))
    assert imported["status"] == "ACTIVE" and "failureReason" not in imported


def test_a_column_outside_the_schema_fails_the_import_naming_it(personalize, s3, bucket, dataset_group,
                                                                interactions_schema, unique_name, wait_for):
    key = f"{unique_name('extra')}.csv"
    s3.put_object(Bucket=bucket, Key=key, Body=synthetic.to_csv(
        [(*row, "x") for row in synthetic.two_tastes(seed=6)], ("USER_ID", "ITEM_ID", "TIMESTAMP", "Rating")))
    dataset = personalize.create_dataset(name=unique_name("i"), schemaArn=interactions_schema,
                                         datasetGroupArn=dataset_group, datasetType="Interactions")["datasetArn"]
    job = personalize.create_dataset_import_job(jobName=unique_name("import"), datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{key}"})
    failed = wait_for(lambda: personalize.describe_dataset_import_job(
        datasetImportJobArn=job["datasetImportJobArn"]), "CREATE FAILED")
    assert ('Input CSV has columns that are not in the schema: "Rating"; the schema\'s fields are "USER_ID", '
            '"ITEM_ID", "TIMESTAMP".') in failed["failureReason"]


def test_a_batch_output_folder_may_hold_the_input(personalize, aws_client, loaded, unique_name, wait_for):
    s3, bucket, name = aws_client("s3"), unique_name("batch"), unique_name("j")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="json_input.json", Body=b'{"userId": "user1"}\n{"userId": "user2"}\n')
    version = steps.trained_version(personalize, wait_for, loaded["group"], POPULARITY, unique_name("pop"))
    job = personalize.create_batch_inference_job(
        jobName=name, solutionVersionArn=version, roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{bucket}/json_input.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{bucket}/"}})["batchInferenceJobArn"]
    wait_for(lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=job))
    out = s3.get_object(Bucket=bucket, Key="json_input.json.out")["Body"].read().decode().splitlines()
    assert [json.loads(line)["input"]["userId"] for line in out] == ["user1", "user2"]
