"""The requests scripts/fuzz.py sends: a plausible input built from the operation's input shape with one member
broken, or a request broken at the HTTP level."""

import json
import random
import uuid
from dataclasses import dataclass, field

from service_model import load, routing

SIGNED = ("AWS4-HMAC-SHA256 Credential=fuzz/20260101/us-east-1/personalize/aws4_request, "
          "SignedHeaders=host, Signature=0")
CONTENT_TYPES = {"json": "application/x-amz-json-1.1", "rest-json": "application/json"}
FAKE_ARN = "arn:aws:personalize:us-east-1:123456789012:{}/fuzz-missing"
INTERACTIONS = {"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
                "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                           {"name": "EVENT_VALUE", "type": ["null", "float"]},
                           {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}
ITEMS = {"type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
         "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": ["null", "string"],
                                                              "categorical": True}], "version": "1.0"}
ODD_TEXT = ["\ud800", "x\udfffy", "\udbff\udc00\ud800", "\x00", "\u202e\u0301", "😀" * 3, "\ufeff", "é" * 40,
            "\\", '"', "%s%n", "' OR 1=1 --", "\n\r\t"]
PATHOLOGICAL = ["arn:aws:personalize:" + ":" * 3200 + "\n", "arn:aws:personalize:" + ":" * 230 + "\n",
                "!" + " " * 1022 + "\n", "a" * 1023 + "\n", "arn:aws" + ":kms:" * 400 + "\n", "-" * 62 + "\n"]
HUGE_NUMBERS = [2 ** 31, 2 ** 31 - 1, -2 ** 31 - 1, 2 ** 63, -2 ** 63 - 1, 10 ** 30, 10 ** 400, 1e308, -1e308,
                1e-320, 0.5, -1, 0]


@dataclass
class Fixtures:
    """Resources that exist, so that broken members can sit beside ones the handlers accept."""
    by_member: dict = field(default_factory=dict)     # member name -> a value naming something real

    @classmethod
    def create(cls, endpoint: str) -> "Fixtures":
        import boto3
        client = boto3.client("personalize", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="fuzz", aws_secret_access_key="fuzz")
        suffix = uuid.uuid4().hex[:8]
        group = client.create_dataset_group(name=f"fuzz-{suffix}")["datasetGroupArn"]
        _wait(lambda: client.describe_dataset_group(datasetGroupArn=group))
        datasets = {}
        for kind, schema in (("Interactions", INTERACTIONS), ("Items", ITEMS)):
            schema_arn = client.create_schema(name=f"fuzz-{kind.lower()}-{suffix}",
                                              schema=json.dumps(schema))["schemaArn"]
            datasets[kind] = client.create_dataset(name=f"fuzz-{kind.lower()}-{suffix}", schemaArn=schema_arn,
                                                   datasetGroupArn=group, datasetType=kind)["datasetArn"]
        tracker = client.create_event_tracker(name=f"fuzz-{suffix}", datasetGroupArn=group)
        for arn in datasets.values():
            _wait(lambda: client.describe_dataset(datasetArn=arn))
        _wait(lambda: client.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))
        return cls({"datasetGroupArn": group, "datasetArn": datasets["Items"], "schemaArn": schema_arn,
                    "trackingId": tracker["trackingId"], "eventTrackerArn": tracker["eventTrackerArn"]})


