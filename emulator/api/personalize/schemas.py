"""Schemas: Avro documents that fix the columns of a dataset. They have no status."""

from emulator.request_context import RequestContext
from emulator.datasets.schemas import parse_schema
from emulator.errors import ResourceInUseException

from emulator.api.personalize.common import compact, create_resource, list_page
from emulator.store.lifecycle import live

KIND = "schema"


def create_schema(ctx: RequestContext, *, name: str, schema: str, domain: str | None = None) -> dict:
    parse_schema(schema, domain)   # raises InvalidInputException naming the problem
    arn = ctx.arn(KIND, name)
    create_resource(ctx, KIND, compact(name=name, schemaArn=arn, schema=schema, domain=domain), "schemaArn",
                    status=None, task=None)   # no status, nothing to do
    return {"schemaArn": arn}


def describe_schema(ctx: RequestContext, *, schema_arn: str) -> dict:
    return {"schema": ctx.store.get(KIND, schema_arn)}


def list_schemas(ctx: RequestContext, *, next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "schemas", next_token, max_results)


def delete_schema(ctx: RequestContext, *, schema_arn: str) -> None:
    with ctx.store.transaction():
        ctx.store.get(KIND, schema_arn)
        users = [d["datasetArn"] for d in live(ctx.all("dataset")) if d["schemaArn"] == schema_arn]
        if users:
            raise ResourceInUseException(f"Schema {schema_arn} is used by {', '.join(users)}.")
        ctx.store.remove(schema_arn)   # no status to poll: gone at once
