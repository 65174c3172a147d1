"""Filter expressions: what parses, what CreateFilter refuses, and which candidates survive."""

import pytest

from emulator.datasets.schemas import DatasetSchema, Field
from emulator.filter_language.evaluation import parse_values
from emulator.filter_language.expression import Context, FilterError, parse

# The forms AWS documents, which the parser must accept.
DOCUMENTED = [
    'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    "EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)",
    'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")',
    "EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)",
    'EXCLUDE ItemID WHERE Items.CATEGORY_L1 IN ("shoe") AND Items.CATEGORY_L2 NOT IN ("boot")',
    "INCLUDE ItemID WHERE Items.PRICE <= $PRICE",
    "INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE",
    "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE",
    "EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE",
    'INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.DESCRIPTION IN ("luxury") '
    'IF CurrentUser.AGE > 18',
    'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) | '
    'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("favorite")',
    'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    "INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($MEMBERSHIP)",
    "EXCLUDE UserID WHERE Users.AGE < $AGE",
    "EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)",
    "INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ($EVENT_TYPE)",
    'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")',
    "INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)",
    "EXCLUDE ActionID WHERE Actions.VALUE < ($VALUE) IF CurrentUser.MEMBERSHIP = $PREMIUM",
    'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click, rating")',
    "INCLUDE ActionID WHERE Action.VALUE > ($VALUE)",
    'include itemid where ITEMS.CATEGORY in ("watch") and items.PRICE >= 10 or Items.GENRE not in ("x")',
]

SCHEMAS = {
    "ITEMS": DatasetSchema("ITEMS", (
        Field("ITEM_ID", "string", False), Field("GENRE", "string", True, categorical=True),
        Field("CATEGORY", "string", True, categorical=True), Field("PRICE", "float", True),
        Field("CREATION_TIMESTAMP", "long", True), Field("DESCRIPTION", "string", True, textual=True),
        Field("IN_STOCK", "boolean", True))),
    "USERS": DatasetSchema("USERS", (
        Field("USER_ID", "string", False), Field("AGE", "int", True),
        Field("MEMBERSHIP", "string", True, categorical=True))),
    "INTERACTIONS": DatasetSchema("INTERACTIONS", (
        Field("USER_ID", "string", False), Field("ITEM_ID", "string", False), Field("TIMESTAMP", "long", False),
        Field("EVENT_TYPE", "string", True), Field("EVENT_VALUE", "float", True))),
}

ITEMS = {
    "i1": {"ITEM_ID": "i1", "GENRE": "horror", "PRICE": 5.0, "CREATION_TIMESTAMP": 100},
    "i2": {"ITEM_ID": "i2", "GENRE": "comedy|drama", "PRICE": 20.0, "CREATION_TIMESTAMP": 200},
    "i3": {"ITEM_ID": "i3", "GENRE": "drama", "PRICE": None, "CREATION_TIMESTAMP": 300},
}
CANDIDATES = ["i1", "i2", "i3", "i4"]     # i4 has no Items record


def surviving(text: str, values: dict | None = None, *, interactions: dict | None = None,
              current_user: dict | None = None, current_item: dict | None = None,
              records: dict | None = None, candidates: list[str] = CANDIDATES) -> list[str]:
    """The candidates `text` keeps; `interactions` maps a lower-cased event type to the ids interacted with."""
    interactions = interactions or {}
    records = ITEMS if records is None else records

    def interacted(types):
        return {id_ for event, ids in interactions.items() if types is None or event in types for id_ in ids}

    context = Context(records.get, interacted, current_user, current_item, values or {})
    kept = parse(text).apply(candidates, context)
    return [candidate for candidate, keep in zip(candidates, kept, strict=True) if keep]


@pytest.mark.parametrize("text", DOCUMENTED)
def test_documented_expressions_parse(text):
    assert parse(text).expressions


def test_parse_reports_target_placeholders_fields_and_current_references():
    parsed = parse('EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE < CurrentItem.PRICE '
                   'IF CurrentUser.AGE = $AGE | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")')
    assert parsed.target == "ItemID"
    assert parsed.placeholders == {"GENRE", "AGE"}
    assert parsed.fields == {("ITEMS", "GENRE"), ("ITEMS", "PRICE"), ("USERS", "AGE"), ("INTERACTIONS", "EVENT_TYPE")}
    assert parsed.uses_current_item and parsed.uses_current_user and parsed.uses_interactions


