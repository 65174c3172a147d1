"""The item tower of the session GRU: which recipes read the Items dataset, and what it does for cold items."""

import numpy as np
import pytest

from emulator.recipes import registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import CATEGORICAL, Interactions, Metadata
from tests import synthetic
from tests.synthetic import GROUP

SMALL = {"hidden_dimension": "24", "bptt": "8", "recency_mask": "false"}
FAST = TrainingBudget(max_epochs=4, seconds=60, threads=1)
COLD = 4   # items of each taste only in the Items dataset


def two_tastes_with_genres(users: int = 80, per_user: int = 24, seed: int = 5, genres: bool = True,
                           cold: bool = True) -> Interactions:
    """Users walk through comedies (a0..a11) or dramas (b0..b11); with `cold`, a-new0..3 and b-new0..3 are Items
    records of each genre that nobody has interacted with."""
    records = {f"{group}{suffix}": {"GENRE": genre}
               for group, genre in (("a", "comedy"), ("b", "drama"))
               for suffix in [*map(str, range(GROUP)), *(f"-new{n}" for n in range(COLD) if cold)]}
    items = Metadata.from_records(records, {"GENRE": CATEGORICAL}) if genres else None
    extra = [] if genres else list(records)
    return synthetic.two_tastes_interactions(users, per_user, seed, extra_items=extra, items=items)


def scores_after(model, data: Interactions, history: list[str]) -> dict[str, float]:
    lookup = {item: index for index, item in enumerate(data.item_ids)}
    state = model.initial_state(None)
    for item in history:
        state = model.advance(state, lookup[item])
    return dict(zip(data.item_ids.tolist(), model.item_scores(state).tolist()))


@pytest.fixture(scope="module")
def coldstart():
    data = two_tastes_with_genres()
    model = registry.build("aws-hrnn-coldstart", SMALL, seed=3, budget=FAST)
    model.fit(data)
    return model, data


def test_hrnn_coldstart_scores_cold_items_of_the_users_genre_above_the_other_genres(coldstart):
    model, data = coldstart
    for taste, other in (("a", "b"), ("b", "a")):
        scores = scores_after(model, data, [f"{taste}{n}" for n in range(6)])
        assert min(scores[f"{taste}-new{n}"] for n in range(COLD)) > max(scores[f"{other}-new{n}"]
                                                                           for n in range(COLD))


def test_hrnn_coldstart_scores_cold_items_by_their_metadata_alone(coldstart):
    model, data = coldstart
    scores = scores_after(model, data, ["a0", "a1"])
    comedies = [scores[f"a-new{n}"] for n in range(COLD)]
    assert np.allclose(comedies, comedies[0], atol=1e-6)   # same genre, no id part: the same score


@pytest.mark.parametrize("recipe", ["aws-hrnn-metadata", "aws-user-personalization"])
def test_metadata_recipes_learn_from_the_items_dataset(recipe):
    with_genres, without = two_tastes_with_genres(), two_tastes_with_genres(genres=False)
    scores = []
    for data in (with_genres, without):
        model = registry.build(recipe, SMALL, seed=3, budget=TrainingBudget(max_epochs=1, threads=1))
        model.fit(data)
        scores.append(scores_after(model, data, ["a0", "a1"]))
    assert scores[0] != scores[1]


def test_aws_hrnn_does_not_read_item_metadata():
    scores = []
    for data in (two_tastes_with_genres(), two_tastes_with_genres(genres=False)):
        model = registry.build("aws-hrnn", SMALL, seed=3, budget=TrainingBudget(max_epochs=1, threads=1))
        model.fit(data)
        scores.append(scores_after(model, data, ["a0", "a1"]))
    assert scores[0] == scores[1]


def test_update_places_the_items_new_since_training_by_their_metadata():
    model = registry.build("aws-hrnn-metadata", SMALL, seed=3, budget=FAST)
    model.fit(two_tastes_with_genres(cold=False))
    full = two_tastes_with_genres()
    model.update(full)
    for taste, other in (("a", "b"), ("b", "a")):
        scores = scores_after(model, full, [f"{taste}{n}" for n in range(6)])
        assert min(scores[f"{taste}-new{n}"] for n in range(COLD)) > max(scores[f"{other}-new{n}"]
                                                                           for n in range(COLD))
