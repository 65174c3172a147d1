"""HPO and AutoML on small generated data: trials scored on the validation users' newest events, the defaults kept
unless a searched setting beats them, the winner reported as AWS strings."""

import math

import numpy as np
import pytest

from emulator.recipes import holdout, hpo_validation, tuning
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions
from service_model import recipes as catalogue
from tests import synthetic

CHEAP = TrainingBudget(max_epochs=2, seconds=60, threads=1)
SIMS = "aws-sims"
SIMS_DEFAULTS = catalogue.default_hyperparameters("arn:aws:personalize:::recipe/aws-sims")
DISCOUNT = {"name": "popularity_discount_factor", "minValue": 0.2, "maxValue": 0.8}


@pytest.fixture(scope="module")
def train() -> Interactions:
    rows = synthetic.two_tastes(users=80, items=60, per_user=25, seed=1)
    training_users, _ = Interactions.from_columns(*zip(*rows)).split(seed=2)
    return training_users


@pytest.fixture(scope="module")
def sparse_pairs() -> Interactions:
    """Items seen together by few users: SIMS's min_cointeraction_count of 1-2 keeps the pairs, 6 and above drops
    most of them (NDCG@25 on the validation users about 0.48 at 1-3 and 0.05-0.31 at 5-10)."""
    rows = synthetic.two_tastes(users=80, items=200, per_user=25, seed=1)
    training_users, _ = Interactions.from_columns(*zip(*rows)).split(seed=2)
    return training_users


def sims_config(jobs: int = 8, parallel: int = 3, **ranges) -> dict:
    return {"hpoResourceConfig": {"maxNumberOfTrainingJobs": str(jobs), "maxParallelTrainingJobs": str(parallel)},
            "algorithmHyperParameterRanges": ranges}


def cointeractions(low: int, high: int) -> list[dict]:
    return [{"name": "min_cointeraction_count", "minValue": low, "maxValue": high}]


def test_hpo_scores_the_defaults_first_and_a_winner_beats_them_beyond_noise(train):
    config = sims_config(continuousHyperParameterRanges=[DISCOUNT], integerHyperParameterRanges=cointeractions(1, 4))
    lines = []
    winner, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=7, budget=CHEAP, log=lines.append)
    trials = summary["trials"]
    assert len(trials) == 8 and summary["objective"] == "normalized_discounted_cumulative_gain_at_25"
    assert trials[0]["hyperparameters"] == {"popularity_discount_factor": "0.5", "min_cointeraction_count": "3"}
    assert "(the defaults)" in next(line for line in lines if line.startswith("trial 1/8"))
    best = trials[summary["best"]]
    assert {key: winner[key] for key in best["hyperparameters"]} == best["hyperparameters"]
    if summary["best"]:
        assert best["gain"] > 2 * best["gainError"] > 0
        assert 0.2 <= float(winner["popularity_discount_factor"]) <= 0.8
        assert winner["min_cointeraction_count"] in {"1", "2", "3", "4"}
    else:
        assert winner == SIMS_DEFAULTS and any("the defaults stay" in line for line in lines)
    assert all(isinstance(value, str) for value in winner.values())
    untuned = set(SIMS_DEFAULTS) - {"popularity_discount_factor", "min_cointeraction_count"}
    assert {key: winner[key] for key in untuned} == {key: SIMS_DEFAULTS[key] for key in untuned}
    assert summary["validationUsers"] == train.users_with_at_least(2)   # every user, on data this small


def test_hpo_whose_ranges_hold_only_worse_settings_returns_the_defaults(sparse_pairs):
    lines = []
    winner, summary = tuning.search(SIMS, sparse_pairs, SIMS_DEFAULTS,
                                    sims_config(jobs=6, integerHyperParameterRanges=cointeractions(6, 10)), seed=3,
                                    budget=CHEAP, log=lines.append)
    trials = summary["trials"]
    assert [trial["hyperparameters"]["min_cointeraction_count"] for trial in trials][0] == "3"
    assert len(trials) == 6 and all(trial["gain"] < 0 for trial in trials[1:])
    assert summary["best"] == 0 and winner == SIMS_DEFAULTS
    assert any(line.startswith("the defaults stay") for line in lines)


