"""aws-item-affinity and aws-item-attribute-affinity: user segments on two tastes of generated data."""

import numpy as np
import pytest

from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import CATEGORICAL, NUMERICAL, Interactions, Metadata
from emulator.recipes.segment_queries import parse_item_attributes
from emulator.recipes.segments import ItemAffinity, ItemAttributeAffinity
from tests import synthetic

SMALL = {"hidden_dimension": "24", "bptt": "8", "recency_mask": "false"}
FAST = TrainingBudget(max_epochs=3, seconds=30, threads=1)
USERS = 120   # users 0..59 walk through the comedies (a items), 60..119 through the dramas (b items)


@pytest.fixture(scope="module")
def data() -> Interactions:
    rows = synthetic.two_tastes(users=USERS, items=24, per_user=20, seed=6)
    items = Metadata.from_records({item: {"GENRE": genre, "PRICE": float(price) if price else None}
                                   for item, genre, price in synthetic.items_of_two_tastes(items=24)},
                                  {"GENRE": CATEGORICAL, "PRICE": NUMERICAL})
    return Interactions.from_columns(*zip(*rows), items=items)


@pytest.fixture(scope="module")
def attribute_model(data):
    model = registry.build("aws-item-attribute-affinity", SMALL, seed=2, budget=FAST)
    model.fit(data)
    model.build_user_states(data)
    return model


def taste(data: Interactions, users: np.ndarray) -> list[str]:
    return ["a" if int(data.user_ids[user].removeprefix("user")) < USERS // 2 else "b" for user in users]


def item(data: Interactions, item_id: str) -> int:
    return list(data.item_ids).index(item_id)


def test_item_affinity_segments_are_the_users_of_the_items_taste(data):
    model = registry.build("aws-item-affinity", SMALL, seed=2, budget=FAST)
    model.fit(data)
    model.build_user_states(data)
    assert isinstance(model, ItemAffinity) and not isinstance(model, ItemAttributeAffinity)
    for group in "ab":
        users, scores = model.users_for_items(np.array([item(data, f"{group}3")]), n=20)
        assert len(users) == 20 and taste(data, users).count(group) >= 18
        assert np.all(np.diff(scores) <= 0) and np.all((scores > 0) & (scores < 1))   # probabilities, best first


def test_attribute_segments_match_items_by_their_metadata(attribute_model, data):
    comedy = attribute_model.items_matching([("genre", "Comedy")])   # names and values: any case
    assert sorted(data.item_ids[comedy]) == sorted(f"a{n}" for n in range(12))
    users, _ = attribute_model.users_for_attributes([("GENRE", "drama")], n=30)
    assert taste(data, users).count("b") >= 28
    assert data.item_ids[attribute_model.items_matching([("PRICE", "3.5")])].tolist() == ["a3"]


def test_an_attribute_query_matching_no_item_gives_an_empty_segment(attribute_model):
    users, scores = attribute_model.users_for_attributes([("GENRE", "comedy"), ("GENRE", "drama")], n=10)
    assert users.size == 0 and scores.size == 0


def test_an_attribute_query_on_an_unknown_column_is_an_error(attribute_model):
    with pytest.raises(ValueError, match="MOOD"):
        attribute_model.items_matching([("MOOD", "happy")])


def test_a_segment_holds_each_user_once_and_no_more_users_than_there_are(attribute_model, data):
    users, _ = attribute_model.users_for_items(np.array([0, 1, 2]), n=10 * USERS)
    assert sorted(users.tolist()) == list(range(data.n_users))


def test_segmentation_metrics_are_the_three_keys_measured_on_each_users_newest_fifth(attribute_model, data):
    result = metrics.evaluate(attribute_model, [], data.n_items)
    assert set(result) == set(metrics.SEGMENT_KEYS)
    # two queries (comedy, drama); each one's top 1 % (2 users) are of its taste, and all of them watch it
    assert result["recall_at_1_percent"] == 1.0 and result["hits_at_1_percent"] == 2.0


def test_segment_metrics_count_hits_in_the_top_one_percent():
    affinity = {0: np.arange(200.0), 1: -np.arange(200.0)}      # query 0 prefers user 199, query 1 user 0
    result = metrics.segment_metrics(lambda items: affinity[int(items[0])], [np.array([0]), np.array([1])],
                                     [np.array([199, 5]), np.array([150])], candidates=np.arange(200))
    # K = 2: query 0 finds 199 of {199, 5}: 1 hit, recall 1/2; query 1 finds none of {150}
    assert result == {"coverage": 4 / 200, "hits_at_1_percent": 0.5, "recall_at_1_percent": 0.25}


def test_split_each_user_keeps_the_newest_fifth_of_every_user_with_two_or_more():
    data = Interactions.from_columns(["solo"] + ["ten"] * 10 + ["two"] * 2, ["x"] * 13, range(13))
    older, newer = data.split_each_user(0.2)
    assert older.user_counts().tolist() == [1, 8, 1] and newer.user_counts().tolist() == [0, 2, 1]
    assert newer.timestamp.min() > older.timestamp[older.user_index == 1].max()


@pytest.mark.parametrize("text, terms", [
    ('ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"', [("genres", "Comedy"), ("genres", "Action")]),
    ('items.CATEGORY_L1="tools"', [("CATEGORY_L1", "tools")])])
def test_item_attribute_queries_parse_into_field_value_pairs(text, terms):
    assert parse_item_attributes(text) == terms


@pytest.mark.parametrize("text", ['ITEMS.a = "x" AND', 'ITEMS.a = "x" OR ITEMS.b = "y"', 'ITEMS.a IN ("x")', ""])
def test_item_attribute_queries_other_than_equalities_joined_by_and_are_rejected(text):
    with pytest.raises(ValueError, match="AND"):
        parse_item_attributes(text)
