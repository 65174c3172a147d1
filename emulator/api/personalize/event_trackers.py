"""Event trackers: the tracking IDs through which PutEvents reaches a dataset group."""

from emulator.api.personalize.common import begin_delete, create_resource, list_page, only_one
from emulator.request_context import RequestContext
from emulator.store.arns import short_id

KIND = "event-tracker"


def create_event_tracker(ctx: RequestContext, *, name: str, dataset_group_arn: str,
                         tags: list | None = None) -> dict:
    ctx.store.get("dataset-group", dataset_group_arn)
    arn = ctx.arn(KIND, short_id())   # spec: personalize-behavior.md §2.2: an id, not the name
    tracker = {"name": name, "eventTrackerArn": arn, "datasetGroupArn": dataset_group_arn,
               "trackingId": ctx.new_id(), "accountId": ctx.account_id}
    create_resource(ctx, KIND, tracker, "eventTrackerArn", parent=dataset_group_arn, tags=tags, unique_name=True,
                    check=lambda: only_one(ctx, KIND, dataset_group_arn, "an event tracker"))
    return {"eventTrackerArn": arn, "trackingId": tracker["trackingId"]}


def describe_event_tracker(ctx: RequestContext, *, event_tracker_arn: str) -> dict:
    return {"eventTracker": ctx.store.get(KIND, event_tracker_arn)}


def list_event_trackers(ctx: RequestContext, *, dataset_group_arn: str | None = None,
                        next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "eventTrackers", next_token, max_results, parent=dataset_group_arn)


def delete_event_tracker(ctx: RequestContext, *, event_tracker_arn: str) -> None:
    begin_delete(ctx, KIND, event_tracker_arn)
