"""The one interface every model implements: fit on Interactions, serve from numpy state, save without pickle."""

import abc
import json
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from emulator.recipes.data import Interactions


@dataclass
class TrainingBudget:
    """Emulator settings, never recipe hyperparameters. spec: recipes-and-models.md §2.8"""
    max_epochs: int = 10
    seconds: float = 240.0
    threads: int = 2


class Recommender(abc.ABC):
    """A trained model. Campaigns, batch jobs and metrics rely on nothing else."""

    recipe: ClassVar[str]
    returns_scores: ClassVar[bool] = True
    DEFAULTS: ClassVar[dict[str, str]] = {}

    def __init__(self, hyperparameters: dict[str, str], seed: int = 0, budget: TrainingBudget | None = None) -> None:
        self.hyperparameters = {**self.DEFAULTS, **{k: str(v) for k, v in hyperparameters.items()}}
        self.seed, self.budget = seed, budget or TrainingBudget()
        self.state: dict[str, np.ndarray] = {}

    @abc.abstractmethod
    def fit(self, train: Interactions, log: Callable[[str], None] = lambda message: None) -> None: ...

    def build_user_states(self, full: Interactions) -> None:
        """Remember each user's state from their whole history (models that have user states)."""

    @abc.abstractmethod
    def initial_state(self, user: int | None) -> np.ndarray:
        """The state of a known user index, or of a user the model never saw (None)."""

    @abc.abstractmethod
    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        """The state after one more event on `item`."""

    @abc.abstractmethod
    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """Scores of every catalogue item for a state, shape (n_items,); higher is better."""

    @property
    def item_ids(self) -> np.ndarray:
        return self.state["item_ids"]

    @property
    def user_ids(self) -> np.ndarray:
        return self.state["user_ids"]

    def _remember_ids(self, data: Interactions) -> None:
        self.state["item_ids"] = np.asarray(data.item_ids, dtype=str)
        self.state["user_ids"] = np.asarray(data.user_ids, dtype=str)

    def hyperparameter(self, name: str, kind: type):
        value = self.hyperparameters[name]
        return value.lower() == "true" if kind is bool else kind(value)

    def save(self, path: pathlib.Path | str) -> None:
        with open(path, "wb") as out:   # a file object: np.savez would otherwise append .npz
            np.savez(out, **self.state, recipe=self.recipe, hyperparameters=json.dumps(self.hyperparameters),
                     seed=self.seed)

    @classmethod
    def load_state(cls, saved) -> "Recommender":
        model = cls(json.loads(str(saved["hyperparameters"])), seed=int(saved["seed"]))
        model.state = {key: saved[key] for key in saved.files if key not in ("recipe", "hyperparameters", "seed")}
        model.prepare()
        return model

    def prepare(self) -> None:
        """Derive serving caches from the loaded state."""
