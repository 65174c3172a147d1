"""Schema and CSV checks with known answers (pure functions; the API tests cover them end to end)."""

import json

import pytest

from emulator.datasets.csv_import import ImportFailed, read_csv, read_user_ids
from emulator.datasets.schemas import is_compatible_update, parse_schema
from emulator.errors import InvalidInputException


def schema(name: str, *fields: dict) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "fields": list(fields), "version": "1.0"})


def field(name: str, kind="string", **flags) -> dict:
    return {"name": name, "type": kind, **flags}


INTERACTIONS = schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "long"),
                      field("EVENT_VALUE", ["null", "float"]), field("DEVICE", ["null", "string"], categorical=True))
ITEMS = schema("Items", field("ITEM_ID"), field("GENRES", categorical=True), field("PRICE", "float"),
               field("DESCRIPTION", ["null", "string"], textual=True))


def test_a_valid_interactions_schema_parses_with_its_fields():
    parsed = parse_schema(INTERACTIONS)
    assert parsed.dataset_type == "INTERACTIONS"
    assert parsed.field("EVENT_VALUE").nullable and parsed.field("DEVICE").categorical


@pytest.mark.parametrize("text,words", [
    ("{not json", "not valid JSON"),
    (json.dumps({"type": "enum", "name": "X", "symbols": ["A"]}), "record"),
    (schema("Clicks", field("USER_ID")), "'Clicks'"),
    (schema("Interactions", field("USER_ID"), field("ITEM_ID")), "TIMESTAMP"),
    (schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "int")), "TIMESTAMP"),
    (schema("Interactions", field("USER_ID", ["null", "string"]), field("ITEM_ID"), field("TIMESTAMP", "long")),
     "cannot be null"),
    (schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "long"),
            field("EVENT_TYPE", categorical=True)), "EVENT_TYPE"),
    (schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "long"),
            field("TAGS", {"type": "array", "items": "string"})), "TAGS"),
    (schema("Items", field("ITEM_ID"), field("GENRE_1"), field("GENRE1")), "collide"),
    (schema("Items", field("ITEM_ID"), field("PRICE", "float", categorical=True)), "categorical"),
    (schema("Users", field("USER_ID"), field("BIO", textual=True)), "Items schemas only"),
    (schema("Items", field("ITEM_ID"), field("A", textual=True), field("B", textual=True)), "one textual"),
    (schema("Items", field("ITEM_ID"), field("A", itemName=True), field("B", itemName=True)), "one itemName"),
    (schema("Items", field("ITEM_ID"), field("YEAR", "int", itemName=True)), "itemName"),
    (schema("Users", field("USER_ID"), field("NAME", itemName=True)), "Items schemas only"),
    (schema("Users", field("USER_ID")), "at least one metadata"),
    (schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "long"),
            *[field(f"M{n}") for n in range(6)]), "at most 5"),
])
def test_schema_rules_name_the_problem(text, words):
    with pytest.raises(InvalidInputException) as caught:
        parse_schema(text)
    assert words in caught.value.message


def test_domain_schemas_need_their_domain_fields():
    with pytest.raises(InvalidInputException) as caught:
        parse_schema(INTERACTIONS, domain="ECOMMERCE")
    assert "EVENT_TYPE" in caught.value.message
    parse_schema(schema("Interactions", field("USER_ID"), field("ITEM_ID"), field("TIMESTAMP", "long"),
                        field("EVENT_TYPE")), domain="VIDEO_ON_DEMAND")


def test_single_type_lists_are_accepted():
    assert parse_schema(schema("Items", field("ITEM_ID"), field("CATEGORY_L1", ["string"], categorical=True)))


def test_a_replacement_schema_must_keep_the_type_and_required_fields():
    assert is_compatible_update(parse_schema(INTERACTIONS), parse_schema(ITEMS)) is not None
    assert is_compatible_update(parse_schema(INTERACTIONS), parse_schema(INTERACTIONS)) is None


