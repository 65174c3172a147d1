"""A batch inference job of 100k lines, timed: the issue's target is minutes on 2 cores.

    .venv/bin/python scripts/bench_batch.py [--lines 100000] [--recipe aws-user-personalization]

An emulator runs in this process; the data is synthetic (2,000 users walking through 1,000 items)."""

import argparse
import json
import pathlib
import tempfile
import time

import boto3
import numpy as np
from botocore.config import Config

from emulator.server import Server
from emulator.settings import Settings

SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": ['
          '{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},'
          ' {"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')


def wait(describe) -> float:
    started = time.monotonic()
    while True:
        record = next(iter(describe().values()))
        if record["status"] == "ACTIVE":
            return time.monotonic() - started
        if record["status"] == "CREATE FAILED":
            raise SystemExit(record.get("failureReason"))
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--recipe", default="aws-user-personalization")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Settings(port=0, data_dir=pathlib.Path(data_dir), status_seconds=0.0)).start_in_thread()
        try:
            def client(name):
                return boto3.client(name, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id="x",
                                    aws_secret_access_key="x", config=Config(retries={"max_attempts": 1}))
            personalize, s3 = client("personalize"), client("s3")
            rows = ["USER_ID,ITEM_ID,TIMESTAMP"]
            for user in range(args.users):
                position = int(rng.integers(1000))
                for step in range(20):
                    position = (position + 1) % 1000 if rng.random() < 0.7 else int(rng.integers(1000))
                    rows.append(f"u{user},i{position},{1_700_000_000 + user * 1000 + step}")
            s3.create_bucket(Bucket="batch")
            s3.put_object(Bucket="batch", Key="data.csv", Body="\n".join(rows).encode())
            lines = "".join(json.dumps({"userId": f"u{rng.integers(args.users)}"}) + "\n" for _ in range(args.lines))
            s3.put_object(Bucket="batch", Key="in/users.json", Body=lines.encode())
            schema = personalize.create_schema(name="b", schema=SCHEMA)["schemaArn"]
            group = personalize.create_dataset_group(name="b")["datasetGroupArn"]
            wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
            dataset = personalize.create_dataset(name="b", schemaArn=schema, datasetGroupArn=group,
                                                 datasetType="Interactions")["datasetArn"]
            wait(lambda: personalize.describe_dataset(datasetArn=dataset))
            job = personalize.create_dataset_import_job(jobName="b", datasetArn=dataset,
                                                        dataSource={"dataLocation": "s3://batch/data.csv"})
            wait(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job["datasetImportJobArn"]))
            solution = personalize.create_solution(name="b", datasetGroupArn=group,
                                                   recipeArn=f"arn:aws:personalize:::recipe/{args.recipe}")
            wait(lambda: personalize.describe_solution(solutionArn=solution["solutionArn"]))
            version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
            trained = wait(lambda: personalize.describe_solution_version(solutionVersionArn=version))
            batch = personalize.create_batch_inference_job(
                jobName="b", solutionVersionArn=version, roleArn="arn:aws:iam::123456789012:role/R",
                jobInput={"s3DataSource": {"path": "s3://batch/in/users.json"}},
                jobOutput={"s3DataDestination": {"path": "s3://batch/out/"}})["batchInferenceJobArn"]
            seconds = wait(lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=batch))
            out = s3.get_object(Bucket="batch", Key="out/users.json.out")["Body"].read().decode().splitlines()
            print(f"{args.recipe}: {len(rows) - 1} interactions trained in {trained:.1f} s")
            print(f"batch inference: {args.lines} lines in {seconds:.1f} s ({args.lines / seconds:.0f} lines/s), "
                  f"{len(out)} output lines, {sum(json.loads(line)['error'] is not None for line in out)} errors "
                  "(target: minutes)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
