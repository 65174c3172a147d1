"""What several resource families share: records without empty members, tags, creation, deletion, listing."""

from collections.abc import Callable

from emulator.api.personalize import quotas
from emulator.request_context import RequestContext
from emulator.errors import (InvalidInputException, ResourceAlreadyExistsException, ResourceInUseException,
                             TooManyTagsException)
from emulator.store import lifecycle
from emulator.store.lifecycle import live

MAX_TAGS = 50   # spec: personalize-behavior.md §2.7


def compact(**members) -> dict:
    """A record in AWS member names, leaving out members that were not given."""
    return {name: value for name, value in members.items() if value is not None}


def checked_tags(tags: list | None) -> list:
    """Tags a resource may carry: at most 50, none in the reserved aws: namespace."""
    if tags and len(tags) > MAX_TAGS:
        raise TooManyTagsException(f"A resource can have at most {MAX_TAGS} tags; {len(tags)} were given.")
    reserved = [tag["tagKey"] for tag in tags or [] if tag["tagKey"].lower().startswith("aws:")
                or tag["tagValue"].lower().startswith("aws:")]
    if reserved:
        raise InvalidInputException(f"Tags may not use the reserved prefix aws: ({', '.join(reserved)}).")
    return tags or []


def require_active(record: dict, arn_key: str) -> None:
    """Work on a resource may only start once it is ACTIVE."""
    if record.get("status") != lifecycle.ACTIVE:
        raise ResourceInUseException(
            f"{record[arn_key]} is {record.get('status')}; it must be ACTIVE for this request.")


def create_resource(ctx: RequestContext, kind: str, record: dict, arn_key: str, *, group: str | None = None,
                    check: Callable[[], None] | None = None, tags: list | None = None, internal: dict | None = None,
                    task: str | None = "create", **options) -> str:
    """Store a new resource and queue `task` for it in one transaction, committed before the response: the quota
    of `kind` first (`group`: the dataset group, for quotas counted per group), then `check`, the tags, the insert
    (`options`: parent, status, unique_name), its `internal` state and the job. Returns the resource's ARN."""
    arn = record[arn_key]
    with ctx.store.transaction():
        quotas.check(ctx, kind, group=group)   # a kind without a quota passes
        if check is not None:
            check()
        ctx.create(kind, record, arn_key, tags=checked_tags(tags), **options)
        if internal:
            ctx.store.set_internal(arn, **internal)
        if task:
            ctx.jobs.enqueue(task, arn)
    return arn


def only_one(ctx: RequestContext, kind: str, group_arn: str, what: str) -> None:
    """A dataset group has at most one live resource of `kind` (`what`: its name with an article)."""
    if live(ctx.store.children(group_arn, kind)):
        raise ResourceAlreadyExistsException(f"{group_arn} already has {what}; a dataset group can have only one.")


def begin_delete(ctx: RequestContext, kind: str, arn: str, blocked_by: list[str] = ()) -> None:
    """Move a resource to DELETE PENDING and queue its deletion, unless it is busy or still needed."""
    with ctx.store.transaction():
        record = ctx.store.get(kind, arn)
        if not lifecycle.deletable(record.get("status")):
            raise ResourceInUseException(f"{arn} is {record['status']} and cannot be deleted now.")
        if blocked_by:
            raise ResourceInUseException(f"{arn} is still used by: {', '.join(blocked_by[:5])}. Delete those first.")
        ctx.store.set_status(arn, lifecycle.DELETE_PENDING)
        ctx.jobs.enqueue("delete", arn)


def list_page(ctx: RequestContext, kind: str, result_key: str, next_token, max_results,
              parent: str | None = None) -> dict:
    """One page of a List* call: the account's resources of `kind`, optionally under `parent`, newest first."""
    return ctx.store.page(ctx.all(kind, parent=parent), result_key, next_token, max_results,
                          fingerprint=[kind, parent])

