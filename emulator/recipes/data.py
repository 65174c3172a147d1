"""Interactions of one dataset group as arrays with id maps, and the held-out split of the metrics."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class TestUser:
    __test__ = False       # not a pytest test class, despite the name
    user: int
    history: np.ndarray    # item indices, time ordered
    relevant: np.ndarray   # distinct item indices of the newest interactions


HeldOutUser = TestUser     # the earlier name, still used by some tests


class Interactions:
    """Time-ordered interactions of one dataset group, with the id maps. Rows sorted by (timestamp, input order).
    user_ids (n_users,), item_ids (n_items,): index -> external id; user_index, item_index, timestamp (n,)."""

    def __init__(self, user_ids: np.ndarray, item_ids: np.ndarray, user_index: np.ndarray,
                 item_index: np.ndarray, timestamp: np.ndarray) -> None:
        self.user_ids, self.item_ids = user_ids, item_ids
        self.user_index, self.item_index, self.timestamp = user_index, item_index, timestamp

    @classmethod
    def from_columns(cls, user_id: Sequence[str], item_id: Sequence[str], timestamp: Sequence[int],
                     extra_items: Sequence[str] = ()) -> "Interactions":
        """extra_items: catalogue items without interactions (an Items dataset); they get indices too."""
        stamps = np.asarray(timestamp, dtype=np.int64).reshape(-1)
        order = np.argsort(stamps, kind="stable")   # stable: equal timestamps keep the input order
        user_ids, user_index = _encode(user_id)
        item_ids, item_index = _encode([*_as_list(item_id), *_as_list(extra_items)])
        return cls(user_ids, item_ids, user_index[order].astype(np.int32),
                   item_index[:stamps.size][order].astype(np.int32), stamps[order])

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_interactions(self) -> int:
        return len(self.item_index)

    def user_counts(self) -> np.ndarray:
        """(n_users,) interactions per user index."""
        return np.bincount(self.user_index, minlength=self.n_users)

    def users_with_at_least(self, k: int) -> int:
        return int((self.user_counts() >= k).sum())

    def user_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(users, rows): the users that have interactions, and for each the row numbers of its
        interactions in time order."""
        order = np.argsort(self.user_index, kind="stable")   # stable: keeps time order within a user
        users, starts = np.unique(self.user_index[order], return_index=True)
        return users, np.split(order, starts[1:]) if order.size else []

    def sequences(self) -> dict[int, np.ndarray]:
        """Each user's items in time order, for the users that have interactions."""
        users, rows = self.user_rows()
        return {user: self.item_index[row] for user, row in zip(users.tolist(), rows)}

    def subset(self, keep: np.ndarray) -> "Interactions":
        """The rows where `keep` is true, with the same id maps."""
        return Interactions(self.user_ids, self.item_ids, self.user_index[keep], self.item_index[keep],
                            self.timestamp[keep])

    def with_history_lengths_within(self, low_percentile: float, high_percentile: float) -> "Interactions":
        """spec: recipes-and-models.md §2.1: without the users whose interaction count lies below or above
        those quantiles of the per-user counts."""
        counts = self.user_counts()
        present = counts[counts > 0]
        if present.size == 0:
            return self
        low, high = np.quantile(present, [low_percentile, high_percentile])
        per_row = counts[self.user_index]
        return self.subset((per_row >= low) & (per_row <= high))

    def split(self, seed: int, test_fraction: float = 0.1) -> tuple["Interactions", list[TestUser]]:
        """spec: recipes-and-models.md §3.1: test users drawn uniformly among users with >= 2 interactions;
        each one's newest ceil(10 %) interactions are relevant, the rest is the history fed to the model.
        The training part keeps only the other users' rows, with the same id maps."""
        eligible = np.flatnonzero(self.user_counts() >= 2)
        if eligible.size == 0:
            return self, []
        n_test = min(eligible.size, max(1, math.floor(test_fraction * eligible.size + 0.5)))
        chosen = np.sort(np.random.default_rng(seed).choice(eligible, size=n_test, replace=False))
        held_out = np.isin(self.user_index, chosen)
        sequences = self.subset(held_out).sequences()
        tests = []
        for user in chosen.tolist():
            items = sequences[user]
            newest = max(1, math.ceil(0.1 * len(items)))
            tests.append(TestUser(user, items[:-newest], np.unique(items[-newest:])))
        return self.subset(~held_out), tests


def _as_list(values: Sequence) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


def _encode(values: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values as sorted str, index of each value): np.unique(return_inverse=True) on strings,
    but a dict pass first, which is several times faster than sorting a million strings."""
    values = _as_list(values)
    codes: dict[str, int] = {}
    first = np.fromiter((codes.setdefault(value, len(codes)) for value in map(str, values)), np.int64,
                        count=len(values))
    ids = np.array(list(codes), dtype=str)
    order = np.argsort(ids, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return ids[order], rank[first]
