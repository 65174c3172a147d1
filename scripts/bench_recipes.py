"""Offline benchmark of the recipes on MovieLens-100K (ratings >= 4) against classic baselines tuned on a
validation split of the training users, under the GetSolutionMetrics protocol (spec: recipes-and-models.md
§3), with the issue's quality targets as pass/fail lines. With --scale, training time and peak memory on a
synthetic data set of 1M or 20M interactions instead.

    .venv/bin/python scripts/bench_recipes.py [--data DIR] [--seed N] [--splits N] [--exclude-history]
    .venv/bin/python scripts/bench_recipes.py --scale 1m|20m
    .venv/bin/python scripts/bench_recipes.py --neural [--splits N] [--recipes a,b]
    .venv/bin/python scripts/bench_recipes.py --time-cut [--splits N] [--recipes a,b]
    .venv/bin/python scripts/bench_recipes.py --hpo [--splits N] [--jobs N]
    .venv/bin/python scripts/bench_recipes.py --spread [--seeds N] [--splits N] [--recipes a,b]

--neural measures only the neural recipes, over several splits and seeds with standard errors, on the
GetSolutionMetrics split and on a temporal leave-last-out split (each user's last interaction held out, history
items excluded from the lists) against EASE, item-kNN, ALS and BPR tuned on each user's second-to-last
interaction, and against the time-aware baselines: EASE and item-kNN on recency-weighted histories (decay tuned
too) and recent popularity (its window tuned). A leave-last-out request is made at the held-out item's time, as a
user asks right before taking it: recent popularity counts the days before it, and models whose scores weigh
time learn it and when the user's history ended.

--time-cut trains on the past and judges on the future: at several global timestamp cuts, each user active on both
sides gets a list from their history, asked for at the cut, and is judged on the new items they took up later,
against the same baselines, tuned on a validation cut inside the training part.

--hpo runs aws-user-personalization's performHPO search as the service does and compares the winner with the
defaults on the leave-last-out split, with the search's wall time.

--spread measures how much a neural recipe's NDCG@10 depends on its training seed: on one fixed split of each
protocol (the GetSolutionMetrics split of --seed, and leave-last-out), each recipe trains with --seeds seeds (default
5), only the seed varying. The target (issue: seed spread <= ± 5 % of the mean) is the half-range, (max - min) / 2,
over the mean; the standard deviation over seeds (ddof 1) is shown beside it, also as % of the mean. The
GetSolutionMetrics split has only ~94 held-out users, so each seed's mean is itself noisy (the s.e. over users is
printed); those users are the same for every seed, so the spread is the seed's alone, but a seed's changes to 94
users' lists move the mean more than the same changes to more users' would: --splits N pools N fixed splits'
held-out users into each seed's value.

The ALS and BPR baselines need the bench extra (pip install -e '.[bench]', for implicit); without it, they are
skipped.
"""

import argparse
import ctypes
import dataclasses
import importlib.util
import inspect
import itertools
import multiprocessing
import os
import pathlib
import resource
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from emulator.recipes import metrics, registry, tuning
from emulator.recipes.base import Recommender, TrainingBudget, no_log
from emulator.recipes.data import CATEGORICAL, NUMERICAL, Interactions, Metadata, TestUser
from service_model.recipes import default_hyperparameters

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-100k"
RECIPES = ("aws-popularity-count", "aws-user-personalization", "aws-user-personalization-v2", "aws-hrnn",
           "aws-hrnn-metadata", "aws-sims", "aws-similar-items", "aws-trending-now", "aws-item-affinity")
NDCG, PRECISION = "normalized_discounted_cumulative_gain_at_10", "precision_at_10"
VALIDATION_SHARE = 0.2     # of the training users, for tuning the baselines ...
VALIDATION_ROUNDS = 2      # ... in this many random splits, averaged (one split of ~170 users is noisy)
COLD_SHARE = 0.1           # of the items with at least COLD_MIN_USERS users, held out as cold items
COLD_MIN_USERS = 5
HIT_K, COLD_K = 10, 25
# SIMS's default max_item_interaction_count_percentile 0.9 leaves the 10 % most interacted items out of its
# co-occurrences (spec §5.7, as the service documents it); they come back only through the popularity fallback.
# The next-item target is measured with the co-occurrence model over every item, a setting a user can choose.
SIMS_ALL_ITEMS = {"max_item_interaction_count_percentile": "1.0"}
SIMS_ALL_NAME = "aws-sims, max_item_interaction_count_percentile 1.0"
NO_METADATA = " (no Items/Users)"
COLD_CAVEATS = {"aws-hrnn-coldstart": "; model scores only: cold items also reach its lists through serving-time "
                                      "exploration, which this in-process benchmark does not run"}
NEW_USER_EVENTS = 3   # a new user's first events, fed; the rest of their items are relevant
HISTORY_FED, NO_HISTORY = "their history fed", "no history, Users record only"
FIRST_EVENTS = f"their first {NEW_USER_EVENTS} events fed (users with at least {2 * NEW_USER_EVENTS})"
# The metadata target is judged on cold users in the strict sense, users without events. The other two measures
# are printed beside it: once a user has events, those say more than a Users record, and on ML-100K the pairs
# then differ by less than the splits can tell apart (either sign, about one standard error).
TARGET_MEASURE = NO_HISTORY
METADATA_PAIRS = (("aws-user-personalization", "aws-user-personalization" + NO_METADATA),
                  ("aws-hrnn-metadata", "aws-hrnn"))


@dataclasses.dataclass
class Row:
    name: str
    seconds: float
    peak_mb: float
    scores: dict[str, float]
    note: str = ""
    per_user: np.ndarray | None = None   # (test users,) NDCG@10 of each, for paired comparisons


# ----------------------------------------------------------------------------------------------- measuring

class PeakMemory:
    """The process's peak resident memory (MB) inside a `with` block, sampled every 20 ms from /proc."""

    def __enter__(self) -> "PeakMemory":
        release_free_memory()
        self.peak, self._done = resident_mb(), threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, resident_mb())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, resident_mb())


def resident_mb(pid: int | str = "self") -> float:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize() / 2**20
    except FileNotFoundError:   # the process has just ended
        return 0.0


def _load() -> str:
    """The machine's load, since timings on a shared 2-core machine depend on it."""
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start"


def release_free_memory() -> None:
    """Give freed heap back to the OS, so one model's peak does not include the last one's garbage."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def fitted(model: Recommender, train: Interactions, full: Interactions) -> tuple[float, float]:
    """(seconds, peak MB) of fit plus the user states from the full data, as the training process does."""
    started = time.perf_counter()
    with PeakMemory() as memory:
        model.fit(train, log=lambda line: print(f"  {model.recipe}: {line}", file=sys.stderr))
        model.build_user_states(full)
    return time.perf_counter() - started, memory.peak


class WithoutHistory:
    """A model whose lists never repeat an item of the user's history (what an exclusion filter does)."""

    def __init__(self, model: Recommender) -> None:
        self.model, self.fit_metrics = model, getattr(model, "fit_metrics", None)

    def initial_state(self, user: int | None) -> tuple:
        return self.model.initial_state(user), []

    def advance(self, state: tuple, item: int) -> tuple:
        state[1].append(item)
        return self.model.advance(state[0], item), state[1]

    def states_after(self, histories: list[np.ndarray], users=None) -> list[tuple]:
        states = self.model.states_after(histories, users)
        return [(state, history.tolist()) for state, history in zip(states, histories)]

    def item_scores(self, state: tuple) -> np.ndarray:
        scores = self.model.item_scores(state[0]).copy()
        scores[state[1]] = -np.inf
        return scores


def evaluate(model: Recommender, test_users: list[TestUser], n_items: int, exclude: bool) -> dict[str, float]:
    return metrics.evaluate(WithoutHistory(model) if exclude else model, test_users, n_items)


