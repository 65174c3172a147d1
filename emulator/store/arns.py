"""ARN formats of every Personalize resource kind. spec: personalize-behavior.md §2.2"""

import os
import secrets

PARTITION = "aws"


def arn(region: str, account: str, kind: str, *parts: str) -> str:
    return f"arn:{PARTITION}:personalize:{region}:{account}:{kind}/" + "/".join(parts)


def short_id() -> str:
    """The 8 lower-case hex digits that name event trackers and solution versions."""
    return secrets.token_hex(4)


def uuid4() -> str:
    """str(uuid.uuid4()) in half its time (a request id and a recommendation id on every GetRecommendations)."""
    number = int.from_bytes(os.urandom(16), "big") & ~(0xF000 << 64 | 0xC000 << 48) | (0x4000 << 64 | 0x8000 << 48)
    text = f"{number:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def kind_of(resource_arn: str) -> str | None:
    """'arn:aws:personalize:r:a:solution/x/1234abcd' -> 'solution-version' (the store kind)."""
    try:
        resource = resource_arn.split(":", 5)[5]
    except IndexError:
        return None
    kind, _, rest = resource.partition("/")
    if kind == "solution" and "/" in rest:
        return "solution-version"
    return kind


def dataset_arn(group_arn: str, dataset_type: str) -> str:
    """The ARN of a group's dataset of a type: 'dataset/<group name>/<TYPE>' in the group's region and account."""
    return group_arn.replace(":dataset-group/", ":dataset/", 1) + "/" + dataset_type


def sibling_dataset_arn(dataset: str, dataset_type: str) -> str:
    """The ARN of the dataset of another type in the same dataset group."""
    return dataset.rsplit("/", 1)[0] + "/" + dataset_type


def name_of(resource_arn: str) -> str:
    return resource_arn.rsplit("/", 1)[-1]
