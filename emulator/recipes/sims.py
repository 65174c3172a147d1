"""aws-sims: items that co-occur in users' histories, with a popularity discount.
spec: recipes-and-models.md §5.7. The query of a state is the last item it saw."""

from collections.abc import Callable

import numpy as np
from scipy.sparse import csr_matrix

from emulator.recipes.base import Recommender
from emulator.recipes.data import Interactions

NEIGHBOURS = 500           # kept per item
MAX_USER_ITEMS = 500       # a user's most recent distinct items that count (caps the quadratic cost)
BLOCK_CELLS = 2**25        # co-counts held at once (query items x catalogue), 128 MB of float32
NO_QUERY = np.full(1, -1, dtype=np.int64)


class Sims(Recommender):
    recipe = "aws-sims"
    returns_scores = False   # spec: personalize-behavior.md §8.1: no score for SIMS
    DEFAULTS = {"popularity_discount_factor": "0.5", "min_cointeraction_count": "3",
                "min_user_history_length_percentile": "0.005", "max_user_history_length_percentile": "0.995",
                "min_item_interaction_count_percentile": "0.01", "max_item_interaction_count_percentile": "0.9"}

    def fit(self, train: Interactions, log: Callable[[str], None] = lambda message: None) -> None:
        users, items = self._pairs(train)
        by_user = _binary(users, items, train.n_users, train.n_items)
        by_item = by_user.T.tocsr()
        # similarity of candidate j to query i: C_ij / n_j^beta, where the co-count C_ij reaches the minimum
        discount = np.maximum(np.bincount(items, minlength=train.n_items), 1.0) ** -self.hyperparameter(
            "popularity_discount_factor", float)
        least = max(self.hyperparameter("min_cointeraction_count", int), 1)
        keep = min(NEIGHBOURS, max(train.n_items - 1, 1))
        neighbours = np.zeros((train.n_items, keep), dtype=np.int32)
        similarity = np.zeros((train.n_items, keep), dtype=np.float32)
        rows = max(1, BLOCK_CELLS // max(train.n_items, 1))
        for start in range(0, train.n_items, rows):   # query items in blocks: memory stays rows x n_items
            block = (by_item[start:start + rows] @ by_user).toarray()
            block[block < least] = 0.0
            block *= discount
            block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
            neighbours[start:start + rows], similarity[start:start + rows] = _best(block, keep)
        self.state["neighbours"], self.state["similarity"] = neighbours, similarity
        all_reach = np.bincount(train.item_index, minlength=train.n_items).astype(np.float64)
        self.state["popularity"] = all_reach / max(all_reach.max(initial=0.0), 1.0)
        self._remember_ids(train)
        log(f"{int((similarity > 0).sum())} item pairs over {train.n_items} items")

    def initial_state(self, user: int | None) -> np.ndarray:
        return NO_QUERY

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return np.full(1, item, dtype=np.int64)

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """Neighbours of the query item first, by similarity; then the rest by popularity (the fallback
        for unknown or little-seen items); never the query itself."""
        scores = self.state["popularity"] - 2.0
        query = int(state[0])
        if query >= 0:
            found = self.state["similarity"][query] > 0
            scores = scores.copy()
            scores[self.state["neighbours"][query][found]] = 1.0 + self.state["similarity"][query][found]
            scores[query] = -np.inf
        return scores

    def _pairs(self, train: Interactions) -> tuple[np.ndarray, np.ndarray]:
        """Distinct (user, item) pairs after the featurization percentiles; each user's newest items."""
        users, items, recency = distinct_pairs(train)
        per_user = np.bincount(users, minlength=train.n_users)
        per_item = np.bincount(items, minlength=train.n_items)
        keep = _within(per_user[users], per_user[per_user > 0], self, "user_history_length")
        keep &= _within(per_item[items], per_item[per_item > 0], self, "item_interaction_count")
        return newest_per_user(users[keep], items[keep], recency[keep])


def distinct_pairs(train: Interactions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, recency) of the distinct user-item pairs; recency 0 for the newest row of the data."""
    order = np.arange(train.n_interactions)[::-1]   # newest first, so unique keeps the latest
    keys = train.user_index[order].astype(np.int64) * train.n_items + train.item_index[order]
    pairs, first = np.unique(keys, return_index=True)
    return pairs // train.n_items, pairs % train.n_items, first


def newest_per_user(users: np.ndarray, items: np.ndarray, recency: np.ndarray,
                    cap: int = MAX_USER_ITEMS) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of each user's `cap` newest distinct items (caps the quadratic cost of co-counting)."""
    rank = np.lexsort((recency, users))                   # per user, newest first
    position = np.arange(rank.size) - np.searchsorted(users[rank], users[rank])
    chosen = rank[position < cap]
    return users[chosen], items[chosen]


def _within(values: np.ndarray, population: np.ndarray, model: Sims, name: str) -> np.ndarray:
    low = np.quantile(population, model.hyperparameter(f"min_{name}_percentile", float)) if population.size else 0
    high = np.quantile(population, model.hyperparameter(f"max_{name}_percentile", float)) if population.size else 0
    return (values >= low) & (values <= high)


def cooccurrences(users: np.ndarray, items: np.ndarray, n_items: int) -> np.ndarray:
    """C = XᵀX (dense) for the binary user x item matrix X of the pairs."""
    n_users = int(users.max(initial=-1)) + 1
    matrix = _binary(users, items, n_users, n_items)
    return (matrix.T @ matrix).toarray()


def _binary(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> csr_matrix:
    """The sparse binary user x item matrix of distinct (user, item) pairs."""
    return csr_matrix((np.ones(users.size, dtype=np.float32), (users, items)), shape=(n_users, n_items))


def _best(block: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, keep) column indices of each row's largest values, best first (ties by index), and the values."""
    if keep < block.shape[1]:
        chosen = np.argpartition(-block, keep - 1, axis=1)[:, :keep]
    else:
        chosen = np.broadcast_to(np.arange(block.shape[1]), block.shape)[:, :keep]
    values = np.take_along_axis(block, chosen, axis=1)
    order = np.lexsort((chosen, -values), axis=1)
    return np.take_along_axis(chosen, order, axis=1), np.take_along_axis(values, order, axis=1)
