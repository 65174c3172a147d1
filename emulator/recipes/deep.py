"""The emulator's extra recipes emulator-deepfm and emulator-ffnn. spec: recipes-and-models.md §5.15

Both read the same fields: the user id, the item id, the item's encoded Items columns (§2.2) and the user's last
LAST_ITEMS items as a bag. DeepFM (Guo et al. 2017) adds an FM second-order term over the field embeddings to an
MLP on their concatenation; FeedForward is a two-tower model, an MLP on the user side and the §2.3 item tower.
Both train with a sampled softmax (negatives shared per batch, drawn ∝ count^0.75, logQ-corrected) in torch and
serve in numpy. A serving state is int64 [user index or -1, older, old, newest item or -1], so a streamed event
moves the bag."""

import itertools
import time
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from emulator.recipes import holdout
from emulator.recipes.base import Epoch, Recommender, no_log
from emulator.recipes.data import Interactions, TestUser
from emulator.recipes.neural import AVERAGE_STEPS, MIXED, Averaged, adam, dropout_mask, use_threads

LAST_ITEMS = 3            # items in the "last items" bag
NEGATIVES = 100           # sampled per batch, shared by its positives (spec §5.15) ...
DEEPFM_NEGATIVES = 100    # ... DeepFM too: at 32 (its MLP runs on every (row, negative) pair) ML-100K trained 4.7x
                          # faster but NDCG@10 fell from 0.073 ± 0.008 to 0.048 ± 0.006 (bench_recipes --neural)
SHAPES = 8                # distinct negatives padded to a multiple of this (see Examples._distinct)
SMOOTHING = 0.75          # sampling ∝ count^SMOOTHING
USER_DROPOUT = 0.5        # share of training rows without their user id: unknown users keep only the bag
ID_DROPOUT = 0.15         # share of item ids zeroed per batch when items have metadata (spec §2.3)
MIN_BATCH, MAX_BATCH = 32, 256   # rows of a batch, sized so that an epoch, one pass over the rows, makes ...
ROUNDS = 64                      # ... about this many optimizer steps (small data: as many passes as make this many);
EPOCH_STEPS, MAX_PARTS = 100, 4  # DeepFM cuts a pass into epochs of about EPOCH_STEPS steps, 2 to MAX_PARTS of them:
                                 # validation, and the stop, come that much sooner (ML-100K: two epochs a pass)


def _widths(spec: str) -> list[int]:
    return [int(width) for width in spec.split(",") if width.strip()]


def _linears(widths: list[int]) -> nn.ModuleList:
    return nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(widths))


def _embedding(rows: int, width: int, padding: bool = False) -> nn.Embedding:
    table = nn.Embedding(rows + padding, width, padding_idx=rows if padding else None)
    with torch.no_grad():
        nn.init.normal_(table.weight, std=0.05)
        if padding:
            table.weight[rows] = 0.0
    return table


