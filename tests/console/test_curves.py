"""Reading training curves back from the trainer's log lines."""

from emulator.console import curves

LINES = [
    "shop-1a2b3c4d.npz: trial 1: epoch 1: loss 5.1000, validation NDCG@25 0.1000, 1.0 s",
    "shop-1a2b3c4d.npz: trial 1/4: bptt=3, hidden_dimension=50 -> normalized_discounted_cumulative_gain_at_25 "
    "0.1234 (stopped after one epoch), 3.1 s",
    "shop-1a2b3c4d.npz: trial 2: epoch 1: loss 5.0000, validation NDCG@25 0.1500, 1.0 s",
    "shop-1a2b3c4d.npz: trial 2: epoch 1: loss 4.9000, validation NDCG@25 0.1600, 1.0 s",
    "shop-1a2b3c4d.npz: trial 2: epoch 2: loss 4.0000, validation NDCG@25 0.2000, 2.0 s",
    "shop-1a2b3c4d.npz: epoch 1: loss 2.0000, validation NDCG@25 0.3000, 6.0 s",
    "shop-1a2b3c4d.npz: epoch 2: loss nan, validation NDCG@25 0.3500, 12.0 s",
    "shop-1a2b3c4d.npz: training stopped at its time budget of 240 s",
]


def test_epoch_lines_become_points_of_the_final_fit_and_of_each_trial():
    parsed = curves.parse(LINES)
    assert parsed["epochs"] == [{"epoch": 1, "loss": 2.0, "ndcg": 0.3, "seconds": 6.0},
                                {"epoch": 2, "loss": None, "ndcg": 0.35, "seconds": 12.0}]
    first, second = parsed["trials"]
    assert first["settings"] == "bptt=3, hidden_dimension=50" and first["score"] == 0.1234 and first["stoppedEarly"]
    assert [point["ndcg"] for point in second["epochs"]] == [0.16, 0.2]   # the one-epoch run gave way to the full one
    assert parsed["notes"] == ["training stopped at its time budget of 240 s"]


def test_a_trial_halved_at_a_later_rung_counts_as_stopped_early():
    line = ("x.npz: trial 3/20: bptt=5 -> normalized_discounted_cumulative_gain_at_25 0.1100 (stopped after 3 epochs), "
            "2.5 s")
    (trial,) = curves.parse([line])["trials"]
    assert trial["stoppedEarly"] and trial["score"] == 0.11 and trial["seconds"] == 2.5


def test_automl_candidates_keep_their_scores_and_curves():
    parsed = curves.parse(["x.npz: aws-user-personalization: epoch 1: loss 3.0000, validation NDCG@25 0.2000, 2.0 s",
                           "x.npz: aws-user-personalization: normalized_discounted_cumulative_gain_at_25 0.2100, 4.0 s",
                           "x.npz: aws-popularity-count: normalized_discounted_cumulative_gain_at_25 0.0500, 0.5 s",
                           "x.npz: best recipe: aws-user-personalization"])
    assert [(one["recipe"], one["score"]) for one in parsed["candidates"]] == [
        ("aws-user-personalization", 0.21), ("aws-popularity-count", 0.05)]
    assert len(parsed["candidates"][0]["epochs"]) == 1


def test_what_is_left_is_bounded_by_the_epochs_and_the_time_budget():
    parsed = curves.parse(LINES[5:7])
    assert curves.estimate(parsed, elapsed=13.0, max_epochs=10, budget_seconds=240.0) == {
        "epochsLeft": 8, "secondsLeft": 48.0}
    assert curves.estimate(parsed, elapsed=230.0, max_epochs=10, budget_seconds=240.0)["secondsLeft"] == 10.0
    assert curves.estimate(curves.parse([]), 1.0, 10, 240.0) == {"epochsLeft": None, "secondsLeft": None}