def test_csv_columns_are_matched_by_name_in_any_order_and_typed():
    columns = read_csv(b"TIMESTAMP,ITEM_ID,USER_ID,EVENT_VALUE\n5,i1,u1,2.5\n6,i2,u2,\n", parse_schema(INTERACTIONS))
    assert columns["USER_ID"] == ["u1", "u2"] and columns["TIMESTAMP"] == [5, 6]
    assert columns["EVENT_VALUE"] == [2.5, None] and columns["DEVICE"] == [None, None]


def test_csv_quoting_follows_rfc_4180():
    columns = read_csv(b'ITEM_ID,GENRES,PRICE,DESCRIPTION\ni1,Drama|Crime,9.5,"says ""hi"", twice"\n',
                       parse_schema(ITEMS))
    assert columns["DESCRIPTION"] == ['says "hi", twice'] and columns["GENRES"] == ["Drama|Crime"]


@pytest.mark.parametrize("body,words", [
    (b"USER_ID,ITEM_ID\nu,i\n", 'missing the required columns "TIMESTAMP"; it has "USER_ID", "ITEM_ID"'),
    (b"USER_ID,ITEM_ID,TIMESTAMP,COLOUR\nu,i,1,red\n",
     'not in the schema: "COLOUR"; the schema\'s fields are "USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_VALUE"'),
    (b"USER_ID,ITEM_ID,TIMESTAMP,USER_ID\nu,i,1,u\n", 'repeats the columns "USER_ID"'),
    (b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\nu,i\n", "Row 2 (line 3)"),
    (b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,1\nu,i,soon\n", "Row 2 (line 3), column \"TIMESTAMP\": 'soon' is not a valid long"),
    (b"USER_ID,ITEM_ID,TIMESTAMP\n,i,1\n", "column \"USER_ID\": the value is empty"),
    (b"USER_ID,ITEM_ID,TIMESTAMP\n" + b"u" * 257 + b",i,1\n", "at most 256"),
    (b"USER_ID,ITEM_ID,TIMESTAMP\n", "no data rows"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_csv_failures_name_row_and_column(body, words):
    with pytest.raises(ImportFailed) as caught:
        read_csv(body, parse_schema(INTERACTIONS))
    assert words in str(caught.value)
    assert str(caught.value).startswith("Failed to create a data import job for Interactions dataset.")


def test_deletion_input_is_a_single_user_id_column():
    assert read_user_ids(b"USER_ID\nu1\nu2\n") == ["u1", "u2"]
    with pytest.raises(ImportFailed):
        read_user_ids(b"USER_ID,ITEM_ID\nu1,i\n")


def test_a_timestamp_beyond_64_bits_fails_the_import_by_row():
    with pytest.raises(ImportFailed) as caught:
        read_csv(b"USER_ID,ITEM_ID,TIMESTAMP\nu,i," + b"9" * 30 + b"\n", parse_schema(INTERACTIONS))
    assert 'Row 1 (line 2), column "TIMESTAMP"' in str(caught.value)


def test_an_empty_cell_is_a_missing_value_outside_ids_and_timestamp():
    columns = read_csv(b"ITEM_ID,GENRES,PRICE\ni1,,\ni2,Drama,2.5\n", parse_schema(ITEMS))
    assert columns["GENRES"] == [None, "Drama"] and columns["PRICE"] == [None, 2.5]
    with pytest.raises(ImportFailed) as caught:
        read_csv(b"USER_ID,ITEM_ID,TIMESTAMP\nu,i,\n", parse_schema(INTERACTIONS))
    assert 'column "TIMESTAMP": the value is empty, and the field is not nullable' in str(caught.value)


def test_a_column_without_a_name_is_ignored_as_pandas_writes_its_index():
    columns = read_csv(b',USER_ID,ITEM_ID,TIMESTAMP\n0,u1,i1,5\n1,u2,"i,2",6\n', parse_schema(INTERACTIONS))
    assert columns["USER_ID"] == ["u1", "u2"] and columns["ITEM_ID"] == ["i1", "i,2"]
    assert columns["TIMESTAMP"] == [5, 6] and "" not in columns
    with pytest.raises(ImportFailed) as caught:
        read_csv(b",USER_ID,ITEM_ID,TIMESTAMP\n0,u1,i1\n", parse_schema(INTERACTIONS))
    assert "Row 1 (line 2) has 3 fields; the header has 4." in str(caught.value)
