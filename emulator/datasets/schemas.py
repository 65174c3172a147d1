"""Personalize's rules for dataset schemas, on top of Avro as fastavro reads it.
spec: personalize-behavior.md §4"""

import json
import re
from dataclasses import dataclass

import fastavro
from fastavro.schema import SchemaParseException

from emulator import jsontext
from emulator.errors import InvalidInputException

DATASET_TYPES = ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS")
RECORD_NAMES = {"Interactions": "INTERACTIONS", "Items": "ITEMS", "Users": "USERS", "Actions": "ACTIONS",
                "ActionInteractions": "ACTION_INTERACTIONS", "Action_Interactions": "ACTION_INTERACTIONS"}
PRIMITIVES = {"string", "int", "long", "float", "double", "boolean"}
NUMERIC = {"int", "long", "float", "double"}


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool
    categorical: bool = False
    textual: bool = False
    item_name: bool = False   # "itemName": the item's title, which aws-semantic-similarity reads with the text


@dataclass(frozen=True)
class DatasetSchema:
    dataset_type: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((field for field in self.fields if field.name == name), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)


@dataclass(frozen=True)
class Rule:
    """A reserved field: its type, whether it may be null, whether it must (True) or must not (False) be categorical."""
    type: str | tuple[str, ...]
    nullable: bool | None = None
    categorical: bool | None = None


# spec: personalize-behavior.md §4.2: required fields, then reserved optional fields, then metadata limit
REQUIRED = {
    "INTERACTIONS": {"USER_ID": Rule("string", False), "ITEM_ID": Rule("string", False),
                     "TIMESTAMP": Rule("long", False)},
    "ITEMS": {"ITEM_ID": Rule("string", False)},
    "USERS": {"USER_ID": Rule("string", False)},
    "ACTIONS": {"ACTION_ID": Rule("string", False)},
    "ACTION_INTERACTIONS": {"USER_ID": Rule("string", False), "ACTION_ID": Rule("string", False),
                            "EVENT_TYPE": Rule("string", False), "TIMESTAMP": Rule("long", False)},
}
RESERVED = {
    "INTERACTIONS": {"EVENT_TYPE": Rule("string", categorical=False), "EVENT_VALUE": Rule(("float", "double")),
                     "IMPRESSION": Rule("string"), "RECOMMENDATION_ID": Rule("string"),
                     "EVENT_ATTRIBUTION_SOURCE": Rule("string")},
    "ITEMS": {"CREATION_TIMESTAMP": Rule(("long", "float", "double"))},
    "USERS": {},
    "ACTIONS": {"CREATION_TIMESTAMP": Rule("long"), "VALUE": Rule("long"), "TYPE": Rule("string"),
                "EXPIRATION_TIMESTAMP": Rule("long"), "ACTION_EXPIRATION_TIMESTAMP": Rule("long"),
                "REPEAT_FREQUENCY": Rule("long")},
    "ACTION_INTERACTIONS": {"IMPRESSION": Rule("string"), "RECOMMENDATION_ID": Rule("string")},
}
METADATA_LIMITS = {"INTERACTIONS": 5, "ITEMS": 100, "USERS": 25, "ACTIONS": 10, "ACTION_INTERACTIONS": 5}
NEEDS_METADATA = {"ITEMS", "USERS", "ACTIONS"}
# spec: personalize-behavior.md §4.4
DOMAIN_REQUIRED = {
    ("ECOMMERCE", "INTERACTIONS"): {"EVENT_TYPE"},
    ("ECOMMERCE", "ITEMS"): {"PRICE", "CATEGORY_L1"},
    ("VIDEO_ON_DEMAND", "INTERACTIONS"): {"EVENT_TYPE"},
    ("VIDEO_ON_DEMAND", "ITEMS"): {"CREATION_TIMESTAMP", ("GENRES", "GENRES_L1")},
}


def parse_schema(text: str, domain: str | None = None) -> DatasetSchema:
    """Check an Avro schema string against Avro and the Personalize rules; raise InvalidInputException."""
    document = _avro_record(text)
    dataset_type = RECORD_NAMES.get(document.get("name"))
    if dataset_type is None:
        raise InvalidInputException(
            f"The schema's record name {document.get('name')!r} is not a dataset type; use one of "
            f"{', '.join(sorted(RECORD_NAMES))}.")
    fields = tuple(_field(raw, dataset_type) for raw in document["fields"])
    schema = DatasetSchema(dataset_type, fields)
    _check_names(fields)
    _check_reserved(schema)
    _check_metadata(schema)
    if domain:
        _check_domain(schema, domain)
    return schema


def is_compatible_update(old: DatasetSchema, new: DatasetSchema) -> str | None:
    if old.dataset_type != new.dataset_type:
        return f"The new schema is for {new.dataset_type}, the dataset holds {old.dataset_type}."
    dropped = [name for name in REQUIRED[old.dataset_type] if new.field(name) is None]
    return f"The new schema drops required fields: {', '.join(dropped)}." if dropped else None


