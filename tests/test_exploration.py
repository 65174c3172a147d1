"""Exploration's Thompson lift: unseen items are lifted, ignored ones sink, taken ones keep their lift."""

import numpy as np

from emulator.exploration import Feedback, explore

IDS = np.array([f"item{n}" for n in range(50)])
SCORES = np.linspace(3.0, -3.0, 50)   # item0 is the model's favourite


def lifted_rank(feedback: Feedback, item: int, weight: float = 0.5, user: str = "u") -> int:
    eligible = np.zeros(50, dtype=bool)
    eligible[item] = True
    scores = explore(SCORES, eligible, np.zeros(50), IDS, feedback, weight, f"campaign|{user}")
    return int((scores > scores[item]).sum())


def test_weight_zero_changes_nothing():
    assert explore(SCORES, np.ones(50, dtype=bool), np.zeros(50), IDS, Feedback(0.0), 0.0, "c|u") is SCORES


def test_what_training_saw_often_is_hardly_lifted():
    eligible = np.zeros(50, dtype=bool)
    eligible[40] = True
    def lifts(trained: float) -> np.ndarray:
        return np.array([explore(SCORES, eligible, np.full(50, trained), IDS, Feedback(0.0), 0.5, f"c|u{n}")[40]
                         - SCORES[40] for n in range(20)])
    assert np.allclose(lifts(399.0), lifts(0.0) / 20)   # 1 / √(1 + n)


def test_an_unseen_item_is_lifted_then_sinks_when_shown_and_ignored():
    feedback = Feedback(refresh_seconds=0.0)
    ranks = [lifted_rank(feedback, 40, user=f"u{n}") for n in range(20)]
    assert np.median(ranks) < 40   # lifted above its place for most users
    feedback.showed(["item40"] * 200 + [f"item{n}" for n in range(10)] * 200)
    feedback.took(["item1"] * 200)   # the campaign's usual picks are taken one time in ten
    ignored = [lifted_rank(feedback, 40, user=f"u{n}") for n in range(20)]
    assert min(ignored) == 40


def test_a_taken_item_keeps_its_lift():
    feedback = Feedback(refresh_seconds=0.0)
    feedback.showed(["item40"] * 200 + [f"item{n}" for n in range(10)] * 200)
    feedback.took(["item40"] * 120 + ["item1"] * 100)   # item40 is taken far more often than the usual pick
    ranks = [lifted_rank(feedback, 40, user=f"u{n}") for n in range(20)]
    assert max(ranks) < 20


def test_lists_stay_stable_between_refreshes():
    feedback = Feedback(refresh_seconds=3600.0)
    before = lifted_rank(feedback, 40)
    feedback.showed(["item40"] * 500)
    assert lifted_rank(feedback, 40) == before
