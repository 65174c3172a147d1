"""What several resource families share: records without empty members, tags, deletion, listing."""

from emulator.context import RequestContext
from emulator.errors import InvalidInputException, ResourceInUseException, TooManyTagsException
from emulator.store import lifecycle

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


def live(records: list[dict]) -> list[dict]:
    """The records that are not on their way out."""
    return [record for record in records
            if record.get("status") not in (lifecycle.DELETE_PENDING, lifecycle.DELETE_IN_PROGRESS)]


def list_page(ctx: RequestContext, kind: str, result_key: str, next_token, max_results,
              parent: str | None = None) -> dict:
    """One page of a List* call: the account's resources of `kind`, optionally under `parent`, newest first."""
    return ctx.store.page(ctx.all(kind, parent=parent), result_key, next_token, max_results,
                          fingerprint=[kind, parent])

