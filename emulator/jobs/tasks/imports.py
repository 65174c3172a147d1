"""Dataset import jobs: CSV objects from S3 into the interactions (staged until the job is ACTIVE) or the records."""

import itertools
import json
from collections.abc import Callable
from functools import partial

from emulator import attribution
from emulator.datasets.csv_import import ImportFailed, read_csv
from emulator.datasets.schemas import parse_schema
from emulator.errors import TaskFailed
from emulator.jobs import NotYet
from emulator.store import lifecycle, staging
from emulator.store.arns import name_of

MIN_INTERACTIONS = 1000   # spec: personalize-behavior.md §5.1: per import job
ID_COLUMNS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}


def run_import(arn: str, env) -> Callable[[], None]:
    """Read and check the job's CSV and stage its rows; what it returns shows them, to be called in the
    transaction that makes the job ACTIVE. A run that a crash interrupted left hidden rows: they go first."""
    job = env.store.get("dataset-import-job", arn)
    dataset = env.store.get("dataset", job["datasetArn"])
    staging.discard(env.db, dataset["datasetArn"], arn)
    schema = parse_schema(env.store.get("schema", dataset["schemaArn"])["schema"])
    columns = _read_all(env, job["dataSource"]["dataLocation"], schema)
    rows = len(next(iter(columns.values()), []))
    label = schema.dataset_type.title().replace("_", " ")
    if schema.dataset_type == "INTERACTIONS" and rows < MIN_INTERACTIONS:
        raise TaskFailed(f"Failed to create a data import job for {label} dataset. The import has {rows} "
                         f"records; an interactions import needs at least {MIN_INTERACTIONS}.")
    full = job.get("importMode", "FULL") == "FULL"
    if schema.dataset_type in ("INTERACTIONS", "ACTION_INTERACTIONS"):
        _stage_interactions(env, dataset["datasetArn"], arn, columns, schema.dataset_type)
        show = partial(_show_interactions, env, dataset["datasetArn"], arn, full)
    else:
        show = partial(_write_records, env, dataset["datasetArn"], arn, columns, ID_COLUMNS[schema.dataset_type],
                       full)

    def publish() -> None:
        show()
        if job.get("publishAttributionMetricsToS3"):   # of the rows just shown, seen in this transaction
            attribution.publish(env, dataset["datasetGroupArn"], name_of(arn))
    return publish


def abandon(arn: str, env) -> None:
    """The job failed: in the transaction that records it, its staged rows become rows to drop."""
    if staging.abandon(env.db, arn):
        env.queue.enqueue("drop_staged_rows", env.store.get("dataset-import-job", arn)["datasetArn"])


def drop_staged_rows(dataset: str, env) -> None:
    """Delete the rows of the dataset's imports that failed or that a FULL import replaced (hidden already)."""
    staging.drop(env.db, dataset)


def dataset_ready(arn: str, env) -> None:
    """An import may be created while its dataset is still being created or updated, as the service accepts it;
    it stays CREATE PENDING until the dataset is ACTIVE. spec: personalize-behavior.md §3.4"""
    dataset_arn = env.store.get("dataset-import-job", arn)["datasetArn"]
    status = env.store.status(dataset_arn)
    if status in (lifecycle.CREATE_PENDING, lifecycle.CREATE_IN_PROGRESS, lifecycle.UPDATE_PENDING,
                  lifecycle.UPDATE_IN_PROGRESS):
        raise NotYet()
    if status != lifecycle.ACTIVE:
        raise TaskFailed(f"The dataset {dataset_arn} is {status or 'deleted'}; the import needs it ACTIVE.")


def drop_dataset_data(arn: str, env) -> None:
    with env.db.transaction() as conn:
        conn.execute("DELETE FROM interaction_rows WHERE dataset = ?", (arn,))
        conn.execute("DELETE FROM records WHERE dataset = ?", (arn,))
        staging.forget_dataset(env.db, arn)
    env.serving.records_changed()


def _read_all(env, location: str, schema) -> dict[str, list]:
    merged: dict[str, list] = {}
    for key, data in env.s3.read(location):
        try:
            columns = read_csv(data, schema)
        except ImportFailed as failure:
            raise TaskFailed(f"{key}: {failure}" if location.endswith("/") else str(failure)) from None
        for name, values in columns.items():
            merged.setdefault(name, []).extend(values)
    return merged


def interaction_fields(dataset_type: str) -> dict[str, str]:
    """Column of the interactions table -> the schema field it holds; other fields go to its `fields` JSON."""
    return {"user_id": "USER_ID", "item_id": "ACTION_ID" if dataset_type == "ACTION_INTERACTIONS" else "ITEM_ID",
            "timestamp": "TIMESTAMP", "event_type": "EVENT_TYPE", "event_value": "EVENT_VALUE"}


def _stage_interactions(env, dataset: str, job: str, columns: dict[str, list], dataset_type: str) -> None:
    """The rows go in hidden, a chunk per transaction, so that PutEvents and every other write wait for one chunk,
    not for millions of rows."""
    count = len(next(iter(columns.values())))
    fields = interaction_fields(dataset_type)
    known = {column: columns.get(name) for column, name in fields.items()}
    extra_names = [name for name in columns if name not in fields.values()]
    staging.hide(env.db, dataset, job)
    for start in range(0, count, staging.CHUNK_ROWS):
        end = min(start + staging.CHUNK_ROWS, count)
        values = [values[start:end] if values is not None else [None] * (end - start) for values in known.values()]
        extras = [json.dumps({name: columns[name][row] for name in extra_names}) if extra_names else None
                  for row in range(start, end)]
        with env.db.transaction() as conn:
            conn.executemany(
                "INSERT INTO interaction_rows (dataset, user_id, item_id, timestamp, event_type, event_value, fields,"
                " job, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bulk')",
                zip(itertools.repeat(dataset), *values, extras, itertools.repeat(job)))


def _show_interactions(env, dataset: str, job: str, full: bool) -> None:
    """FULL hides the dataset's earlier bulk rows in the same step, and a durable job deletes them later."""
    if staging.show(env.db, dataset, job, replace=full):
        env.queue.enqueue("drop_staged_rows", dataset)
    env.db.after_commit(env.serving.interactions_imported)


def _write_records(env, dataset: str, job: str, columns: dict[str, list], id_column: str, full: bool) -> None:
    """Records are upserted by id, so they cannot be staged beside the ones they replace: they are written in the
    transaction that makes the job ACTIVE, and a job that fails never touches them."""
    names = list(columns)
    rows = [(dataset, columns[id_column][row], json.dumps({name: columns[name][row] for name in names}), job)
            for row in range(len(columns[id_column]))]
    with env.db.transaction() as conn:
        if full:
            conn.execute("DELETE FROM records WHERE dataset = ? AND source = 'bulk'", (dataset,))
        conn.executemany("INSERT OR REPLACE INTO records (dataset, record_id, fields, job, source)"
                         " VALUES (?, ?, ?, ?, 'bulk')", rows)
    env.db.after_commit(env.serving.records_changed)
