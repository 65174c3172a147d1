"""The read-only recipe catalogue: recipes, algorithms and feature transformations, from recipes.json.

Records are in AWS member names (the Recipe, Algorithm and FeatureTransformation shapes, plus
`domain` from RecipeSummary on domain recipes), with timestamps as epoch seconds (float).
Every function returns a fresh copy, so callers may mutate what they get.
"""

import copy
import datetime
import functools
import json
import pathlib

CATALOGUE = pathlib.Path(__file__).with_name("recipes.json")
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
