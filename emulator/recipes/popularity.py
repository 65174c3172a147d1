"""aws-popularity-count: the items with the most distinct users. spec: recipes-and-models.md §5.5"""

from collections.abc import Callable

import numpy as np

from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions

DEFAULTS: dict[str, str] = {}   # the recipe has no hyperparameters
EMPTY = np.zeros(0, dtype=np.float32)


class Popularity(Recommender):
    recipe = "aws-popularity-count"
    returns_scores = False   # spec: personalize-behavior.md §8.1: no score for popularity
    DEFAULTS = DEFAULTS

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        pairs = np.unique(train.item_index.astype(np.int64) * max(train.n_users, 1) + train.user_index)
        distinct_users = np.bincount(pairs // max(train.n_users, 1), minlength=train.n_items).astype(np.float64)
        total = np.bincount(train.item_index, minlength=train.n_items).astype(np.float64)
        # the integer part is the number of distinct users; the fraction, below 1, breaks its ties by
        # total interactions (top_k then breaks the rest by item index)
        self.state["item_scores"] = distinct_users + total / (total.max(initial=0.0) + 1.0)
        self._remember_ids(train)
        log(f"counted {int(distinct_users.sum())} user-item pairs over {train.n_items} items")

    def initial_state(self, user: int | None) -> np.ndarray:
        return EMPTY

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return state   # streamed events change nothing until the next training

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.state["item_scores"].copy()   # callers may adjust their copy (exploration, filters)
