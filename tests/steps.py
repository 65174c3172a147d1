"""Steps many tests take, written once: a dataset group loaded with interactions from S3."""

from tests import synthetic


def loaded_group(personalize, s3, wait, name: str, rows: list[tuple], bucket: str | None = None,
                 schema: str = synthetic.INTERACTIONS_SCHEMA, header: tuple[str, ...] = synthetic.HEADER,
                 domain: str | None = None) -> dict:
    """Create a schema, an ACTIVE dataset group (of a domain, if given) and its Interactions dataset, and import
    `rows` (columns `header`) through `s3` (a client of the S3 the import reads). `wait(describe)` polls until
    ACTIVE."""
    bucket = bucket or f"{name}-data"
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{name}.csv", Body=synthetic.to_csv(rows, header))
    in_domain = {"domain": domain} if domain else {}
    schema = personalize.create_schema(name=name, schema=schema, **in_domain)["schemaArn"]
    group = personalize.create_dataset_group(name=name, **in_domain)["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(name=name, schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName=name, datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{name}.csv"})
    imported = wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    return {"group": group, "dataset": dataset, "schema": schema, "job": imported}


def trained_version(personalize, wait, group: str, recipe_arn: str, name: str) -> str:
    """An ACTIVE solution version of a new solution with `recipe_arn`."""
    solution = personalize.create_solution(name=name, datasetGroupArn=group, recipeArn=recipe_arn)["solutionArn"]
    wait(lambda: personalize.describe_solution(solutionArn=solution))
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait(lambda: personalize.describe_solution_version(solutionVersionArn=version))
    return version


def add_items(personalize, s3, wait, group: str, name: str, rows: list[tuple], schema: str = synthetic.ITEMS_SCHEMA,
              header: tuple[str, ...] = ("ITEM_ID", "GENRE", "PRICE")) -> str:
    """An Items dataset in `group`, imported from `rows`; its ARN."""
    return add_records(personalize, s3, wait, group, name, "Items", rows, schema, header)


def add_records(personalize, s3, wait, group: str, name: str, dataset_type: str, rows: list[tuple], schema: str,
                header: tuple[str, ...]) -> str:
    """A dataset of `dataset_type` (Items, Users, Actions) in `group`, imported from `rows`; its ARN."""
    bucket, kind = f"{name}-data", dataset_type.lower()
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{kind}.csv", Body=synthetic.to_csv(rows, header=header))
    schema_arn = personalize.create_schema(name=f"{name}-{kind}", schema=schema)["schemaArn"]
    dataset = personalize.create_dataset(name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=group,
                                         datasetType=dataset_type)["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName=f"{name}-{kind}", datasetArn=dataset,
                                                dataSource={"dataLocation": f"s3://{bucket}/{kind}.csv"})
    wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
    return dataset


def campaign(personalize, wait, version: str, name: str, **config) -> str:
    """An ACTIVE campaign of `version`."""
    arn = personalize.create_campaign(name=name, solutionVersionArn=version,
                                      **({"campaignConfig": config} if config else {}))["campaignArn"]
    wait(lambda: personalize.describe_campaign(campaignArn=arn))
    return arn
