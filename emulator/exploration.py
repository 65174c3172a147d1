"""Exploration of new and little-seen items for User-Personalization campaigns: Thompson sampling over each
eligible item's live click feedback. spec: recipes-and-models.md §2.6 (eligibility, scale) and
personalize-behavior.md §3.11 (the settings).

Each eligible item (young, or added after training) has a Beta(1 + takes, 1 + ignored impressions) belief about
how often it is taken when shown. A draw θ from it, against the campaign's own take rate r, lifts the item's logit
by weight · 2 · σ · max(0, ln(θ / r)) / √(1 + n), n its training interactions (what the model already knows of it,
as §2.6's formula discounts): an unseen new item draws around ½ against a typical r of 0.1, about one standard
deviation of lift at the default weight 0.3 (as §2.6 sets); items shown and ignored sink to no lift; items taken
more often than the campaign's picks keep theirs."""

import hashlib
import math
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from emulator.datasets import group as group_data
from emulator.store.arns import dataset_arn
from emulator.store.dataset_rows import Change

DEFAULT_WEIGHT, DEFAULT_AGE_CUT_OFF_DAYS = 0.3, 30.0
DAY = 86_400.0
LIFT = 2.0            # in standard deviations of the user's logits, per unit of ln(θ / r), at weight 1
PRIOR_TAKES, PRIOR_SHOWN = 1.0, 10.0   # the campaign's take rate before any feedback: 0.1
BELIEFS_KEPT = 8      # candidate sets whose beliefs a campaign keeps between snapshots
PENDING_KEPT = 1_000  # answers whose shown items wait to be counted
GAINS_KEPT = 1_000_000   # values of users' draws a campaign keeps per snapshot (8 MB), the oldest dropped first


@dataclass(frozen=True)
class ItemStats:
    """What exploration needs to know about each catalogue item, taken at training time."""
    interactions: np.ndarray   # (n_items,) training interactions per item
    age_days: np.ndarray       # (n_items,) days between the item's first interaction and the data's last

    @classmethod
    def from_arrays(cls, item_index: np.ndarray, timestamp: np.ndarray, n_items: int) -> "ItemStats":
        counts = np.bincount(item_index, minlength=n_items).astype(np.float64)
        first = np.full(n_items, np.inf)
        np.minimum.at(first, item_index, timestamp.astype(np.float64))
        latest = float(timestamp.max()) if timestamp.size else 0.0
        age = np.where(np.isfinite(first), (latest - first) / DAY, 0.0)   # never seen: new, age 0
        return cls(counts, age)


@dataclass
class Feedback:
    """Live counters of one campaign since its model was trained: items shown by it, items acted on. Exploration
    reads a snapshot taken every `refresh_seconds`, so a user's list stays stable in between."""
    refresh_seconds: float = 60.0
    shown: Counter = field(default_factory=Counter)
    taken: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _snapshot: tuple[dict, dict] = ({}, {})
    _taken_at: float = -math.inf
    _beliefs: dict = field(default_factory=dict)   # (candidates' dtype, shape, bytes) -> beliefs of the snapshot
    _pending: list = field(default_factory=list)   # answers' items not yet counted in `shown`

    def showed(self, item_ids: list[str]) -> None:
        """Count an answer's items as shown: once enough answers have gathered, or at the next snapshot (counting
        every answer's items as it went out took 10 us of a GetRecommendations once caches were cold)."""
        with self.lock:
            self._pending.append(item_ids)
            if len(self._pending) >= PENDING_KEPT:
                self._count_pending()

    def _count_pending(self) -> None:
        """Called with the lock held."""
        self.shown.update(chain.from_iterable(self._pending))
        self._pending = []

    def took(self, item_ids: list[str]) -> None:
        with self.lock:
            self.taken.update(item_ids)

    def beliefs(self, item_ids: np.ndarray, key: tuple | None = None) -> "Beliefs":
        """Each item's Beta belief and the campaign's take rate, from the latest snapshot: the same arrays (read-only)
        for the same items until the next snapshot, since working them out took a sixth of a GetRecommendations.
        `key`: belief_key(item_ids), if the caller keeps it."""
        key = key or belief_key(item_ids)
        with self.lock:
            if time.monotonic() - self._taken_at >= self.refresh_seconds:
                self._count_pending()
                self._snapshot, self._taken_at = (dict(self.taken), dict(self.shown)), time.monotonic()
                self._beliefs = {}
            found, snapshot, kept = self._beliefs.get(key), self._snapshot, self._beliefs
        if found is None:
            found = _believed(item_ids, *snapshot)
            with self.lock:
                if len(kept) >= BELIEFS_KEPT:   # a few candidate sets per snapshot; more means new items came
                    kept.clear()
                kept[key] = found
        return found


