"""The deployed models: each solution version's (or recommender's) loaded model, and each user's current state
(the trained state advanced through the events streamed since training) and the item scores of that state."""

import gc
import math
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from emulator.exploration import ItemStats
from emulator.recipes.context_lifts import ContextLift
from emulator.recipes import popular_now, registry
from emulator.recipes.base import Recommender
from emulator.store import model_files
from emulator.store.arns import sibling_dataset_arn
from emulator.store.dataset_rows import Change, PerUser

KEPT_BYTES = 64 * 2 ** 20   # users' scores and answers kept, about, for the largest catalogue loaded
ANSWERS_KEPT = 2            # answers kept per user and model (a campaign's, and another's of the same version)
ANSWER_BYTES = 7_000        # one of 25 items


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


@dataclass(eq=False)
class Scored:
    """A user's item scores under one model, and what requests worked out from them (recommending's answers): kept
    together until the user's state changes or they expire."""
    scores: np.ndarray                             # (n_items,) read-only
    expires: float = math.inf                      # wall time when the user's time away moves on (popular_now.away)
    answers: dict = field(default_factory=dict)

    def keep(self, key: tuple, answer: object) -> None:
        if len(self.answers) >= ANSWERS_KEPT:
            self.answers.clear()
        self.answers[key] = answer


class DeployedModels:
    def __init__(self, env) -> None:
        self.env = env
        self._models: dict[str, Deployed] = {}
        self._states = PerUser()   # user (or anonymous session id) -> {solution version: state}
        self._scores = PerUser(1)  # the same -> {solution version: Scored}, sized as models load
        self._most_items = 0
        self._lock = threading.Lock()
        env.rows.listen(self._rows_changed)

    def model(self, version_arn: str) -> Deployed:
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
            with self._lock:   # one object per loaded model: caches elsewhere know a reloaded one by it
                found = self._models.setdefault(version_arn, found)
                self._most_items = max(self._most_items, len(model.item_ids))
                self._scores.keep(max(1, KEPT_BYTES // (8 * self._most_items + ANSWERS_KEPT * ANSWER_BYTES)))
            if gc.get_freeze_count():   # the server froze what start-up made (server.py): the model joins it, with
                gc.collect()            # torch, which the first model imports (134,000 objects to walk otherwise)
                gc.freeze()
        return found

    def warm(self, version_arn: str) -> None:
        """Load a model and work out its users' scores before the first request (as many users as are kept, in the
        model's order), as a campaign deploys: a user's first GetRecommendations cost eight times a later one,
        most of it scoring. Users with events since training are left to their first request."""
        deployed = self.model(version_arn)
        model = deployed.model
        later = self.env.rows.users_after(deployed.events_dataset, deployed.trained_through) \
            if deployed.events_dataset is not None else set()
        if model.weighs_time and deployed.events_dataset is not None:   # their time away runs on the server's clock
            later |= self.env.rows.streamed_users(deployed.events_dataset)
        users = [(index, user) for index, user in enumerate(model.user_ids.tolist()) if user not in later]
        self._scores.fill(version_arn, lambda: {user: self._score(deployed, model.initial_state(index))
                                                for index, user in users[:self._scores.kept]})

    def clear(self) -> None:
        with self._lock:
            self._models.clear()
        self._states.clear()
        self._scores.clear()

    def forget(self, version_arn: str) -> None:
        with self._lock:
            self._models.pop(version_arn, None)
        self._states.discard(version_arn)
        self._scores.discard(version_arn)

    def scores(self, version_arn: str, user_id: str | None) -> np.ndarray:
        """The model's item scores for a user, after the events that user streamed since training; read-only. Kept
        with the user's state until it changes or their time away moves on (up to about KEPT_BYTES with their
        answers): scoring the catalogue reads the whole model, a fifth of a GetRecommendations once caches have gone
        cold."""
        if user_id is None:
            deployed = self.model(version_arn)
            return deployed.model.item_scores(deployed.model.initial_state(None))
        return self.scored(version_arn, user_id).scores

    def scored(self, version_arn: str, user_id: str) -> Scored:
        """scores() of a user, with what was worked out from them."""
        deployed = self.model(version_arn)
        return self._scores.get(user_id, version_arn, lambda: self._scored(deployed, version_arn, user_id), _current)

    def _scored(self, deployed: Deployed, version_arn: str, user_id: str) -> Scored:
        state, streamed = self._states.get(user_id, version_arn, lambda: self._user_state(deployed, user_id))
        return self._score(deployed, state, streamed)

    def _score(self, deployed: Deployed, state: np.ndarray, streamed: tuple[float, float] | None = None) -> Scored:
        """Scored for a state; a user whose events `streamed` (newest timestamp, latest receipt) is asked at the
        moment their time away reached, and scored again when it moves to another gap class."""
        if streamed is None:
            scores, expires = deployed.model.item_scores(state), math.inf
        else:
            now, expires = popular_now.away(*streamed, time.time(), self.env.settings.day_seconds)
            scores = deployed.model.item_scores(state, now)
        scores = scores.copy()   # ours alone, whatever the model returned
        scores.flags.writeable = False
        return Scored(scores, expires)

    def related_scores(self, version_arn: str, item_id: str) -> np.ndarray:
        """Scores of a related-items model for a query item; an unknown item gets the model's fallback."""
        deployed = self.model(version_arn)
        model, state = deployed.model, deployed.model.initial_state(None)
        index = deployed.item_index.get(item_id)
        return model.item_scores(state if index is None else model.advance(state, index))

    def _rows_changed(self, change: Change) -> None:
        """A state is rebuilt on the next request once its user's events or Users record changed; an import may
        have changed anyone's."""
        for cache in (self._states, self._scores):
            if change.imported:
                cache.clear()
            cache.drop(change.users)

    def _user_state(self, deployed: Deployed, user_id: str) -> tuple[np.ndarray, tuple[float, float] | None]:
        """The user's state, and for a model that weighs time, rows.last_streamed() of the user, if any."""
        model, index = deployed.model, deployed.user_index.get(user_id)
        if index is None and model.reads_profiles and deployed.events_dataset is not None:
            state = model.new_user_state(self._profile(deployed.events_dataset, user_id))
        else:
            state = model.initial_state(index)
        if deployed.events_dataset is None:
            return state, None
        for item_id, event_type, timestamp in self.env.rows.user_events(deployed.events_dataset, user_id,
                                                                        deployed.trained_through):
            index = deployed.item_index.get(item_id)
            if index is not None:
                state = model.advance_event(state, index, event_type)
            if timestamp is not None:
                state = model.seen(state, timestamp)
        streamed = self.env.rows.last_streamed(deployed.events_dataset, user_id) if model.weighs_time else None
        return state, streamed

    def _profile(self, events_dataset: str, user_id: str) -> dict | None:
        """A user's record in the group's Users dataset, if any."""
        return self.env.rows.record(sibling_dataset_arn(events_dataset, "USERS"), user_id)


def _current(scored: Scored) -> bool:
    return time.time() < scored.expires
