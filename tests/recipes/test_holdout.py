"""Early stopping's validation: the newest event of many training users, whose older events stay in training, the
same whatever the training seed, scored in batches as serving would score those users."""

import numpy as np
import pytest

from emulator.recipes import holdout, registry
from emulator.recipes.base import TrainingBudget
from tests import synthetic

ONE_EPOCH = TrainingBudget(max_epochs=1, seconds=60, threads=1)


def test_each_validation_user_keeps_their_older_events_in_training_and_predicts_their_newest():
    data = synthetic.two_tastes_interactions(users=60, per_user=24, seed=2)
    fit_part, validation = holdout.split(data)
    sequences, kept = data.sequences(), fit_part.sequences()
    assert len(validation) == 60   # every user, not a share of them held out whole
    for test in validation.tests:
        assert test.relevant.tolist() == sequences[test.user][-1:].tolist()
        assert kept[test.user].tolist() == test.history.tolist() == sequences[test.user][:-1].tolist()
    assert fit_part.n_interactions == data.n_interactions - 60


def test_validation_users_are_capped_and_do_not_depend_on_the_training_seed(monkeypatch):
    data = synthetic.two_tastes_interactions(users=60, per_user=24, seed=2)
    monkeypatch.setattr(holdout, "MOST_USERS", 25)
    assert len(holdout.split(data)[1]) == 25
    seen, scoring = [], holdout.HoldOut.ndcg

    def recording(self, scores_of, k=25):   # records the users, then validates as ever
        seen.append(self.users)
        return scoring(self, scores_of, k)
    monkeypatch.setattr(holdout.HoldOut, "ndcg", recording)
    for seed in (1, 2):
        registry.build("aws-hrnn", {"hidden_dimension": "8", "bptt": "8"}, seed=seed, budget=ONE_EPOCH).fit(data)
    assert len(seen) == 2 and seen[0].tolist() == seen[1].tolist()


@pytest.mark.parametrize("recipe", ["aws-user-personalization-v2", "emulator-ffnn"])
def test_the_batched_validation_scores_what_serving_scores(recipe, monkeypatch):
    """v2 validates with its torch module, FFNN with a batched numpy pass: both rank as the saved model serves the
    validation users (known users, their history fed)."""
    data = synthetic.two_tastes_interactions(users=60, per_user=24, seed=4)
    found = []
    scoring = holdout.HoldOut.ndcg

    def recording(self, scores_of, k=25):
        found.append((self, scores_of(self.tests)))
        return scoring(self, scores_of, k)
    monkeypatch.setattr(holdout.HoldOut, "ndcg", recording)
    model = registry.build(recipe, {}, seed=3, budget=ONE_EPOCH)
    model.fit(data)
    model.build_user_states(data)
    validation, batched = found[-1]
    served = np.stack([model.item_scores(model.states_after([test.history], [test.user])[0] if recipe.endswith("v2")
                                         else np.r_[test.user, test.history[-3:]]) for test in validation.tests])
    assert np.allclose(batched, served, atol=1e-4)