def test_hpo_whose_range_holds_a_clearly_better_setting_picks_it(sparse_pairs):
    base = {**SIMS_DEFAULTS, "min_cointeraction_count": "10"}   # what the user set, searched over 1..3 instead
    winner, summary = tuning.search(SIMS, sparse_pairs, base, sims_config(jobs=6,
                                    integerHyperParameterRanges=cointeractions(1, 3)), seed=3, budget=CHEAP)
    trials = summary["trials"]
    assert trials[0]["hyperparameters"] == {"min_cointeraction_count": "10"} and len(trials) == 4
    assert "every setting" in summary["stoppedBy"]
    assert summary["best"] > 0 and winner["min_cointeraction_count"] in {"1", "2", "3"}
    assert trials[summary["best"]]["gain"] > 0.2
    assert summary["confirmation"]["confirmed"] and summary["confirmation"]["gain"] > 0.2


def test_hpo_keeps_the_defaults_when_the_winner_does_not_beat_them_again_from_another_seed(sparse_pairs,
                                                                                            monkeypatch):
    monkeypatch.setattr(tuning, "confirmation", lambda *_: {"gain": 0.001, "gainError": 0.01, "confirmed": False})
    base = {**SIMS_DEFAULTS, "min_cointeraction_count": "10"}
    lines = []
    winner, summary = tuning.search(SIMS, sparse_pairs, base, sims_config(jobs=6,
                                    integerHyperParameterRanges=cointeractions(1, 3)), seed=3, budget=CHEAP,
                                    log=lines.append)
    assert summary["best"] == 0 and winner == base and lines[-1].endswith("the defaults stay")


def test_the_defaults_stay_against_many_settings_that_differ_by_noise_alone():
    rng = np.random.default_rng(4)
    defaults = rng.uniform(0, 1, size=500)
    noise = [defaults + rng.normal(0, 0.1, size=500) for _ in range(19)]
    best, gains, _ = hpo_validation.choose((defaults.mean(), defaults), [(v.mean(), v) for v in noise])
    assert best is None
    # one standard error, without the allowance for 19 tries, would have swapped the defaults for noise
    assert max(gain / error for gain, error in gains) > 1.0
    better = defaults + 0.03 + rng.normal(0, 0.1, size=500)   # a real gain, 6.7 standard errors
    trials = [(v.mean(), v) for v in [*noise, better]]
    assert hpo_validation.choose((defaults.mean(), defaults), trials)[0] == 19


def test_validation_users_are_scored_on_their_newest_event_after_training_on_the_older_ones(train):
    fit_part, validation = hpo_validation.validation_split(train, seed=5)
    sequences, kept = train.sequences(), fit_part.sequences()
    assert len(validation) == train.users_with_at_least(2)   # every user, on data this small
    for test in validation:
        assert list(kept[test.user]) == list(test.history) == list(sequences[test.user][:-1])
        assert test.relevant.tolist() == [sequences[test.user][-1]]
    assert fit_part.n_interactions == train.n_interactions - len(validation)


def test_validation_users_are_capped_on_large_catalogues(monkeypatch, train):
    monkeypatch.setattr(holdout, "MOST_CELLS", 10 * train.n_items)
    monkeypatch.setattr(holdout, "LEAST_USERS", 5)
    assert len(hpo_validation.validation_split(train, seed=5)[1]) == 10
    monkeypatch.setattr(holdout, "LEAST_USERS", 20)
    assert len(hpo_validation.validation_split(train, seed=5)[1]) == 20


def test_hpo_with_the_same_seed_tries_the_same_settings(train):
    config = sims_config(continuousHyperParameterRanges=[DISCOUNT])
    runs = [tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=3, budget=CHEAP) for _ in range(2)]
    assert runs[0][0] == runs[1][0]
    assert [trial["hyperparameters"] for trial in runs[0][1]["trials"]] == \
        [trial["hyperparameters"] for trial in runs[1][1]["trials"]]
    assert len(runs[0][1]["trials"]) == 8


def test_hpo_without_ranges_searches_the_catalogue_ranges_but_keeps_what_the_user_set(train):
    base = {**SIMS_DEFAULTS, "min_cointeraction_count": "2"}   # the user fixed it in algorithmHyperParameters
    winner, summary = tuning.search(SIMS, train, base, sims_config(jobs=4), seed=1, budget=CHEAP)
    tried = [trial["hyperparameters"] for trial in summary["trials"]]
    assert len(tried) == 4 and all(set(settings) == {"popularity_discount_factor"} for settings in tried)
    assert len({settings["popularity_discount_factor"] for settings in tried}) == 4
    assert winner["min_cointeraction_count"] == "2"
    assert all(0.0 <= float(settings["popularity_discount_factor"]) <= 1.0 for settings in tried)


