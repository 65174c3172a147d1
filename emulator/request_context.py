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
    by_emulator: bool = False   # the emulator's own call (automatic training), which may ask what clients may not

    @classmethod
    def for_emulator(cls, env, arn: str) -> "RequestContext":
        """The context of a call the emulator makes itself about the resource `arn`: its account and region, and a
        request id of its own."""
        _, _, _, region, account, _ = arn.split(":", 5)
        return cls(env, account, region, str(uuid.uuid4()), by_emulator=True)

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