def per_user_ndcg(model: Recommender, test_users: list[TestUser], exclude: bool) -> np.ndarray | None:
    """(test users,) NDCG@10 of each user's list, computed as metrics.evaluate does; None for a model whose
    metrics are its own (segments)."""
    if "hits_at_1_percent" in (getattr(model, "fit_metrics", None) or {}):
        return None
    served = WithoutHistory(model) if exclude else model
    states = served.states_after([test.history for test in test_users], [test.user for test in test_users])
    return np.array([metrics.ranking_metrics(metrics.top_k(served.item_scores(state), 25), test.relevant)[NDCG]
                     for test, state in zip(test_users, states)])


# ----------------------------------------------------------------------------------------------- data

def load_movielens(root: pathlib.Path) -> Interactions:
    """Ratings >= 4 as interactions; u.item's genres (categorical) and release year as the Items dataset,
    u.user's age, gender and occupation as the Users dataset."""
    table = np.loadtxt(root / "u.data", dtype=np.int64)
    kept = table[table[:, 2] >= 4]
    genres = [line.split("|")[0] for line in (root / "u.genre").read_text().splitlines() if line.strip()]
    records = {}
    for line in (root / "u.item").read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        chosen = [genre for genre, flag in zip(genres, fields[5:]) if flag == "1"]
        records[fields[0]] = {"GENRES": "|".join(chosen) or None, "YEAR": int(fields[2][-4:]) if fields[2] else None}
    items = Metadata.from_records(records, {"GENRES": CATEGORICAL, "YEAR": NUMERICAL})
    profiles = {}
    for line in (root / "u.user").read_text(encoding="latin-1").splitlines():
        user, age, gender, occupation, _ = line.split("|")
        profiles[user] = {"AGE": int(age), "GENDER": gender, "OCCUPATION": occupation}
    users = Metadata.from_records(profiles, {"AGE": NUMERICAL, "GENDER": CATEGORICAL, "OCCUPATION": CATEGORICAL})
    return Interactions.from_columns(kept[:, 0].astype(str), kept[:, 1].astype(str), kept[:, 3], items=items,
                                     users=users)


def without_metadata(data: Interactions) -> Interactions:
    """The same interactions and id maps without the Items and Users datasets."""
    return Interactions(data.user_ids, data.item_ids, data.user_index, data.item_index, data.timestamp, None,
                        data.event_types)


def binary_matrix(train: Interactions) -> np.ndarray:
    """(n_users, n_items) float64: 1 where the user interacted with the item."""
    matrix = np.zeros((train.n_users, train.n_items))
    matrix[train.user_index, train.item_index] = 1.0
    return matrix


# ----------------------------------------------------------------------------------------------- baselines

def cosine_neighbours(matrix: np.ndarray, keep: int) -> np.ndarray:
    """(n_items, n_items) float32 item-item cosine of a (users, items) matrix, zero diagonal, each row keeping its
    `keep` most similar (0: all)."""
    norms = np.sqrt((matrix ** 2).sum(axis=0))
    similarity = (matrix.T @ matrix) / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(similarity, 0.0)
    if 0 < keep < matrix.shape[1]:
        threshold = -np.partition(-similarity, keep - 1, axis=1)[:, keep - 1:keep]
        similarity[similarity < threshold] = 0.0
    return similarity.astype(np.float32)


def ease_weights(matrix: np.ndarray, l2: float) -> np.ndarray:
    """EASE (Steck 2019) in closed form on a (users, items) matrix: B = I - P / diag(P), P = (XᵀX + λI)⁻¹, zero
    diagonal; float32."""
    inverse = np.linalg.inv(matrix.T @ matrix + l2 * np.eye(matrix.shape[1]))
    weights = -inverse / np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights.astype(np.float32)


class Baseline(Recommender):
    """A classic model that scores items from the set of a user's history items (the state)."""
    recipe = "baseline"

    def initial_state(self, user: int | None) -> np.ndarray:
        return np.zeros(0, dtype=np.int64)

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return np.append(state, item)

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.state["weights"][np.unique(state)].sum(axis=0).astype(np.float64)


class ItemKNN(Baseline):
    """Item-item cosine on the binary matrix, each item keeping its `neighbours` most similar (0: all)."""
    recipe = "item-knn-cosine"
    DEFAULTS = {"neighbours": "0"}

    def fit(self, train: Interactions, log=no_log) -> None:
        self.state["weights"] = cosine_neighbours(binary_matrix(train), self.hyperparameter("neighbours", int))


class Ease(Baseline):
    """EASE (Steck 2019) in closed form: B = I - P / diag(P), P = (XᵀX + λI)⁻¹, zero diagonal."""
    recipe = "ease"
    DEFAULTS = {"l2": "300"}

    def fit(self, train: Interactions, log=no_log) -> None:
        self.state["weights"] = ease_weights(binary_matrix(train), self.hyperparameter("l2", float))


class Als(Baseline):
    """implicit's ALS (Hu, Koren, Volinsky 2008), confidence alpha on each interaction. A user unseen in
    training is folded in from their history by ALS's own least-squares step:
    x = (YᵀY + λI + (α-1)·Y_hᵀY_h)⁻¹ α·Σ y_h."""
    recipe = "als-implicit"
    DEFAULTS = {"factors": "64", "regularization": "0.1", "alpha": "10", "iterations": "15"}

    def fit(self, train: Interactions, log=no_log) -> None:
        from implicit.als import AlternatingLeastSquares
        from scipy.sparse import csr_matrix
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, "blas"):   # implicit's advice: its own threads, single-threaded BLAS
            als = AlternatingLeastSquares(
                factors=self.hyperparameter("factors", int), iterations=self.hyperparameter("iterations", int),
                regularization=self.hyperparameter("regularization", float),
                alpha=self.hyperparameter("alpha", float), random_state=self.seed, num_threads=2)
            als.fit(csr_matrix(binary_matrix(train).astype(np.float32)), show_progress=False)
        factors = np.asarray(als.item_factors, dtype=np.float64)
        self.state["item_factors"] = factors
        self.state["gram"] = factors.T @ factors + self.hyperparameter("regularization", float) * np.eye(len(factors.T))

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        factors, alpha = self.state["item_factors"], self.hyperparameter("alpha", float)
        history = factors[np.unique(state)]
        user = np.linalg.solve(self.state["gram"] + (alpha - 1.0) * history.T @ history, alpha * history.sum(axis=0))
        return factors @ user


class RecentPopularity(Baseline):
    """The items most interacted with in the last `days` before the request (0: all time; the request at the
    training data's end unless told): what is popular now, the same list for everyone."""
    recipe = "recent-popularity"
    DEFAULTS = {"days": "0"}

    def fit(self, train: Interactions, log=no_log) -> None:
        self.data = train
        self.state["counts"] = self.item_scores(np.zeros(0))

    def item_scores(self, state: np.ndarray, now: float | None = None) -> np.ndarray:
        if now is None and "counts" in self.state:
            return self.state["counts"]
        days, data = self.hyperparameter("days", float), self.data
        end = data.timestamp.max(initial=0) + 1 if now is None else now
        recent = (data.timestamp < end) & (data.timestamp >= end - days * 86_400 if days > 0 else True)
        return np.bincount(data.item_index[recent], minlength=data.n_items).astype(np.float64)


class Bpr(Baseline):
    """implicit's BPR (Rendle et al. 2009) matrix factorisation. It scores with the trained user factors, so it
    serves only users it was trained on: the temporal protocols, where every test user has a training history."""
    recipe = "bpr-implicit"
    DEFAULTS = {"factors": "64", "learning_rate": "0.01", "regularization": "0.01", "iterations": "100"}

    def fit(self, train: Interactions, log=no_log) -> None:
        from implicit.bpr import BayesianPersonalizedRanking
        from scipy.sparse import csr_matrix
        bpr = BayesianPersonalizedRanking(
            factors=self.hyperparameter("factors", int), learning_rate=self.hyperparameter("learning_rate", float),
            regularization=self.hyperparameter("regularization", float),
            iterations=self.hyperparameter("iterations", int), random_state=self.seed, num_threads=2)
        bpr.fit(csr_matrix(binary_matrix(train).astype(np.float32)), show_progress=False)
        # the factors carry the item bias as a last column (and a 1 on the user side)
        self.state["user_factors"] = np.asarray(bpr.user_factors, dtype=np.float64)
        self.state["item_factors"] = np.asarray(bpr.item_factors, dtype=np.float64)

    def states_after(self, histories: list[np.ndarray], users=None) -> list[np.ndarray]:
        return [np.array([user]) for user in users]

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.state["item_factors"] @ self.state["user_factors"][state[0]]


