"""Filters at request time: the filter an ARN names, and the data its expression reads for one request.
spec: personalize-behavior.md §9.2, §9.5"""

import functools
from collections.abc import Iterator

import numpy as np

from emulator.datasets import group as group_data
from emulator.errors import InvalidInputException
from emulator.filters.expression import Context, Filter, FilterError, parse
from emulator.jobs import lifecycle
from emulator.store.arns import dataset_arn

RECENT_PER_EVENT_TYPE = 100   # spec §9.2: the newest interactions per user and event type a filter sees
CHUNK = 200                   # candidates judged per round, best first


@functools.lru_cache(maxsize=1024)
def _parsed(expression: str) -> Filter:
    return parse(expression)


def load(store, filter_arn: str, group_arn: str) -> Filter:
    """The ACTIVE filter of this dataset group that the ARN names."""
    record = store.get("filter", filter_arn)
    if record["status"] != lifecycle.ACTIVE:
        raise InvalidInputException(f"Filter {filter_arn} is {record['status']}; only ACTIVE filters can be used.")
    if record["datasetGroupArn"] != group_arn:
        raise InvalidInputException(f"Filter {filter_arn} belongs to another dataset group.")
    return _parsed(record["filterExpression"])


class RequestData:
    """What a filter may read for one request: the candidates' records (fetched in batches and kept), the
    user's recent interactions and record, and the request's item."""

    def __init__(self, env, group_arn: str, target: str, user_id: str | None, item_id: str | None) -> None:
        self.db, self.group, self.user_id, self.target = env.db, group_arn, user_id, target
        self.dataset_type = {"ItemID": "ITEMS", "ActionID": "ACTIONS", "UserID": "USERS"}[target]
        self.events = dataset_arn(group_arn, "ACTION_INTERACTIONS" if target == "ActionID" else "INTERACTIONS")
        self.records: dict[str, dict | None] = {}
        self.current_user = self._one("USERS", user_id)
        self.current_item = self._one("ITEMS", item_id)
        self._interacted: dict[frozenset | None, set[str]] = {}

    def fetch(self, candidates: list[str]) -> None:
        missing = [candidate for candidate in candidates if candidate not in self.records]
        found = group_data.records(self.db, self.group, self.dataset_type, missing)
        self.records.update((candidate, found.get(candidate)) for candidate in missing)

    def attributes(self, candidate: str) -> dict | None:
        self.fetch([candidate])
        return self.records[candidate]

    def interacted(self, event_types: frozenset[str] | None) -> set[str]:
        """Items (actions) of the user's newest interactions per event type, of the given types (None: any);
        for UserID filters, the users that have such interactions."""
        if event_types not in self._interacted:
            if self.target == "UserID":
                found = _users_with(self.db, self.events, event_types)
            else:
                found = _recent_items(self.db, self.events, self.user_id, event_types) if self.user_id else set()
            self._interacted[event_types] = found
        return self._interacted[event_types]

    def context(self, values: dict | None) -> Context:
        return Context(attributes=self.attributes, interacted=self.interacted, current_user=self.current_user,
                       current_item=self.current_item, values=dict(values or {}))

    def _one(self, dataset_type: str, record_id: str | None) -> dict | None:
        return group_data.records(self.db, self.group, dataset_type, [record_id]).get(record_id) if record_id else None


def keep(chosen: Filter, candidates: list[str], data: RequestData, values: dict | None) -> list[bool]:
    """Which candidates pass; a missing INCLUDE placeholder value is the caller's input error."""
    data.fetch(candidates)
    try:
        return chosen.apply(candidates, data.context(values))
    except FilterError as error:
        raise InvalidInputException(str(error)) from None


def best_passing(scores: np.ndarray, ids: np.ndarray, count: int, passes) -> list[int]:
    """Indices of the `count` best-scored candidates for which `passes(list of ids) -> list[bool]`, judged in
    chunks down the score order so a selective filter costs only what it reads."""
    chosen: list[int] = []
    for indices in _by_score(scores):
        verdicts = passes([str(ids[i]) for i in indices])
        chosen.extend(int(i) for i, ok in zip(indices, verdicts) if ok)
        if len(chosen) >= count:
            break
    return chosen[:count]


def _by_score(scores: np.ndarray) -> Iterator[np.ndarray]:
    finite = np.flatnonzero(np.isfinite(scores))
    order = finite[np.argsort(-scores[finite], kind="stable")]
    for start in range(0, order.size, CHUNK):
        yield order[start:start + CHUNK]


def _recent_items(db, dataset: str, user_id: str, event_types: frozenset[str] | None) -> set[str]:
    wanted = "" if event_types is None else f" AND lower(event_type) IN ({','.join('?' * len(event_types))})"
    rows = db.execute(
        "SELECT item_id FROM (SELECT item_id, row_number() OVER (PARTITION BY lower(event_type)"
        f" ORDER BY timestamp DESC, id DESC) AS newest FROM interactions WHERE dataset = ? AND user_id = ?{wanted})"
        " WHERE newest <= ?", (dataset, user_id, *sorted(event_types or ()), RECENT_PER_EVENT_TYPE))
    return {item for (item,) in rows if item is not None}


def _users_with(db, dataset: str, event_types: frozenset[str] | None) -> set[str]:
    wanted = "" if event_types is None else f" AND lower(event_type) IN ({','.join('?' * len(event_types))})"
    rows = db.execute(f"SELECT DISTINCT user_id FROM interactions WHERE dataset = ?{wanted}",
                      (dataset, *sorted(event_types or ())))
    return {user for (user,) in rows if user is not None}
