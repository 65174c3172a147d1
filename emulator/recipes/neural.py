"""The torch building blocks the neural recipes share (the session GRU, the transformer, DeepFM and FFNN, the
segment models): the item tower, dropout and Adam as fast on CPU as we found them, bfloat16 where the CPU has
it, the thread budget, item features and growing a trained model's catalogue, popularity and recency priors."""

from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch
from scipy.sparse import csr_matrix
from threadpoolctl import threadpool_limits
from torch import nn

from emulator.recipes import profiles
from emulator.recipes.base import Recommender, TrainingBudget
from emulator.recipes.data import Encoding, Interactions

AVERAGE_STEPS = 64        # optimizer steps the served weights are averaged over at least (Averaged): about an epoch
                          # on small and ML-100K-size data, where a GRU's or v2's epoch makes about 64 steps ...
WARM = 3.0                # ... and early on over about the last 1 / WARM of the steps so far (Averaged)
ID_DROPOUT = 0.15         # share of the items whose id embedding is dropped at each training step (spec §2.3)
T = TypeVar("T")


def _has_bfloat16() -> bool:
    try:   # a private helper of torch's: a CPU without native bfloat16 emulates it, slower than float32
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


# Training runs the GRU and the item logits in bfloat16 where the CPU has it: 1.4x the events per second on
# ML-100K, the same loss; weights, optimizer and serving stay float32.
MIXED = _has_bfloat16()


