"""Imported interactions are staged: written hidden a chunk at a time, shown all at once in the transaction
that makes their job ACTIVE, and dropped when it fails or a FULL import replaces them.

Readers query the view `interactions`, which leaves out the rows of every job in `hidden_imports`; writers use
the table `interaction_rows`. Showing or hiding millions of rows is one small write, so the write lock is never
held for longer than a chunk (a 20M-row import in one transaction held it for minutes)."""

from emulator.store.db import Database

CHUNK_ROWS = 100_000   # rows written or deleted per transaction
IMPORTING, DROPPING = "importing", "dropping"


def hide(db: Database, dataset: str, job: str) -> None:
    """Hide `job`'s rows from now on, before the first of them is written."""
    with db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO hidden_imports (job, dataset, state, first_id)"
                     " SELECT ?, ?, ?, coalesce(max(id), 0) + 1 FROM interaction_rows", (job, dataset, IMPORTING))


def show(db: Database, dataset: str, job: str, replace: bool) -> bool:
    """Inside the caller's transaction: `job`'s rows become visible; with `replace` (a FULL import), the rows of
    the dataset's earlier imports are hidden instead, to be deleted by drop(). Whether any are."""
    conn = db.connection()
    conn.execute("DELETE FROM hidden_imports WHERE job = ?", (job,))
    if not replace:
        return False
    return conn.execute(
        "INSERT OR REPLACE INTO hidden_imports (job, dataset, state, first_id) SELECT DISTINCT job, dataset, ?, 0"
        " FROM interaction_rows WHERE dataset = ? AND source = 'bulk' AND job != ?"
        " AND job NOT IN (SELECT job FROM hidden_imports)", (DROPPING, dataset, job)).rowcount > 0


def abandon(db: Database, job: str) -> bool:
    """Inside the caller's transaction: `job`'s rows will never be shown. Whether it has any to drop()."""
    return db.connection().execute("UPDATE hidden_imports SET state = ?, first_id = 0 WHERE job = ?",
                                   (DROPPING, job)).rowcount > 0


def drop(db: Database, dataset: str) -> None:
    """Delete the rows of the dataset's imports that will never be shown, a chunk per transaction."""
    jobs = db.execute("SELECT job FROM hidden_imports WHERE dataset = ? AND state = ?", (dataset, DROPPING))
    for (job,) in jobs.fetchall():
        discard(db, dataset, job)


def discard(db: Database, dataset: str, job: str) -> None:
    """Delete `job`'s rows (hidden ones, or all of a run that a crash interrupted) and forget the job."""
    while True:
        with db.transaction() as conn:
            deleted = conn.execute("DELETE FROM interaction_rows WHERE id IN (SELECT id FROM interaction_rows"
                                   " WHERE dataset = ? AND source = 'bulk' AND job = ? LIMIT ?)",
                                   (dataset, job, CHUNK_ROWS)).rowcount
            if deleted < CHUNK_ROWS:
                conn.execute("DELETE FROM hidden_imports WHERE job = ?", (job,))
                return


def forget_dataset(db: Database, dataset: str) -> None:
    """Inside the caller's transaction, which deletes the dataset's rows."""
    db.connection().execute("DELETE FROM hidden_imports WHERE dataset = ?", (dataset,))


def settled_through(db: Database) -> int:
    """The largest id up to which every row is settled: an import in progress may still show rows above its
    first id, so a training that reads up to here counts those rows as new when they appear."""
    row = db.execute("SELECT (SELECT coalesce(max(id), 0) FROM interaction_rows),"
                     " (SELECT min(first_id) - 1 FROM hidden_imports WHERE state = ?)", (IMPORTING,)).fetchone()
    return row[0] if row[1] is None else min(row[0], row[1])
