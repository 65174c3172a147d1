"""The read-only recipe catalogue: recipes, algorithms, feature transformations."""

from emulator.request_context import RequestContext
from emulator.errors import ResourceNotFoundException
from service_model import recipes as catalogue


def list_recipes(ctx: RequestContext, *, recipe_provider: str | None = None, next_token: str | None = None,
                 max_results: int | None = None, domain: str | None = None) -> dict:
    # spec: personalize-behavior.md §2.5: by name; with a domain, only that domain's recipes
    found = [recipe for recipe in catalogue.recipes(extras=ctx.env.settings.extra_recipes)
             if domain is None or recipe.get("domain") == domain]
    return ctx.store.page(found, "recipes", next_token, max_results, fingerprint=["recipes", domain])


def describe_recipe(ctx: RequestContext, *, recipe_arn: str) -> dict:
    return {"recipe": _found(catalogue.recipe(recipe_arn), recipe_arn)}


def describe_algorithm(ctx: RequestContext, *, algorithm_arn: str) -> dict:
    return {"algorithm": _found(catalogue.algorithm(algorithm_arn), algorithm_arn)}


def describe_feature_transformation(ctx: RequestContext, *, feature_transformation_arn: str) -> dict:
    record = catalogue.feature_transformation(feature_transformation_arn)
    return {"featureTransformation": _found(record, feature_transformation_arn)}


def _found(record: dict | None, arn: str) -> dict:
    if record is None:
        raise ResourceNotFoundException(f"Resource {arn} does not exist.")
    return record
