"""The serving path's shortcuts give what the long way gives: the plain top-k, users' kept exploration gains, and
per-user caches that never keep a value read before the user changed."""

import hashlib
import threading

import numpy as np

from emulator.exploration import Feedback
from emulator.recipes.metrics import top_k
from emulator.recommending import _top
from emulator.store.dataset_rows import PerUser


def test_the_plain_top_k_is_top_k_without_its_non_finite_scores():
    rng = np.random.default_rng(0)
    for trial in range(3000):
        size = int(rng.integers(1, 200))
        scores = [rng.normal(size=size), rng.integers(0, 4, size).astype(float),            # many ties
                  np.where(rng.random(size) < 0.5, -np.inf, rng.normal(size=size)),
                  np.where(rng.random(size) < 0.05, np.nan, rng.normal(size=size)),
                  np.where(rng.random(size) < 0.05, np.inf, rng.normal(size=size))][trial % 5]
        count = int(rng.integers(1, size + 3))
        best = top_k(scores, count)
        assert _top(scores, count) == best[np.isfinite(scores[best])].tolist()


def test_a_users_kept_gains_are_the_draws_a_fresh_generator_makes():
    ids = np.array([f"item{n}" for n in range(40)])
    feedback = Feedback(refresh_seconds=3600.0)
    feedback.showed(["item3"] * 30)
    beliefs = feedback.beliefs(ids)
    first = beliefs.gains("campaign|u1")
    assert beliefs.gains("campaign|u1") is first and not first.flags.writeable
    seed = int.from_bytes(hashlib.sha256(f"campaign|u1|{beliefs.sums}".encode()).digest()[:8], "little")
    draws = np.random.default_rng(seed)
    theta = draws.random(len(ids))   # Beta(1, 1), the uniform, for the candidates without feedback ...
    theta[3] = draws.beta(beliefs.alpha[3:4], beliefs.beta[3:4])[0]   # ... and the Beta draw for item3's
    assert np.array_equal(first, np.maximum(0.0, np.log(theta / beliefs.rate)))


def test_shown_items_count_by_the_next_snapshot():
    ids = np.array(["a", "b"])
    feedback = Feedback(refresh_seconds=0.0)
    feedback.showed(["a", "a", "b"])
    beliefs = feedback.beliefs(ids)
    assert beliefs.beta.tolist() == [3.0, 2.0]


def test_a_value_computed_while_its_user_was_dropped_is_not_kept():
    cache, started, dropped = PerUser(), threading.Event(), threading.Event()

    def slow_read() -> str:
        started.set()
        dropped.wait(5)
        return "read before the change"

    reader = threading.Thread(target=lambda: cache.get("u1", "state", slow_read))
    reader.start()
    started.wait(5)
    cache.drop({"u1"})
    dropped.set()
    reader.join(5)
    assert cache.get("u1", "state", lambda: "read after the change") == "read after the change"
