"""aws-popularity-count: the items with the most distinct users. spec: recipes-and-models.md §5.5"""

from collections.abc import Callable

import numpy as np

from emulator.recipes.base import Recommender
from emulator.recipes.data import Interactions

EMPTY = np.zeros(0, dtype=np.float32)


class Popularity(Recommender):
    recipe = "aws-popularity-count"
    returns_scores = False   # spec: personalize-behavior.md §8.1: no score for popularity

    def fit(self, train: Interactions, log: Callable[[str], None] = lambda message: None) -> None:
        pairs = np.unique(np.stack([train.item_index, train.user_index]), axis=1)
        distinct_users = np.bincount(pairs[0], minlength=train.n_items).astype(np.float64)
        total = np.bincount(train.item_index, minlength=train.n_items).astype(np.float64)
        # ties on distinct users are broken by total interactions, then (in top_k) by item index
        self.state["item_scores"] = distinct_users * (total.max(initial=0) + 1) + total
        self._remember_ids(train)
        log(f"counted {int(distinct_users.sum())} user-item pairs over {train.n_items} items")

    def initial_state(self, user: int | None) -> np.ndarray:
        return EMPTY

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return state   # streamed events change nothing until the next training

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.state["item_scores"]
