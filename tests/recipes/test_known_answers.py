"""Models and metrics on small data with known answers (no server needed: these are pure functions)."""

import numpy as np
import pytest
import torch

from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions, HeldOutUser
from emulator.recipes.hrnn import SequenceModel
from tests import synthetic

SMALL_GRU = {"hidden_dimension": "32", "bptt": "8", "recency_mask": "false"}


def two_tastes_data(**options) -> Interactions:
    rows = synthetic.two_tastes(**options)
    return Interactions.from_columns(*zip(*rows))


def test_ndcg_precision_and_reciprocal_rank_match_the_guides_worked_example():
    # relevant items at ranks 2 and 5 of a five-item list
    result = metrics.ranking_metrics(np.array([9, 1, 8, 7, 2]), np.array([1, 2]))
    assert round(result["normalized_discounted_cumulative_gain_at_5"], 4) == 0.6241
    assert result["precision_at_5"] == 0.4
    assert result["mean_reciprocal_rank_at_25"] == 0.5


def test_mean_reciprocal_rank_averages_first_hits():
    firsts = [metrics.ranking_metrics(np.arange(10, 35), np.array([10 + rank - 1]))["mean_reciprocal_rank_at_25"]
              for rank in (4, 2, 6)]
    assert round(sum(firsts) / 3, 4) == 0.3056


def test_split_holds_out_a_tenth_of_eligible_users_with_their_newest_tenth():
    data = two_tastes_data(users=60, per_user=30)
    train, tests = data.split(seed=4)
    assert len(tests) == 6
    assert all(len(test.history) == 27 and 1 <= len(test.relevant) <= 3 for test in tests)
    assert set(np.unique(train.user_index)).isdisjoint(test.user for test in tests)
    assert train.item_ids is data.item_ids and train.n_interactions == 54 * 30
    again, _ = data.split(seed=4)
    assert np.array_equal(again.user_index, train.user_index)


def test_users_with_one_interaction_are_never_test_users():
    data = Interactions.from_columns(["u1", "u2", "u2", "u3", "u3"], ["a", "b", "c", "a", "b"], [1, 2, 3, 4, 5])
    _, tests = data.split(seed=0, test_fraction=1.0)
    assert sorted(data.user_ids[test.user] for test in tests) == ["u2", "u3"]


def test_popularity_ranks_by_distinct_users_not_by_repeats():
    data = Interactions.from_columns(["u1"] * 5 + ["u2", "u3"], ["x"] * 5 + ["y", "y"], range(7))
    model = registry.build("aws-popularity-count", {})
    model.fit(data)
    best = metrics.top_k(model.item_scores(model.initial_state(None)), 2)
    assert [data.item_ids[i] for i in best] == ["y", "x"]


@pytest.fixture(scope="module")
def trained_gru():
    data = two_tastes_data(users=60, per_user=30, seed=2)
    model = registry.build("aws-user-personalization", SMALL_GRU, seed=3, budget=TrainingBudget(max_epochs=4))
    model.fit(data)
    model.build_user_states(data)
    return data, model


def test_gru_recommends_from_the_taste_of_the_recent_history(trained_gru):
    data, model = trained_gru
    index = {item: i for i, item in enumerate(data.item_ids)}
    for group in "ab":
        state = model.initial_state(None)
        for item in (f"{group}{n}" for n in range(5)):
            state = model.advance(state, index[item])
        top = [data.item_ids[i] for i in metrics.top_k(model.item_scores(state), 10)]
        assert sum(item.startswith(group) for item in top) >= 9


def test_gru_beats_popularity_on_held_out_users():
    data = two_tastes_data(users=80, per_user=30, seed=5)
    train, tests = data.split(seed=1)
    results = {}
    for recipe, options in (("aws-popularity-count", {}), ("aws-user-personalization", SMALL_GRU)):
        model = registry.build(recipe, options, seed=1, budget=TrainingBudget(max_epochs=4))
        model.fit(train)
        results[recipe] = metrics.evaluate(model, tests, data.n_items)
    assert (results["aws-user-personalization"]["normalized_discounted_cumulative_gain_at_10"]
            > 2 * results["aws-popularity-count"]["normalized_discounted_cumulative_gain_at_10"])


