"""CSV files as the samples' pandas calls write them, imported the moment their dataset is created: with the
index that DataFrame.to_csv(path) writes first (trending-now, the e-commerce domain notebook), and with titles
read from MovieLens' Latin-1 u.item (encoding='latin-1', as the samples declare) and written back by to_csv,
which writes UTF-8 and quotes the fields that hold commas or quotes."""

import json
import uuid

from tests.scenarios import samples

ITEMS_WITH_TITLE = json.dumps({
    "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "TITLE", "type": "string", "textual": True},
               {"name": "GENRE", "type": "string", "categorical": True}],
    "version": "1.0"})


def import_now(personalize, wait_for, group: str, kind: str, schema: str, location: str) -> dict:
    schema_arn = personalize.create_schema(name=f"{kind.lower()}-{uuid.uuid4().hex[:8]}", schema=schema)["schemaArn"]
    dataset = personalize.create_dataset(name=f"{kind.lower()}-{uuid.uuid4().hex[:8]}", datasetType=kind,
                                         datasetGroupArn=group, schemaArn=schema_arn)["datasetArn"]
    job = personalize.create_dataset_import_job(jobName=f"import-{uuid.uuid4().hex[:8]}", datasetArn=dataset,
                                                dataSource={"dataLocation": location})["datasetImportJobArn"]
    return wait_for(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job))


def test_a_csv_with_pandas_index_imports(personalize, s3, bucket, dataset_group, wait_for):
    labels, rows = samples.clicks_and_watches(samples.movielens_ratings(seed=13))
    body = samples.to_csv(["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE"], rows, index=labels)
    assert body.startswith(b",USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n")
    s3.put_object(Bucket=bucket, Key="with-index.csv", Body=body)
    assert import_now(personalize, wait_for, dataset_group, "INTERACTIONS", samples.INTERACTIONS_WITH_EVENT_TYPE,
                      f"s3://{bucket}/with-index.csv")["status"] == "ACTIVE"


def test_latin1_titles_written_by_pandas_import_with_their_quotes_and_accents(personalize, s3, bucket, dataset_group,
                                                                              wait_for):
    titles = samples.read_titles(samples.latin1_item_file(items=8))
    rows = [(item, title, "Comedy|Drama") for item, title in titles.items()]
    body = samples.to_csv(["ITEM_ID", "TITLE", "GENRE"], rows, index=False)
    assert '"Café Society, The (1995)"'.encode() in body and b'"Se\xc3\xb1or ""Bob"" (1994)"' in body
    s3.put_object(Bucket=bucket, Key="titles.csv", Body=body)
    assert import_now(personalize, wait_for, dataset_group, "ITEMS", ITEMS_WITH_TITLE,
                      f"s3://{bucket}/titles.csv")["status"] == "ACTIVE"
