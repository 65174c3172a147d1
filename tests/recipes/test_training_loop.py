"""The shared training loop's blocks: the averaged weights that it validates and keeps."""

import numpy as np
import torch
from torch import nn

from emulator.recipes.neural import Averaged


def test_averaged_weights_are_exported_and_the_modules_own_weights_come_back():
    layer = nn.Linear(1, 1, bias=False)
    optimizer = torch.optim.SGD(layer.parameters(), lr=1.0)
    average = Averaged(layer, optimizer, horizon=4)
    expected = layer.weight.item()
    for step, value in enumerate([1.0, 2.0, 3.0, 4.0, 5.0], start=1):
        optimizer.zero_grad()
        (layer.weight.sum() * (layer.weight.item() - value)).backward()   # one SGD step sets the weight to `value`
        optimizer.step()
        expected += max(9 / (step + 9), 1 / 4) * (value - expected)
    seen = []
    average.export(lambda: seen.append(layer.weight.item()))
    assert np.isclose(seen[0], expected) and not np.isclose(expected, 5.0)
    assert layer.weight.item() == 5.0
