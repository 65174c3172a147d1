"""aws-similar-items: related items from co-occurrence in user histories blended with item metadata, so that
items with few or no interactions get neighbours and are neighbours. spec: recipes-and-models.md §5.8

Each item gets a unit vector [sqrt(0.8)·id part ; sqrt(0.2)·metadata part]; similarity is the cosine. The id
part (width item_id_hidden_dim) factorises the positive PMI of the aws-sims co-occurrence counts (what item2vec
learns, Levy & Goldberg 2014, in closed form). A ridge regression fitted on the warm items maps the encoded
Items columns onto the id space, so it learns which metadata predicts co-occurrence; the metadata part (width
at most item_metadata_hidden_dim) is that map's main directions. An item with fewer than WARM users has no id
part of its own: the map's prediction stands in for it (our variant of the spec's [0 ; M]), and as a
candidate it gives way a little to warm items. Without an Items dataset the id part is all (a smoothed SIMS)."""

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from emulator.recipes import sims
from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions

WARM = 5                   # distinct users an item needs for its id part (spec §5.8)
METADATA_SHARE = 0.2       # of an item's squared length in its metadata part
GUESS = 0.1                # cosine taken off a candidate whose id part is a metadata guess ...
GUESS_PAIR = 1.0           # ... and when the query's is a guess too
SMOOTHING = 0.75           # context distribution smoothing of the PMI
RIDGE = 0.1                # ridge strength, relative to the mean feature energy
POWER_ITERATIONS = 4       # of the randomized eigendecomposition
NO_QUERY = np.full(1, -1, dtype=np.int64)


class SimilarItems(Recommender):
    recipe = "aws-similar-items"
    returns_scores = False   # spec §5.8: served as SIMS is, without scores
    DEFAULTS: ClassVar[dict[str, str]] = {"item_id_hidden_dim": "100", "item_metadata_hidden_dim": "100"}

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        rng = np.random.default_rng(self.seed)
        users, items = sims.newest_per_user(*sims.distinct_pairs(train))
        reach = np.bincount(items, minlength=train.n_items)
        warm = reach >= WARM
        ids = _factorised(_positive_pmi(sims.cooccurrences(users, items, train.n_items)),
                          self.hyperparameter("item_id_hidden_dim", int), rng)
        ids[~warm] = 0.0
        ids = _unit_rows(ids)
        meta = np.zeros((train.n_items, 0), dtype=np.float32)
        if train.items is not None and train.items.columns:
            predicted, meta = _metadata_part(train.items.encode(), train.items.present, ids, warm,
                                             self.hyperparameter("item_metadata_hidden_dim", int))
            ids = np.where(warm[:, None], ids, _unit_rows(predicted))
        self.state["embeddings"] = _joined(ids, _unit_rows(meta))
        self.state["warm"] = warm
        counts = np.bincount(train.item_index, minlength=train.n_items).astype(np.float64)
        self.state["popularity"] = counts / max(counts.max(initial=0.0), 1.0)
        self._remember_ids(train)
        embedded = int(self.state["embeddings"].any(axis=1).sum())
        log(f"{int(warm.sum())} warm items, {embedded - int(warm.sum())} by metadata only, "
            f"{train.n_items - embedded} without a vector; widths {ids.shape[1]} + {meta.shape[1]}")

    def initial_state(self, user: int | None) -> np.ndarray:
        return NO_QUERY

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return np.full(1, item, dtype=np.int64)

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """The items with a vector by cosine to the query item, less GUESS for a candidate whose id part is a
        metadata guess, or GUESS_PAIR when the query's is too (identical metadata would otherwise make such
        items each other's best neighbours); below them the items without a vector, and everything for a query
        without one or no query, by popularity; never the query itself."""
        embeddings = self.state["embeddings"]
        scores = self.state["popularity"] - 4.0
        query = int(state[0])
        if not 0 <= query < len(embeddings):
            return scores
        if embeddings[query].any():
            warm = self.state["warm"]
            penalty = np.where(warm, 0.0, GUESS if warm[query] else GUESS_PAIR)
            scores = np.where(embeddings.any(axis=1), embeddings @ embeddings[query] - penalty, scores)
        scores = scores.astype(np.float64)
        scores[query] = -np.inf
        return scores