def test_a_quoted_literal_keeps_its_comma_as_one_value():
    condition = parse('INCLUDE ItemID WHERE Items.GENRE IN ("click, rating")').expressions[0].conditions[0]
    assert [value.text for value in condition.values] == ["click, rating"]


def test_field_names_resolve_to_the_schema_spelling_whatever_their_case():
    assert parse('INCLUDE ItemID WHERE Items.genre IN ("a")', SCHEMAS).fields == {("ITEMS", "GENRE")}


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   ", "empty"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("' + "x" * 2500 + '")', "maximum is 2500"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") stray', '"stray" at position 43'),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a', "unterminated string literal at position 38"),
    ('INCLUDE ItemID Items.GENRE IN ("a")', 'expected WHERE, found "Items.GENRE" at position 16'),
    ('KEEP ItemID WHERE Items.GENRE IN ("a")', "expected INCLUDE or EXCLUDE"),
    ('INCLUDE Item WHERE Items.GENRE IN ("a")', "expected ItemID, ActionID or UserID"),
    ('INCLUDE ItemID WHERE GENRE IN ("a")', "a field such as Items.GENRE"),
    ('INCLUDE ItemID WHERE Things.GENRE IN ("a")', 'unknown dataset "Things.GENRE"'),
    ('INCLUDE ItemID WHERE Items.GENRE IN (horror)', 'found "horror"'),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") AND', "found the end of the expression"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") |', "expected INCLUDE or EXCLUDE, found the end"),
    ('INCLUDE ItemID WHERE Items.GENRE ~ ("a")', 'unexpected character "~"'),
    ("EXCLUDE ItemID WHERE Items.GENRE NOT IN ($GENRE)", "placeholders cannot be used with NOT IN"),
    ("INCLUDE ItemID WHERE Items.GENRE IN ($A, $B)", "only one placeholder"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") AND Interactions.EVENT_TYPE IN ("click")', "same dataset"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") OR Users.AGE > 3', "same dataset"),
    ('INCLUDE ItemID WHERE Users.AGE > 3', "cannot filter ItemID"),
    ('INCLUDE ActionID WHERE Interactions.EVENT_TYPE IN ("click")', "cannot filter ActionID"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 3 IF CurrentUser.AGE < 9', "only one IF"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 3 AND Items.PRICE > 3', "follows IF"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.AGE > 3 OR CurrentUser.AGE < 1', "AND only"),
    ('INCLUDE ItemID WHERE CurrentUser.AGE > 3', "outside an IF clause"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.GENRE IN CurrentItem.GENRE', "IF clause"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("*")', '"*" can only be used'),
    ('INCLUDE ItemID WHERE Interactions.EVENT_VALUE > 3', "only EVENT_TYPE"),
    ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("click")', "only be used with IN"),
    ('INCLUDE ItemID WHERE Items.PRICE < "cheap"', 'needs a number, not "cheap"'),
    ('INCLUDE UserID WHERE Users.AGE < CurrentItem.PRICE', "CurrentItem can only be used when filtering ItemID"),
    ('EXCLUDE ActionID WHERE Actions.REPEAT_FREQUENCY > 3', "REPEAT_FREQUENCY cannot be used"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") | INCLUDE UserID WHERE Users.AGE > 3', "mixes ItemID and UserID"),
    ("INCLUDE ItemID WHERE " + " AND ".join(f'Items.F{n} IN ("a")' for n in range(11)), "at most 10"),
])
def test_invalid_expressions_are_refused_with_a_message_naming_the_problem(text, message):
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("text, message", [
    ('INCLUDE ItemID WHERE Items.DESCRIPTION IN ("luxury")', "textual"),
    ("INCLUDE ItemID WHERE Items.IN_STOCK = 1", "boolean"),
    ('INCLUDE ItemID WHERE Items.COLOUR IN ("red")', "the Items schema has no field COLOUR"),
    ('INCLUDE ItemID WHERE Items.GENRE > 3', "needs a numeric field; GENRE is string"),
    ("INCLUDE ItemID WHERE Items.PRICE < CurrentItem.GENRE", "CurrentItem.GENRE is string"),
    ("INCLUDE ItemID WHERE Items.PRICE < CurrentItem.COST", "no field COST"),
    ('INCLUDE ItemID WHERE Items.GENRE IN ("a") IF CurrentUser.HEIGHT > 3', "the Users schema has no field HEIGHT"),
    ("INCLUDE ActionID WHERE Actions.VALUE > 3", "no Actions dataset"),
    ('INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("TAKEN")', "no Action_Interactions dataset"),
])
def test_expressions_are_checked_against_the_groups_schemas(text, message):
    with pytest.raises(FilterError) as caught:
        parse(text, SCHEMAS)
    assert message in str(caught.value)


