"""The session GRU's profile layer: a user's state starts from their Users record (spec: recipes-and-models.md
§2.4, §2.7), for users seen in training, users with a record but no events, and users who arrive later."""

import numpy as np
import pytest

from emulator.recipes import registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import CATEGORICAL, NUMERICAL, Interactions, Metadata
from tests import synthetic

SMALL = {"hidden_dimension": "24", "bptt": "8", "recency_mask": "false"}
FAST = TrainingBudget(max_epochs=4, seconds=60, threads=1)
USERS = 80   # user0..user79: even users walk through a-items, odd ones through b-items (synthetic.two_tastes_interactions)
FANS = {"fan-a": "comedy", "fan-b": "drama"}   # Users records without a single event


def profiles(with_fans: bool = True) -> Metadata:
    records = {f"user{n}": {"SEGMENT": "comedy" if n % 2 == 0 else "drama", "AGE": 20 + n % 7} for n in range(USERS)}
    if with_fans:
        records.update({user: {"SEGMENT": segment, "AGE": 30} for user, segment in FANS.items()})
    return Metadata.from_records(records, {"SEGMENT": CATEGORICAL, "AGE": NUMERICAL})


def data(users: Metadata | None) -> Interactions:
    return synthetic.two_tastes_interactions(USERS, 24, seed=5, profiles=users)


def lean(model, scores: np.ndarray, data: Interactions) -> float:
    """Mean score of the a-items minus that of the b-items: > 0 leans towards comedies."""
    groups = np.array([item[0] for item in data.item_ids.tolist()])
    return float(scores[groups == "a"].mean() - scores[groups == "b"].mean())


@pytest.fixture(scope="module")
def trained():
    with_profiles = data(profiles())
    model = registry.build("aws-user-personalization", SMALL, seed=3, budget=FAST)
    model.fit(with_profiles)
    model.build_user_states(with_profiles)
    return model, with_profiles


def test_users_with_a_record_and_no_events_start_from_their_profile(trained):
    model, known = trained
    index = {user: position for position, user in enumerate(known.user_ids.tolist())}
    assert lean(model, model.item_scores(model.initial_state(index["fan-a"])), known) > 0
    assert lean(model, model.item_scores(model.initial_state(index["fan-b"])), known) < 0


def test_a_user_who_arrives_later_starts_from_the_record_given_at_serving(trained, tmp_path):
    model, known = trained
    model.save(tmp_path / "model.npz")
    loaded = registry.load(tmp_path / "model.npz")
    comedy, drama = (loaded.item_scores(loaded.new_user_state({"segment": segment, "Age": 41}))
                     for segment in ("comedy", "drama"))
    assert lean(loaded, comedy, known) > 0 > lean(loaded, drama, known)
    assert loaded.reads_profiles
    # no record at all: the state of a user without one, the same whichever way it is asked for
    assert np.array_equal(loaded.new_user_state(None), loaded.initial_state(None), equal_nan=True)


def test_held_out_users_are_measured_from_their_profile(trained):
    model, known = trained
    history = np.zeros(0, dtype=np.int64)
    users = [position for position, user in enumerate(known.user_ids.tolist()) if user in FANS]
    states = model.states_after([history, history], users)
    assert not np.allclose(states[0], states[1], equal_nan=True)
    assert np.allclose(model.states_after([history], [-1])[0], model.initial_state(None), equal_nan=True)


@pytest.mark.parametrize("recipe", ["aws-hrnn", "aws-user-personalization"])
def test_only_metadata_recipes_read_the_users_dataset(recipe):
    starts = []
    for users in (profiles(with_fans=False), None):
        model = registry.build(recipe, SMALL, seed=3, budget=TrainingBudget(max_epochs=1, threads=1))
        model.fit(data(users))
        starts.append(model.new_user_state({"SEGMENT": "comedy"}))
    assert np.array_equal(starts[0], starts[1], equal_nan=True) == (recipe == "aws-hrnn")
    assert not np.nan_to_num(starts[1]).any()   # spec §2.7: without profiles h0 = 0 (and no time: NaN)


@pytest.fixture(scope="module")
def transformer():
    with_profiles = data(profiles())
    model = registry.build("aws-user-personalization-v2", {"apply_recency_bias": "false"}, seed=3,
                           budget=TrainingBudget(max_epochs=2, seconds=60, threads=1))
    model.fit(with_profiles)
    model.build_user_states(with_profiles)
    return model, with_profiles


def test_the_transformer_reads_the_profile_as_a_first_token(transformer, tmp_path):
    model, known = transformer
    index = {user: position for position, user in enumerate(known.user_ids.tolist())}
    assert lean(model, model.item_scores(model.initial_state(index["fan-a"])), known) > 0
    assert lean(model, model.item_scores(model.initial_state(index["fan-b"])), known) < 0
    model.save(tmp_path / "model.npz")
    loaded = registry.load(tmp_path / "model.npz")
    comedy, drama = (loaded.item_scores(loaded.new_user_state({"SEGMENT": segment})) for segment in ("comedy", "drama"))
    assert lean(loaded, comedy, known) > 0 > lean(loaded, drama, known)