class ItemTower(nn.Module):
    """spec §2.3: each item's vector is an id embedding plus, with Items metadata, a linear map of the item's
    encoded metadata; the id part dropped for a share `id_dropout` of the items at each training step so that
    the metadata part learns to stand in for it. Each item also has a bias (the id part starts at
    log-popularity; with metadata, a metadata part too)."""

    def __init__(self, n_items: int, width: int, item_bias: torch.Tensor, features: torch.Tensor | None = None,
                 id_dropout: float = ID_DROPOUT) -> None:
        super().__init__()
        self.id_dropout = id_dropout
        self.items = nn.Embedding(n_items, width)
        nn.init.normal_(self.items.weight, std=0.05)
        self.features = features   # sparse (n_items, features), or None without metadata
        if features is None:
            self.bias = nn.Parameter(item_bias.clone())
            return
        self.meta = nn.Linear(features.shape[1], width, bias=False)
        nn.init.normal_(self.meta.weight, std=0.05)
        self.meta_bias = nn.Linear(features.shape[1], 1)   # what an item's metadata says of its popularity
        nn.init.zeros_(self.meta_bias.weight)
        nn.init.constant_(self.meta_bias.bias, float(item_bias.mean()))
        self.bias = nn.Parameter(item_bias - item_bias.mean())

    def forward(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(n_items, width) item vectors and (n_items,) biases; in training, ids dropped for a share of items."""
        if self.features is None:
            return self.items.weight, self.bias
        keep = torch.ones(len(self.bias), 1)
        if self.training and self.id_dropout:
            keep = (torch.rand(len(self.bias), 1) >= self.id_dropout).float()
        # one sparse product for the metadata's vector and bias parts: 2.2 against 3.5 ms as two on ML-100K's items
        meta = torch.sparse.mm(self.features, torch.cat([self.meta.weight, self.meta_bias.weight]).T)
        vectors = self.items.weight * keep + meta[:, :-1]
        biases = self.bias * keep[:, 0] + meta[:, -1]
        return vectors, biases + self.meta_bias.bias

    def folded(self, unseen: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The vectors and biases serving uses, in eval mode; `unseen` items (aws-hrnn-coldstart's cold items)
        keep only their metadata part, or, without metadata, become a typical item."""
        with torch.no_grad():
            vectors, biases = self()
            if unseen is not None and self.features is not None:
                gone = torch.from_numpy(unseen)
                vectors = vectors - self.items.weight * gone[:, None].float()
                biases = biases - self.bias * gone.float()
            elif unseen is not None and not unseen.all():
                gone = torch.from_numpy(unseen)
                vectors = vectors * (~gone)[:, None].float()
                biases = torch.where(gone, biases[~gone].mean(), biases)
        return as_array(vectors), as_array(biases)

    def metadata_part(self) -> dict[str, np.ndarray]:
        """The weights that place an item by its encoded metadata alone (none without metadata)."""
        if self.features is None:
            return {}
        return {"meta_weight": as_array(self.meta.weight), "meta_bias_weight": as_array(self.meta_bias.weight[0]),
                "meta_bias_bias": as_array(self.meta_bias.bias)}


class Dropout(nn.Module):
    """nn.Dropout with its mask drawn by torch.rand: the bernoulli_ that nn.Dropout draws with took twice as long
    forward and backward on CPU (4.0 against 2.1 ms for 4096 x 149), 8 % of an epoch on 1M interactions."""

    def __init__(self, share: float) -> None:
        super().__init__()
        self.share = share

    def forward(self, values: torch.Tensor) -> torch.Tensor:
        if not self.training or self.share <= 0.0:
            return values
        return values * dropout_mask(values.shape, self.share, values.dtype)


def dropout_mask(shape: tuple[int, ...], share: float, dtype: torch.dtype) -> torch.Tensor:
    """A dropout mask: 0 for a share of the cells, 1 / (1 - share) for the others, in `dtype`."""
    return ((torch.rand(shape) >= share) * (1.0 / (1.0 - share))).to(dtype)


def adam(parameters, rate: float) -> torch.optim.Adam:
    """Adam in torch's fused CPU kernel: the default loop over tensors took 7.0 against 0.7 ms a step on the GRU of
    10,000 items (0.58 against 0.14 ms on the transformer of ML-100K)."""
    return torch.optim.Adam(parameters, lr=rate, fused=True)


class Averaged:
    """An exponential moving average of a module's parameters, updated after every step of an optimizer (Polyak
    averaging), each step weighing max(WARM / (steps + WARM), 1 / horizon): early on the average's mean age is about
    a third of the steps, so that it does not lag a model that still learns fast (TensorFlow's
    ExponentialMovingAverage with num_updates, whose 9 makes it a tenth: an ML-100K training of v2 or DeepFM, 400-odd
    steps, ended averaging over 40-odd), later `horizon` steps. Weights after the last step carry that step's
    noise: on ML-100K held-out NDCG@10 moved by 10-20 % from one epoch to the next, and validation, the stop and the
    kept epoch moved with it. Validated and served averaged, the GRUs learned more before validation stopped them
    (aws-hrnn's NDCG@10 0.078 -> 0.093 on the GetSolutionMetrics split, 0.080 -> 0.085 leave-last-out; 5 seeds)."""

    def __init__(self, module: nn.Module, optimizer: torch.optim.Optimizer, horizon: float) -> None:
        self.parameters = [parameter for parameter in module.parameters() if parameter.requires_grad]
        self.average = [parameter.detach().clone() for parameter in self.parameters]
        self.horizon, self.steps = max(horizon, 1.0), 0
        optimizer.register_step_post_hook(lambda *_: self._update())

    def _update(self) -> None:
        self.steps += 1
        with torch.no_grad():
            torch._foreach_lerp_(self.average, [p.detach() for p in self.parameters],
                                 max(WARM / (self.steps + WARM), 1.0 / self.horizon))

    def export(self, export: Callable[[], T]) -> T:
        """export() with the averaged weights in the module (what it returns); its own weights back after."""
        with torch.no_grad():
            own = [parameter.detach().clone() for parameter in self.parameters]
            torch._foreach_copy_(self.parameters, self.average)
            found = export()
            torch._foreach_copy_(self.parameters, own)
        return found


def use_threads(budget: TrainingBudget) -> None:
    """The training's threads for torch and for numpy's BLAS (validation, user states): OpenBLAS spinning on a
    second, busy core made ML-100K's user states 3.5x slower in CPU time."""
    torch.set_num_threads(budget.threads)
    threadpool_limits(budget.threads, user_api="blas")


def profile_layer(encoded: csr_matrix, width: int) -> nn.Linear:
    """The layer from encoded Users records to the model's width (spec §2.4's profile tower)."""
    layer = nn.Linear(encoded.shape[1], width)
    nn.init.normal_(layer.weight, std=0.05)
    nn.init.zeros_(layer.bias)
    return layer


def side_weights(model: nn.Module) -> dict[str, np.ndarray]:
    """What serving needs of a sequence model besides its own layers: the item tower's metadata part (for items
    that arrive later) and the profile layer, where the model has them."""
    found = model.item_tower.metadata_part()
    if model.profiles is not None:
        found.update({profiles.WEIGHT: as_array(model.profile.weight), profiles.BIAS: as_array(model.profile.bias)})
    return found


def item_features(model: Recommender, train: Interactions) -> torch.Tensor | None:
    """The encoded Items metadata as a sparse (n_items, features) tensor, its encoding kept in the model's state
    for items that arrive later; None when there is none (spec §2.2)."""
    model.state.pop("item_encoding", None)
    if train.items is None:
        return None
    encoding = Encoding.learn(train.items)
    encoded = train.items.encode(encoding)
    if not encoded.any():
        return None
    model.state["item_encoding"] = np.str_(encoding.to_json())
    return torch.from_numpy(encoded).to_sparse()


def grow_items(model: Recommender, full: Interactions) -> None:
    """The model's item tower over full's items: items it knows keep their vector and bias; new ones get their
    metadata part (spec §2.6: E_id = 0 for items unseen in training) when the tower has one and they have an
    Items record, else the mean of the known ones; the id maps become full's."""
    known = {item: index for index, item in enumerate(model.item_ids.tolist())}
    old = np.array([known.get(item, -1) for item in full.item_ids.tolist()], dtype=np.int64)
    grown = {}
    for key in ("item_embeddings", "item_bias"):
        values = model.state[key]
        grown[key] = np.repeat(values.mean(axis=0, keepdims=True), len(old), axis=0)
        grown[key][old >= 0] = values[old[old >= 0]]
    state = model.state
    if "item_encoding" in state and "meta_weight" in state and full.items is not None:
        new = (old < 0) & full.items.present
        features = full.items.encode(Encoding.from_json(str(state["item_encoding"])))[new]
        grown["item_embeddings"][new] = features @ state["meta_weight"].T
        grown["item_bias"][new] = features @ state["meta_bias_weight"] + state["meta_bias_bias"]
    model.state.update({key: values.astype(np.float32) for key, values in grown.items()})
    model._remember_ids(full)


def as_array(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().numpy().astype(np.float32).copy()


def recency_weights(train: Interactions) -> Callable[[np.ndarray], np.ndarray]:
    """spec §2.4 recency_mask: target weight max(0.1, 0.5^((T - t) / tau)), tau a quarter of the time span."""
    latest = int(train.timestamp.max(initial=0))
    tau = max(float(np.ptp(train.timestamp)) if train.n_interactions else 0.0, 1.0) / 4
    return lambda stamps: np.maximum(0.1, 0.5 ** ((latest - stamps) / tau)).astype(np.float32)


def log_popularity(train: Interactions, recent_only: bool) -> torch.Tensor:
    """Smoothed log-frequency of each item; with recent_only, of the most recent quarter of the data."""
    stamps, items = train.timestamp, train.item_index
    if recent_only and stamps.size:
        recent = stamps >= stamps.max() - np.ptp(stamps) / 4
        stamps, items = stamps[recent], items[recent]
    counts = np.bincount(items, minlength=train.n_items).astype(np.float32)
    return torch.from_numpy(np.log(counts + 1.0) - np.log(counts.sum() + train.n_items))
