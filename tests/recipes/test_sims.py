"""aws-sims on data with a known answer."""

import numpy as np

from emulator.recipes import metrics, registry
from emulator.recipes.data import Interactions


def test_sims_popularity_discount_moves_between_popular_and_exclusive_neighbours():
    # "niche" only ever comes with "q" (8 of its 10 users); "hit" is everywhere, with all 10
    users, items = [], []
    for user in range(40):
        users += [f"u{user}"]
        items += ["hit"]
        if user < 10:
            users += [f"u{user}"] * (2 if user < 8 else 1)
            items += ["q", "niche"] if user < 8 else ["q"]
        else:
            users += [f"u{user}"]
            items += [f"other{user % 5}"]
    data = Interactions.from_columns(users, items, range(len(users)))
    index = {item: i for i, item in enumerate(data.item_ids)}
    neighbour = {}
    for beta in ("0.0", "1.0"):
        model = registry.build("aws-sims", {"popularity_discount_factor": beta, "min_cointeraction_count": "1",
                                            "min_item_interaction_count_percentile": "0",
                                            "max_item_interaction_count_percentile": "1"})
        model.fit(data)
        scores = model.item_scores(model.advance(model.initial_state(None), index["q"]))
        neighbour[beta] = data.item_ids[metrics.top_k(scores, 1)[0]]
        assert np.isneginf(scores[index["q"]])
    assert neighbour == {"0.0": "hit", "1.0": "niche"}
