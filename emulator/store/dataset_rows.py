"""The rows of every dataset: events (Interactions, Action interactions) in the table `interaction_rows`, read
through the view `interactions`, and records (Items, Users, Actions) in `records`. Every read and write of them is
here; caches built on them hear of each change once it commits (listen()), so no writer has to tell them.

An import's events are staged: written hidden a chunk at a time, shown all at once in the transaction that makes
the job ACTIVE, and dropped when it fails or a FULL import replaces them. The view leaves out the rows of every job
in `hidden_imports`, so showing or hiding millions of rows is one small write and the write lock is never held for
longer than a chunk (a 20M-row import in one transaction held it for minutes)."""

import itertools
import json
import pathlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from emulator.store.arns import dataset_arn, name_of
from emulator.store.db import Database

CHUNK_ROWS = 100_000    # imported rows written or deleted per transaction
READ_ROWS = 500_000     # events handed to a training at a time: as Python tuples, tens of millions take gigabytes
USERS_KEPT = 200_000    # users whose cached values stay; the others are read again when they come back
RECORD_IDS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}   # records dataset type -> id field
IMPORTING, DROPPING = "importing", "dropping"   # states of a job in `hidden_imports`


class Event(NamedTuple):
    """A streamed event; `fields` holds what has no column of its own."""
    user_id: str | None
    item_id: str | None
    timestamp: int
    event_type: str | None
    event_value: float | None
    session_id: str | None
    fields: dict | None
    source: str = "put"   # or "bulk": how it arrived


@dataclass(frozen=True)
class Change:
    """What one committed write changed, as the caches built on the rows need to know it."""
    dataset: str | None = None                # where streamed events went
    users: frozenset[str] = frozenset()       # users (or session ids) whose events or Users record changed
    items: tuple[str | None, ...] = ()        # the items (actions) of streamed events
    imported: bool = False                    # an import's events became visible: anyone's history may differ
    records: bool = False                     # records of Items, Users or Actions changed


class PerUser:
    """Values cached per user (or anonymous session id) and key; the least recently used users beyond `kept` go."""

    def __init__(self, kept: int = USERS_KEPT) -> None:
        self._entries: OrderedDict[str, dict] = OrderedDict()
        self._kept, self._lock = kept, threading.Lock()
        self._forgotten = 0   # moves with every drop, discard and clear

    def get(self, user_id: str, key, compute: Callable, current: Callable[[object], bool] | None = None):
        """The kept value, or compute()'s, which is kept; also when current(kept value) says it is out of date."""
        found = self._entries.get(user_id, {}).get(key)
        if found is None or (current is not None and not current(found)):
            forgotten = self._forgotten
            found = compute()
            with self._lock:
                if forgotten != self._forgotten:   # what compute() read may have changed meanwhile: not kept
                    return found
                self._entries.setdefault(user_id, {})[key] = found
                self._entries.move_to_end(user_id)
                while len(self._entries) > self._kept:
                    self._entries.popitem(last=False)
        return found

    def fill(self, key, compute: Callable[[], dict[str, object]]) -> None:
        """Keep compute()'s value under `key` for each user it names (users -> value), unless something was
        forgotten while it ran; the users beyond `kept` go as in get()."""
        forgotten = self._forgotten
        found = compute()
        with self._lock:
            if forgotten != self._forgotten:
                return
            for user_id, value in found.items():
                self._entries.setdefault(user_id, {})[key] = value
                self._entries.move_to_end(user_id)
            while len(self._entries) > self._kept:
                self._entries.popitem(last=False)

    @property
    def kept(self) -> int:
        return self._kept

    def keep(self, kept: int) -> None:
        """Keep `kept` users from now on; any beyond go at the next insertion."""
        self._kept = kept

    def drop(self, user_ids: Collection[str]) -> None:
        if not user_ids:
            return
        with self._lock:
            self._forgotten += 1
            for user_id in user_ids:
                self._entries.pop(user_id, None)

    def discard(self, key) -> None:
        """Forget `key` for every user."""
        with self._lock:
            self._forgotten += 1
            for values in self._entries.values():
                values.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._forgotten += 1
            self._entries.clear()


