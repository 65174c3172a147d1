"""Event trackers: the tracking IDs through which PutEvents reaches a dataset group."""

from emulator.api.personalize.common import begin_delete, checked_tags, list_page, live
from emulator.context import RequestContext
from emulator.errors import ResourceAlreadyExistsException
from emulator.store.arns import short_id

KIND = "event-tracker"


def create_event_tracker(ctx: RequestContext, *, name: str, dataset_group_arn: str,
                         tags: list | None = None) -> dict:
    ctx.store.get("dataset-group", dataset_group_arn)
    arn = ctx.arn(KIND, short_id())   # spec: personalize-behavior.md §2.2: an id, not the name
    tracker = {"name": name, "eventTrackerArn": arn, "datasetGroupArn": dataset_group_arn,
               "trackingId": ctx.new_id(), "accountId": ctx.account_id}
    with ctx.store.transaction():
        if live(ctx.store.children(dataset_group_arn, KIND)):
            raise ResourceAlreadyExistsException(f"{dataset_group_arn} already has an event tracker; "
                                                 "a dataset group can have only one.")
        ctx.create(KIND, tracker, "eventTrackerArn", parent=dataset_group_arn, tags=checked_tags(tags),
                   unique_name=True)
        ctx.jobs.enqueue("create", arn)
    return {"eventTrackerArn": arn, "trackingId": tracker["trackingId"]}


def describe_event_tracker(ctx: RequestContext, *, event_tracker_arn: str) -> dict:
    return {"eventTracker": ctx.store.get(KIND, event_tracker_arn)}


def list_event_trackers(ctx: RequestContext, *, dataset_group_arn: str | None = None,
                        next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "eventTrackers", next_token, max_results, parent=dataset_group_arn)


def delete_event_tracker(ctx: RequestContext, *, event_tracker_arn: str) -> None:
    begin_delete(ctx, KIND, event_tracker_arn)
