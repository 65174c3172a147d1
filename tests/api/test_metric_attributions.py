"""Metric attributions: their definitions, validation, updates, and the report computed from events."""

import csv
import io
import json
import re
import time

import pytest

from tests import synthetic

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
SCHEMA = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "EVENT_TYPE", "type": "string"}, {"name": "EVENT_VALUE", "type": ["null", "float"]},
               {"name": "EVENT_ATTRIBUTION_SOURCE", "type": ["null", "string"]},
               {"name": "TIMESTAMP", "type": "long"}],
    "version": "1.0"})
HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "EVENT_VALUE", "EVENT_ATTRIBUTION_SOURCE", "TIMESTAMP")
METRICS = [{"eventType": "purchase", "metricName": "REVENUE", "expression": "SUM(Interactions.EVENT_VALUE)"},
           {"eventType": "click", "metricName": "CLICKS", "expression": "SAMPLECOUNT()"}]


def recent_rows(count: int, source: str | None) -> list[tuple]:
    now = int(time.time()) - 3600
    return [(f"user{n % 40}", f"item{n % 30}", "purchase" if n % 4 == 0 else "click",
             "2.5" if n % 4 == 0 else "", source or "", now + n) for n in range(count)]


@pytest.fixture
def group(personalize, aws_client, wait_for, unique_name):
    name = unique_name("attr")
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=name)
    schema = personalize.create_schema(name=name, schema=SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait_for(lambda: personalize.describe_dataset(datasetArn=dataset))
    return {"group": group, "dataset": dataset, "bucket": name}


def create(personalize, wait_for, group: dict, name: str, metrics=METRICS) -> str:
    arn = personalize.create_metric_attribution(
        name=name, datasetGroupArn=group["group"], metrics=metrics,
        metricsOutputConfig={"roleArn": ROLE, "s3DataDestination": {"path": f"s3://{group['bucket']}/reports/"}},
    )["metricAttributionArn"]
    wait_for(lambda: personalize.describe_metric_attribution(metricAttributionArn=arn))
    return arn


def test_definitions_are_described_listed_and_updated(personalize, group, wait_for, unique_name):
    arn = create(personalize, wait_for, group, unique_name("m"))
    assert personalize.list_metric_attributions(datasetGroupArn=group["group"])["metricAttributions"][0][
        "metricAttributionArn"] == arn
    assert personalize.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == METRICS
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException,
                       match=f"metric named {METRICS[0]['metricName']} already exists"):
        personalize.update_metric_attribution(metricAttributionArn=arn, addMetrics=[METRICS[0]])
    personalize.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["CLICKS"], addMetrics=[
        {"eventType": "click", "metricName": "CLICK_COUNT", "expression": "SAMPLECOUNT()"}])
    names = [m["metricName"] for m in personalize.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"]]
    assert names == ["REVENUE", "CLICK_COUNT"]
    with pytest.raises(personalize.exceptions.ResourceAlreadyExistsException,
                       match=f"{re.escape(group['group'])} already has a metric attribution"):
        personalize.create_metric_attribution(name=unique_name("m"), datasetGroupArn=group["group"], metrics=METRICS,
                                              metricsOutputConfig={"roleArn": ROLE})
    personalize.delete_metric_attribution(metricAttributionArn=arn)
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(arn)} does not exist"):
        wait_for(lambda: personalize.describe_metric_attribution(metricAttributionArn=arn), "GONE", timeout=10)


@pytest.mark.parametrize("expression,words", [
    ("SUM(Interactions.EVENT_TYPE)", "Interactions.EVENT_TYPE in metric X is not a numeric column"),
    ("AVG(Interactions.EVENT_VALUE)", "Invalid expression 'AVG(Interactions.EVENT_VALUE)' for metric X"),
    ("SUM(Interactions.NOPE)", "Interactions.NOPE in metric X is not a numeric column"),
    ("COUNT(*)", "Invalid expression 'COUNT(*)' for metric X")])
def test_expressions_must_be_samplecount_or_a_sum_of_a_numeric_column(personalize, group, unique_name, expression,
                                                                      words):
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_metric_attribution(
            name=unique_name("m"), datasetGroupArn=group["group"], metricsOutputConfig={"roleArn": ROLE},
            metrics=[{"eventType": "click", "metricName": "X", "expression": expression}])
    assert words in caught.value.response["Error"]["Message"]


def test_import_publishes_the_report_by_attribution_source(personalize, aws_client, group, wait_for, unique_name):
    create(personalize, wait_for, group, unique_name("m"))
    s3 = aws_client("s3")
    rows = recent_rows(1000, "email") + recent_rows(200, "banner") + recent_rows(100, None)
    s3.put_object(Bucket=group["bucket"], Key="events.csv", Body=synthetic.to_csv(rows, HEADER))
    job = personalize.create_dataset_import_job(jobName=unique_name("i"), datasetArn=group["dataset"],
                                                dataSource={"dataLocation": f"s3://{group['bucket']}/events.csv"},
                                                publishAttributionMetricsToS3=True)["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    keys = [entry["Key"] for entry in s3.list_objects_v2(Bucket=group["bucket"], Prefix="reports/")["Contents"]]
    report = list(csv.DictReader(io.StringIO(s3.get_object(Bucket=group["bucket"], Key=keys[0])["Body"].read().decode())))
    values = {(row["metricName"], row["eventAttributionSource"]): float(row["value"]) for row in report}
    assert values == {("REVENUE", "email"): 250 * 2.5, ("CLICKS", "email"): 750.0,
                      ("REVENUE", "banner"): 50 * 2.5, ("CLICKS", "banner"): 150.0}