def _wait(describe, timeout: float = 30.0) -> None:
    import time
    deadline = time.monotonic() + timeout
    while next(iter(describe().values()))["status"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise TimeoutError("a fuzz fixture did not become ACTIVE")
        time.sleep(0.02)


# --- inputs built from the model ------------------------------------------------------------------------------

def plausible(rng: random.Random, shape, name: str, fixtures: Fixtures, depth: int = 0):
    """A value of `shape` that meets its constraints as far as a generator can tell."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        return {member: plausible(rng, inner, member, fixtures, depth + 1)
                for member, inner in shape.members.items()
                if member in shape.required_members or (depth < 3 and rng.random() < 0.3)}
    if kind == "list":
        return [plausible(rng, shape.member, name, fixtures, depth + 1) for _ in range(max(1, meta.get("min", 1)))]
    if kind == "map":
        return {"key1": plausible(rng, shape.value, name, fixtures, depth + 1)}
    if kind == "string":
        return _plausible_string(rng, shape, name, fixtures)
    if kind in ("integer", "long"):
        return rng.randint(meta.get("min", 1), min(meta.get("max", 100), meta.get("min", 1) + 100))
    if kind in ("float", "double"):
        return 0.5
    if kind == "timestamp":
        return 1_700_000_000 + rng.randint(0, 10 ** 6)
    return True if kind == "boolean" else "eA=="


def _plausible_string(rng: random.Random, shape, name: str, fixtures: Fixtures) -> str:
    if shape.enum:
        return rng.choice(shape.enum)
    if name in fixtures.by_member and rng.random() < 0.8:
        return fixtures.by_member[name]
    lowered = name.lower()
    special = {"RoleArn": "arn:aws:iam::123456789012:role/fuzz", "S3Location": "s3://fuzz-bucket/data.csv",
               "KmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/fuzz", "SchedulingExpression": "rate(1 day)"}
    if shape.name in special:
        return special[shape.name]
    if lowered.endswith("arn"):
        return FAKE_ARN.format(lowered[:-3] or "campaign")
    if lowered == "schema":
        return json.dumps(INTERACTIONS)
    if lowered == "properties":
        return rng.choice(['{"genre": "comedy"}', "{}", '{"numRatings": "12"}'])
    text = f"fuzz{rng.randint(0, 999)}"
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 256)
    return (text + "x" * low)[:max(low, min(high, len(text)))]


def slots(shape, value, path: tuple = ()) -> list[tuple[tuple, object, object]]:
    """(path, shape, value) of every value in `value` that `shape` describes, the top level included."""
    found = [(path, shape, value)]
    if shape.type_name == "structure" and isinstance(value, dict):
        for member, inner in value.items():
            found += slots(shape.members[member], inner, path + (member,))
    elif shape.type_name == "list" and isinstance(value, list):
        for position, element in enumerate(value):
            found += slots(shape.member, element, path + (position,))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, element in value.items():
            found += slots(shape.value, element, path + (key,))
    return found


def _replace(value, path: tuple, new):
    if not path:
        return new
    value[path[0]] = _replace(value[path[0]], path[1:], new) if len(path) > 1 else new
    return value


def _nested(rng: random.Random, depth: int):
    """A JSON text nested `depth` levels deep, as lists or objects."""
    if rng.random() < 0.5:
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


class NotApplicable(Exception):
    pass


def _mutate(rng: random.Random, kind: str, shape, value, slot_name: str):
    """The value `kind` turns `value` of `shape` into; raises NotApplicable when it does not fit the shape."""
    meta, type_name = shape.metadata, shape.type_name
    if kind == "wrong_type":
        return rng.choice([v for v in (123, "text", True, [], {}, 1.5, [1, "a"], {"a": {}})
                           if type(v) is not type(value)])
    if kind == "length" and type_name in ("string", "list", "map"):
        low, high = meta.get("min", 0), meta.get("max", 10 ** 5)
        size = rng.choice([high + 1, high * 10, 200_000] + ([low - 1] if low > 0 else []))
        if type_name == "string":
            return (rng.choice(["a", ":", "é", " "]) * size)[:size]
        element = value[0] if type_name == "list" and value else "x"
        return [element] * size if type_name == "list" else {f"k{n}": element for n in range(size)}
    if kind == "pattern" and type_name == "string" and meta.get("pattern"):
        return rng.choice(PATHOLOGICAL + ["has space", "UPPER/lower!", "arn:aws:personalize", "rate(1 week)",
                                          "s3:/missing", "", "名前", "\ud800"])
    if kind == "enum" and getattr(shape, "enum", None):
        return rng.choice(["", "NOT_AN_ENUM", shape.enum[0].lower(), shape.enum[0] + " ", "\ud800"])
    if kind == "range" and type_name in ("integer", "long", "float", "double", "timestamp"):
        low, high = meta.get("min"), meta.get("max")
        return rng.choice(HUGE_NUMBERS + [n for n in (low and low - 1, high and high + 1) if n is not None])
    if kind == "unicode" and type_name == "string":
        return rng.choice(ODD_TEXT) * rng.choice([1, 2, 50])
    if kind == "json_text" and slot_name.lower() in ("filterexpression", "expression"):
        return rng.choice(["(" * 1200 + ")" * 1200, "EXCLUDE ItemID WHERE " + "(" * 600 + "Items.GENRE IN (\"a\")"
                           + ")" * 600, "INCLUDE ItemID WHERE Items.GENRE IN (" + '"a",' * 400 + '"b")', "\ud800"])
    if kind == "json_text" and type_name == "string" and slot_name.lower() in JSON_TEXT_MEMBERS:
        return rng.choice([_nested(rng, rng.choice([50, 990, 5000, 16000])), "[1, 2]", "null", '{"a": NaN}',
                           '{"eventValue": 1e999}', '{"genre": ["a", {"b": 1}]}', '{"\\ud800": 1}', "{"])
    if kind == "huge_list" and type_name == "list":
        element = value[0] if value else "x"
        return [element] * rng.choice([1_000, 20_000])
    raise NotApplicable(kind)


JSON_TEXT_MEMBERS = {"schema", "properties", "filterexpression", "expression"}   # strings holding a language
MEMBER_MUTATIONS = ["wrong_type", "length", "pattern", "enum", "range", "unicode", "json_text", "huge_list"]
BODY_MUTATIONS = ["missing_required", "unknown_member", "deep_nesting", "null_member"]


def model_probe(rng: random.Random, service: str, operation: str, fixtures: Fixtures) -> tuple:
    model = load(service).operation_model(operation)
    shape = model.input_shape
    if operation.startswith("Delete"):   # keep the fixtures for the requests that follow
        fixtures = Fixtures()
    value = plausible(rng, shape, "", fixtures) if shape else {}
    kind, text = _break(rng, shape, value)
    headers = {"Content-Type": CONTENT_TYPES[model.metadata["protocol"]], "Authorization": SIGNED}
    if model.metadata["protocol"] == "json":
        headers["X-Amz-Target"] = f"{model.metadata['targetPrefix']}.{operation}"
    return kind, model.http["method"], model.http["requestUri"], headers, text.encode(), service, operation


FITS = {
    "wrong_type": lambda shape, name: True,
    "length": lambda shape, name: shape.type_name in ("string", "list", "map"),
    "pattern": lambda shape, name: shape.type_name == "string" and "pattern" in shape.metadata,
    "enum": lambda shape, name: bool(getattr(shape, "enum", None)),
    "range": lambda shape, name: shape.type_name in ("integer", "long", "float", "double", "timestamp"),
    "unicode": lambda shape, name: shape.type_name == "string",
    "json_text": lambda shape, name: shape.type_name == "string" and name.lower() in JSON_TEXT_MEMBERS,
    "huge_list": lambda shape, name: shape.type_name == "list",
}


def _break(rng: random.Random, shape, value) -> tuple[str, str]:
    """One mutation of `value`, and the JSON text of the result (lone surrogates escaped as JSON allows)."""
    candidates = [(path, inner, current, _name(path)) for path, inner, current in slots(shape, value)] if shape else []
    for _ in range(20):
        kind = rng.choice(MEMBER_MUTATIONS + BODY_MUTATIONS)
        try:
            if kind not in MEMBER_MUTATIONS:
                return kind, _break_body(rng, kind, shape, value)
            fitting = [slot for slot in candidates if FITS[kind](slot[1], slot[3])]
            if not fitting:
                continue
            path, inner, current, name = rng.choice(fitting)
            return kind, json.dumps(_replace(value, path, _mutate(rng, kind, inner, current, name)))
        except NotApplicable:
            continue
    return "plausible", json.dumps(value)


def _name(path: tuple) -> str:
    return next((step for step in reversed(path) if isinstance(step, str)), "")


def _break_body(rng: random.Random, kind: str, shape, value) -> str:
    structures = [(path, inner, v) for path, inner, v in (slots(shape, value) if shape else [])
                  if inner.type_name == "structure" and isinstance(v, dict)]
    if kind == "deep_nesting":
        depth = rng.choice([100, 900, 990, 1100, 5000, 20000])
        nested = _nested(rng, depth)
        if not structures or rng.random() < 0.3:
            return nested if rng.random() < 0.5 else '{"a": ' + nested + "}"
        path, inner, v = rng.choice(structures)
        member = rng.choice(list(inner.members) or ["a"])
        marker = "\x00NESTED\x00"
        _replace(value, path + (member,), marker)
        return json.dumps(value).replace(json.dumps(marker), nested)
    if not structures:
        raise NotApplicable(kind)
    path, inner, v = rng.choice(structures)
    if kind == "missing_required":
        present = [name for name in inner.required_members if name in v]
        if not present:
            raise NotApplicable(kind)
        del v[rng.choice(present)]
    elif kind == "null_member":
        v[rng.choice(list(inner.members) or ["a"])] = None
    elif kind == "unknown_member":
        v[rng.choice(["fuzzUnknown", "\ud800", "", "__proto__", "a" * 5000])] = rng.choice([1, "x", {"b": [1]}])
    return json.dumps(value)


# --- requests broken at the HTTP level ----------------------------------------------------------------------

BAD_BODIES = [b"", b"{", b"[]", b"null", b'"text"', b"\xff\xfe\x00", b'{"a": "\xff"}', b"{}" * 1000,
              b'{"maxResults": 1e999}', b'{"a": NaN}', b"\x00" * 64, b'{"a":1,"a":2}', b" " * 10_000,
              '{"name": "\ud800"}'.encode("utf-8", "surrogatepass"), b"\xef\xbb\xbf{}"]
ODD_CONTENT_TYPES = ["text/plain", "text/plain; charset=json", "application/x-www-form-urlencoded",
                     "multipart/form-data; boundary=x", "application/xml", "", "application/json; charset=latin-1",
                     "application/x-amz-json-1.0", "APPLICATION/JSON"]
SIMPLE_CONTENT_TYPES = ["text/plain", "text/plain; charset=json", "application/x-www-form-urlencoded",
                        "multipart/form-data; boundary=x", ""]   # what a web page may send without a preflight
METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "POST", "TRACE"]
OTHER_PATHS = ["/", "/no-such-path", "/events/extra", "/_emulator/reset", "/_emulator/health", "/_emulator/nothing",
               "/moto-api/reset", "/moto-api/data.json", "/moto-api/recorder/upload-recording",
               "/moto-api/recorder/replay-recording", "/%ff", "/events?x=1", "//events"]


def raw_probe(rng: random.Random, fixtures: Fixtures) -> tuple:
    rest_paths = sorted(path for _, path in routing.PATHS)
    target = f"AmazonPersonalize.{rng.choice(load('personalize').operation_names)}"
    kind = rng.choice(["body", "content_type", "unsigned", "method", "target", "auth"])
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target, "Authorization": SIGNED}
    method, path, body = "POST", "/", b"{}"
    if rng.random() < 0.5:
        path = rng.choice(rest_paths)
        headers = {"Content-Type": "application/json", "Authorization": SIGNED}
    if kind == "body":
        body = rng.choice(BAD_BODIES)
    elif kind == "content_type":
        headers["Content-Type"] = rng.choice(ODD_CONTENT_TYPES)
        if not headers["Content-Type"]:
            del headers["Content-Type"]
    elif kind == "unsigned":
        del headers["Authorization"]
        method = rng.choice(METHODS[:-1])
        path = rng.choice(rest_paths + OTHER_PATHS)
        headers["Content-Type"] = rng.choice(ODD_CONTENT_TYPES + ["application/json"])
        if path.endswith("/reset"):   # only what must be refused: the fuzzer may share a server with tests
            headers = {"Content-Type": rng.choice(SIMPLE_CONTENT_TYPES), "Origin": "http://page.example"}
        body = rng.choice([b"{}", b"", b"x=1", b"<a/>"])
    elif kind == "method":
        method = rng.choice([m for m in METHODS if m != "POST"])
        path = rng.choice(rest_paths + ["/"])
    elif kind == "target":
        headers["X-Amz-Target"] = rng.choice(["AmazonPersonalize.", "AmazonPersonalize.Nope", "Other.ListSchemas",
                                              "", "AmazonPersonalize.listSchemas", "AmazonPersonalize.\u00e9"])
    else:
        headers["Authorization"] = rng.choice(["AWS4-HMAC-SHA256 Credential=a/b/c", "Bearer x", "", " ",
                                               "AWS4-HMAC-SHA256 Credential=x/1/us-east-1/s3/aws4_request",
                                               "AWS4-HMAC-SHA256 Credential=x/1/\u00e9/personalize/aws4_request"])
    headers = {k: v.encode("latin-1", "replace").decode("latin-1") for k, v in headers.items()}
    return f"raw:{kind}", method, path, headers, body
