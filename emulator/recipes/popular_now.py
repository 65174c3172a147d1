"""The "popular now" term of the user-personalization recipes' scores (the GRU's and v2's): each item's interactions
in a window of days before the request, log(1 + count), lifted by a weight that depends on how long the user has
been away. On ML-100K the newest event of a user who is in the middle of a session follows from their last items,
and popularity only blurs it; a user who comes back after days takes up what is popular at that moment (trained
before a global time cut, the GRU with its item term scored 0.16 NDCG@10 and popularity over the last 30 days
0.20). Items first taken in the last days (fresh) can get a lift of their own, also by the time away. The window,
the fresh days and the weights of each gap are chosen on the validation users' events, each predicted at its own
time from the events before it.

A request is at the training data's end, or at the user's newest event if later; the gap is the time from the
user's newest event to it. At serving, a user whose events streamed in is asked at their newest event plus the time
the server's clock ran since the latest arrived (away): sentAt alone would keep them in a session for ever. A user
whose newest event's time is unknown (never seen, or a history replayed without times, as GetSolutionMetrics does)
gets no term. Counts are kept per day, so that the popularity of any moment of the training data can be read back
(the validation, and benchmarks that ask at a past moment); a moment inside the data counts only the whole days
before it, never an event after it, and one after the data's end counts up to its end: nothing later is known."""

import functools
import math
from dataclasses import dataclass, field

import numpy as np

from emulator.recipes import metrics
from emulator.recipes.data import Interactions

DAY = 86_400.0
WINDOWS = (7.0, 14.0, 30.0, 60.0)                 # days of interactions that make an item popular now
GAPS = (3_600.0, DAY, 7 * DAY)                     # gap bounds: within a session, the same day, the week, longer
CLASSES = len(GAPS) + 1                            # gap classes
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)          # in standard deviations of the user's scores per log(1 + count)
FRESH_DAYS = (7.0, 30.0)                           # an item first taken within this many days before is fresh ...
FRESH_WEIGHTS = (0.0, 0.5, 1.0, 2.0)               # ... and lifted by one of these standard deviations
MIN_TARGETS = 40      # validation events a gap class needs for a weight; fewer: no lift (no evidence either way)
TARGETS = 3000        # validation events at most, half of them returns; and at most CELLS / items of them (each
CELLS = 4_000_000     # window and weight ranks the catalogue for every event)
SETTLE = 1.01         # a gap class changes for a cached user's scores this share after its bound (away)
KEPT_DAYS = 400       # days of counts kept before the data's end
KEYS = ("popular_days", "popular_bounds", "popular_items", "popular_counts", "popular_choice", "user_seen")


@dataclass
class DailyCounts:
    """Each day's interactions per item, as a sparse table over days since `first`."""
    first: int               # the first kept day (days since the epoch)
    bounds: np.ndarray       # (days + 1,) rows of each day in items/counts
    items: np.ndarray        # (nnz,) int32
    counts: np.ndarray       # (nnz,) float32
    end: float               # the newest interaction's timestamp
    n_items: int
    _latest: dict = field(default_factory=dict)   # (reading, days) -> its value at the end (_read)

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
        return self._read(self._window, moment, days)

    def fresh(self, moment: float, days: float) -> np.ndarray:
        """(n_items,) float64, read-only: 1 for the items first taken within the `days` days before `moment` (the
        days `at` reads), else 0. An item taken on the first kept day counts from that day."""
        return self._read(self._fresh, moment, days)

    def _read(self, compute, moment: float, days: float) -> np.ndarray:
        """compute(stop day, days) for `moment`; from the data's end on, what every request after training reads,
        computed once."""
        if moment < self.end:
            return compute(self._stop(moment), days)
        found = self._latest.get((compute.__name__, days))
        if found is None:
            found = self._latest[(compute.__name__, days)] = compute(self._stop(moment), days)
            found.flags.writeable = False
        return found

    def _stop(self, moment: float) -> int:
        """The day (since `first`) before which `moment` reads: its own, or from the data's end on the next."""
        return int(np.floor(min(moment, self.end) / DAY)) - self.first + int(moment >= self.end)

    @functools.cached_property
    def _first_day(self) -> np.ndarray:
        """(n_items,) the day (since `first`) of each item's first counted interaction; never: past every day."""
        days = np.repeat(np.arange(len(self.bounds) - 1), np.diff(self.bounds))
        found = np.full(self.n_items, len(self.bounds), dtype=np.int64)
        np.minimum.at(found, self.items, days)
        return found

    def _fresh(self, stop: int, days: float) -> np.ndarray:
        """1 for the items first taken in the `days` days before day `stop` (since `first`), else 0."""
        return ((self._first_day >= stop - int(days)) & (self._first_day < stop)).astype(np.float64)

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


