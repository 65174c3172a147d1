"""Dataset export jobs: a dataset's records as CSV in S3, and data deletion jobs: users' records removed
from every dataset of a group. spec: personalize-behavior.md §3.5, §3.6"""

import csv
import io
import json

from emulator import s3
from emulator.errors import TaskFailed
from emulator.jobs.tasks.imports import ID_COLUMNS, interaction_fields
from emulator.store.arns import dataset_arn, name_of

SOURCES = {"BULK": ("bulk",), "PUT": ("put",), "ALL": ("bulk", "put")}


def export_dataset(arn: str, env) -> None:
    job = env.store.get("dataset-export-job", arn)
    dataset = env.store.get("dataset", job["datasetArn"])
    names = [field["name"] for field in json.loads(env.store.get("schema", dataset["schemaArn"])["schema"])["fields"]]
    mode = job.get("ingestionMode", "PUT")
    if dataset["datasetType"] in ID_COLUMNS:
        rows = _records(env, dataset["datasetArn"], SOURCES[mode])
    else:
        rows = _interactions(env, dataset["datasetArn"], dataset["datasetType"], SOURCES[mode])
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    seen = set()
    for row in rows:
        line = tuple("" if row.get(name) is None else _cell(row[name]) for name in names)
        if line not in seen:   # records identical in every field are exported once
            seen.add(line)
            writer.writerow(line)
    folder = job["jobOutput"]["s3DataDestination"]["path"]
    env.s3.write(s3.join(folder, f"{name_of(arn)}_{dataset['datasetType'].lower()}.csv"), text.getvalue().encode())


def _records(env, dataset: str, sources: tuple[str, ...]):
    # a record id holds one row (the newest put or import), so ALL keeps the newest record per id
    marks = ",".join("?" * len(sources))
    for (fields,) in env.db.execute(f"SELECT fields FROM records WHERE dataset = ? AND source IN ({marks})"
                                    " ORDER BY record_id", (dataset, *sources)):
        yield json.loads(fields)


def _interactions(env, dataset: str, dataset_type: str, sources: tuple[str, ...]):
    fields = interaction_fields(dataset_type)
    marks = ",".join("?" * len(sources))
    rows = env.db.execute(f"SELECT {', '.join(fields)}, fields FROM interactions WHERE dataset = ? AND source IN"
                          f" ({marks}) ORDER BY timestamp, id", (dataset, *sources))
    for row in rows:
        values = {name: row[column] for column, name in fields.items()}
        values.update(json.loads(row["fields"]) if row["fields"] else {})
        yield values


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def users_to_delete(arn: str, env) -> set[str]:
    """The users listed in a data deletion job's CSV (one USER_ID column)."""
    job = env.store.get("data-deletion-job", arn)
    users = set()
    for key, data in env.s3.read(job["dataSource"]["dataLocation"]):
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", errors="replace"))))
        if not rows or [cell.strip().upper() for cell in rows[0]] != ["USER_ID"]:
            raise TaskFailed(f"{key}: the file must have one column with the header USER_ID.")
        users.update(row[0].strip() for row in rows[1:] if row and row[0].strip())
    return users


def delete_users(env, group: str, users: set[str]) -> int:
    """Remove every record of `users` from the group's datasets, in the caller's transaction (the one that
    completes the job); the number of records removed."""
    interaction_sets = [dataset_arn(group, kind) for kind in ("INTERACTIONS", "ACTION_INTERACTIONS")]
    deleted = 0
    with env.db.transaction() as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS doomed (user_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM doomed")
        conn.executemany("INSERT OR IGNORE INTO doomed VALUES (?)", [(user,) for user in users])
        for dataset in interaction_sets:
            deleted += conn.execute("DELETE FROM interaction_rows WHERE dataset = ? AND user_id IN"
                                    " (SELECT user_id FROM doomed)", (dataset,)).rowcount
        deleted += conn.execute("DELETE FROM records WHERE dataset = ? AND record_id IN (SELECT user_id FROM doomed)",
                                (dataset_arn(group, "USERS"),)).rowcount
        conn.execute("DELETE FROM doomed")
        env.db.after_commit(lambda: env.serving.events_arrived(list(users)))   # their cached states are stale
        env.db.after_commit(env.serving.records_changed)
    return deleted
