"""Tags on any resource of the account. spec: personalize-behavior.md §2.7"""

from emulator.api.personalize.common import MAX_TAGS, checked_tags
from emulator.request_context import RequestContext
from emulator.errors import ResourceInUseException, TooManyTagKeysException
from emulator.store import lifecycle


def tag_resource(ctx: RequestContext, *, resource_arn: str, tags: list[dict]) -> dict:
    with ctx.store.transaction():
        merged = {tag["tagKey"]: tag for tag in _taggable(ctx, resource_arn)}
        merged.update({tag["tagKey"]: tag for tag in checked_tags(tags)})
        ctx.store.set_tags(resource_arn, checked_tags(list(merged.values())))
    return {}


def untag_resource(ctx: RequestContext, *, resource_arn: str, tag_keys: list[str]) -> dict:
    if len(tag_keys) > MAX_TAGS:
        raise TooManyTagKeysException(
            f"At most {MAX_TAGS} tag keys can be removed at once; {len(tag_keys)} were given.")
    with ctx.store.transaction():
        remaining = [tag for tag in _taggable(ctx, resource_arn) if tag["tagKey"] not in set(tag_keys)]
        ctx.store.set_tags(resource_arn, remaining)
    return {}


def list_tags_for_resource(ctx: RequestContext, *, resource_arn: str) -> dict:
    return {"tags": _taggable(ctx, resource_arn)}


def _taggable(ctx: RequestContext, resource_arn: str) -> list[dict]:
    """The resource's current tags; it must exist and not be on its way out."""
    record = ctx.store.get(None, resource_arn)
    if record.get("status") in (lifecycle.DELETE_PENDING, lifecycle.DELETE_IN_PROGRESS):
        raise ResourceInUseException(f"{resource_arn} is being deleted.")
    return ctx.store.tags(resource_arn)
