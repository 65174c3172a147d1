"""Filters: expressions that include or exclude candidates of recommendations. spec: personalize-behavior.md §3.8"""

from emulator.api.personalize.common import begin_delete, compact, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.datasets import group as group_data
from emulator.errors import InvalidInputException
from emulator.filter_language.expression import FilterError, parse
from emulator.store.lifecycle import live

KIND = "filter"
FIELDS_PER_GROUP = 20   # distinct dataset fields across a group's filters, spec §9.3


def create_filter(ctx: RequestContext, *, name: str, dataset_group_arn: str, filter_expression: str,
                  tags: list | None = None) -> dict:
    group = ctx.store.get("dataset-group", dataset_group_arn)
    require_active(group, "datasetGroupArn")
    try:
        parsed = parse(filter_expression, group_data.schemas(ctx.store, dataset_group_arn))
    except FilterError as error:
        raise InvalidInputException(f"Could not create filter. {error}") from None
    arn = ctx.arn(KIND, name)
    record = compact(name=name, filterArn=arn, datasetGroupArn=dataset_group_arn,
                     filterExpression=filter_expression)
    create_resource(ctx, KIND, record, "filterArn", group=dataset_group_arn, parent=dataset_group_arn, tags=tags,
                    check=lambda: _check_fields(ctx, dataset_group_arn, parsed.fields),
                    internal={"fields": sorted(parsed.fields)})   # as the schemas spell them
    return {"filterArn": arn}


def _check_fields(ctx: RequestContext, group_arn: str, fields: frozenset[tuple[str, str]]) -> None:
    """The group's filters, this one included, may use at most FIELDS_PER_GROUP distinct dataset fields."""
    others = live(ctx.store.children(group_arn, KIND))
    used = set(fields).union(*(map(tuple, ctx.store.internal(other["filterArn"])["fields"]) for other in others))
    if len(used) > FIELDS_PER_GROUP:
        raise InvalidInputException(f"Could not create filter. The filters of a dataset group may use at most "
                                    f"{FIELDS_PER_GROUP} distinct dataset fields; these would use {len(used)}.")


def describe_filter(ctx: RequestContext, *, filter_arn: str) -> dict:
    return {"filter": ctx.store.get(KIND, filter_arn)}


def list_filters(ctx: RequestContext, *, dataset_group_arn: str | None = None, next_token: str | None = None,
                 max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "Filters", next_token, max_results, parent=dataset_group_arn)


def delete_filter(ctx: RequestContext, *, filter_arn: str) -> None:
    begin_delete(ctx, KIND, filter_arn)
