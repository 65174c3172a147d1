"""A data directory written by an older emulator opens in this one: its schema moves up, its rows stay."""

import sqlite3

from emulator.store import db
from emulator.store.dataset_rows import DatasetRows, Event


def test_events_of_an_older_database_stay_and_streamed_ones_keep_when_they_arrived(tmp_path):
    path = tmp_path / "emulator.db"
    with sqlite3.connect(path) as old:   # the schema before receipt times
        for number, script in enumerate(db.MIGRATIONS[:3], start=1):
            old.executescript(f"{script}; PRAGMA user_version = {number};")
        old.execute("INSERT INTO interaction_rows (dataset, user_id, item_id, timestamp, source)"
                    " VALUES ('d', 'u', 'i', 10, 'put')")
    old.close()
    rows = DatasetRows(db.Database(path))
    assert rows.last_streamed("d", "u") is None   # an event streamed before receipt times were kept
    rows.put_events("d", [Event("u", "j", 20, "click", None, "s", None)])
    timestamp, received = rows.last_streamed("d", "u")
    assert timestamp == 20 and received > 0
    assert [tuple(row) for row in rows.db.execute("SELECT item_id, received IS NULL FROM interactions")] == [
        ("i", 1), ("j", 0)]
    assert rows.db.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
