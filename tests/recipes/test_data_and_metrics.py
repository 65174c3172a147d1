"""Interactions, the held-out split and the GetSolutionMetrics computation, on tiny generated data."""

import math
from collections.abc import Callable

import numpy as np
import pytest

from emulator.recipes import metrics
from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions, TestUser


def random_interactions(users: int = 200, items: int = 50, seed: int = 0) -> Interactions:
    """Users with 1 to 40 interactions each (about a fifth with exactly one), shuffled timestamps."""
    rng = np.random.default_rng(seed)
    counts = np.where(rng.random(users) < 0.2, 1, rng.integers(2, 41, users))
    user_column = np.repeat([f"u{user}" for user in range(users)], counts)
    item_column = [f"i{item}" for item in rng.integers(0, items, user_column.size)]
    return Interactions.from_columns(user_column, item_column, rng.permutation(user_column.size))


class FixedRanking(Recommender):
    """The same list for everyone; its state records the history it was advanced through."""
    recipe = "test-fixed-ranking"

    def __init__(self, order: list[int], n_items: int) -> None:
        super().__init__({})
        scores = np.zeros(n_items)
        scores[order] = np.arange(len(order), 0, -1)
        self.scores, self.seen = scores, []

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        pass

    def initial_state(self, user: int | None) -> np.ndarray:
        return np.zeros(0)

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        self.seen.append(item)
        return state

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.scores.copy()


def test_from_columns_sorts_rows_by_timestamp_keeping_input_order_for_ties():
    data = Interactions.from_columns(["u2", "u1", "u2", "u1"], ["x", "y", "z", "x"], [5, 1, 1, 3])
    assert list(data.user_ids) == ["u1", "u2"] and list(data.item_ids) == ["x", "y", "z"]
    assert [(data.user_ids[u], data.item_ids[i]) for u, i in zip(data.user_index, data.item_index)] == [
        ("u1", "y"), ("u2", "z"), ("u1", "x"), ("u2", "x")]
    assert data.timestamp.tolist() == [1, 1, 3, 5]
    assert data.user_index.dtype == np.int32 and data.item_index.dtype == np.int32


def test_from_columns_indexes_catalogue_items_that_have_no_interactions():
    data = Interactions.from_columns(["u1", "u1"], ["b", "c"], [1, 2], extra_items=["a", "c", "d"])
    assert list(data.item_ids) == ["a", "b", "c", "d"]
    assert data.n_items == 4 and data.n_interactions == 2
    assert list(data.item_ids[data.item_index]) == ["b", "c"]


def test_users_with_at_least_counts_interactions_per_user():
    data = Interactions.from_columns(["a", "b", "b", "c", "c", "c"], ["x"] * 6, range(6))
    assert [data.users_with_at_least(k) for k in (1, 2, 3, 4)] == [3, 2, 1, 0]


def test_split_draws_a_rounded_tenth_of_the_users_with_two_or_more_interactions():
    data = random_interactions()
    eligible = data.users_with_at_least(2)
    _, tests = data.split(seed=1)
    assert len(tests) == math.floor(0.1 * eligible + 0.5)
    counts = data.user_counts()
    assert all(counts[test.user] >= 2 for test in tests)
    assert len({test.user for test in tests}) == len(tests)


def test_split_holds_out_each_test_users_newest_tenth_as_distinct_relevant_items():
    data = random_interactions()
    _, tests = data.split(seed=2)
    sequences = data.sequences()
    for test in tests:
        items = sequences[test.user]
        newest = max(1, math.ceil(0.1 * len(items)))
        assert test.history.tolist() == items[:-newest].tolist()
        assert test.relevant.tolist() == sorted(set(items[-newest:].tolist()))


def test_split_training_part_keeps_the_id_maps_and_only_the_other_users_rows():
    data = random_interactions()
    train, tests = data.split(seed=3)
    assert train.user_ids is data.user_ids and train.item_ids is data.item_ids
    held_out = {test.user for test in tests}
    assert held_out.isdisjoint(train.user_index.tolist())
    assert train.n_interactions == int(np.isin(data.user_index, list(held_out), invert=True).sum())
    assert np.all(np.diff(train.timestamp) >= 0)


def test_split_is_decided_by_its_seed():
    data = random_interactions()
    users = [[test.user for test in data.split(seed=seed)[1]] for seed in (7, 7, 8)]
    assert users[0] == users[1] and users[0] != users[2]


def test_split_takes_at_least_one_test_user_and_never_one_with_a_single_interaction():
    data = Interactions.from_columns(["solo", "pair", "pair"], ["x", "y", "z"], [1, 2, 3])
    train, tests = data.split(seed=0)
    assert [data.user_ids[test.user] for test in tests] == ["pair"]
    assert tests[0].history.tolist() == [data.item_ids.tolist().index("y")]
    assert list(data.user_ids[train.user_index]) == ["solo"]