class Fields(nn.Module):
    """The user-side fields: a user id embedding (-1: none, a zero vector) and the mean embedding of the bag's
    items (-1 pads); and the item features, a buffer (n_items, features)."""

    def __init__(self, n_users: int, n_items: int, features: torch.Tensor, width: int, dropout: float) -> None:
        super().__init__()
        self.user = _embedding(n_users, width, padding=True)
        self.bag = _embedding(n_items, width, padding=True)
        self.register_buffer("features", features)
        self.dropout = dropout

    def drop(self, values: torch.Tensor) -> torch.Tensor:
        """Dropout with one mask per context row, shared by all its candidates ((B, C, h) gets a (B, 1, h) mask):
        element-wise masks over every pair cost more than the matrix products."""
        if not self.training or self.dropout <= 0.0:
            return values
        shape = values.shape[:1] + (1,) * (values.dim() - 2) + values.shape[-1:]
        # the mask in the values' type: a float32 mask on bfloat16 values (MIXED) made the product, the largest
        # tensor of a step, float32, to be cast back by the next layer
        return values * dropout_mask(shape, self.dropout, values.dtype)

    def context(self, users: torch.Tensor, bags: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """users (B,), bags (B, LAST_ITEMS) -> user and bag embeddings, (B, width) each."""
        users = torch.where(users < 0, self.user.padding_idx, users)
        count = (bags >= 0).sum(dim=1, keepdim=True).clamp(min=1)
        bags = torch.where(bags < 0, self.bag.padding_idx, bags)
        return self.user(users), self.bag(bags).sum(dim=1) / count


class DeepFMNet(Fields):
    """Four fields of width k: user, bag | item id, item metadata (a linear map of the features). Logit =
    item bias + first-order metadata term + FM second order over the four fields + MLP(concatenation)."""

    def __init__(self, n_users: int, n_items: int, features: torch.Tensor, width: int, hidden: list[int],
                 dropout: float, item_bias: torch.Tensor) -> None:
        super().__init__(n_users, n_items, features, width, dropout)
        self.item = _embedding(n_items, width)
        self.meta = nn.Linear(features.shape[1], width, bias=False)
        self.linear = nn.Linear(features.shape[1], 1, bias=False)
        self.bias = nn.Parameter(item_bias.clone())
        self.layers = _linears([4 * width, *hidden, 1])

    def forward(self, users: torch.Tensor, bags: torch.Tensor, items: torch.Tensor,
                keep: torch.Tensor | None = None, paired: bool = False) -> torch.Tensor:
        """Logits (B, C) of C candidate items for each of B contexts, or (B,) of one item each when paired.
        keep (C,): 0 where an item's id embedding is dropped."""
        user, bag = self.context(users, bags)
        item, meta = self.item(items), self.meta(self.features[items])
        if keep is not None:
            item = item * keep[:, None]
        # the FM's pairs across the four fields: <user + bag, item + meta> + <user, bag> + <item, meta>
        fm = _dot(user + bag, item + meta, paired) + _plus((user * bag).sum(-1), (item * meta).sum(-1), paired)
        first = self.layers[0]   # its weight splits into a context half and an item half (see DeepFM.prepare)
        half = 2 * user.shape[1]
        context = self.drop(torch.cat([user, bag], 1)) @ first.weight[:, :half].T + first.bias
        candidates = self.drop(torch.cat([item, meta], 1)) @ first.weight[:, half:].T
        # the bias added before the pairs are formed, and in the candidates' type: a float32 bias added to the
        # (B, C, width) pairs made them float32 (MIXED), the largest tensor of a step cast back and forth
        context = context.to(candidates.dtype)
        if len(self.layers) == 1:
            return fm + _plus(context, candidates, paired)[..., 0] + self._first_order(items)
        *middle, last = self.layers[1:]
        hidden = torch.relu(_plus(*self._drop_pairs(context, candidates), paired))
        for number, layer in enumerate(middle):
            hidden = torch.relu(layer(hidden if number == 0 else self.drop(hidden)))
        return fm + self._last(last, hidden, paired, dropped=not middle) + self._first_order(items)

    def _first_order(self, items: torch.Tensor) -> torch.Tensor:
        return self.bias[items] + self.linear(self.features[items])[:, 0]   # (C,) broadcasts over the B contexts

    def _drop_pairs(self, context: torch.Tensor, candidates: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The first layer's halves such that relu(context + candidate) is the dropped relu of every pair
        (dropout with one mask per context row, as in drop): a dropped unit's context is -inf, the kept ones are
        scaled (relu(s x) = s relu(x)), so no mask multiplies the (B, C, width) pairs, forward or backward."""
        if not self.training or self.dropout <= 0.0:
            return context, candidates
        scale = 1.0 / (1.0 - self.dropout)
        kept = torch.rand(context.shape) >= self.dropout
        return torch.where(kept, context * scale, float("-inf")).to(context.dtype), candidates * scale

    def _last(self, last: nn.Linear, hidden: torch.Tensor, paired: bool, dropped: bool) -> torch.Tensor:
        """The output layer (width 1) on the relu'd pairs (B, C, width), or rows (B, width) when paired; its
        dropout, one mask per context row, folded into a weight vector per row (B, width) rather than multiplied
        into the pairs."""
        if dropped or not self.training or self.dropout <= 0.0:
            return last(hidden)[..., 0]
        weights = dropout_mask((hidden.shape[0], hidden.shape[-1]), self.dropout, hidden.dtype) * last.weight[0]
        if paired:
            return (hidden * weights).sum(-1) + last.bias
        return torch.bmm(hidden, weights.to(hidden.dtype)[:, :, None])[..., 0] + last.bias


class TwoTowerNet(Fields):
    """User tower: an MLP on [user; bag] (ReLU between layers, the last one linear). Item tower (§2.3): item id
    embedding + a linear map of the features, of the tower's output width. Logit = dot product + item bias."""

    def __init__(self, n_users: int, n_items: int, features: torch.Tensor, width: int, hidden: list[int],
                 dropout: float, item_bias: torch.Tensor) -> None:
        super().__init__(n_users, n_items, features, width, dropout)
        widths = [2 * width, *hidden]
        self.layers = _linears(widths)
        self.item = _embedding(n_items, widths[-1])
        self.meta = nn.Linear(features.shape[1], widths[-1], bias=False)
        self.bias = nn.Parameter(item_bias.clone())

    def forward(self, users: torch.Tensor, bags: torch.Tensor, items: torch.Tensor,
                keep: torch.Tensor | None = None, paired: bool = False) -> torch.Tensor:
        query = torch.cat(self.context(users, bags), 1)
        for number, layer in enumerate(self.layers):
            query = layer(self.drop(query if number == 0 else torch.relu(query)))
        item = self.item(items)
        vectors = (item if keep is None else item * keep[:, None]) + self.meta(self.features[items])
        return _dot(query, vectors, paired) + self.bias[items]


def _dot(contexts: torch.Tensor, items: torch.Tensor, paired: bool) -> torch.Tensor:
    """(B, k) and (B, k) -> (B,) row by row when paired, else (B, k) and (C, k) -> (B, C)."""
    return (contexts * items).sum(-1) if paired else contexts @ items.T


def _plus(contexts: torch.Tensor, items: torch.Tensor, paired: bool) -> torch.Tensor:
    """A context part plus an item part: row by row when paired, else every context with every item."""
    return contexts + items if paired else contexts[:, None] + items[None, :]


class FieldModel(Recommender):
    """What both recipes share: training examples, the sampled-softmax loop, user states, the bag."""

    network: ClassVar[type[Fields]]
    negatives: ClassVar[int] = NEGATIVES
    epoch_parts: ClassVar[tuple[int, int]] = (1, 1)   # the least and most epochs a pass is cut into
    distinct: ClassVar[bool] = False   # each distinct negative scored once (see Examples._distinct)
    validation_users: ClassVar[int] = holdout.MOST_USERS   # the most that early stopping validates on

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        torch.manual_seed(self.seed)
        use_threads(self.budget)
        rng = np.random.default_rng(self.seed)
        self._remember_ids(train)
        rest, validation = holdout.split(train, self.validation_users)
        counts = np.bincount(rest.item_index, minlength=train.n_items).astype(np.float64)
        self._trained = (np.bincount(rest.user_index, minlength=train.n_users) > 0, counts > 0)
        features = _features(train)
        log_popularity = torch.from_numpy(np.log(counts + 1.0) - np.log(counts.sum() + train.n_items)).float()
        hidden = _widths(self.hyperparameter("hidden_layers", str))
        net = self.network(train.n_users, train.n_items, torch.from_numpy(features),
                           self.hyperparameter("embedding_dim", int), hidden, self.hyperparameter("dropout", float),
                           log_popularity)
        examples = Examples(rest, counts, metadata=bool(features.any()), negatives=self.negatives,
                            parts=self.epoch_parts, distinct=self.distinct)
        optimizer = adam(net.parameters(), self.hyperparameter("learning_rate", float))
        # averaged over a pass at least: FFNN's makes 216 steps on ML-100K; over 64, its validation NDCG moved by
        # 5-10 % from epoch to epoch, and its leave-last-out NDCG@10 by ± 8.3 % from seed to seed (5.0 % over a pass)
        average = Averaged(net, optimizer, max(AVERAGE_STEPS, examples.pass_steps))
        self._train_epochs(lambda deadline: examples.epoch(net, optimizer, rng, deadline),
                           lambda: average.export(lambda: self._export(net)),
                           lambda: validation.ndcg(self._hold_out_scores), log, **self.stop_rules(examples))
        self.prepare()

    def stop_rules(self, examples: "Examples") -> dict[str, float]:
        """Arguments of Recommender._train_epochs beyond its defaults. The FFNN keeps the falling-loss rule: stopped
        on validation alone, the noise of 40-odd validation users stopped it after 2 to 8 epochs on ML-100K, held-out
        NDCG@10 0.070 (GetSolutionMetrics split) and 0.074 (leave-last-out) against 0.077 and 0.081 with the rule
        (5 to 8 epochs; 5 seeds)."""
        return {}

    def _hold_out_scores(self, tests: list[TestUser]) -> np.ndarray:
        """(len(tests), n_items) the scores of known users after their histories, as build_user_states serves
        them: the user's id and last LAST_ITEMS items."""
        states = np.full((len(tests), 1 + LAST_ITEMS), -1, dtype=np.int64)
        for row, test in enumerate(tests):
            last = test.history[-LAST_ITEMS:]
            states[row, 0], states[row, 1 + LAST_ITEMS - len(last):] = test.user, last
        return self.states_scores(states)

    def states_scores(self, states: np.ndarray) -> np.ndarray:
        """(len(states), n_items) item_scores of each state; FeedForward batches it."""
        return np.stack([self.item_scores(state) for state in states])

    def build_user_states(self, full: Interactions) -> None:
        """Each user's last LAST_ITEMS items, oldest first, -1 where the history is shorter."""
        order = np.argsort(full.user_index, kind="stable")   # by user, time order kept within each
        users, items = full.user_index[order], full.item_index[order]
        from_end = np.searchsorted(users, users, side="right") - 1 - np.arange(users.size)   # 0: the newest
        recent = from_end < LAST_ITEMS
        states = np.full((full.n_users, LAST_ITEMS), -1, dtype=np.int64)
        states[users[recent], LAST_ITEMS - 1 - from_end[recent]] = items[recent]
        self.state["user_states"] = states

    def initial_state(self, user: int | None) -> np.ndarray:
        states = self.state.get("user_states")
        if user is None or not 0 <= user < len(self.user_ids):
            return np.full(1 + LAST_ITEMS, -1, dtype=np.int64)
        last = states[user] if states is not None and user < len(states) else np.full(LAST_ITEMS, -1)
        return np.r_[user, last].astype(np.int64)

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        return np.r_[state[0], state[2:], item].astype(np.int64)

    def _context(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The user and bag embeddings of a state, (width,) each, as Fields.context computes them."""
        users, bags = self.state["user.weight"], self.state["bag.weight"]
        user = users[state[0]] if state[0] >= 0 else np.zeros(users.shape[1], dtype=np.float32)
        items = state[1:][state[1:] >= 0]
        return user, bags[items].sum(axis=0) / max(items.size, 1)

    def _export(self, net: Fields) -> None:
        """The net's tensors by their torch names; ids of users and items it never trained on are zeroed (§2.3)."""
        arrays = {name: tensor.detach().numpy().astype(np.float32).copy() for name, tensor in net.state_dict().items()}
        users, items = self._trained
        arrays["user.weight"][:-1][~users] = 0.0
        arrays["bag.weight"][:-1][~items] = 0.0
        arrays["item.weight"][~items] = 0.0
        self.state.update(arrays)
        self.prepare()

    def _linear_layers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        count = sum(1 for key in self.state if key.startswith("layers.") and key.endswith(".weight"))
        return [(self.state[f"layers.{n}.weight"], self.state[f"layers.{n}.bias"]) for n in range(count)]


DEFAULTS_SHARED = {"embedding_dim": "16", "dropout": "0.1", "learning_rate": "0.003"}


class DeepFM(FieldModel):
    recipe = "emulator-deepfm"
    # 0.01 rather than 0.003: on ML-100K (2 splits) its held-out NDCG@10 after 2 passes, 0.078, took 0.003 3 passes.
    # 128,128 rather than the spec's 200,200: the MLP runs on every (row, negative) pair; on ML-100K, run side by
    # side, fit in 10.8 against 16.9 s, NDCG@10 (4 seeds) 0.0738 against 0.0682 (GetSolutionMetrics split) and
    # 0.0801 against 0.0759 (leave-last-out)
    DEFAULTS: ClassVar[dict[str, str]] = {**DEFAULTS_SHARED, "hidden_layers": "128,128", "learning_rate": "0.01"}
    network = DeepFMNet
    negatives = DEEPFM_NEGATIVES
    epoch_parts = (2, MAX_PARTS)
    validation_users = holdout.LEAST_USERS   # a user's scores run the MLP over every item: 3 ms on ML-100K
    distinct = True   # FeedForward scores its negatives once per batch, not per row: no gain there

    def stop_rules(self, examples: "Examples") -> dict[str, float]:
        """A pass of fewer than EPOCH_STEPS steps (small data: 64) learns what a first pass can: validation may stop
        training after it (8 seeds of 300 users x 34 interactions: held-out NDCG@10 0.119 ± 0.009 against
        0.111 ± 0.008 with two passes at least, in 2.6 against 4.1 s). On larger data, with half-pass epochs, the
        noise of 40-odd validation users kept the state after 1 or 1.5 passes in 2 of 4 splits of ML-100K (NDCG@10
        0.049-0.055, where 2 passes reached 0.078 on average): no state before 2 passes is kept; and held-out
        NDCG@10 after 2, 3, 4 and 5 passes was 0.078, 0.074, 0.073, 0.073 (2 splits), while validation noise could
        carry training on to 10 passes: none after 2, so such data trains two passes."""
        # stopped on validation alone (a falling loss is not taken for learning): with that rule it ran ten epochs
        # on ML-100K, 127 s against 60 s (before its speed-ups), for +0.009 NDCG@10
        rules = {"learning_loss": 1.0}
        if examples.parts == 1:
            return rules
        if examples.pass_steps < EPOCH_STEPS:
            return {**rules, "min_updates": examples.pass_steps}
        return {**rules, "warm_passes": 2.0, "max_passes": 2.0}

    def prepare(self) -> None:
        """What does not depend on the user: the items' field sums, constant terms, and first-layer halves."""
        s = self.state
        item, meta = s["item.weight"], s["features"] @ s["meta.weight"].T
        self._layers = self._linear_layers()
        first, bias = self._layers[0]
        half = 2 * item.shape[1]
        self._item_sum = item + meta
        self._item_constant = s["bias"] + (s["features"] @ s["linear.weight"].T)[:, 0] + (item * meta).sum(axis=1)
        self._item_hidden = np.hstack([item, meta]) @ first[:, half:].T + bias
        self._context_weight = first[:, :half]

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        user, bag = self._context(state)
        fm = self._item_sum @ (user + bag) + float(user @ bag) + self._item_constant
        hidden = self._item_hidden + self._context_weight @ np.r_[user, bag]
        for weight, bias in self._layers[1:]:
            hidden = np.maximum(hidden, 0.0) @ weight.T + bias
        return (fm + hidden[:, 0]).astype(np.float64)


class FeedForward(FieldModel):
    recipe = "emulator-ffnn"
    DEFAULTS: ClassVar[dict[str, str]] = {**DEFAULTS_SHARED, "hidden_layers": "256,128"}
    network = TwoTowerNet

    def prepare(self) -> None:
        """The item tower's vectors (n_items, width)."""
        s = self.state
        self._layers = self._linear_layers()
        self._item_vectors = s["item.weight"] + s["features"] @ s["meta.weight"].T

    def item_scores(self, state: np.ndarray) -> np.ndarray:
        return self.states_scores(state[None])[0].astype(np.float64)

    def states_scores(self, states: np.ndarray) -> np.ndarray:
        query = np.hstack([np.stack(parts) for parts in zip(*map(self._context, states))])
        for number, (weight, bias) in enumerate(self._layers):
            query = (query if number == 0 else np.maximum(query, 0.0)) @ weight.T + bias
        return query @ self._item_vectors.T + self.state["bias"]


class Examples:
    """Every training interaction as (user, bag of the LAST_ITEMS before it, item), and the negative sampler."""

    def __init__(self, data: Interactions, counts: np.ndarray, metadata: bool, negatives: int = NEGATIVES,
                 parts: tuple[int, int] = (1, 1), distinct: bool = False) -> None:
        order = np.argsort(data.user_index, kind="stable")   # by user, time order kept within each
        users, items = data.user_index[order].astype(np.int64), data.item_index[order].astype(np.int64)
        bags = np.full((users.size, LAST_ITEMS), -1, dtype=np.int64)
        for lag in range(1, LAST_ITEMS + 1):
            same = users[lag:] == users[:-lag]
            bags[lag:, LAST_ITEMS - lag] = np.where(same, items[:-lag], -1)
        self.users, self.bags, self.items = torch.from_numpy(users), torch.from_numpy(bags), torch.from_numpy(items)
        proposal = counts ** SMOOTHING
        self.proposal = torch.from_numpy(proposal / proposal.sum()).float()
        self.negatives = negatives
        self.log_expected = torch.log(self.proposal * negatives).clamp(min=-80.0)   # logQ correction
        self.metadata = metadata
        self.batch = int(np.clip(users.size // ROUNDS, MIN_BATCH, MAX_BATCH))
        self.passes = max(1, -(-ROUNDS * self.batch // max(users.size, 1)))
        self.pass_steps = -(-users.size // self.batch)
        self.parts = int(np.clip(round(self.pass_steps / EPOCH_STEPS), *parts)) if self.passes == 1 else 1
        self.order, self.part = np.zeros(0, dtype=np.int64), 0
        self.distinct = distinct

    def epoch(self, net: Fields, optimizer: torch.optim.Optimizer, rng: np.random.Generator,
              deadline: float) -> Epoch:
        """Shuffled passes, or the next of the `parts` shares of one, one optimizer step per batch; stops early at
        the deadline. Its loss is the mean sampled-softmax cross-entropy."""
        net.train()
        if self.part == 0:
            self.order = np.concatenate([rng.permutation(self.items.numel()) for _ in range(self.passes)])
        batches = -(-self.order.size // self.batch)
        first, end = (batches * self.part // self.parts, batches * (self.part + 1) // self.parts)
        self.part = (self.part + 1) % self.parts
        order = self.order[first * self.batch:end * self.batch]
        total, steps = 0.0, 0
        for start in range(0, order.size, self.batch):
            rows = torch.from_numpy(order[start:start + self.batch])
            users, bags, items = self.users[rows], self.bags[rows], self.items[rows]
            users = torch.where(torch.from_numpy(rng.random(rows.numel()) < USER_DROPOUT), -1, users)
            negatives = torch.multinomial(self.proposal, self.negatives, replacement=True)
            negatives, copies = self._distinct(negatives) if self.distinct else (negatives, None)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=MIXED):   # as the GRU's logits
                positive = net(users, bags, items, self._keep(rows.numel()), paired=True).float()
                negative = net(users, bags, negatives, self._keep(negatives.numel())).float()
            positive = positive - self.log_expected[items]
            negative = negative - (self.log_expected[negatives] if copies is None
                                   else self.log_expected[negatives] - torch.log(copies.float()))
            negative = negative.masked_fill(negatives[None, :] == items[:, None], float("-inf"))   # accidental hits
            logits = torch.cat([positive[:, None], negative], dim=1)
            loss = nn.functional.cross_entropy(logits, torch.zeros(rows.numel(), dtype=torch.long))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            optimizer.step()
            total, steps = total + float(loss.detach()), steps + 1
            if time.monotonic() >= deadline:
                break
        return Epoch(total / max(steps, 1), steps, self.passes / self.parts, 1.0 / self.parts)

    @staticmethod
    def _distinct(drawn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each distinct negative once and its copies, for a logit raised by log(copies): the same softmax as over
        the draws with repeats (ML-100K: 93 of 100 draws distinct; 79 on 200 items). Padded to a multiple of
        SHAPES with copies 0 (a logit of -inf): a bfloat16 matrix product of a shape not met before took about
        10 ms more than the product itself, and the count of distinct draws changes from batch to batch."""
        negatives, copies = torch.unique(drawn, return_counts=True)
        padding = -negatives.numel() % SHAPES
        return (torch.cat([negatives, negatives[:1].expand(padding)]),
                torch.cat([copies, torch.zeros(padding, dtype=copies.dtype)]))

    def _keep(self, count: int) -> torch.Tensor | None:
        return (torch.rand(count) >= ID_DROPOUT).float() if self.metadata else None


def _features(train: Interactions) -> np.ndarray:
    """(n_items, features) float32: the encoded Items columns; one zero column without them, so the metadata
    field is zero rather than absent."""
    encoded = train.items.encode() if train.items is not None else np.zeros((train.n_items, 0), np.float32)
    return encoded if encoded.shape[1] else np.zeros((train.n_items, 1), np.float32)
