"""Training a solution version: the server side, which hands the work to a training process."""

import dataclasses
import logging
import subprocess
import threading
import time
import zlib

from emulator.errors import TaskFailed
from emulator.jobs import Interrupted, training_pool
from emulator.jobs.training_process import TrainingRequest
from emulator.recipes import registry
from emulator.store import lifecycle, model_files
from emulator.store.arns import dataset_arn, name_of
from service_model import recipes as catalogue

_running: dict[str, subprocess.Popen] = {}   # solution version ARN -> its training process
_progress: dict[str, dict] = {}              # solution version ARN -> when it started, its log lines so far
MAX_LOG_LINES = 2000                         # kept per training: HPO's trials log an epoch line each
training_log = logging.getLogger("emulator.training")
_running_lock = threading.Lock()


def train(arn: str, env) -> None:
    """A solution version: its solution's recipe and configuration."""
    version = env.store.get("solution-version", arn)
    config = version.get("solutionConfig") or {}
    auto_ml = (config.get("autoMLConfig") or {}) if version.get("performAutoML") else None
    recipe, hyperparameters = "aws-user-personalization", {}   # what AutoML's candidates learn from
    if auto_ml is None:
        recipe = catalogue.recipe_name(version["recipeArn"])
        if not registry.supported(recipe):
            raise TaskFailed(f"The emulator cannot train the recipe {recipe} yet.")
        hyperparameters = catalogue.default_hyperparameters(version["recipeArn"])
        hyperparameters.update(config.get("featureTransformationParameters", {}))
        hyperparameters.update(config.get("algorithmHyperParameters", {}))
    hpo = (config.get("hpoConfig") or {}) if version.get("performHPO") or auto_ml is not None else None
    artifact = model_files.name(name_of(version["solutionArn"]), name_of(arn))
    base = env.store.internal(arn).get("updateOf")   # trainingMode UPDATE: the FULL version it brings up to date
    update_from = str(model_files.path(env.settings.models_dir, env.store.internal(base)["artifact"])) if base else None
    outcome = fit(env, arn, recipe, hyperparameters, version.get("eventType"), version["datasetGroupArn"],
                  seed=int(name_of(arn), 16), artifact=artifact, hpo_config=hpo, auto_ml=auto_ml,
                  update_from=update_from, columns=config.get("trainingDataConfig"))
    if outcome is None:
        return
    if base:
        env.store.set_internal(arn, metrics=env.store.internal(base)["metrics"])
    changes = {"trainingHours": round(outcome["seconds"] / 3600, 6)}
    if "tunedHPOParams" in outcome:
        changes["tunedHPOParams"] = outcome["tunedHPOParams"]
    if "recipe" in outcome:   # AutoML: the version is a model of the recipe it chose
        changes["recipeArn"] = catalogue.recipe_arn(outcome["recipe"])
        env.store.update(version["solutionArn"], autoMLResult={"bestRecipeArn": changes["recipeArn"]})
    env.store.update(arn, **changes)


def fit(env, arn: str, recipe: str, hyperparameters: dict, event_type: str | None, group: str, seed: int,
        artifact: str, hpo_config: dict | None = None, auto_ml: dict | None = None,
        update_from: str | None = None, columns: dict | None = None) -> dict | None:
    """Train a model of the group's interactions in a training process and keep it as `arn`'s model: the
    artifact, its metrics and how far into the interactions it saw. The training's outcome with the seconds it
    took, or None when a stop ended it."""
    dataset = dataset_arn(group, registry.dataset_type(recipe))
    trained_through = env.rows.settled_through(dataset)
    request = TrainingRequest(str(env.settings.database_path), dataset, trained_through, recipe, hyperparameters,
                              event_type, str(model_files.path(env.settings.models_dir, artifact)), seed=seed,
                              split_seed=zlib.crc32(group.encode()), budget=dataclasses.asdict(env.settings.training),
                              hpo_config=hpo_config, auto_ml=auto_ml, update_from=update_from, columns=columns)
    started, lines = time.monotonic(), []
    try:   # the job queue's training lane gives this job one of the training processes
        outcome = _run_in_process(arn, request, lines)
    except RuntimeError:
        env.store.set_internal(arn, trainingLog=lines)
        if env.store.status(arn) == lifecycle.CREATE_STOPPING:
            return None   # the stop ended the process; the create task records CREATE STOPPED
        if env.stopping:
            raise Interrupted() from None
        raise
    env.store.set_internal(arn, trainingLog=lines)   # the epoch lines stay with the version (the console's curves)
    if "failure" in outcome:
        raise TaskFailed(outcome["failure"])
    env.store.set_internal(arn, artifact=artifact, metrics=outcome["metrics"], eventsDataset=dataset,
                           trainedThrough=trained_through)
    return {**outcome, "seconds": time.monotonic() - started}


def drop_solution_versions(arn: str, env) -> None:
    for version in env.store.children(arn, "solution-version"):
        env.deployed.forget(version["solutionVersionArn"])
        model_files.delete(env.settings.models_dir, env.store.internal(version["solutionVersionArn"]).get("artifact"))
        env.store.remove(version["solutionVersionArn"])


def stop(arn: str) -> None:
    """StopSolutionVersionCreation: end the training process now."""
    with _running_lock:
        process = _running.get(arn)
    if process is not None:
        process.terminate()


def _run_in_process(arn: str, request: TrainingRequest, lines: list[str]) -> dict:
    """Train in a warm training process (jobs/training_pool.py): torch has its own cores and memory, and a crash stays
    there. Its log lines (one per epoch) go to the server's log, to progress() and onto `lines`."""
    trainer = training_pool.take()
    with _running_lock:
        _running[arn] = trainer.process
        _progress[arn] = {"startedAt": time.time(), "lastMessage": "starting", "lines": lines}
    try:
        return trainer.run(dataclasses.asdict(request), lambda line: _note(arn, line))
    finally:
        with _running_lock:
            _running.pop(arn, None)
            _progress.pop(arn, None)
        training_pool.give_back(trainer)


def _note(arn: str, line: str) -> None:
    message = line.split(" emulator.training ", 1)[-1]
    training_log.info("%s", message)
    with _running_lock:
        if arn in _progress:
            _progress[arn]["lastMessage"] = message
            if len(_progress[arn]["lines"]) < MAX_LOG_LINES:
                _progress[arn]["lines"].append(message)


def progress() -> dict[str, dict]:
    """Trainings running now: when each started and its latest log line (epoch, loss, validation score)."""
    now = time.time()
    with _running_lock:
        return {arn: {"elapsedSeconds": round(now - entry["startedAt"], 1), "lastMessage": entry["lastMessage"]}
                for arn, entry in _progress.items()}


def log_lines(arn: str) -> tuple[float, list[str]] | None:
    """A running training's start (epoch seconds) and its log lines so far; None when `arn` is not training."""
    with _running_lock:
        entry = _progress.get(arn)
        return None if entry is None else (entry["startedAt"], list(entry["lines"]))


def shutdown() -> None:
    """Stop trainings in progress; their jobs run again at the next start."""
    with _running_lock:
        for process in _running.values():
            process.terminate()
