"""The schemas of a dataset group's datasets, read for serving, filters and jobs (their rows: store/dataset_rows.py)."""

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


@lru_cache(maxsize=256)
def _parsed(text: str, domain: str | None) -> DatasetSchema:
    return parse_schema(text, domain)
