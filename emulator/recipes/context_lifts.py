"""Context (categorical Interactions columns such as DEVICE): how much more often each item is taken under each
value than overall, learned at training and added to a user's scores when a request names that context.
spec: personalize-behavior.md §8.1 (`context`), recipes-and-models.md §2.2

lift[v, i] = ln((n[v, i] + k·p[i]) / (n[v] + k)) - ln(p[i]), with p the items' overall shares and k a prior
weight, so a value seen rarely moves nothing."""

import pathlib

import numpy as np

PRIOR = 20.0        # interactions' worth of the overall distribution each value starts from
MAX_VALUES = 100    # per column: the most frequent values; the rest carry no lift
SEPARATOR = "::"


def learn(columns: dict[str, list], item_index: np.ndarray, n_items: int) -> dict[str, np.ndarray]:
    """Arrays to save: for each column, its values and their (n_values, n_items) lifts."""
    overall = np.bincount(item_index, minlength=n_items).astype(np.float64) + 1.0
    share = overall / overall.sum()
    learned = {}
    for name, cells in columns.items():
        cells = np.asarray(["" if cell is None else str(cell) for cell in cells], dtype=object)
        values, counts = np.unique(cells[cells != ""].astype(str), return_counts=True)
        values = values[np.argsort(-counts, kind="stable")][:MAX_VALUES]
        lift = np.zeros((len(values), n_items), dtype=np.float32)
        for row, value in enumerate(values):
            taken = np.bincount(item_index[cells == value], minlength=n_items).astype(np.float64)
            lift[row] = np.log((taken + PRIOR * share) / (taken.sum() + PRIOR)) - np.log(share)
        learned[f"{name}{SEPARATOR}values"], learned[f"{name}{SEPARATOR}lift"] = values.astype(str), lift
    return learned


class ContextLift:
    """Lifts by column and value, as saved beside a model."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        self.columns: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for key, values in arrays.items():
            name, _, part = key.partition(SEPARATOR)
            if part == "values":
                self.columns[name] = ({str(value): row for row, value in enumerate(values)},
                                      arrays[f"{name}{SEPARATOR}lift"])

    @classmethod
    def load(cls, path: pathlib.Path) -> "ContextLift":
        if not path.exists():
            return cls({})
        with np.load(path, allow_pickle=False) as saved:
            return cls({key: saved[key] for key in saved.files})

    def adjust(self, scores: np.ndarray, context: dict | None) -> np.ndarray:
        """Scores (of the model's items, first in `scores`) plus the lifts of the request's context values. A lift
        is a log-ratio, right for log-probabilities; scores spread wider (an item term's votes reach tens) get it
        stretched by their standard deviation, so that a context weighs as much against any model's scores."""
        lifted = scores
        for name, value in (context or {}).items():
            rows, lift = self.columns.get(name, ({}, None))
            if str(value) in rows:
                if lifted is scores:
                    lifted, stretch = scores.copy(), max(1.0, float(np.std(scores[:lift.shape[1]])))
                lifted[:lift.shape[1]] += stretch * lift[rows[str(value)]]
        return lifted
