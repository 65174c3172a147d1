"""Interactions of one dataset group as arrays with id maps, the Items records aligned to them, and the
held-out splits of the metrics."""

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class TestUser:
    __test__ = False       # not a pytest test class, despite the name
    user: int
    history: np.ndarray    # item indices, time ordered
    relevant: np.ndarray   # distinct item indices of the newest interactions


HeldOutUser = TestUser     # the earlier name, still used by some tests

CATEGORICAL, NUMERICAL, TEXTUAL = "categorical", "numerical", "textual"
VOCABULARY = 1000          # values (words for text) kept per column; the rest share one bucket. spec §2.2


@dataclass
class Metadata:
    """Records of an Items (or Users) dataset. ids (n,): the record ids, one row each; columns: name -> the n
    raw values (None where missing); kinds: name -> CATEGORICAL (a cell may hold values separated by |),
    NUMERICAL or TEXTUAL. Inside Interactions, rows are aligned to the item indices."""
    ids: np.ndarray
    columns: dict[str, list]
    kinds: dict[str, str]

    @classmethod
    def from_records(cls, records: Mapping[str, Mapping[str, object]], kinds: Mapping[str, str]) -> "Metadata":
        """records: id -> {column: value}; only the columns named in `kinds` are kept."""
        ids = list(records)
        return cls(np.asarray(ids, dtype=str), {name: [records[key].get(name) for key in ids] for name in kinds},
                   dict(kinds))

    def aligned(self, ids: Sequence[str]) -> "Metadata":
        """The same columns with one row per id of `ids`, in that order; None where an id has no record."""
        row = {key: position for position, key in enumerate(self.ids.tolist())}
        positions = [row.get(key) for key in _as_list(ids)]
        columns = {name: [None if at is None else values[at] for at in positions]
                   for name, values in self.columns.items()}
        return Metadata(np.asarray(_as_list(ids), dtype=str), columns, dict(self.kinds))

    @property
    def present(self) -> np.ndarray:
        """(n,) bool: rows with at least one value."""
        found = np.zeros(len(self.ids), dtype=bool)
        for values in self.columns.values():
            found |= np.fromiter((value is not None and value != "" for value in values), bool, len(values))
        return found

    def encode(self, encoding: "Encoding | None" = None) -> np.ndarray:
        """(n, features) float32. Categorical: one-hot over the column's most frequent values plus an
        out-of-vocabulary bucket, a multi-valued cell the mean of its values' one-hots. Numerical:
        sign(x)·log1p(|x|) standardised, missing 0 plus a missing flag. Textual: TF-IDF over the most frequent
        words, L2-normalised. spec: recipes-and-models.md §2.2. `encoding`: the vocabularies and statistics
        of an earlier encode (Encoding.learn), so that new records land in the same columns."""
        encoding = encoding or Encoding.learn(self)
        encoders = {CATEGORICAL: _one_hot, NUMERICAL: _numeric, TEXTUAL: _tf_idf}
        blocks = [encoders[self.kinds[name]](values, encoding.columns[name]) for name, values in self.columns.items()
                  if name in encoding.columns]
        return np.hstack(blocks).astype(np.float32) if blocks else np.zeros((len(self.ids), 0), np.float32)

    def distinct_values(self, name: str) -> list[str]:
        """The values of a categorical column, each once whatever its case, sorted."""
        found = {value.lower(): value for cell in self.columns[name] for value in _cell_values(cell)}
        return [found[key] for key in sorted(found)]

    def matching(self, conditions: Sequence[tuple[str, str]]) -> np.ndarray:
        """(n,) bool: the rows whose column equals the value for every (column, value) pair (AND); a
        categorical cell matches any of its values. Names and values compare case-insensitively; numbers as
        numbers. Raises ValueError for a column that is not a categorical or numerical one."""
        by_name = {name.upper(): name for name, kind in self.kinds.items() if kind != TEXTUAL}
        found = np.ones(len(self.ids), dtype=bool)
        for column, wanted in conditions:
            name = by_name.get(column.upper())
            if name is None:
                raise ValueError(f"{column} is not a categorical or numerical column of the Items dataset.")
            match = _number_equals if self.kinds[name] == NUMERICAL else _value_in
            found &= np.fromiter((match(cell, wanted) for cell in self.columns[name]), bool, len(self.ids))
        return found


