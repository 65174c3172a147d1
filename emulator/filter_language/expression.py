"""Personalize filter expressions: parse one, check it against the dataset group's schemas, apply it.
spec: personalize-behavior.md §9"""

from dataclasses import dataclass, replace

from emulator.datasets.schemas import NUMERIC, DatasetSchema
from emulator.filter_language import evaluation
from emulator.filter_language.evaluation import ANY, INTERACTION_DATASETS, Context
from emulator.filter_language.syntax import MAX_LENGTH, Condition, CurrentItem, Expression, FilterError, Parser

__all__ = ["Context", "Filter", "FilterError", "parse"]

MAX_FIELDS = 10                             # distinct dataset fields per filter, all expressions together
# The datasets whose fields describe each target's candidates (spec: personalize-behavior.md §9.2).
TARGET_DATASETS = {"ItemID": ("ITEMS", "INTERACTIONS"), "ActionID": ("ACTIONS", "ACTION_INTERACTIONS"),
                   "UserID": ("USERS", "INTERACTIONS")}
# Personalize applies these itself and refuses them in filters (spec: personalize-behavior.md §9.3).
AUTOMATIC = {"ACTIONS": {"EXPIRATION_TIMESTAMP", "ACTION_EXPIRATION_TIMESTAMP", "REPEAT_FREQUENCY"}}
ORDERING = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class Filter:
    """A checked filter expression. Field names are spelled as in the schemas when parse() had them."""
    expressions: tuple[Expression, ...]
    target: str                             # "ItemID" | "ActionID" | "UserID"
    placeholders: frozenset[str]            # names without "$"
    fields: frozenset[tuple[str, str]]      # (dataset type, field), CurrentItem and CurrentUser fields included
    uses_current_item: bool
    uses_current_user: bool

    @property
    def uses_interactions(self) -> bool:
        return any(condition.dataset in INTERACTION_DATASETS
                   for expression in self.expressions for condition in expression.conditions)

    def interaction_event_types(self, values: dict[str, str] | None = None) -> frozenset[str] | None:
        """The lower-cased event types apply() may pass to Context.interacted, merged: empty without
        Interactions conditions, None when any type may be asked ("*", or a placeholder whose value
        `values` does not give because values is None)."""
        asked: set[str] = set()
        for expression in self.expressions:
            for condition in expression.conditions:
                if condition.dataset not in INTERACTION_DATASETS:
                    continue
                if values is None and any(value.kind == "placeholder" for value in condition.values):
                    return None
                if values is not None and evaluation.missing(condition, values):
                    continue
                types = evaluation.event_types(condition, values or {})
                if types is None:
                    return None
                asked |= types
        return frozenset(asked)

    def apply(self, candidates: list[str], context: Context) -> list[bool]:
        """Which candidates survive, in order. Raises FilterError when an INCLUDE expression needs a
        placeholder value that context.values lacks (an EXCLUDE ignores that condition), or when a
        value cannot be parsed."""
        return evaluation.apply(self.expressions, candidates, context)


def parse(text: str, schemas: dict[str, DatasetSchema] | None = None) -> Filter:
    """Parse and check a filter expression. `schemas` maps dataset type ("ITEMS", ...) to the schema of
    each dataset in the group; None skips the checks that need schemas. Raises FilterError."""
    if not text.strip():
        raise FilterError("The filter expression is empty.")
    if len(text) > MAX_LENGTH:
        raise FilterError(f"The filter expression has {len(text)} characters; the maximum is {MAX_LENGTH}.")
    expressions = tuple(_check_expression(expression, schemas) for expression in Parser(text).parse())
    targets = list(dict.fromkeys(expression.target for expression in expressions))
    if len(targets) > 1:
        raise FilterError(f"Invalid filter expression: all expressions must filter the same target; this one "
                          f"mixes {' and '.join(targets)}.")
    conditions = [condition for expression in expressions
                  for condition in expression.conditions + expression.if_conditions]
    fields = frozenset(_fields(conditions))
    if len(fields) > MAX_FIELDS:
        raise FilterError(f"Invalid filter expression: it uses {len(fields)} dataset fields; a filter can use "
                          f"at most {MAX_FIELDS}.")
    return Filter(expressions, targets[0],
                  frozenset(value.text for condition in conditions for value in condition.values
                            if value.kind == "placeholder"),
                  fields,
                  any(isinstance(condition.operand, CurrentItem) for condition in conditions),
                  any(expression.if_conditions for expression in expressions))


def _fields(conditions: list[Condition]):
    for condition in conditions:
        yield ("USERS" if condition.dataset == "CURRENT_USER" else condition.dataset), condition.field
        if isinstance(condition.operand, CurrentItem):
            yield "ITEMS", condition.operand.field


