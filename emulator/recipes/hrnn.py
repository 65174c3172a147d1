"""The session-aware GRU of aws-user-personalization (and the legacy aws-hrnn): a GRU over each user's
time-ordered items, tied item embeddings, a per-item bias, full-softmax cross-entropy on the next item.
spec: recipes-and-models.md §2.4 and §5.1. Serving runs the same cell in numpy."""

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from emulator.recipes.base import Recommender
from emulator.recipes.data import Interactions, HeldOutUser
from emulator.recipes.metrics import ranking_metrics, top_k

STATE_WINDOW = 4   # a user's state is rebuilt from the last STATE_WINDOW * bptt events (spec §2.4)
TRAIN_WINDOW = 8   # training reads at most the last TRAIN_WINDOW * bptt events of a user
MIN_UPDATES = 100  # optimizer steps per epoch at least
PATIENCE = 2       # epochs without a better validation score before training stops (small validation sets are noisy)


class SequenceModel(nn.Module):
    def __init__(self, n_items: int, width: int, item_bias: torch.Tensor) -> None:
        super().__init__()
        self.items = nn.Embedding(n_items, width)
        nn.init.normal_(self.items.weight, std=0.05)
        self.gru = nn.GRU(width, width, batch_first=True)
        self.out = nn.Linear(width, width)
        self.bias = nn.Parameter(item_bias.clone())
        self.dropout = nn.Dropout(0.2)

    def forward(self, items: torch.Tensor, hidden: torch.Tensor | None = None):
        """items (batch, steps) -> logits (batch, steps, n_items) and the last hidden state."""
        outputs, hidden = self.gru(self.dropout(self.items(items)), hidden)
        return self.logits(self.dropout(outputs)), hidden

    def logits(self, outputs: torch.Tensor) -> torch.Tensor:
        return self.out(outputs) @ self.items.weight.T + self.bias


class SessionGRU(Recommender):
    recipe = "aws-user-personalization"
    DEFAULTS = {"hidden_dimension": "149", "bptt": "32", "recency_mask": "true"}

    def fit(self, train: Interactions, log: Callable[[str], None] = lambda message: None) -> None:
        torch.manual_seed(self.seed)
        torch.set_num_threads(self.budget.threads)
        width, bptt = self.hyperparameter("hidden_dimension", int), self.hyperparameter("bptt", int)
        recency = self.hyperparameter("recency_mask", bool)
        sequences, validation = _validation_split(train, self.seed)
        weights = _recency_weights(train) if recency else None
        model = SequenceModel(train.n_items, width, _log_popularity(train, recent_only=recency))
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3 if width >= 200 else 2e-3)
        batches = _batches(sequences, weights, bptt * TRAIN_WINDOW)
        started, best, best_state, stale = time.monotonic(), -1.0, None, 0
        for epoch in range(1, self.budget.max_epochs + 1):
            loss = _epoch(model, optimizer, batches, bptt, np.random.default_rng(self.seed + epoch))
            quality = _validate(model, validation)
            log(f"epoch {epoch}: loss {loss:.4f}, validation NDCG@25 {quality:.4f}, "
                f"{time.monotonic() - started:.1f} s")
            if quality > best:
                best, best_state, stale = quality, {k: v.clone() for k, v in model.state_dict().items()}, 0
            else:
                stale += 1
            if stale == PATIENCE:
                break
            if time.monotonic() - started > self.budget.seconds:
                log("training stopped at its time budget")
                break
        model.load_state_dict(best_state)
        self._export(model)
        self._remember_ids(train)

    def build_user_states(self, full: Interactions) -> None:
        window = STATE_WINDOW * self.hyperparameter("bptt", int)
        states = np.zeros((full.n_users, self.state["out_weight"].shape[0]), dtype=np.float32)
        for user, items in full.sequences().items():
            state = self.initial_state(None)
            for item in items[-window:]:
                state = self.advance(state, int(item))
            states[user] = state
        self.state["user_states"] = states

    def initial_state(self, user: int | None) -> np.ndarray:
        states = self.state.get("user_states")
        if user is not None and states is not None and user < len(states):
            return states[user]
        return np.zeros(self.state["out_weight"].shape[0], dtype=np.float32)

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        """torch's GRU cell, gates in its order (reset, update, new)."""
        width = state.shape[0]
        x = self._input_gates[item]
        h = self.state["weight_hh"] @ state + self.state["bias_hh"]
        reset = _sigmoid(x[:width] + h[:width])
        update = _sigmoid(x[width:2 * width] + h[width:2 * width])
        new = np.tanh(x[2 * width:] + reset * h[2 * width:])
        return ((1.0 - update) * new + update * state).astype(np.float32)

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        query = self.state["out_weight"] @ state + self.state["out_bias"]
        return (self.state["item_embeddings"] @ query + self.state["item_bias"]).astype(np.float64)

    def prepare(self) -> None:
        # every item's input-gate pre-activations, once: an event then costs one hidden-size matmul
        self._input_gates = self.state["item_embeddings"] @ self.state["weight_ih"].T + self.state["bias_ih"]

    def _export(self, model: SequenceModel) -> None:
        def array(tensor: torch.Tensor) -> np.ndarray:
            return tensor.detach().numpy().astype(np.float32).copy()
        self.state.update(item_embeddings=array(model.items.weight), item_bias=array(model.bias),
                          weight_ih=array(model.gru.weight_ih_l0), weight_hh=array(model.gru.weight_hh_l0),
                          bias_ih=array(model.gru.bias_ih_l0), bias_hh=array(model.gru.bias_hh_l0),
                          out_weight=array(model.out.weight), out_bias=array(model.out.bias))
        self.prepare()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _validation_split(train: Interactions, seed: int) -> tuple[list[tuple[np.ndarray, np.ndarray]], list[HeldOutUser]]:
    """(items, timestamps) of each training user, time ordered, and 5 % of them held out for validation."""
    rest, validation = train.split(seed=seed + 1, test_fraction=0.05)
    order = np.argsort(rest.user_index, kind="stable")
    _, starts = np.unique(rest.user_index[order], return_index=True)
    rows = np.split(order, starts[1:])
    return [(rest.item_index[r], rest.timestamp[r]) for r in rows], validation


