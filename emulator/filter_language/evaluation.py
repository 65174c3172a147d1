"""Applying parsed filter expressions to candidates: filterValues, matching, combining expressions.
spec: personalize-behavior.md §9.2"""

from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.filter_language.syntax import Condition, CurrentItem, Expression, FilterError

INTERACTION_DATASETS = {"INTERACTIONS", "ACTION_INTERACTIONS"}
ANY = "*"


@dataclass
class Context:
    """What one request lets a filter see. The callables are asked lazily and at most once per apply:
    `attributes` once per candidate, `interacted` once per distinct set of event types.

    attributes(candidate_id): the candidate's record (Items for ItemID, Actions for ActionID, Users for
        UserID targets), field name -> typed value, or None when the dataset has no such record.
    interacted(event_types): the candidate ids that satisfy `<Interactions>.EVENT_TYPE IN (event_types)`;
        event_types is a frozenset of lower-cased event types, or None for any type ("*"). By target:
        ItemID: items the requesting user interacted with (Interactions); ActionID: actions the requesting
        user interacted with (Action_Interactions); UserID: users with at least one item interaction of
        those types (spec: personalize-behavior.md §9.2; AWS: "includes only users who have clicked or
        rated items").
    current_user: the requesting user's Users record; None when there is no user or no record.
    current_item: the Items record of the request's itemId (related-items recommendations).
    values: the request's filterValues, placeholder name (without "$") -> raw string such as
        '"horror","comedy"' or '25'.
    """
    attributes: Callable[[str], dict | None]
    interacted: Callable[[frozenset[str] | None], set[str]]
    current_user: dict | None = None
    current_item: dict | None = None
    values: dict[str, str] = field(default_factory=dict)


def apply(expressions: tuple[Expression, ...], candidates: list[str], context: Context) -> list[bool]:
    """Which candidates survive: (union of includes, or everything when none is active) minus
    (union of excludes). An expression whose IF clause is false, or whose every condition was ignored
    for a missing value, takes no part."""
    _require_include_values(expressions, context.values)
    records: dict[str, dict | None] = {}
    interacted: dict[frozenset[str] | None, set[str]] = {}

    def record(candidate: str) -> dict | None:
        if candidate not in records:
            records[candidate] = context.attributes(candidate)
        return records[candidate]

    def ids_for(event_types: frozenset[str] | None) -> set[str]:
        if event_types not in interacted:
            interacted[event_types] = context.interacted(event_types)
        return interacted[event_types]

    includes, excludes = [], []
    for expression in expressions:
        test = _bind_expression(expression, context, record, ids_for)
        if test is not None:
            (includes if expression.action == "INCLUDE" else excludes).append(test)
    if not includes and len(excludes) == 1:   # the usual filter: one test per candidate, without the generators
        exclude = excludes[0]
        return [not exclude(candidate) for candidate in candidates]
    if len(includes) == 1 and not excludes:
        include = includes[0]
        return [bool(include(candidate)) for candidate in candidates]
    return [(not includes or any(test(candidate) for test in includes))
            and not any(test(candidate) for test in excludes) for candidate in candidates]


def event_types(condition: Condition, values: dict[str, str]) -> frozenset[str] | None:
    """The lower-cased event types an Interactions condition asks for; None for any ("*")."""
    wanted = {text.lower() for text in resolve(condition, values)}
    return None if ANY in wanted else frozenset(wanted)


def resolve(condition: Condition, values: dict[str, str]) -> list[str]:
    """The operand's values as strings, placeholders replaced by their parsed filterValues."""
    resolved = []
    for value in condition.values:
        resolved.extend(parse_values(value.text, values[value.text]) if value.kind == "placeholder"
                        else [value.text])
    return resolved


def parse_values(name: str, raw: str) -> list[str]:
    """A filterValues string: comma-separated values, each double-quoted ('"horror","comedy"') or bare
    ('25'). A quoted value keeps its commas."""
    items, at = [], 0
    while True:
        while at < len(raw) and raw[at].isspace():
            at += 1
        if at < len(raw) and raw[at] == '"':
            end = raw.find('"', at + 1)
            if end < 0:
                raise FilterError(f"The value of ${name} has an unterminated quoted string: {raw}")
            items.append(raw[at + 1:end])
            at = end + 1
        else:
            end = raw.find(",", at)
            end = len(raw) if end < 0 else end
            item = raw[at:end].strip()
            if not item or '"' in item:
                raise FilterError(f'The value of ${name} is not a list of "quoted" values separated by commas: '
                                  f"{raw}")
            items.append(item)
            at = end
        while at < len(raw) and raw[at].isspace():
            at += 1
        if at == len(raw):
            return items
        if raw[at] != ",":
            raise FilterError(f'The value of ${name} is not a list of "quoted" values separated by commas: {raw}')
        at += 1


