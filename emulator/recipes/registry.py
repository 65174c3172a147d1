"""Recipe name -> model class, imported on first use (so that reading the registry imports no torch); building
and loading models."""

import functools
import importlib
import pathlib

import numpy as np

from emulator.recipes.base import Recommender, TrainingBudget

MODELS: dict[str, str] = {   # recipe name -> "module:Class", the module one of emulator/recipes
    "aws-popularity-count": "popularity:Popularity",
    "aws-user-personalization": "hrnn:SessionGRU",
    "aws-hrnn": "hrnn:HierarchicalRNN",
    "aws-hrnn-metadata": "hrnn:HierarchicalRNNMetadata",
    "aws-hrnn-coldstart": "hrnn:HierarchicalRNNColdstart",
    "aws-personalized-ranking": "hrnn:SessionGRU",   # the same model, its scores limited to the input list (spec §5.3)
    "aws-user-personalization-v2": "transformer:Transformer",
    "aws-personalized-ranking-v2": "transformer:Transformer",
    "aws-sims": "sims:Sims",
    "aws-similar-items": "similar_items:SimilarItems",
    "aws-semantic-similarity": "semantic_similarity:SemanticSimilarity",
    "aws-trending-now": "trending:TrendingNow",
    "aws-item-affinity": "segments:ItemAffinity",
    "aws-item-attribute-affinity": "segments:ItemAttributeAffinity",
    "aws-next-best-action": "next_best_action:NextBestAction",
    "emulator-deepfm": "deep:DeepFM",   # the emulator's own extras, spec: recipes-and-models.md §5.15
    "emulator-ffnn": "deep:FeedForward",
}


ACTION_RECIPES = {"aws-next-best-action"}   # they learn from the Action interactions dataset


def supported(recipe_name: str) -> bool:
    return recipe_name in MODELS


def dataset_type(recipe_name: str) -> str:
    """The dataset whose interactions the recipe learns from; known here, so that the server, which asks before every
    training, imports no model module (a GRU's imports torch: 0.9 s added to the first training's time to ACTIVE)."""
    return "ACTION_INTERACTIONS" if recipe_name in ACTION_RECIPES else "INTERACTIONS"


@functools.cache
def model_class(recipe_name: str) -> type[Recommender]:
    """The class of the recipe's model, its module imported now if it was not yet. KeyError for an unknown recipe."""
    module, name = MODELS[recipe_name].split(":")
    return getattr(importlib.import_module(f"emulator.recipes.{module}"), name)


def build(recipe_name: str, hyperparameters: dict[str, str], seed: int = 0,
          budget: TrainingBudget | None = None) -> Recommender:
    return model_class(recipe_name)(hyperparameters, seed=seed, budget=budget)


def load(path: pathlib.Path | str) -> Recommender:
    """The model saved at `path`, of the recipe named in the file."""
    with np.load(path, allow_pickle=False) as saved:
        recipe = str(saved["recipe"])
    return model_class(recipe).load(path)
