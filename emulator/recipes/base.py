"""The one interface every model implements: fit on Interactions, serve from numpy state, save without pickle."""

import abc
import json
import math
import pathlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, NamedTuple

import numpy as np

from emulator.recipes.data import Interactions
from emulator.settings import TrainingBudget
from emulator.store.model_files import save_arrays

PATIENCE = 1          # epochs without a better validation NDCG@25 before training stops (spec §2.4), once ...
MIN_UPDATES = 100     # ... this many optimizer steps were taken and ...
LEARNING_LOSS = 0.01  # ... the epoch's loss fell by less than this share: while the model still learns fast, a few
                      # validation users' NDCG moves by chance more than an epoch improves it (aws-hrnn stopped at
                      # NDCG@10 0.068 instead of 0.091 on ML-100K) ...
LEARNING_PASSES = 10  # ... in its first passes over the data: later, on small data, a falling loss is memorising
MIN_GAIN = 0.02       # validation NDCGs within this share of the best so far are ties: one that does not beat the
                      # best by more counts as stale (aws-user-personalization on ML-100K, averaged weights: validation
                      # crept up by less than its noise after held-out NDCG@10 stopped rising, 5.9 epochs on average,
                      # 5.0 with this, NDCG@10 the same; 5 seeds); and of tied epochs the later, more trained one is
                      # kept (aws-hrnn had kept its 3rd of 7 epochs, NDCG@10 0.067 against 0.085 with the 7th)


class Epoch(NamedTuple):
    """What one epoch did: its mean loss, its optimizer steps and its passes over the data. On large data a call
    of the epoch function covers only a share of an epoch, so that validation comes several times a pass."""
    loss: float
    steps: int
    passes: float = 1   # passes over the data, or a share of one
    share: float = 1.0  # the share of an epoch


class UnusableData(ValueError):
    """The data cannot train this recipe (a dataset or field it needs is missing); the message says why and
    becomes the solution version's failureReason."""


def no_log(message: str) -> None:
    pass


