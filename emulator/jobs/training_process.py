"""The training process: `python -m emulator.jobs.training_process` reads TrainingRequests as JSON lines on stdin, one
after another; for each it trains, evaluates, saves the model, and writes the outcome as a JSON line on stdout.
Its own process, so torch cannot starve the API and a crash stays here; kept warm between trainings."""

import contextlib
import ctypes
import dataclasses
import json
import logging
import os
import queue
import signal
import sys
import threading
from collections.abc import Iterator

import numpy as np

from emulator.datasets.schemas import NUMERIC, DatasetSchema, Field, camel_case, parse_schema
from emulator.exploration import ItemStats
from emulator.recipes import context_lifts
from emulator.recipes import metrics, registry, tuning
from emulator.recipes.base import TrainingBudget, UnusableData
from emulator.recipes.data import CATEGORICAL, NUMERICAL, TEXTUAL, Interactions, Metadata
from emulator.store import model_files
from emulator.store.arns import name_of, sibling_dataset_arn
from emulator.store.dataset_rows import DatasetRows
from emulator.store.resources import Store
from service_model import recipes as catalogue

log = logging.getLogger("emulator.training")

MIN_INTERACTIONS, MIN_ACTIVE_USERS = 1000, 25   # spec: personalize-behavior.md §6
NOT_CONTEXT = {"USER_ID", "ITEM_ID", "ACTION_ID", "EVENT_TYPE", "IMPRESSION", "RECOMMENDATION_ID",
               "EVENT_ATTRIBUTION_SOURCE"}


@dataclasses.dataclass
class TrainingRequest:
    database: str
    dataset: str
    trained_through: int
    recipe: str
    hyperparameters: dict
    event_type: str | None
    artifact: str
    seed: int          # the model's initialisation
    split_seed: int    # the held-out users: the same for every solution of a dataset group, so metrics compare
    budget: dict
    hpo_config: dict | None = None   # performHPO: search these ranges (None: no search)
    auto_ml: dict | None = None      # performAutoML: choose among autoMLConfig's recipes, then tune the winner
    update_from: str | None = None   # trainingMode UPDATE: the FULL version's model, brought up to date
    columns: dict | None = None      # trainingDataConfig: excludedDatasetColumns / includedDatasetColumns


