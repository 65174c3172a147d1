"""Batch inference jobs: JSON lines in S3 in, one output line per input line out, in the real format."""

import json
import uuid

import pytest

from tests import steps, synthetic

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
RECIPE = "arn:aws:personalize:::recipe/{}"


@pytest.fixture(scope="module")
def group(personalize, aws_client, wait_for):
    name = f"batch-{uuid.uuid4().hex[:6]}"
    loaded = steps.loaded_group(personalize, aws_client("s3"), wait_for, name, synthetic.two_tastes(seed=10))
    steps.add_items(personalize, aws_client("s3"), wait_for, loaded["group"], name, synthetic.items_of_two_tastes())
    return {"group": loaded["group"], "bucket": f"{name}-data", "name": name}


def run_job(personalize, s3, wait_for, group: dict, version: str, lines: list, name: str, **options) -> list[dict]:
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    s3.put_object(Bucket=group["bucket"], Key=f"{name}/in/queries.json", Body=body.encode())
    arn = personalize.create_batch_inference_job(
        jobName=name, solutionVersionArn=version, roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{group['bucket']}/{name}/in/queries.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{group['bucket']}/{name}/out/"}}, **options,
    )["batchInferenceJobArn"]
    job = wait_for(lambda: personalize.describe_batch_inference_job(batchInferenceJobArn=arn))
    assert job["jobInput"]["s3DataSource"]["path"].endswith("queries.json")
    keys = {entry["Key"] for entry in s3.list_objects_v2(Bucket=group["bucket"], Prefix=f"{name}/out/")["Contents"]}
    assert keys == {f"{name}/out/queries.json.out", f"{name}/out/_CHECK"}
    text = s3.get_object(Bucket=group["bucket"], Key=f"{name}/out/queries.json.out")["Body"].read().decode()
    return [json.loads(line) for line in text.splitlines()]


def test_user_recommendations_for_every_line_with_errors_on_bad_lines(personalize, aws_client, group, wait_for,
                                                                      unique_name):
    version = steps.trained_version(personalize, wait_for, group["group"], RECIPE.format("aws-popularity-count"),
                                    unique_name("pop"))
    out = run_job(personalize, aws_client("s3"), wait_for, group, version,
                  [{"userId": "user1"}, {"userId": "user2"}, "not json", {"itemId": "a1"}], unique_name("j"),
                  numResults=5)
    assert [line["input"] for line in out[:2]] == [{"userId": "user1"}, {"userId": "user2"}]
    assert out[0]["error"] is None and len(out[0]["output"]["recommendedItems"]) == 5
    assert "scores" not in out[0]["output"]   # popularity gives no scores
    assert out[2]["error"] and out[2]["output"] is None and out[3]["error"] and "userId" in out[3]["error"]
    listed = personalize.list_batch_inference_jobs(solutionVersionArn=version)["batchInferenceJobs"]
    assert len(listed) == 1 and listed[0]["status"] == "ACTIVE"


def test_related_items_lines_and_filters_with_per_line_values(personalize, aws_client, group, wait_for, unique_name):
    version = steps.trained_version(personalize, wait_for, group["group"], RECIPE.format("aws-sims"),
                                    unique_name("sims"))
    genre = personalize.create_filter(name=unique_name("f"), datasetGroupArn=group["group"],
                                      filterExpression="INCLUDE ItemID WHERE Items.GENRE IN ($GENRE)")["filterArn"]
    wait_for(lambda: personalize.describe_filter(filterArn=genre))
    out = run_job(personalize, aws_client("s3"), wait_for, group, version,
                  [{"itemId": "b5", "filterValues": {"GENRE": '"comedy"'}}, {"itemId": "b5"}], unique_name("j"),
                  filterArn=genre, numResults=10)
    assert all(item.startswith("a") for item in out[0]["output"]["recommendedItems"])
    assert "GENRE" in out[1]["error"] and out[1]["output"] is None   # INCLUDE needs its placeholder


def test_ranking_lines_rank_their_item_lists(personalize, aws_client, group, wait_for, unique_name):
    version = steps.trained_version(personalize, wait_for, group["group"],
                                    RECIPE.format("aws-personalized-ranking"), unique_name("rank"))
    out = run_job(personalize, aws_client("s3"), wait_for, group, version,
                  [{"userId": "user3", "itemList": ["a1", "b1", "zzz"]}], unique_name("j"))
    ranked = out[0]["output"]
    assert sorted(ranked["recommendedItems"]) == ["a1", "b1", "zzz"] and ranked["recommendedItems"][-1] == "zzz"


def test_batch_jobs_refuse_the_recipes_they_cannot_serve_and_outputs_outside_s3(personalize, group, wait_for,
                                                                               unique_name):
    version = steps.trained_version(personalize, wait_for, group["group"], RECIPE.format("aws-popularity-count"),
                                    unique_name("pop"))
    path = f"s3://{group['bucket']}/same/"
    with pytest.raises(personalize.exceptions.InvalidInputException) as caught:
        personalize.create_batch_inference_job(jobName=unique_name("j"), solutionVersionArn=version, roleArn=ROLE,
                                               jobInput={"s3DataSource": {"path": path}},
                                               jobOutput={"s3DataDestination": {"path": "https://example.com/out/"}})
    assert caught.value.response["Error"]["Message"] == (
        "Invalid S3 output path https://example.com/out/: it must be an s3:// folder.")
    with pytest.raises(personalize.exceptions.InvalidInputException,
                       match="need a USER_SEGMENTATION solution version; this one is aws-popularity-count"):
        personalize.create_batch_segment_job(jobName=unique_name("j"), solutionVersionArn=version, roleArn=ROLE,
                                             jobInput={"s3DataSource": {"path": path + "in.json"}},
                                             jobOutput={"s3DataDestination": {"path": path + "out/"}})


def test_theme_generation_adds_a_theme_to_similar_items(personalize, aws_client, group, wait_for, unique_name):
    version = steps.trained_version(personalize, wait_for, group["group"], RECIPE.format("aws-similar-items"),
                                    unique_name("similar"))
    out = run_job(personalize, aws_client("s3"), wait_for, group, version, [{"itemId": "a4"}], unique_name("j"),
                  batchInferenceJobMode="THEME_GENERATION",
                  themeGenerationConfig={"fieldsForThemeGeneration": {"itemName": "GENRE"}})
    assert out[0]["output"]["theme"] == "More like comedy" and len(out[0]["output"]["recommendedItems"]) == 25
