"""The recipe catalogue: every record fits botocore's output shapes and every reference resolves."""

import json
import re
import subprocess
import sys

import botocore.session
import pytest

from emulator.recipes import registry
from emulator.recipes.hrnn import SessionGRU
from emulator.recipes.use_cases import USE_CASES
from service_model import recipes

MODEL = botocore.session.get_session().get_service_model("personalize")
RECIPE_ARNS = [record["recipeArn"] for record in recipes.recipes()]
ALL_ARNS = [record["recipeArn"] for record in recipes.recipes(extras=True)]   # with the emulator's own
SPECIALISED = ("updatable", "auto_ml", "epoch_halving", "segments_by_attributes", "themes", "ranking_influence")
PREFIX = "arn:aws:personalize:::"


def shape_errors(value, shape, path="") -> list[str]:
    """Every way `value` departs from `shape`: unknown or missing members, wrong types, constraints."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        errors = [f"{path}.{key}: not a member of {shape.name}" for key in value if key not in shape.members]
        errors += [f"{path}.{key}: required" for key in shape.required_members if key not in value]
        for key, member in shape.members.items():
            if key in value:
                errors += shape_errors(value[key], member, f"{path}.{key}")
        return errors
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        errors = [f"{path}: more than {meta['max']} entries"] if len(value) > meta.get("max", len(value)) else []
        for index, entry in enumerate(value):
            errors += shape_errors(entry, shape.member, f"{path}[{index}]")
        return errors
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        errors = [f"{path}: more than {meta['max']} entries"] if len(value) > meta.get("max", len(value)) else []
        for key, entry in value.items():
            errors += shape_errors(key, shape.key, f"{path} key {key!r}")
            errors += shape_errors(entry, shape.value, f"{path}[{key!r}]")
        return errors
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string"]
        errors = []
        if len(value) < meta.get("min", 0) or len(value) > meta.get("max", len(value)):
            errors.append(f"{path}: length {len(value)} outside the model's bounds")
        if "pattern" in meta and not re.fullmatch(meta["pattern"].lstrip("^").rstrip("$"), value):
            errors.append(f"{path}: {value!r} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not in {shape.enum}")
        return errors
    if kind == "timestamp":
        return [] if type(value) is float else [f"{path}: timestamp must be epoch seconds (float)"]
    if kind == "integer":
        if type(value) is not int:
            return [f"{path}: expected an integer"]
    elif kind == "double":
        if type(value) is not float:
            return [f"{path}: expected a float"]
    elif kind == "boolean":
        return [] if type(value) is bool else [f"{path}: expected a boolean"]
    if not meta.get("min", value) <= value <= meta.get("max", value):
        return [f"{path}: {value} outside the model's bounds"]
    return []


def test_every_recipe_fits_the_recipe_shape_plus_the_summary_domain():
    recipe_shape, summary = MODEL.shape_for("Recipe"), MODEL.shape_for("RecipeSummary")
    for record in recipes.recipes():
        detail = {key: value for key, value in record.items() if key != "domain"}
        listed = {key: record[key] for key in summary.members if key in record}
        assert shape_errors(detail, recipe_shape, record["name"]) == []
        assert shape_errors(listed, summary, record["name"]) == []


def test_every_algorithm_fits_the_algorithm_shape():
    shape = MODEL.shape_for("Algorithm")
    for record in recipes.recipes():
        algorithm = recipes.algorithm(record["algorithmArn"])
        assert shape_errors(algorithm, shape, algorithm["name"]) == []
        assert algorithm["trainingInputMode"] == "File"
        assert algorithm["defaultResourceConfig"] == {"maxNumberOfTrainingJobs": "20",
                                                      "maxParallelTrainingJobs": "5"}


def test_every_feature_transformation_fits_its_shape():
    shape = MODEL.shape_for("FeatureTransformation")
    arns = {record["featureTransformationArn"] for record in recipes.recipes()
            if "featureTransformationArn" in record}
    for arn in arns:
        transformation = recipes.feature_transformation(arn)
        assert shape_errors(transformation, shape, transformation["name"]) == []
        assert transformation["status"] == "ACTIVE"


@pytest.mark.parametrize("arn", RECIPE_ARNS)
def test_recipe_references_resolve_and_arns_follow_the_global_format(arn):
    record = recipes.recipe(arn)
    assert arn == f"{PREFIX}recipe/{record['name']}"
    assert record["status"] == "ACTIVE"
    assert record["description"]
    algorithm = recipes.algorithm(record["algorithmArn"])
    assert algorithm is not None
    assert algorithm["algorithmArn"] == f"{PREFIX}algorithm/{algorithm['name']}"
    if "featureTransformationArn" in record:
        transformation = recipes.feature_transformation(record["featureTransformationArn"])
        assert transformation is not None
        assert transformation["featureTransformationArn"] == (
            f"{PREFIX}feature-transformation/{transformation['name']}")


@pytest.mark.parametrize("arn", RECIPE_ARNS)
def test_timestamps_are_floats_and_never_run_backwards(arn):
    record = recipes.recipe(arn)
    related = [record, recipes.algorithm(record["algorithmArn"])]
    if "featureTransformationArn" in record:
        related.append(recipes.feature_transformation(record["featureTransformationArn"]))
    for entry in related:
        assert type(entry["creationDateTime"]) is float
        assert type(entry["lastUpdatedDateTime"]) is float
        assert entry["lastUpdatedDateTime"] >= entry["creationDateTime"]


def test_recipes_come_sorted_by_name_with_unique_arns():
    names = [record["name"] for record in recipes.recipes()]
    assert names == sorted(names)
    assert len(set(RECIPE_ARNS)) == len(RECIPE_ARNS)


def test_catalogue_lists_the_custom_recipes_and_not_the_preview_ones():
    names = {record["name"] for record in recipes.recipes() if "domain" not in record}
    assert names == {
        "aws-user-personalization", "aws-user-personalization-v2", "aws-personalized-ranking",
        "aws-personalized-ranking-v2", "aws-popularity-count", "aws-trending-now", "aws-sims",
        "aws-similar-items", "aws-semantic-similarity", "aws-item-affinity",
        "aws-item-attribute-affinity", "aws-next-best-action", "aws-hrnn", "aws-hrnn-metadata",
        "aws-hrnn-coldstart"}


def test_legacy_hrnn_recipes_say_so_in_their_description():
    for name in ("aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"):
        assert "legacy" in recipes.recipe(f"{PREFIX}recipe/{name}")["description"].lower()


def test_each_domain_has_five_recipes_marked_with_the_domain():
    by_domain: dict[str, set[str]] = {}
    for record in recipes.recipes():
        if "domain" in record:
            by_domain.setdefault(record["domain"], set()).add(record["name"])
            assert recipes.is_domain_recipe(record["recipeArn"])
        else:
            assert not recipes.is_domain_recipe(record["recipeArn"])
    assert by_domain == {
        "ECOMMERCE": {"aws-ecomm-popular-items-by-views", "aws-ecomm-popular-items-by-purchases",
                      "aws-ecomm-frequently-bought-together",
                      "aws-ecomm-customers-who-viewed-x-also-viewed", "aws-ecomm-recommended-for-you"},
        "VIDEO_ON_DEMAND": {"aws-vod-because-you-watched-x", "aws-vod-more-like-x",
                            "aws-vod-most-popular", "aws-vod-trending-now", "aws-vod-top-picks"},
    }


def test_user_personalization_defaults_match_the_documentation():
    defaults = recipes.default_hyperparameters(f"{PREFIX}recipe/aws-user-personalization")
    assert defaults == {"hidden_dimension": "149", "bptt": "32", "recency_mask": "true",
                        "min_user_history_length_percentile": "0.0",
                        "max_user_history_length_percentile": "0.99"}


def test_hrnn_defaults_to_a_hidden_dimension_of_43():
    assert recipes.default_hyperparameters(f"{PREFIX}recipe/aws-hrnn")["hidden_dimension"] == "43"
    assert recipes.default_hyperparameters(f"{PREFIX}recipe/aws-hrnn-metadata")["hidden_dimension"] == "43"
    assert recipes.default_hyperparameters(f"{PREFIX}recipe/aws-hrnn-coldstart")["hidden_dimension"] == "149"


def test_default_hyperparameters_merge_the_feature_transformation_parameters():
    sims = recipes.default_hyperparameters(f"{PREFIX}recipe/aws-sims")
    assert sims["popularity_discount_factor"] == "0.5"
    assert sims["min_cointeraction_count"] == "3"
    assert sims["max_item_interaction_count_percentile"] == "0.9"
    coldstart = recipes.default_hyperparameters(f"{PREFIX}recipe/aws-hrnn-coldstart")
    assert coldstart["cold_start_relative_from"] == "latestItem"
    trending = recipes.default_hyperparameters(f"{PREFIX}recipe/aws-trending-now")
    assert trending == {"trend_discovery_frequency": "3h"}
    action = recipes.default_hyperparameters(f"{PREFIX}recipe/aws-next-best-action")
    assert action == {"action_optimization_period": "14"}


def test_every_default_is_a_string_and_every_range_holds_its_default():
    for arn in RECIPE_ARNS:
        defaults = recipes.default_hyperparameters(arn)
        assert all(isinstance(value, str) for value in defaults.values())
        ranges = recipes.tunable_ranges(arn)
        for entry in ranges["integerHyperParameterRanges"] + ranges["continuousHyperParameterRanges"]:
            assert entry["minValue"] <= float(defaults[entry["name"]]) <= entry["maxValue"], (arn, entry)
        for entry in ranges["categoricalHyperParameterRanges"]:
            assert defaults[entry["name"]] in entry["values"], (arn, entry)


def test_user_personalization_ranges_are_the_documented_tunable_ones():
    ranges = recipes.tunable_ranges(f"{PREFIX}recipe/aws-user-personalization")
    integers = {entry["name"]: (entry["minValue"], entry["maxValue"], entry["isTunable"])
                for entry in ranges["integerHyperParameterRanges"]}
    assert integers == {"hidden_dimension": (32, 256, True), "bptt": (2, 32, True)}
    assert ranges["categoricalHyperParameterRanges"] == [
        {"name": "recency_mask", "values": ["true", "false"], "isTunable": True}]


def test_recipe_name_is_the_last_part_of_the_arn():
    assert recipes.recipe_name(f"{PREFIX}recipe/aws-sims") == "aws-sims"


def test_recipe_arn_is_the_inverse_of_recipe_name():
    for arn in ALL_ARNS:
        assert recipes.recipe_arn(recipes.recipe_name(arn)) == arn


def test_unknown_arns_are_absent_rather_than_errors():
    missing = f"{PREFIX}recipe/no-such-recipe"
    assert recipes.recipe(missing) is None
    assert recipes.algorithm(f"{PREFIX}algorithm/no-such-algorithm") is None
    assert recipes.feature_transformation(f"{PREFIX}feature-transformation/none") is None
    assert not recipes.is_domain_recipe(missing)
    with pytest.raises(KeyError):
        recipes.default_hyperparameters(missing)


def test_callers_get_copies_they_may_change():
    arn = f"{PREFIX}recipe/aws-user-personalization"
    recipes.recipe(arn)["name"] = "changed"
    recipes.recipes()[0]["name"] = "changed"
    recipes.default_hyperparameters(arn)["hidden_dimension"] = "1"
    recipes.tunable_ranges(arn)["integerHyperParameterRanges"].clear()
    assert recipes.recipe(arn)["name"] == "aws-user-personalization"
    assert recipes.recipes()[0]["name"] != "changed"
    assert recipes.default_hyperparameters(arn)["hidden_dimension"] == "149"
    assert recipes.tunable_ranges(arn)["integerHyperParameterRanges"]


def test_every_algorithm_and_feature_transformation_in_the_file_belongs_to_a_recipe():
    raw = json.loads(recipes.CATALOGUE.read_text(encoding="utf-8"))
    used_algorithms = {record["algorithmArn"] for record in raw["recipes"]}
    used_transformations = {record.get("featureTransformationArn") for record in raw["recipes"]}
    assert {record["algorithmArn"] for record in raw["algorithms"]} == used_algorithms
    assert {record["featureTransformationArn"] for record in raw["featureTransformations"]} == (
        used_transformations - {None})


def test_every_recipe_of_the_catalogue_has_traits_and_only_those():
    names = {recipes.recipe_name(arn) for arn in ALL_ARNS}
    assert {name for name in names if recipes.traits(name).name == name} == names
    for trait in ("explores", "contextual", "v2", "user_optional") + SPECIALISED:
        assert set(recipes.recipes_that(trait)) <= names
    with pytest.raises(KeyError):
        recipes.traits("no-such-recipe")


@pytest.mark.parametrize("arn", ALL_ARNS)
def test_traits_agree_with_the_model_registry(arn):
    traits, record = recipes.traits(arn), recipes.recipe(arn)
    assert traits.arn == arn
    assert traits.default_hyperparameters == recipes.default_hyperparameters(arn)
    if "domain" in record:   # trained as its use case's custom recipe, which has a model
        assert traits.family is None and not registry.supported(traits.name)
        assert recipes.traits(USE_CASES[traits.name].recipe).family is not None
        assert not any(getattr(traits, trait) for trait in SPECIALISED)
        return
    assert registry.supported(traits.name)
    assert registry.MODELS[traits.name].split(":")[0] == traits.family
    model = registry.model_class(traits.name)
    assert recipes.traits(model.recipe).family == traits.family   # the class's own recipe: the same family
    assert traits.epoch_halving == issubclass(model, SessionGRU)   # the families whose fit loops over epochs


def test_every_model_in_the_registry_trains_a_catalogue_recipe_of_its_family():
    for name, target in registry.MODELS.items():
        assert recipes.traits(name).family == target.split(":")[0]


def test_traits_fit_the_recipe_type_they_act_on():
    kinds = {name: recipes.recipe_type(recipes.recipe_arn(name)) for name in map(recipes.recipe_name, ALL_ARNS)}
    assert {kinds[name] for name in recipes.recipes_that("user_optional")} <= {"USER_PERSONALIZATION",
                                                                               "POPULAR_ITEMS"}
    assert {kinds[name] for name in recipes.recipes_that("segments_by_attributes")} == {"USER_SEGMENTATION"}
    assert {kinds[name] for name in recipes.recipes_that("themes")} == {"RELATED_ITEMS"}
    assert {kinds[name] for name in recipes.recipes_that("ranking_influence")} == {"RELATED_ITEMS"}
    assert {recipes.traits(name).family for name in recipes.recipes_that("v2")} == {"transformer"}


def test_automl_defaults_to_user_personalization_then_popularity_count():
    assert recipes.auto_ml_recipes() == ["aws-user-personalization", "aws-popularity-count"]


def test_reading_the_catalogue_and_the_registry_imports_no_torch():
    code = ("import sys; from service_model import recipes; from emulator.recipes import registry; "
            "recipes.traits('aws-user-personalization'); registry.supported('aws-hrnn'); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_server_and_the_in_process_mode_start_without_torch():
    """torch costs seconds to import: only a training process, or the first neural model served, pays it."""
    code = ("import sys; import emulator.app, emulator.inprocess; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
