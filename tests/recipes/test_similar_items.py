"""aws-similar-items, and the Items metadata it learns from, on two tastes of generated data."""

import numpy as np
import pytest

from emulator.recipes import metrics, registry
from emulator.recipes.data import CATEGORICAL, NUMERICAL, TEXTUAL, Interactions, Metadata
from tests import synthetic

COLD = ["a_new0", "a_new1", "a_new2", "b_new0", "b_new1", "b_new2"]   # in the Items dataset only


def catalogue() -> Metadata:
    """GENRE comedy for the a items, drama for the b items, PRICE for the a items; cold items of both genres."""
    rows = synthetic.items_of_two_tastes(items=40) + [(item, "comedy" if item[0] == "a" else "drama", "")
                                                      for item in COLD]
    return Metadata.from_records({item: {"GENRE": genre, "PRICE": float(price) if price else None}
                                  for item, genre, price in rows}, {"GENRE": CATEGORICAL, "PRICE": NUMERICAL})


def tastes(with_items: bool = True) -> Interactions:
    rows = synthetic.two_tastes(users=60, items=40, per_user=30, seed=2)
    return Interactions.from_columns(*zip(*rows), items=catalogue() if with_items else None)


@pytest.fixture(scope="module")
def data() -> Interactions:
    return tastes()


@pytest.fixture(scope="module")
def model(data):
    model = registry.build("aws-similar-items", {}, seed=4)
    model.fit(data)
    return model


def neighbours(model, data: Interactions, item: str, n: int) -> list[str]:
    index = list(data.item_ids).index(item)
    return list(data.item_ids[metrics.top_k(model.item_scores(model.advance(model.initial_state(None), index)), n)])


def test_items_only_in_the_items_dataset_get_indices_and_aligned_metadata(data):
    assert set(COLD) <= set(data.item_ids) and data.n_items == 46
    genres = dict(zip(data.item_ids, data.items.columns["GENRE"]))
    assert genres["a_new1"] == "comedy" and genres["b7"] == "drama"
    assert data.split(seed=0)[0].items is data.items   # the training part keeps the metadata


def test_warm_items_have_neighbours_of_their_own_taste(model, data):
    for group in "ab":
        for item in (f"{group}0", f"{group}7"):
            assert all(neighbour.startswith(group) for neighbour in neighbours(model, data, item, 10))


def test_a_cold_item_gets_warm_neighbours_of_its_genre(model, data):
    for item in COLD:
        found = neighbours(model, data, item, 10)
        assert all(neighbour[0] == item[0] and neighbour not in COLD for neighbour in found), (item, found)


def test_cold_items_are_neighbours_of_warm_items_of_their_genre(model, data):
    found = neighbours(model, data, "a3", 23)   # the 19 other a items and the 3 cold comedies lead the list
    assert {"a_new0", "a_new1", "a_new2"} <= set(found[:22]) and not any(item[0] == "b" for item in found[:22])


def test_without_an_items_dataset_cold_items_fall_back_to_popularity():
    data = Interactions.from_columns(*zip(*synthetic.two_tastes(users=60, items=40, per_user=30, seed=2)),
                                     extra_items=["new"])
    model = registry.build("aws-similar-items", {}, seed=4)
    model.fit(data)
    new = list(data.item_ids).index("new")
    scores = model.item_scores(model.advance(model.initial_state(None), new))
    popular = np.bincount(data.item_index, minlength=data.n_items)
    assert np.isneginf(scores[new])
    top = metrics.top_k(scores, 5)
    assert np.array_equal(np.sort(popular[top])[::-1], np.sort(popular)[::-1][:5])
    assert "new" not in neighbours(model, data, "a3", 39)


def test_similar_items_beats_popularity_on_held_out_users(data):
    train, tests = data.split(seed=3, test_fraction=0.3)
    ndcg = {}
    for recipe in ("aws-similar-items", "aws-popularity-count"):
        model = registry.build(recipe, {}, seed=3)
        model.fit(train)
        ndcg[recipe] = metrics.evaluate(model, tests, data.n_items)["normalized_discounted_cumulative_gain_at_10"]
    assert ndcg["aws-similar-items"] > 2 * ndcg["aws-popularity-count"]


def test_hidden_dimensions_bound_the_two_parts(data):
    model = registry.build("aws-similar-items", {"item_id_hidden_dim": "30", "item_metadata_hidden_dim": "1"})
    model.fit(data)
    assert model.state["embeddings"].shape == (data.n_items, 30 + 1)
    assert not model.returns_scores


def test_metadata_encoding_one_hot_multi_values_standardised_numbers_and_text():
    items = Metadata.from_records({"x": {"G": "a|b", "N": 10.0, "T": "red car"}, "y": {"G": "a", "N": None},
                                   "z": {"G": "c", "N": -3.0, "T": "blue car"}},
                                  {"G": CATEGORICAL, "N": NUMERICAL, "T": TEXTUAL})
    encoded = items.encode()
    genre, number, text = encoded[:, :4], encoded[:, 4:6], encoded[:, 6:]
    assert genre.tolist() == [[0.5, 0.5, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0]]   # a, b, c by frequency; OOV last
    assert number[:, 1].tolist() == [0, 1, 0] and number[1, 0] == 0 and abs(number[[0, 2], 0].mean()) < 1e-6
    assert np.allclose(np.linalg.norm(text[[0, 2]], axis=1), 1) and not text[1].any()


def test_metadata_realigns_to_ids_with_none_for_ids_without_a_record():
    items = Metadata.from_records({"x": {"G": "a"}, "y": {"G": "b"}}, {"G": CATEGORICAL})
    aligned = items.aligned(["y", "q", "x"])
    assert aligned.columns["G"] == ["b", None, "a"] and aligned.present.tolist() == [True, False, True]
