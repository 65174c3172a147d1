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
# the range of each numeric wire type (Java's int, long, float, double), checked even where the model sets no bound
_TYPE_RANGES = {"integer": (-2 ** 31, 2 ** 31 - 1), "long": (-2 ** 63, 2 ** 63 - 1),
                "float": (-3.4028234663852886e38, 3.4028234663852886e38)}
_SURROGATE = re.compile("[\ud800-\udfff]")   # JSON's "\\ud800" escapes decode to these; no encoding takes them
LISTED = 10   # violations a message spells out; the count covers them all, as AWS's messages do
COUNTED = 100   # ... up to this many: past it, 200,000 bad map entries would take seconds to describe


@functools.cache
def _pattern(java_pattern: str) -> re.Pattern:
    patched = PATCHES["patterns"].get(java_pattern)
    return re.compile(patched["python"] if patched else java_pattern)


def violations(shape: Shape, value: object, path: str = "", patterns: bool = True) -> list[str]:
    """Every constraint of `shape` that `value` breaks, as AWS-worded sentences (empty when valid).
    Outputs are checked without `patterns`: AWS itself answers names such as `solution/1a2b3c4d`."""
    def broken(constraint: str) -> list[str]:
        shown = "***" if shape.metadata.get("sensitive") else _show(value)
        return [f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}"]

    kinds = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        return broken(f"Member must be {_TYPE_WORDS.get(shape.type_name, shape.type_name)}")
    if isinstance(value, (int, float)) and not _finite(value):
        return broken("Member must be a finite number")
    found = _bounds(shape, value, broken)
    if shape.type_name == "string":
        if not value.isascii() and _SURROGATE.search(value):
            found += broken("Member must be Unicode text, without lone surrogates")
        if shape.enum and value not in shape.enum:
            found += broken(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        # a value already too long is not matched: every model pattern is linear (patches.json), yet a
        # megabyte string would still cost time for nothing
        if pattern and patterns and not found and not _pattern(pattern).fullmatch(value):
            found += broken(f"Member must satisfy regular expression pattern: {pattern}")
    elif shape.type_name == "structure":
        for name in shape.required_members:
            if value.get(name) is None:
                found.append(f"Value null at '{_join(path, name)}' failed to satisfy constraint: "
                             "Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                found += violations(member, value[name], _join(path, name), patterns)
    elif found:   # a list or map of the wrong size: its elements are not worth the time
        return found
    elif shape.type_name == "list":
        fine = _fast_check(shape.member, patterns)
        for position, element in enumerate(value, start=1):
            if len(found) >= COUNTED:
                break
            if not fine(element):
                found += violations(shape.member, element, f"{path}.{position}.member", patterns)
    elif shape.type_name == "map":
        fine_key, fine_value = _fast_check(shape.key, patterns), _fast_check(shape.value, patterns)
        for key, element in value.items():
            if len(found) >= COUNTED:
                break
            if fine_key(key) and fine_value(element):
                continue
            shown_key = key if len(key) <= 100 else key[:100] + "..."
            found += violations(shape.key, key, f"{path}.{shown_key}.key", patterns)
            found += violations(shape.value, element, f"{path}.{shown_key}.value", patterns)
    return found


@functools.cache
def _fast_check(shape: Shape, patterns: bool):
    """A quick yes for a valid string element, so that a list of 100,000 item ids (InputList has no maximum)
    costs milliseconds; anything else, and any doubt, goes to violations()."""
    if shape.type_name != "string":
        return lambda value: False
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", math.inf)
    enum = frozenset(shape.enum) if shape.enum else None
    pattern = _pattern(shape.metadata["pattern"]) if patterns and "pattern" in shape.metadata else None
    return lambda value: (type(value) is str and low <= len(value) <= high and value.isascii()
                          and (enum is None or value in enum) and (pattern is None or bool(pattern.fullmatch(value))))


def valid(shape: Shape, value: object) -> bool:
    """A quick yes: True only where violations(shape, value) finds nothing; False where it may find something.
    Checking a valid request costs a third of violations()' walk, which stays for the invalid ones."""
    return _valid_check(shape)(value)


@functools.cache
def _valid_check(shape: Shape):
    """valid() for one shape, built once: each check a closure over the shape's constraints."""
    kind, low, high = shape.type_name, shape.metadata.get("min"), shape.metadata.get("max")
    if kind == "string":
        return _fast_check(shape, True)
    if kind in ("integer", "long", "float", "double"):
        type_low, type_high = _TYPE_RANGES.get(kind, (-math.inf, math.inf))
        low, high = type_low if low is None else low, type_high if high is None else high
        floats = kind in ("float", "double")
        # an integer beyond ±2**1023 may be no finite double: violations() decides about it
        return lambda value: ((type(value) is int and -2 ** 1023 < value < 2 ** 1023 and low <= value <= high)
                              or (floats and type(value) is float and math.isfinite(value) and low <= value <= high))
    if kind == "boolean":
        return lambda value: type(value) is bool
    low, high = low or 0, math.inf if high is None else high
    if kind == "list":
        element = _valid_check(shape.member)
        return lambda value: type(value) is list and low <= len(value) <= high and all(map(element, value))
    if kind == "map":
        key, element = _valid_check(shape.key), _valid_check(shape.value)
        return lambda value: (type(value) is dict and low <= len(value) <= high
                              and all(map(key, value.keys())) and all(map(element, value.values())))
    if kind == "structure":
        required, members = tuple(shape.required_members), {name: _valid_check(member)
                                                             for name, member in shape.members.items()}

        def structure(value) -> bool:
            if type(value) is not dict or any(value.get(name) is None for name in required):
                return False
            for name, member in value.items():
                check = members.get(name)
                if check is not None and member is not None and not check(member):
                    return False
            return True
        return structure
    return lambda value: False   # timestamps, blobs: violations() checks them


def message(found: list[str]) -> str:
    count, listed = len(found), "; ".join(found[:LISTED])
    if count >= COUNTED:
        return f"{COUNTED} or more validation errors detected: {listed}; and more"
    if count > LISTED:
        listed += f"; and {count - LISTED} more"
    return f"{count} validation error{'s' if count > 1 else ''} detected: {listed}"


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(float(number))
    except OverflowError:   # an integer beyond any double
        return False


def _bounds(shape: Shape, value: object, broken) -> list[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name in ("integer", "long", "float", "double"):
        size, what = value, "value"
        type_low, type_high = _TYPE_RANGES.get(shape.type_name, (None, None))
        low = type_low if low is None else low
        high = type_high if high is None else high
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
    if isinstance(value, (list, dict)) and len(value) > 100:   # not worth encoding to show 100 characters
        return f"{'a list' if isinstance(value, list) else 'an object'} of {len(value)} members"
    try:
        text = json.dumps(value)
    except RecursionError:   # nested deeper than the encoder goes
        return "a deeply nested value"
    return text if len(text) <= 100 else text[:100] + "..."
