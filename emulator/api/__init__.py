"""Handlers, one module per resource family; each operation's handler is its name in snake_case."""

import importlib
import pkgutil

from botocore import xform_name

from service_model import SERVICES, load

PACKAGES = {"personalize": "emulator.api.personalize", "personalize-events": "emulator.api.events",
            "personalize-runtime": "emulator.api.runtime"}


def _modules(package_name: str) -> list:
    package = importlib.import_module(package_name)
    if not hasattr(package, "__path__"):
        return [package]
    return [importlib.import_module(f"{package_name}.{info.name}") for info in pkgutil.iter_modules(package.__path__)]


def _handlers(service: str) -> dict:
    """Operation name -> handler function, for the operations some module implements."""
    found = {}
    modules = _modules(PACKAGES[service])
    for operation in load(service).operation_names:
        for module in modules:
            handler = getattr(module, xform_name(operation), None)
            if handler is not None:
                found[operation] = handler
    return found


HANDLERS = {service: _handlers(service) for service in SERVICES}
