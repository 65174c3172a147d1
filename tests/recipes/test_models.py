"""aws-popularity-count and the session GRU (aws-user-personalization, aws-hrnn) on small generated data."""

import itertools

import numpy as np
import pytest
import torch

from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions
from emulator.recipes.hrnn import SequenceModel, Windows
from emulator.recipes.popularity import Popularity
from tests import synthetic
from tests.synthetic import GROUP

SMALL = {"hidden_dimension": "24", "bptt": "8", "recency_mask": "false"}
FAST = TrainingBudget(max_epochs=4, seconds=60, threads=1)


def indices(data: Interactions, item_ids: list[str]) -> list[int]:
    lookup = {item: index for index, item in enumerate(data.item_ids)}
    return [lookup[item] for item in item_ids]


def torch_twin(model) -> SequenceModel:
    """A torch SequenceModel holding the numpy model's weights."""
    n_items, width = model.state["item_embeddings"].shape
    twin = SequenceModel(n_items, width, torch.zeros(n_items))
    with torch.no_grad():
        twin.item_tower.items.weight.copy_(torch.from_numpy(model.state["item_embeddings"]))
        twin.item_tower.bias.copy_(torch.from_numpy(model.state["item_bias"]))
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(twin.gru, f"{name}_l0").copy_(torch.from_numpy(model.state[name]))
        twin.out.weight.copy_(torch.from_numpy(model.state["out_weight"]))
        twin.out.bias.copy_(torch.from_numpy(model.state["out_bias"]))
    return twin.eval()


@pytest.fixture(scope="module")
def two_tastes_split():
    data = synthetic.two_tastes_interactions(users=80, seed=5)
    train, tests = data.split(seed=1)
    return data, train, tests


@pytest.fixture(scope="module")
def trained_gru(two_tastes_split):
    data, train, _ = two_tastes_split
    model = registry.build("aws-user-personalization", SMALL, seed=3, budget=FAST)
    lines = []
    model.fit(train, log=lines.append)
    model.build_user_states(data)
    return model, lines


def test_popularity_ranks_items_by_distinct_users_then_total_count_then_index():
    # x: 1 user, 5 events; y: 2 users; z: 2 users, 3 events; w and v: 1 user, 1 event each
    users = ["u1"] * 5 + ["u2", "u3"] + ["u4", "u5", "u5"] + ["u6", "u7"]
    items = ["x"] * 5 + ["y", "y"] + ["z", "z", "z"] + ["w", "v"]
    data = Interactions.from_columns(users, items, range(len(users)))
    model = registry.build("aws-popularity-count", {})
    model.fit(data)
    ranked = metrics.top_k(model.item_scores(model.initial_state(None)), 5)
    assert list(data.item_ids[ranked]) == ["z", "y", "x", "v", "w"]
    assert np.floor(model.item_scores(model.initial_state(None))).tolist() == [1, 1, 1, 2, 2]   # v w x y z


def test_popularity_is_the_same_for_every_user_and_ignores_events():
    data = synthetic.two_tastes_interactions(users=10)
    model = Popularity({})
    model.fit(data)
    before = model.item_scores(model.initial_state(3))
    after = model.item_scores(model.advance(model.advance(model.initial_state(None), 0), 5))
    assert np.array_equal(before, after) and before.dtype == np.float64
    assert not model.returns_scores


def test_gru_logs_one_line_per_epoch_with_loss_validation_and_seconds(trained_gru):
    _, lines = trained_gru
    assert 1 <= len(lines) <= FAST.max_epochs
    assert all("loss" in line and "validation NDCG@25" in line and line.endswith(" s") for line in lines)


def test_gru_recommends_the_taste_of_the_recent_history(trained_gru, two_tastes_split):
    """On average over every 4-item walk: one walk's top 10 keeps 8 to 10 of its taste as the floats vary (the
    mean stayed at 9.1-10 over 12 model seeds)."""
    model, _ = trained_gru
    data = two_tastes_split[0]
    shares = []
    for group in "ab":
        for start in range(GROUP):
            state = model.initial_state(None)
            for item in indices(data, [f"{group}{(start + n) % GROUP}" for n in range(4)]):
                state = model.advance(state, item)
            top = data.item_ids[metrics.top_k(model.item_scores(state), 10)]
            shares.append(sum(item.startswith(group) for item in top))
    assert np.mean(shares) >= 8.5, shares


def test_gru_ranks_the_next_item_of_the_walk_first(trained_gru, two_tastes_split):
    model, _ = trained_gru
    data = two_tastes_split[0]
    hits = 0
    for group in "ab":
        for start in range(GROUP):
            state = model.initial_state(None)
            for item in indices(data, [f"{group}{(start + n) % GROUP}" for n in range(4)]):
                state = model.advance(state, item)
            hits += data.item_ids[metrics.top_k(model.item_scores(state), 1)[0]] == f"{group}{(start + 4) % GROUP}"
    assert hits >= 18   # of 24