def test_interactions_filters_need_only_the_interactions_dataset():
    assert parse('EXCLUDE ItemID WHERE Interactions.event_type IN ("*")', {"INTERACTIONS": SCHEMAS["INTERACTIONS"]})


def test_include_keeps_only_matching_items_and_drops_items_without_a_record():
    assert surviving('INCLUDE ItemID WHERE Items.GENRE IN ("horror", "drama")') == ["i1", "i2", "i3"]


def test_exclude_drops_matching_items_and_keeps_items_without_a_record():
    assert surviving('EXCLUDE ItemID WHERE Items.GENRE IN ("horror")') == ["i2", "i3", "i4"]


def test_not_in_and_not_equal_never_match_a_missing_record_or_a_null_field():
    assert surviving('INCLUDE ItemID WHERE Items.GENRE NOT IN ("horror")') == ["i2", "i3"]
    assert surviving("INCLUDE ItemID WHERE Items.PRICE != 5") == ["i2"]


def test_multi_value_fields_match_in_when_any_value_is_listed():
    assert surviving('INCLUDE ItemID WHERE Items.GENRE IN ("comedy")') == ["i2"]
    assert surviving('INCLUDE ItemID WHERE Items.GENRE = "drama"') == ["i2", "i3"]


def test_string_values_match_case_sensitively():
    assert surviving('INCLUDE ItemID WHERE Items.GENRE IN ("Horror")') == []


def test_two_includes_keep_the_union():
    text = 'INCLUDE ItemID WHERE Items.GENRE IN ("horror") | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    assert surviving(text, interactions={"click": {"i4"}}) == ["i1", "i4"]


def test_two_excludes_drop_the_union():
    text = 'EXCLUDE ItemID WHERE Items.GENRE IN ("horror") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    assert surviving(text, interactions={"click": {"i3"}}) == ["i2", "i4"]


def test_include_and_exclude_keep_the_includes_minus_the_excludes():
    text = 'INCLUDE ItemID WHERE Items.GENRE IN ("drama") | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    assert surviving(text, interactions={"click": {"i3"}}) == ["i2"]


def test_and_binds_tighter_than_or():
    text = 'INCLUDE ItemID WHERE Items.GENRE IN ("horror") OR Items.GENRE IN ("drama") AND Items.PRICE > 10'
    assert surviving(text) == ["i1", "i2"]


def test_numeric_comparisons_take_placeholder_values_quoted_or_bare():
    assert surviving("INCLUDE ItemID WHERE Items.PRICE <= $PRICE", {"PRICE": "10"}) == ["i1"]
    assert surviving("INCLUDE ItemID WHERE Items.PRICE > ($PRICE)", {"PRICE": '"10"'}) == ["i2"]
    assert surviving("EXCLUDE ItemID WHERE Items.CREATION_TIMESTAMP >= $DATE", {"DATE": "200"}) == ["i1", "i4"]


def test_placeholder_lists_match_any_listed_value():
    text = "INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)"
    assert surviving(text, {"GENRE": '"horror","comedy"'}) == ["i1", "i2"]


def test_a_missing_value_is_an_error_for_include():
    with pytest.raises(FilterError) as caught:
        surviving("INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")
    assert "$GENRE" in str(caught.value)


def test_a_missing_value_makes_exclude_ignore_only_that_condition():
    assert surviving("EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)", {"GENRE": " "}) == CANDIDATES
    text = "EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE > 1"
    assert surviving(text) == ["i3", "i4"]


@pytest.mark.parametrize("raw", ['"horror', '"a" "b"', '"a",,"b"', 'a"b', '"a",'])
def test_unparsable_filter_values_are_errors(raw):
    with pytest.raises(FilterError) as caught:
        surviving("EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE)", {"GENRE": raw})
    assert "$GENRE" in str(caught.value)


