"""Jobs that move a dataset group's data: imports from S3, exports to S3, deletion of users' data."""

from emulator.api.personalize.common import compact, create_resource, list_page, require_active
from emulator.request_context import RequestContext
from emulator.errors import InvalidInputException, ResourceInUseException
from emulator.store import lifecycle

KIND = "dataset-import-job"


def create_dataset_import_job(ctx: RequestContext, *, job_name: str, dataset_arn: str, data_source: dict,
                              role_arn: str | None = None, tags: list | None = None,
                              import_mode: str | None = None,
                              publish_attribution_metrics_to_s3: bool | None = None) -> dict:
    dataset = ctx.store.get("dataset", dataset_arn)
    if not data_source.get("dataLocation"):
        raise InvalidInputException("Invalid Data location. dataSource.dataLocation is required.")
    import_mode = import_mode or "FULL"
    earlier = ctx.store.children(dataset_arn, KIND)
    if import_mode == "INCREMENTAL" and not any(job["status"] == lifecycle.ACTIVE for job in earlier):
        raise InvalidInputException("An INCREMENTAL import needs an earlier bulk import into the dataset; "
                                    "use importMode FULL for the first one.")
    if dataset["status"] not in (lifecycle.ACTIVE, lifecycle.CREATE_PENDING, lifecycle.CREATE_IN_PROGRESS):
        # a dataset still being created is fine: the job waits for it. spec: personalize-behavior.md §3.4
        raise ResourceInUseException(f"{dataset_arn} is {dataset['status']}; it must be ACTIVE for this request.")
    arn = ctx.arn(KIND, job_name)
    record = compact(jobName=job_name, datasetImportJobArn=arn, datasetArn=dataset_arn, dataSource=data_source,
                     roleArn=role_arn, importMode=import_mode,
                     publishAttributionMetricsToS3=publish_attribution_metrics_to_s3)
    create_resource(ctx, KIND, record, "datasetImportJobArn", parent=dataset_arn, tags=tags)
    return {"datasetImportJobArn": arn}


def describe_dataset_import_job(ctx: RequestContext, *, dataset_import_job_arn: str) -> dict:
    return {"datasetImportJob": ctx.store.get(KIND, dataset_import_job_arn)}


def list_dataset_import_jobs(ctx: RequestContext, *, dataset_arn: str | None = None,
                             next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, KIND, "datasetImportJobs", next_token, max_results, parent=dataset_arn)


EXPORT, DELETION = "dataset-export-job", "data-deletion-job"


def create_dataset_export_job(ctx: RequestContext, *, job_name: str, dataset_arn: str, role_arn: str,
                              job_output: dict, ingestion_mode: str | None = None, tags: list | None = None) -> dict:
    require_active(ctx.store.get("dataset", dataset_arn), "datasetArn")
    arn = ctx.arn(EXPORT, job_name)
    record = compact(jobName=job_name, datasetExportJobArn=arn, datasetArn=dataset_arn,
                     ingestionMode=ingestion_mode or "PUT", roleArn=role_arn, jobOutput=job_output)
    create_resource(ctx, EXPORT, record, "datasetExportJobArn", parent=dataset_arn, tags=tags)
    return {"datasetExportJobArn": arn}


def describe_dataset_export_job(ctx: RequestContext, *, dataset_export_job_arn: str) -> dict:
    return {"datasetExportJob": ctx.store.get(EXPORT, dataset_export_job_arn)}


def list_dataset_export_jobs(ctx: RequestContext, *, dataset_arn: str | None = None,
                             next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, EXPORT, "datasetExportJobs", next_token, max_results, parent=dataset_arn)


def create_data_deletion_job(ctx: RequestContext, *, job_name: str, dataset_group_arn: str, data_source: dict,
                             role_arn: str, tags: list | None = None) -> dict:
    require_active(ctx.store.get("dataset-group", dataset_group_arn), "datasetGroupArn")
    if not data_source.get("dataLocation"):
        raise InvalidInputException("Invalid Data location. dataSource.dataLocation is required.")
    arn = ctx.arn(DELETION, job_name)
    record = compact(jobName=job_name, dataDeletionJobArn=arn, datasetGroupArn=dataset_group_arn,
                     dataSource=data_source, roleArn=role_arn)
    create_resource(ctx, DELETION, record, "dataDeletionJobArn", group=dataset_group_arn, parent=dataset_group_arn,
                    tags=tags, status=lifecycle.PENDING, task="delete_users")
    return {"dataDeletionJobArn": arn}


def describe_data_deletion_job(ctx: RequestContext, *, data_deletion_job_arn: str) -> dict:
    return {"dataDeletionJob": ctx.store.get(DELETION, data_deletion_job_arn)}


def list_data_deletion_jobs(ctx: RequestContext, *, dataset_group_arn: str | None = None,
                            next_token: str | None = None, max_results: int | None = None) -> dict:
    return list_page(ctx, DELETION, "dataDeletionJobs", next_token, max_results, parent=dataset_group_arn)
