"""Filters at request time: the filter an ARN names, and the data its expression reads for one request.
spec: personalize-behavior.md §9.2, §9.5"""

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator

import numpy as np

from emulator.errors import InvalidInputException
from emulator.filter_language.expression import Context, Filter, FilterError, parse
from emulator.recipes.metrics import top_k
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn

RECENT_PER_EVENT_TYPE = 100   # spec §9.2: the newest interactions per user and event type a filter sees
CHUNK = 200                   # candidates judged per round, best first
MASKS_KEPT = 1_000            # verdicts over a catalogue (one per filter, placeholder values and model)


@functools.lru_cache(maxsize=1024)
def _parsed(expression: str) -> Filter:
    return parse(expression)


def load(store, filter_arn: str, group_arn: str) -> Filter:
    """The ACTIVE filter of this dataset group that the ARN names."""
    record = store.shared("filter", filter_arn)
    if record["status"] != lifecycle.ACTIVE:
        raise InvalidInputException(f"Filter {filter_arn} is {record['status']}; only ACTIVE filters can be used.")
    if record["datasetGroupArn"] != group_arn:
        raise InvalidInputException(f"Filter {filter_arn} belongs to another dataset group.")
    return _parsed(record["filterExpression"])


class RequestData:
    """What a filter may read for one request: the candidates' records, the user's recent interactions and record,
    and the request's item."""

    def __init__(self, env, group_arn: str, target: str, user_id: str | None, item_id: str | None) -> None:
        self.rows, self.group, self.target = env.rows, group_arn, target
        self.user_id, self.item_id = user_id, item_id
        self.dataset_type = {"ItemID": "ITEMS", "ActionID": "ACTIONS", "UserID": "USERS"}[target]
        self.events = dataset_arn(group_arn, "ACTION_INTERACTIONS" if target == "ActionID" else "INTERACTIONS")
        self._interacted: dict[frozenset | None, set[str]] = {}

    @functools.cached_property
    def records(self) -> dict[str, dict]:
        return self.rows.shared_records(dataset_arn(self.group, self.dataset_type))

    @functools.cached_property
    def current_user(self) -> dict | None:
        return self.rows.shared_records(dataset_arn(self.group, "USERS")).get(self.user_id) if self.user_id else None

    def attributes(self, candidate: str) -> dict | None:
        return self.records.get(candidate)

    def interacted(self, event_types: frozenset[str] | None) -> set[str]:
        """Items (actions) of the user's newest interactions per event type, of the given types (None: any);
        for UserID filters, the users that have such interactions."""
        if event_types not in self._interacted:
            if self.target == "UserID":
                found = self.rows.users_with(self.events, event_types)
            elif self.user_id:
                found = self.rows.recent_items(self.events, self.user_id, event_types, RECENT_PER_EVENT_TYPE)
            else:
                found = set()
            self._interacted[event_types] = found
        return self._interacted[event_types]

    def context(self, values: dict | None) -> Context:
        item = self.rows.shared_records(dataset_arn(self.group, "ITEMS")).get(self.item_id) if self.item_id else None
        return Context(attributes=self.attributes, interacted=self.interacted, current_user=self.current_user,
                       current_item=item, values=dict(values or {}))


def keep(chosen: Filter, candidates: list[str], data: RequestData, values: dict | None) -> list[bool]:
    """Which candidates pass; a missing INCLUDE placeholder value is the caller's input error."""
    try:
        return chosen.apply(candidates, data.context(values))
    except FilterError as error:
        raise InvalidInputException(str(error)) from None


def best_passing(scores: np.ndarray, ids: np.ndarray, count: int, passes) -> list[int]:
    """Indices of the `count` best-scored candidates for which `passes(list of ids) -> list[bool]`, judged in
    chunks down the score order so a selective filter costs only what it reads."""
    chosen: list[int] = []
    size = 2 * count   # most filters pass most candidates: judge a little more than needed, then twice as many
    for indices in _by_score(scores):
        start = 0
        while start < indices.size and len(chosen) < count:
            part = indices[start:start + size]
            start, size = start + part.size, 2 * size
            verdicts = passes(ids[part].tolist())
            chosen.extend(int(i) for i, ok in zip(part, verdicts) if ok)
        if len(chosen) >= count:
            break
    return chosen[:count]


def _by_score(scores: np.ndarray) -> Iterator[np.ndarray]:
    """Finite-scored candidates best first (equal scores in index order), in chunks: the first by a partial sort,
    which is all most requests read; the rest sorted only if a filter asks for more."""
    first = top_k(scores, CHUNK)
    first = first[np.isfinite(scores[first])]
    yield first
    if first.size < CHUNK:
        return
    rest = np.isfinite(scores)
    rest[first] = False
    others = np.flatnonzero(rest)
    order = others[np.lexsort((others, -scores[others]))]
    for start in range(0, order.size, CHUNK):
        yield order[start:start + CHUNK]



class Masks:
    """Filter verdicts over a whole catalogue (see recommending.Choice), per emulator, kept until records change."""

    def __init__(self, rows) -> None:
        self.rows = rows
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()   # oldest first
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], np.ndarray]) -> np.ndarray:
        key = (*key, self.rows.generation)
        found = self._masks.get(key)
        if found is None:
            found = compute()
            with self._lock:
                self._masks[key] = found
                while len(self._masks) > MASKS_KEPT:
                    self._masks.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._masks.clear()
