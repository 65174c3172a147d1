"""The read-only recipe catalogue: recipes, algorithms and feature transformations, from recipes.json, and each
recipe's traits, what it does in the emulator beyond its record (exploration, context, UPDATE, ...).

Records are in AWS member names (the Recipe, Algorithm and FeatureTransformation shapes, plus
`domain` from RecipeSummary on domain recipes), with timestamps as epoch seconds (float).
Every function returns a fresh copy, so callers may mutate what they get.
"""

import copy
import datetime
import functools
import json
import pathlib
from dataclasses import dataclass

CATALOGUE = pathlib.Path(__file__).with_name("recipes.json")
RECIPE_ARN_PREFIX = "arn:aws:personalize:::recipe/"
_TIMESTAMPS = ("creationDateTime", "lastUpdatedDateTime")


def _epoch(iso: str) -> float:
    return datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@functools.cache
def _catalogue() -> dict[str, dict[str, dict]]:
    """{"recipes" | "algorithms" | "featureTransformations": {arn: record}}, recipes sorted by name, and "extras":
    the ARNs of the emulator's own recipes (marked `extra` in the file; the mark is no AWS member)."""
    raw = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    keys = {"recipes": "recipeArn", "algorithms": "algorithmArn",
            "featureTransformations": "featureTransformationArn"}
    catalogue = {}
    for kind, key in keys.items():
        records = sorted(raw[kind], key=lambda record: record["name"])
        for record in records:
            for stamp in _TIMESTAMPS:
                record[stamp] = _epoch(record[stamp])
        catalogue[kind] = {record[key]: record for record in records}
    catalogue["extras"] = {arn for arn, record in catalogue["recipes"].items() if record.pop("extra", False)}
    return catalogue


def _get(kind: str, arn: str) -> dict | None:
    record = _catalogue()[kind].get(arn)
    return copy.deepcopy(record) if record is not None else None


def _require_recipe(recipe_arn: str) -> dict:
    record = _catalogue()["recipes"].get(recipe_arn)
    if record is None:
        raise KeyError(recipe_arn)
    return record


def recipes(extras: bool = False) -> list[dict]:
    """Every recipe record, sorted by name; with `extras`, also the emulator's own recipes, which ListRecipes
    leaves out unless the emulator is started with them."""
    return copy.deepcopy([record for arn, record in _catalogue()["recipes"].items()
                          if extras or arn not in _catalogue()["extras"]])


def recipe(arn: str) -> dict | None:
    return _get("recipes", arn)


def algorithm(arn: str) -> dict | None:
    return _get("algorithms", arn)


def feature_transformation(arn: str) -> dict | None:
    return _get("featureTransformations", arn)


def recipe_name(arn: str) -> str:
    """`arn:aws:personalize:::recipe/aws-sims` -> `aws-sims` (the part after the last slash)."""
    return arn.rsplit("/", 1)[-1]


def recipe_arn(name: str) -> str:
    """`aws-sims` -> `arn:aws:personalize:::recipe/aws-sims`, the inverse of recipe_name."""
    return RECIPE_ARN_PREFIX + name


def recipe_type(arn: str) -> str:
    """The recipeType of a catalogue recipe, without copying its record (serving asks on every request)."""
    return _require_recipe(arn)["recipeType"]


def default_hyperparameters(recipe_arn: str) -> dict[str, str]:
    """The recipe's algorithm defaults merged with its feature transformation's defaultParameters.

    Raises KeyError for a recipe ARN the catalogue does not hold.
    """
    record = _require_recipe(recipe_arn)
    merged = dict(_catalogue()["algorithms"][record["algorithmArn"]]["defaultHyperParameters"])
    transformation = record.get("featureTransformationArn")
    if transformation:
        merged.update(_catalogue()["featureTransformations"][transformation]["defaultParameters"])
    return merged


def tunable_ranges(recipe_arn: str) -> dict:
    """The algorithm's defaultHyperParameterRanges: integer, continuous and categorical lists (each
    present, possibly empty), every entry carrying `isTunable`. Raises KeyError for an unknown recipe.
    """
    record = _require_recipe(recipe_arn)
    algo = _catalogue()["algorithms"][record["algorithmArn"]]
    return copy.deepcopy(algo["defaultHyperParameterRanges"])