def test_hpo_stops_when_every_setting_in_the_ranges_was_tried(train):
    config = sims_config(jobs=10, integerHyperParameterRanges=[
        {"name": "min_cointeraction_count", "minValue": 1, "maxValue": 2}])
    _, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=1, budget=CHEAP)
    tried = [trial["hyperparameters"]["min_cointeraction_count"] for trial in summary["trials"]]
    assert tried[0] == "3" and sorted(tried[1:]) == ["1", "2"]   # the defaults, outside the range, then the range
    assert "every setting" in summary["stoppedBy"]


def test_hpo_starts_no_trial_after_its_time_budget(train):
    config = sims_config(continuousHyperParameterRanges=[DISCOUNT])
    _, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=1,
                               budget=TrainingBudget(max_epochs=1, seconds=0.0))
    assert len(summary["trials"]) == 1 and "time budget" in summary["stoppedBy"]
    assert summary["trials"][0]["hyperparameters"] == {"popularity_discount_factor": "0.5"}   # the defaults


def test_hpo_time_budget_is_a_multiple_of_what_the_defaults_trial_took(monkeypatch, train):
    monkeypatch.setattr(tuning, "SEARCH_FLOOR", 0.0)
    monkeypatch.setattr(tuning, "SEARCH_TRIALS", 1.0)   # the defaults' trial spends the whole budget
    config = sims_config(continuousHyperParameterRanges=[DISCOUNT])
    _, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=1, budget=CHEAP)
    assert len(summary["trials"]) == 1 and "time budget" in summary["stoppedBy"]
    monkeypatch.setattr(tuning, "SEARCH_FLOOR", 60.0)   # what a quick search gets at least
    _, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=1, budget=CHEAP)
    assert len(summary["trials"]) == 8 and summary["stoppedBy"] is None


def test_hpo_of_a_recipe_without_tunable_hyperparameters_keeps_them_and_trains_nothing(train):
    base = catalogue.default_hyperparameters("arn:aws:personalize:::recipe/aws-popularity-count")
    winner, summary = tuning.search("aws-popularity-count", train, base, None, seed=1, budget=CHEAP)
    assert winner == base and summary["trials"] == []


def test_hpo_objective_follows_a_given_metric_name(train):
    config = {**sims_config(jobs=3, continuousHyperParameterRanges=[DISCOUNT]),
              "hpoObjective": {"type": "Maximize", "metricName": "precision_at_5"}}
    _, summary = tuning.search(SIMS, train, SIMS_DEFAULTS, config, seed=1, budget=CHEAP)
    assert summary["objective"] == "precision_at_5"
    assert all(math.isclose(trial["score"] * 5 * summary["validationUsers"],
                            round(trial["score"] * 5 * summary["validationUsers"]), abs_tol=0.01)
               for trial in summary["trials"])   # a precision at 5 counts hits: a multiple of 1/(5 users)


def test_successive_halving_stops_a_trial_below_the_best_third_of_the_earlier_ones_at_a_rung(monkeypatch, train):
    monkeypatch.setattr(tuning, "SEARCH_FLOOR", 600.0)   # every trial runs, however slow the machine
    config = {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "8", "maxParallelTrainingJobs": "4"},
              "algorithmHyperParameterRanges": {"integerHyperParameterRanges": [
                  {"name": "hidden_dimension", "minValue": 32, "maxValue": 96}]}}
    base = catalogue.default_hyperparameters("arn:aws:personalize:::recipe/aws-user-personalization")
    lines, budget = [], TrainingBudget(max_epochs=10, seconds=60, threads=1)
    _, summary = tuning.search("aws-user-personalization", train, base, config, seed=3, budget=budget,
                               log=lines.append)
    trials, last = summary["trials"], tuning._trial_budget(budget).max_epochs
    assert len(trials) == 8 and not trials[0]["stoppedEarly"] and any(trial["stoppedEarly"] for trial in trials)
    for number, trial in enumerate(trials[1:], start=1):
        scores, below = trial["validation"], []
        for epoch in [epoch for epoch in tuning.RUNGS if epoch < last]:   # a trial's last epoch ends it anyway
            earlier = [other["validation"][epoch - 1] for other in trials[:number] if len(other["validation"]) >= epoch]
            if earlier and len(scores) >= epoch and scores[epoch - 1] < np.quantile(earlier, 1 - 1 / tuning.ETA):
                below.append(epoch)
        assert trial["stoppedEarly"] == bool(below) and (not below or len(scores) == below[0])
    halved = next(number for number, trial in enumerate(trials, start=1) if trial["stoppedEarly"])
    assert "(stopped after" in next(line for line in lines if line.startswith(f"trial {halved}/8"))


