"""aws-trending-now on interactions whose counts per window are known."""

import numpy as np
import pytest

from emulator.recipes import metrics, registry
from emulator.recipes.data import Interactions, TestUser
from emulator.recipes.trending import trend_prediction_accuracy, window_seconds

HOUR, END = 3_600, 1_700_000_000


def windowed(counts: dict[str, list[int]], window: int = HOUR) -> Interactions:
    """counts: item -> interactions in each window, oldest first, the last window ending at END; every
    interaction by its own user, spread inside its window."""
    users, items, stamps = [], [], []
    for item, per_window in counts.items():
        for number, count in enumerate(reversed(per_window)):   # number 0: the last window
            for event in range(count):
                users.append(f"{item}-{number}-{event}")
                items.append(item)
                stamps.append(END - number * window - event * (window // (count + 1)))
    return Interactions.from_columns(users, items, stamps)


def ranking(model, data: Interactions) -> list[str]:
    return list(data.item_ids[metrics.top_k(model.item_scores(model.initial_state(None)), data.n_items)])


def test_trending_ranks_growth_over_size_and_puts_shrinking_items_after_the_risers():
    data = windowed({"steady": [20, 20, 20], "rising": [2, 2, 12], "slow": [5, 5, 7], "falling": [0, 10, 3],
                     "gone": [9, 9, 0]})
    model = registry.build("aws-trending-now", {"trend_discovery_frequency": "1h"})
    model.fit(data)
    # trend: rising (12-2)/sqrt(3) = 5.8, slow 2/sqrt(6) = 0.8; then the rest by their last-window count
    assert ranking(model, data) == ["rising", "slow", "steady", "falling", "gone"]


def test_trend_discovery_frequency_sets_the_window_length():
    # "burst" grows in the last hour only; "climber" grows from one day to the next
    data = windowed({"burst": [0] * 46 + [1, 6], "climber": [1] * 24 + [3] * 24})
    hourly = registry.build("aws-trending-now", {"trend_discovery_frequency": "1h"})
    daily = registry.build("aws-trending-now", {"trend_discovery_frequency": "1 day"})
    hourly.fit(data)
    daily.fit(data)
    assert ranking(hourly, data)[0] == "burst" and ranking(daily, data)[0] == "climber"


def test_the_default_window_is_three_hours():
    model = registry.build("aws-trending-now", {})
    assert model.hyperparameters == {"trend_discovery_frequency": "3h"}
    model.fit(windowed({"x": [1, 2]}))
    assert int(model.state["window_seconds"]) == 3 * HOUR


@pytest.mark.parametrize("text, seconds", [("30 min", 1_800), ("1h", 3_600), ("3h", 10_800), ("1 day", 86_400),
                                           ("3 hours", 10_800), ("1d", 86_400)])
def test_window_seconds_reads_the_service_spellings(text, seconds):
    assert window_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "fast", "0h", "3 weeks"])
def test_window_seconds_rejects_what_is_not_a_duration(text):
    with pytest.raises(ValueError, match="trend_discovery_frequency"):
        window_seconds(text)


def test_trending_is_the_same_for_every_user_and_has_no_scores():
    data = windowed({"a": [1, 4], "b": [3, 3]})
    model = registry.build("aws-trending-now", {"trend_discovery_frequency": "1h"})
    model.fit(data)
    assert not model.returns_scores
    assert np.array_equal(model.item_scores(model.initial_state(0)),
                          model.item_scores(model.advance(model.initial_state(None), 1)))


def accuracy(data: Interactions, k: int) -> float:
    return trend_prediction_accuracy(data.item_index, data.timestamp, data.n_items, HOUR, END, k=k)


def test_trend_prediction_accuracy_is_the_share_of_the_test_windows_growth_the_list_caught():
    assert accuracy(windowed({"up": [1, 4, 9], "flat": [5, 5, 5]}), k=1) == 1.0
    # the list of the earlier windows predicts "up", but "other" grows in the test window
    assert accuracy(windowed({"up": [1, 4, 4], "other": [3, 3, 8]}), k=1) == 0.0
    assert accuracy(windowed({"up": [1, 4, 5], "other": [3, 3, 5]}), k=1) == 0.5   # caught +1 of the best +2
    assert accuracy(windowed({"up": [1, 4, 2], "flat": [5, 5, 5]}), k=25) == 0.0   # nothing grew


def test_metrics_are_the_eight_keys_plus_trend_prediction_accuracy():
    data = windowed({f"i{n}": [n % 3, n % 5, n % 7 + 1] for n in range(12)})
    model = registry.build("aws-trending-now", {"trend_discovery_frequency": "1h"})
    model.fit(data)
    tests = [TestUser(user, np.array([1, 2]), np.array([user % 12])) for user in range(5)]
    result = metrics.evaluate(model, tests, data.n_items)
    assert set(result) == {*metrics.KEYS, "trend_prediction_accuracy"}
    assert 0.0 <= result["trend_prediction_accuracy"] <= 1.0
