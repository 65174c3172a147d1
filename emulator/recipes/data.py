"""Interactions of one dataset group as arrays with id maps, and the held-out split of the metrics."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class HeldOutUser:
    user: int
    history: np.ndarray    # item indices, time ordered
    relevant: np.ndarray   # distinct item indices of the newest interactions


class Interactions:
    """Time-ordered interactions with the id maps. Rows are sorted by (timestamp, input order)."""

    def __init__(self, user_ids: np.ndarray, item_ids: np.ndarray, user_index: np.ndarray,
                 item_index: np.ndarray, timestamp: np.ndarray) -> None:
        self.user_ids, self.item_ids = user_ids, item_ids
        self.user_index, self.item_index, self.timestamp = user_index, item_index, timestamp

    @classmethod
    def from_columns(cls, user_id: Sequence[str], item_id: Sequence[str], timestamp: Sequence[int],
                     extra_items: Sequence[str] = ()) -> "Interactions":
        stamps = np.asarray(timestamp, dtype=np.int64)
        order = np.argsort(stamps, kind="stable")
        user_ids, user_index = np.unique(np.asarray(user_id, dtype=str), return_inverse=True)
        items = np.concatenate([np.asarray(item_id, dtype=str), np.asarray(extra_items, dtype=str)])
        item_ids, item_index = np.unique(items, return_inverse=True)
        item_index = item_index[:len(stamps)]
        return cls(user_ids, item_ids, user_index[order].astype(np.int32), item_index[order].astype(np.int32),
                   stamps[order])

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def n_interactions(self) -> int:
        return len(self.item_index)

    def users_with_at_least(self, k: int) -> int:
        return int((np.bincount(self.user_index, minlength=self.n_users) >= k).sum())

    def sequences(self) -> dict[int, np.ndarray]:
        """Each user's items in time order, for the users that have interactions."""
        order = np.argsort(self.user_index, kind="stable")   # stable: keeps time order within a user
        users, starts = np.unique(self.user_index[order], return_index=True)
        return dict(zip(users.tolist(), np.split(self.item_index[order], starts[1:])))

    def subset(self, keep: np.ndarray) -> "Interactions":
        """The rows where `keep` is true, with the same id maps."""
        return Interactions(self.user_ids, self.item_ids, self.user_index[keep], self.item_index[keep],
                            self.timestamp[keep])

    def split(self, seed: int, test_fraction: float = 0.1) -> tuple["Interactions", list[HeldOutUser]]:
        """spec: recipes-and-models.md §3.1: a share of the users with >= 2 interactions is held out; for
        each, the newest ceil(10 %) interactions are relevant, the rest is the history fed to the model."""
        counts = np.bincount(self.user_index, minlength=self.n_users)
        eligible = np.flatnonzero(counts >= 2)
        if eligible.size == 0:
            return self, []
        n_test = max(1, round(test_fraction * eligible.size))
        chosen = np.sort(np.random.default_rng(seed).choice(eligible, size=n_test, replace=False))
        held_out = np.isin(self.user_index, chosen)
        sequences = self.subset(held_out).sequences()
        tests = []
        for user in chosen.tolist():
            items = sequences[user]
            newest = max(1, math.ceil(0.1 * len(items)))
            tests.append(HeldOutUser(user, items[:-newest], np.unique(items[-newest:])))
        return self.subset(~held_out), tests
