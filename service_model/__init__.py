"""Everything derived from botocore's service models for the three Personalize services."""

import functools

import botocore.session
from botocore.model import ServiceModel

SERVICES = ("personalize", "personalize-events", "personalize-runtime")


@functools.cache
def load(name: str) -> ServiceModel:
    """The botocore ServiceModel of one of SERVICES."""
    return botocore.session.get_session().get_service_model(name)
