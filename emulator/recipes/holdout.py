"""What the neural recipes validate on while they fit. Early stopping: the newest event of up to MOST_USERS
training users, held out of training while their older events stay in it, so that validation scores users the model
trained on at the event that comes next, as it serves them. It replaced 5 % of the training users held out whole
(about 45 on ML-100K, each seed another 45): their NDCG@25 moved more from epoch to epoch than an epoch improved it.
The GRU's item term and the popular-now term are still chosen on CHOICE_USERS held out whole (choice_split)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from emulator.recipes import metrics
from emulator.recipes.data import Interactions, TestUser

MOST_USERS = 1000         # every training user with >= 2 events up to this many (ML-100K: all of them), ...
MOST_CELLS = 50_000_000   # ... fewer where users x items would pass this, ...
LEAST_USERS = 200         # ... but at least this many
CHUNK_CELLS = 4_000_000   # users x items scored at once
SEED = 20_151   # the users are drawn with a seed of their own: every training seed fits the same data
CHOICE_USERS = 0.05   # share of the training users held out whole for the item-term and popular-now choices


@dataclass
class HoldOut:
    """The validation users: each one's history (their events before the newest, which they trained on) and the
    held-out newest item."""
    tests: list[TestUser]
    n_items: int

    def __len__(self) -> int:
        return len(self.tests)

    @property
    def users(self) -> np.ndarray:
        return np.array([test.user for test in self.tests], dtype=np.int64)

    def ndcg(self, scores_of: Callable[[list[TestUser]], np.ndarray], k: int = 25) -> float:
        """Mean NDCG@k of the held-out items, given scores_of(tests) -> (len(tests), n_items) scores of the users
        after their histories (history items stay in the ranking, as in GetSolutionMetrics' lists); scored a chunk
        of users at a time."""
        if not self.tests:
            return 0.0
        chunk = max(CHUNK_CELLS // max(self.n_items, 1), 1)
        total = 0.0
        for start in range(0, len(self.tests), chunk):
            tests = self.tests[start:start + chunk]
            targets = np.array([test.relevant[0] for test in tests], dtype=np.int64)
            total += float(metrics.target_ndcg(scores_of(tests), targets, k).sum())
        return total / len(self.tests)


def split(train: Interactions, most: int | None = None, seed: int = SEED) -> tuple[Interactions, HoldOut]:
    """(the fit part: train without the held-out events, the hold-out of at most `most` users, MOST_USERS if
    None, drawn with `seed`). HPO's validation is one too (hpo_validation.validation_split)."""
    most = MOST_USERS if most is None else most
    eligible = np.flatnonzero(train.user_counts() >= 2)
    count = int(np.clip(MOST_CELLS // max(train.n_items, 1), min(LEAST_USERS, most), most))
    users = np.random.default_rng(seed).choice(eligible, size=min(eligible.size, count), replace=False)
    fit_part, tests = train.hold_out_newest(users)
    return fit_part, HoldOut(tests, train.n_items)


def choice_split(train: Interactions) -> tuple[Interactions, list[TestUser]]:
    """(train without them, the users held out whole on whose newest events the GRU's item term and the
    popular-now term are chosen: events the model never trained on; each target's own time and gap matter there,
    which one newest event per user would not vary)."""
    return train.split(seed=SEED, test_fraction=CHOICE_USERS)
