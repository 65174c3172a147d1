"""The session-aware GRU of aws-user-personalization (and the legacy aws-hrnn): a GRU over each user's
time-ordered items, tied item embeddings, a per-item bias, softmax cross-entropy on the next item (sampled on
large catalogues). spec: recipes-and-models.md §2.4, §5.1, §5.12. Training is torch (its shared blocks: neural.py);
serving runs the same cell in numpy. aws-user-personalization's scores add an item-to-item term over the user's
last items (item_neighbours.py), which its state carries after the GRU's hidden vector."""

import heapq
import time
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

import numpy as np
import torch
from scipy.sparse import csr_matrix
from torch import nn

from emulator.recipes import holdout, item_neighbours, popular_now
from emulator.recipes.base import Epoch, Recommender, no_log
from emulator.recipes.data import Interactions, TestUser
from emulator.recipes import profiles
from emulator.recipes.neural import (AVERAGE_STEPS, ID_DROPOUT, MIXED, Averaged, Dropout, ItemTower, adam, as_array,
                                     grow_items, item_features, log_popularity, profile_layer, recency_weights,
                                     side_weights, use_threads)
from emulator.recipes.popular_now import PopularNow
from emulator.recipes.profiles import Profiles

DEFAULTS = {"hidden_dimension": "149", "bptt": "32", "recency_mask": "true",
            "min_user_history_length_percentile": "0.0", "max_user_history_length_percentile": "0.99"}
STATE_WINDOW = 4          # a user's state is rebuilt from their last STATE_WINDOW * bptt events (spec §2.4)
MAX_LANES = 128           # user-parallel lanes of a batch (spec §2.4) ...
MIN_LANES = 16            # ... fewer on small data, down to this, ...
ROUNDS = 64               # ... so that an epoch, one pass over the windows, makes about this many optimizer steps
                          # (small data: as many whole passes as fit in this many, at least one; rounding up
                          # made 4 passes of 32-step windows on 300 users of 33 steps, 3.4 s to ACTIVE)
LEARNING_RATE = 2e-3      # Adam's up to 16 lanes at width RATE_WIDTH, times the root of the lanes over 16 and of
RATE_WIDTH = 149          # RATE_WIDTH over the width: narrow models learned too slowly to stop on a rising NDCG
LEARNING_LOSS = 0.02      # early stopping waits while an epoch's loss falls by this share, less for narrower GRUs,
                          # whose loss falls more slowly (2 % at width 149, 0.6 % at 43; aws-hrnn's is half)
PAD = -1                  # target of a padding step
START_STEPS = 60          # Adam steps of the profile layer's refit after training (300 did no better on ML-100K) ...
START_USERS = 512         # ... each over this many training users ...
START_CELLS = 2**22       # ... fewer (down to 16) on big catalogues, so a step scores about this many user-items ...
START_L2 = 1e-3           # ... with this weight decay on its weights
FULL_SOFTMAX_ITEMS = 4096 # up to this many items a step's softmax is over the whole catalogue; above, it is sampled:
NEGATIVES = 1024          # over the target and these negatives shared by the batch, drawn ∝ count^SMOOTHING, with
SMOOTHING = 0.75          # the logQ correction (spec §2.4). The spec samples above 50,000 items; at 10,000 the full
                          # softmax was 90 % of the epoch (1M interactions: 235 s an epoch, 2 cores, load 5)
CHECK_STEPS = 250_000     # next-item steps between validations: on large data early stopping can stop mid-pass


BATCH_USERS = 512   # users stepped together when states are built in bulk
ITEM_TERM_KEYS = ("neighbours", "neighbour_weights", "recent_weights")   # the item term's arrays in `state`


