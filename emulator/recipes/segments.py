"""aws-item-affinity and aws-item-attribute-affinity: user segments, the users most likely to interact with an
item or with the items that have an attribute. spec: recipes-and-models.md §5.10, §5.11

The model is the session GRU of aws-user-personalization, trained on each user's oldest 80 %; a user's
affinity for item j is P(j | u), the softmax over the catalogue from the user's final state, and for a set of
items (an attribute query) the sum over the set. The newest 20 % measure the segments."""

from collections.abc import Callable, Sequence

import numpy as np

from emulator.recipes import hrnn, metrics
from emulator.recipes.base import no_log
from emulator.recipes.data import CATEGORICAL, NUMERICAL, Interactions, Metadata
from emulator.recipes.hrnn import SessionGRU

TEST_SHARE = 0.2           # spec §3.1: 80 % of each user's interactions train, 20 % test
USER_BLOCK = 2048          # users per block when normalising the softmax
BLOCK_CELLS = 1 << 22      # (users x items) logits per block when summing affinities
COLUMN = "item_column"     # state keys f"{COLUMN}_{kind}_{name}": an Items column as strings, for queries


class ItemAffinity(SessionGRU):
    recipe = "aws-item-affinity"
    DEFAULTS = hrnn.DEFAULTS   # hidden_dimension is the recipe's one hyperparameter; the rest are the GRU's
    item_term = False          # affinities are the GRU's softmax over the user's state

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        self.fit_metrics: dict[str, float] = {}
        older, newer = train.split_each_user(TEST_SHARE)
        super().fit(older, log)
        self._remember_items(train)
        self.build_user_states(older)
        queries, audiences = self._test_queries(newer)
        self.fit_metrics = metrics.segment_metrics(self.affinity, queries, audiences,
                                                   np.flatnonzero(older.user_counts() > 0))
        log(f"segments of {len(queries)} held-out queries: {self.fit_metrics}")

    def build_user_states(self, full: Interactions) -> None:
        super().build_user_states(full)
        self.state["segment_users"] = full.user_counts() > 0
        self.prepare()

    def prepare(self) -> None:
        """The users' output queries and softmax normalisers, so that one segment costs one (users, items) product."""
        states = self.state.get("user_states")
        if states is None:
            return
        queries = states @ self.state["out_weight"].T + self.state["out_bias"]
        normaliser = np.empty(len(queries))
        for start in range(0, len(queries), USER_BLOCK):
            logits = queries[start:start + USER_BLOCK] @ self.state["item_embeddings"].T + self.state["item_bias"]
            peak = logits.max(axis=1)
            normaliser[start:start + USER_BLOCK] = peak + np.log(np.exp(logits - peak[:, None]).sum(axis=1))
        self._user_queries, self._normaliser = queries, normaliser

    def affinity(self, item_indices: np.ndarray) -> np.ndarray:
        """(n_users,) the probability mass each user's next interaction puts on these items."""
        items, total = self._valid(item_indices), np.zeros(len(self._normaliser))
        step = max(1, BLOCK_CELLS // max(len(total), 1))
        for start in range(0, items.size, step):   # in blocks of items: an attribute may match thousands
            chosen = items[start:start + step]
            logits = self._user_queries @ self.state["item_embeddings"][chosen].T + self.state["item_bias"][chosen]
            total += np.exp(logits - self._normaliser[:, None]).sum(axis=1)
        return total

    def users_for_items(self, item_indices: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(user indices, affinities): the n users with the highest affinity for the items together, best first;
        only users with interactions; empty when no index is a catalogue item."""
        if not self._valid(item_indices).size:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        scores = np.where(self.state["segment_users"], self.affinity(item_indices), -np.inf)
        best = metrics.top_k(scores, n)
        best = best[np.isfinite(scores[best])]
        return best, scores[best]

    def _valid(self, item_indices: np.ndarray) -> np.ndarray:
        items = np.unique(np.asarray(item_indices, dtype=np.int64).reshape(-1))
        return items[(items >= 0) & (items < len(self.state["item_bias"]))]

    def _remember_items(self, data: Interactions) -> None:
        """What serving needs of the Items dataset (nothing here; attribute queries need its columns)."""

    def _test_queries(self, newer: Interactions) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Each item with held-out interactions, and the users who had them."""
        order = np.lexsort((newer.user_index, newer.item_index))
        items, starts = np.unique(newer.item_index[order], return_index=True)
        users = np.split(newer.user_index[order], starts[1:]) if order.size else []
        return [np.array([item]) for item in items.tolist()], [np.unique(group) for group in users]


class ItemAttributeAffinity(ItemAffinity):
    recipe = "aws-item-attribute-affinity"

    def prepare(self) -> None:
        super().prepare()
        columns, kinds = {}, {}
        for key, values in self.state.items():
            if key.startswith(COLUMN + "_"):
                kind, name = key[len(COLUMN) + 1:].split("_", 1)
                columns[name], kinds[name] = values.tolist(), kind
        self._items = Metadata(self.state["item_ids"], columns, kinds) if columns else None

    def items_matching(self, conditions: Sequence[tuple[str, str]]) -> np.ndarray:
        """Item indices whose Items record has every (column, value) of the query (ITEMS.column = "value" AND
        ...). Raises ValueError for a column that is not a categorical or numerical Items column."""
        if self._items is None:
            raise ValueError("The model was trained without an Items dataset; it cannot match item attributes.")
        return np.flatnonzero(self._items.matching(conditions))

    def users_for_attributes(self, conditions: Sequence[tuple[str, str]], n: int) -> tuple[np.ndarray, np.ndarray]:
        """(user indices, affinities): the n users most likely to interact with the items the query matches."""
        return self.users_for_items(self.items_matching(conditions), n)

    def _remember_items(self, data: Interactions) -> None:
        if data.items is not None:
            for name, kind in data.items.kinds.items():
                if kind in (CATEGORICAL, NUMERICAL):
                    cells = ["" if value is None else str(value) for value in data.items.columns[name]]
                    self.state[f"{COLUMN}_{kind}_{name}"] = np.asarray(cells, dtype=str)
        self.prepare()

    def _test_queries(self, newer: Interactions) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """spec §5.11: each categorical value with held-out interactions is one query; without categorical
        columns, the items themselves."""
        queries, audiences = [], []
        for name, kind in (self._items.kinds.items() if self._items is not None else ()):
            if kind != CATEGORICAL:
                continue
            for value in self._items.distinct_values(name):
                items = self.items_matching([(name, value)])
                audience = np.unique(newer.user_index[np.isin(newer.item_index, items)])
                if audience.size:
                    queries.append(items)
                    audiences.append(audience)
        return (queries, audiences) if queries else super()._test_queries(newer)