def _recency_weights(train: Interactions):
    """Target weight by event age: max(0.1, 0.5^((T - t) / tau)), tau a quarter of the span (spec §2.4)."""
    latest, span = train.timestamp.max(initial=0), max(int(np.ptp(train.timestamp)) if len(train.timestamp) else 1, 1)
    tau = span / 4
    return lambda stamps: np.maximum(0.1, 0.5 ** ((latest - stamps) / tau)).astype(np.float32)


def _log_popularity(train: Interactions, recent_only: bool) -> torch.Tensor:
    stamps, items = train.timestamp, train.item_index
    if recent_only and len(stamps):
        recent = stamps >= stamps.max() - np.ptp(stamps) / 4
        stamps, items = stamps[recent], items[recent]
    counts = np.bincount(items, minlength=train.n_items).astype(np.float32)
    return torch.from_numpy(np.log(counts + 1.0) - np.log(counts.sum() + train.n_items))


def _batches(sequences, weights, max_length: int, lanes: int = 32):
    """Users sorted by length into batches of padded (inputs, targets, weights) tensors."""
    usable = [(items[-(max_length + 1):], stamps[-(max_length + 1):]) for items, stamps in sequences if len(items) >= 2]
    usable.sort(key=lambda pair: len(pair[0]))
    batches = []
    for start in range(0, len(usable), lanes):
        group = usable[start:start + lanes]
        steps = max(len(items) for items, _ in group) - 1
        inputs = np.zeros((len(group), steps), dtype=np.int64)
        targets = np.full((len(group), steps), -100, dtype=np.int64)   # -100: ignored by the loss
        weight = np.zeros((len(group), steps), dtype=np.float32)
        for lane, (items, stamps) in enumerate(group):
            n = len(items) - 1
            inputs[lane, :n], targets[lane, :n] = items[:-1], items[1:]
            weight[lane, :n] = weights(stamps[1:]) if weights else 1.0
        batches.append((torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(weight)))
    return batches


def _epoch(model: SequenceModel, optimizer, batches, bptt: int, rng: np.random.Generator) -> float:
    """One pass (several on small data, so an epoch makes at least MIN_UPDATES optimizer steps); each batch
    runs in windows of bptt steps, the hidden state carried over but detached."""
    model.train()
    total, count = 0.0, 0.0
    windows = sum(-(-inputs.shape[1] // bptt) for inputs, _, _ in batches)
    passes = max(1, -(-MIN_UPDATES // max(windows, 1)))
    for index in np.concatenate([rng.permutation(len(batches)) for _ in range(passes)]):
        inputs, targets, weights = batches[index]
        hidden = None
        for begin in range(0, inputs.shape[1], bptt):
            window = slice(begin, begin + bptt)
            logits, hidden = model(inputs[:, window], hidden)
            hidden = hidden.detach()
            losses = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets[:, window].reshape(-1),
                                                 reduction="none", ignore_index=-100)
            mass = weights[:, window].reshape(-1)
            loss = (losses * mass).sum() / mass.sum().clamp(min=1e-6)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
            total, count = total + float((losses * mass).sum().detach()), count + float(mass.sum())
    return total / max(count, 1e-6)


@torch.no_grad()
def _validate(model: SequenceModel, validation: list[HeldOutUser]) -> float:
    """Mean NDCG@25 of the validation users, their histories run through the model in one batch."""
    model.eval()
    usable = [test for test in validation if len(test.history)]
    if not usable:
        return 0.0
    steps = max(len(test.history) for test in usable)
    inputs = torch.zeros((len(usable), steps), dtype=torch.long)
    lengths = torch.tensor([len(test.history) for test in usable])
    for lane, test in enumerate(usable):
        inputs[lane, :len(test.history)] = torch.from_numpy(test.history.astype(np.int64))
    outputs, _ = model.gru(model.items(inputs))
    last = outputs[torch.arange(len(usable)), lengths - 1]
    scores = model.logits(last).numpy()
    values = [ranking_metrics(top_k(row, 25), test.relevant)["normalized_discounted_cumulative_gain_at_25"]
              for row, test in zip(scores, usable)]
    return float(np.mean(values))
