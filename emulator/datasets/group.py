"""What a dataset group holds, read for serving, filters and jobs: its datasets' schemas and records."""

import json
from functools import lru_cache

from emulator.datasets.schemas import DATASET_TYPES, DatasetSchema, parse_schema
from emulator.store.arns import dataset_arn


def schemas(store, group_arn: str) -> dict[str, DatasetSchema]:
    """Dataset type -> schema, for the datasets the group has."""
    found = {}
    for dataset_type in DATASET_TYPES:
        dataset = store.find("dataset", dataset_arn(group_arn, dataset_type))
        if dataset is not None:
            schema = store.get("schema", dataset["schemaArn"])
            found[dataset_type] = _parsed(schema["schema"], schema.get("domain"))
    return found


def records(db, group_arn: str, dataset_type: str, ids: list[str]) -> dict[str, dict]:
    """id -> fields of those records of the group's dataset of that type (Items, Users, Actions)."""
    found: dict[str, dict] = {}
    dataset = dataset_arn(group_arn, dataset_type)
    for start in range(0, len(ids), 500):   # SQLite caps the number of parameters
        chunk = ids[start:start + 500]
        rows = db.execute(f"SELECT record_id, fields FROM records WHERE dataset = ? AND record_id IN "
                          f"({','.join('?' * len(chunk))})", (dataset, *chunk))
        found.update((record_id, json.loads(fields)) for record_id, fields in rows)
    return found


@lru_cache(maxsize=256)
def _parsed(text: str, domain: str | None) -> DatasetSchema:
    return parse_schema(text, domain)
