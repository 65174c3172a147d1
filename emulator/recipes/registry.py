"""Recipe name -> model class; building and loading models."""

import pathlib

import numpy as np

from emulator.recipes.base import Recommender, TrainingBudget
from emulator.recipes.deep import DeepFM, FeedForward
from emulator.recipes.hrnn import HierarchicalRNN, HierarchicalRNNColdstart, HierarchicalRNNMetadata, SessionGRU
from emulator.recipes.next_best_action import NextBestAction
from emulator.recipes.popularity import Popularity
from emulator.recipes.segments import ItemAffinity, ItemAttributeAffinity
from emulator.recipes.semantic_similarity import SemanticSimilarity
from emulator.recipes.similar_items import SimilarItems
from emulator.recipes.sims import Sims
from emulator.recipes.transformer import Transformer
from emulator.recipes.trending import TrendingNow

MODELS: dict[str, type[Recommender]] = {
    "aws-popularity-count": Popularity,
    "aws-user-personalization": SessionGRU,
    "aws-hrnn": HierarchicalRNN,
    "aws-hrnn-metadata": HierarchicalRNNMetadata,
    "aws-hrnn-coldstart": HierarchicalRNNColdstart,
    "aws-personalized-ranking": SessionGRU,   # the same model, its scores limited to the input list (spec §5.3)
    "aws-user-personalization-v2": Transformer,
    "aws-personalized-ranking-v2": Transformer,
    "aws-sims": Sims,
    "aws-similar-items": SimilarItems,
    "aws-semantic-similarity": SemanticSimilarity,
    "aws-trending-now": TrendingNow,
    "aws-item-affinity": ItemAffinity,
    "aws-item-attribute-affinity": ItemAttributeAffinity,
    "aws-next-best-action": NextBestAction,
    "emulator-deepfm": DeepFM,   # the emulator's own extras, spec: recipes-and-models.md §5.15
    "emulator-ffnn": FeedForward,
}


def supported(recipe_name: str) -> bool:
    return recipe_name in MODELS


def build(recipe_name: str, hyperparameters: dict[str, str], seed: int = 0,
          budget: TrainingBudget | None = None) -> Recommender:
    return MODELS[recipe_name](hyperparameters, seed=seed, budget=budget)


def load(path: pathlib.Path | str) -> Recommender:
    """The model saved at `path`, of the recipe named in the file."""
    with np.load(path, allow_pickle=False) as saved:
        recipe = str(saved["recipe"])
    return MODELS[recipe].load(path)
