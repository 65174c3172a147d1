"""next_steps/core_use_cases/trending_now/trending_now_example.ipynb, run as "Run All" would: a CSV written by
`DataFrame.to_csv(path)` (pandas' index as an unnamed first column), the import right after the dataset,
a Trending-Now version right after its solution, recommendations without a user, streamed watches, and the
notebook's own clean-up loop."""

import time
import uuid

from tests.scenarios import samples

TRENDING_NOW = "arn:aws:personalize:::recipe/aws-trending-now"


def test_trending_now_notebook_runs_all_to_the_end(personalize, personalize_runtime, personalize_events,
                                                   aws_client, wait_for):
    suffix = uuid.uuid4().hex[:6]
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = samples.bucket(s3, f"123456789012-us-east-1-personalize-trending-now-{suffix}")
    labels, interactions = samples.clicks_and_watches(samples.movielens_ratings(seed=2))
    s3.put_object(Bucket=bucket, Key="curated_interactions_training_data.csv",   # to_csv(path): index included
                  Body=samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], interactions, index=labels))

    group = personalize.create_dataset_group(name=f"trending_now_dataset_group_{suffix}")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=f"trending-now-interaction-dataset-schema-{suffix}",
                                       schema=samples.INTERACTIONS_WITH_EVENT_TYPE)["schemaArn"]
    dataset = personalize.create_dataset(name=f"trending-now-interactions-{suffix}", datasetType="INTERACTIONS",
                                         datasetGroupArn=group, schemaArn=schema)["datasetArn"]
    role_name = f"PersonalizeRoleTrendingNow-{suffix}"
    role = samples.role(iam, role_name)
    job = personalize.create_dataset_import_job(
        jobName=f"trending_now_interactions_import_{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/curated_interactions_training_data.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))

    solution = personalize.create_solution(
        name=f"trending-now-solution-{suffix}", recipeArn=TRENDING_NOW, datasetGroupArn=group,
        solutionConfig={"featureTransformationParameters": {"trend_discovery_frequency": "30 minutes"}})["solutionArn"]
    version = personalize.create_solution_version(solutionArn=solution, trainingMode="FULL")["solutionVersionArn"]
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=300)
    assert personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["trainingMode"] == "FULL"

    campaign = personalize.create_campaign(name=f"trending-now-campaign-{suffix}", solutionVersionArn=version,
                                           minProvisionedTPS=1)["campaignArn"]
    wait_for(lambda: personalize.describe_campaign(campaignArn=campaign))
    known = {str(item) for _, item, _, _ in interactions}
    trending = personalize_runtime.get_recommendations(campaignArn=campaign, numResults=25)["itemList"]
    assert trending and all(item["itemId"] in known for item in trending)   # the notebook int()s each id

    tracker = personalize.create_event_tracker(name=f"trending-now-event-tracker-{suffix}", datasetGroupArn=group)
    wait_for(lambda: personalize.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]))  # it sleeps 60 s
    users = sorted({user for user, _, _, _ in interactions})[:10]
    items = sorted({item for _, item, _, _ in interactions})[:10]
    for _ in range(3):   # the notebook makes 25 rounds, one call a second; 3 rounds show the same calls
        for user in users:
            session_id = str(uuid.uuid4())
            for item in items:
                personalize_events.put_events(trackingId=tracker["trackingId"], userId=str(user),
                                              sessionId=session_id,
                                              eventList=[{"eventType": "Watch", "itemId": str(item),
                                                          "sentAt": int(time.time())}])
    trending = personalize_runtime.get_recommendations(campaignArn=campaign, numResults=25)["itemList"]
    assert trending and all(item["itemId"] in known for item in trending)

    assert samples.delete_dataset_group(personalize, group)[0].startswith("DELETE")
    samples.remove_role(iam, role_name)