class Beliefs:
    """Each candidate's Beta belief and the campaign's take rate in one snapshot, with the draws made from them:
    a (campaign, user) draws the same θ until the next snapshot, so what its draws give is kept (a generator seeded
    and hundreds of Beta draws were a third of a GetRecommendations once the caches had gone cold)."""

    def __init__(self, alpha: np.ndarray, beta: np.ndarray, rate: float) -> None:
        self.alpha, self.beta, self.rate = alpha, beta, rate   # (n,) 1 + takes, (n,) 1 + ignored impressions
        self._informed = np.flatnonzero((alpha != 1.0) | (beta != 1.0))   # candidates with feedback
        self.sums = f"{alpha.sum()}|{beta.sum()}"              # part of each user's seed
        self._gains: OrderedDict[str, np.ndarray] = OrderedDict()   # seed text -> gains, oldest first
        self._kept = max(1, GAINS_KEPT // max(alpha.size, 1))
        self._lock = threading.Lock()

    def gains(self, seed_text: str) -> np.ndarray:
        """(n,) max(0, ln(θ / r)) of each candidate for one (campaign, user), read-only: θ its draw, r the take
        rate."""
        found = self._gains.get(seed_text)
        if found is None:
            seed = int.from_bytes(hashlib.sha256(f"{seed_text}|{self.sums}".encode()).digest()[:8], "little")
            # Beta(1, 1) is the uniform: only candidates with feedback need numpy's Beta draw, 14 times slower
            # (119 against 8.6 µs for 1,682 candidates), and most of a campaign's candidates have none
            draws = np.random.default_rng(seed)
            theta = draws.random(self.alpha.size)
            theta[self._informed] = draws.beta(self.alpha[self._informed], self.beta[self._informed])
            found = np.maximum(0.0, np.log(theta / self.rate))
            found.flags.writeable = False
            with self._lock:
                self._gains[seed_text] = found
                while len(self._gains) > self._kept:
                    self._gains.popitem(last=False)
        return found


def belief_key(item_ids: np.ndarray) -> tuple:
    return item_ids.dtype.str, item_ids.shape, item_ids.tobytes()


def _believed(item_ids: np.ndarray, taken: dict, shown: dict) -> Beliefs:
    # takes of items the campaign showed (events on other items are no answer to its recommendations)
    rate = (PRIOR_TAKES + sum(min(taken.get(item, 0), count) for item, count in shown.items())) / (
        PRIOR_SHOWN + sum(shown.values()))
    taken = np.array([taken.get(item, 0) for item in item_ids.tolist()], dtype=np.float64)
    shown = np.array([shown.get(item, 0) for item in item_ids.tolist()], dtype=np.float64)
    alpha, beta = 1.0 + taken, 1.0 + np.maximum(shown - taken, 0.0)
    alpha.flags.writeable = beta.flags.writeable = False   # shared by every request until the next snapshot
    return Beliefs(alpha, beta, rate)


def campaign_settings(campaign_config: dict | None) -> tuple[float, float]:
    """(explorationWeight, explorationItemAgeCutOff) of a campaign, with the service's defaults."""
    config = (campaign_config or {}).get("itemExplorationConfig") or {}
    return (float(config.get("explorationWeight", DEFAULT_WEIGHT)),
            float(config.get("explorationItemAgeCutOff", DEFAULT_AGE_CUT_OFF_DAYS)))


def explore(scores: np.ndarray, eligible: np.ndarray, trained: np.ndarray, item_ids: np.ndarray, feedback: Feedback,
            weight: float, seed_text: str) -> np.ndarray:
    """Logits with the Thompson lift on eligible items; `trained`: each item's training interactions. Weight 0
    leaves them untouched; a (campaign, user) sees a stable list until the feedback changes."""
    if weight <= 0 or not eligible.any():
        return scores
    positions = np.flatnonzero(eligible)
    return _lifted(scores, positions, np.sqrt(1.0 + trained[positions]), feedback.beliefs(item_ids[positions]),
                   weight, seed_text)


def lift(scores: np.ndarray, candidates: "Candidates", beliefs: "Beliefs", weight: float, seed_text: str) -> np.ndarray:
    """explore() over candidates worked out beforehand, with the beliefs of their feedback; `scores` covers
    candidates.ids."""
    if weight <= 0 or not candidates.eligible.size:
        return scores
    return _lifted(scores, candidates.eligible, candidates.damping, beliefs, weight, seed_text)


def _lifted(scores: np.ndarray, positions: np.ndarray, damping: np.ndarray, beliefs: "Beliefs", weight: float,
            seed_text: str) -> np.ndarray:
    gains = beliefs.gains(seed_text)
    total = np.add.reduce(scores)
    if math.isfinite(total):   # so is every score
        spread = _std(scores, total)
    else:
        finite = np.isfinite(scores)
        spread = _std(scores[finite], np.add.reduce(scores[finite])) if finite.any() else 1.0
    lifted = scores.copy()
    lifted[positions] += weight * LIFT * max(spread, 1e-6) * gains / damping
    return lifted


def _std(values: np.ndarray, total: np.float64) -> np.float64:
    """values.std() given values' sum: the same number by the same operations, without numpy's generic path (half
    its time)."""
    deviations = values - total / values.size
    np.multiply(deviations, deviations, out=deviations)
    return np.sqrt(np.add.reduce(deviations) / values.size)


@dataclass(frozen=True, eq=False)
class Candidates:
    """The items of a campaign's answers (the model's, then the Items records added since training) and those
    exploration may lift, worked out once per loaded model, new items and age cut-off, not per request."""
    ids: np.ndarray            # (n,) item ids
    new: "NewItems"            # the items after the model's own
    eligible: np.ndarray       # (m,) positions in ids of the items exploration may lift: young ones and new ones
    eligible_ids: np.ndarray   # (m,) their ids
    key: tuple                 # belief_key(eligible_ids)
    damping: np.ndarray        # (m,) √(1 + training interactions) of each: what the model already knows of it

    @classmethod
    def of(cls, model_ids: np.ndarray, stats: ItemStats, new: "NewItems", cut_off_days: float) -> "Candidates":
        ids = np.concatenate([model_ids, new.ids]) if len(new.ids) else model_ids
        eligible = np.flatnonzero(np.concatenate([stats.age_days <= cut_off_days, np.ones(len(new.ids), dtype=bool)]))
        trained = np.zeros(len(ids))   # new items: none
        trained[:len(stats.interactions)] = stats.interactions
        eligible_ids = ids[eligible]
        return cls(ids, new, eligible, eligible_ids, belief_key(eligible_ids), np.sqrt(1.0 + trained[eligible]))


class Exploration:
    """What exploration knows live, per emulator: each campaign's feedback counters and each model's new items.
    Both belong to one loaded model (serving.Deployed): a model loaded again starts them afresh."""

    def __init__(self, env) -> None:
        self.env = env
        self._feedback: dict[tuple[str, str], tuple[object, Feedback]] = {}   # (campaign, version) -> (model, counters)
        self._new_items: dict[str, tuple[object, int, NewItems]] = {}   # version -> (model, records generation, items)
        self._candidates: dict[tuple[str, float], tuple[NewItems, Candidates]] = {}   # (version, cut-off) -> ...
        self._lock = threading.Lock()
        env.rows.listen(self._rows_changed)

    def feedback(self, source_arn: str, version_arn: str) -> Feedback:
        """The exploration counters of a campaign's current model, starting from the events since training."""
        key, deployed = (source_arn, version_arn), self.env.deployed.model(version_arn)
        found = self._feedback.get(key)
        if found is None or found[0] is not deployed:
            counters = Feedback(self.env.settings.feedback_refresh_seconds)
            if deployed.events_dataset:
                counters.taken.update(self.env.rows.item_counts(deployed.events_dataset, deployed.trained_through))
            with self._lock:
                found = self._feedback.get(key)
                if found is None or found[0] is not deployed:
                    found = self._feedback[key] = (deployed, counters)
        return found[1]

    def new_items(self, version_arn: str, group_arn: str) -> "NewItems":
        """The Items dataset's records the model never saw (added after training), each with the known items that
        share one of its categorical values, through which it is scored."""
        deployed, generation = self.env.deployed.model(version_arn), self.env.rows.generation
        found = self._new_items.get(version_arn)
        if found is None or found[0] is not deployed or found[1] != generation:
            found = (deployed, generation, _new_items(self.env, group_arn, deployed.item_index))
            with self._lock:
                self._new_items[version_arn] = found
        return found[2]

    def candidates(self, version_arn: str, group_arn: str, cut_off_days: float) -> Candidates:
        """The candidates of a model's answers, and which of them exploration may lift, for an age cut-off."""
        new, key = self.new_items(version_arn, group_arn), (version_arn, cut_off_days)
        found = self._candidates.get(key)
        if found is None or found[0] is not new:   # new items are found again for each loaded model and records change
            deployed = self.env.deployed.model(version_arn)
            found = (new, Candidates.of(deployed.model.item_ids, deployed.stats, new, cut_off_days))
            with self._lock:
                self._candidates[key] = found
        return found[1]

    def clear(self) -> None:
        with self._lock:
            self._feedback.clear()
            self._new_items.clear()
            self._candidates.clear()

    def _rows_changed(self, change: Change) -> None:
        """Events streamed into a model's events dataset count as taken for the campaigns it serves."""
        if not change.items:
            return
        with self._lock:
            counters = [feedback for deployed, feedback in self._feedback.values()
                        if deployed.events_dataset == change.dataset]
        for feedback in counters:
            feedback.took([item for item in change.items if item])


@dataclass
class NewItems:
    ids: np.ndarray           # (n,) item ids the model does not know
    peers: list[np.ndarray]   # for each, the model's item indices that share a categorical value with it

    def priors(self, scores: np.ndarray, default: float) -> np.ndarray:
        """Each new item's score: the mean of its peers' scores for this user, else `default`."""
        return np.array([scores[peers].mean() if peers.size else default for peers in self.peers])


PEERS_KEPT = 200   # per new item; enough for a stable mean


def _new_items(env, group_arn: str, known: dict[str, int]) -> NewItems:
    schema = group_data.schemas(env.store, group_arn).get("ITEMS")
    if schema is None:
        return NewItems(np.zeros(0, dtype=str), [])
    categorical = [field.name for field in schema.fields if field.categorical]
    by_value: dict[str, list[int]] = {}
    fresh: list[tuple[str, list[str]]] = []
    for item, values in sorted(env.rows.shared_records(dataset_arn(group_arn, "ITEMS")).items()):
        keys = [f"{name}={part}" for name in categorical for part in str(values.get(name) or "").split("|") if part]
        if item in known:
            for key in keys:
                by_value.setdefault(key, []).append(known[item])
        else:
            fresh.append((item, keys))
    peers = [np.unique(np.concatenate([np.asarray(by_value.get(key, []), dtype=np.int64) for key in keys]
                                      or [np.zeros(0, dtype=np.int64)]))[:PEERS_KEPT] for _, keys in fresh]
    return NewItems(np.array([item for item, _ in fresh], dtype=str), peers)