def test_hpo_of_a_sequence_recipe_accepts_the_guides_prefixed_names_and_reports_plain_ones(monkeypatch, train):
    monkeypatch.setattr(tuning, "SEARCH_FLOOR", 600.0)   # every trial runs, however slow the machine
    base = catalogue.default_hyperparameters("arn:aws:personalize:::recipe/aws-user-personalization")
    config = {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "3", "maxParallelTrainingJobs": "3"},
              "algorithmHyperParameterRanges": {
                  "integerHyperParameterRanges": [{"name": "hidden_dimension", "minValue": 32, "maxValue": 40},
                                                  {"name": "training.bptt", "minValue": 2, "maxValue": 6}],
                  "categoricalHyperParameterRanges": [{"name": "data.recency_mask", "values": ["False"]}]}}
    winner, summary = tuning.search("aws-user-personalization", train, base, config, seed=2,
                                    budget=TrainingBudget(max_epochs=2, seconds=30, threads=1))
    trials = summary["trials"]
    assert len(trials) == 3 and not trials[0]["stoppedEarly"]   # the first trial meets no floor
    assert trials[0]["hyperparameters"] == {"hidden_dimension": "149", "bptt": "32", "recency_mask": "true"}
    for settings in [trial["hyperparameters"] for trial in trials[1:]]:
        assert settings["recency_mask"] == "false" and 2 <= int(settings["bptt"]) <= 6
        assert 32 <= int(settings["hidden_dimension"]) <= 40
    assert winner == {**base, **trials[summary["best"]]["hyperparameters"]}
    assert not any("." in name for name in winner)


def test_automl_picks_a_personalized_recipe_over_popularity_on_data_with_clear_tastes(train):
    lines = []
    best, scores = tuning.choose_recipe(
        ["aws-popularity-count", "arn:aws:personalize:::recipe/aws-user-personalization"], train,
        "precision_at_5", seed=1, budget=TrainingBudget(max_epochs=2, seconds=30, threads=1), log=lines.append)
    assert best == "aws-user-personalization"
    assert set(scores) == {"aws-popularity-count", "aws-user-personalization"}
    assert scores["aws-user-personalization"] > scores["aws-popularity-count"]
    assert lines[-1] == "best recipe: aws-user-personalization"


def test_automl_scores_by_ndcg_at_25_unless_told_and_ties_go_to_the_first_candidate(train):
    best, scores = tuning.choose_recipe(["aws-popularity-count", "aws-popularity-count", "aws-sims"], train, None,
                                        seed=1, budget=CHEAP)
    assert list(scores) == ["aws-popularity-count", "aws-sims"]
    assert best == max(scores, key=scores.__getitem__)


@pytest.mark.parametrize("candidates, message", [
    (["aws-no-such-recipe"], "is not a recipe"),
    (["aws-ecomm-recommended-for-you"], "domain recipe"),
    ([], "no recipe"),
])
def test_automl_rejects_candidates_it_cannot_train(train, candidates, message):
    with pytest.raises(ValueError, match=message):
        tuning.choose_recipe(candidates, train, None, seed=1, budget=CHEAP)


def test_automl_rejects_an_unknown_metric(train):
    with pytest.raises(ValueError, match="ndcg is not a metric"):
        tuning.choose_recipe(["aws-sims"], train, "ndcg", seed=1, budget=CHEAP)
    with pytest.raises(ValueError, match="ndcg is not a metric"):
        tuning.validate_automl_config({"metricName": "ndcg", "recipeList": ["aws-sims"]})


def ranges(**lists) -> dict:
    return {"algorithmHyperParameterRanges": lists}


