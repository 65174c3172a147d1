"""getting_started/notebooks_managed_domains: Building_Your_First_Recommender_Ecommerce and
Building_Your_First_Recommender_Video_On_Demand, each followed by Clean_Up_Resources, run as "Run All" would:
domain schemas, imports created right after their datasets (the e-commerce file written by to_csv(path), so
with pandas' index), two recommenders created back to back and then polled one after the other."""

import datetime
import json
import uuid

from tests import synthetic
from tests.scenarios import samples


def domain_schema(name: str, fields: list[dict]) -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "fields": fields, "version": "1.0"})


def test_ecommerce_recommender_notebook_runs_all_to_the_end(personalize, personalize_runtime, aws_client,
                                                            wait_for):
    suffix = uuid.uuid4().hex[:6]
    s3, iam = aws_client("s3"), aws_client("iam")
    bucket = samples.bucket(s3, f"123456789012-us-east-1-personalizemanagedretailers-{suffix}", policy=False)
    # the retail demo store's items are UUIDs, its users numbers; one event in five a purchase
    rows = [(str(uuid.uuid5(uuid.NAMESPACE_URL, item)), user[4:],
             "Purchase" if step % 5 == 4 else "View", timestamp)
            for step, (user, item, timestamp) in enumerate(synthetic.two_tastes(seed=11))]
    s3.put_object(Bucket=bucket, Key="cleaned_training_data.csv",   # df.to_csv(path) after dropping DISCOUNT
                  Body=samples.to_csv(["ITEM_ID", "USER_ID", "EVENT_TYPE", "TIMESTAMP"], rows))
    samples.bucket_policy(s3, bucket)

    group = personalize.create_dataset_group(name=f"personalize_ecomemerce_ds_group_{suffix}",
                                             domain="ECOMMERCE")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name=f"personalize-ecommerce-interatn_group-{suffix}", domain="ECOMMERCE",
                                       schema=samples.INTERACTIONS_WITH_EVENT_TYPE)["schemaArn"]
    dataset = personalize.create_dataset(name=f"personalize_ecommerce_demo_interactions_{suffix}",
                                         datasetType="INTERACTIONS", datasetGroupArn=group,
                                         schemaArn=schema)["datasetArn"]
    role_name = f"PersonalizeRoleEcommerceDemoRecommender-{suffix}"
    role = samples.role(iam, role_name)
    job = personalize.create_dataset_import_job(
        jobName=f"personalize_ecommerce_demo_interactions_import_{suffix}", datasetArn=dataset, roleArn=role,
        dataSource={"dataLocation": f"s3://{bucket}/cleaned_training_data.csv"})["datasetImportJobArn"]
    wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))

    recipes = [recipe["recipeArn"] for recipe in personalize.list_recipes(domain="ECOMMERCE")["recipes"]]
    assert len(recipes) == 5
    viewed_x = personalize.create_recommender(
        name=f"viewed_x_also_viewed_demo_{suffix}", datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-ecomm-customers-who-viewed-x-also-viewed")["recommenderArn"]
    for_you = personalize.create_recommender(
        name=f"recommended_for_you_demo_{suffix}", datasetGroupArn=group,
        recipeArn="arn:aws:personalize:::recipe/aws-ecomm-recommended-for-you")["recommenderArn"]
    for arn in (viewed_x, for_you):
        wait_for(lambda: personalize.describe_recommender(recommenderArn=arn), timeout=300)

    products = {row[0] for row in rows}
    also_viewed = personalize_runtime.get_recommendations(recommenderArn=viewed_x, itemId=rows[0][0], userId="7",
                                                          numResults=10)["itemList"]
    assert 0 < len(also_viewed) <= 10 and {item["itemId"] for item in also_viewed} <= products
    for_user = personalize_runtime.get_recommendations(recommenderArn=for_you, userId="7", numResults=20)["itemList"]
    assert len(for_user) == 20 and {item["itemId"] for item in for_user} <= products

    assert samples.delete_dataset_group(personalize, group)[0].startswith("DELETE")
    samples.remove_role(iam, role_name)


def test_video_on_demand_recommender_notebook_runs_all_to_the_end(personalize, personalize_runtime, aws_client,
                                                                  wait_for):
    stored = {"suffix": uuid.uuid4().hex[:6]}
    s3, iam = aws_client("s3"), aws_client("iam")
    write_the_vod_files(s3, stored)
    import_the_vod_datasets(personalize, iam, wait_for, stored)
    create_the_vod_recommenders(personalize, wait_for, stored)
    recommend_movies(personalize_runtime, stored)

    assert samples.delete_dataset_group(personalize, stored["group"])[0].startswith("DELETE")
    role_name = stored["role_name"]
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]] == \
        list(samples.MANAGED_POLICIES)
    samples.remove_role(iam, role_name)