def missing(condition: Condition, values: dict[str, str]) -> list[str]:
    """The placeholders of a condition that filterValues does not give (absent or blank)."""
    return [value.text for value in condition.values
            if value.kind == "placeholder" and not values.get(value.text, "").strip()]


def _require_include_values(expressions: tuple[Expression, ...], values: dict[str, str]) -> None:
    # spec: personalize-behavior.md §9.2: a missing value is an error for INCLUDE, ignored for EXCLUDE
    for expression in expressions:
        if expression.action != "INCLUDE":
            continue
        for condition in expression.conditions + expression.if_conditions:
            for name in missing(condition, values):
                raise FilterError(f"The filter's INCLUDE expression needs a value for ${name} in filterValues.")


def _bind_expression(expression: Expression, context: Context, record, ids_for) -> Callable[[str], bool] | None:
    """A test candidate -> matches, or None when the expression takes no part in this request."""
    for condition in expression.if_conditions:
        if missing(condition, context.values):
            continue                        # an EXCLUDE ignores a condition it has no value for
        if not _test(condition.op, _field(context.current_user, condition.field), _wanted(condition, context)):
            return None                     # IF false: the expression does nothing
    groups = []
    for group in expression.groups:
        bound = [_bind(condition, context, record, ids_for) for condition in group
                 if not missing(condition, context.values)]
        if bound:
            groups.append(bound)
    if not groups:
        return None
    if len(groups) == 1 and len(groups[0]) == 1:   # one condition: itself
        return groups[0][0]
    return lambda candidate: any(all(test(candidate) for test in group) for group in groups)


def _bind(condition: Condition, context: Context, record, ids_for) -> Callable[[str], bool]:
    if condition.dataset in INTERACTION_DATASETS:
        return ids_for(event_types(condition, context.values)).__contains__
    wanted = _wanted(condition, context)
    return lambda candidate: _test(condition.op, _field(record(candidate), condition.field), wanted)


def _wanted(condition: Condition, context: Context) -> list | None:
    """The values a field is tested against; None when the request's item lacks the CurrentItem field."""
    if isinstance(condition.operand, CurrentItem):
        value = _field(context.current_item, condition.operand.field)
        if value is None:
            return None
        return _parts(value) if isinstance(value, str) and condition.op in ("IN", "NOT IN") else [value]
    wanted = resolve(condition, context.values)
    if condition.op in ("IN", "NOT IN"):
        return wanted
    placeholder = next((f"${value.text}" for value in condition.values if value.kind == "placeholder"), "")
    if len(wanted) != 1:
        raise FilterError(f"{condition.label} {condition.op} {placeholder} needs exactly one value in "
                          f"filterValues, not {len(wanted)}.")
    if condition.op not in ("=", "!=") and number(wanted[0]) is None:
        raise FilterError(f"{condition.label} {condition.op} {placeholder} needs a number in filterValues, "
                          f"not {wanted[0]!r}.")
    return wanted


def _test(op: str, actual, wanted: list | None) -> bool:
    # A missing record or null field matches no condition, NOT IN and != included, as NULL does in SQL.
    if actual is None or wanted is None:
        return False
    if op in ("IN", "=", "NOT IN", "!="):
        return _is_in(actual, wanted) == (op in ("IN", "="))
    left, right = number(actual), number(wanted[0])
    if left is None or right is None:
        return False
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


def _is_in(actual, wanted: list) -> bool:
    if isinstance(actual, str):
        # A multi-value categorical field "a|b|c" matches when any of its values is listed.
        parts = set(_parts(actual))
        return any(str(value) in parts for value in wanted)
    return any(number(value) == number(actual) for value in wanted)


def _field(record: dict | None, name: str):
    """A record's field, by exact name first, then ignoring case (spec: §9.1 recommends case-insensitive)."""
    if not record:
        return None
    if name in record:
        return record[name]
    return next((value for key, value in record.items() if key.upper() == name.upper()), None)


def _parts(text: str) -> list[str]:
    return [text, *text.split("|")] if "|" in text else [text]


def number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
