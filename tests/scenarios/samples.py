"""What the AWS sample notebooks (aws-samples/amazon-personalize-samples) do around their Personalize calls,
written once: the files pandas writes, the S3 bucket and IAM role they set up, the polling loops of their
clean-up cells, and data shaped like the MovieLens and retail files they download (generated, small)."""

import csv
import io
import json

import numpy as np
from botocore.exceptions import ClientError

from tests import synthetic

ASSUME_ROLE = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
MANAGED_POLICIES = ("arn:aws:iam::aws:policy/service-role/AmazonPersonalizeFullAccess",
                    "arn:aws:iam::aws:policy/AmazonS3FullAccess")
INTERACTIONS_WITH_EVENT_TYPE = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "EVENT_TYPE", "type": "string"}, {"name": "TIMESTAMP", "type": "long"}],
    "version": "1.0"})


def to_csv(columns: list[str], rows: list[tuple], index: bool | list = True) -> bytes:
    """The bytes of pandas' DataFrame(rows, columns=columns).to_csv(path, index=index) on Linux: UTF-8, minimal
    quoting, "\\n" line ends, None as an empty cell, and with an index (pandas' default) a leading column whose
    header is empty and whose values are the index labels: row positions, or the labels given."""
    labels = index if isinstance(index, list) else list(range(len(rows))) if index else None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(([""] if labels is not None else []) + list(columns))
    for position, row in enumerate(rows):
        cells = ["" if value is None else value for value in row]
        writer.writerow(([labels[position]] if labels is not None else []) + cells)
    return out.getvalue().encode("utf-8")


def bucket(s3, name: str, policy: bool = True) -> str:
    """A bucket with the policy the samples put on it so that Personalize may read it."""
    s3.create_bucket(Bucket=name)
    if policy:
        bucket_policy(s3, name)
    return name


def bucket_policy(s3, name: str) -> None:
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17", "Id": "PersonalizeS3BucketAccessPolicy", "Statement": [{
            "Sid": "PersonalizeS3BucketAccessPolicy", "Effect": "Allow",
            "Principal": {"Service": "personalize.amazonaws.com"}, "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}]}))


def role(iam, name: str, policies: tuple[str, ...] = MANAGED_POLICIES) -> str:
    """The service role the samples create for Personalize; its ARN. (They then sleep a minute for IAM to
    propagate; against the emulator there is nothing to wait for.)"""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE))["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


def s3_reader_role(iam, name: str) -> str:
    """The SIMS and temporal hold-out notebooks' role cell: a role with S3 read-only access, or the existing one."""
    try:
        return role(iam, name, policies=("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",))
    except ClientError as error:
        if error.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def remove_role(iam, name: str, policies: tuple[str, ...] = MANAGED_POLICIES) -> None:
    for policy in policies:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy)
    iam.delete_role(RoleName=name)


def is_gone(describe) -> bool:
    """True once describe() raises ResourceNotFoundException: the test the samples' clean-up loops make."""
    try:
        describe()
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return True
        raise
    return False


def wait_until_gone(describe, timeout: float = 60.0) -> None:
    """Poll like the samples' clean-up loops (they sleep 10-60 s between polls; we do not)."""
    import time
    deadline = time.monotonic() + timeout
    while not is_gone(describe):
        assert time.monotonic() < deadline, f"still there after {timeout} s: {describe()}"
        time.sleep(0.02)


def movielens_ratings(users: int = 60, items: int = 100, per_user: int = 30, seed: int = 0) -> list[tuple]:
    """(USER_ID, ITEM_ID, RATING, TIMESTAMP) rows like MovieLens' u.data: numeric ids, ratings 1-5, where the
    two-tastes walk decides the items (tests.synthetic) and a rating above 3 is most likely."""
    rng = np.random.default_rng(seed)
    ids = {}
    rows = []
    for user, item, timestamp in synthetic.two_tastes(users=users, items=items, per_user=per_user, seed=seed):
        numeric_item = ids.setdefault(item, len(ids) + 1)
        rows.append((int(user[4:]) + 1, numeric_item, int(rng.choice([2, 4, 4, 5, 5])), timestamp))
    return rows


