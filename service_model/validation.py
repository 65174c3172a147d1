"""Input validation against an operation's input shape: what botocore checks client-side, plus what it
skips (max bounds, patterns, enums), with the message wording AWS validation errors use."""

import functools
import json
import math
import pathlib
import re

from botocore.model import Shape

PATCHES = json.loads(pathlib.Path(__file__).with_name("patches.json").read_text())

_JSON_TYPES = {
    "structure": (dict,), "map": (dict,), "list": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "timestamp": (int, float), "blob": (str,),
}
_TYPE_WORDS = {"structure": "an object", "map": "an object", "list": "a list", "string": "a string",
               "boolean": "a boolean", "integer": "an integer", "long": "an integer",
               "float": "a number", "double": "a number", "timestamp": "a number of epoch seconds",
               "blob": "a base64 string"}


@functools.cache
def _pattern(java_pattern: str) -> re.Pattern:
    patched = PATCHES["patterns"].get(java_pattern)
    return re.compile(patched["python"] if patched else java_pattern)


def violations(shape: Shape, value: object, path: str = "", patterns: bool = True) -> list[str]:
    """Every constraint of `shape` that `value` breaks, as AWS-worded sentences (empty when valid).
    Outputs are checked without `patterns`: AWS itself answers names such as `solution/1a2b3c4d`."""
    shown = "***" if shape.metadata.get("sensitive") else _show(value)

    def broken(constraint: str) -> list[str]:
        return [f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"]

    kinds = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return broken(f"Member must be {_TYPE_WORDS.get(shape.type_name, shape.type_name)}")
    if isinstance(value, float) and not math.isfinite(value):
        return broken("Member must be a finite number")
    found = _bounds(shape, value, broken)
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            found += broken(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        if pattern and patterns and not _pattern(pattern).fullmatch(value):
            found += broken(f"Member must satisfy regular expression pattern: {pattern}")
    elif shape.type_name == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                found.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                             "Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                found += violations(member, value[name], _join(path, name), patterns)
    elif shape.type_name == "list":
        for position, element in enumerate(value, start=1):
            found += violations(shape.member, element, f"{path}.{position}.member", patterns)
    elif shape.type_name == "map":
        for key, element in value.items():
            found += violations(shape.key, key, f"{path}.{key}.key", patterns)
            found += violations(shape.value, element, f"{path}.{key}.value", patterns)
    return found


def message(found: list[str]) -> str:
    count = len(found)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(found)


def _bounds(shape: Shape, value: object, broken) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("integer", "long", "float", "double"):
        size, what = value, "value"
    elif shape.type_name in ("string", "list", "map"):
        size, what = len(value), "length"
    else:
        return []
    if low is not None and size < low:
        return broken(f"Member must have {what} greater than or equal to {low}")
    if high is not None and size > high:
        return broken(f"Member must have {what} less than or equal to {high}")
    return []


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(value: object) -> str:
    if isinstance(value, str):
        return "'" + (value if len(value) <= 100 else value[:100] + "...") + "'"
    text = json.dumps(value)
    return text if len(text) <= 100 else text[:100] + "..."