class RecencyBaseline(Baseline):
    """A baseline fit on histories weighted by recency: a user's event at position p from the end weighs decay^p
    (an item seen twice keeps its newest weight); a served history is weighted the same way."""
    DEFAULTS = {"decay": "1.0"}

    def weighted(self, data: Interactions) -> np.ndarray:
        """(n_users, n_items) float64 recency weights of the users' histories."""
        matrix = np.zeros((data.n_users, data.n_items))
        users, rows = data.user_rows()
        for user, row in zip(users.tolist(), rows):
            np.maximum.at(matrix[user], data.item_index[row], self.history_weights(len(row)))
        return matrix

    def history_weights(self, length: int) -> np.ndarray:
        return self.hyperparameter("decay", float) ** np.arange(length - 1, -1, -1, dtype=np.float64)

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        vector = np.zeros(self.state["weights"].shape[0])
        np.maximum.at(vector, state.astype(np.int64), self.history_weights(len(state)))
        return (vector @ self.state["weights"]).astype(np.float64)


class RecencyItemKNN(RecencyBaseline):
    """ItemKNN's cosine on the recency-weighted matrix."""
    recipe = "item-knn-cosine-recency"
    DEFAULTS = {"neighbours": "0", "decay": "1.0"}

    def fit(self, train: Interactions, log=no_log) -> None:
        self.state["weights"] = cosine_neighbours(self.weighted(train), self.hyperparameter("neighbours", int))


class RecencyEase(RecencyBaseline):
    """EASE on the recency-weighted matrix."""
    recipe = "ease-recency"
    DEFAULTS = {"l2": "300", "decay": "1.0"}

    def fit(self, train: Interactions, log=no_log) -> None:
        self.state["weights"] = ease_weights(self.weighted(train), self.hyperparameter("l2", float))


DECAYS = ["0.5", "0.7", "0.8", "0.9", "1.0"]
BASELINES = {   # the grids each baseline is tuned over
    "item-kNN cosine": (ItemKNN, {"neighbours": ["0", "20", "50", "100", "200", "400"]}),
    "EASE": (Ease, {"l2": ["1", "3", "10", "30", "100", "300", "1000"]}),
    "ALS (implicit)": (Als, {"factors": ["32", "64", "128"], "regularization": ["0.01", "1", "10"],
                             "alpha": ["10", "30", "100", "300"], "iterations": ["15"]}),
}
TIME_AWARE = {   # baselines that weigh a user's recent events, or the recent days, more
    "item-kNN cosine, recency": (RecencyItemKNN, {"neighbours": ["0", "20", "50", "100", "200", "400"],
                                                  "decay": DECAYS}),
    "EASE, recency": (RecencyEase, {"l2": ["3", "10", "30", "100", "300", "1000", "3000"], "decay": DECAYS}),
    "recent popularity": (RecentPopularity, {"days": ["1", "3", "7", "14", "30", "60", "0"]}),
}
# the temporal protocols add what needs a user's training history or the clock (test users are training users)
TEMPORAL_BASELINES = {
    **BASELINES,
    "BPR (implicit)": (Bpr, {"factors": ["64", "128"], "learning_rate": ["0.01", "0.05"],
                             "regularization": ["0.001", "0.01"], "iterations": ["200"]}),
    **TIME_AWARE,
}
NEEDS_IMPLICIT = (Als, Bpr)
LAST_OUT_TIME_TARGET = 1.1   # user-personalization / the best tuned baseline, time-aware ones included


def tune(model_class: type[Baseline], grid: dict[str, list[str]], train: Interactions, seed: int,
         exclude: bool) -> tuple[dict[str, str], float, int]:
    """(best settings, their validation NDCG@10, settings tried) on validation splits of the training users."""
    splits = [train.split(seed=seed + number, test_fraction=VALIDATION_SHARE)
              for number in range(1, VALIDATION_ROUNDS + 1)]
    best, best_score = {}, -1.0
    settings = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    for chosen in settings:
        score = 0.0
        for fit_part, validation in splits:
            model = model_class(chosen, seed=seed)
            model.fit(fit_part)
            score += evaluate(model, validation, train.n_items, exclude)[NDCG] / len(splits)
        if score > best_score:
            best, best_score = chosen, score
    return best, best_score, len(settings)


# ----------------------------------------------------------------------------------------------- ML-100K

def build(recipe: str, seed: int, overrides: dict[str, str] | None = None) -> Recommender:
    name = recipe.removesuffix(NO_METADATA)
    defaults = default_hyperparameters(f"arn:aws:personalize:::recipe/{name}")
    return registry.build(name, {**defaults, **(overrides or {})}, seed=seed)


def recipe_rows(data: Interactions, train: Interactions, test_users: list[TestUser], seed: int,
                exclude: bool) -> tuple[list[Row], dict[str, Recommender]]:
    rows, models = [], {}
    names = [*RECIPES[:2], "aws-user-personalization" + NO_METADATA, *RECIPES[2:]]
    for name in names:
        if not registry.supported(name.removesuffix(NO_METADATA)):
            rows.append(Row(name, float("nan"), float("nan"), {}, "not in emulator.recipes.registry"))
            continue
        plain = name.endswith(NO_METADATA)
        model = build(name, seed)
        seconds, peak = fitted(model, without_metadata(train) if plain else train,
                               without_metadata(data) if plain else data)
        scores = evaluate(model, test_users, data.n_items, exclude)
        note = {"aws-trending-now": "trend_prediction_accuracy {trend_prediction_accuracy:.4f}",
                "aws-item-affinity": "its segment metrics: hits@1% {hits_at_1_percent:.4f}, "
                                     "recall@1% {recall_at_1_percent:.4f}; coverage of users"}.get(name, "")
        rows.append(Row(name, seconds, peak, scores, note.format(**scores), per_user_ndcg(model, test_users, exclude)))
        models[name] = model
    return rows, models


def baseline_rows(data: Interactions, train: Interactions, test_users: list[TestUser], seed: int,
                  exclude: bool) -> tuple[list[Row], dict[str, Recommender]]:
    rows, models = [], {}
    for name, (model_class, grid) in BASELINES.items():
        if model_class is Als and not _has_implicit():
            rows.append(Row(name, float("nan"), float("nan"), {}, "skipped: pip install -e '.[bench]'"))
            continue
        started = time.perf_counter()
        best, score, tried = tune(model_class, grid, train, seed, exclude)
        tuning = time.perf_counter() - started
        model = model_class(best, seed=seed)
        seconds, peak = fitted(model, train, data)
        settings = " ".join(f"{key}={value}" for key, value in best.items())
        rows.append(Row(name, seconds, peak, evaluate(model, test_users, data.n_items, exclude),
                        f"tuned {settings} ({tried} settings, validation NDCG@10 {score:.4f}, {tuning:.0f} s)",
                        per_user_ndcg(model, test_users, exclude)))
        models[name] = model
    return rows, models


def _has_implicit() -> bool:
    return importlib.util.find_spec("implicit") is not None


def temporal_baselines() -> Iterator[tuple[str, type[Baseline], dict[str, list[str]]]]:
    """(name, class, grid) of each of TEMPORAL_BASELINES this machine can run; a line for each it cannot."""
    for name, (model_class, grid) in TEMPORAL_BASELINES.items():
        if model_class in NEEDS_IMPLICIT and not _has_implicit():
            print(f"  {name:<30} skipped: pip install -e '.[bench]'")
            continue
        yield name, model_class, grid