def latin1_item_file(items: int = 100) -> bytes:
    """A u.item-like file (ITEM_ID|TITLE|...), Latin-1 encoded as MovieLens-100K's is, with titles that have
    commas, quotes and accented letters."""
    titles = ["Café Society, The (1995)", 'Señor "Bob" (1994)', "Jürgen's Day (1996)", "Plain Title (1997)"]
    lines = [f"{n}|{titles[n % len(titles)]}|01-Jan-1995||http://example.com/{n}|0" for n in range(1, items + 1)]
    return ("\n".join(lines) + "\n").encode("latin-1")


def read_titles(latin1_file: bytes) -> dict[str, str]:
    """What the samples' pd.read_csv(u.item, sep='|', encoding='latin-1', usecols=[0, 1]) gives: id -> title."""
    rows = csv.reader(io.StringIO(latin1_file.decode("latin-1")), delimiter="|")
    return {row[0]: row[1] for row in rows if row}


def delete_dataset_group(personalize, group: str) -> list[str]:
    """The clean-up the domain, trending-now and several other samples share: delete in dependency order,
    each kind polled until Describe raises ResourceNotFoundException, then the schemas and the group. Returns
    the statuses Describe showed right after DeleteDatasetGroup (the samples' last loop stops at the first
    answer, and would spin for 30 minutes if the group were already gone)."""
    solutions = [s["solutionArn"] for page in personalize.get_paginator("list_solutions").paginate(
        datasetGroupArn=group) for s in page["solutions"]]
    campaigns = [c for solution in solutions for page in personalize.get_paginator("list_campaigns").paginate(
        solutionArn=solution) for c in page["campaigns"]]
    kinds = [
        ("recommender", personalize.list_recommenders(datasetGroupArn=group)["recommenders"]),
        ("campaign", campaigns),
        ("solution", [personalize.describe_solution(solutionArn=arn)["solution"] for arn in solutions]),
        ("eventTracker", [t for page in personalize.get_paginator("list_event_trackers").paginate(
            datasetGroupArn=group) for t in page["eventTrackers"]]),
        ("filter", personalize.list_filters(datasetGroupArn=group, maxResults=100)["Filters"]),
    ]
    for kind, records in kinds:
        _delete_all(personalize, kind, records)
    datasets = [d for page in personalize.get_paginator("list_datasets").paginate(datasetGroupArn=group)
                for d in page["datasets"]]
    schemas = [personalize.describe_dataset(datasetArn=d["datasetArn"])["dataset"]["schemaArn"] for d in datasets]
    _delete_all(personalize, "dataset", datasets)
    for schema in schemas:
        try:
            personalize.delete_schema(schemaArn=schema)
        except personalize.exceptions.ResourceInUseException:
            pass   # the samples skip a schema another group's dataset still uses
    personalize.delete_dataset_group(datasetGroupArn=group)
    seen = [personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]]
    wait_until_gone(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    return seen


def _delete_all(personalize, kind: str, records: list[dict]) -> None:
    """Delete every record that is ACTIVE or CREATE FAILED (INACTIVE too for recommenders), leave those already
    deleting, refuse any other status as the samples do; then poll until all are gone."""
    delete, describe = getattr(personalize, f"delete_{_snake(kind)}"), getattr(personalize, f"describe_{_snake(kind)}")
    key = f"{kind}Arn"
    for record in records:
        if record["status"] in ("ACTIVE", "CREATE FAILED", "INACTIVE"):
            delete(**{key: record[key]})
        else:
            assert record["status"].startswith("DELETE"), f"{record[key]} is {record['status']}: cannot delete"
    for record in records:
        wait_until_gone(lambda: describe(**{key: record[key]}))


def _snake(kind: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in kind)


def clicks_and_watches(ratings: list[tuple], click: str = "Click", watch: str = "Watch") -> tuple[list, list]:
    """What trending-now and POC-in-a-box build from MovieLens ratings: every rating above 1 as a click, every
    rating above 3 also as a watch, appended and sorted by time. Returns (index labels, rows of USER_ID,
    ITEM_ID, TIMESTAMP, EVENT_TYPE): the labels are the ratings' row numbers, so they repeat and are unordered,
    as pandas writes them."""
    clicked = [(n, (u, i, t, click)) for n, (u, i, r, t) in enumerate(ratings) if r > 1]
    watched = [(n, (u, i, t, watch)) for n, (u, i, r, t) in enumerate(ratings) if r > 3]
    both = sorted(clicked + watched, key=lambda pair: pair[1][2])
    return [label for label, _ in both], [row for _, row in both]