def test_numpy_serving_path_equals_the_torch_model(trained_gru):
    data, model = trained_gru
    width = model.state["out_weight"].shape[0]
    torch_model = SequenceModel(data.n_items, width, torch.zeros(data.n_items))
    with torch.no_grad():
        torch_model.items.weight.copy_(torch.from_numpy(model.state["item_embeddings"]))
        torch_model.bias.copy_(torch.from_numpy(model.state["item_bias"]))
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(torch_model.gru, f"{name}_l0").copy_(torch.from_numpy(model.state[name]))
        torch_model.out.weight.copy_(torch.from_numpy(model.state["out_weight"]))
        torch_model.out.bias.copy_(torch.from_numpy(model.state["out_bias"]))
    torch_model.eval()
    history = [3, 17, 42, 8]
    with torch.no_grad():
        logits, _ = torch_model(torch.tensor([history]))
    state = model.initial_state(None)
    for item in history:
        state = model.advance(state, item)
    assert np.allclose(model.item_scores(state), logits[0, -1].numpy(), atol=1e-4)


def test_saved_model_loads_with_identical_scores_and_no_pickle(trained_gru, tmp_path):
    data, model = trained_gru
    model.save(tmp_path / "model.npz")
    loaded = registry.load(tmp_path / "model.npz")
    state = loaded.initial_state(7)
    assert np.array_equal(loaded.item_scores(state), model.item_scores(model.initial_state(7)))
    assert list(loaded.item_ids) == list(data.item_ids)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        assert all(saved[key].dtype != object for key in saved.files)


def test_same_data_and_seed_give_the_same_model():
    data = two_tastes_data(users=40, per_user=30, seed=8)
    scores = []
    for _ in range(2):
        model = registry.build("aws-user-personalization", SMALL_GRU, seed=11, budget=TrainingBudget(max_epochs=2))
        model.fit(data)
        scores.append(model.item_scores(model.advance(model.initial_state(None), 0)))
    assert np.array_equal(scores[0], scores[1])


def test_metrics_report_exactly_the_eight_keys_rounded(trained_gru):
    data, model = trained_gru
    tests = [HeldOutUser(0, np.array([1, 2, 3]), np.array([4]))]
    result = metrics.evaluate(model, tests, data.n_items)
    assert len(result) == 8 and all(round(value, 4) == value for value in result.values())


def test_sims_popularity_discount_moves_between_popular_and_exclusive_neighbours():
    # "niche" only ever comes with "q" (8 of its 10 users); "hit" is everywhere, with all 10
    users, items = [], []
    for user in range(40):
        users += [f"u{user}"]
        items += ["hit"]
        if user < 10:
            users += [f"u{user}"] * (2 if user < 8 else 1)
            items += ["q", "niche"] if user < 8 else ["q"]
        else:
            users += [f"u{user}"]
            items += [f"other{user % 5}"]
    data = Interactions.from_columns(users, items, range(len(users)))
    index = {item: i for i, item in enumerate(data.item_ids)}
    neighbour = {}
    for beta in ("0.0", "1.0"):
        model = registry.build("aws-sims", {"popularity_discount_factor": beta, "min_cointeraction_count": "1",
                                            "min_item_interaction_count_percentile": "0",
                                            "max_item_interaction_count_percentile": "1"})
        model.fit(data)
        scores = model.item_scores(model.advance(model.initial_state(None), index["q"]))
        neighbour[beta] = data.item_ids[metrics.top_k(scores, 1)[0]]
        assert np.isneginf(scores[index["q"]])
    assert neighbour == {"0.0": "hit", "1.0": "niche"}
