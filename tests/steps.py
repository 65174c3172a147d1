"""Steps many tests take, written once: a dataset group loaded with interactions from S3."""

from tests import synthetic


def loaded_group(personalize, s3, wait, name: str, rows: list[tuple], bucket: str | None = None) -> dict:
    """Create a schema, an ACTIVE dataset group and its Interactions dataset, and import `rows` through
    `s3` (a client of the S3 the import reads). `wait(describe)` polls until ACTIVE."""
    bucket = bucket or f"{name}-data"
    if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=f"{name}.csv", Body=synthetic.to_csv(rows))
    schema = personalize.create_schema(name=name, schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
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
