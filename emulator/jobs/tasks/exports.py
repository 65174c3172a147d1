"""Dataset export jobs: a dataset's records as CSV in S3, and data deletion jobs: users' records removed
from every dataset of a group. spec: personalize-behavior.md §3.5, §3.6"""

import csv
import io
import json

from emulator import s3
from emulator.errors import TaskFailed
from emulator.store.arns import name_of
from emulator.store.dataset_rows import RECORD_IDS

SOURCES = {"BULK": ("bulk",), "PUT": ("put",), "ALL": ("bulk", "put")}


def export_dataset(arn: str, env) -> None:
    job = env.store.get("dataset-export-job", arn)
    dataset = env.store.get("dataset", job["datasetArn"])
    names = [field["name"] for field in json.loads(env.store.get("schema", dataset["schemaArn"])["schema"])["fields"]]
    mode = job.get("ingestionMode", "PUT")
    if dataset["datasetType"] in RECORD_IDS:   # a record id holds one row (the newest put or import)
        rows = env.rows.export_records(dataset["datasetArn"], SOURCES[mode])
    else:
        rows = env.rows.export_events(dataset["datasetArn"], SOURCES[mode])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    seen = set()
    for row in rows:
        line = tuple("" if row.get(name) is None else _cell(row[name]) for name in names)
        if line not in seen:   # records identical in every field are exported once
            seen.add(line)
            writer.writerow(line)
    folder = job["jobOutput"]["s3DataDestination"]["path"]
    env.s3.write(s3.join(folder, f"{name_of(arn)}_{dataset['datasetType'].lower()}.csv"), text.getvalue().encode())


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def users_to_delete(arn: str, env) -> set[str]:
    """The users listed in a data deletion job's CSV (one USER_ID column)."""
    job = env.store.get("data-deletion-job", arn)
    users = set()
    for key, data in env.s3.read(job["dataSource"]["dataLocation"]):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
        if not rows or [cell.strip().upper() for cell in rows[0]] != ["USER_ID"]:
            raise TaskFailed(f"{key}: the file must have one column with the header USER_ID.")
        users.update(row[0].strip() for row in rows[1:] if row and row[0].strip())
    return users