class Interactions:
    """Time-ordered interactions of one dataset group, with the id maps. Rows sorted by (timestamp, input order).
    user_ids (n_users,), item_ids (n_items,): index -> external id; user_index, item_index, timestamp (n,)."""

    def __init__(self, user_ids: np.ndarray, item_ids: np.ndarray, user_index: np.ndarray,
                 item_index: np.ndarray, timestamp: np.ndarray, items: Metadata | None = None,
                 event_types: np.ndarray | None = None, users: Metadata | None = None) -> None:
        self.user_ids, self.item_ids = user_ids, item_ids
        self.user_index, self.item_index, self.timestamp = user_index, item_index, timestamp
        self.items = items   # the Items records, one row per item index; None without an Items dataset
        self.users = users   # the Users records, one row per user index; None without a Users dataset
        self.event_types = event_types   # (n,) each row's event type, for models that tell them apart

    @classmethod
    def from_columns(cls, user_id: Sequence[str], item_id: Sequence[str], timestamp: Sequence[int],
                     extra_items: Sequence[str] = (), items: Metadata | None = None,
                     event_types: Sequence[str | None] | None = None,
                     users: Metadata | None = None) -> "Interactions":
        """extra_items: catalogue items without interactions; they get indices too, as do the ids of `items`
        (the Items dataset), which is realigned to the item indices, and of `users` (the Users dataset)."""
        stamps = np.asarray(timestamp, dtype=np.int64).reshape(-1)
        order = np.argsort(stamps, kind="stable")   # stable: equal timestamps keep the input order
        user_ids, user_index = _encode([*_as_list(user_id), *(_as_list(users.ids) if users is not None else [])])
        catalogue = [*_as_list(extra_items), *(_as_list(items.ids) if items is not None else [])]
        item_ids, item_index = _encode([*_as_list(item_id), *catalogue])
        return cls(user_ids, item_ids, user_index[:stamps.size][order].astype(np.int32),
                   item_index[:stamps.size][order].astype(np.int32), stamps[order],
                   items.aligned(item_ids) if items is not None else None,
                   np.asarray(event_types, dtype=object)[order] if event_types is not None else None,
                   users.aligned(user_ids) if users is not None else None)

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
                            self.timestamp[keep], self.items,
                            self.event_types[keep] if self.event_types is not None else None, self.users)

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

    def hold_out_newest(self, users: np.ndarray, count: int = 1) -> tuple["Interactions", list[TestUser]]:
        """A temporal hold-out: (the rows without the newest `count` interactions of each of `users`, a TestUser for
        each of them: those items relevant, the older rest its history, which stays in the rows). Unlike split, the
        model has seen each test user's past, as it has when it serves a known user. The users need more than
        `count` interactions."""
        theirs = np.isin(self.user_index, users)
        rows = np.flatnonzero(theirs)
        found, per_user = self.subset(theirs).user_rows()   # rows numbered within `rows`
        held = np.zeros(self.n_interactions, dtype=bool)
        tests = []
        for user, own in zip(found.tolist(), per_user):
            items = self.item_index[rows[own]]
            tests.append(TestUser(user, items[:-count], np.unique(items[-count:])))
            held[rows[own[-count:]]] = True
        return self.subset(~held), tests

    def split_each_user(self, test_fraction: float) -> tuple["Interactions", "Interactions"]:
        """(older, newer): every user with at least two interactions gives their newest
        max(1, round(test_fraction * n)) to `newer`. spec: recipes-and-models.md §3.1, USER_SEGMENTATION"""
        order = np.argsort(self.user_index, kind="stable")   # by user, time order kept within each
        users = self.user_index[order]
        position = np.arange(order.size) - np.searchsorted(users, users)
        counts = self.user_counts()[users]
        newest = np.where(counts >= 2, np.maximum(1, np.floor(test_fraction * counts + 0.5)), 0)
        is_newer = np.zeros(order.size, dtype=bool)
        is_newer[order] = position >= counts - newest
        return self.subset(~is_newer), self.subset(is_newer)


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


def _cell_values(cell) -> list[str]:
    return [value.strip() for value in str(cell).split("|") if value.strip()] if cell is not None else []


def _value_in(cell, wanted: str) -> bool:
    return wanted.strip().lower() in (value.lower() for value in _cell_values(cell))


def _number_equals(cell, wanted: str) -> bool:
    try:
        return cell is not None and cell != "" and float(cell) == float(wanted)
    except ValueError:
        return False


