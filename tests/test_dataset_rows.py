"""How far a training may read: an import in progress holds back the rows of its own dataset, not of others."""

from emulator.store import db
from emulator.store.arns import dataset_arn
from emulator.store.dataset_rows import DatasetRows

GROUP = "arn:aws:personalize:us-east-1:123456789012:dataset-group/{}"


def events(user: str, count: int) -> dict[str, list]:
    return {"USER_ID": [user] * count, "ITEM_ID": [f"i{n}" for n in range(count)], "TIMESTAMP": list(range(count))}


def test_an_import_in_progress_holds_back_its_own_dataset_only(tmp_path):
    rows = DatasetRows(db.Database(tmp_path / "emulator.db"))
    slow, done = (dataset_arn(GROUP.format(name), "INTERACTIONS") for name in ("slow", "done"))
    rows.stage_events(slow, "slow-job", events("u", 5))   # still importing: hidden, its rows may still grow
    rows.stage_events(done, "done-job", events("v", 5))   # staged after it, and shown
    with rows.db.transaction():
        rows.show_import(done, "done-job", replace=False)
    newest = rows.db.execute("SELECT max(id) FROM interaction_rows").fetchone()[0]
    assert rows.settled_through(done) == newest   # every row of its finished import (was: below all of them)
    assert rows.settled_through(slow) == newest - 10   # below the first row of its own import in progress
    (trained,) = rows.training_events(done, rows.settled_through(done))   # one chunk: what a training reads
    assert [(user, item) for user, item, *_ in trained] == [("v", f"i{n}") for n in range(5)]
