"""The SQLite file: one connection per thread, WAL mode, versioned migrations, transactions."""

import contextlib
import pathlib
import sqlite3
import threading

import sqlite_utils

# Each entry moves the schema one version up; never edit a released entry, append a new one.
MIGRATIONS = [
    """
    CREATE TABLE resources (
        arn TEXT PRIMARY KEY, kind TEXT NOT NULL, account TEXT NOT NULL, region TEXT NOT NULL,
        name TEXT, parent TEXT, status TEXT, created REAL NOT NULL, updated REAL NOT NULL,
        body TEXT NOT NULL, tags TEXT NOT NULL DEFAULT '[]', internal TEXT NOT NULL DEFAULT '{}');
    CREATE INDEX resources_by_kind ON resources (kind, account, region, created);
    CREATE INDEX resources_by_parent ON resources (parent);
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY, task TEXT NOT NULL, arn TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'queued', enqueued REAL NOT NULL);
    CREATE INDEX jobs_by_state ON jobs (state, id);
    CREATE TABLE interactions (
        id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, user_id TEXT, item_id TEXT,
        timestamp INTEGER NOT NULL, event_type TEXT, event_value REAL, session_id TEXT,
        fields TEXT, source TEXT NOT NULL, job TEXT);
    CREATE INDEX interactions_by_dataset ON interactions (dataset, source, job);
    CREATE INDEX interactions_by_user ON interactions (dataset, user_id, id);
    CREATE INDEX interactions_by_session ON interactions (dataset, session_id, id);
    CREATE TABLE records (
        dataset TEXT NOT NULL, record_id TEXT NOT NULL, fields TEXT NOT NULL,
        source TEXT NOT NULL, job TEXT, PRIMARY KEY (dataset, record_id));
    """,
    # a lane per kind of capacity (trainings wait for a training process without holding a worker), and a time
    # before which a job that waits for another resource is not run again
    """
    ALTER TABLE jobs ADD COLUMN lane TEXT NOT NULL DEFAULT 'work';
    ALTER TABLE jobs ADD COLUMN not_before REAL NOT NULL DEFAULT 0;
    UPDATE jobs SET lane = 'training' WHERE task = 'update_recommender'
        OR (task = 'create' AND (arn GLOB '*:recommender/*' OR arn GLOB '*:solution/*/*'));
    """,
    # An import's rows stay hidden until its job goes ACTIVE: readers see the view `interactions`, writers the
    # table `interaction_rows`; showing or hiding any number of rows is one row of `hidden_imports`.
    """
    ALTER TABLE interactions RENAME TO interaction_rows;
    CREATE TABLE hidden_imports (
        job TEXT PRIMARY KEY, dataset TEXT NOT NULL, state TEXT NOT NULL, first_id INTEGER NOT NULL);
    CREATE VIEW interactions AS SELECT * FROM interaction_rows
        WHERE job IS NULL OR job NOT IN (SELECT job FROM hidden_imports);
    """,
    # when the server received a streamed event (epoch seconds; NULL for imported ones): a user's time away runs on
    # the server's clock, not on the client's sentAt. The view selects *, so it shows the column.
    """
    ALTER TABLE interaction_rows ADD COLUMN received REAL;
    """,
]


class Database:
    """The emulator's one SQLite file. Acknowledged means committed: writes go through transaction()."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path, self._read_only = path, False
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._migrate()

    @classmethod
    def read_only(cls, path: pathlib.Path) -> "Database":
        """The file as another process reads it (the training process): no migrations, and writes fail."""
        db = cls.__new__(cls)
        db.path, db._read_only, db._local = path, True, threading.local()
        return db

    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn, self._local.depth, self._local.after = conn, 0, []
        return conn

    def _open(self) -> sqlite3.Connection:
        if self._read_only:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None, timeout=30)
        else:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")   # durable across process crashes in WAL mode
            conn.execute("PRAGMA foreign_keys=ON")
        conn.row_factory = sqlite3.Row
        return conn

    def utils(self) -> sqlite_utils.Database:
        """sqlite-utils on this thread's connection, for bulk inserts."""
        return sqlite_utils.Database(self.connection())

    @contextlib.contextmanager
    def transaction(self):
        """A write transaction; nested calls join the outer one. Rolled back on any exception."""
        conn = self.connection()
        if self._local.depth:
            self._local.depth += 1
            try:
                yield conn
            finally:
                self._local.depth -= 1
            return
        conn.execute("BEGIN IMMEDIATE")
        self._local.depth = 1
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")
            for callback in self._local.after:
                callback()
        finally:
            self._local.depth, self._local.after = 0, []

    def after_commit(self, callback) -> None:
        """Run `callback` once the current transaction commits (at once outside a transaction)."""
        self.connection()
        if self._local.depth:
            self._local.after.append(callback)
        else:
            callback()

    def in_transaction(self) -> bool:
        return getattr(self._local, "depth", 0) > 0

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.connection().execute(sql, params)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _migrate(self) -> None:
        conn = self.connection()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
