"""The item-to-item term of aws-user-personalization's scores: fitted beside the GRU, carried in the state as the
user's recent items, kept through a save and a catalogue update, and absent from the legacy HRNN recipes."""

import numpy as np
import pytest

from emulator.recipes import item_neighbours, metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions
from emulator.recipes.hrnn import ITEM_TERM_KEYS

PAIRS = 40
TINY = {"hidden_dimension": "8", "bptt": "8", "recency_mask": "false"}
ONE_EPOCH = TrainingBudget(max_epochs=1, seconds=60, threads=1)


def pairs_data(users: int = 300, pairs_per_user: int = 6, seed: int = 0) -> Interactions:
    """Items come in pairs (p0a, p0b), ...: each user takes random pairs, the two items of a pair one after the
    other, so that a user's last item, when it opens a pair, says exactly what comes next."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(users):
        for pair in rng.choice(PAIRS, size=pairs_per_user, replace=False).tolist():
            for side in "ab":
                rows.append((f"u{user}", f"p{pair}{side}", len(rows)))
    return Interactions.from_columns(*zip(*rows))


@pytest.fixture(scope="module")
def trained():
    data = pairs_data()
    model = registry.build("aws-user-personalization", TINY, seed=1, budget=ONE_EPOCH)
    model.fit(data)
    model.build_user_states(data)
    return model, data


def successor_hits(model, data: Interactions, with_item_term: bool) -> int:
    """Of the PAIRS histories (the pairs before, then the first item of pair n), how many rank pair n's second item
    first among the items not yet seen."""
    lookup = {item: index for index, item in enumerate(data.item_ids)}
    hits = 0
    for pair in range(PAIRS):
        history = [lookup[f"p{(pair + step) % PAIRS}{side}"] for step in (7, 13) for side in "ab"]
        history.append(lookup[f"p{pair}a"])
        state = model.initial_state(None)
        for item in history:
            state = model.advance(state, item)
        scores = model.item_scores(state) if with_item_term else model.sequence_scores(state)
        scores[history] = -np.inf
        hits += data.item_ids[metrics.top_k(scores, 1)[0]] == f"p{pair}b"
    return hits


def test_the_item_term_ranks_the_successor_of_the_last_item_first_where_the_gru_alone_does_not(trained):
    model, data = trained
    assert all(key in model.state for key in ITEM_TERM_KEYS)
    assert successor_hits(model, data, with_item_term=True) >= 0.9 * PAIRS
    assert successor_hits(model, data, with_item_term=False) <= 0.5 * PAIRS


def test_a_state_carries_the_hidden_vector_then_the_recent_items_newest_last(trained):
    model, data = trained
    state = model.initial_state(None)
    assert state.shape == (model.width + item_neighbours.RECENT,) and not state.any()
    for item in (4, 9, 2):
        state = model.advance(state, item)
    assert state[model.width:][-3:].tolist() == [5, 10, 3]   # index + 1: 0 is an empty slot
    assert not state[model.width:][:-3].any()
    user = 17
    history = data.sequences()[user][-item_neighbours.RECENT:]   # 12 events: the slots before them are empty
    assert model.initial_state(user)[model.width:].tolist() == [0] * (item_neighbours.RECENT - len(history)) + \
        (history + 1).tolist()


def test_an_update_gives_new_items_no_neighbours_and_keeps_the_others_under_their_new_indices(trained):
    model, data = trained
    old_ids = data.item_ids.tolist()
    before = {old_ids[item]: [old_ids[n] for n in row if n >= 0]
              for item, row in enumerate(model.state["neighbours"].tolist())}
    grown = Interactions.from_columns(["u0", "u1", "new-user"], ["p0a", "aa-new", "p3b"], [10_000, 10_001, 10_002],
                                      extra_items=old_ids)
    updated = registry.build("aws-user-personalization", TINY, seed=1)
    updated.state = {key: value.copy() for key, value in model.state.items()}
    updated.update(grown)
    new_ids = updated.item_ids.tolist()
    assert new_ids[0] == "aa-new" and len(new_ids) == len(old_ids) + 1   # sorted ids: every old index moved
    after = {new_ids[item]: [new_ids[n] for n in row if n >= 0]
             for item, row in enumerate(updated.state["neighbours"].tolist())}
    assert after.pop("aa-new") == [] and after == before
    state = updated.advance(updated.initial_state(None), new_ids.index("aa-new"))
    assert updated.item_scores(state).shape == (len(new_ids),)


@pytest.mark.parametrize("recipe", ["aws-hrnn", "aws-hrnn-metadata", "aws-item-affinity"])
def test_the_legacy_hrnn_recipes_and_the_segments_keep_the_gru_alone(recipe):
    data = pairs_data(users=60)
    model = registry.build(recipe, TINY, seed=1, budget=ONE_EPOCH)
    model.fit(data)
    model.build_user_states(data)
    assert not any(key in model.state for key in ITEM_TERM_KEYS)
    assert model.initial_state(3).shape == (model.width,)


def test_large_catalogues_get_successors_within_a_window_from_sparse_counts(monkeypatch):
    monkeypatch.setattr(item_neighbours, "EASE_ITEMS", 10)
    data = pairs_data(users=200)
    neighbours, weights = item_neighbours.fit(data)
    lookup = {item: index for index, item in enumerate(data.item_ids)}
    firsts = [lookup[f"p{pair}a"] for pair in range(PAIRS)]
    assert [neighbours[item, 0] for item in firsts] == [lookup[f"p{pair}b"] for pair in range(PAIRS)]
    assert neighbours.shape == weights.shape == (data.n_items, min(item_neighbours.NEIGHBOURS, data.n_items - 1))
    assert np.all(np.diff(weights, axis=1) <= 0) and np.all((neighbours < 0) == (weights == 0))
