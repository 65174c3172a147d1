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


def to_csv(columns: list[str], rows: list[tuple], index: bool = True) -> bytes:
    """The bytes of pandas' DataFrame(rows, columns=columns).to_csv(path, index=index) on Linux: UTF-8, minimal
    quoting, "\\n" line ends, None as an empty cell, and with index=True (pandas' default) a leading column
    whose header is empty and whose values are the row positions."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(([""] if index else []) + list(columns))
    for position, row in enumerate(rows):
        cells = ["" if value is None else value for value in row]
        writer.writerow(([position] if index else []) + cells)
    return out.getvalue().encode("utf-8")


def bucket(s3, name: str, policy: bool = True) -> str:
    """A bucket with the policy the samples put on it so that Personalize may read it."""
    s3.create_bucket(Bucket=name)
    if policy:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({
            "Version": "2012-10-17", "Id": "PersonalizeS3BucketAccessPolicy", "Statement": [{
                "Sid": "PersonalizeS3BucketAccessPolicy", "Effect": "Allow",
                "Principal": {"Service": "personalize.amazonaws.com"}, "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}]}))
    return name


def role(iam, name: str, policies: tuple[str, ...] = MANAGED_POLICIES) -> str:
    """The service role the samples create for Personalize; its ARN. (They then sleep a minute for IAM to
    propagate; against the emulator there is nothing to wait for.)"""
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE))["Role"]["Arn"]
    for policy in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    return arn


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
