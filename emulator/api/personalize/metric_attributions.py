"""Metric attributions: business metrics over a group's events, by the campaign or source that led to them.
spec: personalize-behavior.md §3.15"""

import re

from emulator.api.personalize.common import begin_delete, compact, create_resource, list_page, only_one, require_active
from emulator.request_context import RequestContext
from emulator.datasets import group as group_data
from emulator.errors import (InvalidInputException, ResourceAlreadyExistsException,
                             ResourceInUseException)
from emulator.store import lifecycle

KIND = "metric-attribution"
MAX_METRICS = 10
EXPRESSION = re.compile(r"^\s*(?:SAMPLECOUNT\(\s*\)|SUM\(\s*(Interactions|Items)\.(\w+)\s*\))\s*$", re.IGNORECASE)
NUMERIC = {"int", "long", "float", "double"}


def create_metric_attribution(ctx: RequestContext, *, name: str, dataset_group_arn: str, metrics: list[dict],
                              metrics_output_config: dict) -> dict:
    require_active(ctx.store.get("dataset-group", dataset_group_arn), "datasetGroupArn")
    _check_metrics(ctx, dataset_group_arn, metrics)
    arn = ctx.arn(KIND, name)
    record = {"name": name, "metricAttributionArn": arn, "datasetGroupArn": dataset_group_arn,
              "metricsOutputConfig": metrics_output_config}
    create_resource(ctx, KIND, record, "metricAttributionArn", parent=dataset_group_arn, internal={"metrics": metrics},
                    check=lambda: only_one(ctx, KIND, dataset_group_arn, "a metric attribution"))
    return {"metricAttributionArn": arn}


def describe_metric_attribution(ctx: RequestContext, *, metric_attribution_arn: str) -> dict:
    return {"metricAttribution": ctx.store.get(KIND, metric_attribution_arn)}


def list_metric_attributions(ctx: RequestContext, *, dataset_group_arn: str | None = None,
                             next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "metricAttributions", next_token, max_results, parent=dataset_group_arn)


def list_metric_attribution_metrics(ctx: RequestContext, *, metric_attribution_arn: str | None = None,
                                    next_token: str | None = None, max_results: int | None = None) -> dict:
    if not metric_attribution_arn:
        raise InvalidInputException("metricAttributionArn is required.")
    if ctx.store.find(KIND, metric_attribution_arn) is None:   # the model gives this operation no not-found error
        raise InvalidInputException(f"No metric attribution has the ARN {metric_attribution_arn}.")
    metrics = ctx.store.internal(metric_attribution_arn)["metrics"]
    return ctx.store.page(metrics, "metrics", next_token, max_results, fingerprint=[KIND, metric_attribution_arn])


def update_metric_attribution(ctx: RequestContext, *, metric_attribution_arn: str | None = None,
                              add_metrics: list[dict] | None = None, remove_metrics: list[str] | None = None,
                              metrics_output_config: dict | None = None) -> dict:
    if not metric_attribution_arn:
        raise InvalidInputException("metricAttributionArn is required.")
    with ctx.store.transaction():
        record = ctx.store.get(KIND, metric_attribution_arn)
        if record["status"] != lifecycle.ACTIVE:
            raise ResourceInUseException(f"{metric_attribution_arn} is {record['status']}; it must be ACTIVE.")
        metrics = ctx.store.internal(metric_attribution_arn)["metrics"]
        unknown = sorted(set(remove_metrics or []) - {metric["metricName"] for metric in metrics})
        if unknown:
            raise InvalidInputException(f"The metric attribution has no metrics named {', '.join(unknown)}.")
        metrics = [metric for metric in metrics if metric["metricName"] not in set(remove_metrics or [])]
        for metric in add_metrics or []:
            if any(metric["metricName"] == kept["metricName"] for kept in metrics):
                raise ResourceAlreadyExistsException(f"A metric named {metric['metricName']} already exists.")
            metrics.append(metric)
        _check_metrics(ctx, record["datasetGroupArn"], metrics)
        ctx.store.set_internal(metric_attribution_arn, metrics=metrics)
        ctx.store.update(metric_attribution_arn,
                         **compact(metricsOutputConfig=metrics_output_config))
    return {"metricAttributionArn": metric_attribution_arn}


def delete_metric_attribution(ctx: RequestContext, *, metric_attribution_arn: str) -> None:
    begin_delete(ctx, KIND, metric_attribution_arn)


def _check_metrics(ctx: RequestContext, group_arn: str, metrics: list[dict]) -> None:
    if not 1 <= len(metrics) <= MAX_METRICS:
        raise InvalidInputException(f"A metric attribution has 1 to {MAX_METRICS} metrics; {len(metrics)} given.")
    names = [metric["metricName"] for metric in metrics]
    if len(set(names)) != len(names):
        raise InvalidInputException("Metric names must be unique.")
    schemas = group_data.schemas(ctx.store, group_arn)
    interactions = schemas.get("INTERACTIONS")
    if interactions is not None and interactions.field("EVENT_TYPE") is None:
        raise InvalidInputException("Metric attribution needs an EVENT_TYPE column in the Interactions dataset.")
    for metric in metrics:
        match = EXPRESSION.match(metric["expression"])
        if match is None:
            raise InvalidInputException(f"Invalid expression {metric['expression']!r} for metric "
                                        f"{metric['metricName']}: use SAMPLECOUNT() or SUM(Interactions.<column>) "
                                        "or SUM(Items.<column>).")
        dataset, column = match.groups()
        if dataset:
            schema = schemas.get(dataset.upper())
            field = schema.field(column) if schema else None
            if schema is not None and (field is None or field.type not in NUMERIC):
                raise InvalidInputException(f"{dataset}.{column} in metric {metric['metricName']} is not a "
                                            f"numeric column of the {dataset} dataset.")
