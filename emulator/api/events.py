"""personalize-events: streamed interactions that reach a dataset group through its event tracker."""

import json

from emulator.context import RequestContext
from emulator.errors import InvalidInputException
from emulator.jobs import lifecycle
from emulator.store.arns import name_of

FORBIDDEN_PROPERTIES = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}


def put_events(ctx: RequestContext, *, tracking_id: str, session_id: str, event_list: list[dict],
               user_id: str | None = None) -> None:
    tracker = ctx.store.find_by("event-tracker", "trackingId", tracking_id)
    if tracker is None or tracker["status"] != lifecycle.ACTIVE:
        raise InvalidInputException(f"No ACTIVE event tracker has the trackingId {tracking_id}.")
    group = tracker["datasetGroupArn"]
    dataset = ctx.arn("dataset", name_of(group), "INTERACTIONS")
    if ctx.store.find("dataset", dataset) is None:
        raise InvalidInputException(f"Dataset group {group} has no Interactions dataset to receive events.")
    rows = [_row(dataset, user_id, session_id, event) for event in event_list]
    with ctx.store.transaction() as conn:
        conn.executemany(
            "INSERT INTO interactions (dataset, user_id, item_id, timestamp, event_type, event_value,"
            " session_id, fields, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'put')", rows)
    ctx.env.serving.events_arrived(user_id or session_id)


def _row(dataset: str, user_id: str | None, session_id: str, event: dict) -> tuple:
    properties = _properties(event.get("properties"))
    item_id = event.get("itemId") or properties.pop("itemId", None)
    value = event.get("eventValue", properties.pop("eventValue", None))
    extra = {key: event[key] for key in ("eventId", "recommendationId", "impression") if key in event}
    extra.update(properties)
    return (dataset, user_id, item_id, int(event["sentAt"]), event["eventType"], value, session_id,
            json.dumps(extra) if extra else None)


def _properties(text: str | None) -> dict:
    if not text:
        return {}
    try:
        properties = json.loads(text)
    except ValueError:
        raise InvalidInputException("Error parsing properties json") from None
    if not isinstance(properties, dict):
        raise InvalidInputException("Error parsing properties json: properties must be a JSON object.")
    forbidden = sorted(key for key in properties if key.lower() in FORBIDDEN_PROPERTIES)
    if forbidden:
        raise InvalidInputException(f"properties may not contain the reserved keys {', '.join(forbidden)}.")
    return properties
