"""aws-semantic-similarity: related items by what their names and descriptions say, not by who took them.
spec: recipes-and-models.md §5.17

Each item's text (its textual Items columns, the item name among them) becomes lower-cased word unigrams and
bigrams hashed into BUCKETS columns, TF-IDF weighted and L2-normalised; a truncated SVD reduces that to at most
WIDTH dimensions (latent semantic analysis: words that share contexts share directions), and neighbours are
the cosine. No pretrained language model is available offline, so paraphrases without shared words are found
only through the words their contexts share."""

import zlib
from collections.abc import Callable
from typing import ClassVar

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import svds

from emulator.recipes.base import UnusableData, no_log
from emulator.recipes.data import TEXTUAL, Interactions, words
from emulator.recipes.similar_items import SimilarItems, _unit_rows

BUCKETS = 2 ** 14
WIDTH = 128


class SemanticSimilarity(SimilarItems):
    """Served as aws-similar-items is: cosine neighbours, the items without a vector after them by popularity."""
    recipe = "aws-semantic-similarity"
    DEFAULTS: ClassVar[dict[str, str]] = {}

    def fit(self, train: Interactions, log: Callable[[str], None] = no_log) -> None:
        columns = [name for name, kind in (train.items.kinds.items() if train.items is not None else ())
                   if kind == TEXTUAL]
        if not columns:
            raise UnusableData("Create failed. aws-semantic-similarity needs an Items dataset with a textual field "
                               "(and an itemName field); the dataset group has none.")
        texts = [" ".join(str(value) for value in values if value) for values in
                 zip(*(train.items.columns[name] for name in columns))]
        self.state["embeddings"] = _unit_rows(_reduced(_tf_idf(texts), WIDTH, self.seed))
        self.state["warm"] = np.ones(train.n_items, dtype=bool)   # no vector is a guess: each is the item's text
        counts = np.bincount(train.item_index, minlength=train.n_items).astype(np.float64)
        self.state["popularity"] = counts / max(counts.max(initial=0.0), 1.0)
        self._remember_ids(train)
        log(f"{int(self.state['embeddings'].any(axis=1).sum())} of {train.n_items} items embedded from "
            f"{', '.join(columns)}; width {self.state['embeddings'].shape[1]}")


def _terms(text: str) -> list[str]:
    unigrams = words(text)
    return unigrams + [f"{first} {second}" for first, second in zip(unigrams, unigrams[1:])]


def _tf_idf(texts: list[str]) -> csr_matrix:
    """(items, BUCKETS) hashed unigram and bigram TF-IDF, rows of length 1 (zero for an item without text)."""
    rows, columns = [], []
    for row, text in enumerate(texts):
        buckets = [zlib.crc32(term.encode()) % BUCKETS for term in _terms(text)]
        rows.extend([row] * len(buckets))
        columns.extend(buckets)
    counts = csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, columns)), shape=(len(texts), BUCKETS))
    counts.sum_duplicates()
    holding = np.bincount(counts.indices, minlength=BUCKETS)
    weighted = counts.multiply(np.log((1.0 + len(texts)) / (1.0 + holding))[None, :].astype(np.float32)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return csr_matrix(weighted.multiply(1.0 / np.maximum(norms, 1e-12)[:, None]))


def _reduced(matrix: csr_matrix, width: int, seed: int) -> np.ndarray:
    """(items, <= width) the rows projected on the matrix's main directions, scaled by their strengths."""
    rank = min(width, min(matrix.shape) - 1, matrix.nnz)
    if rank < 1:
        return matrix.toarray().astype(np.float32)
    start = np.random.default_rng(seed).standard_normal(min(matrix.shape))
    left, strengths, _ = svds(matrix.astype(np.float64), k=rank, v0=start)
    return (left * strengths[None, :]).astype(np.float32)