@dataclass(frozen=True)
class Targets:
    """The validation events, each to be predicted at its own time from the events before it: every user's
    events after a gap of an hour or more (returns, 3 % of ML-100K's: the validation users alone have too few)
    and the validation users' others, at most TARGETS; none whose item is among the `window` before it."""
    owners: np.ndarray           # (users,) the user index of each history
    histories: list[np.ndarray]  # each owner's items in time order, through their last target
    which: np.ndarray            # (targets,) the history of each target
    ends: np.ndarray             # (targets,) the target's position in it: predicted from history[:end]
    items: np.ndarray            # (targets,) the target items
    moments: np.ndarray          # (targets,) their timestamps: the request's
    gaps: np.ndarray             # (targets,) seconds since the event before
    window: int

    @classmethod
    def of(cls, data: Interactions, validation_users: list[int], window: int, seed: int) -> "Targets":
        order = np.argsort(data.user_index, kind="stable")   # by user, time order kept within each
        users, items, times = data.user_index[order], data.item_index[order], data.timestamp[order].astype(float)
        starts = np.searchsorted(users, users)
        gaps = np.diff(times, prepend=np.nan)
        gaps[np.arange(users.size) == starts] = np.nan   # a user's first event has no event before it
        away = gaps >= GAPS[0]
        within = (gaps < GAPS[0]) & np.isin(users, validation_users)
        most = max(min(TARGETS, CELLS // max(data.n_items, 1)), 2)
        rng = np.random.default_rng(seed)
        chosen = rng.permutation(np.flatnonzero(away))[:most // 2]
        chosen = np.sort(np.concatenate([chosen, rng.permutation(np.flatnonzero(within))[:most - len(chosen)]]))
        chosen = chosen[[items[at] not in items[max(starts[at], at - window):at] for at in chosen.tolist()]]
        owners, which = np.unique(users[chosen], return_inverse=True)
        histories = [items[starts[at]:at + 1] for at in np.searchsorted(users, owners, side="right") - 1]
        return cls(owners, histories, which.reshape(-1), chosen - starts[chosen], items[chosen], times[chosen],
                   gaps[chosen], window)

    def __len__(self) -> int:
        return len(self.items)

    def prefixes(self) -> list[np.ndarray]:
        """What each target is predicted from: the `window` events before it."""
        return [self.histories[w][max(e - self.window, 0):e] for w, e in zip(self.which.tolist(), self.ends.tolist())]


def fit(targets: Targets, scores: np.ndarray, counts: DailyCounts) -> np.ndarray | None:
    """The term's choice (the counts' end, the window days, a weight per gap class, the fresh days, a freshness
    weight per gap class) on the model's (targets, n_items) scores of the targets, the items of each prefix left
    out as the target is; None when every weight is 0."""
    scores = scores.astype(np.float32)
    for row, prefix in enumerate(targets.prefixes()):
        scores[row, prefix] = -np.inf
    days, weights, fresh_days, fresh = choose(scores, targets.items, targets.moments, targets.gaps, counts)
    return np.array([counts.end, days, *weights, fresh_days, *fresh]) if weights.any() or fresh.any() else None


def parts(choice: np.ndarray) -> tuple[float, np.ndarray, float, np.ndarray]:
    """(window days, a weight per gap class, fresh days, a freshness weight per class) of a choice as `fit` makes
    it, after the data's end; one saved before item age was weighed has no freshness."""
    if len(choice) == 2 + CLASSES:
        return float(choice[1]), choice[2:], FRESH_DAYS[0], np.zeros(CLASSES)
    return float(choice[1]), choice[2:2 + CLASSES], float(choice[2 + CLASSES]), choice[3 + CLASSES:]


def gap_class(gaps: np.ndarray) -> np.ndarray:
    """Index into the weights of each gap in seconds."""
    return np.searchsorted(np.array(GAPS), gaps, side="right")


def away(newest: float, received: float, wall: float, day_seconds: float) -> tuple[float, float]:
    """(the request's moment in the data's clock, the wall time at which the user's gap class next changes) for a
    user whose streamed events arrived, the latest at wall time `received`, up to `newest` in the data's clock: their
    time away runs on the server's clock, a DAY of it per `day_seconds` (settings.day_seconds), not on sentAt,
    which a client may replay from data years old."""
    scale = DAY / day_seconds
    elapsed = max(wall - received, 0.0) * scale
    later = [bound for bound in GAPS if bound > elapsed]
    # a little after the bound: hrnn keeps a state's time in float32 days, seconds off when years from the data's end
    return newest + elapsed, received + later[0] * SETTLE / scale if later else math.inf


def choose(scores: np.ndarray, targets: np.ndarray, moments: np.ndarray, gaps: np.ndarray,
           counts: DailyCounts) -> tuple[float, np.ndarray, float, np.ndarray]:
    """(window days, a weight per gap class, fresh days, a freshness weight per gap class) that rank the targets
    best, NDCG@10 of each target among `scores` (targets, n_items; -inf for items left out) plus, in the row's
    standard deviations, weight x the popularity at its moment, then freshness weight x 1 for items fresh then.
    A class with fewer than MIN_TARGETS targets gets 0; all-zero weights mean no term."""
    classes = gap_class(gaps)
    finite = np.where(np.isfinite(scores), scores, np.nan)
    spread = np.nan_to_num(np.nanstd(finite, axis=1), nan=0.0)[:, None].astype(np.float32)
    # a moment inside the data reads the whole days before its own: one reading per distinct day
    days_of = np.where(moments >= counts.end, np.inf, np.floor(moments / DAY))
    distinct, position = np.unique(days_of, return_inverse=True)

    def at_moments(read) -> np.ndarray:   # (targets, n_items) float32: read(moment) at each target's, x spread
        per_day = np.stack([read(day * DAY if np.isfinite(day) else counts.end) for day in distinct])
        return per_day.astype(np.float32)[position.reshape(-1)] * spread

    def best_per_class(base: np.ndarray, lift: np.ndarray, grid: tuple) -> tuple[float, np.ndarray]:
        """(summed NDCG, a weight of `grid` per gap class) of base + weight x lift."""
        gains = np.stack([metrics.target_ndcg(base + np.float32(weight) * lift, targets) for weight in grid])
        weights, total = np.zeros(CLASSES), 0.0
        for gap in range(CLASSES):
            mine = classes == gap
            chosen = int(np.argmax(gains[:, mine].sum(axis=1))) if mine.sum() >= MIN_TARGETS else 0
            weights[gap] = grid[chosen]
            total += gains[chosen, mine].sum()
        return total, weights

    best = (-1.0, WINDOWS[0], np.zeros(CLASSES), None)
    for days in WINDOWS:
        popular = at_moments(lambda moment: counts.at(moment, days))
        total, weights = best_per_class(scores, popular, WEIGHTS)
        if total > best[0] + 1e-9:
            best = (total, days, weights, popular)
    _, days, weights, popular = best
    lifted = scores + np.float32(weights)[classes][:, None] * popular
    fresh_best = (best[0] + 1e-9, FRESH_DAYS[0], np.zeros(CLASSES))
    for fresh_days in FRESH_DAYS:
        total, fresh = best_per_class(lifted, at_moments(lambda moment: counts.fresh(moment, fresh_days)),
                                      FRESH_WEIGHTS)
        if total > fresh_best[0]:
            fresh_best = (total, fresh_days, fresh)
    return days, weights, fresh_best[1], fresh_best[2]


def term(state: dict[str, np.ndarray], counts: DailyCounts, scores: np.ndarray, last_seen: float,
         now: float | None) -> np.ndarray | None:
    """What the term adds to a user's scores for a request at `now` (None: the data's end, or the user's newest
    event if later) from a user whose newest event was at `last_seen`; None when it adds nothing, as for a user
    whose time is unknown (a history replayed without times, a user never seen)."""
    if np.isnan(last_seen):
        return None
    days, weights, fresh_days, fresh_weights = parts(state["popular_choice"])
    moment = max(counts.end, last_seen) if now is None else now
    gap = int(gap_class(np.array([moment - last_seen]))[0])
    weight, fresh = weights[gap], fresh_weights[gap]
    if weight == 0.0 and fresh == 0.0:
        return None
    lift = weight * counts.at(moment, days)
    if fresh:
        lift = lift + fresh * counts.fresh(moment, fresh_days)
    return float(np.std(scores)) * lift


class PopularNow:
    """A model's side of the term (mixed into the Recommender): the choice and the daily counts live in `state`;
    a user's state carries the time of their newest event."""
    _counts: DailyCounts | None = None

    @property
    def weighs_time(self) -> bool:
        """Whether the model has the term: its states carry a time and its item_scores take `now`."""
        return "popular_choice" in self.state

    @property
    def _clock(self) -> int:
        """1 when the model has the term, else 0: the time entries of a state."""
        return int(self.weighs_time)

    def _fit_popular(self, targets: Targets, scores: np.ndarray, data: Interactions) -> None:
        """Choose the term on the model's scores of `targets` (fit) and keep it with `data`'s counts until
        build_user_states counts every training event; no term when every weight is 0."""
        counts = DailyCounts.of(data)
        choice = fit(targets, scores, counts)
        if choice is not None:
            self.state["popular_choice"] = choice
            self._adopt(counts)

    def _count(self, data: Interactions) -> None:
        """Count `data`'s events per day and item; its end becomes the term's."""
        self._adopt(DailyCounts.of(data))

    def _adopt(self, counts: DailyCounts) -> None:
        self._counts = counts
        self.state.update(counts.to_state())
        self.state["popular_choice"][0] = counts.end

    def prepare(self) -> None:
        super().prepare()
        self._counts = DailyCounts.from_state(self.state) if self._clock else None

    def _popular(self, scores: np.ndarray, last_seen: float, now: float | None) -> np.ndarray:
        """`scores` with the term added (in place) for a user last seen at `last_seen` (NaN: unknown)."""
        if self._clock:
            lift = term(self.state, self._counts, scores, last_seen, now)
            if lift is not None:
                scores += lift
        return scores
