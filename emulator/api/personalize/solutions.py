"""Solutions (a recipe and its configuration) and their versions (trained models), with their metrics."""

import re

from emulator.api.personalize.common import begin_delete, compact, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from emulator.jobs import updates
from emulator.jobs.tasks import solution_versions
from emulator.recipes import tuning
from emulator.store import lifecycle
from emulator.store.arns import name_of, short_id
from emulator.store.lifecycle import live
from service_model import recipes as catalogue

KIND, VERSION = "solution", "solution-version"
RATE = re.compile(r"^rate\((\d+) days?\)$")   # autoTrainingConfig.schedulingExpression
VERSION_SUMMARY = ("solutionVersionArn", "status", "trainingMode", "trainingType", "creationDateTime",
                   "lastUpdatedDateTime", "failureReason")


def create_solution(ctx: RequestContext, *, name: str, dataset_group_arn: str, recipe_arn: str | None = None,
                    perform_hpo: bool = False, perform_auto_ml: bool = False,
                    perform_auto_training: bool = True, perform_incremental_update: bool | None = None,
                    event_type: str | None = None, solution_config: dict | None = None,
                    tags: list | None = None) -> dict:
    if perform_auto_ml == bool(recipe_arn):   # spec: personalize-behavior.md §3.9
        raise InvalidInputException("Give a recipeArn, or set performAutoML without one.")
    if recipe_arn:
        if catalogue.recipe(recipe_arn) is None:
            raise ResourceNotFoundException(f"Recipe {recipe_arn} does not exist.")
        if catalogue.is_domain_recipe(recipe_arn):
            raise InvalidInputException(f"{recipe_arn} is a domain recipe; use it with CreateRecommender.")
    _check_search(recipe_arn, perform_hpo, perform_auto_ml, solution_config or {})
    group = ctx.store.get("dataset-group", dataset_group_arn)
    require_active(group, "datasetGroupArn")
    arn = ctx.arn(KIND, name)
    record = compact(name=name, solutionArn=arn, datasetGroupArn=dataset_group_arn, recipeArn=recipe_arn,
                     performHPO=perform_hpo, performAutoML=perform_auto_ml,
                     performAutoTraining=perform_auto_training,
                     performIncrementalUpdate=perform_incremental_update, eventType=event_type,
                     solutionConfig=solution_config or None)
    # ACTIVE at once, as the service answers: spec: personalize-behavior.md §3.9
    create_resource(ctx, KIND, record, "solutionArn", group=dataset_group_arn, parent=dataset_group_arn, tags=tags,
                    status=lifecycle.ACTIVE, task=None)
    return {"solutionArn": arn}


def _check_schedule(config: dict) -> None:
    """spec: personalize-behavior.md §3.9: automatic training every 1 to 30 days."""
    expression = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
    found = RATE.match(expression or "")
    if expression is not None and not (found and 1 <= int(found.group(1)) <= 30):
        raise InvalidInputException(f"schedulingExpression {expression} must be rate(N days) with N from 1 to 30.")


def _check_search(recipe_arn: str | None, perform_hpo: bool, perform_auto_ml: bool, config: dict) -> None:
    """hpoConfig and autoMLConfig are checked now, not when a version trains. spec: personalize-behavior.md §12.2"""
    _check_schedule(config)
    try:
        if perform_auto_ml:
            tuning.validate_automl_config(config.get("autoMLConfig"))
        if perform_hpo and recipe_arn:
            tuning.validate_hpo_config(recipe_arn, config.get("hpoConfig"))
    except ValueError as problem:
        raise InvalidInputException(str(problem)) from None


def describe_solution(ctx: RequestContext, *, solution_arn: str) -> dict:
    solution = ctx.store.get(KIND, solution_arn)
    versions = ctx.store.children(solution_arn, VERSION)
    if versions:
        solution["latestSolutionVersion"] = {key: versions[0][key] for key in VERSION_SUMMARY
                                             if key in versions[0]}
    return {"solution": solution}


def list_solutions(ctx: RequestContext, *, dataset_group_arn: str | None = None, next_token: str | None = None,
                   max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "solutions", next_token, max_results, parent=dataset_group_arn)


def delete_solution(ctx: RequestContext, *, solution_arn: str) -> None:
    ctx.store.get(KIND, solution_arn)
    training = [v for v in ctx.store.children(solution_arn, VERSION) if v["status"] in lifecycle.TRANSIENT]
    if training:
        raise ResourceInUseException(f"{training[0]['solutionVersionArn']} is still {training[0]['status']}.")
    campaigns = live(ctx.store.children(solution_arn, "campaign"))
    begin_delete(ctx, KIND, solution_arn, blocked_by=[campaign["campaignArn"] for campaign in campaigns])


