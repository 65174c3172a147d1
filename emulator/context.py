"""What a handler knows about the request it serves."""

import uuid
from dataclasses import dataclass

from emulator.store import arns


@dataclass
class RequestContext:
    env: "object"          # the Emulator: settings, store, rows, queue, serving, s3
    account_id: str
    region: str
    request_id: str

    @property
    def store(self):
        return self.env.store

    @property
    def jobs(self):
        return self.env.queue

    def arn(self, kind: str, *parts: str) -> str:
        return arns.arn(self.region, self.account_id, kind, *parts)

    def create(self, kind: str, record: dict, arn_key: str, **options) -> dict:
        """Store a new resource of this account and region."""
        return self.store.create(kind, record, arn_key=arn_key, account=self.account_id,
                                 region=self.region, **options)

    def all(self, kind: str, parent: str | None = None, where: str = "", params: tuple = ()) -> list[dict]:
        return self.store.all(kind, self.account_id, self.region, parent, where, params)

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())
