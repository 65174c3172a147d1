"""The shared training loop: when validation stops it, and the averaged weights that it validates and keeps."""

import numpy as np
import torch
from torch import nn

from emulator.recipes.base import MIN_GAIN, Epoch, Recommender
from emulator.recipes.neural import WARM, Averaged
from emulator.settings import TrainingBudget


class Scripted(Recommender):
    """A model whose epochs are scripted: each exports its number, validation reads the next scripted score."""
    recipe = "scripted"

    def fit(self, train, log=print) -> None: ...
    def initial_state(self, user): ...
    def advance(self, state, item): ...
    def item_scores(self, state): ...

    def run(self, scores: list[float]) -> list[float]:
        done = []
        self._train_epochs(lambda deadline: Epoch(loss=1.0, steps=1000), lambda: self.state.update(epoch=len(done)),
                           lambda: done.append(scores[len(done)]) or done[-1], lambda line: None)
        return done


def test_a_gain_below_min_gain_stops_training_and_keeps_the_better_state():
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1))
    small = 0.2 * (1 + MIN_GAIN / 2)
    assert model.run([0.1, 0.2, small, 0.3]) == [0.1, 0.2, small]
    assert model.state["epoch"] == 2


def test_of_epochs_within_min_gain_of_the_best_the_later_is_kept():
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1))
    assert model.run([0.1, 0.2, 0.2 * (1 - MIN_GAIN / 2), 0.3]) == [0.1, 0.2, 0.2 * (1 - MIN_GAIN / 2)]
    assert model.state["epoch"] == 2


def test_an_epoch_below_the_best_by_more_than_min_gain_is_not_kept():
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1))
    assert model.run([0.1, 0.2, 0.1, 0.3]) == [0.1, 0.2, 0.1]
    assert model.state["epoch"] == 1


def test_a_gain_of_min_gain_or_more_keeps_training():
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1))
    rising = [0.1 * (1 + 2 * MIN_GAIN) ** number for number in range(5)]
    assert model.run([*rising, 0.0]) == [*rising, 0.0]
    assert model.state["epoch"] == 4


def test_an_epoch_below_its_floor_halts_training_there():
    floors = (0.1, 0.25)   # successive halving's: epoch 1 passes its floor, epoch 2 does not
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1, epoch_floors=floors))
    assert model.run([0.2, 0.22, 0.3, 0.4]) == [0.2, 0.22] and model.halted
    model = Scripted({}, budget=TrainingBudget(max_epochs=3, threads=1, epoch_floors=floors))
    assert model.run([0.2, 0.3, 0.4]) == [0.2, 0.3, 0.4] and not model.halted


def test_epochs_before_the_warm_passes_are_not_validated_but_the_first():
    model = Scripted({}, budget=TrainingBudget(max_epochs=10, threads=1))
    validated = []

    def validate() -> float:
        validated.append(model.state["epoch"])
        return 0.1
    model._train_epochs(lambda deadline: Epoch(loss=1.0, steps=1000, passes=0.5, share=0.5),
                        lambda: model.state.update(epoch=model.state.get("epoch", 0) + 1), validate,
                        lambda line: None, warm_passes=2.0, max_passes=2.0)
    assert validated == [1, 4] and model.state["epoch"] == 4


def test_averaged_weights_are_exported_and_the_modules_own_weights_come_back():
    layer = nn.Linear(1, 1, bias=False)
    optimizer = torch.optim.SGD(layer.parameters(), lr=1.0)
    average = Averaged(layer, optimizer, horizon=4)
    expected = layer.weight.item()
    for step, value in enumerate([1.0, 2.0, 3.0, 4.0, 5.0], start=1):
        optimizer.zero_grad()
        (layer.weight.sum() * (layer.weight.item() - value)).backward()   # one SGD step sets the weight to `value`
        optimizer.step()
        expected += max(WARM / (step + WARM), 1 / 4) * (value - expected)
    seen = []
    average.export(lambda: seen.append(layer.weight.item()))
    assert np.isclose(seen[0], expected) and not np.isclose(expected, 5.0)
    assert layer.weight.item() == 5.0
