"""The service's quotas, on a server of their own (the shared test server lifts them)."""

import pytest

from tests.servers import clients, own_server


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    with own_server(tmp_path_factory.mktemp("quotas")) as server:
        yield clients(server)("personalize")


def test_a_sixth_dataset_group_exceeds_the_limit_until_one_is_deleted(limited, wait_for):
    groups = [limited.create_dataset_group(name=f"g{n}")["datasetGroupArn"] for n in range(5)]
    with pytest.raises(limited.exceptions.LimitExceededException,
                       match="Cannot create a dataset group. More than 5 dataset groups exist"):
        limited.create_dataset_group(name="g5")
    wait_for(lambda: limited.describe_dataset_group(datasetGroupArn=groups[0]))
    limited.delete_dataset_group(datasetGroupArn=groups[0])
    assert limited.create_dataset_group(name="g5")["datasetGroupArn"].endswith("/g5")


def test_an_eleventh_solution_in_a_group_exceeds_the_limit(limited, wait_for):
    group = limited.list_dataset_groups()["datasetGroups"][0]["datasetGroupArn"]   # the newest, g5
    wait_for(lambda: limited.describe_dataset_group(datasetGroupArn=group))
    for n in range(10):
        limited.create_solution(name=f"s{n}", datasetGroupArn=group,
                                recipeArn="arn:aws:personalize:::recipe/aws-popularity-count")
    with pytest.raises(limited.exceptions.LimitExceededException) as caught:
        limited.create_solution(name="s10", datasetGroupArn=group,
                                recipeArn="arn:aws:personalize:::recipe/aws-popularity-count")
    assert "Cannot create a solution. More than 10 resources" in caught.value.response["Error"]["Message"]

