"""A seeded sample of scripts/fuzz.py's requests: no 5xx, no error the operation does not model, no JSON-less
answer on a Personalize route, validation well within budget, the server healthy after."""

import pytest

from scripts import fuzz
from scripts.fuzz_inputs import Fixtures


@pytest.fixture(scope="module")
def fixtures(personalize_endpoint):
    return Fixtures.create(personalize_endpoint)


def test_a_thousand_broken_requests_get_modelled_answers(personalize_endpoint, fixtures):
    report = fuzz.run(personalize_endpoint, seed=7, count=1000, fixtures=fixtures)
    assert report.requests == 1000
    assert report.server_errors == [] and report.unmodelled == [] and report.not_json == []
    assert report.validation_ms < fuzz.VALIDATION_BUDGET_MS and report.healthy


def test_the_generator_is_seeded_and_covers_every_operation():
    first, again = list(fuzz.probes(3, 300)), list(fuzz.probes(3, 300))
    assert first == again
    assert {probe.operation for probe in first} >= {name for _, name in fuzz.OPERATIONS}