def _joined(ids: np.ndarray, meta: np.ndarray) -> np.ndarray:
    """Unit rows [sqrt(1 - s)·id ; sqrt(s)·meta] with s = METADATA_SHARE, or the one part an item has."""
    has_id, has_meta = ids.any(axis=1, keepdims=True), meta.any(axis=1, keepdims=True)
    id_weight = np.where(has_meta, np.sqrt(1.0 - METADATA_SHARE), 1.0)
    meta_weight = np.where(has_id, np.sqrt(METADATA_SHARE), 1.0)
    return np.hstack([ids * id_weight, meta * meta_weight]).astype(np.float32)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1; zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 1e-9)


def _positive_pmi(counts: np.ndarray) -> np.ndarray:
    """max(0, PMI) of a symmetric co-count matrix, its context counts smoothed to the power SMOOTHING (which
    tempers PMI's taste for rare items, Levy et al. 2015) and symmetrised: log(C_ij N s_i s_j) with
    s_i = 1 / sqrt(m_i · m_i^SMOOTHING / Σ m^SMOOTHING · N), m the row sums; 0 where C_ij = 0."""
    margins = counts.sum(axis=1, dtype=np.float64)
    total = margins.sum()
    if total <= 0:
        return np.zeros_like(counts)
    context = margins ** SMOOTHING / (margins ** SMOOTHING).sum() * total
    scale = np.where(margins > 0, 1.0 / np.sqrt(np.maximum(margins * context, 1e-12)), 0.0).astype(np.float32)
    ratio = counts * scale[:, None] * scale[None, :] * np.float32(total)
    return np.log(np.maximum(ratio, 1.0, dtype=np.float32))   # ratios below 1 (and zero counts) give 0


def _factorised(matrix: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """(n, <= width) item vectors V·sqrt(λ) of the largest positive eigenpairs of a symmetric matrix: a
    randomized range finder with power iterations (Halko et al. 2011), exact for small matrices."""
    n = len(matrix)
    probe = min(n, width + 10)
    if probe == n:
        basis = np.eye(n, dtype=np.float32)
    else:
        basis = np.linalg.qr(matrix @ rng.standard_normal((n, probe)).astype(np.float32))[0]
        for _ in range(POWER_ITERATIONS):
            basis = np.linalg.qr(matrix @ basis)[0]
    values, vectors = np.linalg.eigh(basis.T @ matrix @ basis)
    keep = np.argsort(-values)[:width]
    keep = keep[values[keep] > 1e-6]
    return ((basis @ vectors[:, keep]) * np.sqrt(values[keep])[None, :]).astype(np.float32)


def _metadata_part(features: np.ndarray, present: np.ndarray, targets: np.ndarray, warm: np.ndarray,
                   width: int) -> tuple[np.ndarray, np.ndarray]:
    """(predicted (n, id width), meta (n, <= width)): the features mapped onto the id space by a ridge
    regression fitted on the warm items that have metadata, and that map reduced to its `width` main
    directions; zero rows for items without a record. With no warm item to learn from, the prediction is zero
    and the metadata part is the features themselves, reduced the same way."""
    learn = warm & present
    predicted = np.zeros(targets.shape, dtype=np.float32)
    if learn.sum() >= 2 and features.shape[1] and targets.shape[1]:
        inputs = features[learn]
        gram = (inputs.T @ inputs).astype(np.float64)
        strength = RIDGE * max(np.trace(gram) / gram.shape[0], 1e-6)
        weights = np.linalg.solve(gram + strength * np.eye(gram.shape[0]), inputs.T @ targets[learn])
        predicted = features @ weights.astype(np.float32)
        predicted[~present] = 0.0
    mapped = predicted if predicted.any() else np.where(present[:, None], features, 0.0)
    if not mapped.shape[1] or not present.any():
        return predicted.astype(np.float32), np.zeros((len(features), 0), dtype=np.float32)
    _, strengths, directions = np.linalg.svd(mapped[present], full_matrices=False)
    directions = directions[:width][strengths[:width] > 1e-6 * max(strengths.max(initial=0.0), 1e-12)]
    return predicted.astype(np.float32), (mapped @ directions.T).astype(np.float32)
