"""next_steps/core_use_cases/related_items/personalize_sims_example.ipynb, run as "Run All" would: all ratings
written with to_csv(index=False), the bucket policy and an S3-read-only role between dataset and import, a
SIMS version right after its solution, related items for an item without a user, then an HPO solution whose
version is likewise created at once. The notebook has no clean-up."""

import uuid

from tests import synthetic
from tests.scenarios import samples

SIMS = "arn:aws:personalize:::recipe/aws-sims"
METRICS = {"coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
           "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
           "precision_at_5", "precision_at_10", "precision_at_25"}   # the saved output's eight keys


def test_sims_notebook_runs_all_to_the_end(personalize, personalize_runtime, aws_client, wait_for):
    suffix = uuid.uuid4().hex[:5]
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = samples.bucket(s3, f"demo-sims-{suffix}", policy=False)   # `aws s3 mb`; the policy comes later
    ratings = samples.movielens_ratings(seed=4)
    s3.put_object(Bucket=bucket, Key="DEMO-sims.csv", Body=samples.to_csv(
        ["USER_ID", "ITEM_ID", "TIMESTAMP"], [(u, i, t) for u, i, _, t in ratings], index=False))

    schema = personalize.create_schema(name=f"DEMO-sims-schema-{suffix}",
                                       schema=synthetic.INTERACTIONS_SCHEMA)["schemaArn"]
    group = personalize.create_dataset_group(name=f"DEMO-sims-dataset-group-{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    dataset = personalize.create_dataset(datasetType="INTERACTIONS", datasetGroupArn=group, schemaArn=schema,
                                         name=f"DEMO-sims-dataset-{suffix}")["datasetArn"]
    samples.bucket_policy(s3, bucket)
    role = samples.s3_reader_role(iam, f"PersonalizeS3Role-{suffix}")
    assert samples.s3_reader_role(iam, f"PersonalizeS3Role-{suffix}") == role   # a second run finds the role
    job = personalize.create_dataset_import_job(
        jobName=f"DEMO-sims-dataset-import-job-{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/DEMO-sims.csv"})["datasetImportJobArn"]
    imported = wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    assert "latestDatasetImportJobRun" not in imported   # the notebook's poll reads status when it is absent

    assert SIMS in [recipe["recipeArn"] for recipe in personalize.list_recipes()["recipes"]]
    solution = personalize.create_solution(name=f"DEMO-sims-solution-{suffix}", datasetGroupArn=group,
                                           recipeArn=SIMS)["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert set(personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]) == METRICS
    campaign = personalize.create_campaign(name=f"DEMO-sims-campaign-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=2)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))
    for item in ("5", "2"):
        related = personalize_runtime.get_recommendations(campaignArn=campaign, itemId=item)["itemList"]
        assert len(related) >= 5 and item not in [r["itemId"] for r in related]
        assert all(r["itemId"].isdigit() for r in related)   # the notebook int()s each id

    tuned = personalize.create_solution(
        name=f"DEMO-sims-solution-hpo-{suffix}", datasetGroupArn=group, recipeArn=SIMS, performHPO=True,
        solutionConfig={"hpoConfig": {"hpoResourceConfig": {"maxNumberOfTrainingJobs": "40",
                                                            "maxParallelTrainingJobs": "10"}}})["solutionArn"]
    tuned_version = personalize.create_solution_version(solutionArn=tuned)["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=tuned_version), timeout=300)
    assert set(personalize.get_solution_metrics(solutionVersionArn=tuned_version)["metrics"]) == METRICS
    assert personalize_runtime.get_recommendations(campaignArn=campaign, itemId="5")["itemList"]

