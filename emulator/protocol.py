"""The wire format: request body -> parameters, result -> JSON by the output shape, error bodies."""

import functools
import json
from collections.abc import Callable
from itertools import chain

from botocore.model import OperationModel, ServiceModel, Shape

from emulator.errors import (InvalidInputException, InvalidNextTokenException, SerializationException, ServiceError,
                             ValidationException)
from service_model import load, validation

CONTENT_TYPES = {"json": "application/x-amz-json-1.1", "rest-json": "application/json"}


class ResponseShapeError(AssertionError):
    """A handler produced output the model does not allow; raised only with strict responses (tests)."""


def parse(operation: OperationModel, body: bytes) -> dict:
    """Read the JSON body and check it against the input shape; raise the AWS error if it is broken."""
    return check(operation, decode(body))


def decode(body: bytes) -> dict:
    try:
        params = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise SerializationException(f"The request body is not valid JSON: {error}") from None
    except RecursionError:
        raise SerializationException("The request body nests JSON arrays or objects too deeply to read; "
                                     "no Personalize input is nested more than a few levels.") from None
    if not isinstance(params, dict):
        raise SerializationException("The request body must be a JSON object.")
    return params


def check(operation: OperationModel, params: dict) -> dict:
    """The parameters the handler gets: `params` checked against the input shape, unknown members dropped."""
    if operation.input_shape is None:
        return {}
    if not validation.valid(operation.input_shape, params):
        found = validation.violations(operation.input_shape, params)
        if found:
            raise _invalid(operation, params, validation.message(found))
    return _known(operation.input_shape, params)


def _invalid(operation: OperationModel, params: dict, message: str) -> ServiceError:
    """The error for a request that breaks its input shape: InvalidInputException where the operation models
    it. ListDatasetGroups and ListSchemas model only InvalidNextTokenException: theirs for a bad nextToken,
    the protocol's ValidationException for anything else."""
    modelled = {shape.name for shape in operation.error_shapes}
    if InvalidInputException.code in modelled:
        return InvalidInputException(message)
    if (InvalidNextTokenException.code in modelled and params.get("nextToken") is not None
            and not validation.violations(operation.input_shape, {**params, "nextToken": None})):
        return InvalidNextTokenException(message)
    return ValidationException(message)


def respond(operation: OperationModel, result: dict | None, strict: bool = False) -> bytes:
    """The response body: `result` projected onto the output shape; strict mode checks it too."""
    shape = operation.output_shape
    if shape is None:
        return b""
    output = _projector(operation.service_model.service_name, shape.name, strict)(result or {})
    if strict:
        found = validation.violations(shape, output, patterns=False)
        if found:
            raise ResponseShapeError(f"{operation.name} output: " + validation.message(found))
    return _encode(output).encode()


_encode = json.JSONEncoder(separators=(",", ":")).encode   # json.dumps would build this encoder on every call


def error_body(service: str, error: ServiceError) -> tuple[int, dict, bytes]:
    """Status, headers and body of an AWS error; the status a rest-json model declares wins."""
    model = load(service)
    status = error.status
    if model.protocol == "rest-json":
        status = _declared_status(model, error.code) or status
    headers = {"x-amzn-ErrorType": error.code, "Content-Type": CONTENT_TYPES[model.protocol]}
    body = json.dumps({"__type": error.code, "message": error.message}).encode()
    return status, headers, body


def _known(shape: Shape, value):
    """`value` without the structure members the model does not know, nor those sent as null: AWS ignores
    them, and so do we (hand-written requests may carry them). Numbers of float shapes become floats, so that
    an integer such as 10**30 is stored as the number it is."""
    return _knower(shape)(value)


@functools.cache
def _knower(shape: Shape) -> Callable:
    """_known for one shape, built once from the model; `_same` where nothing can change."""
    if shape.type_name == "structure":
        members = {name: _knower(member) for name, member in shape.members.items()}
        return lambda value: {name: member if members[name] is _same else members[name](member)
                              for name, member in value.items() if name in members and member is not None}
    if shape.type_name in ("float", "double"):
        return float
    if shape.type_name in ("list", "map"):
        element = _knower(shape.member if shape.type_name == "list" else shape.value)
        if element is _same:
            return _same
        if shape.type_name == "list":
            return lambda value: [element(item) for item in value]
        return lambda value: {key: element(item) for key, item in value.items()}
    return _same


@functools.cache
def _projector(service: str, shape_name: str, strict: bool) -> Callable:
    """A function projecting a value onto the named shape, built once from the model: walking the shapes on
    every response took 0.09 ms for 25 recommendations. `_same` where nothing needs projecting."""
    shape = load(service).shape_for(shape_name)
    if shape.type_name == "structure":
        return _structure_projector(service, shape, strict)
    if shape.type_name in ("list", "map"):
        element = _projector(service, (shape.member if shape.type_name == "list" else shape.value).name, strict)
        if element is _same:   # strings, numbers, lists and maps of them: as they are
            return _same
        if shape.type_name == "map":
            return lambda value: {key: element(item) for key, item in value.items()}
        if getattr(element, "members", None) is not None:
            return _flat_list_projector(element)
        return lambda value: [element(item) for item in value]
    if shape.type_name == "timestamp":
        return lambda value: round(float(value), 3)
    return _same


def _structure_projector(service: str, shape: Shape, strict: bool) -> Callable:
    members = {name: _projector(service, member.name, strict) for name, member in shape.members.items()}
    known = _known_members(service)

    def project(value: dict) -> dict:
        projected = {}
        for name, member_value in value.items():
            member = members.get(name)
            if member is not None and member_value is not None:
                projected[name] = member_value if member is _same else member(member_value)
            elif strict and name not in known:
                raise ResponseShapeError(f"{name!r} is not a member of any shape (in {shape.name})")
        return projected
    # a structure of members that need no projecting (PredictedItem, say) has only unknown and null members to drop
    project.members = frozenset(members) if all(member is _same for member in members.values()) else None
    return project


def _flat_list_projector(element: Callable) -> Callable:
    """A list of structures whose members need no projecting: when no element has a member to drop, the list as it
    is, found by two scans in C rather than a projection of each element (a quarter of a GetRecommendations'
    serialisation)."""
    members = element.members

    def project(value: list) -> list:
        if members.issuperset(chain.from_iterable(value)) and None not in chain.from_iterable(map(dict.values, value)):
            return value
        return [element(item) for item in value]
    return project


def _same(value):
    return value


@functools.cache
def _known_members(service: str) -> frozenset:
    model = load(service)
    names = set()
    for shape_name in model.shape_names:
        shape = model.shape_for(shape_name)
        if shape.type_name == "structure":
            names.update(shape.members)
    return frozenset(names)


def _declared_status(model: ServiceModel, code: str) -> int | None:
    shape = model.shape_for_error_code(code)
    return shape.metadata.get("error", {}).get("httpStatusCode") if shape is not None else None
