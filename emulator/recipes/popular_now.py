"""The "popular now" term of aws-user-personalization's scores: each item's interactions in the WINDOW days
before the request, log(1 + count), lifted by a weight that depends on how long the user has been away. On
ML-100K the newest event of a user who is in the middle of a session follows from their last items, and
popularity only blurs it; a user who comes back after days takes up what is popular at that moment (trained
before a global time cut, the GRU with its item term scored 0.16 NDCG@10 and popularity over the last 30 days
0.20). The window and the weight of each gap are chosen on the validation users' events, each predicted at its
own time from the events before it.

A request is at the training data's end, or at the user's newest event if later; the gap is the time from the
user's newest event to it. A user whose newest event's time is unknown (never seen, or a history replayed
without times, as GetSolutionMetrics does) gets no term. Counts are kept per day, so that the popularity of
any moment of the training data can be read back (the validation, and benchmarks that ask at a past moment); a
moment inside the data counts only the whole days before it, never an event after it."""

from dataclasses import dataclass, field

import numpy as np

from emulator.recipes.data import Interactions

DAY = 86_400.0
WINDOWS = (7.0, 14.0, 30.0, 60.0)                 # days of interactions that make an item popular now
GAPS = (3_600.0, DAY, 7 * DAY)                     # gap bounds: within a session, the same day, the week, longer
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)          # in standard deviations of the user's scores per log(1 + count)
MIN_TARGETS = 40      # validation events a gap needs for a weight of its own; fewer: the next shorter gap's
KEPT_DAYS = 400       # days of counts kept before the data's end
KEYS = ("popular_days", "popular_bounds", "popular_items", "popular_counts", "popular_choice")


@dataclass
class DailyCounts:
    """Each day's interactions per item, as a sparse table over days since `first`."""
    first: int               # the first kept day (days since the epoch)
    bounds: np.ndarray       # (days + 1,) rows of each day in items/counts
    items: np.ndarray        # (nnz,) int32
    counts: np.ndarray       # (nnz,) float32
    end: float               # the newest interaction's timestamp
    n_items: int
    _latest: dict = field(default_factory=dict)   # window days -> at(end): what every request after training reads

    @classmethod
    def of(cls, data: Interactions) -> "DailyCounts":
        end = float(data.timestamp.max(initial=0))
        day = np.floor(data.timestamp / DAY).astype(np.int64)
        first = int(day.max(initial=0)) - KEPT_DAYS
        kept = day >= first
        key = (day[kept] - first) * data.n_items + data.item_index[kept]
        distinct, counts = np.unique(key, return_counts=True)
        days, items = np.divmod(distinct, data.n_items)
        bounds = np.searchsorted(days, np.arange(KEPT_DAYS + 2))
        return cls(first, bounds, items.astype(np.int32), counts.astype(np.float32), end, data.n_items)

    def at(self, moment: float, days: float) -> np.ndarray:
        """(n_items,) float64 log(1 + interactions in the `days` before `moment`), read-only: the whole days before
        the moment's own; from the data's end on, the days up to it, its own included (nothing later is known)."""
        if moment >= self.end:
            found = self._latest.get(days)
            if found is None:
                found = self._latest[days] = self._window(int(np.floor(self.end / DAY)) - self.first + 1, days)
                found.flags.writeable = False
            return found
        return self._window(int(np.floor(moment / DAY)) - self.first, days)

    def _window(self, stop: int, days: float) -> np.ndarray:
        """log(1 + counts) of the `days` days before day `stop` (since `first`)."""
        lo, hi = (int(self.bounds[np.clip(day, 0, len(self.bounds) - 1)]) for day in (stop - int(days), stop))
        return np.log1p(np.bincount(self.items[lo:hi], self.counts[lo:hi], minlength=self.n_items))

    def to_state(self) -> dict[str, np.ndarray]:
        return {"popular_days": np.array([self.first, self.n_items], dtype=np.int64), "popular_bounds": self.bounds,
                "popular_items": self.items, "popular_counts": self.counts}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> "DailyCounts":
        first, n_items = state["popular_days"].tolist()
        return cls(first, state["popular_bounds"], state["popular_items"], state["popular_counts"],
                   float(state["popular_choice"][0]), n_items)


def gap_class(gaps: np.ndarray) -> np.ndarray:
    """Index into the weights of each gap in seconds."""
    return np.searchsorted(np.array(GAPS), gaps, side="right")


def choose(scores: np.ndarray, targets: np.ndarray, moments: np.ndarray, gaps: np.ndarray,
           counts: DailyCounts) -> tuple[float, np.ndarray]:
    """(window days, a weight per gap class) that rank the targets best, NDCG@10 of each target among `scores`
    (targets, n_items; -inf for items left out) plus weight x the row's standard deviation x the popularity at its
    moment. A class with fewer than MIN_TARGETS targets takes the next shorter one's weight; all-zero weights
    mean no term."""
    rows, classes = np.arange(len(targets)), gap_class(gaps)
    finite = np.where(np.isfinite(scores), scores, np.nan)
    spread = np.nan_to_num(np.nanstd(finite, axis=1), nan=0.0)[:, None].astype(np.float32)
    best = (-1.0, WINDOWS[0], np.zeros(len(GAPS) + 1))
    for days in WINDOWS:
        popular = np.stack([counts.at(moment, days) for moment in moments]).astype(np.float32) * spread
        gains = np.empty((len(WEIGHTS), len(targets)))
        for number, weight in enumerate(WEIGHTS):
            lifted = scores + np.float32(weight) * popular
            above = np.count_nonzero(lifted > lifted[rows, targets][:, None], axis=1)
            gains[number] = np.where(above < 10, 1.0 / np.log2(above + 2.0), 0.0)
        weights, total = np.zeros(len(GAPS) + 1), 0.0
        for gap in range(len(GAPS) + 1):
            mine = classes == gap
            chosen = int(np.argmax(gains[:, mine].sum(axis=1))) if mine.sum() >= MIN_TARGETS else None
            weights[gap] = WEIGHTS[chosen] if chosen is not None else weights[gap - 1] if gap else 0.0
            total += gains[WEIGHTS.index(weights[gap]), mine].sum()
        if total > best[0] + 1e-9:
            best = (total, days, weights)
    return best[1], best[2]


def term(state: dict[str, np.ndarray], counts: DailyCounts, scores: np.ndarray, last_seen: float,
         now: float | None) -> np.ndarray | None:
    """What the term adds to a user's scores for a request at `now` (None: the data's end, or the user's newest
    event if later) from a user whose newest event was at `last_seen`; None when it adds nothing, as for a user
    whose time is unknown (a history replayed without times, a user never seen)."""
    if np.isnan(last_seen):
        return None
    choice = state["popular_choice"]   # data's end, window days, then a weight per gap class
    moment = max(counts.end, last_seen) if now is None else now
    weight = choice[2 + int(gap_class(np.array([moment - last_seen]))[0])]
    if weight == 0.0:
        return None
    return weight * float(np.std(scores)) * counts.at(moment, float(choice[1]))