def update_solution(ctx: RequestContext, *, solution_arn: str, perform_auto_training: bool | None = None,
                    perform_incremental_update: bool | None = None, solution_update_config: dict | None = None) -> dict:
    """Change automatic training; the solution keeps its settings until the update is ACTIVE.
    spec: personalize-behavior.md §3.9"""
    with ctx.store.transaction():
        solution = ctx.store.get(KIND, solution_arn)
        require_active(solution, "solutionArn")
        if solution.get("latestSolutionUpdate", {}).get("status") in lifecycle.TRANSIENT:
            raise ResourceInUseException(f"Solution {solution_arn} is already being updated.")
        config = solution_update_config or {}
        _check_schedule(config)
        auto_training = solution.get("performAutoTraining") if perform_auto_training is None else perform_auto_training
        if config.get("autoTrainingConfig") and not auto_training:
            raise InvalidInputException("autoTrainingConfig needs performAutoTraining.")
        updates.begin(ctx.store, solution_arn, "latestSolutionUpdate", **compact(
            performAutoTraining=auto_training, performIncrementalUpdate=perform_incremental_update,
            solutionUpdateConfig=config or None))
        ctx.jobs.enqueue("update_solution", solution_arn)
    return {"solutionArn": solution_arn}


def create_solution_version(ctx: RequestContext, *, solution_arn: str, name: str | None = None,
                            training_mode: str | None = None, tags: list | None = None) -> dict:
    solution = ctx.store.get(KIND, solution_arn)
    require_active(solution, "solutionArn")
    training_mode = training_mode or "FULL"
    if training_mode == "AUTOTRAIN" and not ctx.by_emulator:
        raise InvalidInputException("trainingMode AUTOTRAIN is recorded on versions that automatic training "
                                    "creates; ask for FULL or UPDATE.")
    training_type = "AUTOMATIC" if training_mode == "AUTOTRAIN" else "MANUAL"
    update_of = _full_version_to_update(ctx, solution) if training_mode == "UPDATE" else None
    return {"solutionVersionArn": _new_version(ctx, solution, training_mode, training_type, name, tags, update_of)}


def _new_version(ctx: RequestContext, solution: dict, training_mode: str, training_type: str,
                 name: str | None = None, tags: list | None = None, update_of: str | None = None) -> str:
    """A solution version of the solution's current configuration, queued for training."""
    arn = f"{solution['solutionArn']}/{short_id()}"
    record = compact(name=name or f"{solution['name']}/{name_of(arn)}", solutionVersionArn=arn,
                     solutionArn=solution["solutionArn"], performHPO=solution["performHPO"],
                     performAutoML=solution["performAutoML"],
                     performIncrementalUpdate=solution.get("performIncrementalUpdate"),
                     recipeArn=solution.get("recipeArn"), eventType=solution.get("eventType"),
                     datasetGroupArn=solution["datasetGroupArn"], solutionConfig=solution.get("solutionConfig"),
                     trainingMode=training_mode, trainingType=training_type)
    return create_resource(ctx, VERSION, record, "solutionVersionArn", parent=solution["solutionArn"], tags=tags,
                           internal=compact(updateOf=update_of))


def _full_version_to_update(ctx: RequestContext, solution: dict) -> str:
    """UPDATE needs a recipe that allows it and an ACTIVE FULL version. spec: personalize-behavior.md §3.10"""
    recipe = solution.get("recipeArn")   # none: an AutoML solution
    if not (recipe and catalogue.traits(recipe).updatable):
        raise InvalidInputException(f"trainingMode UPDATE is only for "
                                    f"{' and '.join(catalogue.recipes_that('updatable'))} solutions.")
    full = [version for version in ctx.store.children(solution["solutionArn"], VERSION)
            if version["status"] == lifecycle.ACTIVE and version.get("trainingMode") != "UPDATE"]
    if not full:
        raise InvalidInputException("trainingMode UPDATE needs an ACTIVE version of trainingMode FULL to update.")
    return full[0]["solutionVersionArn"]


def describe_solution_version(ctx: RequestContext, *, solution_version_arn: str) -> dict:
    return {"solutionVersion": ctx.store.get(VERSION, solution_version_arn)}


def list_solution_versions(ctx: RequestContext, *, solution_arn: str | None = None,
                           next_token: str | None = None, max_results: int | None = None) -> dict:
    if solution_arn:
        ctx.store.get(KIND, solution_arn)   # the only List* that models ResourceNotFoundException
    return list_page(ctx, VERSION, "solutionVersions", next_token, max_results, parent=solution_arn)


def stop_solution_version_creation(ctx: RequestContext, *, solution_version_arn: str) -> None:
    """CREATE PENDING -> CREATE STOPPED; CREATE IN_PROGRESS -> CREATE STOPPING -> CREATE STOPPED once the
    training process has ended. spec: personalize-behavior.md §3.10"""
    with ctx.store.transaction():
        status = ctx.store.get(VERSION, solution_version_arn)["status"]
        if status == lifecycle.CREATE_PENDING:
            ctx.store.set_status(solution_version_arn, lifecycle.CREATE_STOPPED)
        elif status == lifecycle.CREATE_IN_PROGRESS:
            ctx.store.set_status(solution_version_arn, lifecycle.CREATE_STOPPING)
        else:
            raise ResourceInUseException(f"{solution_version_arn} is {status}; only a version being created can "
                                         "be stopped.")
    solution_versions.stop(solution_version_arn)


def get_solution_metrics(ctx: RequestContext, *, solution_version_arn: str) -> dict:
    version = ctx.store.get(VERSION, solution_version_arn)
    require_active(version, "solutionVersionArn")
    return {"solutionVersionArn": solution_version_arn,
            "metrics": ctx.store.internal(solution_version_arn).get("metrics", {})}
