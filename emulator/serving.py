"""Answering from trained models: loaded models by solution version, and each user's current state
(the trained state advanced through the events streamed since training)."""

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from emulator.datasets import group as group_data
from emulator.exploration import Feedback, ItemStats
from emulator.recipes.context import ContextLift
from emulator.recipes import registry
from emulator.recipes.base import Recommender
from emulator.store import model_files
from emulator.store.arns import dataset_arn, sibling_dataset_arn


@dataclass
class Deployed:
    """A loaded model with its id maps and the dataset it reads real-time events from."""
    model: Recommender
    events_dataset: str | None
    trained_through: int                  # the last interactions row id the training saw
    stats: ItemStats
    context: ContextLift                  # learned lifts of the request context values
    item_index: dict[str, int] = field(default_factory=dict)
    user_index: dict[str, int] = field(default_factory=dict)


ISSUED_KEPT = 100_000   # recommendation ids remembered for metric attribution (in memory: lost on restart)
USERS_KEPT = 200_000    # users whose states stay cached; the others are rebuilt when they come back
MASKS_KEPT = 1_000      # filter verdicts over a catalogue (one per filter, placeholder values and model)


class Serving:
    def __init__(self, env) -> None:
        self.env = env
        self._models: dict[str, Deployed] = {}
        # user (or anonymous session) id -> {solution version: state}, least recently used first
        self._states: OrderedDict[str, dict[str, np.ndarray]] = OrderedDict()
        self._issued: OrderedDict[str, str] = OrderedDict()   # recommendationId -> campaign or recommender ARN
        self._feedback: dict[tuple[str, str], Feedback] = {}   # (campaign, version) -> live exploration counters
        self._new_items: dict[str, tuple[int, NewItems]] = {}   # version -> (records generation, new items)
        self._records: dict[str, tuple[int, dict[str, dict]]] = {}   # dataset -> (generation, id -> fields)
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()   # filter verdicts, oldest first
        self._recent: OrderedDict[str, dict[tuple, set[str]]] = OrderedDict()   # user -> recent items read by filters
        self._generation = 0   # moves whenever records of Items, Users or Actions change
        self._lock = threading.Lock()

    def deployed(self, version_arn: str) -> Deployed:
        found = self._models.get(version_arn)
        if found is None:
            internal = self.env.store.internal(version_arn)
            artifact = model_files.path(self.env.settings.models_dir, internal["artifact"])
            model = registry.load(artifact)
            with np.load(model_files.stats_path(artifact), allow_pickle=False) as saved:
                stats = ItemStats(saved["interactions"], saved["age_days"])
            found = Deployed(model, internal.get("eventsDataset"), internal.get("trainedThrough", 0), stats,
                             ContextLift.load(model_files.context_path(artifact)),
                             {item: index for index, item in enumerate(model.item_ids)},
                             {user: index for index, user in enumerate(model.user_ids)})
            with self._lock:
                self._models[version_arn] = found
        return found

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
            self._states.clear()
            self._issued.clear()
            self._feedback.clear()
            self._new_items.clear()
            self._records.clear()
            self._masks.clear()
            self._recent.clear()

    def feedback(self, source_arn: str, version_arn: str) -> Feedback:
        """The exploration counters of a campaign's current model, starting from the events since training."""
        key = (source_arn, version_arn)
        found = self._feedback.get(key)
        if found is None:
            deployed = self.deployed(version_arn)
            found = Feedback(self.env.settings.feedback_refresh_seconds)
            if deployed.events_dataset:
                rows = self.env.db.execute("SELECT item_id, count(*) FROM interactions WHERE dataset = ? AND id > ?"
                                           " AND item_id IS NOT NULL GROUP BY item_id",
                                           (deployed.events_dataset, deployed.trained_through))
                found.taken.update(dict(rows.fetchall()))
            with self._lock:
                found = self._feedback.setdefault(key, found)
        return found

    def new_items(self, version_arn: str, group_arn: str) -> "NewItems":
        """The Items dataset's records the model never saw (added after training), each with the known items that
        share one of its categorical values, through which it is scored."""
        cached = self._new_items.get(version_arn)
        if cached is None or cached[0] != self._generation:
            generation = self._generation
            cached = (generation, _new_items(self.env, group_arn, self.deployed(version_arn).item_index))
            with self._lock:
                self._new_items[version_arn] = cached
        return cached[1]

    def records(self, group_arn: str, dataset_type: str) -> dict[str, dict]:
        """Every record of the group's Items, Users or Actions dataset, id -> fields, read once per change."""
        dataset = dataset_arn(group_arn, dataset_type)
        cached = self._records.get(dataset)
        if cached is None or cached[0] != self._generation:
            generation = self._generation
            rows = self.env.db.execute("SELECT record_id, fields FROM records WHERE dataset = ?", (dataset,))
            cached = (generation, {record_id: json.loads(fields) for record_id, fields in rows})
            with self._lock:
                self._records[dataset] = cached
        return cached[1]

    def recent(self, user_id: str, key: tuple, compute) -> set[str]:
        """What a filter reads of a user's recent interactions, kept until the user's next event."""
        return self._per_user(self._recent, user_id, key, compute)

    def _per_user(self, cache: OrderedDict, user_id: str, key, compute):
        """cache[user_id][key], computed when missing; the least recently used users beyond USERS_KEPT go."""
        found = cache.get(user_id, {}).get(key)
        if found is None:
            found = compute()
            with self._lock:
                cache.setdefault(user_id, {})[key] = found
                cache.move_to_end(user_id)
                while len(cache) > USERS_KEPT:
                    cache.popitem(last=False)
        return found

    def mask(self, key: tuple, compute) -> np.ndarray:
        """A filter's verdict over a whole catalogue (see recommending.Choice), kept until records change."""
        key = (*key, self._generation)
        found = self._masks.get(key)
        if found is None:
            found = compute()
            with self._lock:
                self._masks[key] = found
                while len(self._masks) > MASKS_KEPT:
                    self._masks.popitem(last=False)
        return found

    def interactions_imported(self) -> None:
        """A bulk import changed many users' histories: every cached state and recent-items set is stale."""
        with self._lock:
            self._states.clear()
            self._recent.clear()

    def records_changed(self) -> None:
        """Records were put, imported or deleted: new items may have arrived, cached records are stale."""
        with self._lock:
            self._generation += 1

    def issued(self, recommendation_id: str, source_arn: str) -> None:
        """Remember who produced a recommendation id, so events that echo it are attributed."""
        with self._lock:
            self._issued[recommendation_id] = source_arn
            if len(self._issued) > ISSUED_KEPT:
                self._issued.popitem(last=False)

    def source_of(self, recommendation_id: str | None) -> str | None:
        return self._issued.get(recommendation_id) if recommendation_id else None

    def forget(self, version_arn: str) -> None:
        with self._lock:
            self._models.pop(version_arn, None)
            self._new_items.pop(version_arn, None)
            for key in [key for key in self._feedback if key[1] == version_arn]:
                del self._feedback[key]
            for states in self._states.values():
                states.pop(version_arn, None)

    def scores(self, version_arn: str, user_id: str | None) -> np.ndarray:
        """The model's item scores for a user, after the events that user streamed since training."""
        deployed = self.deployed(version_arn)
        if user_id is None:
            return deployed.model.item_scores(deployed.model.initial_state(None))
        state = self._per_user(self._states, user_id, version_arn, lambda: self._user_state(deployed, user_id))
        return deployed.model.item_scores(state)

    def related_scores(self, version_arn: str, item_id: str) -> np.ndarray:
        """Scores of a related-items model for a query item; an unknown item gets the model's fallback."""
        deployed = self.deployed(version_arn)
        model, state = deployed.model, deployed.model.initial_state(None)
        index = deployed.item_index.get(item_id)
        return model.item_scores(state if index is None else model.advance(state, index))

    def events_arrived(self, user_ids: list[str], dataset: str | None = None, item_ids: list[str] = ()) -> None:
        """Events of these users (or anonymous session ids) on these items: their states are rebuilt on the next
        request, and the items count as taken for exploration."""
        with self._lock:
            for user_id in user_ids:
                self._states.pop(user_id, None)
                self._recent.pop(user_id, None)
            counters = [feedback for (_, version), feedback in self._feedback.items()
                        if version in self._models and self._models[version].events_dataset == dataset]
        for feedback in counters:
            feedback.took([item for item in item_ids if item])

    def users_changed(self, user_ids: list[str]) -> None:
        """Their Users records changed: a state that started from their profile is stale."""
        with self._lock:
            for user_id in user_ids:
                self._states.pop(user_id, None)

    def _user_state(self, deployed: Deployed, user_id: str) -> np.ndarray:
        model, index = deployed.model, deployed.user_index.get(user_id)
        if index is None and model.reads_profiles and deployed.events_dataset is not None:
            state = model.new_user_state(self._profile(deployed.events_dataset, user_id))
        else:
            state = model.initial_state(index)
        if deployed.events_dataset is None:
            return state
        # spec: recipes-and-models.md §2.5: events of an anonymous session count for the id it used,
        # and once a session names its user, the anonymous events of that session count for the user too;
        # the user's own rows name the sessions (SQLite would otherwise scan every event that has a session)
        dataset, since = deployed.events_dataset, deployed.trained_through
        rows = self.env.db.execute(
            "SELECT item_id, event_type, timestamp, id FROM interactions WHERE dataset = ? AND user_id = ? AND id > ?"
            " UNION SELECT item_id, event_type, timestamp, id FROM interactions WHERE dataset = ? AND"
            " session_id IN (SELECT ? UNION SELECT DISTINCT session_id FROM interaction_rows"   # the table: a view has
            " INDEXED BY interactions_by_user WHERE dataset = ? AND user_id = ? AND session_id IS NOT NULL)"   # no index
            " AND user_id IS NULL AND id > ?"
            " ORDER BY 3, 4",
            (dataset, user_id, since, dataset, user_id, dataset, user_id, since))
        for item_id, event_type, _, _ in rows:
            index = deployed.item_index.get(item_id)
            if index is not None:
                state = model.advance_event(state, index, event_type)
        return state

    def _profile(self, events_dataset: str, user_id: str) -> dict | None:
        """A user's record in the group's Users dataset, if any."""
        found = self.env.db.execute("SELECT fields FROM records WHERE dataset = ? AND record_id = ?",
                                    (sibling_dataset_arn(events_dataset, "USERS"), user_id)).fetchone()
        return json.loads(found[0]) if found else None


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
    rows = env.db.execute("SELECT record_id, fields FROM records WHERE dataset = ? ORDER BY record_id",
                          (dataset_arn(group_arn, "ITEMS"),))
    for item, fields in rows:
        values = json.loads(fields) if categorical else {}
        keys = [f"{name}={part}" for name in categorical for part in str(values.get(name) or "").split("|") if part]
        if item in known:
            for key in keys:
                by_value.setdefault(key, []).append(known[item])
        else:
            fresh.append((item, keys))
    peers = [np.unique(np.concatenate([np.asarray(by_value.get(key, []), dtype=np.int64) for key in keys]
                                      or [np.zeros(0, dtype=np.int64)]))[:PEERS_KEPT] for _, keys in fresh]
    return NewItems(np.array([item for item, _ in fresh], dtype=str), peers)
