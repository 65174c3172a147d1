"""Request -> operation: the X-Amz-Target of the JSON 1.1 control plane, method + path of the rest-json planes."""

from dataclasses import dataclass

from botocore.model import OperationModel

from service_model import SERVICES, load

CONTROL_PLANE = "personalize"


@dataclass(frozen=True)
class Route:
    service: str
    operation: OperationModel


def _target_table() -> dict[str, Route]:
    model = load(CONTROL_PLANE)
    prefix = model.metadata["targetPrefix"]
    return {f"{prefix}.{name}": Route(CONTROL_PLANE, model.operation_model(name))
            for name in model.operation_names}


def _path_table() -> dict[tuple[str, str], Route]:
    table = {}
    for service in SERVICES:
        model = load(service)
        if model.protocol != "rest-json":
            continue
        for name in model.operation_names:
            operation = model.operation_model(name)
            table[(operation.http["method"], operation.http["requestUri"])] = Route(service, operation)
    return table


TARGETS = _target_table()
PATHS = _path_table()
TARGET_PREFIX = load(CONTROL_PLANE).metadata["targetPrefix"] + "."


def by_target(target: str) -> Route | None:
    return TARGETS.get(target)


def by_path(method: str, path: str) -> Route | None:
    return PATHS.get((method, path))


REST_PATHS = frozenset(path for _, path in PATHS)


def is_rest_path(path: str) -> bool:
    """Whether `path` is one of the rest-json operations' paths (with any method)."""
    return path in REST_PATHS
