"""The v2 recipes' causal transformer: it learns, and numpy serving computes what torch trained."""

import numpy as np
import pytest
import torch

from emulator.recipes import registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.transformer import LENGTH, PAD, CausalTransformer
from tests.recipes import test_user_profiles
from tests import synthetic
from tests.recipes.test_models import indices
from tests.synthetic import GROUP

FAST = TrainingBudget(max_epochs=1, seconds=60, threads=1)


@pytest.fixture(scope="module")
def trained():
    data = synthetic.two_tastes_interactions(users=80, per_user=60, seed=5)
    model = registry.build("aws-user-personalization-v2", {"apply_recency_bias": "false"}, seed=3, budget=FAST)
    model.fit(data)
    model.build_user_states(data)
    return model, data


def torch_twin(model) -> CausalTransformer:
    """A torch CausalTransformer holding the numpy model's weights (and Users records, if it reads them)."""
    state = model.state
    twin = CausalTransformer(len(state["item_bias"]), model.length, torch.zeros(len(state["item_bias"])), None,
                             model._profiles if model.reads_profiles else None)
    with torch.no_grad():
        if model.reads_profiles:
            twin.profile.weight.copy_(torch.from_numpy(state["profile_weight"]))
            twin.profile.bias.copy_(torch.from_numpy(state["profile_bias"]))
        twin.item_tower.items.weight.copy_(torch.from_numpy(state["item_embeddings"]))
        twin.item_tower.bias.copy_(torch.from_numpy(state["item_bias"]))
        twin.positions.weight.copy_(torch.from_numpy(state["positions"]))
        for number, layer in enumerate(twin.blocks.layers):
            layer.load_state_dict({name: torch.from_numpy(state[f"block{number}.{name}"])
                                   for name in layer.state_dict()})
        twin.norm.load_state_dict({name: torch.from_numpy(state[f"norm.{name}"]) for name in twin.norm.state_dict()})
    return twin.eval()


@pytest.fixture(scope="module")
def with_profiles():
    known = test_user_profiles.data(test_user_profiles.profiles())
    model = registry.build("aws-user-personalization-v2", {"apply_recency_bias": "false"}, seed=3, budget=FAST)
    model.fit(known)
    model.build_user_states(known)
    return model, known


@pytest.mark.parametrize("models", ["trained", "with_profiles"])
def test_numpy_serving_gives_the_torch_models_output_at_the_last_event(models, request):
    model, data = request.getfixturevalue(models)
    twin = torch_twin(model)
    user = 3
    for length in (1, 7, LENGTH):
        history = np.resize(np.array(indices(data, ["a3", "a4", "b1", "a5", "b9"])), length)
        padded = torch.from_numpy(np.r_[np.full(LENGTH - length, PAD), history][None, :])
        with torch.no_grad():
            outputs, _, _ = twin(padded, torch.tensor([user]))
        state = model.advance(model.states_after([history[:-1]], [user])[0], int(history[-1]))
        assert np.allclose(model._encoded(state), outputs[0, -1].numpy(), atol=1e-4)


def test_it_recommends_the_next_item_and_more_of_the_users_taste(trained):
    model, data = trained
    for taste in "ab":
        state = model.initial_state(None)
        for item in indices(data, [f"{taste}{n}" for n in range(4)]):
            state = model.advance(state, item)
        best = [data.item_ids[i] for i in np.argsort(-model.item_scores(state))[:GROUP // 2]]
        assert best[0] == f"{taste}4"
        assert sum(item.startswith(taste) for item in best) > GROUP // 4


def test_a_users_state_is_their_last_events_and_grows_with_new_ones(trained):
    model, data = trained
    user = 0
    state = model.initial_state(user)
    assert state.items.tolist() == data.sequences()[user][-LENGTH:].tolist()
    assert model.advance(state, 7).items.tolist() == [*state.items.tolist()[1:], 7]   # still the last LENGTH events
    assert model.initial_state(None).items.size == 0