def _check_expression(expression: Expression, schemas: dict[str, DatasetSchema] | None) -> Expression:
    first = expression.groups[0][0]
    for condition in expression.conditions:
        if condition.dataset != first.dataset:
            # spec: personalize-behavior.md §9.3: e.g. Items and Interactions need two expressions
            raise FilterError(f"Invalid filter expression: {condition.label} at position {condition.position} "
                              f"uses a different dataset than {first.label}; all conditions of one expression "
                              "must use the same dataset. Join expressions on different datasets with |.")
    if first.dataset not in TARGET_DATASETS[expression.target]:
        allowed = " or ".join(dataset.title() for dataset in TARGET_DATASETS[expression.target])
        raise FilterError(f"Invalid filter expression: {first.label} at position {first.position} cannot filter "
                          f"{expression.target}; use {allowed} fields.")
    groups = tuple(tuple(_check_condition(condition, expression.target, schemas) for condition in group)
                   for group in expression.groups)
    if_conditions = tuple(_check_condition(condition, expression.target, schemas)
                          for condition in expression.if_conditions)
    return replace(expression, groups=groups, if_conditions=if_conditions)


def _check_condition(condition: Condition, target: str, schemas: dict[str, DatasetSchema] | None) -> Condition:
    where = f"Invalid filter expression: {condition.label} at position {condition.position}"
    _check_values(condition, where)
    if condition.dataset in INTERACTION_DATASETS:
        if condition.field.upper() != "EVENT_TYPE":
            raise FilterError(f"{where}: filters can use only EVENT_TYPE from {condition.dataset.title()}.")
        if condition.op != "IN" or isinstance(condition.operand, CurrentItem):
            raise FilterError(f"{where}: EVENT_TYPE can only be used with IN and a list of values.")
        _schema(condition.dataset, schemas, where)
        return replace(condition, field="EVENT_TYPE")
    dataset = "USERS" if condition.dataset == "CURRENT_USER" else condition.dataset
    name, kind = _field(dataset, condition.field, schemas, where)
    if condition.op in ORDERING and kind is not None and kind not in NUMERIC:
        raise FilterError(f"{where}: {condition.op} needs a numeric field; {name} is {kind}.")
    operand = condition.operand
    if isinstance(operand, CurrentItem):
        if target != "ItemID":
            raise FilterError(f"{where}: CurrentItem can only be used when filtering ItemID.")
        reference, kind = _field("ITEMS", operand.field, schemas, f"{where}: CurrentItem.{operand.field}")
        if condition.op in ORDERING and kind is not None and kind not in NUMERIC:
            raise FilterError(f"{where}: {condition.op} needs a numeric field; CurrentItem.{reference} is {kind}.")
        operand = CurrentItem(reference)
    return replace(condition, field=name, operand=operand)


def _check_values(condition: Condition, where: str) -> None:
    placeholders = [value for value in condition.values if value.kind == "placeholder"]
    if placeholders and condition.op == "NOT IN":
        raise FilterError(f"{where}: placeholders cannot be used with NOT IN; use INCLUDE ... IN instead of "
                          "EXCLUDE ... NOT IN.")
    if len(placeholders) > 1:
        raise FilterError(f"{where}: an IN list can hold only one placeholder, not "
                          f"{', '.join('$' + value.text for value in placeholders)}.")
    for value in condition.values:
        if value.kind == "string" and value.text == ANY and condition.dataset not in INTERACTION_DATASETS:
            raise FilterError(f'{where}: "*" can only be used with Interactions.EVENT_TYPE.')
        if value.kind == "string" and condition.op in ORDERING and evaluation.number(value.text) is None:
            raise FilterError(f'{where}: {condition.op} needs a number, not "{value.text}".')


def _schema(dataset: str, schemas: dict[str, DatasetSchema] | None, where: str) -> DatasetSchema | None:
    if schemas is not None and dataset not in schemas:
        raise FilterError(f"{where}: the dataset group has no {dataset.title()} dataset.")
    return None if schemas is None else schemas[dataset]


def _field(dataset: str, name: str, schemas: dict[str, DatasetSchema] | None, where: str) -> tuple[str, str | None]:
    """The field's name as the schema spells it and its type (None without schemas); raise if unusable."""
    if name.upper() in AUTOMATIC.get(dataset, ()):
        raise FilterError(f"{where}: {name.upper()} cannot be used in filters; Personalize applies it itself.")
    schema = _schema(dataset, schemas, where)
    if schema is None:
        return name, None
    # spec: personalize-behavior.md §9.1 recommends case-insensitive field names: exact spelling wins.
    field = schema.field(name) or next((field for field in schema.fields if field.name.upper() == name.upper()),
                                       None)
    if field is None:
        raise FilterError(f"{where}: the {dataset.title()} schema has no field {name}.")
    if field.textual:
        raise FilterError(f"{where}: {field.name} is a textual field; filters cannot use textual fields.")
    if field.type == "boolean":
        raise FilterError(f"{where}: {field.name} is a boolean field; filters cannot use boolean fields.")
    return field.name, field.type
