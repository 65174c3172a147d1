"""The contract every model in the registry keeps: trained on a small dataset, saved and loaded again, it answers
every serving question exactly as before, from a file of plain arrays (nothing pickled)."""

import numpy as np
import pytest

from emulator.recipes import registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import CATEGORICAL, NUMERICAL, TEXTUAL, Interactions, Metadata
from tests import synthetic

# The smallest settings each model takes: the contract is about what a save keeps, not about quality.
GRU = {"hidden_dimension": "8", "bptt": "4"}
TINY = {"aws-user-personalization": GRU, "aws-personalized-ranking": GRU, "aws-hrnn": GRU, "aws-hrnn-metadata": GRU,
        "aws-hrnn-coldstart": GRU, "aws-item-affinity": GRU, "aws-item-attribute-affinity": GRU,
        "aws-similar-items": {"item_id_hidden_dim": "8", "item_metadata_hidden_dim": "4"},
        "emulator-deepfm": {"embedding_dim": "4", "hidden_layers": "8"},
        "emulator-ffnn": {"embedding_dim": "4", "hidden_layers": "8"}}
BUDGET = TrainingBudget(max_epochs=1, seconds=30, threads=1)
USERS = (0, 7, 33)   # user indices asked about: of either taste


def dataset() -> Interactions:
    """40 users of two tastes over 10 items (about 120 events each, half of them TAKEN, so that
    aws-next-best-action scores every action), with Items (categorical, numerical, textual) and Users records."""
    rows = synthetic.two_tastes(users=40, items=10, per_user=30, seed=7)
    items = Metadata.from_records(
        {item: {"GENRE": genre, "PRICE": float(price) if price else None, "DESCRIPTION": f"a {genre} numbered {item}"}
         for item, genre, price in synthetic.items_of_two_tastes(items=10)},
        {"GENRE": CATEGORICAL, "PRICE": NUMERICAL, "DESCRIPTION": TEXTUAL})
    users = Metadata.from_records({user: {"SEGMENT": "comedy" if item.startswith("a") else "drama"}
                                   for user, item, _ in rows}, {"SEGMENT": CATEGORICAL})
    types = ["TAKEN" if number % 2 else "NOT_TAKEN" for number in range(len(rows))]
    return Interactions.from_columns(*zip(*rows), items=items, users=users, event_types=types)


def answers(model) -> dict[str, np.ndarray]:
    """What serving asks a model, by question."""
    found = {"item_ids": model.item_ids, "cold": model.item_scores(model.initial_state(None)),
             "after item 3": model.item_scores(model.advance(model.initial_state(None), 3))}
    for user in USERS:
        found[f"user {user}"] = model.item_scores(model.initial_state(user))
        found[f"user {user} after item 2"] = model.item_scores(model.advance(model.initial_state(user), 2))
    if model.reads_profiles:
        found["new comedy fan"] = model.item_scores(model.new_user_state({"SEGMENT": "comedy"}))
    if hasattr(model, "users_for_items"):
        found["segment of item 2"] = np.concatenate(model.users_for_items(np.array([2]), 5))
    if hasattr(model, "users_for_attributes"):
        for query in ([("GENRE", "comedy")], [("PRICE", "3.5")]):
            found[f"segment of {query}"] = np.concatenate(model.users_for_attributes(query, 5))
    return found


@pytest.fixture(scope="module")
def data() -> Interactions:
    return dataset()


@pytest.mark.parametrize("recipe", sorted(registry.MODELS))
def test_a_saved_model_loads_answering_exactly_as_the_trained_one(recipe, data, tmp_path):
    model = registry.build(recipe, TINY.get(recipe, {}), seed=3, budget=BUDGET)
    model.fit(data)
    model.build_user_states(data)
    model.save(tmp_path / "model.npz")
    loaded = registry.load(tmp_path / "model.npz")

    assert type(loaded) is type(model)
    assert (loaded.hyperparameters, loaded.seed) == (model.hyperparameters, model.seed)
    assert list(loaded.item_ids) == list(data.item_ids) and list(loaded.user_ids) == list(data.user_ids)
    expected, given = answers(model), answers(loaded)
    assert given.keys() == expected.keys()
    for question, answer in expected.items():
        assert np.array_equal(given[question], answer), question
    assert any(np.ptp(answer) > 0 for question, answer in expected.items() if question != "item_ids"), \
        "every answer is one constant: the round trip would show nothing"
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        assert all(saved[key].dtype != object for key in saved.files)
