"""aws-user-personalization-v2 and aws-personalized-ranking-v2: a SASRec-style causal transformer over each
user's last events. spec: recipes-and-models.md §5.2

Input at each position: the item tower's vector of the event's item plus a learned embedding of the position
(counted from the end, so the newest event always sits at the last one); with a Users dataset, the user's
profile is an extra first token. 2 pre-LayerNorm blocks of 2-head causal self-attention; the last position's
output dotted with the item tower (tied) plus the item bias gives the logits. Training is "SASRec+": full-softmax
cross-entropy at every position (Klenitskiy & Vasilev), each target weighted by recency when apply_recency_bias is
true; the profile token's output learns the first event of each piece, so that a user without history is served
from their profile. Serving runs the same blocks in numpy over the user's last events, stored at training and
extended by PutEvents: a state is (profile token or None, item indices). What v2 changes at serving (reasons,
fixed exploration, metadata always allowed) lives in recommending."""

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar, NamedTuple

import numpy as np
import torch
from scipy.sparse import csr_matrix
from torch import nn

from emulator.recipes import holdout, popular_now
from emulator.recipes.base import Epoch, Recommender, no_log
from emulator.recipes.data import Interactions, TestUser
from emulator.recipes.neural import (AVERAGE_STEPS, MIXED, Averaged, Dropout, ItemTower, adam, as_array, grow_items,
                                     item_features, log_popularity, profile_layer, recency_weights, side_weights,
                                     use_threads)
from emulator.recipes.popular_now import PopularNow
from emulator.recipes.profiles import Profiles

LENGTH, LONG_LENGTH = 50, 200   # events read; the longer when the median history exceeds LONG_MEDIAN
LONG_MEDIAN = 100
WIDTH, BLOCKS, HEADS, DROPOUT = 64, 2, 2, 0.2
LOGITS_PER_BATCH = 2 ** 22      # positions x items of one batch's softmax: bounds its memory ...
MIN_BATCH, MAX_BATCH = 8, 128   # ... within these numbers of sequences, ...
ROUNDS = 64                     # ... so that an epoch, one pass over the sequences, makes about this many steps
                                # (small data: as many passes as make at least this many)
LEARNING_RATE = 1e-3            # Adam's at MIN_BATCH sequences, growing with the root of the batch (2e-3: -0.015 NDCG)
PAD = -1


class History(NamedTuple):
    """A user's state: their profile token (None for a model without profiles), last events, and the newest
    event's timestamp (NaN: unknown), which the popular-now term reads."""
    token: np.ndarray | None
    items: np.ndarray
    seen: float = math.nan


