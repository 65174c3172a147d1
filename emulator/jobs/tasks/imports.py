"""Dataset import jobs: CSV objects from S3 into the interactions table or the records table."""

import itertools
import json

from emulator import attribution
from emulator.datasets.csv_import import ImportFailed, read_csv
from emulator.datasets.schemas import parse_schema
from emulator.jobs import NotYet, TaskFailed, lifecycle
from emulator.store.arns import name_of

MIN_INTERACTIONS = 1000   # spec: personalize-behavior.md §5.1: per import job
ID_COLUMNS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}
CHUNK_ROWS = 100_000   # interactions written (or deleted) per transaction


def run_import(arn: str, env) -> None:
    job = env.store.get("dataset-import-job", arn)
    dataset = env.store.get("dataset", job["datasetArn"])
    schema = parse_schema(env.store.get("schema", dataset["schemaArn"])["schema"])
    columns = _read_all(env, job["dataSource"]["dataLocation"], schema)
    rows = len(next(iter(columns.values()), []))
    label = schema.dataset_type.title().replace("_", " ")
    if schema.dataset_type == "INTERACTIONS" and rows < MIN_INTERACTIONS:
        raise TaskFailed(f"Failed to create a data import job for {label} dataset. The import has {rows} "
                         f"records; an interactions import needs at least {MIN_INTERACTIONS}.")
    full = job.get("importMode", "FULL") == "FULL"
    if schema.dataset_type in ("INTERACTIONS", "ACTION_INTERACTIONS"):
        _store_interactions(env, dataset["datasetArn"], arn, columns, full, schema.dataset_type)
        env.serving.interactions_imported()
    else:
        _store_records(env, dataset["datasetArn"], arn, columns, ID_COLUMNS[schema.dataset_type], full)
        env.serving.records_changed()
    if job.get("publishAttributionMetricsToS3"):
        attribution.publish(env, dataset["datasetGroupArn"], name_of(arn))


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
        conn.execute("DELETE FROM interactions WHERE dataset = ?", (arn,))
        conn.execute("DELETE FROM records WHERE dataset = ?", (arn,))
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


def _store_interactions(env, dataset: str, job: str, columns: dict[str, list], full: bool,
                        dataset_type: str) -> None:
    """The rows go in a chunk per transaction, so that PutEvents and every other write wait for one chunk, not
    for millions of rows. A repeated run of this job (after a restart) first removes what it stored before;
    FULL removes the earlier bulk data once every new row is in; a failure removes this job's rows."""
    count = len(next(iter(columns.values())))
    fields = interaction_fields(dataset_type)
    known = {column: columns.get(name) for column, name in fields.items()}
    extra_names = [name for name in columns if name not in fields.values()]
    _delete_in_chunks(env, "dataset = ? AND job = ?", (dataset, job))
    try:
        for start in range(0, count, CHUNK_ROWS):
            end = min(start + CHUNK_ROWS, count)
            values = [values[start:end] if values is not None else [None] * (end - start)
                      for values in known.values()]
            extras = [json.dumps({name: columns[name][row] for name in extra_names}) if extra_names else None
                      for row in range(start, end)]
            with env.db.transaction() as conn:
                conn.executemany(
                    "INSERT INTO interactions (dataset, user_id, item_id, timestamp, event_type, event_value, fields,"
                    " job, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bulk')",
                    zip(itertools.repeat(dataset), *values, extras, itertools.repeat(job)))
    except BaseException:
        _delete_in_chunks(env, "dataset = ? AND job = ?", (dataset, job))
        raise
    if full:
        _delete_in_chunks(env, "dataset = ? AND source = 'bulk' AND job IS NOT ?", (dataset, job))


def _delete_in_chunks(env, where: str, params: tuple) -> None:
    """DELETE FROM interactions WHERE `where`, a chunk of rows per transaction."""
    while True:
        with env.db.transaction() as conn:
            deleted = conn.execute(f"DELETE FROM interactions WHERE rowid IN (SELECT rowid FROM interactions"
                                   f" WHERE {where} LIMIT {CHUNK_ROWS})", params).rowcount
        if deleted < CHUNK_ROWS:
            return


def _store_records(env, dataset: str, job: str, columns: dict[str, list], id_column: str, full: bool) -> None:
    names = list(columns)
    count = len(columns[id_column])
    rows = [(dataset, columns[id_column][row], json.dumps({name: columns[name][row] for name in names}), job)
            for row in range(count)]
    with env.db.transaction() as conn:
        if full:
            conn.execute("DELETE FROM records WHERE dataset = ? AND source = 'bulk'", (dataset,))
        conn.executemany("INSERT OR REPLACE INTO records (dataset, record_id, fields, job, source)"
                         " VALUES (?, ?, ?, ?, 'bulk')", rows)