def test_history_length_percentiles_drop_the_lightest_and_heaviest_users():
    data = Interactions.from_columns([f"u{n}" for n in range(1, 11) for _ in range(n)], ["x"] * 55, range(55))
    kept = data.with_history_lengths_within(0.1, 0.8)   # count quantiles 1.9 and 8.2 of 1..10
    assert sorted(set(data.user_ids[kept.user_index])) == sorted(f"u{n}" for n in range(2, 9))
    assert kept.user_ids is data.user_ids


def test_metrics_reproduce_the_guides_worked_example():
    # spec: recipes-and-models.md §3.2: hits at ranks 2 and 5 of five, two relevant items
    model = FixedRanking([9, 1, 8, 7, 2], n_items=10)
    result = metrics.evaluate(model, [TestUser(0, np.array([3]), np.array([1, 2]))], n_catalogue_items=10)
    assert result["normalized_discounted_cumulative_gain_at_5"] == 0.6241
    assert result["precision_at_5"] == 0.4
    assert result["mean_reciprocal_rank_at_25"] == 0.5


def test_mean_reciprocal_rank_averages_the_first_hits_of_the_users():
    # the guide's example: first hits at ranks 4, 2 and 6
    model = FixedRanking(list(range(10)), n_items=10)
    tests = [TestUser(user, np.zeros(0, dtype=np.int64), np.array([rank - 1])) for user, rank in enumerate((4, 2, 6))]
    assert metrics.evaluate(model, tests, n_catalogue_items=10)["mean_reciprocal_rank_at_25"] == 0.3056


def test_evaluate_reports_exactly_the_eight_keys_rounded_to_four_decimals():
    model = FixedRanking([5, 3, 1], n_items=30)
    tests = [TestUser(0, np.array([1]), np.array([3, 4, 7])), TestUser(1, np.array([2]), np.array([6]))]
    result = metrics.evaluate(model, tests, n_catalogue_items=30)
    assert set(result) == {"coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
                           "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
                           "precision_at_5", "precision_at_10", "precision_at_25"}
    assert all(value == round(value, 4) for value in result.values())
    assert result["precision_at_5"] == round((1 / 5 + 0) / 2, 4)


def test_evaluate_feeds_the_history_through_the_serving_path_and_keeps_history_items():
    model = FixedRanking([4, 0, 1], n_items=8)
    result = metrics.evaluate(model, [TestUser(0, np.array([4, 6, 2]), np.array([4]))], n_catalogue_items=8)
    assert model.seen == [4, 6, 2]
    assert result["mean_reciprocal_rank_at_25"] == 1.0   # item 4 was in the history and still counts


def test_per_user_metrics_are_what_evaluate_averages_and_can_leave_the_history_out():
    model = FixedRanking([4, 0, 1], n_items=8)
    tests = [TestUser(0, np.array([4, 6]), np.array([0])), TestUser(1, np.array([2]), np.array([1]))]
    values, shown = metrics.per_user(model, tests)
    assert values["mean_reciprocal_rank_at_25"].tolist() == [0.5, 1 / 3]
    assert metrics.evaluate(model, tests, 8)["mean_reciprocal_rank_at_25"] == round(5 / 12, 4)
    without, _ = metrics.per_user(model, tests, without_history=True)
    assert without["mean_reciprocal_rank_at_25"].tolist() == [1.0, 1 / 3]   # item 4 left out of user 0's list
    assert {4, 0, 1} <= shown


@pytest.mark.parametrize("count", [1, 2])
def test_hold_out_newest_keeps_the_users_older_events_for_training_and_the_others_whole(count):
    data = random_interactions(users=40)
    users = np.flatnonzero(data.user_counts() > count)[:10]
    rest, tests = data.hold_out_newest(users, count)
    before, after = data.sequences(), rest.sequences()
    assert [test.user for test in tests] == sorted(users.tolist())
    for test in tests:
        assert after[test.user].tolist() == test.history.tolist() == before[test.user][:-count].tolist()
        assert test.relevant.tolist() == np.unique(before[test.user][-count:]).tolist()
    assert all(after[user].tolist() == items.tolist() for user, items in before.items() if user not in users)


def test_coverage_counts_distinct_recommended_items_over_the_whole_catalogue():
    model = FixedRanking(list(range(30)), n_items=40)   # the top 25 are items 0..24 for everyone
    tests = [TestUser(user, np.zeros(0, dtype=np.int64), np.array([0])) for user in range(3)]
    assert metrics.evaluate(model, tests, n_catalogue_items=100)["coverage"] == 0.25


@pytest.mark.parametrize("k", [1, 3, 5, 8])
def test_top_k_orders_by_score_and_breaks_ties_by_item_index(k):
    scores = np.array([1.0, 3.0, 1.0, 3.0, 2.0, 1.0, 3.0, 1.0])
    assert metrics.top_k(scores, k).tolist() == [1, 3, 6, 4, 0, 2, 5, 7][:k]
