"""The item-to-item term of aws-user-personalization's scores: each item's NEIGHBOURS strongest neighbours, fitted
in closed form at training, EASE (Steck 2019) on small catalogues, a gap-weighted co-occurrence of nearby events
(successors) on large ones; at serving, a user's last RECENT items vote for their neighbours, the newest weighing
most, and TemporalValidation chooses the votes' weight and decay. The GRU alone ranked a user's newest item on
ML-100K no better than EASE on whole histories, and worse than EASE on recency-weighted ones: its state blurs the
last few items, which this term keeps sharp."""

import math
from collections.abc import Sequence

import numpy as np
from scipy import linalg
from scipy.sparse import coo_matrix, csr_matrix

from emulator.recipes import metrics
from emulator.recipes.data import Interactions

NEIGHBOURS = 100        # kept per item: on ML-100K within 0.001 of NDCG@10 with all 1,682 of EASE's weights
RECENT = 32             # a user's newest items that vote (0.9^32 = 3 %)
EASE_ITEMS = 4096       # up to this many items, EASE (a dense inverse: 0.15 s at 1,682 items, one thread) ...
EASE_L2 = 3.0           # ... with λ this multiple of the mean item count (about 100 on ML-100K) ...
WINDOW = 8              # ... above it, co-occurrence of each event with the WINDOW events after it, a gap of g
GAP_DECAY = 0.8         # weighing GAP_DECAY^(g-1), over the users' last HISTORY events (long histories cost
HISTORY = 200           # quadratically in EASE's gram, linearly here)


def fit(data: Interactions) -> tuple[np.ndarray, np.ndarray]:
    """(n_items, NEIGHBOURS) neighbour item indices (-1: none) and their weights (0 for none), best first."""
    if data.n_items == 0 or data.n_interactions == 0:
        return (np.full((data.n_items, 0), -1, dtype=np.int32), np.zeros((data.n_items, 0), dtype=np.float32))
    weights = _ease(data) if data.n_items <= EASE_ITEMS else _successors(data)
    return _strongest(weights, min(NEIGHBOURS, max(data.n_items - 1, 1)))


def _ease(data: Interactions) -> np.ndarray:
    """EASE's item-item matrix B = I - P / diag(P), P = (XᵀX + λI)⁻¹, zero diagonal, on the binary matrix."""
    binary = csr_matrix((np.ones(data.n_interactions), (data.user_index, data.item_index)),
                        shape=(data.n_users, data.n_items))
    binary.data[:] = 1.0
    gram = (binary.T @ binary).toarray().astype(np.float32)   # float32: twice as fast, the same neighbours
    gram[np.diag_indices_from(gram)] += EASE_L2 * max(float(np.diag(gram).mean()), 1.0)
    inverse = linalg.inv(gram, overwrite_a=True, check_finite=False)
    weights = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights


def _successors(data: Interactions) -> csr_matrix:
    """How often item j follows item i within WINDOW events of a user's last HISTORY, weighed by the gap,
    divided by sqrt(count_i count_j) (a cosine)."""
    order = np.argsort(data.user_index, kind="stable")
    users, items = data.user_index[order], data.item_index[order]
    from_end = np.searchsorted(users, users, side="right") - 1 - np.arange(users.size)
    users, items = users[from_end < HISTORY], items[from_end < HISTORY]
    rows, columns, values = [], [], []
    for gap in range(1, WINDOW + 1):
        same = users[gap:] == users[:-gap]
        rows.append(items[:-gap][same])
        columns.append(items[gap:][same])
        values.append(np.full(int(same.sum()), GAP_DECAY ** (gap - 1), dtype=np.float32))
    counts = np.sqrt(np.bincount(items, minlength=data.n_items).astype(np.float32))
    pairs = coo_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
                       shape=(data.n_items, data.n_items)).tocsr()
    pairs.setdiag(0.0)
    pairs.eliminate_zeros()
    pairs.data /= np.maximum(counts[np.repeat(np.arange(data.n_items), np.diff(pairs.indptr))]
                             * counts[pairs.indices], 1e-12)
    return pairs