class Recommender(abc.ABC):
    """A trained model. Campaigns, batch jobs and metrics rely on nothing else. Models see item and user
    indices only; `item_ids` and `user_ids` map them back. Serving is numpy only."""

    recipe: ClassVar[str]
    returns_scores: ClassVar[bool] = True
    DEFAULTS: ClassVar[dict[str, str]] = {}
    reads_profiles: ClassVar[bool] = False   # whether new_user_state reads a user's Users record
    weighs_time: ClassVar[bool] = False      # whether item_scores takes the request's moment, `now` (popular_now)

    def __init__(self, hyperparameters: dict[str, str], seed: int = 0, budget: TrainingBudget | None = None) -> None:
        # values arrive as AWS strings ("149", "true"); unknown names are kept, so they are echoed back
        given = {str(name): str(value) for name, value in (hyperparameters or {}).items()}
        self.hyperparameters = {**self.DEFAULTS, **given}
        self.seed, self.budget = seed, budget or TrainingBudget()
        self.state: dict[str, np.ndarray] = {}   # all that save() keeps

    @abc.abstractmethod
    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        """Learn from the training users; `log` gets one line per epoch."""

    def update(self, full: Interactions) -> None:
        """trainingMode UPDATE: take in the items and interactions that arrived since training, without training
        again. Only the recipes that allow UPDATE implement it."""
        raise NotImplementedError(f"{self.recipe} does not support trainingMode UPDATE")

    def build_user_states(self, full: Interactions) -> None:
        """After fit: remember each user's state from their whole history (models that have user states)."""

    @abc.abstractmethod
    def initial_state(self, user: int | None) -> np.ndarray:
        """The stored state of a known user index, or the state of a user the model never saw (None)."""

    @abc.abstractmethod
    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        """The state after one more event on `item`."""

    def advance_event(self, state: np.ndarray, item: int, event_type: str | None) -> np.ndarray:
        """The state after one more event of a type; models that tell event types apart override this."""
        return self.advance(state, item)

    def seen(self, state: np.ndarray, timestamp: float) -> np.ndarray:
        """The state once the user was seen at `timestamp` (an event's); models that weigh the time since the
        user's newest event override this."""
        return state

    def new_user_state(self, profile: Mapping[str, object] | None) -> np.ndarray:
        """The state of a user the model never saw, given their Users record if any (models that read profiles
        override this)."""
        return self.initial_state(None)

    def states_after(self, histories: list[np.ndarray], users: Sequence[int] | None = None) -> list[np.ndarray]:
        """The state of each user after a history (item indices in time order), starting from what the model knows
        of the user before any event (`users`: their indices; models without user profiles ignore them);
        models may batch this."""
        found = []
        for history in histories:
            state = self.initial_state(None)
            for item in history.tolist():
                state = self.advance(state, item)
            found.append(state)
        return found

    @abc.abstractmethod
    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """(n_items,) float64 scores of every catalogue item for a state; higher is better."""

    @property
    def item_ids(self) -> np.ndarray:
        return self.state["item_ids"]

    @property
    def user_ids(self) -> np.ndarray:
        return self.state["user_ids"]

    def _remember_ids(self, data: Interactions) -> None:
        # unicode arrays, not object ones: np.savez without pickle cannot store objects
        self.state["item_ids"] = np.asarray(data.item_ids, dtype=str)
        self.state["user_ids"] = np.asarray(data.user_ids, dtype=str)

    def _train_epochs(self, epoch: Callable[[float], Epoch], export: Callable[[], None],
                      validate: Callable[[], float], log: Callable[[str], None], min_updates: int = MIN_UPDATES,
                      learning_loss: float = LEARNING_LOSS, warm_passes: float = 0.0,
                      max_passes: float = float("inf")) -> None:
        """Epochs until validation stops improving by MIN_GAIN (PATIENCE epochs, once min_updates steps were taken
        and the loss falls slowly), max_epochs or the time budget; `state` keeps the weights of the last epoch within
        MIN_GAIN of the best validation.
        epoch(deadline) trains one epoch, or a share of one; export() puts the weights in `state`; validate() is the
        validation NDCG@25.
        An epoch below its floor in the budget's epoch_floors (HPO's successive halving) ends training, `halted`.
        Epochs that end before warm_passes passes are neither validated (but the first, which HPO's successive
        halving reads) nor kept nor counted as stale (if training ends before one that is, `state` keeps the last
        epoch's weights); none starts after max_passes passes over the data."""
        started = time.monotonic()
        deadline = started + self.budget.seconds
        best, best_state, stale, updates, passes, last_loss = -1.0, dict(self.state), 0, 0, 0, float("inf")
        self.validation_scores: list[float] = []   # each epoch's
        self.halted = False   # stopped below one of the budget's epoch_floors
        epochs, number = 0.0, 0   # whole epochs, and calls of epoch(): the log counts the calls
        while epochs < max(self.budget.max_epochs, 1) - 1e-6 and passes < max_passes - 1e-6:
            number += 1
            done = epoch(deadline)
            updates, passes, epochs = updates + done.steps, passes + done.passes, epochs + done.share
            learning = passes <= LEARNING_PASSES and done.loss < (1.0 - learning_loss) * last_loss
            last_loss = done.loss
            export()
            warm = passes < warm_passes - 1e-9
            # a warm epoch's validation decides nothing: DeepFM's user scores cost 3 ms each on ML-100K
            quality = validate() if not warm or number == 1 else math.nan
            log(f"epoch {number}: loss {done.loss:.4f}, validation NDCG@25 {quality:.4f}, "
                f"{time.monotonic() - started:.1f} s")
            self.validation_scores.append(quality)
            if warm:
                best_state = dict(self.state) if best < 0 else best_state
            else:
                stale = 0 if quality > best * (1.0 + MIN_GAIN) else stale + 1
                if quality >= best * (1.0 - MIN_GAIN):   # a tie within validation's noise: the later epoch
                    best_state = dict(self.state)
                best = max(best, quality)
            if number <= len(self.budget.epoch_floors) and quality < self.budget.epoch_floors[number - 1]:
                self.halted = True   # the trial is dropped: fit may skip what it does after the epochs
                break
            # an epoch may be a share of a pass (large data): stop only once every interaction was seen
            if stale >= PATIENCE and updates >= min_updates and passes >= 1.0 and not learning:
                break
            if time.monotonic() >= deadline:
                log(f"training stopped at its time budget of {self.budget.seconds:g} s")
                break
        self.state = best_state

    def hyperparameter(self, name: str, kind: type):
        value = self.hyperparameters[name]
        return value.strip().lower() == "true" if kind is bool else kind(value)

    def save(self, path: pathlib.Path | str) -> None:
        save_arrays(path, **self.state, recipe=np.str_(self.recipe),
                    hyperparameters=np.str_(json.dumps(self.hyperparameters)), seed=np.int64(self.seed))

    @classmethod
    def load(cls, path: pathlib.Path | str) -> "Recommender":
        with np.load(path, allow_pickle=False) as saved:
            model = cls(json.loads(str(saved["hyperparameters"])), seed=int(saved["seed"]))
            model.state = {key: saved[key] for key in saved.files if key not in ("recipe", "hyperparameters", "seed")}
        model.prepare()
        return model

    def prepare(self) -> None:
        """Derive serving caches from `state` (after fit and after load)."""