def write_the_vod_files(s3, stored: dict) -> None:
    """Interactions (every event the notebook's 'watch'), items and users CSVs in a bucket."""
    ratings = samples.movielens_ratings(seed=12)
    watched = [(u, i, t, "watch") for u, i, r, t in ratings if r > 3]
    created = datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc).strftime("%s")
    items = [(item, "Comedy|Romance" if item % 2 else "Drama", str(1960 + item % 50), created)
             for item in sorted({i for _, i, _, _ in watched})]
    users = [(user, "female" if user % 2 else "male") for user in sorted({u for u, _, _, _ in watched})]
    bucket = samples.bucket(s3, f"123456789012-us-east-1-personalizemanagedvod-{stored['suffix']}", policy=False)
    for key, columns, rows in (("interactions.csv", ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], watched),
                               ("items.csv", ["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"], items),
                               ("users.csv", ["USER_ID", "GENDER"], users)):
        s3.put_object(Bucket=bucket, Key=key, Body=samples.to_csv(columns, rows, index=False))
    samples.bucket_policy(s3, bucket)
    stored.update(bucket=bucket, movies={str(item) for item, _, _, _ in items})


def import_the_vod_datasets(personalize, iam, wait_for, stored: dict) -> None:
    """Three domain schemas and datasets, each import created right after its dataset."""
    suffix = stored["suffix"]
    group = personalize.create_dataset_group(name=f"personalize-video-on-demand-ds-group-{suffix}",
                                             domain="VIDEO_ON_DEMAND")["datasetGroupArn"]
    wait_for(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schemas = {
        "INTERACTIONS": samples.INTERACTIONS_WITH_EVENT_TYPE,
        "ITEMS": domain_schema("Items", [
            {"name": "ITEM_ID", "type": "string"}, {"name": "GENRES", "type": ["string"], "categorical": True},
            {"name": "YEAR", "type": ["string"], "categorical": True}, {"name": "CREATION_TIMESTAMP", "type": "long"}]),
        "USERS": domain_schema("Users", [{"name": "USER_ID", "type": "string"},
                                         {"name": "GENDER", "type": "string", "categorical": True}])}
    schema_arns = {kind: personalize.create_schema(name=f"personalize-demo-{kind.lower()}-schema-{suffix}",
                                                   schema=schema, domain="VIDEO_ON_DEMAND")["schemaArn"]
                   for kind, schema in schemas.items()}
    datasets = {kind: personalize.create_dataset(name=f"personalize-demo-{kind.lower()}-{suffix}", datasetType=kind,
                                                 datasetGroupArn=group, schemaArn=schema_arns[kind])["datasetArn"]
                for kind in schemas}
    role_name = f"PersonalizeRoleVODDemoRecommender-{suffix}"
    role = samples.role(iam, role_name)
    jobs = {kind: personalize.create_dataset_import_job(
        jobName=f"personalize-demo-import-{kind.lower()}-{suffix}", datasetArn=datasets[kind], roleArn=role,
        dataSource={"dataLocation": f"s3://{stored['bucket']}/{kind.lower()}.csv"})["datasetImportJobArn"]
        for kind in schemas}
    for job in jobs.values():
        wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))
    stored.update(group=group, role_name=role_name)


def create_the_vod_recommenders(personalize, wait_for, stored: dict) -> None:
    """Two recommenders created back to back, then polled one after the other."""
    suffix, group = stored["suffix"], stored["group"]
    listed = personalize.list_recipes(domain="VIDEO_ON_DEMAND")
    if not listed["recipes"]:   # the notebook's workaround for an empty first page
        listed = personalize.list_recipes(domain="VIDEO_ON_DEMAND", nextToken=listed["nextToken"])
    assert len(listed["recipes"]) == 5
    more_like_x = personalize.create_recommender(name=f"more_like_x_demo_{suffix}", datasetGroupArn=group,
                                                 recipeArn="arn:aws:personalize:::recipe/aws-vod-more-like-x"
                                                 )["recommenderArn"]
    top_picks = personalize.create_recommender(name=f"top_picks_for_you_demo_{suffix}", datasetGroupArn=group,
                                               recipeArn="arn:aws:personalize:::recipe/aws-vod-top-picks"
                                               )["recommenderArn"]
    for arn in (more_like_x, top_picks):
        wait_for(lambda: personalize.describe_recommender(recommenderArn=arn), timeout=300)
    stored.update(more_like_x=more_like_x, top_picks=top_picks)


def recommend_movies(runtime, stored: dict) -> None:
    movies = stored["movies"]
    similar = runtime.get_recommendations(recommenderArn=stored["more_like_x"], userId="1", itemId="8",
                                          numResults=20)["itemList"]
    assert similar and {item["itemId"] for item in similar} <= movies   # the notebook int()s each id
    picks = runtime.get_recommendations(recommenderArn=stored["top_picks"], userId="11", numResults=20)["itemList"]
    assert picks and {item["itemId"] for item in picks} <= movies
