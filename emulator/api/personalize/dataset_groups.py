"""Dataset groups: the container of datasets, solutions, campaigns and trackers."""

from emulator.api.personalize.common import begin_delete, compact, create_resource, list_page
from emulator.request_context import RequestContext
from emulator.store import lifecycle
from emulator.errors import InvalidInputException

KIND = "dataset-group"


def create_dataset_group(ctx: RequestContext, *, name: str, role_arn: str | None = None,
                         kms_key_arn: str | None = None, domain: str | None = None,
                         tags: list | None = None) -> dict:
    if kms_key_arn and not role_arn:
        raise InvalidInputException("A kmsKeyArn needs a roleArn that can use the key.")
    arn = ctx.arn(KIND, name)
    record = compact(name=name, datasetGroupArn=arn, roleArn=role_arn, kmsKeyArn=kms_key_arn, domain=domain)
    create_resource(ctx, KIND, record, "datasetGroupArn", tags=tags)
    return compact(datasetGroupArn=arn, domain=domain)


def describe_dataset_group(ctx: RequestContext, *, dataset_group_arn: str) -> dict:
    return {"datasetGroup": ctx.store.get(KIND, dataset_group_arn)}


def list_dataset_groups(ctx: RequestContext, *, next_token: str | None = None,
                        max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "datasetGroups", next_token, max_results)


def delete_dataset_group(ctx: RequestContext, *, dataset_group_arn: str) -> None:
    # spec: personalize-behavior.md §3.1 and §14: every child must be gone first; finished deletion jobs
    # have no Delete operation and go with the group
    children = [arn for arn in ctx.store.child_arns(dataset_group_arn)
                if ctx.store.status(arn) not in (lifecycle.COMPLETED, lifecycle.FAILED)]
    begin_delete(ctx, KIND, dataset_group_arn, blocked_by=children)