@dataclass
class Encoding:
    """What encoding a Metadata learns from its records, per column: the vocabulary (categorical, textual) with
    the inverse document frequencies (textual), or the mean and spread (numerical); and each column's kind.
    Saved with a model (as JSON), to encode records that arrive after training the same way."""
    columns: dict[str, dict]
    kinds: dict[str, str]

    @classmethod
    def learn(cls, metadata: Metadata) -> "Encoding":
        learners = {CATEGORICAL: _learn_vocabulary, NUMERICAL: _learn_spread, TEXTUAL: _learn_idf}
        return cls({name: learners[metadata.kinds[name]](values) for name, values in metadata.columns.items()},
                   dict(metadata.kinds))

    def to_json(self) -> str:
        return json.dumps({"columns": self.columns, "kinds": self.kinds})

    @classmethod
    def from_json(cls, text: str) -> "Encoding":
        found = json.loads(text)
        return cls(found["columns"], found["kinds"])

    def record(self, fields: Mapping[str, object]) -> np.ndarray:
        """(features,) one record's encoding; fields are matched to columns case-insensitively."""
        given = {str(name).upper(): value for name, value in fields.items()}
        single = Metadata(np.array(["record"]), {name: [given.get(name.upper())] for name in self.columns},
                          {name: self.kinds[name] for name in self.columns})
        return single.encode(self)[0]


def words(text) -> list[str]:
    """The lower-cased words of a text (none for a missing one)."""
    return re.findall(r"[a-z0-9]+", str(text).lower()) if text is not None else []


def _vocabulary(documents: list[list[str]]) -> list[str]:
    """The VOCABULARY most frequent terms, by the number of documents holding them."""
    frequency = Counter(term for document in documents for term in set(document))
    return sorted(frequency, key=lambda term: (-frequency[term], term))[:VOCABULARY]


def _learn_vocabulary(values: list) -> dict:
    return {"vocabulary": _vocabulary([_cell_values(cell) for cell in values])}


def _learn_spread(values: list) -> dict:
    missing, numbers = _signed_log(values)
    known = numbers[~missing]
    return {"mean": float(known.mean()) if known.size else 0.0, "spread": float(known.std()) if known.size else 0.0}


def _learn_idf(values: list) -> dict:
    documents = [words(text) for text in values]
    vocabulary = _vocabulary(documents)
    holding = Counter(term for document in documents for term in set(document))
    return {"vocabulary": vocabulary,
            "idf": [math.log((1.0 + len(values)) / (1.0 + holding[term])) for term in vocabulary]}


def _one_hot(values: list, learned: dict) -> np.ndarray:
    vocabulary = {term: column for column, term in enumerate(learned["vocabulary"])}
    encoded = np.zeros((len(values), len(vocabulary) + 1), dtype=np.float32)   # last column: out of vocabulary
    for row, document in enumerate(_cell_values(cell) for cell in values):
        for value in document:
            encoded[row, vocabulary.get(value, len(vocabulary))] += 1.0 / len(document)
    return encoded


def _missing(values: list) -> np.ndarray:
    return np.array([value is None or value == "" for value in values], dtype=bool)


def _signed_log(values: list) -> tuple[np.ndarray, np.ndarray]:
    missing = _missing(values)
    numbers = np.array([0.0 if gone else float(value) for value, gone in zip(values, missing)])
    return missing, np.sign(numbers) * np.log1p(np.abs(numbers))


def _numeric(values: list, learned: dict) -> np.ndarray:
    missing, numbers = _signed_log(values)
    spread = learned["spread"] if learned["spread"] > 0 else 1.0
    standard = np.where(missing, 0.0, (numbers - learned["mean"]) / spread)
    return np.stack([standard, missing.astype(np.float64)], axis=1).astype(np.float32)


def _tf_idf(values: list, learned: dict) -> np.ndarray:
    vocabulary = {term: column for column, term in enumerate(learned["vocabulary"])}
    counts = np.zeros((len(values), len(vocabulary)), dtype=np.float32)
    for row, document in enumerate(words(text) for text in values):
        for word in document:
            if word in vocabulary:
                counts[row, vocabulary[word]] += 1.0
    weighted = counts * np.asarray(learned["idf"], dtype=np.float32)[None, :]
    return weighted / np.maximum(np.linalg.norm(weighted, axis=1, keepdims=True), 1e-12)