class CausalTransformer(nn.Module):
    def __init__(self, n_items: int, length: int, item_bias: torch.Tensor, features: torch.Tensor | None,
                 profiles: csr_matrix | None = None) -> None:
        super().__init__()
        # no id dropout, as for aws-user-personalization: new items reach lists through exploration
        self.item_tower = ItemTower(n_items, WIDTH, item_bias, features, id_dropout=0.0)
        self.profiles = profiles   # (n_users, features) encoded Users records, or None without them
        if profiles is not None:
            self.profile = profile_layer(profiles, WIDTH)
        self.positions = nn.Embedding(length + (profiles is not None), WIDTH)
        nn.init.normal_(self.positions.weight, std=0.05)
        layer = nn.TransformerEncoderLayer(WIDTH, HEADS, dim_feedforward=WIDTH, dropout=DROPOUT, batch_first=True,
                                           norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, BLOCKS, enable_nested_tensor=False)
        for block in self.blocks.layers:   # the faster mask (neural.Dropout): nn.Dropout's was 18 % of a small fit
            block.dropout, block.dropout1, block.dropout2 = Dropout(DROPOUT), Dropout(DROPOUT), Dropout(DROPOUT)
        self.norm = nn.LayerNorm(WIDTH)
        self.dropout = Dropout(DROPOUT)

    def forward(self, items: torch.Tensor, users: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """items (batch, length), PAD on the left, of users (batch,) -> outputs (batch, slots, width) (slots: the
        profile token, if any, then the events), item vectors and biases."""
        vectors, biases = self.item_tower()
        padded = items < 0
        inputs = vectors[items.clamp(min=0)] * (~padded)[..., None].float()
        if self.profiles is not None:
            token = torch.tanh(self.profile(torch.from_numpy(self.profiles[users.numpy()].toarray())))
            inputs = torch.cat([token[:, None], inputs], dim=1)
            padded = torch.cat([torch.zeros(len(items), 1, dtype=torch.bool), padded], dim=1)
        outputs = self.blocks(self.dropout(inputs + self.positions.weight[None]), mask=_attention_mask(padded))
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


class Transformer(PopularNow, Profiles, Recommender):
    recipe = "aws-user-personalization-v2"
    uses_metadata: ClassVar[bool] = True
    DEFAULTS: ClassVar[dict[str, str]] = {"apply_recency_bias": "true", "min_user_history_length_percentile": "0.0",
                                          "max_user_history_length_percentile": "0.99"}

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        torch.manual_seed(self.seed)
        use_threads(self.budget)
        rng = np.random.default_rng(self.seed)
        recency = self.hyperparameter("apply_recency_bias", bool)
        self._remember_ids(train)
        for key in popular_now.KEYS:
            self.state.pop(key, None)
        kept = train.with_history_lengths_within(self.hyperparameter("min_user_history_length_percentile", float),
                                                 self.hyperparameter("max_user_history_length_percentile", float))
        rest, choosing = holdout.choice_split(kept)
        fit_part, validation = holdout.split(rest)
        counts = fit_part.user_counts()
        length = LONG_LENGTH if np.median(counts[counts > 0]) > LONG_MEDIAN else LENGTH
        pieces = _sequences(fit_part, length, recency_weights(fit_part) if recency else None)
        model = CausalTransformer(train.n_items, length, log_popularity(fit_part, recent_only=recency),
                                  item_features(self, train), self.learn_profiles(train))
        # batches small enough for ROUNDS steps per pass where the data allows, and for the memory
        fitting = LOGITS_PER_BATCH // (length * max(train.n_items, 1))
        batch = int(np.clip(min(len(pieces.inputs) // ROUNDS, fitting), MIN_BATCH, MAX_BATCH))
        optimizer = adam(model.parameters(), LEARNING_RATE * np.sqrt(batch / MIN_BATCH))
        average = Averaged(model, optimizer, AVERAGE_STEPS)

        def epoch(deadline: float) -> Epoch:
            return _epoch(model, optimizer, pieces, batch, rng, deadline)
        def validate() -> float:
            return validation.ndcg(lambda tests: _hold_out_scores(model, tests, length))
        self._train_epochs(epoch, lambda: average.export(lambda: self._export(model)),
                           lambda: average.export(validate), log)
        self._fit_popular_now(kept, choosing)

    def _fit_popular_now(self, kept: Interactions, choosing: list) -> None:
        """The popular-now term, chosen on popular_now.Targets scored by the transformer."""
        targets = popular_now.Targets.of(kept, [test.user for test in choosing], self.length, holdout.SEED + 3)
        if not len(targets):
            return
        tokens = self.profile_vectors(targets.owners) if self.reads_profiles else [None] * len(targets.owners)
        scores = np.stack([self.item_scores(History(tokens[owner], prefix))
                           for owner, prefix in zip(targets.which.tolist(), targets.prefixes())])
        self._fit_popular(targets, scores, kept)

    def build_user_states(self, full: Interactions) -> None:
        """Every user's last events, right-aligned in a (users, length) table padded with PAD; and their profile
        tokens."""
        length = self.length
        histories = np.full((full.n_users, length), PAD, dtype=np.int32)
        users, rows = full.user_rows()
        for user, row in zip(users.tolist(), rows):
            last = full.item_index[row[-length:]]
            histories[user, length - len(last):] = last
        self.state["user_histories"] = histories
        if self._clock:   # the popular-now term counts every training event; states carry the newest's time
            self._count(full)
            seen = np.full(full.n_users, np.nan)
            np.fmax.at(seen, full.user_index, full.timestamp.astype(np.float64))
            self.state["user_seen"] = seen
        self.encode_profiles(full)
        if self.reads_profiles:
            self.state["user_tokens"] = self.profile_vectors(np.arange(full.n_users))

    def update(self, full: Interactions) -> None:
        """trainingMode UPDATE: new items get the mean vector and bias of the known ones; histories are re-read."""
        grow_items(self, full)
        self.build_user_states(full)

    @property
    def length(self) -> int:
        """Events a state holds."""
        return len(self.state["positions"]) - self.reads_profiles

    def initial_state(self, user: int | None) -> History:
        histories = self.state.get("user_histories")
        if user is None or histories is None or not 0 <= user < len(histories):
            return self.new_user_state(None)
        token = self.state["user_tokens"][user] if self.reads_profiles else None
        seen = self.state["user_seen"][user] if self._clock else math.nan
        return History(token, histories[user][histories[user] != PAD].astype(np.int64), float(seen))

    def new_user_state(self, profile: Mapping[str, object] | None) -> History:
        return History(self.record_vector(profile) if self.reads_profiles else None, np.zeros(0, dtype=np.int64))

    def states_after(self, histories: list[np.ndarray], users: Sequence[int] | None = None) -> list[History]:
        users = np.full(len(histories), -1) if users is None else np.asarray(users)
        tokens = self.profile_vectors(users) if self.reads_profiles else [None] * len(histories)
        return [History(token, np.asarray(history, dtype=np.int64)[-self.length:])
                for token, history in zip(tokens, histories)]

    def advance(self, state: History, item: int) -> History:
        return History(state.token, np.append(state.items, item)[-self.length:], state.seen)

    def seen(self, state: History, timestamp: float) -> History:
        return state._replace(seen=float(np.fmax(state.seen, timestamp))) if self._clock else state

    def item_scores(self, state: History, now: float | None = None) -> np.ndarray:
        """A user without events or profile gets the item biases alone (popularity); with the popular-now term,
        what is popular at the request (`now`; None: the training data's end, or the user's newest event if
        later)."""
        bias = self.state["item_bias"]
        if state.token is None and not state.items.size:
            scores = bias.astype(np.float64)
        else:
            scores = (self.state["item_embeddings"] @ self._encoded(state) + bias).astype(np.float64)
        return self._popular(scores, state.seen, now)

    def _encoded(self, state: History) -> np.ndarray:
        """The transformer's output at the last slot, in numpy, the torch blocks' formulas in eval mode."""
        s, items = self.state, state.items
        x = s["item_embeddings"][items] + s["positions"][len(s["positions"]) - len(items):]
        if state.token is not None:
            x = np.vstack([state.token + s["positions"][0], x])
        later = np.triu(np.ones((len(x), len(x)), dtype=bool), k=1)
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
        self.state.update(side_weights(model))
        layers = {f"block{number}": layer for number, layer in enumerate(model.blocks.layers)} | {"norm": model.norm}
        weights = {f"{prefix}.{name}": as_array(tensor) for prefix, layer in layers.items()
                   for name, tensor in layer.state_dict().items()}
        self.state.update(item_embeddings=vectors, item_bias=biases, positions=as_array(model.positions.weight),
                          **weights)


def _hold_out_scores(model: CausalTransformer, tests: list[TestUser], length: int) -> np.ndarray:
    """(len(tests), n_items) the module's logits after each user's last `length` events, in eval mode and in
    batches of MAX_BATCH: what serving computes in numpy a user at a time, in half the time (ML-100K's 850 users:
    0.27 against 0.58 s)."""
    model.eval()
    found = []
    for start in range(0, len(tests), MAX_BATCH):
        chosen = tests[start:start + MAX_BATCH]
        inputs = np.full((len(chosen), length), PAD, dtype=np.int64)
        for row, test in enumerate(chosen):
            last = test.history[-length:]
            inputs[row, length - len(last):] = last
        users = torch.tensor([test.user for test in chosen], dtype=torch.int64)
        with torch.no_grad():
            outputs, vectors, biases = model(torch.from_numpy(inputs), users)
            found.append(as_array(outputs[:, -1] @ vectors.T + biases))
    return np.concatenate(found)


def _layer_norm(x: np.ndarray, state: dict, name: str) -> np.ndarray:
    centred = x - x.mean(axis=1, keepdims=True)
    scaled = centred / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + 1e-5)
    return scaled * state[name + ".weight"] + state[name + ".bias"]


class Pieces(NamedTuple):
    """Each user's history cut from its end into pieces of `length` steps, right-aligned, PAD on the left:
    (pieces, length) inputs, next-item targets and their weights; (pieces,) the user, and the piece's first item
    with its weight (the target of a profile token)."""
    inputs: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor
    users: torch.Tensor
    heads: torch.Tensor
    head_weights: torch.Tensor


def _sequences(data: Interactions, length: int, weigh: Callable[[np.ndarray], np.ndarray] | None) -> Pieces:
    weigh = weigh or (lambda stamps: np.ones(len(stamps)))
    inputs, targets, weights, users, heads, head_weights = [], [], [], [], [], []
    for user, row in zip(*data.user_rows()):
        items, stamps = data.item_index[row], data.timestamp[row]
        for end in range(len(row) - 1, 0, -length):
            start = max(0, end - length)
            pad = length - (end - start)
            inputs.append(np.r_[np.full(pad, PAD), items[start:end]])
            targets.append(np.r_[np.full(pad, PAD), items[start + 1:end + 1]])
            weights.append(np.r_[np.zeros(pad), weigh(stamps[start + 1:end + 1])])
            users.append(user)
            heads.append(items[start])
            head_weights.append(weigh(stamps[start:start + 1])[0])
    arrays = [np.array(values, dtype=kind).reshape(len(users), *shape) for values, kind, shape in (
        (inputs, np.int64, (length,)), (targets, np.int64, (length,)), (weights, np.float32, (length,)),
        (users, np.int64, ()), (heads, np.int64, ()), (head_weights, np.float32, ()))]
    return Pieces(*map(torch.from_numpy, arrays))


def _epoch(model: CausalTransformer, optimizer: torch.optim.Optimizer, pieces: Pieces, batch: int,
           rng: np.random.Generator, deadline: float) -> Epoch:
    """A pass over the sequences in random batches (small data: passes, until ROUNDS batches); stops early at the
    deadline. Its loss is the mean weighted cross-entropy."""
    model.train()
    total, mass, steps = 0.0, 0.0, 0
    passes = max(1, -(-ROUNDS * batch // max(len(pieces.inputs), 1)))
    order = torch.from_numpy(np.concatenate([rng.permutation(len(pieces.inputs)) for _ in range(passes)]))
    for start in range(0, len(order), batch):
        chosen = order[start:start + batch]
        outputs, vectors, biases = model(pieces.inputs[chosen], pieces.users[chosen])
        targets, weights = pieces.targets[chosen], pieces.weights[chosen]
        if model.profiles is not None:   # the profile token's output: the piece's first item
            targets = torch.cat([pieces.heads[chosen][:, None], targets], dim=1)
            weights = torch.cat([pieces.head_weights[chosen][:, None], weights], dim=1)
        valid = targets != PAD
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=MIXED):   # as the GRU's logits
            logits = (outputs[valid] @ vectors.T).float() + biases
        weight = weights[valid]
        losses = nn.functional.cross_entropy(logits, targets[valid], reduction="none")
        loss = (losses * weight).sum() / weight.sum().clamp(min=1e-6)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        total, mass = total + float(loss.detach()) * float(weight.sum()), mass + float(weight.sum())
        steps += 1
        if time.monotonic() >= deadline:
            break
    return Epoch(total / max(mass, 1e-6), steps, passes)
