"""personalize-events: streamed interactions through a dataset group's event tracker, and records put one by one
into its Users, Items and Actions datasets."""

from emulator import jsontext
from emulator.request_context import RequestContext
from emulator.datasets.schemas import DatasetSchema, Field, camel_case, parse_schema
from emulator.errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn
from emulator.store.dataset_rows import RECORD_IDS, Event

MAX_SENT_AT = 100_000_000_000   # epoch seconds in the year 5138: anything later is a unit mistake (milliseconds)
FORBIDDEN_PROPERTIES = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}


def put_events(ctx: RequestContext, *, tracking_id: str, session_id: str, event_list: list[dict],
               user_id: str | None = None) -> None:
    tracker = ctx.store.find_by("event-tracker", "trackingId", tracking_id)
    if tracker is None or tracker["status"] != lifecycle.ACTIVE:
        raise InvalidInputException(f"No ACTIVE event tracker has the trackingId {tracking_id}.")
    group = tracker["datasetGroupArn"]
    dataset = dataset_arn(group, "INTERACTIONS")
    if ctx.store.find("dataset", dataset) is None:
        raise InvalidInputException(f"Dataset group {group} has no Interactions dataset to receive events.")
    ctx.env.rows.put_events(dataset, [_event(user_id, session_id, event) for event in event_list])


ACTION_EVENT_TYPES = {"taken", "not taken", "viewed"}   # spec: personalize-behavior.md §7.3


def put_action_interactions(ctx: RequestContext, *, tracking_id: str, action_interactions: list[dict]) -> None:
    dataset = ctx.store.find_by("dataset", "trackingId", tracking_id)
    if dataset is None or dataset["datasetType"] != "ACTION_INTERACTIONS":
        raise ResourceNotFoundException(f"No Action interactions dataset has the trackingId {tracking_id}.")
    if dataset["status"] != lifecycle.ACTIVE:
        raise ResourceInUseException(f"{dataset['datasetArn']} is {dataset['status']}; it must be ACTIVE.")
    events = []
    for interaction in action_interactions:
        if interaction["eventType"].replace("_", " ").lower() not in ACTION_EVENT_TYPES:
            raise InvalidInputException(f"eventType {interaction['eventType']} is not one of Taken, Not Taken, Viewed.")
        event = {**interaction, "itemId": interaction["actionId"], "sentAt": interaction["timestamp"]}
        events.append(_event(interaction.get("userId"), interaction["sessionId"], event))
    ctx.env.rows.put_events(dataset["datasetArn"], events)


def _event(user_id: str | None, session_id: str, event: dict) -> Event:
    properties = _properties(event.get("properties"))
    forbidden = sorted(key for key in properties if key.lower() in FORBIDDEN_PROPERTIES)
    if forbidden:
        raise InvalidInputException(f"properties may not contain the reserved keys {', '.join(forbidden)}.")
    item_id = event.get("itemId") or properties.pop("itemId", None)
    value = event.get("eventValue", properties.pop("eventValue", None))
    if not 0 <= event["sentAt"] < MAX_SENT_AT:
        raise InvalidInputException(f"sentAt {event['sentAt']} is not a time in epoch seconds.")
    extra = {key: event[key] for key in ("eventId", "recommendationId", "impression") if key in event}
    if "metricAttribution" in event:
        extra["eventAttributionSource"] = event["metricAttribution"]["eventAttributionSource"]
    extra.update(properties)
    return Event(user_id, None if item_id is None else str(item_id), int(event["sentAt"]), event["eventType"], value,
                 session_id, extra or None)


def _properties(text: str | None) -> dict:
    if not text:
        return {}
    try:
        properties = jsontext.loads(text)
    except ValueError as problem:
        raise InvalidInputException(f"Error parsing properties json: {problem}") from None
    if not isinstance(properties, dict):
        raise InvalidInputException("Error parsing properties json: properties must be a JSON object.")
    return properties


def put_users(ctx: RequestContext, *, dataset_arn: str, users: list[dict]) -> None:
    _put_records(ctx, dataset_arn, "USERS", [(user["userId"], user.get("properties")) for user in users])


def put_items(ctx: RequestContext, *, dataset_arn: str, items: list[dict]) -> None:
    _put_records(ctx, dataset_arn, "ITEMS", [(item["itemId"], item.get("properties")) for item in items])


def put_actions(ctx: RequestContext, *, dataset_arn: str, actions: list[dict]) -> None:
    _put_records(ctx, dataset_arn, "ACTIONS", [(action["actionId"], action.get("properties")) for action in actions])


def _put_records(ctx: RequestContext, dataset_arn: str, dataset_type: str, records: list[tuple]) -> None:
    """Upsert records by id into a dataset, their properties checked against its schema.
    spec: personalize-behavior.md §7.2"""
    dataset = ctx.store.get("dataset", dataset_arn)
    if dataset["datasetType"] != dataset_type:
        raise InvalidInputException(f"{dataset_arn} is a {dataset['datasetType']} dataset, not {dataset_type}.")
    if dataset["status"] != lifecycle.ACTIVE:
        raise ResourceInUseException(f"{dataset_arn} is {dataset['status']}; records can be put once it is ACTIVE.")
    schema = parse_schema(ctx.store.get("schema", dataset["schemaArn"])["schema"])
    id_field = RECORD_IDS[dataset_type]
    typed = [(record_id, {id_field: record_id, **_typed(schema, _properties(text), id_field)})
             for record_id, text in records]
    ctx.env.rows.put_records(dataset_arn, typed)


def _typed(schema: DatasetSchema, properties: dict, id_field: str) -> dict:
    """Properties in camelCase -> schema fields with values of the field's type."""
    by_camel = {camel_case(field.name): field for field in schema.fields if field.name != id_field}
    unknown = sorted(set(properties) - set(by_camel))
    if unknown:
        raise InvalidInputException(f"properties has keys that are not fields of the schema: {', '.join(unknown)} "
                                    f"(known: {', '.join(sorted(by_camel))}).")
    typed = {}
    for camel, field in by_camel.items():
        value = properties.get(camel)
        if value is None:
            if not field.nullable:
                raise InvalidInputException(f"properties must give {camel} ({field.name}); it is not nullable.")
            continue
        typed[field.name] = _convert(field, value, camel)
    return typed


def _convert(field: Field, value, camel: str):
    try:
        if field.type in ("int", "long"):
            number = float(value)
            if not number.is_integer():
                raise ValueError(value)
            return int(number)
        if field.type in ("float", "double"):
            return float(value)
        if field.type == "boolean":
            return value if isinstance(value, bool) else {"true": True, "false": False}[str(value)]
    except (ValueError, KeyError, TypeError):
        raise InvalidInputException(f"properties.{camel} must be a {field.type}, not {value!r}.") from None
    return str(value)
