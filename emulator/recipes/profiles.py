"""Users metadata as a model input (spec: recipes-and-models.md §2.2, §2.7): the Users records encoded once, the
encoding saved with the model for users who arrive later, and a learned layer tanh(W·profile + b) to the model's
width. The session GRU starts a user's state there (§2.4); the transformer reads it as an extra first token (§5.2).
A user without a record is encoded as a record without values."""

from collections.abc import Mapping

import numpy as np
from scipy.sparse import csr_matrix

from emulator.recipes.data import Encoding, Interactions

ENCODING, WEIGHT, BIAS = "profile_encoding", "profile_weight", "profile_bias"   # state keys


class Profiles:
    """For a Recommender whose state gets WEIGHT and BIAS from its trained profile layer."""
    state: dict[str, np.ndarray]
    _profiles: csr_matrix | None = None   # the encoded records of the data last learned or encoded, by user index

    def learn_profiles(self, train: Interactions) -> csr_matrix | None:
        """The encoded Users records of `train` (None without any), remembering their encoding."""
        self.state.pop(ENCODING, None)
        self._profiles = None
        if train.users is not None and train.users.kinds:
            self.state[ENCODING] = np.str_(Encoding.learn(train.users).to_json())
            self.encode_profiles(train)
        return self._profiles

    def encode_profiles(self, data: Interactions) -> None:
        """Take in data's Users records (its user indices) in the learned encoding."""
        self._profiles = None
        if ENCODING in self.state and data.users is not None:
            self._profiles = csr_matrix(data.users.encode(Encoding.from_json(str(self.state[ENCODING]))))

    @property
    def reads_profiles(self) -> bool:
        return WEIGHT in self.state

    def profile_vectors(self, users: np.ndarray) -> np.ndarray:
        """(len(users), width) the layer's output for user indices (-1, or no records taken in: no record)."""
        users = np.asarray(users)
        vectors = np.repeat(self.record_vector(None)[None, :], len(users), axis=0)
        known = np.flatnonzero(users >= 0)
        if known.size and self._profiles is not None:
            vectors[known] = self._layer(self._profiles[users[known]].toarray())
        return vectors

    def record_vector(self, record: Mapping[str, object] | None) -> np.ndarray:
        """(width,) the layer's output for one Users record (fields by name, any case), or for none."""
        return self._layer(Encoding.from_json(str(self.state[ENCODING])).record(record or {})[None, :])[0]

    def _layer(self, features: np.ndarray) -> np.ndarray:
        return np.tanh(features @ self.state[WEIGHT].T + self.state[BIAS]).astype(np.float32)
