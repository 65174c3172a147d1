"""aws-user-personalization-v2 and aws-personalized-ranking-v2: a SASRec-style causal transformer over each
user's last events. spec: recipes-and-models.md §5.2

Input at each position: the item tower's vector of the event's item plus a learned embedding of the position
(counted from the end, so the newest event always sits at the last one); 2 pre-LayerNorm blocks of 2-head
causal self-attention; the last position's output dotted with the item tower (tied) plus the item bias gives
the logits. Training is "SASRec+": full-softmax cross-entropy at every position (Klenitskiy & Vasilev), each
target weighted by recency when apply_recency_bias is true. Serving runs the same blocks in numpy over the
user's last events, stored at training and extended by PutEvents. What v2 changes at serving (reasons, fixed
exploration, metadata always allowed) lives in recommending."""

import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from emulator.recipes import metrics
from emulator.recipes.base import Recommender, no_log
from emulator.recipes.data import Interactions, TestUser
from emulator.recipes.hrnn import (VALIDATION_USERS, ItemTower, as_array, grow_items, item_features,
                                   log_popularity, recency_weights)

LENGTH, LONG_LENGTH = 50, 200   # events read; the longer when the median history exceeds LONG_MEDIAN
LONG_MEDIAN = 100
WIDTH, BLOCKS, HEADS, DROPOUT = 64, 2, 2, 0.2
LOGITS_PER_BATCH = 2 ** 22      # positions x items of one batch's softmax: bounds its memory ...
MIN_BATCH, MAX_BATCH = 8, 128   # ... within these numbers of sequences
MIN_UPDATES = 200               # optimizer steps of an epoch at least (several passes over small data)
PAD = -1


