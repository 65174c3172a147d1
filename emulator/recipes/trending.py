"""aws-trending-now: the items whose interactions grow fastest from one trend-discovery window to the next.
spec: recipes-and-models.md §5.6"""

import re
from collections.abc import Callable
from typing import ClassVar

import numpy as np

from emulator.recipes import metrics
from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions

TRENDING = 500             # positive trends kept; the rest of the list follows by recent count
EMPTY = np.zeros(0, dtype=np.float32)
UNITS = {"min": 60, "minute": 60, "minutes": 60, "m": 60, "h": 3_600, "hour": 3_600, "hours": 3_600,
         "hr": 3_600, "d": 86_400, "day": 86_400, "days": 86_400}


class TrendingNow(Recommender):
    recipe = "aws-trending-now"
    returns_scores = False   # a popular-items list, like Popularity-Count
    DEFAULTS: ClassVar[dict[str, str]] = {"trend_discovery_frequency": "3h"}   # a feature transformation parameter (spec §5.6)

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        window = window_seconds(self.hyperparameters["trend_discovery_frequency"])
        end = int(train.timestamp.max(initial=0))
        self.state["item_scores"] = trend_scores(train.item_index, train.timestamp, train.n_items, window, end)
        self.state["window_seconds"], self.state["data_time"] = np.int64(window), np.int64(end)
        self._remember_ids(train)
        accuracy = trend_prediction_accuracy(train.item_index, train.timestamp, train.n_items, window, end)
        self.fit_metrics = {"trend_prediction_accuracy": round(accuracy, 4)}
        log(f"trends of {train.n_items} items over windows of {window} s ending at {end}; "
            f"trend prediction accuracy {accuracy:.4f}")

    def initial_state(self, user: int | None) -> np.ndarray:
        return EMPTY

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return state   # the user only matters to filters; new events count at the next window

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.state["item_scores"].copy()


def window_seconds(frequency: str) -> int:
    """'30 min', '1h', '3h', '1 day' (and spellings like '3 hours', '1d') -> seconds."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*", str(frequency).lower())
    if found is None or found.group(2) not in UNITS or float(found.group(1)) <= 0:
        raise ValueError(f"trend_discovery_frequency {frequency!r} is not a duration such as 30 min, 1h, 3h "
                         f"or 1 day.")
    return int(float(found.group(1)) * UNITS[found.group(2)])


def window_counts(item_index: np.ndarray, timestamp: np.ndarray, n_items: int, window: int,
                  end: int) -> tuple[np.ndarray, np.ndarray]:
    """(n_items,) interaction counts of the window (end - window, end] and of the one before it."""
    def count(start: int, stop: int) -> np.ndarray:
        inside = (timestamp > start) & (timestamp <= stop)
        return np.bincount(item_index[inside], minlength=n_items).astype(np.float64)
    return count(end - window, end), count(end - 2 * window, end - window)


def trend_scores(item_index: np.ndarray, timestamp: np.ndarray, n_items: int, window: int,
                 end: int) -> np.ndarray:
    """(n_items,) scores in (0, 1] whose order is the trending list at `end`: the TRENDING items of highest
    positive trend (c_k - c_k-1) / sqrt(c_k-1 + 1), ties by c_k; then the rest by c_k, then by all interactions
    up to `end`, then by index. Serving can call this again with streamed events and a later `end`."""
    recent, before = window_counts(item_index, timestamp, n_items, window, end)
    total = np.bincount(item_index[timestamp <= end], minlength=n_items).astype(np.float64)
    trend = (recent - before) / np.sqrt(before + 1.0)
    rising = np.flatnonzero(trend > 0)
    trending = np.zeros(n_items, dtype=bool)
    trending[rising[np.lexsort((rising, -recent[rising], -trend[rising]))][:TRENDING]] = True
    order = np.lexsort((np.arange(n_items), -total, -recent, -np.where(trending, trend, 0.0), ~trending))
    scores = np.empty(n_items, dtype=np.float64)
    scores[order] = (n_items - np.arange(n_items)) / max(n_items, 1)
    return scores


def trend_prediction_accuracy(item_index: np.ndarray, timestamp: np.ndarray, n_items: int, window: int,
                              end: int, k: int = 25) -> float:
    """spec §5.6: the last window is the test period; the list is computed from the windows before it. The
    actual increases of its top k items over the sum of the k largest actual increases, clipped to [0, 1];
    0.0 when nothing grew."""
    actual, before = window_counts(item_index, timestamp, n_items, window, end)
    increase = actual - before
    best = np.sort(increase)[::-1][:k]
    ideal = best[best > 0].sum()
    if ideal <= 0:
        return 0.0
    past = timestamp <= end - window
    predicted = metrics.top_k(trend_scores(item_index[past], timestamp[past], n_items, window, end - window), k)
    return float(np.clip(increase[predicted].sum() / ideal, 0.0, 1.0))
