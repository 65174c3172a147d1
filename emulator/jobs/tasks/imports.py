"""Dataset import jobs: CSV objects from S3 into the interactions (staged until the job is ACTIVE) or the records."""

from collections.abc import Callable
from functools import partial

from emulator import attribution
from emulator.datasets.csv_import import ImportFailed, read_csv
from emulator.datasets.schemas import parse_schema
from emulator.errors import TaskFailed
from emulator.jobs import NotYet
from emulator.store import lifecycle
from emulator.store.arns import name_of

MIN_INTERACTIONS = 1000   # spec: personalize-behavior.md §5.1: per import job


def run_import(arn: str, env) -> Callable[[], None]:
    """Read and check the job's CSV and stage its rows; what it returns shows them, to be called in the
    transaction that makes the job ACTIVE. A run that a crash interrupted left hidden rows: they go first."""
    job = env.store.get("dataset-import-job", arn)
    dataset = env.store.get("dataset", job["datasetArn"])
    env.rows.discard_import(dataset["datasetArn"], arn)
    schema = parse_schema(env.store.get("schema", dataset["schemaArn"])["schema"])
    columns = _read_all(env, job["dataSource"]["dataLocation"], schema)
    rows = len(next(iter(columns.values()), []))
    label = schema.dataset_type.title().replace("_", " ")
    if schema.dataset_type == "INTERACTIONS" and rows < MIN_INTERACTIONS:
        raise TaskFailed(f"Failed to create a data import job for {label} dataset. The import has {rows} "
                         f"records; an interactions import needs at least {MIN_INTERACTIONS}.")
    full = job.get("importMode", "FULL") == "FULL"
    if schema.dataset_type in ("INTERACTIONS", "ACTION_INTERACTIONS"):
        env.rows.stage_events(dataset["datasetArn"], arn, columns)
        show = partial(_show_events, env, dataset["datasetArn"], arn, full)
    else:
        show = partial(env.rows.import_records, dataset["datasetArn"], arn, columns, full)

    def publish() -> None:
        show()
        if job.get("publishAttributionMetricsToS3"):   # of the rows just shown, seen in this transaction
            attribution.publish(env, dataset["datasetGroupArn"], name_of(arn))
    return publish


def abandon(arn: str, env) -> None:
    """The job failed: in the transaction that records it, its staged rows become rows to drop."""
    if env.rows.abandon_import(arn):
        env.queue.enqueue("drop_staged_rows", env.store.get("dataset-import-job", arn)["datasetArn"])


def drop_staged_rows(dataset: str, env) -> None:
    """Delete the rows of the dataset's imports that failed or that a FULL import replaced (hidden already)."""
    env.rows.drop_abandoned(dataset)


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
    env.rows.delete_dataset(arn)


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


def _show_events(env, dataset: str, job: str, full: bool) -> None:
    """FULL hides the dataset's earlier imported events in the same step, and a durable job deletes them later."""
    if env.rows.show_import(dataset, job, replace=full):
        env.queue.enqueue("drop_staged_rows", dataset)
