"""Reading and writing s3:// data: in moto's S3 on our own port (the only module that touches moto's
internals), or at another S3 endpoint (LocalStack, MinIO) when s3_endpoint_url is set."""

from urllib.parse import urlparse

from emulator.errors import TaskFailed
from emulator.settings import Settings


class ObjectStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def read(self, location: str) -> list[tuple[str, bytes]]:
        """(key, bytes) of one object, or of every object under a folder prefix ending in '/'."""
        bucket, key = _split(location)
        reader = self._external if self.settings.s3_endpoint_url else self._moto
        objects = reader(bucket, key)
        if not objects:
            raise TaskFailed(f"No data found at {location}.")
        return objects

    def write(self, location: str, data: bytes) -> None:
        """Put one object; a missing bucket fails the job that writes."""
        bucket, key = _split(location)
        if self.settings.s3_endpoint_url:
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError
            client = boto3.client("s3", endpoint_url=self.settings.s3_endpoint_url,
                                  region_name=self.settings.default_region)
            try:
                client.put_object(Bucket=bucket, Key=key, Body=data)
            except (ClientError, BotoCoreError) as error:
                raise TaskFailed(f"Could not write {location}: {error}") from None
            return
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends
        try:
            s3_backends[self.settings.account_id]["aws"].put_object(bucket, key, data)
        except MissingBucket:
            raise TaskFailed(f"The S3 bucket {bucket} does not exist.") from None

    def _moto(self, bucket_name: str, key: str) -> list[tuple[str, bytes]]:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends
        backend = s3_backends[self.settings.account_id]["aws"]
        try:
            bucket = backend.get_bucket(bucket_name)
        except MissingBucket:
            raise TaskFailed(f"The S3 bucket {bucket_name} does not exist.") from None
        if key.endswith("/") or not key:
            return sorted((name, stored.value) for name, stored in bucket.keys.items()
                          if name.startswith(key) and not name.endswith("/"))
        stored = bucket.keys.get(key)
        return [(key, stored.value)] if stored is not None else []

    def _external(self, bucket: str, key: str) -> list[tuple[str, bytes]]:
        import boto3
        from botocore.exceptions import BotoCoreError
        client = boto3.client("s3", endpoint_url=self.settings.s3_endpoint_url,
                              region_name=self.settings.default_region)
        try:
            if key.endswith("/") or not key:
                pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key)
                names = sorted(item["Key"] for page in pages for item in page.get("Contents", [])
                               if not item["Key"].endswith("/"))
            else:
                names = [key]
            return [(name, client.get_object(Bucket=bucket, Key=name)["Body"].read()) for name in names]
        except client.exceptions.NoSuchKey:
            return []
        except (client.exceptions.ClientError, BotoCoreError) as error:
            raise TaskFailed(
                f"Could not read s3://{bucket}/{key} from {self.settings.s3_endpoint_url}: {error}") from None


def _split(location: str) -> tuple[str, str]:
    parsed = urlparse(location)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise TaskFailed(f"Invalid Data location. {location} is not an s3://bucket/key location.")
    return parsed.netloc, parsed.path.lstrip("/")


def join(folder: str, name: str) -> str:
    """An object in an output folder, whether or not the folder ends in '/'."""
    return folder.rstrip("/") + "/" + name
