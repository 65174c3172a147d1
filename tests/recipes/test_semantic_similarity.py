"""aws-semantic-similarity: neighbours by the words of the items' names and descriptions."""

import numpy as np
import pytest

from emulator.recipes import registry
from emulator.recipes.data import TEXTUAL, Interactions, Metadata

TOPICS = {"space": ["rocket launch into orbit", "orbit of the moon and the rocket", "astronauts on the moon",
                    "a space station in orbit", "the rocket engines roar", "moon landing astronauts"],
          "baking": ["chocolate cake recipe", "baking bread with yeast", "a cake with chocolate icing",
                     "sourdough bread baking", "yeast and flour for bread", "icing a birthday cake"]}


def catalogue(with_text: bool = True) -> Interactions:
    """space0..5 and baking0..5 with their descriptions, plain0 without any; everybody takes plain0 most."""
    records = {f"{topic}{n}": {"TITLE": f"{topic} item", "DESCRIPTION": text}
               for topic, texts in TOPICS.items() for n, text in enumerate(texts)}
    records["plain0"] = {"TITLE": None, "DESCRIPTION": None}
    items = Metadata.from_records(records, {"TITLE": TEXTUAL, "DESCRIPTION": TEXTUAL} if with_text else {})
    rows = [(f"u{user}", item, user * 100 + step) for user in range(20)
            for step, item in enumerate(["plain0", "plain0", f"space{user % 6}", f"baking{user % 6}"])]
    return Interactions.from_columns(*zip(*rows), items=items)


def ranked(model, data: Interactions, query: str) -> list[str]:
    index = {item: position for position, item in enumerate(data.item_ids.tolist())}
    scores = model.item_scores(model.advance(model.initial_state(None), index[query]))
    return [data.item_ids[i] for i in np.argsort(-scores, kind="stable") if np.isfinite(scores[i])]


@pytest.fixture(scope="module")
def trained():
    data = catalogue()
    model = registry.build("aws-semantic-similarity", {}, seed=1)
    model.fit(data)
    return model, data


def test_an_items_neighbours_are_the_items_whose_text_says_the_same(trained):
    model, data = trained
    for topic, other in (("space", "baking"), ("baking", "space")):
        neighbours = ranked(model, data, f"{topic}0")
        assert all(item.startswith(topic) for item in neighbours[:5])
        assert f"{topic}0" not in neighbours


def test_items_without_text_come_last_by_popularity_and_an_unknown_query_gets_the_popular_items(trained):
    model, data = trained
    assert ranked(model, data, "space0")[-1] == "plain0"
    scores = model.item_scores(model.initial_state(None))
    assert data.item_ids[int(np.argmax(scores))] == "plain0"


def test_without_a_textual_field_training_fails_with_a_reason():
    with pytest.raises(ValueError, match="textual field"):
        registry.build("aws-semantic-similarity", {}, seed=1).fit(catalogue(with_text=False))
