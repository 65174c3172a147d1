"""Handlers and errors agree with botocore's models."""

import inspect

import pytest
from botocore import xform_name

from emulator import errors
from emulator.api import HANDLERS
from service_model import SERVICES, load

IMPLEMENTED = [(service, name) for service in SERVICES for name in sorted(HANDLERS[service])]


@pytest.mark.parametrize("service,operation", IMPLEMENTED)
def test_handler_keywords_are_the_input_members_in_snake_case(service, operation):
    handler = HANDLERS[service][operation]
    shape = load(service).operation_model(operation).input_shape
    members = {xform_name(name) for name in shape.members} if shape else set()
    parameters = inspect.signature(handler).parameters
    named = {name for name, p in parameters.items() if p.kind == p.KEYWORD_ONLY}
    takes_rest = any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    assert named <= members, f"{operation} takes keywords its input shape lacks: {named - members}"
    assert takes_rest or members <= named, f"{operation} ignores members: {members - named}"
    required = {xform_name(name) for name in (shape.required_members if shape else [])}
    optional_in_handler = {name for name in named if parameters[name].default is not inspect.Parameter.empty}
    assert not required & optional_in_handler, f"{operation} defaults required members {required & optional_in_handler}"


def test_every_modeled_error_shape_has_an_exception_class_of_that_name():
    for service in SERVICES:
        model = load(service)
        for name in model.shape_names:
            shape = model.shape_for(name)
            if shape.metadata.get("exception"):
                assert name in errors.MODELED, f"{service} models {name}"


def test_every_operation_of_the_three_services_has_a_handler():
    for service in SERVICES:
        missing = set(load(service).operation_names) - set(HANDLERS[service])
        assert not missing, f"{service} would answer 501 for {sorted(missing)}"
