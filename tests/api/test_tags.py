"""Tags: given at creation, added, replaced, removed, with the service's limits."""

import re

import pytest


def tags(**pairs) -> list[dict]:
    return [{"tagKey": key, "tagValue": value} for key, value in pairs.items()]


def test_tags_given_at_creation_are_listed(personalize, unique_name):
    arn = personalize.create_dataset_group(name=unique_name("tagged"), tags=tags(team="search"))["datasetGroupArn"]
    assert personalize.list_tags_for_resource(resourceArn=arn)["tags"] == tags(team="search")


def test_tagging_merges_and_overwrites_by_key_and_untagging_removes(personalize, dataset_group):
    personalize.tag_resource(resourceArn=dataset_group, tags=tags(team="search", stage="dev"))
    personalize.tag_resource(resourceArn=dataset_group, tags=tags(stage="prod"))
    listed = {tag["tagKey"]: tag["tagValue"]
              for tag in personalize.list_tags_for_resource(resourceArn=dataset_group)["tags"]}
    assert listed == {"team": "search", "stage": "prod"}
    personalize.untag_resource(resourceArn=dataset_group, tagKeys=["team", "absent"])
    assert personalize.list_tags_for_resource(resourceArn=dataset_group)["tags"] == tags(stage="prod")


def test_more_than_50_tags_are_too_many(personalize, dataset_group):
    personalize.tag_resource(resourceArn=dataset_group, tags=tags(**{f"k{n}": "v" for n in range(40)}))
    with pytest.raises(personalize.exceptions.TooManyTagsException, match="at most 50 tags; 51 were given"):
        personalize.tag_resource(resourceArn=dataset_group, tags=tags(**{f"more{n}": "v" for n in range(11)}))
    assert len(personalize.list_tags_for_resource(resourceArn=dataset_group)["tags"]) == 40


def test_removing_more_than_50_keys_at_once_is_too_many_keys(personalize, dataset_group):
    with pytest.raises(personalize.exceptions.TooManyTagKeysException,
                       match="At most 50 tag keys can be removed at once; 51 were given"):
        personalize.untag_resource(resourceArn=dataset_group, tagKeys=[f"k{n}" for n in range(51)])


def test_the_aws_prefix_is_reserved(personalize, dataset_group):
    with pytest.raises(personalize.exceptions.InvalidInputException, match=r"reserved prefix aws: \(aws:owner\)"):
        personalize.tag_resource(resourceArn=dataset_group, tags=tags(**{"aws:owner": "me"}))


def test_tagging_a_missing_resource_is_not_found(personalize, arn_for):
    missing = arn_for("campaign", "nothing")
    with pytest.raises(personalize.exceptions.ResourceNotFoundException, match=f"{re.escape(missing)} does not exist"):
        personalize.tag_resource(resourceArn=missing, tags=tags(a="b"))