def test_gru_beats_popularity_on_held_out_users(trained_gru, two_tastes_split):
    model, _ = trained_gru
    data, train, tests = two_tastes_split
    popularity = registry.build("aws-popularity-count", {})
    popularity.fit(train)
    gru_ndcg = metrics.evaluate(model, tests, data.n_items)["normalized_discounted_cumulative_gain_at_10"]
    popular_ndcg = metrics.evaluate(popularity, tests, data.n_items)["normalized_discounted_cumulative_gain_at_10"]
    assert gru_ndcg > 2 * popular_ndcg


def test_numpy_serving_path_gives_the_torch_models_logits(trained_gru):
    model, _ = trained_gru
    history = [3, 17, 5, 8, 8, 20]
    with torch.no_grad():
        logits, hidden = torch_twin(model)(torch.tensor([history]))
    state = model.initial_state(None)
    for step, item in enumerate(history):
        state = model.advance(state, item)
        assert np.allclose(model.sequence_scores(state), logits[0, step].numpy(), atol=1e-5)
        assert np.array_equal(model.item_scores(state), model.sequence_scores(state) + model.neighbour_votes(state))
    assert np.allclose(state[:model.width], hidden[0, 0].numpy(), atol=1e-6)


def test_user_states_are_the_users_events_run_through_advance(trained_gru, two_tastes_split):
    model, _ = trained_gru
    data = two_tastes_split[0]
    sequences = data.sequences()
    for user in (0, 7, 41):
        state = model.initial_state(None)
        for item in sequences[user][-4 * 8:].tolist():   # the last 4 * bptt events
            state = model.advance(state, item)
        assert np.allclose(model.initial_state(user), state, atol=1e-6)


def test_a_cold_user_starts_from_the_zero_state(trained_gru):
    model, _ = trained_gru
    # zero hidden state and recent items; the time of the newest event, where the model keeps one, unknown (NaN)
    assert not np.nan_to_num(model.initial_state(None)).any()
    assert not np.nan_to_num(model.initial_state(10_000)).any()   # an index the model never saw


def test_same_data_and_seed_give_the_same_model():
    data = synthetic.two_tastes_interactions(users=30, seed=8)
    budget = TrainingBudget(max_epochs=1, threads=1)
    scores = []
    for seed in (11, 11, 12):
        model = registry.build("aws-user-personalization", SMALL, seed=seed, budget=budget)
        model.fit(data)
        scores.append(model.item_scores(model.advance(model.initial_state(None), 0)))
    assert np.array_equal(scores[0], scores[1]) and not np.array_equal(scores[0], scores[2])


def test_training_stops_at_its_time_budget():
    lines = []
    model = registry.build("aws-user-personalization", SMALL, budget=TrainingBudget(max_epochs=5, seconds=0.0))
    model.fit(synthetic.two_tastes_interactions(users=20), log=lines.append)
    assert len(lines) == 2 and "time budget" in lines[-1]
    assert model.item_scores(model.initial_state(None)).shape == (2 * GROUP,)


def test_windows_cover_every_next_item_step_once_per_pass_resetting_at_each_new_user():
    data = synthetic.two_tastes_interactions(users=6, per_user=11)
    windows = Windows(data, bptt=4, weigh=None)
    chosen, reset = windows.schedule(np.random.default_rng(0))
    sequences = data.sequences()
    expected = sorted((int(a), int(b)) for items in sequences.values() for a, b in itertools.pairwise(items))
    steps = sorted((int(a), int(b)) for window in chosen.ravel().tolist()
                   for a, b in zip(windows.inputs[window].tolist(), windows.targets[window].tolist()) if b >= 0)
    passes = len(steps) // len(expected)
    assert passes >= 1 and steps == sorted(expected * passes)
    assert reset[0].all()
    for lane in range(windows.lanes):   # a lane keeps its state only inside one user's consecutive windows
        for before, after, fresh in zip(chosen[:-1, lane], chosen[1:, lane], reset[1:, lane]):
            new_user = after != before + 1 or after in windows.first_window or after == windows.blank
            assert fresh == new_user


def test_hyperparameters_arrive_as_strings_with_recipe_defaults_for_the_missing_ones():
    personalization = registry.build("aws-user-personalization", {"bptt": 16, "extra": "kept"})
    assert personalization.hyperparameters == {
        "hidden_dimension": "149", "bptt": "16", "recency_mask": "true", "extra": "kept",
        "min_user_history_length_percentile": "0.0", "max_user_history_length_percentile": "0.99"}
    assert registry.build("aws-hrnn", {}).hyperparameters["hidden_dimension"] == "43"
    assert registry.build("aws-hrnn", {}).recipe == "aws-hrnn"


def test_registry_knows_the_recipes_it_can_train():
    assert registry.supported("aws-user-personalization") and registry.supported("aws-popularity-count")
    assert not registry.supported("aws-no-such-recipe")
