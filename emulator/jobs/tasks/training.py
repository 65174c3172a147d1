"""Training a solution version: in a worker process, so torch cannot starve the API."""

import concurrent.futures
import dataclasses
import logging
import multiprocessing
import pathlib
import sqlite3
import threading
import time

import numpy as np

from emulator.exploration import ItemStats
from emulator.jobs import TaskFailed
from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions
from emulator.store.arns import name_of
from service_model import recipes as catalogue

log = logging.getLogger("emulator.training")

MIN_INTERACTIONS, MIN_ACTIVE_USERS = 1000, 25   # spec: personalize-behavior.md §6

_pool: concurrent.futures.ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def train(arn: str, env) -> None:
    version = env.store.get("solution-version", arn)
    recipe = catalogue.recipe_name(version["recipeArn"] or "")
    if not registry.supported(recipe):
        raise TaskFailed(f"The emulator cannot train the recipe {recipe or '(AutoML)'} yet.")
    group = version["datasetGroupArn"]
    dataset = f"{group.replace(':dataset-group/', ':dataset/')}/INTERACTIONS"
    hyperparameters = catalogue.default_hyperparameters(version["recipeArn"])
    hyperparameters.update((version.get("solutionConfig") or {}).get("algorithmHyperParameters", {}))
    trained_through = env.db.execute("SELECT coalesce(max(id), 0) FROM interactions").fetchone()[0]
    artifact = f"{name_of(version['solutionArn'])}-{name_of(arn)}.npz"
    request = TrainingRequest(str(env.settings.database_path), dataset, trained_through, recipe, hyperparameters,
                              version.get("eventType"), str(env.settings.models_dir / artifact),
                              seed=int(name_of(arn), 16), budget=env.settings.training)
    started = time.monotonic()
    outcome = _worker_pool().submit(run_training, request).result()
    if "failure" in outcome:
        raise TaskFailed(outcome["failure"])
    env.store.set_internal(arn, artifact=artifact, metrics=outcome["metrics"], eventsDataset=dataset,
                           trainedThrough=trained_through)
    env.store.update(arn, trainingHours=round((time.monotonic() - started) / 3600, 6))


def drop_solution_versions(arn: str, env) -> None:
    for version in env.store.children(arn, "solution-version"):
        env.serving.forget(version["solutionVersionArn"])
        artifact = env.store.internal(version["solutionVersionArn"]).get("artifact")
        if artifact:
            (env.settings.models_dir / artifact).unlink(missing_ok=True)
            stats_path(env.settings.models_dir / artifact).unlink(missing_ok=True)
        env.store.remove(version["solutionVersionArn"])


@dataclasses.dataclass
class TrainingRequest:
    database: str
    dataset: str
    trained_through: int
    recipe: str
    hyperparameters: dict
    event_type: str | None
    artifact: str
    seed: int
    budget: TrainingBudget


def run_training(request: TrainingRequest) -> dict:
    """In the training process: load the data, check the minimums, fit, evaluate on held-out users, save."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    data = _load(request)
    if data.n_interactions < MIN_INTERACTIONS:
        suffix = f" after filtering by event type: {request.event_type}" if request.event_type else ""
        return {"failure": f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions{suffix}."}
    if data.users_with_at_least(2) < MIN_ACTIVE_USERS:
        return {"failure": "Create failed. Dataset has fewer than 25 users with at least 2 interactions each."}
    train_data, test_users = data.split(seed=request.seed)
    model = registry.build(request.recipe, request.hyperparameters, seed=request.seed, budget=request.budget)
    model.fit(train_data, log=lambda line: log.info("%s: %s", name_of(request.artifact), line))
    model.build_user_states(data)
    scores = metrics.evaluate(model, test_users, data.n_items)
    model.save(request.artifact)
    stats = ItemStats.from_arrays(data.item_index, data.timestamp, data.n_items)
    np.savez(stats_path(request.artifact), interactions=stats.interactions, age_days=stats.age_days)
    return {"metrics": scores}


def stats_path(artifact) -> pathlib.Path:
    """Where the item statistics that exploration needs are kept, beside the model."""
    artifact = pathlib.Path(artifact)
    return artifact.with_name(artifact.stem + "-items.npz")


def _load(request: TrainingRequest) -> Interactions:
    conn = sqlite3.connect(f"file:{request.database}?mode=ro", uri=True)
    try:
        sql = ("SELECT user_id, item_id, timestamp FROM interactions WHERE dataset = ? AND id <= ?"
               " AND user_id IS NOT NULL AND item_id IS NOT NULL")
        params: list = [request.dataset, request.trained_through]
        if request.event_type:
            sql, params = sql + " AND lower(event_type) = lower(?)", params + [request.event_type]
        rows = conn.execute(sql + " ORDER BY timestamp, id", params).fetchall()
    finally:
        conn.close()
    users, items, stamps = zip(*rows) if rows else ((), (), ())
    return Interactions.from_columns(users, items, stamps)


def _worker_pool() -> concurrent.futures.ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: a fresh interpreter, no inherited threads or locks from the server
            _pool = concurrent.futures.ProcessPoolExecutor(max_workers=1,
                                                           mp_context=multiprocessing.get_context("spawn"))
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