class DatasetRows:
    """Every dataset's events and records. A write commits in its own transaction or joins the caller's; once it
    commits, the listeners hear what changed."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.generation = 0   # moves after each committed change of records: what was read before is stale
        self._records: dict[str, tuple[int, dict[str, dict]]] = {}   # dataset -> (generation, id -> fields)
        self._recent = PerUser()   # user -> {(dataset, event types): the items a filter reads}
        self._listeners: list[Callable[[Change], None]] = []
        self._lock = threading.Lock()

    @classmethod
    def read_only(cls, path: str | pathlib.Path) -> "DatasetRows":
        """The rows as the training process reads them: from the server's file, never writing."""
        return cls(Database.read_only(pathlib.Path(path)))

    def listen(self, listener: Callable[[Change], None]) -> None:
        self._listeners.append(listener)

    def _changed(self, change: Change) -> None:
        self.db.after_commit(lambda: self._notify(change))

    def _notify(self, change: Change) -> None:
        if change.records:
            with self._lock:
                self.generation += 1
        if change.imported:
            self._recent.clear()
        self._recent.drop(change.users)
        for listener in self._listeners:
            listener(change)

    # streamed events

    def put_events(self, dataset: str, events: list[Event]) -> None:
        """PutEvents and PutActionInteractions, committed before the call returns."""
        with self.db.transaction() as conn:
            received = time.time()
            conn.executemany(
                "INSERT INTO interaction_rows (dataset, user_id, item_id, timestamp, event_type, event_value,"
                " session_id, fields, received, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'put')",
                [(dataset, *event[:6], json.dumps(event.fields) if event.fields else None, received)
                 for event in events])
            users = {event.user_id or event.session_id for event in events} | {event.session_id for event in events}
            self._changed(Change(dataset, frozenset(users - {None}), tuple(event.item_id for event in events)))

    # imported events: staged, then shown or dropped

    def stage_events(self, dataset: str, job: str, columns: dict[str, list]) -> None:
        """An import's events (schema field -> values), hidden until show_import(): a chunk per transaction, so that
        PutEvents and every other write wait for one chunk, not for millions of rows."""
        count = len(next(iter(columns.values())))
        known = [columns.get(name) for name in _event_columns(dataset).values()]
        extra = [name for name in columns if name not in _event_columns(dataset).values()]
        with self.db.transaction() as conn:   # hidden from now on, before the first row is written
            conn.execute("INSERT OR REPLACE INTO hidden_imports (job, dataset, state, first_id)"
                         " SELECT ?, ?, ?, coalesce(max(id), 0) + 1 FROM interaction_rows", (job, dataset, IMPORTING))
        for start in range(0, count, CHUNK_ROWS):
            end = min(start + CHUNK_ROWS, count)
            values = [values[start:end] if values is not None else [None] * (end - start) for values in known]
            fields = [json.dumps({name: columns[name][row] for name in extra}) if extra else None
                      for row in range(start, end)]
            with self.db.transaction() as conn:
                conn.executemany(
                    "INSERT INTO interaction_rows (dataset, user_id, item_id, timestamp, event_type, event_value,"
                    " fields, job, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'bulk')",
                    zip(itertools.repeat(dataset), *values, fields, itertools.repeat(job)))

    def show_import(self, dataset: str, job: str, replace: bool) -> bool:
        """Inside the caller's transaction: `job`'s events become visible; with `replace` (a FULL import), the
        events of the dataset's earlier imports are hidden instead, for drop_abandoned(). Whether any are."""
        conn = self.db.connection()
        conn.execute("DELETE FROM hidden_imports WHERE job = ?", (job,))
        self._changed(Change(imported=True))
        if not replace:
            return False
        return conn.execute(
            "INSERT OR REPLACE INTO hidden_imports (job, dataset, state, first_id) SELECT DISTINCT job, dataset, ?, 0"
            " FROM interaction_rows WHERE dataset = ? AND source = 'bulk' AND job != ?"
            " AND job NOT IN (SELECT job FROM hidden_imports)", (DROPPING, dataset, job)).rowcount > 0

    def abandon_import(self, job: str) -> bool:
        """Inside the caller's transaction: `job`'s events will never be shown. Whether it has any to drop."""
        return self.db.connection().execute("UPDATE hidden_imports SET state = ?, first_id = 0 WHERE job = ?",
                                            (DROPPING, job)).rowcount > 0

    def drop_abandoned(self, dataset: str) -> None:
        """Delete the events of the dataset's imports that will never be shown."""
        jobs = self.db.execute("SELECT job FROM hidden_imports WHERE dataset = ? AND state = ?", (dataset, DROPPING))
        for (job,) in jobs.fetchall():
            self.discard_import(dataset, job)

    def discard_import(self, dataset: str, job: str) -> None:
        """Delete `job`'s events (hidden ones, or all of a run that a crash interrupted) a chunk per transaction,
        and forget the job."""
        while True:
            with self.db.transaction() as conn:
                deleted = conn.execute("DELETE FROM interaction_rows WHERE id IN (SELECT id FROM interaction_rows"
                                       " WHERE dataset = ? AND source = 'bulk' AND job = ? LIMIT ?)",
                                       (dataset, job, CHUNK_ROWS)).rowcount
                if deleted < CHUNK_ROWS:
                    conn.execute("DELETE FROM hidden_imports WHERE job = ?", (job,))
                    return

    def settled_through(self, dataset: str) -> int:
        """The largest event id up to which every row of `dataset` is settled: an import of it in progress may still
        show rows above its first id, so a training that reads up to here counts those rows as new when they appear.
        Imports of other datasets do not count: one in progress in another group held a training here below every
        row of its own dataset's finished import ("fewer than 1000 interactions")."""
        row = self.db.execute("SELECT (SELECT coalesce(max(id), 0) FROM interaction_rows),"
                              " (SELECT min(first_id) - 1 FROM hidden_imports WHERE state = ? AND dataset = ?)",
                              (IMPORTING, dataset)).fetchone()
        return row[0] if row[1] is None else min(row[0], row[1])

    # records

    def put_records(self, dataset: str, records: list[tuple[str, dict]]) -> None:
        """PutItems, PutUsers and PutActions: (id, fields) upserted by id, committed before the call returns."""
        with self.db.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO records (dataset, record_id, fields, source)"
                             " VALUES (?, ?, ?, 'put')",
                             [(dataset, record_id, json.dumps(fields)) for record_id, fields in records])
            users = frozenset(record_id for record_id, _ in records) if _type_of(dataset) == "USERS" else frozenset()
            self._changed(Change(users=users, records=True))

    def import_records(self, dataset: str, job: str, columns: dict[str, list], replace: bool) -> None:
        """An import's records (schema field -> values), upserted by id in the caller's transaction, the one that
        makes the job ACTIVE: they cannot be staged beside the records they replace. With `replace` (FULL), the
        dataset's earlier imported records go."""
        ids = columns[RECORD_IDS[_type_of(dataset)]]
        rows = [(dataset, ids[row], json.dumps({name: values[row] for name, values in columns.items()}), job)
                for row in range(len(ids))]
        with self.db.transaction() as conn:
            if replace:
                conn.execute("DELETE FROM records WHERE dataset = ? AND source = 'bulk'", (dataset,))
            conn.executemany("INSERT OR REPLACE INTO records (dataset, record_id, fields, job, source)"
                             " VALUES (?, ?, ?, ?, 'bulk')", rows)
            self._changed(Change(records=True))

    def records(self, dataset: str) -> dict[str, dict]:
        """Every record of a dataset, id -> fields."""
        rows = self.db.execute("SELECT record_id, fields FROM records WHERE dataset = ?", (dataset,))
        return {record_id: json.loads(fields) for record_id, fields in rows}

    def shared_records(self, dataset: str) -> dict[str, dict]:
        """records() for the request path: read once per change of records; callers must not modify it."""
        generation = self.generation   # taken before the read: a write that commits meanwhile outdates the entry
        cached = self._records.get(dataset)
        if cached is not None and cached[0] == generation:
            return cached[1]
        found = self.records(dataset)
        if not self.db.in_transaction():   # an uncommitted write may yet roll back
            with self._lock:
                self._records[dataset] = (generation, found)
        return found

    def records_of(self, dataset: str, ids: list[str]) -> dict[str, dict]:
        """id -> fields of those of `ids` the dataset has."""
        found: dict[str, dict] = {}
        for start in range(0, len(ids), 500):   # SQLite caps the number of parameters
            chunk = ids[start:start + 500]
            rows = self.db.execute(f"SELECT record_id, fields FROM records WHERE dataset = ? AND record_id IN "
                                   f"({','.join('?' * len(chunk))})", (dataset, *chunk))
            found.update((record_id, json.loads(fields)) for record_id, fields in rows)
        return found

    def record(self, dataset: str, record_id: str) -> dict | None:
        found = self.db.execute("SELECT fields FROM records WHERE dataset = ? AND record_id = ?",
                                (dataset, record_id)).fetchone()
        return json.loads(found[0]) if found else None

    # deletion

    def delete_dataset(self, dataset: str) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM interaction_rows WHERE dataset = ?", (dataset,))
            conn.execute("DELETE FROM records WHERE dataset = ?", (dataset,))
            conn.execute("DELETE FROM hidden_imports WHERE dataset = ?", (dataset,))
            self._changed(Change(records=True))

    def delete_users(self, group: str, users: set[str]) -> int:
        """Every event and Users record of `users` in the group, in the caller's transaction; how many rows went."""
        deleted = 0
        with self.db.transaction() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (user_id TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM doomed")
            conn.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", [(user,) for user in users])
            for kind in ("INTERACTIONS", "ACTION_INTERACTIONS"):
                deleted += conn.execute("DELETE FROM interaction_rows WHERE dataset = ? AND user_id IN"
                                        " (SELECT user_id FROM doomed)", (dataset_arn(group, kind),)).rowcount
            deleted += conn.execute("DELETE FROM records WHERE dataset = ? AND record_id IN"
                                    " (SELECT user_id FROM doomed)", (dataset_arn(group, "USERS"),)).rowcount
            conn.execute("DELETE FROM doomed")
            self._changed(Change(users=frozenset(users), records=True))
        return deleted

    def delete_all(self) -> None:
        """Every event, staged import and record (a reset), in the caller's transaction."""
        conn = self.db.connection()
        for table in ("interaction_rows", "hidden_imports", "records"):
            conn.execute(f"DELETE FROM {table}")
        self.db.after_commit(self._records.clear)
        self._changed(Change(imported=True, records=True))

    # what serving, filters, exploration, attribution and automatic training read

    def user_events(self, dataset: str, user_id: str, after_id: int) -> list[tuple[str, str | None, float | None]]:
        """(item, event type, timestamp) of a user's events after `after_id`, oldest first. spec:
        recipes-and-models.md §2.5: events of an anonymous session count for the id it used, and once a session
        names its user, the anonymous events of that session count for the user too."""
        # the user's own rows name the sessions (SQLite would otherwise scan every event that has a session), read
        # from the table: a view has no index to name
        rows = self.db.execute(
            "SELECT item_id, event_type, timestamp, id FROM interactions WHERE dataset = ? AND user_id = ? AND id > ?"
            " UNION SELECT item_id, event_type, timestamp, id FROM interactions WHERE dataset = ? AND"
            " session_id IN (SELECT ? UNION SELECT DISTINCT session_id FROM interaction_rows"
            " INDEXED BY interactions_by_user WHERE dataset = ? AND user_id = ? AND session_id IS NOT NULL)"
            " AND user_id IS NULL AND id > ?"
            " ORDER BY 3, 4",
            (dataset, user_id, after_id, dataset, user_id, dataset, user_id, after_id))
        return [(item_id, event_type, timestamp) for item_id, event_type, timestamp, _ in rows]

    def users_after(self, dataset: str, after_id: int) -> set[str]:
        """Every id whose user_events(dataset, id, after_id) may be non-empty: users with events after `after_id`,
        the users of the sessions of anonymous events after it, and those sessions' own ids."""
        rows = self.db.execute(
            "WITH anonymous AS (SELECT DISTINCT session_id FROM interactions WHERE dataset = ? AND id > ?"
            " AND user_id IS NULL AND session_id IS NOT NULL)"
            " SELECT DISTINCT user_id FROM interactions WHERE dataset = ? AND id > ? AND user_id IS NOT NULL"
            " UNION SELECT DISTINCT user_id FROM interaction_rows WHERE dataset = ? AND user_id IS NOT NULL"
            " AND session_id IN anonymous UNION SELECT session_id FROM anonymous",
            (dataset, after_id, dataset, after_id, dataset))
        return {user_id for user_id, in rows}

    def last_streamed(self, dataset: str, user_id: str) -> tuple[float, float] | None:
        """(the newest timestamp, the latest time the server received one) of the user's (or anonymous session's)
        streamed events, if any arrived since receipt times are kept."""
        found = self.db.execute(   # one part per index: with OR, SQLite reads every streamed event of the dataset
            "SELECT max(timestamp), max(received) FROM (SELECT timestamp, received FROM interactions WHERE"
            " dataset = ? AND user_id = ? AND received IS NOT NULL UNION ALL SELECT timestamp, received FROM"
            " interactions WHERE dataset = ? AND session_id = ? AND user_id IS NULL AND received IS NOT NULL)",
            (dataset, user_id, dataset, user_id)).fetchone()
        return None if found[1] is None else (float(found[0]), float(found[1]))

    def streamed_users(self, dataset: str) -> set[str]:
        """The users for whom last_streamed() finds an event."""
        rows = self.db.execute("SELECT DISTINCT coalesce(user_id, session_id) FROM interactions WHERE dataset = ?"
                               " AND source = 'put' AND received IS NOT NULL", (dataset,))
        return {user for (user,) in rows if user is not None}

    def item_counts(self, dataset: str, after_id: int) -> dict[str, int]:
        """Events per item after `after_id`."""
        return dict(self.db.execute("SELECT item_id, count(*) FROM interactions WHERE dataset = ? AND id > ?"
                                    " AND item_id IS NOT NULL GROUP BY item_id", (dataset, after_id)).fetchall())

    def has_events_after(self, datasets: list[str], after_id: int) -> bool:
        marks = ",".join("?" * len(datasets))
        return self.db.execute(f"SELECT 1 FROM interactions WHERE dataset IN ({marks}) AND id > ? LIMIT 1",
                               (*datasets, after_id)).fetchone() is not None

    def recent_items(self, dataset: str, user_id: str, event_types: frozenset[str] | None, per_type: int) -> set[str]:
        """Items of the user's `per_type` newest events of each event type, of the given types (None: any); kept
        until the user's next event."""
        def read() -> set[str]:
            rows = self.db.execute(
                "SELECT item_id FROM (SELECT item_id, row_number() OVER (PARTITION BY lower(event_type)"
                " ORDER BY timestamp DESC, id DESC) AS newest FROM interactions WHERE dataset = ? AND user_id = ?"
                f"{_of_types(event_types)}) WHERE newest <= ?",
                (dataset, user_id, *sorted(event_types or ()), per_type))
            return {item for (item,) in rows if item is not None}
        return self._recent.get(user_id, (dataset, event_types), read)

    def users_with(self, dataset: str, event_types: frozenset[str] | None) -> set[str]:
        """The users that have events of the given types (None: any)."""
        rows = self.db.execute(f"SELECT DISTINCT user_id FROM interactions WHERE dataset = ?{_of_types(event_types)}",
                               (dataset, *sorted(event_types or ())))
        return {user for (user,) in rows if user is not None}

    def last_taken(self, dataset: str, user_id: str) -> dict[str, float]:
        """Action -> when the user last took it."""
        rows = self.db.execute("SELECT item_id, max(timestamp) FROM interactions WHERE dataset = ? AND user_id = ? AND"
                               " replace(lower(event_type), '_', ' ') = 'taken' GROUP BY item_id", (dataset, user_id))
        return {action: float(stamp) for action, stamp in rows}

    def events_since(self, dataset: str, timestamp: float) -> list[tuple[str | None, str | None, float | None, dict]]:
        """(item, event type, event value, other fields) of the events at or after `timestamp`."""
        rows = self.db.execute("SELECT item_id, event_type, event_value, fields FROM interactions WHERE dataset = ?"
                               " AND timestamp >= ?", (dataset, timestamp)).fetchall()
        return [(item, kind, value, json.loads(fields) if fields else {}) for item, kind, value, fields in rows]

    def training_events(self, dataset: str, through: int, event_type: str | None = None) -> Iterator[list[tuple]]:
        """Chunks of (user, item, timestamp, event type, other fields as JSON text or None), oldest first, of the
        events with both ids up to id `through` (of one event type, case-insensitive, if given)."""
        sql = ("SELECT user_id, item_id, timestamp, event_type, fields FROM interactions WHERE dataset = ?"
               " AND id <= ? AND user_id IS NOT NULL AND item_id IS NOT NULL")
        params: list = [dataset, through]
        if event_type:
            sql, params = sql + " AND lower(event_type) = lower(?)", params + [event_type]
        cursor = self.db.connection().cursor()
        cursor.row_factory = None   # plain tuples: sqlite3.Row costs a quarter more over tens of millions of rows
        cursor.execute(sql + " ORDER BY timestamp, id", params)
        while chunk := cursor.fetchmany(READ_ROWS):
            yield chunk

    # exports and the console

    def export_records(self, dataset: str, sources: tuple[str, ...]) -> Iterator[dict]:
        """The fields of the records that arrived by those sources ("bulk", "put"), by id."""
        marks = ",".join("?" * len(sources))
        for (fields,) in self.db.execute(f"SELECT fields FROM records WHERE dataset = ? AND source IN ({marks})"
                                         " ORDER BY record_id", (dataset, *sources)):
            yield json.loads(fields)

    def export_events(self, dataset: str, sources: tuple[str, ...]) -> Iterator[dict]:
        """The events that arrived by those sources, oldest first, each as schema field -> value."""
        columns = _event_columns(dataset)
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(f"SELECT {', '.join(columns)}, fields FROM interactions WHERE dataset = ? AND source IN"
                               f" ({marks}) ORDER BY timestamp, id", (dataset, *sources))
        for row in rows:
            values = {name: row[column] for column, name in columns.items()}
            values.update(json.loads(row["fields"]) if row["fields"] else {})
            yield values

    def counts(self) -> dict[str, int]:
        """Dataset -> its events or records."""
        counts = dict(self.db.execute("SELECT dataset, count(*) FROM interactions GROUP BY dataset").fetchall())
        counts.update(self.db.execute("SELECT dataset, count(*) FROM records GROUP BY dataset").fetchall())
        return counts

    def latest_event_id(self) -> int:
        return self.db.execute("SELECT coalesce(max(id), 0) FROM interactions").fetchone()[0]

    def events(self, dataset: str, limit: int, newest_put: bool = False) -> list[Event]:
        """The dataset's first `limit` events, or with `newest_put` its latest streamed ones, newest first."""
        where, order = (" AND source = 'put'", "DESC") if newest_put else ("", "")
        rows = self.db.execute("SELECT user_id, item_id, timestamp, event_type, event_value, session_id, fields, source"
                               f" FROM interactions WHERE dataset = ?{where} ORDER BY id {order} LIMIT ?",
                               (dataset, limit))
        return [Event(*row[:6], json.loads(row[6]) if row[6] else None, row[7]) for row in rows]

    def event_summary(self, dataset: str, top: int) -> dict[str, list]:
        """For the console: events per day and per event type, the `top` event types and items, and the events of
        each user and of each item, most first."""
        def query(sql: str, *params) -> list:
            return self.db.execute(sql, (dataset, *params)).fetchall()

        def per(column: str) -> list[int]:
            return [n for (n,) in query(f"SELECT count(*) AS n FROM interactions WHERE dataset = ? AND {column} IS NOT"
                                        f" NULL GROUP BY {column} ORDER BY n DESC")]
        return {"per_day": query("SELECT timestamp / 86400 AS day, count(*) FROM interactions WHERE dataset = ?"
                                 " GROUP BY day ORDER BY day"),
                "event_types": query("SELECT event_type, count(*) FROM interactions WHERE dataset = ?"
                                     " GROUP BY event_type ORDER BY 2 DESC LIMIT ?", top),
                "top_items": query("SELECT item_id, count(*) FROM interactions WHERE dataset = ? AND item_id IS NOT"
                                   " NULL GROUP BY item_id ORDER BY 2 DESC, 1 LIMIT ?", top),
                "per_user": per("user_id"), "per_item": per("item_id")}

    def record_summary(self, dataset: str, fields: list[str], sample: int) -> dict:
        """For the console: how many records, the first `sample` of them, and the 10 commonest values of each of
        `fields`."""
        count = self.db.execute("SELECT count(*) FROM records WHERE dataset = ?", (dataset,)).fetchone()[0]
        first = [json.loads(row[0]) for row in self.db.execute(
            "SELECT fields FROM records WHERE dataset = ? ORDER BY rowid LIMIT ?", (dataset, sample))]
        values = {name: self.db.execute("SELECT json_extract(fields, '$.' || ?) AS value, count(*) FROM records"
                                        " WHERE dataset = ? GROUP BY value ORDER BY 2 DESC LIMIT 10",
                                        (name, dataset)).fetchall() for name in fields}
        return {"count": count, "sample": first, "values": values}


def _type_of(dataset: str) -> str:
    """'…:dataset/<group>/ITEMS' -> 'ITEMS' (see arns.dataset_arn)."""
    return name_of(dataset)


def _event_columns(dataset: str) -> dict[str, str]:
    """Column of the events table -> the schema field it holds; other fields go to its `fields` JSON."""
    return {"user_id": "USER_ID", "item_id": "ACTION_ID" if _type_of(dataset) == "ACTION_INTERACTIONS" else "ITEM_ID",
            "timestamp": "TIMESTAMP", "event_type": "EVENT_TYPE", "event_value": "EVENT_VALUE"}


def _of_types(event_types: frozenset[str] | None) -> str:
    """The condition on event types (lower case) that their sorted values fill in; none for None."""
    return "" if event_types is None else f" AND lower(event_type) IN ({','.join('?' * len(event_types))})"