class CausalTransformer(nn.Module):
    def __init__(self, n_items: int, length: int, item_bias: torch.Tensor, features: torch.Tensor | None) -> None:
        super().__init__()
        # no id dropout, as for aws-user-personalization: new items reach lists through exploration
        self.item_tower = ItemTower(n_items, WIDTH, item_bias, features, id_dropout=0.0)
        self.positions = nn.Embedding(length, WIDTH)
        nn.init.normal_(self.positions.weight, std=0.05)
        layer = nn.TransformerEncoderLayer(WIDTH, HEADS, dim_feedforward=WIDTH, dropout=DROPOUT, batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, BLOCKS, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(WIDTH)
        self.dropout = nn.Dropout(DROPOUT)

    def forward(self, items: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """items (batch, length), PAD on the left -> outputs (batch, length, width), item vectors and biases."""
        vectors, biases = self.item_tower()
        padded = items < 0
        inputs = vectors[items.clamp(min=0)] * (~padded)[..., None].float() + self.positions.weight[None]
        outputs = self.blocks(self.dropout(inputs), mask=_attention_mask(padded))
        return self.norm(outputs), vectors, biases


def _attention_mask(padded: torch.Tensor) -> torch.Tensor:
    """(batch * heads, length, length) additive mask: a position sees itself and the real events before it (a
    padding position only itself, so that no row is all masked)."""
    length = padded.shape[1]
    later = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
    itself = torch.eye(length, dtype=torch.bool)
    blocked = later[None] | (padded[:, None, :] & ~itself[None])
    mask = torch.zeros(blocked.shape).masked_fill(blocked, float("-inf"))
    return mask.repeat_interleave(HEADS, dim=0)


class Transformer(Recommender):
    recipe = "aws-user-personalization-v2"
    uses_metadata: ClassVar[bool] = True
    DEFAULTS: ClassVar[dict[str, str]] = {"apply_recency_bias": "true", "min_user_history_length_percentile": "0.0",
                                          "max_user_history_length_percentile": "0.99"}

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        torch.manual_seed(self.seed)
        torch.set_num_threads(self.budget.threads)
        rng = np.random.default_rng(self.seed)
        recency = self.hyperparameter("apply_recency_bias", bool)
        self._remember_ids(train)
        kept = train.with_history_lengths_within(self.hyperparameter("min_user_history_length_percentile", float),
                                                 self.hyperparameter("max_user_history_length_percentile", float))
        rest, validation = kept.split(seed=self.seed + 1, test_fraction=VALIDATION_USERS)
        counts = rest.user_counts()
        length = LONG_LENGTH if np.median(counts[counts > 0]) > LONG_MEDIAN else LENGTH
        inputs, targets, weights = _sequences(rest, length, recency_weights(rest) if recency else None)
        model = CausalTransformer(train.n_items, length, log_popularity(rest, recent_only=recency),
                                  item_features(self, train))
        optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
        # batches small enough for MIN_UPDATES steps per pass where the data allows, and for the memory
        batch = int(np.clip(min(len(inputs) // MIN_UPDATES, LOGITS_PER_BATCH // (length * max(train.n_items, 1))),
                            MIN_BATCH, MAX_BATCH))

        def epoch(deadline: float) -> float:
            return _epoch(model, optimizer, inputs, targets, weights, batch, rng, deadline)
        self._train_epochs(epoch, lambda: self._export(model), lambda: self._validate(validation, train.n_items), log)

    def build_user_states(self, full: Interactions) -> None:
        """Every user's last events, right-aligned in a (users, length) table padded with PAD."""
        length = len(self.state["positions"])
        histories = np.full((full.n_users, length), PAD, dtype=np.int32)
        users, rows = full.user_rows()
        for user, row in zip(users.tolist(), rows):
            last = full.item_index[row[-length:]]
            histories[user, length - len(last):] = last
        self.state["user_histories"] = histories

    def update(self, full: Interactions) -> None:
        """trainingMode UPDATE: new items get the mean vector and bias of the known ones; histories are re-read."""
        grow_items(self, full)
        self.build_user_states(full)

    def initial_state(self, user: int | None) -> np.ndarray:
        histories = self.state.get("user_histories")
        if user is None or histories is None or not 0 <= user < len(histories):
            return np.zeros(0, dtype=np.int64)
        return histories[user][histories[user] != PAD].astype(np.int64)

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return np.append(state, item)[-len(self.state["positions"]):]

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        """A user without events gets the item biases alone (popularity)."""
        bias = self.state["item_bias"]
        if not state.size:
            return bias.astype(np.float64)
        return (self.state["item_embeddings"] @ self._encoded(state) + bias).astype(np.float64)

    def _encoded(self, items: np.ndarray) -> np.ndarray:
        """The transformer's output at the last event, in numpy, the torch blocks' formulas in eval mode."""
        s = self.state
        x = s["item_embeddings"][items] + s["positions"][len(s["positions"]) - len(items):]
        later = np.triu(np.ones((len(items), len(items)), dtype=bool), k=1)
        size = WIDTH // HEADS
        for block in range(BLOCKS):
            p = f"block{block}."
            query, key, value = np.split(_layer_norm(x, s, p + "norm1") @ s[p + "self_attn.in_proj_weight"].T
                                         + s[p + "self_attn.in_proj_bias"], 3, axis=1)
            heads = []
            for head in range(HEADS):
                part = slice(head * size, (head + 1) * size)
                weights = np.where(later, -np.inf, query[:, part] @ key[:, part].T / np.sqrt(size))
                weights = np.exp(weights - weights.max(axis=1, keepdims=True))
                heads.append(weights / weights.sum(axis=1, keepdims=True) @ value[:, part])
            x = x + np.hstack(heads) @ s[p + "self_attn.out_proj.weight"].T + s[p + "self_attn.out_proj.bias"]
            hidden = np.maximum(_layer_norm(x, s, p + "norm2") @ s[p + "linear1.weight"].T + s[p + "linear1.bias"], 0)
            x = x + hidden @ s[p + "linear2.weight"].T + s[p + "linear2.bias"]
        return _layer_norm(x[-1:], s, "norm")[0]

    def _export(self, model: CausalTransformer) -> None:
        model.eval()
        vectors, biases = model.item_tower.folded(None)
        self.state.update(model.item_tower.metadata_part())
        layers = {f"block{number}": layer for number, layer in enumerate(model.blocks.layers)} | {"norm": model.norm}
        weights = {f"{prefix}.{name}": as_array(tensor) for prefix, layer in layers.items()
                   for name, tensor in layer.state_dict().items()}
        self.state.update(item_embeddings=vectors, item_bias=biases, positions=as_array(model.positions.weight),
                          **weights)

    def _validate(self, validation: list[TestUser], n_items: int) -> float:
        if not validation:
            return 0.0
        return metrics.evaluate(self, validation, n_items)["normalized_discounted_cumulative_gain_at_25"]


def _layer_norm(x: np.ndarray, state: dict, name: str) -> np.ndarray:
    centred = x - x.mean(axis=1, keepdims=True)
    scaled = centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + 1e-5)
    return scaled * state[name + ".weight"] + state[name + ".bias"]


def _sequences(data: Interactions, length: int, weigh: Callable[[np.ndarray], np.ndarray] | None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(sequences, length) inputs, next-item targets and target weights: each user's history cut from its end
    into pieces of `length` steps, right-aligned, PAD on the left."""
    inputs, targets, weights = [], [], []
    users, rows = data.user_rows()
    for row in rows:
        items, stamps = data.item_index[row], data.timestamp[row]
        for end in range(len(row) - 1, 0, -length):
            start = max(0, end - length)
            pad = length - (end - start)
            inputs.append(np.r_[np.full(pad, PAD), items[start:end]])
            targets.append(np.r_[np.full(pad, PAD), items[start + 1:end + 1]])
            weights.append(np.r_[np.zeros(pad), weigh(stamps[start + 1:end + 1]) if weigh else np.ones(end - start)])
    if not inputs:
        return (torch.zeros((0, length), dtype=torch.long),) * 2 + (torch.zeros((0, length)),)
    return (torch.from_numpy(np.array(inputs, dtype=np.int64)), torch.from_numpy(np.array(targets, dtype=np.int64)),
            torch.from_numpy(np.array(weights, dtype=np.float32)))


def _epoch(model: CausalTransformer, optimizer: torch.optim.Optimizer, inputs: torch.Tensor, targets: torch.Tensor,
           weights: torch.Tensor, batch: int, rng: np.random.Generator, deadline: float) -> float:
    """Passes over the sequences in random batches, at least MIN_UPDATES batches; stops early at the deadline.
    The mean weighted loss."""
    model.train()
    total, mass = 0.0, 0.0
    passes = max(1, -(-MIN_UPDATES * batch // max(len(inputs), 1)))
    order = torch.from_numpy(np.concatenate([rng.permutation(len(inputs)) for _ in range(passes)]))
    for start in range(0, len(order), batch):
        chosen = order[start:start + batch]
        outputs, vectors, biases = model(inputs[chosen])
        valid = targets[chosen] != PAD
        logits = outputs[valid] @ vectors.T + biases
        weight = weights[chosen][valid]
        losses = nn.functional.cross_entropy(logits, targets[chosen][valid], reduction="none")
        loss = (losses * weight).sum() / weight.sum().clamp(min=1e-6)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        total, mass = total + float(loss.detach()) * float(weight.sum()), mass + float(weight.sum())
        if time.monotonic() >= deadline:
            break
    return total / max(mass, 1e-6)
