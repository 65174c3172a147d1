"""Bulk CSV against a dataset schema: header by name, typed columns, failures a user can act on.
spec: personalize-behavior.md §5.1"""

import csv
import io

from emulator.datasets.schemas import DatasetSchema, Field

ID_FIELDS = {"USER_ID", "ITEM_ID", "ACTION_ID"}
# an empty cell fails the import only in these; elsewhere it is a missing value even in a non-nullable field, as
# the service imported an Items file whose non-nullable int YEAR had empty cells (its saved sample output)
NEVER_EMPTY = ID_FIELDS | {"TIMESTAMP"}
MAX_ID, MAX_CATEGORICAL, MAX_TEXT = 256, 1000, 20_000


class ImportFailed(Exception):
    """The import job fails with this message as its failureReason."""


def read_csv(data: bytes, schema: DatasetSchema) -> dict[str, list]:
    """Column name -> typed values in row order, for every schema field (absent nullable ones: all None)."""
    prefix = f"Failed to create a data import job for {schema.dataset_type.title().replace('_', ' ')} dataset. "
    reader = csv.reader(io.StringIO(_text(data, prefix)))
    header = [name.strip() for name in next(reader, [])]
    # a column without a name is ignored: DataFrame.to_csv writes the index as one, and the service imports such
    # files (spec: personalize-behavior.md §5.1)
    kept = [position for position, name in enumerate(header) if name]
    names = [header[position] for position in kept]
    _check_header(names, schema, prefix)
    converters = [_converter(schema.field(name)) for name in names]
    columns: list[list] = [[] for _ in names]
    for row_number, row in enumerate(reader, start=1):
        if not row:
            continue
        if len(row) != len(header):
            raise ImportFailed(f"{prefix}Row {row_number} (line {row_number + 1}) has {len(row)} fields; "
                               f"the header has {len(header)}.")
        for column, convert, position in zip(columns, converters, kept):
            try:
                column.append(convert(row[position]))
            except ValueError as problem:
                raise ImportFailed(f"{prefix}Row {row_number} (line {row_number + 1}), column "
                                   f"\"{header[position]}\": {problem}") from None
    if not columns or not columns[0]:
        raise ImportFailed(f"{prefix}The file has no data rows.")
    result = dict(zip(names, columns))
    for field in schema.fields:
        result.setdefault(field.name, [None] * len(columns[0]))
    return result


def read_user_ids(data: bytes) -> list[str]:
    """The USER_ID column of a data deletion job's input."""
    prefix = "Failed to create a data deletion job. "
    reader = csv.reader(io.StringIO(_text(data, prefix)))
    header = [name.strip() for name in next(reader, [])]
    if header != ["USER_ID"]:
        raise ImportFailed(f"{prefix}The file must have the single column USER_ID, not {header}.")
    ids = [row[0] for row in reader if row and row[0]]
    if not ids:
        raise ImportFailed(f"{prefix}The file has no user ids.")
    return ids


def _text(data: bytes, prefix: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed(f"{prefix}The file is not UTF-8 text.") from None


def _check_header(header: list[str], schema: DatasetSchema, prefix: str) -> None:
    if not header:
        raise ImportFailed(f"{prefix}The file is empty; it needs a header row of column names.")
    fields = f"the schema's fields are {_quoted(field.name for field in schema.fields)}"
    unknown = [name for name in header if schema.field(name) is None]
    if unknown:
        raise ImportFailed(f"{prefix}Input CSV has columns that are not in the schema: {_quoted(unknown)}; "
                           f"{fields}.")
    missing = [field.name for field in schema.fields if not field.nullable and field.name not in header]
    if missing:
        raise ImportFailed(f"{prefix}Input CSV is missing the required columns {_quoted(missing)}; it has "
                           f"{_quoted(header)}.")
    doubled = {name for name in header if header.count(name) > 1}
    if doubled:
        raise ImportFailed(f"{prefix}Input CSV repeats the columns {_quoted(sorted(doubled))}.")


def _quoted(names) -> str:
    return ", ".join(f'"{name}"' for name in names)


def _converter(field: Field):
    """A function cell -> value for one column, chosen once per column."""
    parse = {"string": str, "int": _integer, "long": _integer, "float": _number, "double": _number,
             "boolean": _boolean}[field.type]
    limit = MAX_ID if field.name in ID_FIELDS else MAX_CATEGORICAL if field.categorical else None

    def convert(cell: str):
        if cell == "":
            if field.nullable or field.name not in NEVER_EMPTY:
                return None
            raise ValueError("the value is empty, and the field is not nullable")
        if limit is not None and len(cell) > limit:
            raise ValueError(f"the value is {len(cell)} characters long; at most {limit} are allowed")
        if field.textual:
            return cell[:MAX_TEXT]
        try:
            return parse(cell)
        except ValueError:
            raise ValueError(f"{cell[:50]!r} is not a valid {field.type}") from None
    return convert


def _integer(cell: str) -> int:
    value = int(cell)
    if not -2**63 <= value < 2**63:   # Avro int and long are at most 64 bits
        raise ValueError(cell)
    return value


def _number(cell: str) -> float:
    value = float(cell)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(cell)
    return value


def _boolean(cell: str) -> bool:
    if cell not in ("true", "false"):
        raise ValueError(cell)
    return cell == "true"