def _strongest(weights: np.ndarray | csr_matrix, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's `keep` largest positive entries, best first."""
    n = weights.shape[0]
    neighbours, values = np.full((n, keep), -1, dtype=np.int32), np.zeros((n, keep), dtype=np.float32)
    if isinstance(weights, csr_matrix):
        row = np.repeat(np.arange(n), np.diff(weights.indptr))
        order = np.lexsort((-weights.data, row))
        row, column, value = row[order], weights.indices[order], weights.data[order]
        rank = np.arange(row.size) - np.searchsorted(row, row)
        kept = (rank < keep) & (value > 0)
        neighbours[row[kept], rank[kept]], values[row[kept], rank[kept]] = column[kept], value[kept]
        return neighbours, values
    best = np.argpartition(-weights, keep - 1, axis=1)[:, :keep] if keep < weights.shape[1] else \
        np.tile(np.arange(weights.shape[1]), (n, 1))
    taken = np.take_along_axis(weights, best, axis=1)
    order = np.argsort(-taken, axis=1, kind="stable")
    best, taken = np.take_along_axis(best, order, axis=1), np.take_along_axis(taken, order, axis=1)
    positive = taken > 0
    neighbours[positive], values[positive] = best[positive], taken[positive]
    return neighbours, values


def votes(neighbours: np.ndarray, values: np.ndarray, recent: np.ndarray, decays: np.ndarray) -> np.ndarray:
    """(rows, n_items) float64: each row's recent items (rows, slots) as item index + 1 (0: empty slot, newest
    last), each voting for its neighbours with its slot's weight decays (slots,)."""
    n_items = len(neighbours)
    recent = recent.astype(np.int64)
    rows, slots = recent.shape
    found = np.zeros((rows, n_items + 1))
    if rows == 0 or slots == 0 or neighbours.shape[1] == 0:
        return found[:, :n_items]
    known = recent > 0
    chosen = np.where(known, recent - 1, 0)
    targets = neighbours[chosen]                                    # (rows, slots, kept)
    weight = values[chosen] * (decays[None, :] * known)[:, :, None]
    targets = np.where(targets < 0, n_items, targets) + (n_items + 1) * np.arange(rows)[:, None, None]
    found = np.bincount(targets.ravel(), weight.ravel(), minlength=rows * (n_items + 1))
    return found.reshape(rows, n_items + 1)[:, :n_items]


def recent_slots(histories: Sequence[np.ndarray], slots: int = RECENT) -> np.ndarray:
    """(len(histories), slots) float32: each history's last `slots` items as index + 1, right-aligned, 0 before
    (what votes() reads)."""
    recent = np.zeros((len(histories), slots), dtype=np.float32)
    for row, history in enumerate(histories):
        last = history[max(len(history) - slots, 0):] if slots else history[:0]
        recent[row, slots - len(last):] = last + 1
    return recent


def slot_decays(decay: float, slots: int = RECENT) -> np.ndarray:
    """(slots,) the weight of each slot, oldest first: decay^(slots - 1 - slot)."""
    return (decay ** np.arange(slots - 1, -1, -1)).astype(np.float32)


def grow(neighbours: np.ndarray, values: np.ndarray, old: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The table over a grown catalogue: old[j] is new item j's index in the old one (-1: a new item, which gets
    no neighbours); the neighbours keep their weights under their new indices."""
    new_of_old = np.full(len(neighbours) + 1, -1, dtype=np.int32)   # the extra entry maps -1 to -1
    new_of_old[old[old >= 0]] = np.flatnonzero(old >= 0)
    grown = np.full((len(old), neighbours.shape[1]), -1, dtype=np.int32)
    weights = np.zeros((len(old), neighbours.shape[1]), dtype=np.float32)
    grown[old >= 0] = new_of_old[neighbours[old[old >= 0]]]
    weights[old >= 0] = values[old[old >= 0]]
    weights[grown < 0] = 0.0
    return grown, weights


TARGET_SHARE = 0.3          # the temporal validation: each validation user's newest 30 % of events, ...
VALIDATION_TARGETS = 1500   # ... at most this many of them, and at most VALIDATION_CELLS / items (each weight and
VALIDATION_CELLS = 4_000_000   # decay ranks the catalogue for every target: 4.5 s for 1,500 targets x 10,000 items)
WEIGHTS = (0.0, *(2.0 ** np.arange(10)))   # ... the item term weighed by each of these against the GRU's logits ...
DECAYS = (0.8, 0.9, 0.95)   # ... and decays over the recent items (0.7, chosen by chance on 500 events, cost 0.01)


class TemporalValidation:
    """Next-item NDCG@10 on the validation users' newest events, each predicted from the events before it (at most
    `window`, what a served state is built from) with those items left out of the ranking, of the GRU's logits
    plus the item term at its best weight: what chooses the term's weight and decay."""

    def __init__(self, table: tuple[np.ndarray, np.ndarray], sequences: list[np.ndarray], window: int,
                 rng: np.random.Generator) -> None:
        self.neighbours, self.values = table
        found = []   # (sequence number, end): predict sequence[end] from what precedes it
        for number, items in enumerate(sequences):
            for end in range(max(len(items) - math.ceil(TARGET_SHARE * len(items)), 1), len(items)):
                if items[end] not in items[max(end - window, 0):end]:
                    found.append((number, end))
        most = min(VALIDATION_TARGETS, max(VALIDATION_CELLS // max(len(self.neighbours), 1), 1))
        if len(found) > most:
            found = [found[i] for i in np.sort(rng.choice(len(found), most, replace=False))]
        self.sequence, self.end = (np.array(column, dtype=np.int64).reshape(-1) for column in zip(*found)) \
            if found else (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        n_items = len(self.neighbours)
        self.targets = np.array([sequences[s][e] for s, e in found], dtype=np.int64)
        prefixes = [sequences[s][max(e - window, 0):e] for s, e in found]
        self.recent = recent_slots(prefixes)
        self.seen = np.zeros((len(found), n_items), dtype=bool)
        for row, prefix in enumerate(prefixes):
            self.seen[row, prefix] = True

    def __len__(self) -> int:
        return len(self.targets)

    def best(self, logits: np.ndarray, decays: tuple[float, ...] = DECAYS) -> tuple[float, float, float]:
        """(NDCG@10, weight, decay) at the best weight and decay, given the GRU's (targets, n_items) logits."""
        best = (-1.0, 0.0, decays[0])
        logits = np.where(self.seen, -np.inf, logits).astype(np.float32)
        for decay in decays:
            term = votes(self.neighbours, self.values, self.recent, slot_decays(decay)).astype(np.float32)
            for weight in WEIGHTS:
                scores = logits + np.float32(weight) * term
                quality = float(metrics.target_ndcg(scores, self.targets).mean())
                if quality > best[0] + 1e-9:
                    best = (quality, weight, decay)
        return best
