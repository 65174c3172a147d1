"""JSON carried inside string members (a schema, a record's properties), read with a bound on its nesting: no
Personalize document nests more than a few levels, and a deep one would exhaust the stack here or wherever
the stored value is read again."""

import json

MAX_DEPTH = 32


def loads(text: str):
    """The value of `text`; ValueError when it is not JSON or nests deeper than MAX_DEPTH."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError(f"it nests deeper than {MAX_DEPTH} levels") from None
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise ValueError(f"it nests deeper than {MAX_DEPTH} levels")
            pending.extend((inner, depth + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return value