@pytest.mark.parametrize("recipe, config, message", [
    (SIMS, {"hpoObjective": {"metricName": "accuracy"}}, "accuracy is not a metric"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "popularity_discount_factor", "minValue": 0.5,
                                                   "maxValue": 1.5}]), "outside the range 0..1"),
    ("aws-user-personalization", ranges(integerHyperParameterRanges=[{"name": "hidden_dimension", "minValue": 16,
                                                                      "maxValue": 64}]), "outside the range 32..256"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "min_user_history_length_percentile", "minValue": 0,
                                                   "maxValue": 0.1}]), "is not tunable"),
    ("aws-item-affinity", ranges(integerHyperParameterRanges=[{"name": "hidden_dimension", "minValue": 32,
                                                               "maxValue": 64}]), "is not tunable"),
    (SIMS, ranges(integerHyperParameterRanges=[{"name": "bptt", "minValue": 2, "maxValue": 4}]),
     "bptt is not a hyperparameter of the recipe aws-sims"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "popularity_discount_factor", "minValue": 0.8,
                                                   "maxValue": 0.2}]), "minValue 0.8 above maxValue 0.2"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "popularity_discount_factor", "minValue": "low",
                                                   "maxValue": 0.2}]), "'low', not a number"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "popularity_discount_factor", "minValue": 0.1,
                                                   "maxValue": float("nan")}]), "not a number"),
    (SIMS, ranges(integerHyperParameterRanges=[{"name": "min_cointeraction_count", "minValue": 1,
                                                "maxValue": 2.5}]), "2.5, not an integer"),
    (SIMS, ranges(continuousHyperParameterRanges=[{"name": "min_cointeraction_count", "minValue": 1,
                                                   "maxValue": 2}]), "give its range in integerHyperParameterRanges"),
    ("aws-user-personalization", ranges(categoricalHyperParameterRanges=[{"name": "recency_mask",
                                                                          "values": ["maybe"]}]),
     "maybe is not a value of recency_mask"),
    ("aws-user-personalization", ranges(categoricalHyperParameterRanges=[{"name": "recency_mask", "values": []}]),
     "non-empty list"),
    (SIMS, ranges(integerHyperParameterRanges=[{"name": "min_cointeraction_count", "minValue": 1, "maxValue": 2},
                                               {"name": "min_cointeraction_count", "minValue": 3, "maxValue": 4}]),
     "more than one range"),
    (SIMS, ranges(integerHyperParameterRanges=[{"minValue": 1, "maxValue": 2}]), "needs a name"),
    (SIMS, {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "41"}}, "maxNumberOfTrainingJobs is '41'"),
    (SIMS, {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "0"}}, "from 1 to 40"),
    (SIMS, {"hpoResourceConfig": {"maxParallelTrainingJobs": "eleven"}}, "from 1 to 10"),
    ("aws-no-such-recipe", {}, "is not a recipe"),
])
def test_invalid_hpo_config_is_rejected_with_a_message_naming_the_problem(recipe, config, message):
    with pytest.raises(ValueError, match=message):
        tuning.validate_hpo_config(recipe, config)


def test_valid_hpo_config_passes_in_either_spelling_and_by_recipe_arn():
    config = {
        "hpoObjective": {"type": "Maximize", "metricName": "precision_at_25", "metricRegex": ".*"},
        "hpoResourceConfig": {"maxNumberOfTrainingJobs": "40", "maxParallelTrainingJobs": "10"},
        "algorithmHyperParameterRanges": {
            "integerHyperParameterRanges": [{"name": "training.bptt", "minValue": 2, "maxValue": 32},
                                            {"name": "hidden_dimension", "minValue": 64, "maxValue": 64}],
            "categoricalHyperParameterRanges": [{"name": "data.recency_mask", "values": ["TRUE", "false"]}]}}
    tuning.validate_hpo_config("arn:aws:personalize:::recipe/aws-user-personalization", config)
    config["algorithmHyperParameterRanges"]["integerHyperParameterRanges"][0]["maxValue"] = 33
    with pytest.raises(ValueError):   # the same config one step outside bptt's range is refused
        tuning.validate_hpo_config("arn:aws:personalize:::recipe/aws-user-personalization", config)
    tuning.validate_hpo_config(SIMS, None)
    tuning.validate_hpo_config("aws-next-best-action", {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "5"}})


def test_tpe_proposals_gather_around_the_best_setting():
    space = [tuning.Dimension("x", tuning.CONTINUOUS, 0.0, 1.0)]
    sampler = tuning.Sampler(space, np.random.default_rng(0), startup=5)
    distances = []
    for _ in range(40):
        (settings,) = sampler.propose(1)
        distances.append(abs(float(settings["x"]) - 0.7))
        sampler.tell(settings, -distances[-1])
    # uniform draws would land 0.29 from 0.7 on average
    assert np.mean(distances[20:]) < 0.1


def test_log_scale_dimension_round_trips_integers_within_bounds():
    bptt = tuning.Dimension("bptt", tuning.INTEGER, 2, 32)
    assert bptt.log and not tuning.Dimension("hidden_dimension", tuning.INTEGER, 32, 256).log
    low, high = bptt.bounds
    assert [bptt.decode(x) for x in (low, high, high + 1.0)] == ["2", "32", "32"]
    assert bptt.decode(bptt.encode("9")) == "9"
