"""Batch inference and batch segment jobs: recommendations or user segments for a file of queries in S3.
spec: personalize-behavior.md §3.13, §3.14, §11"""

from emulator.api.personalize.common import compact, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.errors import InvalidInputException
from service_model import recipes as catalogue

INFERENCE, SEGMENT = "batch-inference-job", "batch-segment-job"
NO_BATCH_INFERENCE = {"POPULAR_ITEMS", "PERSONALIZED_ACTIONS", "USER_SEGMENTATION"}   # spec §3.13


def create_batch_inference_job(ctx: RequestContext, *, job_name: str, solution_version_arn: str, job_input: dict,
                               job_output: dict, role_arn: str, filter_arn: str | None = None,
                               num_results: int | None = None, batch_inference_job_config: dict | None = None,
                               tags: list | None = None, batch_inference_job_mode: str | None = None,
                               theme_generation_config: dict | None = None) -> dict:
    recipe = _version_recipe(ctx, solution_version_arn, filter_arn, job_input, job_output)
    if recipe["recipeType"] in NO_BATCH_INFERENCE:
        raise InvalidInputException(f"Batch inference jobs do not serve {recipe['name']} ({recipe['recipeType']}) "
                                    "solution versions.")
    mode = batch_inference_job_mode or "BATCH_INFERENCE"
    if mode == "THEME_GENERATION" and not catalogue.traits(recipe["name"]).themes:
        raise InvalidInputException(f"THEME_GENERATION needs a solution version of "
                                    f"{' or '.join(catalogue.recipes_that('themes'))}.")
    if mode == "THEME_GENERATION" and not ((theme_generation_config or {}).get("fieldsForThemeGeneration") or {}).get(
            "itemName"):
        raise InvalidInputException("THEME_GENERATION needs themeGenerationConfig.fieldsForThemeGeneration.itemName.")
    arn = ctx.arn(INFERENCE, job_name)
    record = compact(jobName=job_name, batchInferenceJobArn=arn, filterArn=filter_arn,
                     solutionVersionArn=solution_version_arn, numResults=num_results or 25, jobInput=job_input,
                     jobOutput=job_output, roleArn=role_arn, batchInferenceJobConfig=batch_inference_job_config,
                     batchInferenceJobMode=mode, themeGenerationConfig=theme_generation_config)
    create_resource(ctx, INFERENCE, record, "batchInferenceJobArn", parent=solution_version_arn, tags=tags)
    return {"batchInferenceJobArn": arn}


def describe_batch_inference_job(ctx: RequestContext, *, batch_inference_job_arn: str) -> dict:
    return {"batchInferenceJob": ctx.store.get(INFERENCE, batch_inference_job_arn)}


def list_batch_inference_jobs(ctx: RequestContext, *, solution_version_arn: str | None = None,
                              next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, INFERENCE, "batchInferenceJobs", next_token, max_results, parent=solution_version_arn)


def create_batch_segment_job(ctx: RequestContext, *, job_name: str, solution_version_arn: str, job_input: dict,
                             job_output: dict, role_arn: str, filter_arn: str | None = None,
                             num_results: int | None = None, tags: list | None = None) -> dict:
    recipe = _version_recipe(ctx, solution_version_arn, filter_arn, job_input, job_output)
    if recipe["recipeType"] != "USER_SEGMENTATION":
        raise InvalidInputException(f"Batch segment jobs need a USER_SEGMENTATION solution version; this one is "
                                    f"{recipe['name']} ({recipe['recipeType']}).")
    arn = ctx.arn(SEGMENT, job_name)
    record = compact(jobName=job_name, batchSegmentJobArn=arn, filterArn=filter_arn,
                     solutionVersionArn=solution_version_arn, numResults=num_results or 25, jobInput=job_input,
                     jobOutput=job_output, roleArn=role_arn)
    create_resource(ctx, SEGMENT, record, "batchSegmentJobArn", parent=solution_version_arn, tags=tags)
    return {"batchSegmentJobArn": arn}


def describe_batch_segment_job(ctx: RequestContext, *, batch_segment_job_arn: str) -> dict:
    return {"batchSegmentJob": ctx.store.get(SEGMENT, batch_segment_job_arn)}


def list_batch_segment_jobs(ctx: RequestContext, *, solution_version_arn: str | None = None,
                            next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, SEGMENT, "batchSegmentJobs", next_token, max_results, parent=solution_version_arn)


def _version_recipe(ctx: RequestContext, version_arn: str, filter_arn: str | None, job_input: dict,
                    job_output: dict) -> dict:
    version = ctx.store.get("solution-version", version_arn)
    require_active(version, "solutionVersionArn")
    if filter_arn:
        record = ctx.store.get("filter", filter_arn)
        if record["datasetGroupArn"] != version["datasetGroupArn"]:
            raise InvalidInputException(f"Filter {filter_arn} belongs to another dataset group.")
    source, target = job_input["s3DataSource"]["path"], job_output["s3DataDestination"]["path"]
    if not source.startswith("s3://"):
        raise InvalidInputException(f"Invalid S3 input path {source}.")
    if not target.startswith("s3://"):   # an output folder that holds the input is accepted, as by the service
        raise InvalidInputException(f"Invalid S3 output path {target}: it must be an s3:// folder.")
    return catalogue.recipe(version["recipeArn"])