class SequenceModel(nn.Module):
    """The item tower, one GRU layer over the tower's vectors, and a linear map from the state into item space.
    Input and output share the tower (tied embeddings). With Users metadata, a user's state starts from their
    profile, h0 = tanh(W·profile + b) (spec §2.4); without, from zero."""

    def __init__(self, n_items: int, width: int, item_bias: torch.Tensor, features: torch.Tensor | None = None,
                 id_dropout: float = ID_DROPOUT, profiles: csr_matrix | None = None) -> None:
        super().__init__()
        self.item_tower = ItemTower(n_items, width, item_bias, features, id_dropout)
        self.gru = nn.GRU(width, width, batch_first=True)
        self.out = nn.Linear(width, width)
        self.dropout = Dropout(0.2)
        self.profiles = profiles   # (n_users, features) encoded Users records, or None without them
        if profiles is not None:
            self.profile = profile_layer(profiles, width)
        self.mixed_gru = MIXED   # whether training runs the GRU in bfloat16 (see mixed_gru below)

    def tower(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.item_tower()

    def start(self, users: torch.Tensor) -> torch.Tensor:
        """(lanes,) user indices (-1: none) -> (lanes, width) states before any event."""
        if self.profiles is None:
            return torch.zeros(len(users), self.gru.hidden_size)
        rows = torch.from_numpy(self.profiles[users.clamp(min=0).numpy()].toarray())
        return torch.tanh(self.profile(rows))

    def encode(self, vectors: torch.Tensor, items: torch.Tensor,
               hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """items (lanes, steps) -> GRU outputs (lanes, steps, width) and the last hidden state (1, lanes, width);
        in training, computed in bfloat16 where that is faster (mixed_gru)."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.training and self.mixed_gru):
            return self.gru(self.dropout(vectors[items]), hidden)

    def query(self, outputs: torch.Tensor) -> torch.Tensor:
        """outputs (..., width) -> the vectors (..., width) that items are dotted with."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.training and MIXED):
            return self.out(self.dropout(outputs))

    def logits(self, outputs: torch.Tensor, vectors: torch.Tensor, biases: torch.Tensor) -> torch.Tensor:
        """outputs (..., width) -> logits (..., n_items); in training, computed in bfloat16 (MIXED)."""
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.training and MIXED):
            return (self.query(outputs) @ vectors.T).float() + biases

    def forward(self, items: torch.Tensor, hidden: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        vectors, biases = self.tower()
        outputs, hidden = self.encode(vectors, items, hidden)
        return self.logits(outputs, vectors, biases), hidden


def mixed_gru(width: int, lanes: int) -> bool:
    """Whether to train a GRU of this width over this many lanes in bfloat16: its casts at every time step pay only
    on large enough matrices (a window's forward and backward on 1 thread, float32 against bfloat16: width 43 x 34
    lanes 4.8 against 6.0 ms, 43 x 128 10.3 against 9.4, 64 x 34 5.4 / 6.3, 64 x 64 8.2 / 7.1, 96 x 16 5.2 / 6.1,
    128 x 16 6.9 / 5.9, 149 x 128 34 / 16: the crossing near width² x lanes = 200,000)."""
    return MIXED and width * width * lanes >= 200_000


class SessionGRU(PopularNow, Profiles, Recommender):
    recipe = "aws-user-personalization"
    DEFAULTS = DEFAULTS
    uses_metadata: ClassVar[bool] = True     # the item tower reads the Items dataset (spec §2.3)
    cold_ids_zeroed: ClassVar[bool] = False  # items unseen in training are scored by their metadata alone
    # No id dropout here, unlike spec §2.3: at width 149 it cost 8% of NDCG@10 on MovieLens-100K (4 splits)
    # and metadata gained nothing, while without it the model with Items matches the one without; this
    # recipe's new items reach lists through exploration, scored by their metadata peers.
    id_dropout: ClassVar[float] = 0.0
    # Scores add the item-to-item term of item_neighbours, weighed on a temporal validation (_fit_item_term):
    # on ML-100K NDCG@10 went from 0.084 to 0.108 on the leave-last-out split and from 0.100 to 0.118 on
    # GetSolutionMetrics' (bench_recipes --neural, 3 seeds); the legacy HRNN recipes stay pure GRUs, as the spec
    # describes them
    item_term: ClassVar[bool] = True
    learning_loss: ClassVar[float] = LEARNING_LOSS

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        torch.manual_seed(self.seed)
        use_threads(self.budget)
        rng = np.random.default_rng(self.seed)
        width, bptt = self.hyperparameter("hidden_dimension", int), self.hyperparameter("bptt", int)
        recency = self.hyperparameter("recency_mask", bool)
        self._remember_ids(train)
        for key in (*ITEM_TERM_KEYS, *popular_now.KEYS):
            self.state.pop(key, None)
        kept = train.with_history_lengths_within(self.hyperparameter("min_user_history_length_percentile", float),
                                                 self.hyperparameter("max_user_history_length_percentile", float))
        rest, choosing = holdout.choice_split(kept) if self.item_term else (kept, [])
        fit_part, validation = holdout.split(rest)
        windows = Windows(fit_part, bptt, recency_weights(fit_part) if recency else None)
        model = SequenceModel(train.n_items, width, log_popularity(fit_part, recent_only=recency),
                              self._features(train), self.id_dropout,
                              self.learn_profiles(train) if self.uses_metadata else None)
        unseen = np.bincount(fit_part.item_index, minlength=train.n_items) == 0 if self.cold_ids_zeroed else None
        model.mixed_gru = mixed_gru(width, windows.lanes)
        rate = LEARNING_RATE * np.sqrt(max(windows.lanes, 16) / 16 * RATE_WIDTH / width)
        optimizer = adam(model.parameters(), rate)
        average = Averaged(model, optimizer, AVERAGE_STEPS)
        # Stopped on the hold-out's NDCG@25 of the GRU alone (spec §2.4), not with the item term: stopping on that
        # took 40 % more epochs on ML-100K for +0.002 NDCG@10 on the leave-last-out split
        self._train_epochs(lambda deadline: windows.epoch(model, optimizer, rng, deadline),
                           lambda: average.export(lambda: self._export(model, unseen)),
                           lambda: validation.ndcg(self._hold_out_scores), log,
                           learning_loss=self.learning_loss * width / RATE_WIDTH)
        if self.halted:   # an HPO trial that successive halving dropped: a fifth of an ML-100K trial saved
            return
        self._refit_start(rest, rng)
        if self.item_term:
            self._fit_item_term(rest, kept, choosing)
            self._fit_popular_now(kept, choosing)

    def _hold_out_scores(self, tests: list[TestUser]) -> np.ndarray:
        """(len(tests), n_items) the GRU's logits after each user's history, from its last STATE_WINDOW * bptt
        events as build_user_states serves them."""
        window = STATE_WINDOW * self.hyperparameter("bptt", int)
        states = self.states_after([test.history[-window:] for test in tests], [test.user for test in tests])
        return self._logits(np.stack(states)[:, :self.width])

    def _fit_item_term(self, rest: Interactions, kept: Interactions, choosing: list) -> None:
        """The item term on the training users' histories, its weight and decay chosen on the temporal validation
        of the users held out whole (item_neighbours.TemporalValidation); none when the GRU alone does best."""
        sequences = kept.sequences()
        users = np.array([test.user for test in choosing], dtype=np.int64)
        histories = [sequences[user] for user in users.tolist()]
        check = item_neighbours.TemporalValidation(item_neighbours.fit(rest), histories,
                                                   STATE_WINDOW * self.hyperparameter("bptt", int),
                                                   np.random.default_rng(holdout.SEED + 2))
        if not len(check):
            return
        _, weight, decay = check.best(self._logits_at(check, histories, users))
        if weight > 0:
            self.state.update(neighbours=check.neighbours, neighbour_weights=check.values,
                              recent_weights=weight * item_neighbours.slot_decays(decay))

    def _fit_popular_now(self, kept: Interactions, choosing: list) -> None:
        """The popular-now term, chosen on popular_now.Targets scored by the GRU and the item term."""
        targets = popular_now.Targets.of(kept, [test.user for test in choosing],
                                         STATE_WINDOW * self.hyperparameter("bptt", int), holdout.SEED + 3)
        if not len(targets):
            return
        scores = self._logits(self._hidden_at(targets.histories, targets.owners, targets.which, targets.ends))
        if self._slots:
            scores += item_neighbours.votes(self.state["neighbours"], self.state["neighbour_weights"],
                                            item_neighbours.recent_slots(targets.prefixes(), self._slots),
                                            self.state["recent_weights"])
        self._fit_popular(targets, scores, kept)

    def _logits_at(self, check: item_neighbours.TemporalValidation, sequences: list[np.ndarray],
                   users: np.ndarray) -> np.ndarray:
        """(targets, n_items) float32 the GRU's logits before each of the temporal validation's targets."""
        return self._logits(self._hidden_at(sequences, users, check.sequence, check.end))

    def _logits(self, hidden: np.ndarray) -> np.ndarray:
        """(rows, n_items) float32 the GRU's logits of hidden vectors."""
        query = hidden @ self.state["out_weight"].T + self.state["out_bias"]
        return (query @ self.state["item_embeddings"].T + self.state["item_bias"]).astype(np.float32)

    def _hidden_at(self, sequences: list[np.ndarray], users: np.ndarray, which: np.ndarray,
                   ends: np.ndarray) -> np.ndarray:
        """(len(which), width) the hidden vector after sequences[which[k]][:ends[k]], from the user's first event:
        one pass over each sequence, its lanes longest first so that a step's active lanes are the first ones."""
        needed = np.zeros(len(sequences), dtype=np.int64)
        np.maximum.at(needed, which, ends)
        order = np.argsort(-needed, kind="stable")
        lengths = needed[order]
        lane_of = np.empty(len(sequences), dtype=np.int64)
        lane_of[order] = np.arange(len(order))
        steps = int(lengths.max(initial=0))
        items = np.zeros((len(order), steps), dtype=np.int64)
        for lane, number in enumerate(order.tolist()):
            items[lane, :lengths[lane]] = sequences[number][:lengths[lane]]
        hidden = self._starts(users[order])
        distinct, position = np.unique(items, return_inverse=True)
        inputs, position = self._project(distinct), position.reshape(items.shape)
        found = np.zeros((len(which), hidden.shape[1]), dtype=np.float32)
        by_step = np.argsort(ends, kind="stable")
        bounds = np.searchsorted(ends[by_step] - 1, np.arange(steps + 1))
        active = len(lengths) - np.searchsorted(lengths[::-1], np.arange(steps), side="right")
        for step, count in enumerate(active.tolist()):
            hidden[:count] = self._cell(hidden[:count], inputs[position[:count, step]])
            chosen = by_step[bounds[step]:bounds[step + 1]]
            found[chosen] = hidden[lane_of[which[chosen]]]
        return found

    def _refit_start(self, train: Interactions, rng: np.random.Generator) -> None:
        """With a profile layer, fit h0 = tanh(W·profile + b) again, the rest of the trained model fixed, to each
        training user's distinct items. The joint training gives h0 one event's weight per user, too little to
        learn what a profile says: on ML-100K's held-out users served from their Users record alone, NDCG@10 over
        4 splits went from 0.373 to 0.398 (user-personalization) and from 0.378 to 0.394 (hrnn-metadata)."""
        users = np.unique(train.user_index)
        if not self.reads_profiles or self._profiles is None or users.size == 0:
            return
        bags = csr_matrix((np.ones(train.n_interactions, dtype=np.float32), (train.user_index, train.item_index)),
                          shape=(train.n_users, train.n_items))
        bags.data[:] = 1.0   # repeats summed into one entry: each distinct item counts once
        bags = csr_matrix(bags.multiply(1.0 / np.maximum(bags.sum(axis=1), 1.0)))   # each row sums to 1
        items, item_bias, out_weight, out_bias = (torch.from_numpy(self.state[key]) for key in
                                                  ("item_embeddings", "item_bias", "out_weight", "out_bias"))
        weight = torch.tensor(self.state[profiles.WEIGHT], requires_grad=True)
        bias = torch.tensor(self.state[profiles.BIAS], requires_grad=True)
        optimizer = torch.optim.Adam([weight, bias], lr=1e-2)
        batch = min(int(np.clip(START_CELLS // max(train.n_items, 1), 16, START_USERS)), users.size)
        for _ in range(START_STEPS):
            chosen = rng.choice(users, size=batch, replace=False)
            # users of one profile share h0: each distinct profile scored once, against its users' bags summed
            # (ML-100K with a two-valued Users column: 60 steps in 0.1 s instead of 0.7 s)
            distinct, group = np.unique(self._profiles[chosen].toarray().astype(np.float32), axis=0,
                                        return_inverse=True)
            start = torch.tanh(torch.from_numpy(distinct) @ weight.T + bias)
            chances = torch.log_softmax((start @ out_weight.T + out_bias) @ items.T + item_bias, dim=1)
            members = csr_matrix((np.ones(batch, dtype=np.float32), (group.reshape(-1), np.arange(batch))),
                                 shape=(len(distinct), batch))
            taken = (members @ bags[chosen]).tocoo()
            likelihood = (chances[torch.from_numpy(taken.row), torch.from_numpy(taken.col)]
                          * torch.from_numpy(taken.data)).sum() / len(chosen)
            loss = START_L2 * (weight ** 2).sum() - likelihood
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        self.state[profiles.WEIGHT], self.state[profiles.BIAS] = as_array(weight), as_array(bias)

    def build_user_states(self, full: Interactions) -> None:
        """Every user's state after their last STATE_WINDOW * bptt events; a user of the Users dataset without
        events keeps the state their profile gives."""
        window = STATE_WINDOW * self.hyperparameter("bptt", int)
        self.encode_profiles(full)
        if self._clock:   # the popular-now term counts every training event
            self._count(full)
        users, rows = full.user_rows()
        states = np.concatenate([self._starts(np.arange(full.n_users)),
                                 np.zeros((full.n_users, self._slots), np.float32),
                                 np.full((full.n_users, self._clock), np.nan, np.float32)], axis=1)
        if len(rows):
            states[users] = np.stack(self.states_after([full.item_index[row[-window:]] for row in rows], users))
            if self._clock:
                states[users, -1] = self._days(np.array([full.timestamp[row[-1]] for row in rows], float))
        self.state["user_states"] = states

    def states_after(self, histories: list[np.ndarray], users: Sequence[int] | None = None) -> list[np.ndarray]:
        """The state of each user (index, or none) after a history: users of similar length stepped together in
        numpy, each step only over the users whose history reaches it."""
        order = np.argsort([len(history) for history in histories], kind="stable")
        users = np.full(len(histories), -1) if users is None else np.asarray(users)
        found: list[np.ndarray | None] = [None] * len(histories)
        for start in range(0, len(order), BATCH_USERS):
            lanes = order[start:start + BATCH_USERS]   # shortest history first
            lengths = np.array([len(histories[lane]) for lane in lanes])
            steps = int(lengths.max(initial=0))
            items = np.zeros((len(lanes), steps), dtype=np.int64)
            for row, lane in enumerate(lanes):   # right-aligned, so every history ends at the last step
                items[row, steps - lengths[row]:] = histories[lane]
            hidden = self._starts(users[lanes])
            distinct, position = np.unique(items, return_inverse=True)
            inputs = self._project(distinct)   # each distinct item projected once
            position = position.reshape(items.shape)
            # the lanes a step reaches are the last ones (lengths ascend): slices, not copies
            first_active = np.searchsorted(lengths, steps - np.arange(steps))
            for step, active in enumerate(first_active.tolist()):
                hidden[active:] = self._cell(hidden[active:], inputs[position[active:, step]])
            recent = item_neighbours.recent_slots([histories[lane] for lane in lanes], self._slots)
            unknown = np.full(self._clock, np.nan, dtype=np.float32)   # a history without times: when, unknown
            for row, lane in enumerate(lanes):
                found[lane] = np.concatenate([hidden[row], recent[row], unknown])
        return found

    def update(self, full: Interactions) -> None:
        """New items join the catalogue with the mean embedding and bias of the known items (the prior of an item
        the model has not learned) and without neighbours in the item term, then every user's state is rebuilt
        from the whole history. spec: personalize-behavior.md §3.10 (trainingMode UPDATE)"""
        if "neighbours" in self.state:
            known = {item: index for index, item in enumerate(self.item_ids.tolist())}
            old = np.array([known.get(item, -1) for item in full.item_ids.tolist()], dtype=np.int64)
            self.state["neighbours"], self.state["neighbour_weights"] = item_neighbours.grow(
                self.state["neighbours"], self.state["neighbour_weights"], old)
        grow_items(self, full)
        self.build_user_states(full)

    @property
    def width(self) -> int:
        return self.state["weight_hh"].shape[1]

    @property
    def _slots(self) -> int:
        """How many recent items a state carries after the GRU's hidden vector (0 without the item term)."""
        weights = self.state.get("recent_weights")
        return 0 if weights is None else len(weights)

    def _days(self, timestamps: np.ndarray) -> np.ndarray:
        """The state's clock (its last entry, with the popular-now term): days since the training data's end."""
        return ((timestamps - self.state["popular_choice"][0]) / popular_now.DAY).astype(np.float32)

    def initial_state(self, user: int | None) -> np.ndarray:
        states = self.state.get("user_states")
        if user is not None and states is not None and 0 <= user < len(states):
            return states[user].copy()
        return self.new_user_state(None)

    def new_user_state(self, profile: Mapping[str, object] | None) -> np.ndarray:
        """spec §2.7: a user the model never saw starts from their Users record through the profile layer, or,
        without one, from the state of a user without a record (zero when the model has no profile layer)."""
        hidden = self.record_vector(profile) if self.reads_profiles else np.zeros(self.width, dtype=np.float32)
        return np.concatenate([hidden, np.zeros(self._slots, dtype=np.float32),
                               np.full(self._clock, np.nan, dtype=np.float32)])

    def advance(self, state: np.ndarray, item: int) -> np.ndarray:
        """The GRU's step on the hidden vector (state[:width]); the recent items (the next _slots, each index + 1,
        0 for none, newest last) shift by one; the clock stays."""
        width, slots = self.width, self._slots
        hidden = self._step(state[None, :width], np.array([item]))[0]
        return np.concatenate([hidden, state[width + 1:width + slots], np.float32([item + 1])[:slots],
                               state[width + slots:]])

    def seen(self, state: np.ndarray, timestamp: float) -> np.ndarray:
        if not self._clock:
            return state
        state = state.copy()
        state[-1] = np.fmax(state[-1], self._days(np.float64(timestamp)))
        return state

    def item_scores(self, state: np.ndarray, now: float | None = None) -> np.ndarray:
        """The GRU's logits, plus the item term and the popular-now term where the model has them; `now`: the
        request's time (None: the training data's end, or the user's newest event if later)."""
        scores = self.sequence_scores(state)
        if self._slots:
            scores += self.neighbour_votes(state)
        if self._clock:
            scores = self._popular(scores, float(state[-1]) * popular_now.DAY + self.state["popular_choice"][0], now)
        return scores

    def sequence_scores(self, state: np.ndarray) -> np.ndarray:
        """(n_items,) float64 the GRU's logits from the state's hidden vector."""
        query = self.state["out_weight"] @ state[:self.width] + self.state["out_bias"]
        return (self.state["item_embeddings"] @ query + self.state["item_bias"]).astype(np.float64)

    def neighbour_votes(self, state: np.ndarray) -> np.ndarray:
        """(n_items,) float64 the item term: the state's recent items voting for their neighbours, already
        weighed against the GRU's logits (zero without the item term)."""
        if not self._slots:
            return np.zeros(len(self.state["item_bias"]))
        return item_neighbours.votes(self.state["neighbours"], self.state["neighbour_weights"],
                                     state[None, self.width:self.width + self._slots],
                                     self.state["recent_weights"])[0]

    def _step(self, hidden: np.ndarray, items: np.ndarray) -> np.ndarray:
        return self._cell(hidden, self._project(items))

    def _project(self, items: np.ndarray) -> np.ndarray:
        """(len(items), 3 * width) the GRU's input part, W_i x + b_i, of each item."""
        return self.state["item_embeddings"][items] @ self.state["weight_ih"].T + self.state["bias_ih"]

    def _cell(self, hidden: np.ndarray, x: np.ndarray) -> np.ndarray:
        """torch's GRU cell on (batch, width) states and their projected inputs x: gates in its order (reset,
        update, new) and its formula, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h."""
        s, width = self.state, hidden.shape[1]
        h = hidden @ s["weight_hh"].T + s["bias_hh"]
        reset = _sigmoid(x[:, :width] + h[:, :width])
        update = _sigmoid(x[:, width:2 * width] + h[:, width:2 * width])
        new = np.tanh(x[:, 2 * width:] + reset * h[:, 2 * width:])
        return ((1.0 - update) * new + update * hidden).astype(np.float32)

    def _starts(self, users: np.ndarray) -> np.ndarray:
        """(len(users), width) the states before any event of these user indices (-1: a user without a record)."""
        return self.profile_vectors(users) if self.reads_profiles else np.zeros((len(users), self.width), np.float32)

    def _features(self, train: Interactions) -> torch.Tensor | None:
        return item_features(self, train) if self.uses_metadata else None

    def _export(self, model: SequenceModel, unseen: np.ndarray | None) -> None:
        """The weights serving needs, the item tower folded into one vector and bias per item."""
        model.eval()
        vectors, biases = model.item_tower.folded(unseen)
        self.state.update(side_weights(model))
        self.state.update(item_embeddings=vectors, item_bias=biases,
                          weight_ih=as_array(model.gru.weight_ih_l0), weight_hh=as_array(model.gru.weight_hh_l0),
                          bias_ih=as_array(model.gru.bias_ih_l0), bias_hh=as_array(model.gru.bias_hh_l0),
                          out_weight=as_array(model.out.weight), out_bias=as_array(model.out.bias))


class HierarchicalRNN(SessionGRU):
    """The legacy aws-hrnn: the same model without metadata and without the item term, narrower by default.
    spec §5.12"""
    recipe = "aws-hrnn"
    uses_metadata = False
    item_term = False
    # half: at width 43 its loss fell by 0.5-0.7 % an epoch while validation still rose, and where training stopped
    # on that border moved from seed to seed (ML-100K GetSolutionMetrics split, 5 seeds: NDCG@10 spread 5.8 -> 4.5 %)
    learning_loss = LEARNING_LOSS / 2
    DEFAULTS: ClassVar[dict[str, str]] = {**DEFAULTS, "hidden_dimension": "43"}


class HierarchicalRNNMetadata(HierarchicalRNN):
    """The legacy aws-hrnn-metadata: aws-hrnn with the item tower over the Items metadata (its Interactions
    context columns reach serving as context lifts). spec §5.13"""
    recipe = "aws-hrnn-metadata"
    uses_metadata = True
    id_dropout = ID_DROPOUT
    # the whole share: halved, its seed spread was no smaller (3.2 / 4.2 % against 3.4 / 2.2 %), and ML-100K took
    # 12.5 s to ACTIVE against 9.4 s (aws-hrnn-coldstart 19.1 s against 7.5 s, 20 s the target)
    learning_loss = LEARNING_LOSS


class HierarchicalRNNColdstart(HierarchicalRNNMetadata):
    """The legacy aws-hrnn-coldstart: aws-hrnn-metadata whose items unseen in training are scored by their
    metadata alone; cold items also enter lists through exploration. spec §5.14"""
    recipe = "aws-hrnn-coldstart"
    cold_ids_zeroed = True


class Windows:
    """The training users' next-item steps cut into windows of bptt steps, built once as tensors; each epoch
    deals users out to parallel lanes (GRU4Rec's user-parallel mini-batches, spec §2.4)."""

    def __init__(self, data: Interactions, bptt: int, weigh: Callable[[np.ndarray], np.ndarray] | None) -> None:
        order = np.argsort(data.user_index, kind="stable")   # by user, time order kept within each
        users = data.user_index[order]
        last = np.r_[users[1:] != users[:-1], True]           # each user's last event predicts nothing
        first = np.r_[True, users[1:] != users[:-1]]
        step = np.flatnonzero(~last)
        start = np.maximum.accumulate(np.where(first, np.arange(users.size), 0))
        position = step - start[step]                         # step number within its user
        lengths = np.bincount(users[step], minlength=data.n_users)
        lengths = lengths[lengths > 0]
        windows_per_user = -(-lengths // bptt)
        self.first_window = np.r_[0, np.cumsum(windows_per_user)[:-1]]
        self.windows_per_user, self.steps_per_user = windows_per_user, lengths
        self.users = torch.from_numpy(np.r_[np.repeat(np.unique(users[step]), windows_per_user), -1])   # -1: blank
        total = int(windows_per_user.sum())
        user_number = np.cumsum(first)[step] - 1
        user_number = np.unique(user_number, return_inverse=True)[1]   # among users that have steps
        slot = (self.first_window[user_number] + position // bptt) * bptt + position % bptt
        inputs = np.zeros((total + 1) * bptt, dtype=np.int64)   # one extra blank window for idle lanes
        targets = np.full((total + 1) * bptt, PAD, dtype=np.int64)
        weights = np.zeros((total + 1) * bptt, dtype=np.float32)
        inputs[slot], targets[slot] = data.item_index[order[step]], data.item_index[order[step + 1]]
        weights[slot] = weigh(data.timestamp[order[step + 1]]) if weigh else 1.0
        self.inputs, self.targets, self.weights = (torch.from_numpy(a.reshape(total + 1, bptt))
                                                   for a in (inputs, targets, weights))
        first = np.zeros(total + 1, dtype=bool)
        first[self.first_window] = True
        self.first = torch.from_numpy(first)   # windows that open a user's history
        self.blank = total
        self.lanes = int(np.clip(total // ROUNDS, MIN_LANES, MAX_LANES))
        self.passes = max(1, ROUNDS * self.lanes // max(total, 1))   # a schedule's: several on small data
        self.softmax = Softmax(np.bincount(targets[targets != PAD], minlength=data.n_items))
        self._order, self._round = np.zeros(0, dtype=np.int64), 0   # no schedule yet

    def schedule(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(rounds, lanes) window numbers and reset flags for `passes` passes: users longest first (ties in random
        order), each taking the lane that frees first, so that lanes end together rather than idle behind one long
        history, and so that the last rounds hold windows of about one length, which the GRU runs only as far as
        their longest (1M synthetic interactions: 86 % of the steps it runs are real, against 49 % with the short
        histories in random order); a lane's state is zeroed when a new user takes it."""
        users = len(self.windows_per_user)
        order = np.concatenate([np.lexsort((rng.permutation(users), -self.steps_per_user))
                                for _ in range(self.passes)])
        free = [(0, lane) for lane in range(self.lanes)]
        placed = []
        for user in order.tolist():
            begin, lane = heapq.heappop(free)
            placed.append((begin, lane, user))
            heapq.heappush(free, (begin + int(self.windows_per_user[user]), lane))
        rounds = max(end for end, _ in free)
        windows = np.full((rounds, self.lanes), self.blank, dtype=np.int64)
        reset = np.ones((rounds, self.lanes), dtype=bool)
        for begin, lane, user in placed:
            count = int(self.windows_per_user[user])
            windows[begin:begin + count, lane] = self.first_window[user] + np.arange(count)
            reset[begin + 1:begin + count, lane] = False
        return windows, reset

    def epoch(self, model: SequenceModel, optimizer: torch.optim.Optimizer, rng: np.random.Generator,
              deadline: float) -> Epoch:
        """The next CHECK_STEPS next-item steps of the schedule (all of it on small data; a new schedule once one is
        done), one optimizer step per round of windows; stops early at the deadline. Its loss is the mean weighted
        cross-entropy."""
        model.train()
        if self._round >= len(self._order):
            self._start_schedule(rng, model.gru.hidden_size)
        first, end = self._round, next(end for end in self._ends if end >= self._round) + 1
        total, mass, steps = 0.0, 0.0, 0
        for number in self._order[first:end].tolist():
            self._round += 1
            chosen, fresh = self._windows[number], self._reset[number]
            start = model.start(self.users[chosen])   # a lane's new user starts from h0 (their profile, or 0)
            hidden = self._hidden * (~fresh).float()[None, :, None] + start[None] * fresh.float()[None, :, None]
            found = self._step(model, optimizer, chosen, start, hidden)
            if found is None:
                continue
            hidden, loss_sum, loss_mass = found
            if not self._alone[number]:
                self._hidden = hidden
            total, mass, steps = total + loss_sum, mass + loss_mass, steps + 1
            if time.monotonic() >= deadline:
                break
        share = (self._round - first) / len(self._order)
        return Epoch(total / max(mass, 1e-6), steps, self.passes * share, share)

    def _start_schedule(self, rng: np.random.Generator, width: int) -> None:
        """A new schedule, run in an order where the rounds that neither take nor pass on a lane's state (every lane
        a new user, whose history ends in the round: the short histories that close the schedule) are spread at
        random among the others: each stretch of CHECK_STEPS steps then sees every kind of history."""
        windows, reset = self.schedule(rng)
        self._windows, self._reset = torch.from_numpy(windows), torch.from_numpy(reset)
        self._alone = reset.all(axis=1) & np.r_[reset[1:].all(axis=1), True]
        kinds = rng.permutation(self._alone)
        self._order = np.empty(len(windows), dtype=np.int64)
        self._order[~kinds] = np.flatnonzero(~self._alone)
        self._order[kinds] = rng.permutation(np.flatnonzero(self._alone))
        steps_done = (self.targets[self._windows[self._order]] != PAD).sum(dim=(1, 2)).cumsum(0)
        # rounds at which a check ends: after every CHECK_STEPS steps, and at the schedule's end
        checks = torch.arange(1, int(steps_done[-1]) // CHECK_STEPS + 1) * CHECK_STEPS
        self._ends = [*torch.searchsorted(steps_done, checks).tolist(), len(windows) - 1]
        self._round, self._hidden = 0, torch.zeros(1, self.lanes, width)

    def _step(self, model: SequenceModel, optimizer: torch.optim.Optimizer, chosen: torch.Tensor,
              start: torch.Tensor, hidden: torch.Tensor) -> tuple[torch.Tensor, float, float] | None:
        """One optimizer step on a round of windows (lanes,), from states `hidden` (1, lanes, width); the states
        after it, the loss's weighted sum and its weight (None for a round without steps)."""
        targets, weights = self.targets[chosen], self.weights[chosen]
        valid = targets != PAD
        if not valid.any():
            return None
        # windows fill from their first step: the GRU runs as far as the round's longest (a lane whose window ends
        # sooner holds a user's last window, so its state after the padding is never used)
        length = int(valid.sum(dim=1).max())
        targets, weights, valid = targets[:, :length], weights[:, :length], valid[:, :length]
        vectors, biases = model.tower()
        outputs, hidden = model.encode(vectors, self.inputs[chosen][:, :length], hidden)
        chances = self.softmax.log_chances(model.query(outputs[valid]), targets[valid][:, None], vectors, biases)
        loss_sum, loss_mass = -(chances[:, 0] * weights[valid]).sum(), weights[valid].sum()
        # h0 is what a user without history is served from: it learns to predict the items of the user's first
        # window, as one event's worth of weight per user
        opening = self.first[chosen]
        if opening.any():
            chances = self.softmax.log_chances(model.query(start[opening]), targets[opening].clamp(min=0), vectors,
                                               biases)
            share = weights[opening] * valid[opening] / valid[opening].sum(dim=1, keepdim=True).clamp(min=1)
            loss_sum = loss_sum - (chances * share).sum()
            loss_mass = loss_mass + share.sum()
        loss = loss_sum / loss_mass.clamp(min=1e-6)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        return hidden.detach(), float(loss_sum.detach()), float(loss_mass)   # detached: truncated BPTT


class Softmax:
    """The log-probability of target items under the model's softmax over the catalogue: exact up to
    FULL_SOFTMAX_ITEMS items; above, sampled (spec §2.4): the target against NEGATIVES items shared by the batch,
    drawn ∝ count^SMOOTHING, every logit less the log of its expected count among the draws (logQ correction)."""

    def __init__(self, counts: np.ndarray) -> None:
        """counts (n_items,): how often each item is a target."""
        self.sampled = counts.size > FULL_SOFTMAX_ITEMS
        proposal = counts.astype(np.float64) ** SMOOTHING
        self.proposal = torch.from_numpy(proposal / max(proposal.sum(), 1e-12)).float()
        self.log_expected = torch.log(self.proposal * NEGATIVES).clamp(min=-80.0)

    def log_chances(self, query: torch.Tensor, targets: torch.Tensor, vectors: torch.Tensor,
                    biases: torch.Tensor) -> torch.Tensor:
        """query (rows, width), targets (rows, t) item indices -> (rows, t) log-probabilities; the logits in
        bfloat16 (MIXED)."""
        if not self.sampled:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=MIXED):
                logits = (query @ vectors.T).float() + biases
            return torch.log_softmax(logits, dim=1).gather(1, targets)
        negatives = torch.multinomial(self.proposal, NEGATIVES, replacement=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=MIXED):
            negative = (query @ vectors[negatives].T).float()
        negative = negative + (biases[negatives] - self.log_expected[negatives])
        positive = (query.float()[:, None, :] * vectors[targets]).sum(dim=-1) + biases[targets]
        positive = positive - self.log_expected[targets]
        # a negative that is the row's target is no negative ("accidental hit"); rows of several targets (h0's, of
        # one event's weight per user) keep them, rather than a (rows, targets, negatives) mask
        if targets.shape[1] == 1:
            negative = negative.masked_fill(negatives[None, :] == targets, float("-inf"))
        return positive - torch.logaddexp(positive, torch.logsumexp(negative, dim=1, keepdim=True))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


