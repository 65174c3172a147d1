"""GetSolutionMetrics: ranking quality on held-out users, and segment quality on held-out interactions.
spec: recipes-and-models.md §3.2, §5.10"""

import math
from collections.abc import Callable, Sequence

import numpy as np

from emulator.recipes.base import Recommender
from emulator.recipes.data import TestUser

CUTOFFS = (5, 10, 25)
KEYS = ("coverage", "mean_reciprocal_rank_at_25",
        *(f"normalized_discounted_cumulative_gain_at_{k}" for k in CUTOFFS), *(f"precision_at_{k}" for k in CUTOFFS))
SEGMENT_KEYS = ("coverage", "hits_at_1_percent", "recall_at_1_percent")


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores, best first; equal scores in index order."""
    k = min(k, scores.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    ruled_out = scores == -np.inf   # filtered away: argpartition slows tenfold on thousands of equal values
    if ruled_out.any() and scores.size - np.count_nonzero(ruled_out) >= k:
        kept = np.flatnonzero(~ruled_out)
        return kept[top_k(scores[kept], k)]
    if k < scores.size:
        candidates = np.argpartition(scores, scores.size - k)[scores.size - k:]
        # argpartition may cut a tie at the k-th score arbitrarily: then take every item tied with it
        kth = scores[candidates].min()
        tied = np.flatnonzero(scores == kth)
        if tied.size > np.count_nonzero(scores[candidates] == kth):
            candidates = np.union1d(candidates, tied)
    else:
        candidates = np.arange(scores.size)
    return candidates[np.lexsort((candidates, -scores[candidates]))][:k]


def target_ndcg(scores: np.ndarray, targets: np.ndarray, k: int = 10) -> np.ndarray:
    """NDCG@k of each row's one target among its (rows, n_items) scores; ties rank the target first."""
    above = np.count_nonzero(scores > scores[np.arange(len(targets)), targets][:, None], axis=1)
    return np.where(above < k, 1.0 / np.log2(above + 2.0), 0.0)


def ranking_metrics(recommended: np.ndarray, relevant: np.ndarray) -> dict[str, float]:
    """The per-user metrics of one recommended list (best first) against the relevant items."""
    hits = np.zeros(max(CUTOFFS))
    hits[:min(len(recommended), hits.size)] = np.isin(recommended[:hits.size], relevant)
    discounts = 1.0 / np.log2(np.arange(2, hits.size + 2))
    result = {}
    for k in CUTOFFS:
        ideal = discounts[:min(len(relevant), k)].sum()
        dcg = (hits[:k] * discounts[:k]).sum()
        result[f"normalized_discounted_cumulative_gain_at_{k}"] = float(dcg / ideal) if ideal else 0.0
        result[f"precision_at_{k}"] = float(hits[:k].sum() / k)
    first = np.flatnonzero(hits[:25])
    result["mean_reciprocal_rank_at_25"] = 1.0 / float(first[0] + 1) if first.size else 0.0
    return result


def evaluate(model: Recommender, test_users: list[TestUser], n_catalogue_items: int,
             k: int = 25) -> dict[str, float]:
    """The eight metric keys, averaged over test users through the serving path, rounded to 4 decimals.
    History items stay in the lists: the service does not remove them unless a filter says so
    (spec: recipes-and-models.md §3.1). Metrics that need what only fit sees (Trending-Now's last window,
    the per-user 80/20 split of USER_SEGMENTATION) are measured by fit into `fit_metrics`: they are added to
    the eight keys, or, for a segmentation model, are all of its keys."""
    measured = dict(getattr(model, "fit_metrics", None) or {})
    if set(SEGMENT_KEYS) <= measured.keys():
        return measured
    values, shown = per_user(model, test_users, k)
    count = max(len(test_users), 1)
    result = {key: round(float(values[key].sum()) / count, 4) if key in values else 0.0 for key in KEYS}
    result["coverage"] = round(len(shown) / max(n_catalogue_items, 1), 4)
    return {**result, **measured}


def per_user(model: Recommender, test_users: list[TestUser], k: int = 25,
             without_history: bool = False) -> tuple[dict[str, np.ndarray], set[int]]:
    """(metric key -> (test users,) each one's value, for the keys that are per user; the items shown in any list),
    through the serving path: what evaluate averages, and what paired comparisons of two models need.
    without_history: the lists leave out the user's history items, as an exclusion filter would."""
    rows, shown = [], set()
    states = model.states_after([test.history for test in test_users], [test.user for test in test_users])
    for test, state in zip(test_users, states):
        scores = model.item_scores(state)
        if without_history:
            scores = scores.copy()
            scores[test.history] = -np.inf
        recommended = top_k(scores, k)
        shown.update(recommended.tolist())
        rows.append(ranking_metrics(recommended, test.relevant))
    keys = [key for key in KEYS if key != "coverage"]
    return {key: np.array([row[key] for row in rows], dtype=float) for key in keys}, shown


def segment_metrics(affinity: Callable[[np.ndarray], np.ndarray], queries: Sequence[np.ndarray],
                    audiences: Sequence[np.ndarray], candidates: np.ndarray) -> dict[str, float]:
    """spec §5.10. affinity(items) -> (n_users,) scores of a query (an item, or the items of an attribute);
    audiences[q]: the users who interacted with query q's items in the test part; candidates: the users that
    can be in a segment. With K = ceil(1 % of the candidates) and T the K candidates of highest affinity:
    hits_at_1_percent = mean |T ∩ A|, recall_at_1_percent = mean |T ∩ A| / min(|A|, K), coverage = share of
    the candidates in some T. Rounded to 4 decimals."""
    k = max(1, math.ceil(0.01 * candidates.size))
    hits, recall, shown = 0.0, 0.0, set()
    for items, audience in zip(queries, audiences):
        top = candidates[top_k(affinity(items)[candidates], k)]
        found = int(np.isin(top, audience).sum())
        hits, recall = hits + found, recall + found / max(min(len(audience), k), 1)
        shown.update(top.tolist())
    count = max(len(queries), 1)
    return {"coverage": round(len(shown) / max(candidates.size, 1), 4),
            "hits_at_1_percent": round(hits / count, 4), "recall_at_1_percent": round(recall / count, 4)}