def next_item_splits(data: Interactions, knn_settings: dict[str, str], args: argparse.Namespace
                     ) -> dict[str, np.ndarray]:
    """Next-item hit@HIT_K of SIMS (defaults, and over every item) and item-kNN cosine (the table's tuned
    settings) on args.splits splits: every held-out step of every test user. {model: hits, one per step}"""
    models = {"aws-sims": lambda seed: build("aws-sims", seed),
              SIMS_ALL_NAME: lambda seed: build("aws-sims", seed, SIMS_ALL_ITEMS),
              "item-kNN cosine": lambda seed: ItemKNN(knn_settings, seed=seed)}
    hits = {name: [] for name in models}
    for seed in range(args.seed, args.seed + args.splits):
        train, test_users = data.split(seed=seed)
        for name, make in models.items():
            model = make(seed)
            model.fit(train)
            hits[name].append(next_item_hits(model, data, test_users))
    found = {name: np.concatenate(values) for name, values in hits.items()}
    print(f"\nNext-item hit@{HIT_K} over {args.splits} splits, every held-out step (query: the item before it): "
          + ", ".join(f"{name} {values.mean():.4f}" for name, values in found.items()))
    return found


def next_item_hits(model: Recommender, data: Interactions, test_users: list[TestUser]) -> np.ndarray:
    """Hits@HIT_K of every held-out item given the item just before it (1.0 / 0.0 per step). The query item is
    never counted as recommended."""
    sequences, hits = data.sequences(), []
    for test in test_users:
        items = sequences[test.user]
        for position in range(max(len(test.history), 1), len(items)):
            scores = model.item_scores(model.advance(model.initial_state(None), int(items[position - 1]))).copy()
            scores[items[position - 1]] = -np.inf
            hits.append(items[position] in metrics.top_k(scores, HIT_K))
    return np.array(hits, dtype=float)


