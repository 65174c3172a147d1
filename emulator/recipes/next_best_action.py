"""aws-next-best-action: the propensity that a user takes each action within the optimisation period, from the
user's own taken and not-taken history and each action's base rate. spec: recipes-and-models.md §5.9

A logistic model over (user state, action): a bias per action plus weights on how often the user took, or
passed on, that action and any action. States count events, so PutActionInteractions moves them at once."""

from collections.abc import Callable

import numpy as np

from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions

DAY = 86_400
MIN_EACH = 50            # TAKEN and NOT_TAKEN/VIEWED interactions an action needs before it gets a score
ANCHORS_PER_USER = 20    # anchor times sampled per user (caps the example count)
STEPS, RATE, L2 = 300, 0.5, 1e-3


class NextBestAction(Recommender):
    recipe = "aws-next-best-action"
    DEFAULTS = {"action_optimization_period": "14"}

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        n = train.n_items
        self._remember_ids(train)
        taken = _taken(train)
        period = self.hyperparameter("action_optimization_period", int) * DAY
        states, actions, labels = [], [], []
        rng = np.random.default_rng(self.seed)
        for rows in train.user_rows()[1]:
            state = self.initial_state(None)
            stamps = train.timestamp[rows]
            anchors = set(rng.choice(len(rows), size=min(ANCHORS_PER_USER, len(rows)), replace=False).tolist())
            for position, row in enumerate(rows):
                state = self._count(state, int(train.item_index[row]), bool(taken[row]))
                if position not in anchors:
                    continue
                ahead = rows[(stamps > stamps[position]) & (stamps <= stamps[position] + period)]
                outcome: dict[int, bool] = {}
                for later in ahead:
                    action = int(train.item_index[later])
                    outcome[action] = outcome.get(action, False) or bool(taken[later])
                for action, label in outcome.items():
                    states.append(state)
                    actions.append(action)
                    labels.append(float(label))
        self.state["bias"], self.state["weights"] = _logistic(np.array(states).reshape(-1, 2 * n),
                                                              np.array(actions, dtype=np.int64),
                                                              np.array(labels), n)
        counts_taken = np.bincount(train.item_index[taken], minlength=n)
        counts_other = np.bincount(train.item_index[~taken], minlength=n)
        self.state["scored"] = (counts_taken >= MIN_EACH) & (counts_other >= MIN_EACH)
        log(f"{len(labels)} examples over {n} actions; {int(self.state['scored'].sum())} actions have enough data "
            "to be scored")

    def initial_state(self, user: int | None) -> np.ndarray:
        if user is not None and "user_states" in self.state:
            return self.state["user_states"][user]
        return np.zeros(2 * len(self.item_ids) if "item_ids" in self.state else 0, dtype=np.float32)

    def build_user_states(self, full: Interactions) -> None:
        states = np.zeros((full.n_users, 2 * full.n_items), dtype=np.float32)
        taken = _taken(full)
        np.add.at(states, (full.user_index, full.item_index + np.where(taken, 0, full.n_items)), 1.0)
        self.state["user_states"] = states

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return self._count(state, item, True)

    def advance_event(self, state: np.ndarray, item: int, event_type: str | None) -> np.ndarray:
        return self._count(state, item, _is_taken(event_type))

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """Calibrated propensities in [0, 1]; 0.0 for actions without enough interactions."""
        propensity = 1.0 / (1.0 + np.exp(-_logits(state[None, :], self.state["bias"], self.state["weights"])[0]))
        return np.where(self.state["scored"], propensity, 0.0)

    def _count(self, state: np.ndarray, action: int, taken: bool) -> np.ndarray:
        state = state.copy()
        state[action + (0 if taken else len(state) // 2)] += 1.0
        return state


def _is_taken(event_type: str | None) -> bool:
    return (event_type or "taken").replace("_", " ").strip().lower() == "taken"


def _taken(data: Interactions) -> np.ndarray:
    types = getattr(data, "event_types", None)
    if types is None:
        return np.ones(data.n_interactions, dtype=bool)
    return np.array([_is_taken(kind) for kind in types], dtype=bool)


def _features(states: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """(rows, 4): the user's own taken / other count for the action, and their totals, log-scaled."""
    n = states.shape[1] // 2
    rows = np.arange(len(actions)) if states.shape[0] == len(actions) else np.zeros(len(actions), dtype=np.int64)
    own = np.stack([states[rows, actions], states[rows, actions + n]], axis=1)
    totals = np.stack([states[:, :n].sum(axis=1), states[:, n:].sum(axis=1)], axis=1)[rows]
    return np.log1p(np.concatenate([own, totals], axis=1))


def _logits(states: np.ndarray, bias: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(len(states), n_actions) logits."""
    n = len(bias)
    out = np.empty((len(states), n))
    for row, state in enumerate(states):
        out[row] = bias + _features(state[None, :], np.arange(n)) @ weights
    return out


def _logistic(states: np.ndarray, actions: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Bias per action and 4 feature weights by full-batch gradient descent on the log-loss."""
    bias, weights = np.zeros(n), np.zeros(4)
    if labels.size == 0:
        return bias, weights
    features = _features(states, actions)
    for _ in range(STEPS):
        predicted = 1.0 / (1.0 + np.exp(-(bias[actions] + features @ weights)))
        error = predicted - labels
        weights -= RATE * (features.T @ error / labels.size + L2 * weights)
        bias -= RATE * (np.bincount(actions, weights=error, minlength=n) / np.maximum(
            np.bincount(actions, minlength=n), 1) + L2 * bias)
    return bias, weights
