"""How HPO and AutoML judge a setting: trained on the fit part, scored on a temporal hold-out of the validation users'
newest events, and let replace the defaults only when its gain over them, paired over those users, is beyond noise.
spec: recipes-and-models.md §4 (step 2 changed: see validation_split)."""

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from emulator.recipes import holdout, metrics, registry
from emulator.recipes.base import Recommender, TrainingBudget, no_log
from emulator.recipes.data import Interactions, TestUser

ALPHA = 0.05                  # the chance that noise alone lets a setting no better than the defaults replace them

Hyperparameters = dict[str, str]   # hyperparameter name -> AWS string
Scored = tuple[float, np.ndarray | None]   # (the metric, (validation users,) each one's value or None)


def validation_split(train: Interactions, seed: int) -> tuple[Interactions, list[TestUser]]:
    """(the fit part, the validation users): the newest event of users drawn among those with >= 2
    (Interactions.hold_out_newest), predicted from their older events, which stay in the fit part; every such user
    up to holdout.MOST_USERS, fewer on large catalogues (the paired gain of two settings then has a standard error
    of about 0.004 NDCG): holdout.split, with a seed of HPO's. Not spec §4.1 step 2's 10 % of the users held out whole:
    scored on ML-100K's 94 such users, HPO chose settings below the defaults on the leave-last-out split
    (bench_recipes --hpo). A model serves users it trained on, the next event is what it serves them for, and one
    event each leaves the fit part nearly the whole data: holding out every user's newest 10 % instead took the
    most recent events out of training, and on ML-100K a setting without recency_mask gained 0.008 NDCG@25 on
    it (3 seeds) and lost 0.005 NDCG@10 on the leave-last-out split once trained on everything."""
    fit_part, validation = holdout.split(train, seed=derived_seed(seed, "hpo-validation"))
    return fit_part, validation.tests


@dataclass
class Bench:
    """What every trial trains on (the fit part) and is scored on (the validation users, by `metric`)."""
    fit_part: Interactions
    validation: list[TestUser]
    n_items: int
    metric: str
    seed: int   # every trial's model starts from the same seed, so settings alone tell trials apart

    def score(self, recipe: str, hyperparameters: Hyperparameters, budget: TrainingBudget,
              log: Callable[[str], None] = no_log) -> Scored:
        return self.score_of(self.fit(recipe, hyperparameters, budget, log), recipe)

    def fit(self, recipe: str, hyperparameters: Hyperparameters, budget: TrainingBudget,
            log: Callable[[str], None] = no_log) -> Recommender:
        model = registry.build(recipe, hyperparameters, seed=self.seed, budget=budget)
        model.fit(self.fit_part, log=log)
        return model

    def score_of(self, model: Recommender, recipe: str) -> Scored:
        """Per-user values are None for a metric that is not a mean over users: coverage, and what a model measures
        itself while fitting. The lists leave out the users' history items: with them in (GetSolutionMetrics'
        lists), HPO on ML-100K preferred settings that repeat fewer of them (+0.011 to +0.018 NDCG@25 over the
        defaults on 3 seeds), which without them did no better (-0.007 to +0.009) and were below the defaults on
        the leave-last-out split."""
        if not self.validation:
            return 0.0, None
        measured = getattr(model, "fit_metrics", None) or {}
        segments = set(metrics.SEGMENT_KEYS) <= measured.keys()
        if self.metric != "coverage" and self.metric not in measured and not segments:
            values = metrics.per_user(model, self.validation, without_history=True)[0][self.metric]
            return float(values.mean()), values
        found = metrics.evaluate(model, self.validation, self.n_items)
        if self.metric not in found:
            raise ValueError(f"The recipe {recipe} does not report the metric {self.metric}.")
        return float(found[self.metric]), None


def choose(defaults: Scored, trials: list[Scored]) -> tuple[int | None, list[tuple[float, float]], float]:
    """(the trial that beats the defaults by more than noise, None if none does; each trial's gain over them and its
    standard error (gain()); the bar z). A trial beats them when its gain less z standard errors is above 0, z the
    one-sided normal quantile at ALPHA / len(trials): however many settings were tried, if none is better than the
    defaults, noise alone replaces them with a chance of at most ALPHA (Bonferroni). Of those that beat them, the
    highest such lower bound wins."""
    z = NormalDist().inv_cdf(1.0 - ALPHA / max(len(trials), 1))
    gains = [gain(trial, defaults) for trial in trials]
    bounds = [mean - z * error for mean, error in gains]
    best = int(np.argmax(bounds)) if bounds and max(bounds) > 1e-12 else None
    return best, gains, z


def confirmation(bench: Bench, recipe: str, base: Hyperparameters, settings: Hyperparameters,
                 budget: TrainingBudget) -> dict:
    """The chosen setting and the defaults trained again from another seed: the gain, its standard error, and
    whether it beats them at the one-sided ALPHA level (one comparison, chosen before this seed was drawn). A gain
    holds the luck of two trainings: on ML-100K one setting's gain over the defaults moved by ±0.008 NDCG@25 from
    seed to seed, twice the users' standard error, and the best of many trials is the one luck favoured most."""
    again = replace(bench, seed=derived_seed(bench.seed, "hpo-confirmation"))
    defaults = again.score(recipe, base, budget)
    mean, error = gain(again.score(recipe, {**base, **settings}, budget), defaults)
    return {"gain": mean, "gainError": error, "confirmed": mean - NormalDist().inv_cdf(1.0 - ALPHA) * error > 0}


def gain(trial: Scored, defaults: Scored) -> tuple[float, float]:
    """(a trial's mean gain over the defaults, paired over the validation users; its standard error). Without
    per-user values (coverage), the difference of the scores, without an error."""
    if trial[1] is None or defaults[1] is None:
        return trial[0] - defaults[0], 0.0
    paired = trial[1] - defaults[1]
    return float(paired.mean()), float(paired.std(ddof=1) / math.sqrt(paired.size)) if paired.size > 1 else math.inf


def derived_seed(seed: int, purpose: str) -> int:
    return zlib.crc32(f"{purpose}:{seed}".encode())