@pytest.mark.parametrize("raw, values", [
    ('"horror","comedy"', ["horror", "comedy"]),
    (' "a" , "b" ', ["a", "b"]),
    ("25", ["25"]),
    ('"25"', ["25"]),
    ('"click, rating"', ["click, rating"]),
    ("a, b", ["a", "b"]),
])
def test_filter_values_parse_as_comma_separated_quoted_or_bare_values(raw, values):
    assert parse_values("X", raw) == values


@pytest.mark.parametrize("raw, message", [('"1","2"', "exactly one value"), ('"cheap"', "needs a number")])
def test_comparison_placeholders_need_one_number(raw, message):
    with pytest.raises(FilterError) as caught:
        surviving("INCLUDE ItemID WHERE Items.PRICE < $PRICE", {"PRICE": raw})
    assert message in str(caught.value)


def test_current_item_fields_compare_with_the_requests_item():
    text = "INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE"
    assert surviving(text, current_item={"PRICE": 30.0, "GENRE": "drama|thriller"}) == ["i2"]
    assert surviving(text, current_item=None) == []


def test_a_false_if_clause_makes_the_expression_do_nothing():
    text = 'EXCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.AGE < 18'
    assert surviving(text, current_user={"AGE": 12}) == ["i2", "i3", "i4"]
    assert surviving(text, current_user={"AGE": 40}) == CANDIDATES
    assert surviving(text, current_user=None) == CANDIDATES
    include = 'INCLUDE ItemID WHERE Items.GENRE IN ("horror") IF CurrentUser.MEMBERSHIP = $TIER'
    assert surviving(include, {"TIER": '"gold"'}, current_user={"MEMBERSHIP": "silver"}) == CANDIDATES
    assert surviving(include, {"TIER": '"gold"'}, current_user={"MEMBERSHIP": "gold"}) == ["i1"]


def test_event_types_match_case_insensitively_and_star_means_any():
    asked = []

    def interacted(types):
        asked.append(types)
        return {"i1"}

    context = Context(ITEMS.get, interacted, values={"EVENT": '"CLICK","Stream"'})
    parse("EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT)").apply(CANDIDATES, context)
    parse('EXCLUDE ItemID WHERE INTERACTIONS.EVENT_TYPE IN ("*")').apply(CANDIDATES, context)
    assert asked == [frozenset({"click", "stream"}), None]


def test_interaction_event_types_says_what_apply_will_ask_for():
    parsed = parse('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT) | '
                   'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("Click")')
    assert parsed.interaction_event_types({"EVENT": '"view"'}) == {"view", "click"}
    assert parsed.interaction_event_types({}) == {"click"}
    assert parsed.interaction_event_types() is None
    assert parse('INCLUDE ItemID WHERE Items.GENRE IN ("a")').interaction_event_types() == frozenset()


def test_each_record_and_event_type_set_is_fetched_once_per_apply():
    fetched, asked = [], []

    def attributes(item_id):
        fetched.append(item_id)
        return ITEMS.get(item_id)

    def interacted(types):
        asked.append(types)
        return set()

    text = ('INCLUDE ItemID WHERE Items.GENRE IN ("horror") OR Items.PRICE > 10 | '
            'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") | '
            'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("CLICK")')
    parse(text).apply(CANDIDATES, Context(attributes, interacted))
    assert fetched == CANDIDATES and asked == [frozenset({"click"})]


def test_user_targets_filter_on_user_records_and_user_interactions():
    users = {"u1": {"AGE": 15, "MEMBERSHIP": "gold"}, "u2": {"AGE": 40, "MEMBERSHIP": "silver"}}
    candidates = ["u1", "u2", "u3"]
    assert surviving("EXCLUDE UserID WHERE Users.AGE < $AGE", {"AGE": "18"}, records=users,
                     candidates=candidates) == ["u2", "u3"]
    assert surviving('INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")', records=users,
                     candidates=candidates, interactions={"rating": {"u3"}}) == ["u3"]


def test_action_targets_filter_on_actions_and_action_interactions():
    actions = {"a1": {"VALUE": 3}, "a2": {"VALUE": 9}}
    text = ('INCLUDE ActionID WHERE Actions.VALUE > ($VALUE) | '
            'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")')
    assert surviving(text, {"VALUE": "1"}, records=actions, candidates=["a1", "a2"],
                     interactions={"not_taken": {"a2"}}) == ["a1"]
