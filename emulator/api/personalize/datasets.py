"""Datasets: one per type in a dataset group, each bound to a schema."""

import time

from emulator.api.personalize.common import begin_delete, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.datasets.schemas import DATASET_TYPES, is_compatible_update, parse_schema
from emulator.errors import InvalidInputException, ResourceInUseException
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn

KIND = "dataset"


def create_dataset(ctx: RequestContext, *, name: str, schema_arn: str, dataset_group_arn: str,
                   dataset_type: str, tags: list | None = None) -> dict:
    dataset_type = dataset_type.upper()
    if dataset_type not in DATASET_TYPES:
        raise InvalidInputException(f"datasetType {dataset_type} is not one of {', '.join(DATASET_TYPES)}.")
    group = ctx.store.get("dataset-group", dataset_group_arn)
    schema = ctx.store.get("schema", schema_arn)
    served = parse_schema(schema["schema"], schema.get("domain")).dataset_type
    if served != dataset_type:
        raise InvalidInputException(f"Schema {schema_arn} describes a {served} dataset, not {dataset_type}.")
    if schema.get("domain") != group.get("domain"):
        raise InvalidInputException(
            f"The schema's domain ({schema.get('domain') or 'none'}) must match the dataset group's "
            f"({group.get('domain') or 'none'}).")
    require_active(group, "datasetGroupArn")
    arn = dataset_arn(dataset_group_arn, dataset_type)
    record = {"name": name, "datasetArn": arn, "datasetGroupArn": dataset_group_arn,
              "datasetType": dataset_type, "schemaArn": schema_arn}
    if dataset_type == "ACTION_INTERACTIONS":   # PutActionInteractions finds the dataset by this id
        record["trackingId"] = ctx.new_id()
    create_resource(ctx, KIND, record, "datasetArn", parent=dataset_group_arn, tags=tags)
    return {"datasetArn": arn}


def describe_dataset(ctx: RequestContext, *, dataset_arn: str) -> dict:
    return {"dataset": ctx.store.get(KIND, dataset_arn)}


def list_datasets(ctx: RequestContext, *, dataset_group_arn: str | None = None, next_token: str | None = None,
                  max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "datasets", next_token, max_results, parent=dataset_group_arn)


def update_dataset(ctx: RequestContext, *, dataset_arn: str, schema_arn: str) -> dict:
    """Replace the dataset's schema: same type, required fields kept. spec: personalize-behavior.md §3.3"""
    with ctx.store.transaction():
        dataset = ctx.store.get(KIND, dataset_arn)
        require_active(dataset, "datasetArn")
        current = parse_schema(ctx.store.get("schema", dataset["schemaArn"])["schema"])
        replacement = ctx.store.get("schema", schema_arn)
        reason = is_compatible_update(current, parse_schema(replacement["schema"], replacement.get("domain")))
        if reason:
            raise InvalidInputException(reason)
        now = time.time()
        ctx.store.update(dataset_arn, latestDatasetUpdate={
            "schemaArn": schema_arn, "status": lifecycle.CREATE_PENDING, "creationDateTime": now,
            "lastUpdatedDateTime": now})
        ctx.store.set_status(dataset_arn, lifecycle.UPDATE_PENDING)
        ctx.jobs.enqueue("update_dataset", dataset_arn)
    return {"datasetArn": dataset_arn}


def delete_dataset(ctx: RequestContext, *, dataset_arn: str) -> None:
    running = [job for job in ctx.store.children(dataset_arn, "dataset-import-job")
               if job["status"] in lifecycle.TRANSIENT]
    if running:
        raise ResourceInUseException(
            f"{dataset_arn} has an import job in progress: {running[0]['datasetImportJobArn']}.")
    begin_delete(ctx, KIND, dataset_arn)