def run_training(request: TrainingRequest) -> dict:
    """In the training process: load the data, check the minimums, fit, evaluate on held-out users, save."""
    data, context = _load(request)
    if data.n_interactions < MIN_INTERACTIONS:
        suffix = f" after filtering by event type: {request.event_type}" if request.event_type else ""
        return {"failure": f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions{suffix}."}
    if data.users_with_at_least(2) < MIN_ACTIVE_USERS:
        return {"failure": "Create failed. Dataset has fewer than 25 users with at least 2 interactions each."}
    if request.update_from:   # no training and no new metrics: the version reports its FULL version's
        model = registry.load(request.update_from)
        model.update(data)
        _save(request, model, data, context)
        return {"metrics": {}}
    train_data, test_users = data.split(seed=request.split_seed)
    budget, outcome = TrainingBudget(**request.budget), {}
    recipe, hyperparameters = request.recipe, request.hyperparameters

    def progress(line: str) -> None:
        log.info("%s: %s", name_of(request.artifact), line)
    if request.auto_ml is not None:   # spec: personalize-behavior.md §12.2: AutoML implies HPO
        recipe, _ = tuning.choose_recipe(request.auto_ml.get("recipeList") or catalogue.auto_ml_recipes(), train_data,
                                         request.auto_ml.get("metricName"), request.split_seed, budget, progress)
        hyperparameters, outcome["recipe"] = catalogue.traits(recipe).default_hyperparameters, recipe
    if request.hpo_config is not None or request.auto_ml is not None:
        hyperparameters, _ = tuning.search(recipe, train_data, hyperparameters, request.hpo_config,
                                           request.split_seed, budget, progress)
        outcome["tunedHPOParams"] = {"algorithmHyperParameters": hyperparameters}
    model = registry.build(recipe, hyperparameters, seed=request.seed, budget=budget)
    model.fit(train_data, log=progress)
    model.build_user_states(data)
    scores = metrics.evaluate(model, test_users, data.n_items)
    _save(request, model, data, context)
    return {**outcome, "metrics": scores}


def _save(request: TrainingRequest, model, data: Interactions, context: dict[str, list]) -> None:
    """The model, and beside it what serving needs: item statistics for exploration, context lifts."""
    model.save(request.artifact)
    stats = ItemStats.from_arrays(data.item_index, data.timestamp, data.n_items)
    model_files.save_arrays(model_files.stats_path(request.artifact), interactions=stats.interactions,
                            age_days=stats.age_days)
    model_files.save_arrays(model_files.context_path(request.artifact),
                            **context_lifts.learn(context, data.item_index, data.n_items))


def _load(request: TrainingRequest) -> tuple[Interactions, dict[str, list]]:
    """The interactions, and the values of their context columns row by row (string metadata columns of the
    Interactions schema, from imports in upper case or from PutEvents properties in camelCase)."""
    rows = DatasetRows.read_only(request.database)
    store = Store(rows.db)   # for the datasets' schemas
    try:
        names = [name for name in _context_columns(store, request.dataset)
                 if _featurized(request.columns, "INTERACTIONS", name)]
        users, item_ids, stamps, event_types, context = _columns(
            rows.training_events(request.dataset, request.trained_through, request.event_type), names)
        items, profiles = (_records(store, rows, sibling_dataset_arn(request.dataset, kind), kind, request.columns)
                           for kind in ("ITEMS", "USERS"))
    finally:
        rows.db.close()
    return Interactions.from_columns(users, item_ids, stamps, items=items, event_types=event_types,
                                     users=profiles), context


def _columns(chunks: Iterator[list[tuple]], names: list[str]) -> tuple:
    """(users, items, timestamps, event types, context values by column) of the rows, read into arrays a chunk
    at a time: the rows as Python tuples would take gigabytes at tens of millions."""
    parts: tuple[list, ...] = ([], [], [], [])
    context: dict[str, list] = {name: [] for name in names}
    event_types: dict[str | None, str | None] = {}   # one string object per event type
    for chunk in chunks:
        users, items, stamps, types, fields = zip(*chunk)
        parts[0].append(np.array(users, dtype=str))
        parts[1].append(np.array(items, dtype=str))
        parts[2].append(np.array(stamps, dtype=np.int64))
        parts[3].append(np.array([event_types.setdefault(kind, kind) for kind in types], dtype=object))
        for extra in fields if names else ():
            values = json.loads(extra) if extra else {}
            for name in names:
                context[name].append(values.get(name, values.get(camel_case(name))))
    if not parts[0]:
        return (), (), (), (), context
    return (*(np.concatenate(part) for part in parts), context)


def _context_columns(store: Store, dataset: str) -> list[str]:
    schema = _schema(store, dataset)
    if schema is None:
        return []
    return [field.name for field in schema.fields if field.type == "string" and field.name not in NOT_CONTEXT]


def _schema(store: Store, dataset: str) -> DatasetSchema | None:
    """The parsed schema of a dataset of the group; None when the group has no such dataset."""
    found = store.find("dataset", dataset)
    return None if found is None else parse_schema(store.get("schema", found["schemaArn"])["schema"])


def _featurized(columns: dict | None, dataset_type: str, name: str) -> bool:
    """Whether trainingDataConfig lets a model learn from a column: not excluded, and included when the
    dataset type has an include list (spec: recipes-and-models.md §2.1 step 3; filters still see every column)."""
    def named(key: str) -> set[str] | None:
        for kind, names in ((columns or {}).get(key) or {}).items():
            if kind.upper() == dataset_type:
                return {column.upper() for column in names}
        return None
    excluded, included = named("excludedDatasetColumns"), named("includedDatasetColumns")
    return name.upper() not in (excluded or set()) and (included is None or name.upper() in included)


def _records(store: Store, rows: DatasetRows, dataset: str, dataset_type: str,
             columns: dict | None) -> Metadata | None:
    """The group's Items or Users records with the kind of each metadata column from the dataset's schema, less
    the columns trainingDataConfig leaves out; None without such a dataset. spec: recipes-and-models.md §2.2
    (CREATION_TIMESTAMP is no learned feature)"""
    schema = _schema(store, dataset)
    if schema is None:
        return None
    kinds = {field.name: _kind(field) for field in schema.fields
             if _kind(field) and field.name not in ("ITEM_ID", "USER_ID", "CREATION_TIMESTAMP")
             and _featurized(columns, dataset_type, field.name)}
    return Metadata.from_records(rows.records(dataset), kinds)


def _kind(field: Field) -> str | None:
    """How a model encodes a metadata column; None for a plain (non-categorical) string, which only filters use."""
    if field.textual or field.item_name:
        return TEXTUAL
    if field.categorical or field.type == "boolean":
        return CATEGORICAL
    return NUMERICAL if field.type in NUMERIC else None


def serve(warm_up: bool = True) -> None:
    """Trainings one after another (jobs/training_pool.py keeps this process warm): a TrainingRequest as one JSON
    line on stdin, its outcome as one line on stdout. Any other error ends the process, with its traceback on
    stderr."""
    answers, sys.stdout = sys.stdout, sys.stderr   # only outcomes on stdout, whatever a library prints
    requests = _die_with_server()
    if warm_up:
        _warm_up()
    while True:
        request = TrainingRequest(**json.loads(requests.get()))
        try:
            outcome = run_training(request)
        except UnusableData as problem:
            outcome = {"failure": str(problem)}
        answers.write(json.dumps(outcome) + "\n")
        answers.flush()


def _warm_up() -> None:
    """A tiny GRU training while the process waits for its first request: torch sets up its kernels on first use
    (about 1 s of CPU), which the first real training would pay otherwise. A transformer's training after it saved
    nothing measurable (a v2 training took 2.0-2.2 s of CPU either way) for 0.4 s of CPU at every start."""
    rng = np.random.default_rng(0)
    data = Interactions.from_columns(rng.integers(40, size=800).astype(str), rng.integers(30, size=800).astype(str),
                                     np.arange(800))
    registry.build("aws-user-personalization", {}, budget=TrainingBudget(max_epochs=1)).fit(data)


def _die_with_server() -> queue.Queue:
    """End this process when the server that started it ends, even by kill -9, even mid-training, so a restarted
    server never finds an orphan training the same version: Linux kills it at once (PR_SET_PDEATHSIG); anywhere,
    the end of stdin, which the server holds open while it lives. Returns the request lines read from stdin."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)   # 1: PR_SET_PDEATHSIG
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line)
        os._exit(1)
    threading.Thread(target=read, name="requests", daemon=True).start()
    return lines


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    serve(warm_up="--no-warm-up" not in sys.argv[1:])
