"""Recommenders: the model a domain use case trains, and the moves of StopRecommender, StartRecommender and
UpdateRecommender. spec: personalize-behavior.md §3.12"""

import zlib

from emulator.jobs import advance, dwell, updates
from emulator.jobs.tasks import solution_versions
from emulator.recipes.use_cases import USE_CASES
from emulator.store import lifecycle, model_files
from emulator.store.arns import name_of, short_id
from service_model import recipes as catalogue


def build(arn: str, env) -> None:
    """CreateRecommender's work: train the use case's model."""
    recommender = env.store.get("recommender", arn)
    _train(env, recommender, (recommender.get("recommenderConfig") or {}).get("trainingDataConfig"))


def stop(arn: str, env) -> None:
    _walk(env, arn, lifecycle.STOP_PENDING, lifecycle.STOP_IN_PROGRESS, lifecycle.INACTIVE)


def start(arn: str, env) -> None:
    _walk(env, arn, lifecycle.START_PENDING, lifecycle.START_IN_PROGRESS, lifecycle.ACTIVE)


def update(arn: str, env) -> None:
    """The recommender answers with its old configuration until the update is ACTIVE; a change of the training
    columns retrains it first."""
    def work(recommender: dict, pending: dict) -> None:
        old, new = recommender.get("recommenderConfig") or {}, pending["recommenderConfig"]
        if old.get("trainingDataConfig") != new.get("trainingDataConfig"):
            _train(env, recommender, new.get("trainingDataConfig"))

    updates.walk(env, arn, "latestRecommenderUpdate", work,
                 lambda _, pending: env.store.update(arn, recommenderConfig=pending["recommenderConfig"]))


def remove(arn: str, env) -> None:
    env.deployed.forget(arn)
    model_files.delete(env.settings.models_dir, env.store.internal(arn).get("artifact"))


def _train(env, recommender: dict, columns: dict | None) -> None:
    arn = recommender["recommenderArn"]
    use_case = USE_CASES[catalogue.recipe_name(recommender["recipeArn"])]
    hyperparameters = catalogue.traits(use_case.recipe).default_hyperparameters
    before = env.store.internal(arn).get("artifact")
    outcome = solution_versions.fit(env, arn, use_case.recipe, hyperparameters, use_case.event_type,
                           recommender["datasetGroupArn"], seed=zlib.crc32(arn.encode()),
                           artifact=model_files.name("recommender", name_of(arn), short_id()), columns=columns)
    if outcome is None:
        return
    env.deployed.forget(arn)   # the next request loads the new model
    model_files.delete(env.settings.models_dir, before)
    env.store.update(arn, modelMetrics=env.store.internal(arn)["metrics"])


def _walk(env, arn: str, pending: str, in_progress: str, done: str) -> None:
    if advance(env, arn, pending, in_progress):
        dwell(env)
        env.store.move(arn, in_progress, done)
