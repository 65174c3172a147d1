"""Concurrent writers lose nothing: every event put from several threads at once is kept."""

import csv
import io
from concurrent.futures import ThreadPoolExecutor

from tests import steps, synthetic

WRITERS, BATCHES, PER_BATCH = 8, 25, 10


def test_concurrent_put_events_are_all_kept(personalize, aws_client, wait_for, unique_name):
    name = unique_name("busy")
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=15))
    tracker = personalize.create_event_tracker(name=name, datasetGroupArn=loaded["group"])
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))

    def write(writer: int) -> None:
        events = aws_client("personalize-events")   # a client per thread, as boto3 advises
        for batch in range(BATCHES):
            events.put_events(trackingId=tracker["trackingId"], userId=f"writer{writer}", sessionId=f"s{writer}",
                              eventList=[{"eventType": "click", "itemId": f"a{n}", "eventId": f"{writer}-{batch}-{n}",
                                          "sentAt": synthetic.START + batch * 100 + n} for n in range(PER_BATCH)])
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, range(WRITERS)))
    job = personalize.create_dataset_export_job(
        jobName=name, datasetArn=loaded["dataset"], ingestionMode="PUT",
        roleArn="arn:aws:iam::123456789012:role/PersonalizeRole",
        jobOutput={"s3DataDestination": {"path": f"s3://{name}-data/put/"}})["datasetExportJobArn"]
    wait_for(lambda: personalize.describe_dataset_export_job(datasetExportJobArn=job))
    s3 = aws_client("s3")
    key = s3.list_objects_v2(Bucket=f"{name}-data", Prefix="put/")["Contents"][0]["Key"]
    rows = list(csv.DictReader(io.StringIO(s3.get_object(Bucket=f"{name}-data", Key=key)["Body"].read().decode())))
    per_writer = {f"writer{w}": 0 for w in range(WRITERS)}
    for row in rows:
        per_writer[row["USER_ID"]] += 1
    # events that are identical in every exported field are exported once: each writer has BATCHES * PER_BATCH
    # distinct (item, time) pairs
    assert per_writer == {user: BATCHES * PER_BATCH for user in per_writer}