def is_domain_recipe(recipe_arn: str) -> bool:
    """True for the ECOMMERCE / VIDEO_ON_DEMAND use-case recipes (CreateRecommender only)."""
    record = _catalogue()["recipes"].get(recipe_arn)
    return record is not None and "domain" in record


@dataclass(frozen=True)
class Traits:
    """What a recipe does in the emulator beyond its catalogue record. Plain data, so that serving and the API read
    it without loading a model."""
    name: str
    family: str | None           # the module of emulator/recipes whose model trains it; None: a domain recipe,
                                 # trained as its use case's custom recipe (emulator/recipes/use_cases.py)
    explores: bool = False       # itemExplorationConfig: new items explored. spec: recipes-and-models.md §2.6
    contextual: bool = False     # the request's context lifts the scores. spec: personalize-behavior.md §8.1
    v2: bool = False             # reasons, its own exploration, metadata without enableMetadataWithRecommendations
    user_optional: bool = False  # GetRecommendations needs no userId (POPULAR_ITEMS-like: userId only for filters)
    updatable: bool = False      # trainingMode UPDATE. spec: personalize-behavior.md §3.10
    auto_ml: int = 0             # its place among AutoML's candidates when autoMLConfig names none (0: not one)
    epoch_halving: bool = False  # HPO trials may stop after their first epoch. spec: recipes-and-models.md §4.1
    segments_by_attributes: bool = False   # batch segment queries name item attributes, not an itemId
    themes: bool = False         # batch inference job mode THEME_GENERATION
    ranking_influence: bool = False        # campaignConfig.rankingInfluence lifts popular and fresh items

    @property
    def arn(self) -> str:
        return recipe_arn(self.name)

    @property
    def default_hyperparameters(self) -> dict[str, str]:
        return default_hyperparameters(self.arn)


_TRAITS = {traits.name: traits for traits in (
    Traits("aws-ecomm-customers-who-viewed-x-also-viewed", None),
    Traits("aws-ecomm-frequently-bought-together", None),
    Traits("aws-ecomm-popular-items-by-purchases", None),
    Traits("aws-ecomm-popular-items-by-views", None),
    Traits("aws-ecomm-recommended-for-you", None, explores=True, contextual=True),
    Traits("aws-hrnn", "hrnn", epoch_halving=True),
    Traits("aws-hrnn-coldstart", "hrnn", explores=True, updatable=True, epoch_halving=True),
    Traits("aws-hrnn-metadata", "hrnn", contextual=True, epoch_halving=True),
    Traits("aws-item-affinity", "segments", epoch_halving=True),
    Traits("aws-item-attribute-affinity", "segments", epoch_halving=True, segments_by_attributes=True),
    Traits("aws-next-best-action", "next_best_action"),
    Traits("aws-personalized-ranking", "hrnn", contextual=True, epoch_halving=True),
    Traits("aws-personalized-ranking-v2", "transformer", contextual=True, v2=True),
    Traits("aws-popularity-count", "popularity", user_optional=True, auto_ml=2),
    Traits("aws-semantic-similarity", "semantic_similarity", ranking_influence=True),
    Traits("aws-similar-items", "similar_items", themes=True),
    Traits("aws-sims", "sims"),
    Traits("aws-trending-now", "trending", user_optional=True),
    Traits("aws-user-personalization", "hrnn", explores=True, contextual=True, updatable=True, auto_ml=1,
           epoch_halving=True),
    Traits("aws-user-personalization-v2", "transformer", contextual=True, v2=True),
    Traits("aws-vod-because-you-watched-x", None),
    Traits("aws-vod-more-like-x", None),
    Traits("aws-vod-most-popular", None),
    Traits("aws-vod-top-picks", None, explores=True, contextual=True),
    Traits("aws-vod-trending-now", None),
    Traits("emulator-deepfm", "deep"),
    Traits("emulator-ffnn", "deep"),
)}


def traits(recipe: str) -> Traits:
    """The traits of a catalogue recipe, by name or ARN. Raises KeyError for a recipe the catalogue does not hold."""
    return _TRAITS[recipe_name(recipe)]


def recipes_that(trait: str) -> list[str]:
    """The names of the recipes whose `trait` is set, sorted."""
    return sorted(name for name, found in _TRAITS.items() if getattr(found, trait))


def auto_ml_recipes() -> list[str]:
    """AutoML's candidates when autoMLConfig names none, in the order that breaks ties."""
    return sorted(recipes_that("auto_ml"), key=lambda name: _TRAITS[name].auto_ml)
