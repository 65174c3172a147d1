"""Status strings, exactly as AWS spells them, and the moves each resource kind may make: the store refuses any
other (Store.set_status), so they live beside it. spec: personalize-behavior.md §2.4"""

CREATE_PENDING, CREATE_IN_PROGRESS = "CREATE PENDING", "CREATE IN_PROGRESS"
ACTIVE, CREATE_FAILED = "ACTIVE", "CREATE FAILED"
DELETE_PENDING, DELETE_IN_PROGRESS = "DELETE PENDING", "DELETE IN_PROGRESS"
CREATE_STOPPING, CREATE_STOPPED = "CREATE STOPPING", "CREATE STOPPED"
UPDATE_PENDING, UPDATE_IN_PROGRESS = "UPDATE PENDING", "UPDATE IN_PROGRESS"
STOP_PENDING, STOP_IN_PROGRESS, INACTIVE = "STOP PENDING", "STOP IN_PROGRESS", "INACTIVE"
START_PENDING, START_IN_PROGRESS = "START PENDING", "START IN_PROGRESS"
# data deletion jobs speak another vocabulary
PENDING, IN_PROGRESS, COMPLETED, FAILED = "PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"

TRANSIENT = {CREATE_PENDING, CREATE_IN_PROGRESS, DELETE_PENDING, DELETE_IN_PROGRESS, CREATE_STOPPING,
             UPDATE_PENDING, UPDATE_IN_PROGRESS, STOP_PENDING, STOP_IN_PROGRESS, START_PENDING, START_IN_PROGRESS,
             PENDING, IN_PROGRESS}
SETTLED = {ACTIVE, CREATE_FAILED}

_CREATE = {
    CREATE_PENDING: {CREATE_IN_PROGRESS, CREATE_FAILED},
    CREATE_IN_PROGRESS: {ACTIVE, CREATE_FAILED},
}
_DELETE = {
    ACTIVE: {DELETE_PENDING},
    CREATE_FAILED: {DELETE_PENDING},
    DELETE_PENDING: {DELETE_IN_PROGRESS},
}
_STOP = {
    CREATE_PENDING: {CREATE_IN_PROGRESS, CREATE_FAILED, CREATE_STOPPED},
    CREATE_IN_PROGRESS: {ACTIVE, CREATE_FAILED, CREATE_STOPPING},
    CREATE_STOPPING: {CREATE_STOPPED},
}


def _merge(*tables: dict) -> dict:
    merged: dict[str, set] = {}
    for table in tables:
        for source, targets in table.items():
            merged.setdefault(source, set()).update(targets)
    return merged


MOVES = {
    "dataset-group": _merge(_CREATE, _DELETE),
    "dataset": _merge(_CREATE, _DELETE, {ACTIVE: {UPDATE_PENDING}, UPDATE_PENDING: {UPDATE_IN_PROGRESS},
                                         UPDATE_IN_PROGRESS: {ACTIVE}}),
    "dataset-import-job": _CREATE,
    "event-tracker": _merge(_CREATE, _DELETE),
    "solution": _merge(_CREATE, _DELETE),
    "solution-version": _STOP,
    "campaign": _merge(_CREATE, _DELETE, {CREATE_FAILED: {ACTIVE}}),   # a successful UpdateCampaign revives it
    "dataset-export-job": _CREATE,
    "data-deletion-job": {PENDING: {IN_PROGRESS, FAILED}, IN_PROGRESS: {COMPLETED, FAILED}},
    "filter": _merge(_CREATE, _DELETE),
    "batch-inference-job": _CREATE,
    "batch-segment-job": _CREATE,
    "metric-attribution": _merge(_CREATE, _DELETE),
    "recommender": _merge(_CREATE, _DELETE, {
        ACTIVE: {DELETE_PENDING, STOP_PENDING}, STOP_PENDING: {STOP_IN_PROGRESS}, STOP_IN_PROGRESS: {INACTIVE},
        INACTIVE: {START_PENDING, DELETE_PENDING}, START_PENDING: {START_IN_PROGRESS},
        START_IN_PROGRESS: {ACTIVE}}),
}


def check(kind: str, current: str | None, new: str) -> None:
    """Raise if `kind` may not move from `current` to `new`: that is a bug in the emulator."""
    if new not in MOVES.get(kind, {}).get(current, ()):
        raise RuntimeError(f"illegal status move for a {kind}: {current!r} -> {new!r}")


def live(records: list[dict]) -> list[dict]:
    """The records that are not on their way out."""
    return [record for record in records if record.get("status") not in (DELETE_PENDING, DELETE_IN_PROGRESS)]


def deletable(status: str | None) -> bool:
    """Resources in a transient state cannot be deleted. spec: personalize-behavior.md §2.4"""
    return status not in TRANSIENT
