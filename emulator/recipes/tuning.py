"""HPO and AutoML: the search over hyperparameters and recipes (how a setting is judged: hpo_validation).
spec: recipes-and-models.md §4, personalize-behavior.md §12.2. Pure: Interactions in, AWS strings out."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget, no_log
from emulator.recipes.data import Interactions
from emulator.recipes.hpo_validation import Bench, choose, confirmation, derived_seed, validation_split
from service_model import recipes as catalogue

OBJECTIVE = "normalized_discounted_cumulative_gain_at_25"   # spec §4.1 step 3, §4.2 step 2 (unconfirmed)
DEFAULT_RESOURCES = {"maxNumberOfTrainingJobs": "20", "maxParallelTrainingJobs": "5"}   # spec §6
LIMITS = {"maxNumberOfTrainingJobs": 40, "maxParallelTrainingJobs": 10}   # personalize-behavior.md §12.2
SEARCH_BUDGETS = 3.0      # the search starts no trial after this many training budgets (budget.seconds), ...
SEARCH_TRIALS = 4.0       # ... nor (HPO) after this many times what the defaults' trial took, SEARCH_FLOOR s at least:
SEARCH_FLOOR = 5.0        # about four trainings on any data, as spec §4.1 step 5 has it; ...
TRIAL_SHARE = 0.3         # ... and a trial gets this share of one budget's epochs and seconds, ...
TRIAL_SLOWDOWN = 3.0      # ... and of seconds at most this many times what the defaults' trial took on this data
CANDIDATES = 24           # TPE: draws from the good density per proposal (spec §4.1 step 4)
GOOD_SHARE = 0.25         # TPE: the best quarter of the trials is "good"
ETA = 3                   # successive halving (spec §4.1 step 5): a trial trains on past a rung only while among
RUNGS = (1, 2)            # the best 1/ETA of the earlier trials' validation NDCG there; the rungs' epochs
REDRAWS = 50              # random draws tried for a setting not proposed before, before the space counts as spent
INTEGER, CONTINUOUS, CATEGORICAL = "integer", "continuous", "categorical"
LISTS = {INTEGER: "integerHyperParameterRanges", CONTINUOUS: "continuousHyperParameterRanges",
         CATEGORICAL: "categoricalHyperParameterRanges"}
ARTICLE = {INTEGER: "an", CONTINUOUS: "a", CATEGORICAL: "a"}

Hyperparameters = dict[str, str]   # hyperparameter name -> AWS string


@dataclass(frozen=True)
class Dimension:
    """One searched hyperparameter. Numbers are searched on a log scale when min > 0 and max/min >= 10."""
    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    values: tuple[str, ...] = ()

    @property
    def fixed(self) -> bool:
        return len(self.values) == 1 if self.kind == CATEGORICAL else self.low == self.high

    @property
    def log(self) -> bool:
        return self.kind != CATEGORICAL and self.low > 0 and self.high / self.low >= 10

    @property
    def bounds(self) -> tuple[float, float]:
        """The range on the search scale (categoricals: value positions)."""
        if self.kind == CATEGORICAL:
            return 0.0, float(len(self.values) - 1)
        return (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)

    def holds(self, text: str) -> bool:
        """Whether a value lies in this range (a categorical's values spelled as listed)."""
        if self.kind == CATEGORICAL:
            return text in self.values
        try:
            value = float(text)
        except ValueError:
            return False
        return self.low <= value <= self.high and (self.kind != INTEGER or value.is_integer())

    def encode(self, text: str) -> float:
        if self.kind == CATEGORICAL:
            return float(self.values.index(text))
        return math.log(float(text)) if self.log else float(text)

    def decode(self, x: float) -> str:
        if self.kind == CATEGORICAL:
            return self.values[int(x)]
        value = min(max(math.exp(x) if self.log else x, self.low), self.high)
        return str(round(value)) if self.kind == INTEGER else f"{value:.6g}"


def validate_hpo_config(recipe: str, hpo_config: dict | None) -> None:
    """CreateSolution's checks of solutionConfig.hpoConfig; raises ValueError naming the bad value."""
    name = _recipe(recipe)
    _objective(hpo_config)
    _resources(name, hpo_config)
    _given_ranges(name, hpo_config)


def validate_automl_config(auto_ml_config: dict | None) -> None:
    """CreateSolution's checks of solutionConfig.autoMLConfig; raises ValueError."""
    config = auto_ml_config or {}
    _metric(config.get("metricName"), "autoMLConfig.metricName")
    for recipe in config.get("recipeList") or []:
        _trainable(recipe)


def search(recipe: str, train: Interactions, base: Hyperparameters, hpo_config: dict | None, seed: int,
           budget: TrainingBudget, log: Callable[[str], None] = no_log) -> tuple[Hyperparameters, dict]:
    """performHPO (spec §4.1): trial 1 is `base`, what training without HPO would use (the defaults); the others
    are settings drawn from the ranges. All of them train on the same fit part with the same trial budget and are
    scored on the same validation users (validation_split); a searched setting replaces the defaults only when it
    beats them by more than noise (_choice), again when both train from another seed (confirmation), even when
    the defaults lie outside the given ranges. Trials start until maxNumberOfTrainingJobs ran or the search's time
    budget, a multiple of the defaults' trial, is spent: the search shrinks with the data as a training does, and
    successive halving (_trial) lets about four trainings' time go a long way. Returns (the
    full winning hyperparameters as AWS strings, for tunedHPOParams; a summary: objective, trials, best trial
    (0: the defaults), validation users, why the search stopped, the confirmation). With no range at all in
    algorithmHyperParameterRanges, every tunable parameter of the catalogue is searched over its default range,
    except those `base` sets to a value other than the catalogue default (the user fixed them); with ranges, only
    those are searched and the rest stay at `base`."""
    name = _trainable(recipe)
    objective, space = _objective(hpo_config), _space(name, base, hpo_config)
    jobs, parallel = _resources(name, hpo_config)
    bench = Bench(*validation_split(train, seed), train.n_items, objective, seed)
    summary = {"objective": objective, "trials": [], "best": None, "validationUsers": len(bench.validation),
               "stoppedBy": None}
    if not space or not bench.validation:
        log("nothing to tune" if not space else "no validation users: the hyperparameters stay as given")
        return dict(base), summary
    sampler = Sampler(space, np.random.default_rng(derived_seed(seed, "hpo-sampler")), startup=max(2, -(-jobs // 4)))
    started, limit = time.monotonic(), SEARCH_BUDGETS * budget.seconds
    rungs = [[] for _ in RUNGS] if catalogue.traits(name).epoch_halving else None   # each rung's scores so far
    trials, values = summary["trials"], []   # values: each trial's per-user scores
    trial_budget = _trial_budget(budget)

    def run(settings: Hyperparameters, what: str = "") -> None:
        trial, per_user = _trial(bench, name, {**base, **settings}, trial_budget, rungs,
                                 log=lambda line: log(f"trial {len(trials) + 1}: {line}"))
        trials.append({"hyperparameters": settings, **trial})
        values.append(per_user)
        sampler.tell(settings, trial["score"])
        log(f"trial {len(trials)}/{jobs}: {_show(settings)}{what} -> {objective} {trial['score']:.4f}"
            f"{_show_stop(trial)}, {trial['seconds']:.1f} s")
    run({dim.name: base[dim.name] for dim in space if dim.name in base}, " (the defaults)")
    # what the defaults took tells what a trial costs on this data: small data, short trials and a short search
    trial_budget = replace(trial_budget, seconds=min(trial_budget.seconds, TRIAL_SLOWDOWN * trials[0]["seconds"]))
    limit = min(limit, max(SEARCH_TRIALS * trials[0]["seconds"], SEARCH_FLOOR))
    # maxParallelTrainingJobs is the batch of settings proposed from the same history (spec §4.1 step 4); the
    # trials of a batch still run one after another, in this process (torch's random state is the process's)
    while len(trials) < jobs and summary["stoppedBy"] is None:
        batch = sampler.propose(min(parallel, jobs - len(trials)))
        summary["stoppedBy"] = None if batch else "every setting in the ranges was tried"
        for settings in batch:
            if time.monotonic() >= started + limit:
                summary["stoppedBy"] = f"the search's time budget of {limit:.3g} s"
                break
            run(settings)
    if summary["stoppedBy"]:
        log(f"search stopped after {len(trials)} trials: {summary['stoppedBy']}")
    best = _choice(trials, values, log)
    if best:
        summary["confirmation"] = confirmation(bench, name, base, trials[best]["hyperparameters"], trial_budget)
        log(f"trial {best + 1} against the defaults from another seed: {_show_gain(summary['confirmation'])}: "
            f"{'it wins' if summary['confirmation']['confirmed'] else 'the defaults stay'}")
    summary["best"] = best if best and summary["confirmation"]["confirmed"] else 0
    return {**base, **trials[summary["best"]]["hyperparameters"]}, summary


def choose_recipe(candidates: list[str], train: Interactions, metric: str | None, seed: int,
                  budget: TrainingBudget, log: Callable[[str], None] = no_log) -> tuple[str, dict]:
    """performAutoML (spec §4.2): each candidate recipe (name or ARN) with its default hyperparameters, trained on
    the fit part of validation_split and scored on its validation users by `metric` (default NDCG@25), as HPO's
    trials are. Returns (the best recipe's name, {recipe name: score}); ties go to the earlier candidate.
    Candidates not reached within the search's time budget get no score."""
    metric = _metric(metric, "autoMLConfig.metricName")
    names = list(dict.fromkeys(_trainable(candidate) for candidate in candidates))
    if not names:
        raise ValueError("autoMLConfig.recipeList holds no recipe to choose from.")
    bench = Bench(*validation_split(train, seed), train.n_items, metric, seed)
    deadline = time.monotonic() + SEARCH_BUDGETS * budget.seconds
    scores: dict[str, float] = {}
    for name in names:
        if scores and time.monotonic() >= deadline:
            log(f"{name}: skipped, the search's time budget of {SEARCH_BUDGETS * budget.seconds:g} s is spent")
            continue
        started = time.monotonic()
        scores[name], _ = bench.score(name, catalogue.traits(name).default_hyperparameters, _trial_budget(budget),
                                      lambda line, name=name: log(f"{name}: {line}"))
        log(f"{name}: {metric} {scores[name]:.4f}, {time.monotonic() - started:.1f} s")
    best = max(scores, key=scores.__getitem__)   # max keeps the first of equal scores
    log(f"best recipe: {best}")
    return best, scores


class Sampler:
    """Hyperparameters to try: random for the first `startup`, then TPE (Bergstra et al. 2011): the trials so far split
    into the best quarter ("good") and the rest; per parameter a Parzen density of each (Gaussians on the search
    scale plus a uniform prior; smoothed frequencies for categoricals); CANDIDATES draws from the good density,
    keeping the one with the highest good/bad ratio. Never proposes a setting twice. spec §4.1 step 4"""

    def __init__(self, space: list[Dimension], rng: np.random.Generator, startup: int) -> None:
        self.space, self.rng, self.startup = space, rng, startup
        self.history: list[tuple[Hyperparameters, float]] = []
        self.proposed: set[tuple] = set()

    def tell(self, settings: Hyperparameters, score: float) -> None:
        """A trial's score. Settings outside the ranges (the defaults may be) are only kept from being proposed."""
        self.proposed.add(_key(settings))
        if all(dim.name in settings and dim.holds(settings[dim.name]) for dim in self.space):
            self.history.append((settings, score))

    def propose(self, count: int) -> list[Hyperparameters]:
        """Up to `count` settings not proposed before (fewer once the space is spent)."""
        batch = []
        for _ in range(count):
            tpe = len(self.proposed) >= self.startup and len(self.history) >= 2
            draws = [self._tpe() if tpe else self._random()] + [self._random() for _ in range(REDRAWS)]
            fresh = next((draw for draw in draws if _key(draw) not in self.proposed), None)
            if fresh is None:
                break
            self.proposed.add(_key(fresh))
            batch.append(fresh)
        return batch

    def _random(self) -> Hyperparameters:
        return {dim.name: dim.decode(self._draw(dim, [])) for dim in self.space}

    def _tpe(self) -> Hyperparameters:
        ranked = [settings for settings, _ in sorted(self.history, key=lambda trial: -trial[1])]
        cut = max(1, math.ceil(GOOD_SHARE * len(ranked)))
        good, bad = ranked[:cut], ranked[cut:]
        draws = [{dim.name: dim.decode(self._draw(dim, good)) for dim in self.space} for _ in range(CANDIDATES)]
        ratios = [sum(self._log_density(dim, good, draw[dim.name]) - self._log_density(dim, bad, draw[dim.name])
                      for dim in self.space) for draw in draws]
        return draws[int(np.argmax(ratios))]

    def _draw(self, dim: Dimension, points: list[Hyperparameters]) -> float:
        low, high = dim.bounds
        if dim.kind == CATEGORICAL:
            return float(self.rng.choice(len(dim.values), p=_frequencies(dim, points)))
        centres = [dim.encode(point[dim.name]) for point in points]
        pick = int(self.rng.integers(len(centres) + 1))   # the last component is the uniform prior
        if pick == len(centres):
            return float(self.rng.uniform(low, high))
        return float(np.clip(self.rng.normal(centres[pick], _bandwidth(dim, len(centres))), low, high))

    def _log_density(self, dim: Dimension, points: list[Hyperparameters], text: str) -> float:
        if dim.fixed:
            return 0.0
        if dim.kind == CATEGORICAL:
            return float(np.log(_frequencies(dim, points)[dim.values.index(text)]))
        low, high = dim.bounds
        x, sigma = dim.encode(text), _bandwidth(dim, len(points))
        centres = np.array([dim.encode(point[dim.name]) for point in points])
        bumps = np.exp(-0.5 * ((x - centres) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
        return float(np.log((bumps.sum() + 1.0 / (high - low)) / (len(points) + 1)))


def _frequencies(dim: Dimension, points: list[Hyperparameters]) -> np.ndarray:
    counts = np.ones(len(dim.values))
    for point in points:
        counts[dim.values.index(point[dim.name])] += 1
    return counts / counts.sum()


def _bandwidth(dim: Dimension, n: int) -> float:
    low, high = dim.bounds
    return max(high - low, 1e-12) * 0.25 * max(n, 1) ** -0.2


def _trial(bench: Bench, recipe: str, hyperparameters: Hyperparameters, trial_budget: TrainingBudget,
           rungs: list[list[float]] | None, log: Callable[[str], None]) -> tuple[dict, np.ndarray | None]:
    """One trial: (its summary, its per-user scores). With `rungs` (the validation NDCG of the trials so far at each
    epoch of RUNGS) it is asynchronous successive halving (spec §4.1 step 5, with ETA 3 instead of the median): a
    trial below the best 1/ETA of the others at a rung stops there, one among them trains on without starting
    again. The first trial, the defaults, meets no floor."""
    started = time.monotonic()
    if rungs is not None:
        floors = {epoch: float(np.quantile(found, 1.0 - 1.0 / ETA)) for epoch, found in zip(RUNGS, rungs) if found}
        trial_budget = replace(trial_budget, epoch_floors=tuple(   # none at the trial's last epoch: it ends there
            floors.get(epoch, -1.0) for epoch in range(1, min(max(RUNGS) + 1, trial_budget.max_epochs))))
    model = bench.fit(recipe, hyperparameters, trial_budget, log)
    scores = getattr(model, "validation_scores", [])
    for epoch, found in zip(RUNGS, rungs or []):
        if len(scores) >= epoch and math.isfinite(scores[epoch - 1]):
            found.append(scores[epoch - 1])
    score, per_user = bench.score_of(model, recipe)
    return {"score": score, "stoppedEarly": getattr(model, "halted", False), "validation": scores,
            "seconds": round(time.monotonic() - started, 3)}, per_user


def _choice(trials: list[dict], values: list[np.ndarray | None], log: Callable[[str], None]) -> int:
    """The winning trial, 0 for the defaults, unless a searched one beats them by more than noise
    (hpo_validation.choose); each searched trial's summary gets its gain over the defaults and its standard error."""
    best, gains, z = choose((trials[0]["score"], values[0]),
                            [(trial["score"], found) for trial, found in zip(trials[1:], values[1:])])
    for trial, (gain, error) in zip(trials[1:], gains):
        trial.update(gain=gain, gainError=error)
    if best is not None:
        log(f"best trial {best + 2}: {_show(trials[best + 1]['hyperparameters'])}, {_show_gain(trials[best + 1])} "
            f"over the defaults")
        return best + 1
    if len(trials) > 1:
        top = max(range(1, len(trials)), key=lambda number: (trials[number]["score"], -number))
        log(f"the defaults stay: no trial beat them by more than {z:.2f} standard errors of the paired gain (the "
            f"best score, trial {top + 1}: {_show_gain(trials[top])})")
    return 0


def _trial_budget(budget: TrainingBudget) -> TrainingBudget:
    return TrainingBudget(max_epochs=max(1, math.ceil(budget.max_epochs * TRIAL_SHARE)),
                          seconds=budget.seconds * TRIAL_SHARE, threads=budget.threads)


def _space(recipe: str, base: Hyperparameters, hpo_config: dict | None) -> list[Dimension]:
    """The searched dimensions: the given ranges, or (no range given, even as empty lists) the catalogue's tunable
    ones that `base` leaves at their defaults."""
    given = _given_ranges(recipe, hpo_config)
    if given:
        return given
    defaults = catalogue.traits(recipe).default_hyperparameters
    return [dim for name, dim in _catalogue_ranges(recipe)[0].items()
            if base.get(name, defaults.get(name)) == defaults.get(name)]


def _catalogue_ranges(recipe: str) -> tuple[dict[str, Dimension], set[str]]:
    """(tunable name -> its Dimension in DescribeAlgorithm's ranges, every hyperparameter name of the recipe)."""
    ranges = catalogue.tunable_ranges(catalogue.recipe_arn(recipe))
    known = set(catalogue.traits(recipe).default_hyperparameters)
    tunable = {}
    for kind, key in LISTS.items():
        for entry in ranges.get(key, []):
            known.add(entry["name"])
            if entry.get("isTunable", True):
                tunable[entry["name"]] = Dimension(entry["name"], kind, *(
                    (0.0, 0.0, tuple(entry["values"])) if kind == CATEGORICAL
                    else (entry["minValue"], entry["maxValue"])))
    return tunable, known


def _given_ranges(recipe: str, hpo_config: dict | None) -> list[Dimension] | None:
    """hpoConfig.algorithmHyperParameterRanges checked against the catalogue; None when absent."""
    given = (hpo_config or {}).get("algorithmHyperParameterRanges")
    if given is None:
        return None
    tunable, known = _catalogue_ranges(recipe)
    dims, seen = [], set()
    for kind, key in LISTS.items():
        for entry in given.get(key) or []:
            name = _canonical(entry.get("name"), known, recipe)
            if name not in tunable:
                raise ValueError(f"The hyperparameter {name} of {recipe} is not tunable"
                                 f"{'; tunable: ' + ', '.join(sorted(tunable)) if tunable else ''}.")
            if name in seen:
                raise ValueError(f"hpoConfig gives more than one range for {name}.")
            seen.add(name)
            allowed = tunable[name]
            if allowed.kind != kind:
                raise ValueError(f"{name} is {ARTICLE[allowed.kind]} {allowed.kind} hyperparameter: give its range in "
                                 f"{LISTS[allowed.kind]}, not {key}.")
            dims.append(_categorical(entry, allowed, recipe) if kind == CATEGORICAL
                        else _numeric(entry, allowed, recipe))
    return dims


def _canonical(name, known: set[str], recipe: str) -> str:
    """The range's name as the model knows it; the guide's prefixed spellings (training.bptt, data.recency_mask)
    are accepted too (spec §4.1)."""
    if not isinstance(name, str) or not name:
        raise ValueError("Every hyperparameter range needs a name.")
    if name in known:
        return name
    if "." in name and name.rsplit(".", 1)[1] in known:
        return name.rsplit(".", 1)[1]
    raise ValueError(f"{name} is not a hyperparameter of the recipe {recipe}.")


def _numeric(entry: dict, allowed: Dimension, recipe: str) -> Dimension:
    low, high = (_number(entry.get(key), f"{key} of {allowed.name}", allowed.kind == INTEGER)
                 for key in ("minValue", "maxValue"))
    if low > high:
        raise ValueError(f"The range of {allowed.name} has minValue {low:g} above maxValue {high:g}.")
    if low < allowed.low or high > allowed.high:
        raise ValueError(f"The range {low:g}..{high:g} of {allowed.name} is outside the range {allowed.low:g}.."
                         f"{allowed.high:g} that {recipe} allows.")
    return Dimension(allowed.name, allowed.kind, low, high)


def _categorical(entry: dict, allowed: Dimension, recipe: str) -> Dimension:
    values = entry.get("values")
    if not isinstance(values, list) or not values:
        raise ValueError(f"The categorical range of {allowed.name} needs a non-empty list of values.")
    spelling = {value.lower(): value for value in allowed.values}
    unknown = [value for value in values if not isinstance(value, str) or value.lower() not in spelling]
    if unknown:
        raise ValueError(f"{unknown[0]} is not a value of {allowed.name} for {recipe}; allowed: "
                         f"{', '.join(allowed.values)}.")
    return Dimension(allowed.name, CATEGORICAL, values=tuple(dict.fromkeys(spelling[v.lower()] for v in values)))


def _number(value, what: str, integer: bool) -> float:
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or (integer and not number.is_integer()):
        raise ValueError(f"The {what} is {value!r}, not {'an integer' if integer else 'a number'}.")
    return int(number) if integer else number


def _objective(hpo_config: dict | None) -> str:
    """hpoObjective is documented as unsupported: its type and metricRegex are ignored; a metricName, when
    given, must be one of the metric keys and becomes the objective."""
    return _metric(((hpo_config or {}).get("hpoObjective") or {}).get("metricName"), "hpoObjective.metricName")


def _metric(name: str | None, what: str) -> str:
    if not name:
        return OBJECTIVE
    if name not in metrics.KEYS:
        raise ValueError(f"The {what} {name} is not a metric of Amazon Personalize; use one of "
                         f"{', '.join(metrics.KEYS)}.")
    return name


def _resources(recipe: str, hpo_config: dict | None) -> tuple[int, int]:
    """(maxNumberOfTrainingJobs, maxParallelTrainingJobs), defaults from the algorithm's defaultResourceConfig."""
    algorithm = catalogue.algorithm(catalogue.recipe(catalogue.recipe_arn(recipe))["algorithmArn"]) or {}
    config = {**DEFAULT_RESOURCES, **(algorithm.get("defaultResourceConfig") or {}),
              **((hpo_config or {}).get("hpoResourceConfig") or {})}
    counts = []
    for key, limit in LIMITS.items():
        text = str(config[key]).strip()
        if not text.isdigit() or not 1 <= int(text) <= limit:
            raise ValueError(f"hpoResourceConfig.{key} is {config[key]!r}; it must be a whole number from 1 to "
                             f"{limit}.")
        counts.append(int(text))
    return counts[0], counts[1]


def _recipe(recipe: str) -> str:
    """A custom recipe's name, from its name or ARN; ValueError for anything else."""
    name = catalogue.recipe_name(recipe)
    if catalogue.recipe(catalogue.recipe_arn(name)) is None:
        raise ValueError(f"{recipe} is not a recipe.")
    if catalogue.is_domain_recipe(catalogue.recipe_arn(name)):
        raise ValueError(f"{recipe} is a domain recipe; use it with CreateRecommender.")
    return name


def _trainable(recipe: str) -> str:
    name = _recipe(recipe)
    if not registry.supported(name):
        raise ValueError(f"The emulator cannot train the recipe {name}.")
    return name


def _key(settings: Hyperparameters) -> tuple:
    return tuple(sorted(settings.items()))


def _show_stop(trial: dict) -> str:
    if not trial["stoppedEarly"]:
        return ""
    epochs = len(trial["validation"])
    return f" (stopped after {'one epoch' if epochs == 1 else f'{epochs} epochs'})"


def _show_gain(found: dict) -> str:
    return f"{found['gain']:+.4f} ± {found['gainError']:.4f}"


def _show(settings: Hyperparameters) -> str:
    return ", ".join(f"{name}={value}" for name, value in sorted(settings.items()))