def cold_items(data: Interactions, train: Interactions, test_users: list[TestUser],
               seed: int) -> tuple[list[str], dict[str, float]]:
    """Hold out items entirely (no interactions, Items record kept); for each test user's step onto a cold item,
    feed the warm items before it (a related-items model queries the last one) and see where the cold item
    ranks. (report lines, the cold items' mean rank % by model)"""
    rng = np.random.default_rng(seed)
    users_per_item = np.bincount(np.unique(data.item_index.astype(np.int64) * data.n_users + data.user_index)
                                 // data.n_users, minlength=data.n_items)
    candidates = np.flatnonzero(users_per_item >= COLD_MIN_USERS)
    is_cold = np.zeros(data.n_items, dtype=bool)
    is_cold[rng.choice(candidates, size=round(COLD_SHARE * candidates.size), replace=False)] = True
    warm_train = train.subset(~is_cold[train.item_index])
    prefixes, targets, sequences = [], [], data.sequences()
    for test in test_users:
        items = sequences[test.user]
        for position in range(1, len(items)):
            warm_before = items[:position][~is_cold[items[:position]]]
            if is_cold[items[position]] and warm_before.size:
                prefixes.append(warm_before.tolist())
                targets.append(int(items[position]))
    lines = [f"Cold items: {int(is_cold.sum())} items held out entirely (no interactions in training, Items record "
             f"kept); {len(targets)} steps of test users onto a cold item, each model fed the warm items before it "
             f"(related-items models: the last one is the query)",
             f"{'model':<34}{'train s':>8}{f'hit@{COLD_K}':>9}{'rank %':>9}{'rank % among cold':>19}"]
    n_cold = int(is_cold.sum())
    lines.append(f"{'random':<34}{'':>8}{COLD_K / (data.n_items - 1):>9.4f}{50.0:>9.1f}{50.0:>19.1f}")
    results = {}
    for name in ("aws-similar-items", "aws-similar-items" + NO_METADATA, "aws-sims", "aws-hrnn-coldstart"):
        if not registry.supported(name.removesuffix(NO_METADATA)):
            lines.append(f"{name:<34}  not in emulator.recipes.registry")
            continue
        model = build(name, seed)
        fit_data = without_metadata(warm_train) if name.endswith(NO_METADATA) else warm_train
        seconds, _ = fitted(model, fit_data, fit_data)
        hits, ranks, cold_ranks = [], [], []
        for prefix, target in zip(prefixes, targets):
            state, query = model.initial_state(None), prefix[-1]
            for item in prefix:
                state = model.advance(state, item)
            scores = model.item_scores(state).copy()
            scores[query] = -np.inf
            hits.append(target in metrics.top_k(scores, COLD_K))
            ranks.append(_mid_rank(scores, target, np.arange(data.n_items) != query))
            cold_ranks.append(_mid_rank(scores, target, is_cold))
        results[name] = 100 * float(np.mean(ranks))
        lines.append(f"{name:<34}{seconds:>8.1f}{np.mean(hits):>9.4f}{results[name]:>9.1f}"
                     f"{100 * np.mean(cold_ranks):>19.1f}")
    lines.append(f"(rank %: the cold item's mean position as a share of the candidates, 0 = top; 'among cold': "
                 f"among the {n_cold} cold items only, which measures the metadata alone)")
    return lines, results


def _mid_rank(scores: np.ndarray, target: int, among: np.ndarray) -> float:
    """The target's position among the `among` items as a share in [0, 1], ties counted half."""
    others = among.copy()
    others[target] = False
    above = (scores[others] > scores[target]).sum() + 0.5 * (scores[others] == scores[target]).sum()
    return float(above / max(others.sum(), 1))


def print_table(rows: list[Row]) -> None:
    print(f"{'model':<38}{'train s':>8}{'peak MB':>9}{'NDCG@10':>9}{'P@10':>8}{'coverage':>9}  note")
    for row in rows:
        values = [row.scores.get(key) for key in (NDCG, PRECISION, "coverage")]
        cells = "".join(f"{value:>{width}.4f}" if value is not None else f"{'-':>{width}}"
                        for value, width in zip(values, (9, 8, 9)))
        measured = f"{row.seconds:>8.1f}{row.peak_mb:>9.0f}" if row.scores else f"{'-':>8}{'-':>9}"
        print(f"{row.name:<38}{measured}{cells}  {row.note}")


def verdict(passed: bool | None, text: str) -> str:
    return f"  [{ {True: 'PASS', False: 'FAIL', None: 'n/a '}[passed] }] {text}"


def target_lines(rows: dict[str, Row], hits: dict[str, np.ndarray], cold: dict[str, float],
                 by_split: dict[str, dict[str, list[float]]]) -> list[str]:
    ndcg = {name: row.scores.get(NDCG) for name, row in rows.items()}
    up = ndcg["aws-user-personalization"]
    lines = [verdict(up >= 1.5 * ndcg["aws-popularity-count"],
                     f"NDCG@10 user-personalization / popularity-count = {up / ndcg['aws-popularity-count']:.2f}"
                     f" (target >= 1.50)")]
    for name in BASELINES:
        if ndcg.get(name) is None:
            lines.append(verdict(None, f"NDCG@10 user-personalization / {name}: baseline not run"))
            continue
        lines.append(verdict(up >= ndcg[name], f"NDCG@10 user-personalization / {name} = {up / ndcg[name]:.2f}"
                                               f" ({up:.4f} vs {ndcg[name]:.4f}; target >= 1.00; "
                                               f"{_paired(rows['aws-user-personalization'], rows[name])})"))
    for measure, by_name in by_split.items():
        for with_items, without in METADATA_PAIRS:
            first, second = np.array(by_name[with_items]), np.array(by_name[without])
            difference = first - second
            error = difference.std(ddof=1) / np.sqrt(difference.size) if difference.size > 1 else float("nan")
            text = (f"held-out users, {measure}: NDCG@10 {with_items} with metadata / {without} = "
                    f"{first.mean() / second.mean():.2f} (mean over {difference.size} splits, {first.mean():.4f} vs "
                    f"{second.mean():.4f}, per-split difference {difference.mean():+.4f} ± {error:.4f} s.e.")
            lines.append(verdict(first.mean() >= second.mean(), f"cold users: {text}; target >= 1.00)")
                         if measure == TARGET_MEASURE else f"  [info] {text})")
    for name in ("aws-similar-items", "aws-hrnn-coldstart"):
        if name not in cold:
            lines.append(verdict(None, f"{name} on cold items: not in emulator.recipes.registry"))
            continue
        lines.append(verdict(cold[name] < 50.0, f"cold items placed by {name} at {cold[name]:.1f} % of the "
                                                f"candidates on average, random 50 % (target: better than random)"
                                                f"{COLD_CAVEATS.get(name, '')}"))
    sims, knn, default = (hits[name] for name in (SIMS_ALL_NAME, "item-kNN cosine", "aws-sims"))
    difference = sims - knn
    error = difference.std(ddof=1) / np.sqrt(difference.size)
    lines.append(verdict(sims.mean() >= knn.mean(),
                         f"next-item hit@{HIT_K} SIMS over every item / item-kNN cosine = "
                         f"{sims.mean() / knn.mean():.2f} ({sims.mean():.4f} vs {knn.mean():.4f} over "
                         f"{difference.size} held-out steps, paired difference {difference.mean():+.4f} ± {error:.4f} "
                         f"s.e.; target >= 1.00; with the default percentile 0.9: {default.mean():.4f}, "
                         f"{default.mean() / knn.mean():.2f})"))
    return lines


def _paired(first: Row, second: Row) -> str:
    """The mean per-user difference with its standard error, which says how much of a gap the split's
    few test users can tell apart."""
    difference = first.per_user - second.per_user
    error = difference.std(ddof=1) / np.sqrt(difference.size)
    return f"per-user difference {difference.mean():+.4f} ± {error:.4f} s.e. over {difference.size} users"


def quality(args: argparse.Namespace) -> None:
    data = load_movielens(args.data)
    train, test_users = data.split(seed=args.seed)
    print(f"MovieLens-100K ratings >= 4: {data.n_interactions} interactions, {data.n_users} users, {data.n_items} "
          f"items (u.item as the Items dataset: GENRES, YEAR; u.user as the Users dataset: AGE, GENDER, OCCUPATION); "
          f"split seed {args.seed}: {len(test_users)} held-out (cold) users, the same split for every model; "
          f"baselines tuned on {VALIDATION_SHARE:.0%} of the training users; {_load()}")
    print("History items MAY NOT be recommended (removed from every model's list)" if args.exclude_history else
          "History items MAY be recommended, for every model (the service's behaviour without a filter)")
    print(f"peak MB: the process's resident memory while fitting (before any model: {resident_mb():.0f} MB)")
    rows, models = recipe_rows(data, train, test_users, args.seed, args.exclude_history)
    more_rows, baselines = baseline_rows(data, train, test_users, args.seed, args.exclude_history)
    print()
    print_table(rows + more_rows)
    hits = next_item_splits(data, baselines["item-kNN cosine"].hyperparameters, args)
    print()
    cold_lines, cold = cold_items(data, train, test_users, args.seed)
    print("\n".join(cold_lines))
    by_split = metadata_splits(data, models, args)
    print("\nTargets")
    print("\n".join(target_lines({row.name: row for row in rows + more_rows}, hits, cold, by_split)))


def metadata_splits(data: Interactions, models: dict[str, Recommender], args: argparse.Namespace
                    ) -> dict[str, dict[str, list[float]]]:
    """NDCG@10 of the models with and without metadata on the table's split and args.splits - 1 more (one split's
    ~94 held-out users cannot tell apart the small difference metadata makes), for the held-out users as the
    table measures them (their older 90 % fed), for the same users without any history (every item of theirs
    relevant: all a model knows of them is their Users record, if it reads one), and as new users of whom the
    model has seen only their first NEW_USER_EVENTS events (the rest relevant). {measure: {model: per split}}"""
    names = [name for pair in METADATA_PAIRS for name in pair]
    found = {measure: {name: [] for name in names} for measure in (HISTORY_FED, NO_HISTORY, FIRST_EVENTS)}
    sequences = data.sequences()
    print(f"\nWith and without metadata on {args.splits} splits (seeds {args.seed}..{args.seed + args.splits - 1}), "
          f"NDCG@10 of the held-out users:")
    for seed in range(args.seed, args.seed + args.splits):
        train, test_users = data.split(seed=seed)
        unknown = [TestUser(test.user, test.history[:0], np.unique(np.r_[test.history, test.relevant]))
                   for test in test_users]
        new = [TestUser(test.user, sequences[test.user][:NEW_USER_EVENTS],
                        np.unique(sequences[test.user][NEW_USER_EVENTS:]))
               for test in test_users if len(sequences[test.user]) >= 2 * NEW_USER_EVENTS]
        for name in names:
            plain = name.endswith(NO_METADATA)
            if seed == args.seed:
                model = models[name]
            else:
                model = build(name, seed)
                fitted(model, without_metadata(train) if plain else train, without_metadata(data) if plain else data)
            found[HISTORY_FED][name].append(evaluate(model, test_users, data.n_items, args.exclude_history)[NDCG])
            found[NO_HISTORY][name].append(evaluate(model, unknown, data.n_items, args.exclude_history)[NDCG])
            found[FIRST_EVENTS][name].append(evaluate(model, new, data.n_items, args.exclude_history)[NDCG])
    for measure, by_name in found.items():
        print(f"  {measure}:")
        for name in names:
            values = "".join(f"{value:>8.4f}" for value in by_name[name])
            print(f"    {name:<38}{values}   mean {np.mean(by_name[name]):.4f}")
    return found


# ----------------------------------------------------------------------------------------------- scale

@dataclasses.dataclass
class Scale:
    interactions: int
    users: int
    items: int
    recipes: tuple[str, ...]
    seconds: dict[str, float]   # per recipe: the target for the training task
    memory_gb: float            # target for the process's peak memory
    total_seconds: float | None = None   # target for import plus every training


SCALES = {
    "1m": Scale(1_000_000, 50_000, 10_000, ("aws-popularity-count", "aws-sims", "aws-user-personalization"),
                {"aws-popularity-count": 30, "aws-sims": 30, "aws-user-personalization": 300}, 4.0),
    "20m": Scale(20_000_000, 138_000, 27_000, ("aws-popularity-count", "aws-sims"), {}, 8.0, 1200),   # ML-20M size
}
TOPICS, FAVOURITES, SESSION_LENGTH = 50, 3, 8


def synthetic(scale: Scale, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, timestamp) columns: power-law user activity and item popularity; sessions of about
    SESSION_LENGTH events, hours to days apart, each on one topic, mostly one of the user's FAVOURITES."""
    rng = np.random.default_rng(seed)
    activity = rng.pareto(2.0, scale.users) + 1.0
    counts = 1 + rng.multinomial(scale.interactions - scale.users, activity / activity.sum())
    user = np.repeat(np.arange(scale.users, dtype=np.int32), counts)
    starts = np.cumsum(counts) - counts
    position = np.arange(user.size) - starts[user]
    new_session = (position == 0) | (rng.random(user.size) < 1 / SESSION_LENGTH)
    session = np.cumsum(new_session) - 1
    session_user = user[new_session]
    favourites = rng.integers(TOPICS, size=(scale.users, FAVOURITES))
    session_topic = np.where(rng.random(session_user.size) < 0.8,
                             favourites[session_user, rng.integers(FAVOURITES, size=session_user.size)],
                             rng.integers(TOPICS, size=session_user.size))
    event_topic = session_topic[session]
    del session, session_topic
    item_topic = rng.integers(TOPICS, size=scale.items)
    popularity = 1.0 / (1.0 + rng.permutation(scale.items))   # Zipf over a random order of the items
    item = np.empty(user.size, dtype=np.int32)
    order = np.argsort(event_topic, kind="stable")
    bounds = np.searchsorted(event_topic[order], np.arange(TOPICS + 1))
    for topic in range(TOPICS):
        members = np.flatnonzero(item_topic == topic)
        chosen = order[bounds[topic]:bounds[topic + 1]]
        item[chosen] = rng.choice(members, size=chosen.size, p=popularity[members] / popularity[members].sum())
    del order, event_topic
    gaps = np.where(new_session, rng.exponential(2 * 86_400, user.size), rng.exponential(90, user.size))
    gaps[position == 0] = 0.0
    elapsed = np.cumsum(gaps)
    stamps = 1_600_000_000 + rng.integers(0, 180 * 86_400, scale.users)[user] + (elapsed - elapsed[starts[user]])
    return user, item, stamps.astype(np.int64)


def training_task(recipe: str, data: Interactions, seed: int) -> dict[str, float]:
    """What the training process does between loading the data and saving: split, fit, user states, metrics.
    The metrics, plus fit_seconds (fit and user states)."""
    train, test_users = data.split(seed=seed)
    model = build(recipe, seed)
    started = time.perf_counter()
    model.fit(train, log=lambda line: print(f"  {recipe}: {line}", file=sys.stderr))
    model.build_user_states(data)
    fit_seconds = time.perf_counter() - started
    return {**metrics.evaluate(model, test_users, data.n_items), "fit_seconds": fit_seconds}


def in_child(step, arguments: tuple, cap_seconds: float, cap_mb: float) -> tuple[float, float, dict | str]:
    """(seconds, peak MB, result or why it failed) of step(*arguments) in a forked process, which is stopped at
    cap_seconds or when its resident memory, sampled every 50 ms, passes cap_mb."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, step, arguments), daemon=True)
    started, peak, result = time.perf_counter(), 0.0, None
    process.start()
    while result is None and time.perf_counter() - started < cap_seconds:
        peak = max(peak, resident_mb(process.pid))
        if peak > cap_mb:
            result = f"stopped above {cap_mb:.0f} MB resident"
        elif receive.poll(0.05):
            result = receive.recv()
        elif not process.is_alive():
            code = process.exitcode
            result = f"the process died ({signal.Signals(-code).name if code < 0 else f'exit code {code}'})"
    seconds = time.perf_counter() - started
    if result is None:
        result = f"stopped at the cap of {cap_seconds:.0f} s"
    if process.is_alive():
        process.terminate()
    process.join()
    return seconds, peak, result


def _child(send, step, arguments: tuple) -> None:
    try:
        send.send(step(*arguments))
    except MemoryError:
        send.send("MemoryError at the address-space cap")


def scale_run(args: argparse.Namespace) -> None:
    scale = SCALES[args.scale]
    cap_mb = (scale.memory_gb + 1) * 1024   # a training is stopped a little above the target, before the machine
    backstop = int((2 * scale.memory_gb + 2) * 2**30)   # address space, should the watch miss a sudden allocation
    resource.setrlimit(resource.RLIMIT_AS, (backstop, backstop))
    started = time.perf_counter()
    user, item, stamps = synthetic(scale, args.seed)
    print(f"Synthetic data: {user.size} interactions, {scale.users} users, {scale.items} items, power-law "
          f"popularity, sessions; generated in {time.perf_counter() - started:.1f} s; seed {args.seed}; "
          f"{_load()}. Each "
          f"training runs in its own process (split, fit, user states, metrics: what the training process does "
          f"before ACTIVE), stopped above {cap_mb:.0f} MB resident; peak MB: its resident memory")
    user_ids = user.astype(f"U{len(str(scale.users))}")
    item_ids = item.astype(f"U{len(str(scale.items))}")
    del user, item
    begun = time.perf_counter()
    with PeakMemory() as memory:
        data = Interactions.from_columns(user_ids, item_ids, stamps)
    steps = [("import (Interactions.from_columns, in-process)", time.perf_counter() - begun, memory.peak, {})]
    del user_ids, item_ids, stamps
    for recipe in scale.recipes:
        remaining = (scale.total_seconds - sum(step[1] for step in steps)) if scale.total_seconds else None
        limit = remaining if remaining is not None else max(3 * scale.seconds[recipe], 120)
        steps.append((recipe, *in_child(training_task, (recipe, data, args.seed), max(limit, 1.0), cap_mb)))
    print(f"\n{'step':<48}{'seconds':>9}{'fit s':>8}{'peak MB':>9}{'NDCG@10':>9}{'P@10':>8}{'coverage':>9}")
    for name, seconds, peak, result in steps:
        if isinstance(result, str):
            print(f"{name:<48}{seconds:>9.1f}{'':>8}{peak:>9.0f}  failed: {result}")
            continue
        cells = "".join(f"{result[key]:>{width}.4f}" for key, width in ((NDCG, 9), (PRECISION, 8), ("coverage", 9))
                        ) if result else ""
        print(f"{name:<48}{seconds:>9.1f}{result.get('fit_seconds', seconds):>8.1f}{peak:>9.0f}{cells}")
    print("\nTargets")
    failed = any(isinstance(step[3], str) for step in steps)
    for name, seconds, _, result in steps[1:]:
        if name in scale.seconds:
            print(verdict(not isinstance(result, str) and seconds <= scale.seconds[name],
                          f"{name} to ACTIVE (less the import): {seconds:.1f} s (target <= {scale.seconds[name]} s)"))
    peak = max(step[2] for step in steps)
    within = peak <= scale.memory_gb * 1024
    print(verdict(None if within and failed else within,   # unknown when a step stopped early within the target
                  f"peak memory {peak:.0f} MB (target <= {scale.memory_gb * 1024:.0f} MB)"
                  f"{'; a lower bound: a step did not finish' if failed else ''}"))
    if scale.total_seconds:
        total = sum(step[1] for step in steps)
        print(verdict(not failed and total <= scale.total_seconds,
                      f"import + {' + '.join(scale.recipes)}: {total:.0f} s (target <= {scale.total_seconds} s; "
                      f"the import in-process, not the server's CSV import)"))


# ----------------------------------------------------------------------------------------------- neural only

NEURAL = ("aws-user-personalization", "aws-user-personalization-v2", "aws-hrnn", "aws-hrnn-metadata",
          "aws-hrnn-coldstart", "emulator-deepfm", "emulator-ffnn")
LAST_OUT_TARGET = 1.2   # user-personalization / the best tuned baseline, leave-last-out (issue 14)


class Request(NamedTuple):
    """A test user (as TestUser) served at a moment: the temporal protocols' requests."""
    user: int
    history: np.ndarray
    relevant: np.ndarray
    last_seen: float        # the timestamp of the history's newest event
    now: float | None       # the request's (None: the training data's end)


def leave_last_out(data: Interactions) -> tuple[Interactions, list[Request]]:
    """(everything but each user's last interaction, the users with >= 2 interactions: their history and last
    item, asked for at the time of that item, as a user asks right before taking it). Temporal: the held-out item
    is the newest of each user."""
    users, rows = data.user_rows()
    last = np.zeros(data.n_interactions, dtype=bool)
    tests = []
    for user, row in zip(users.tolist(), rows):
        if len(row) >= 2:
            last[row[-1]] = True
            tests.append(Request(user, data.item_index[row[:-1]], data.item_index[row[-1:]],
                                 float(data.timestamp[row[-2]]), float(data.timestamp[row[-1]])))
    return data.subset(~last), tests


def last_out_ndcg(model: Recommender, tests: list[Request]) -> np.ndarray:
    """(users,) NDCG@10 of the held-out items, history items excluded, full ranking over every item; models whose
    scores weigh time (an item_scores that takes `now`) learn when the user was last seen and when they ask."""
    served = WithoutHistory(model)
    states = served.states_after([test.history for test in tests], [test.user for test in tests])
    timed = "now" in inspect.signature(model.item_scores).parameters
    found = []
    for test, (state, history) in zip(tests, states):
        if timed:
            scores = model.item_scores(model.seen(state, test.last_seen), test.now).copy()
            scores[history] = -np.inf
        else:
            scores = served.item_scores((state, history))
        found.append(metrics.ranking_metrics(metrics.top_k(scores, 10), test.relevant)[NDCG])
    return np.array(found)


def tuned_last_out(model_class: type[Baseline], grid: dict[str, list[str]], data: Interactions) -> Baseline:
    """The baseline tuned on each user's second-to-last interaction (trained without the last two), then fit on
    everything but the last."""
    train, _ = leave_last_out(data)
    return tuned_on(model_class, grid, *leave_last_out(train), train)


def _mean_error(values: np.ndarray) -> str:
    return f"{values.mean():.4f} ± {values.std(ddof=1) / np.sqrt(values.size):.4f}"


def neural_quality(args: argparse.Namespace) -> None:
    """NDCG@10 of the neural recipes: on args.splits GetSolutionMetrics splits (seed = split), and leave-last-out
    with args.splits training seeds, against the tuned baselines. Standard errors over the pooled per-user
    values (both protocols) and over the splits' means (the first)."""
    data = load_movielens(args.data)
    seeds = range(args.seed, args.seed + args.splits)
    print(f"MovieLens-100K ratings >= 4, neural recipes: {data.n_interactions} interactions; {_load()}")
    print(f"\nGetSolutionMetrics split (10 % held-out users, their newest 10 % relevant, history may be recommended), "
          f"{args.splits} splits, NDCG@10 mean ± s.e. over every held-out user of every split, and the splits' means:")
    splits = [data.split(seed=seed) for seed in seeds]
    chosen = args.recipes.split(",") if args.recipes else NEURAL
    for recipe in (recipe for recipe in NEURAL if recipe in chosen):
        per_user, means, seconds = [], [], []
        for seed, (train, test_users) in zip(seeds, splits):
            model = build(recipe, seed)
            seconds.append(fitted(model, train, data)[0])
            per_user.append(per_user_ndcg(model, test_users, exclude=False))
            means.append(per_user[-1].mean())
        means = np.array(means)
        print(f"  {recipe:<30} {_mean_error(np.concatenate(per_user))}   splits {' '.join(f'{m:.4f}' for m in means)}"
              f" (s.e. {means.std(ddof=1) / np.sqrt(means.size):.4f})   fit {np.mean(seconds):.1f} s", flush=True)
    if "aws-user-personalization" not in chosen:   # the leave-last-out target is about it
        return
    train, tests = leave_last_out(data)
    print(f"\nLeave-last-out ({len(tests)} users, the newest interaction of each held out; history items excluded; "
          f"full ranking): NDCG@10 mean ± s.e. over users (recipes: {args.splits} training seeds pooled)")
    found = {}
    for name, model_class, grid in temporal_baselines():
        model = tuned_last_out(model_class, grid, data)
        found[name] = last_out_ndcg(model, tests)
        settings = " ".join(f"{key}={value}" for key, value in model.hyperparameters.items() if key in grid)
        print(f"  {name:<30} {_mean_error(found[name])}   tuned {settings}", flush=True)
    for recipe in (recipe for recipe in ("aws-user-personalization", "aws-user-personalization-v2", "aws-hrnn")
                   if recipe in chosen):
        runs = []
        for seed in seeds:
            model = build(recipe, seed)
            fitted(model, train, train)
            runs.append(last_out_ndcg(model, tests))
        found[recipe] = np.concatenate(runs)
        print(f"  {recipe:<30} {_mean_error(found[recipe])}   seeds {' '.join(f'{r.mean():.4f}' for r in runs)}",
              flush=True)
    for baselines, target, kind in ((BASELINES, LAST_OUT_TARGET, "the best tuned baseline"),
                                    (TEMPORAL_BASELINES, LAST_OUT_TIME_TARGET,
                                     "the best tuned baseline, time-aware ones included")):
        best = max((name for name in baselines if name in found), key=lambda name: found[name].mean())
        ratio = found["aws-user-personalization"].mean() / found[best].mean()
        print(verdict(ratio >= target, f"leave-last-out NDCG@10 user-personalization / {best} ({kind}) = "
                                       f"{ratio:.2f} (target >= {target})"))


TIME_CUTS = (0.8, 0.85, 0.9, 0.95)   # timestamp quantiles where the past ends: several, for enough test users
TIME_CUT_RECIPES = ("aws-user-personalization", "aws-user-personalization-v2")
TIME_CUT_TARGET = 1.0   # these recipes / the best tuned baseline, time cut (issue 15)


def time_cut(data: Interactions, quantile: float) -> tuple[Interactions, list[Request]]:
    """(the interactions before the quantile's timestamp, the users active on both sides of it: their history
    before the cut, and as relevant the items they took up after it that are not in that history, asked for at
    the training data's end)."""
    cut = np.quantile(data.timestamp, quantile)
    before = data.timestamp < cut
    train = data.subset(before)
    past = train.sequences()
    last_seen = np.zeros(data.n_users)
    np.maximum.at(last_seen, train.user_index, train.timestamp.astype(float))
    tests = []
    for user, later in data.subset(~before).sequences().items():
        new = np.setdiff1d(later, past[user]) if user in past else later[:0]
        if new.size:
            tests.append(Request(user, past[user], new, float(last_seen[user]), None))
    return train, tests


def tuned_on(model_class: type[Baseline], grid: dict[str, list[str]], fit_part: Interactions,
             validation: list[TestUser], train: Interactions) -> Baseline:
    """The baseline with the grid's settings that score best on `validation` when fit on `fit_part`, fit on
    `train`."""
    settings = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    scores = []
    for chosen in settings:
        model = model_class(chosen)
        model.fit(fit_part)
        scores.append(last_out_ndcg(model, validation).mean())
    model = model_class(settings[int(np.argmax(scores))])
    model.fit(train)
    return model


def time_cut_quality(args: argparse.Namespace) -> None:
    """NDCG@10 when the model is trained on the past and serves the future: at each of TIME_CUTS, train on the
    interactions before it; each user active on both sides gets a list (history items excluded, full ranking),
    judged on the new items they took up after the cut. Baselines are tuned on a validation cut inside the
    training part that leaves as many interactions after it; recipes train with args.splits seeds. Per-user
    values are pooled over the cuts (and seeds)."""
    data = load_movielens(args.data)
    seeds = range(args.seed, args.seed + args.splits)
    chosen = args.recipes.split(",") if args.recipes else TIME_CUT_RECIPES
    cuts = [(quantile, *time_cut(data, quantile)) for quantile in TIME_CUTS]
    print(f"MovieLens-100K ratings >= 4, global time cut at the {', '.join(f'{q:.0%}' for q in TIME_CUTS)} "
          f"timestamp quantiles: {' + '.join(str(len(tests)) for _, _, tests in cuts)} test users; NDCG@10 "
          f"mean ± s.e. over the pooled users, then each cut's mean; {_load()}")
    found = {}
    for name, model_class, grid in temporal_baselines():
        runs = []
        for quantile, train, tests in cuts:
            fit_part, validation = time_cut(train, 1 - (1 - quantile) / quantile)
            runs.append(last_out_ndcg(tuned_on(model_class, grid, fit_part, validation, train), tests))
        found[name] = np.concatenate(runs)
        print(f"  {name:<30} {_mean_error(found[name])}   cuts {' '.join(f'{r.mean():.4f}' for r in runs)}",
              flush=True)
    for recipe in chosen:
        runs = []
        for _, train, tests in cuts:
            for seed in seeds:
                model = build(recipe, seed)
                fitted(model, train, train)
                runs.append(last_out_ndcg(model, tests))
        found[recipe] = np.concatenate(runs)
        per_cut = [np.concatenate(runs[at:at + len(seeds)]).mean() for at in range(0, len(runs), len(seeds))]
        print(f"  {recipe:<30} {_mean_error(found[recipe])}   cuts {' '.join(f'{m:.4f}' for m in per_cut)}",
              flush=True)
    best = max((name for name in TEMPORAL_BASELINES if name in found), key=lambda name: found[name].mean())
    for recipe in chosen:
        ratio = found[recipe].mean() / found[best].mean()
        print(verdict(ratio >= TIME_CUT_TARGET, f"time-cut NDCG@10 {recipe} / {best} (the best tuned baseline) = "
                                                f"{ratio:.2f} (target >= {TIME_CUT_TARGET})"))


HPO_RECIPE = "aws-user-personalization"


def hpo_quality(args: argparse.Namespace) -> None:
    """performHPO against the defaults on the leave-last-out split: tuning.search over the catalogue's ranges
    with the default resources and training budget, as a solution with performHPO and no hpoConfig does
    (jobs/tasks/solution_versions.py, jobs/training_process.py), then the winner and the defaults each trained
    with args.splits seeds. NDCG@10 mean ± s.e. over the pooled users, and the paired difference."""
    data = load_movielens(args.data)
    train, tests = leave_last_out(data)
    defaults = default_hyperparameters(f"arn:aws:personalize:::recipe/{HPO_RECIPE}")
    config = {"hpoResourceConfig": {"maxNumberOfTrainingJobs": str(args.jobs)}} if args.jobs else {}
    print(f"MovieLens-100K ratings >= 4, {HPO_RECIPE}, leave-last-out ({len(tests)} users); performHPO with "
          f"{config or 'the default hpoConfig'}; {_load()}", flush=True)
    started = time.perf_counter()
    tuned, summary = tuning.search(HPO_RECIPE, train, defaults, config, args.seed, TrainingBudget(),
                                   log=lambda line: print(f"  search: {line}", file=sys.stderr, flush=True))
    wall = time.perf_counter() - started
    print(f"  search: {len(summary['trials'])} trials, {wall:.0f} s wall; validation users "
          f"{summary['validationUsers']}; best trial {summary['best'] + 1}: "
          f"{' '.join(f'{k}={tuned[k]}' for k in sorted(tuned))}", flush=True)
    found, seconds = {}, {}
    for name, settings in (("defaults", defaults), ("performHPO", tuned)):
        runs, seconds[name] = [], []
        for seed in range(args.seed, args.seed + args.splits):
            if name == "performHPO" and tuned == defaults:   # the same models again
                runs, seconds[name] = np.split(found["defaults"], args.splits), seconds["defaults"]
                break
            model = build(HPO_RECIPE, seed, settings)
            seconds[name].append(fitted(model, train, train)[0])
            runs.append(last_out_ndcg(model, tests))
        found[name] = np.concatenate(runs)
        print(f"  {name:<12} NDCG@10 {_mean_error(found[name])}   seeds {' '.join(f'{r.mean():.4f}' for r in runs)}"
              f"   fit {np.mean(seconds[name]):.1f} s", flush=True)
    print(f"  performHPO - defaults: {_mean_error(found['performHPO'] - found['defaults'])} (paired)")
    print(verdict(found["performHPO"].mean() >= found["defaults"].mean() - 1e-9,
                  "leave-last-out NDCG@10 performHPO >= defaults"))


SPREAD_TARGET = 0.05   # half-range of NDCG@10 over seeds / its mean (issue: seed spread <= ± 5 % of the mean)


def seed_spread(args: argparse.Namespace) -> None:
    """NDCG@10 of each neural recipe for args.seeds training seeds on fixed splits: each seed's value, the mean, the
    spread as half-range and as std (% of the mean), the fit time, a verdict. With --splits N, a seed's
    GetSolutionMetrics value pools the users of N fixed splits."""
    data = load_movielens(args.data)
    seeds = range(args.seed, args.seed + args.seeds)
    chosen = args.recipes.split(",") if args.recipes else NEURAL
    splits = [data.split(seed=args.seed + number) for number in range(args.splits or 1)]
    last_train, last_tests = leave_last_out(data)
    protocols = {   # [(training data, user states' data, per-user NDCG@10 of a fitted model)] of each
        f"GetSolutionMetrics ({sum(len(tests) for _, tests in splits)} users)": [
            (train, data, lambda model, tests=tests: per_user_ndcg(model, tests, False)) for train, tests in splits],
        f"leave-last-out ({len(last_tests)} users)": [
            (last_train, last_train, lambda model: last_out_ndcg(model, last_tests))],
    }
    print(f"MovieLens-100K ratings >= 4: NDCG@10 over {args.seeds} training seeds ({seeds.start}..{seeds.stop - 1}) "
          f"on fixed splits (GetSolutionMetrics: {len(splits)}, split seeds from {args.seed}); spread = half-range / "
          f"mean (target <= {SPREAD_TARGET:.0%}), std / mean beside it; s.e. users: of one seed's mean over its "
          f"users; {_load()}")
    verdicts = []
    for recipe in (recipe for recipe in NEURAL if recipe in chosen):
        for protocol, parts in protocols.items():
            values, seconds, user_error = [], [], []
            for seed in seeds:
                per_user = []
                for fit_data, full, score in parts:
                    model = build(recipe, seed)
                    seconds.append(fitted(model, fit_data, full)[0])
                    per_user.append(score(model))
                per_user = np.concatenate(per_user)
                values.append(per_user.mean())
                user_error.append(per_user.std(ddof=1) / np.sqrt(per_user.size))
            values = np.array(values)
            mean, half = values.mean(), np.ptp(values) / 2 / values.mean()
            std = values.std(ddof=1) / mean
            print(f"  {recipe:<28} {protocol:<34} seeds {' '.join(f'{v:.4f}' for v in values)}   mean {mean:.4f} "
                  f"± {values.std(ddof=1) / np.sqrt(values.size):.4f} (s.e. users {np.mean(user_error):.4f})   "
                  f"half-range {half:.1%}   std {std:.1%}   fit {np.mean(seconds):.1f} s", flush=True)
            verdicts.append(verdict(half <= SPREAD_TARGET, f"{recipe}, {protocol}: seed spread ± {half:.1%} of the "
                                                           f"mean (target <= {SPREAD_TARGET:.0%}; std {std:.1%})"))
    print("\nTargets", *verdicts, sep="\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA, help="the ml-100k directory")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude-history", action="store_true",
                        help="remove the user's history items from every model's list")
    parser.add_argument("--splits", type=int, help="splits the with/without-Items comparison averages (4); with "
                                                   "--spread, GetSolutionMetrics splits pooled (1)")
    parser.add_argument("--scale", choices=sorted(SCALES), help="time and memory on synthetic data instead")
    parser.add_argument("--neural", action="store_true", help="the neural recipes only, both protocols, with errors")
    parser.add_argument("--recipes", help="with --neural, --time-cut or --spread: only these recipes "
                                          "(comma-separated)")
    parser.add_argument("--time-cut", action="store_true", help="the global time-cut protocol only")
    parser.add_argument("--hpo", action="store_true", help="performHPO against the defaults, leave-last-out")
    parser.add_argument("--jobs", type=int, help="with --hpo: maxNumberOfTrainingJobs (default: the service's)")
    parser.add_argument("--spread", action="store_true", help="the neural recipes' NDCG@10 spread over seeds")
    parser.add_argument("--seeds", type=int, default=5, help="with --spread: training seeds on each split")
    args = parser.parse_args()
    if args.splits is None and not args.spread:
        args.splits = 4
    if args.hpo:
        hpo_quality(args)
    elif args.spread:
        seed_spread(args)
    elif args.time_cut:
        time_cut_quality(args)
    elif args.neural:
        neural_quality(args)
    else:
        scale_run(args) if args.scale else quality(args)


if __name__ == "__main__":
    main()