def camel_case(name: str) -> str:
    """CREATION_TIMESTAMP -> creationTimestamp: the key of a field in PutItems and PutUsers properties, and in
    PutEvents' event properties."""
    head, *rest = name.lower().split("_")
    return head + "".join(word.capitalize() for word in rest)


def _avro_record(text: str) -> dict:
    try:
        document = jsontext.loads(text)
    except ValueError as problem:
        raise InvalidInputException(f"The schema is not valid JSON: {problem}") from None
    if not isinstance(document, dict) or document.get("type") != "record":
        raise InvalidInputException('The schema must be an Avro record: {"type": "record", ...}.')
    if not isinstance(document.get("fields"), list) or not document["fields"]:
        raise InvalidInputException("The schema must list its fields in a non-empty \"fields\" array.")
    try:
        fastavro.parse_schema(document)
    except (SchemaParseException, ValueError, TypeError, KeyError) as error:
        raise InvalidInputException(f"The schema is not valid Avro: {error}") from None
    return document


def _field(raw: dict, dataset_type: str) -> Field:
    name, declared = raw["name"], raw["type"]
    members = declared if isinstance(declared, list) else [declared]
    kinds = [member for member in members if member != "null"]
    if len(kinds) != 1 or not isinstance(kinds[0], str) or kinds[0] not in PRIMITIVES:
        raise InvalidInputException(
            f"Field {name} has the type {json.dumps(declared)}; Personalize supports string, int, long, float, "
            "double and boolean, optionally in a union with null.")
    kind = kinds[0]
    categorical, textual, item_name = (bool(raw.get(key)) for key in ("categorical", "textual", "itemName"))
    if (categorical or textual or item_name) and kind != "string":
        raise InvalidInputException(f"Field {name} is {kind}; only string fields can be categorical, textual or "
                                    f"an itemName.")
    if (textual or item_name) and dataset_type != "ITEMS":
        raise InvalidInputException(f"Field {name} is {'textual' if textual else 'an itemName'}; such fields are "
                                    f"allowed in Items schemas only.")
    return Field(name, kind, "null" in members, categorical, textual, item_name)


def _check_names(fields: tuple[Field, ...]) -> None:
    seen: dict[str, str] = {}
    for field in fields:
        key = re.sub(r"[^A-Za-z0-9]", "", field.name).upper()
        if key in seen:
            raise InvalidInputException(f"Field names {seen[key]} and {field.name} collide: names must stay "
                                        "unique after removing non-alphanumeric characters.")
        seen[key] = field.name


def _check_reserved(schema: DatasetSchema) -> None:
    label = schema.dataset_type.title()
    for name, rule in REQUIRED[schema.dataset_type].items():
        field = schema.field(name)
        if field is None:
            raise InvalidInputException(f"Schema for {label} is missing required field {name} ({rule.type}).")
        _check_rule(field, rule, label)
    for name, rule in RESERVED[schema.dataset_type].items():
        if schema.field(name) is not None:
            _check_rule(schema.field(name), rule, label)


def _check_rule(field: Field, rule: Rule, label: str) -> None:
    allowed = rule.type if isinstance(rule.type, tuple) else (rule.type,)
    if field.type not in allowed:
        raise InvalidInputException(f"Field {field.name} of a {label} schema must be {' or '.join(allowed)}, "
                                    f"not {field.type}.")
    if rule.nullable is False and field.nullable:
        raise InvalidInputException(f"Field {field.name} of a {label} schema is required and cannot be null.")
    if rule.categorical is False and field.categorical:
        raise InvalidInputException(f"Field {field.name} of a {label} schema cannot be categorical.")


def _check_metadata(schema: DatasetSchema) -> None:
    reserved = set(REQUIRED[schema.dataset_type]) | set(RESERVED[schema.dataset_type])
    metadata = [field for field in schema.fields if field.name not in reserved]
    limit, label = METADATA_LIMITS[schema.dataset_type], schema.dataset_type.title()
    if len(metadata) > limit:
        raise InvalidInputException(f"A {label} schema can have at most {limit} metadata fields; it has "
                                    f"{len(metadata)}.")
    if schema.dataset_type in NEEDS_METADATA and not metadata:
        raise InvalidInputException(f"A {label} schema needs at least one metadata field besides "
                                    f"{', '.join(REQUIRED[schema.dataset_type])}.")
    if sum(field.textual for field in schema.fields) > 1:
        raise InvalidInputException("An Items schema can have only one textual field.")
    if sum(field.item_name for field in schema.fields) > 1:
        raise InvalidInputException("An Items schema can have only one itemName field.")


def _check_domain(schema: DatasetSchema, domain: str) -> None:
    for need in DOMAIN_REQUIRED.get((domain, schema.dataset_type), ()):
        names = need if isinstance(need, tuple) else (need,)
        if not any(schema.field(name) for name in names):
            raise InvalidInputException(f"A {domain} {schema.dataset_type.title()} schema needs the field "
                                        f"{' or '.join(names)}.")
