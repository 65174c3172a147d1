"""create_app(settings): the store, the job workers, the Flask app for Personalize and the gate to moto."""

import logging
import os
import sys
import uuid

from flask import Flask, request
from threadpoolctl import threadpool_limits
from werkzeug.exceptions import HTTPException

from emulator import attribution, console, cors, dispatch, exploration, filter_masks, internal, protocol
from emulator.auto_training import AutoTraining
from emulator.errors import UnknownOperationException
from emulator.jobs import training_pool
from emulator.jobs.queue import Queue
from emulator.jobs.worker import Worker
from emulator.gate import INTERNAL_PREFIX, make_gate
from emulator.s3 import ObjectStore
from emulator.deployed import DeployedModels
from emulator.settings import DEFAULT_ACCOUNT, Settings
from emulator.store import model_files
from emulator.store.dataset_rows import DatasetRows
from emulator.store.db import Database
from emulator.store.resources import Store
from service_model import routing

log = logging.getLogger("emulator")


class Emulator:
    """One emulator instance. `wsgi` is what the HTTP server serves."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stopping = False
        # scripts written for AWS attach managed policies such as AmazonPersonalizeFullAccess to their roles
        os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        _look_up_access_keys_in_existing_iam_backends()
        if settings.account_id != DEFAULT_ACCOUNT:
            os.environ["MOTO_ACCOUNT_ID"] = settings.account_id   # moto's S3 and IAM use the same account
        settings.models_dir.mkdir(parents=True, exist_ok=True)
        model_files.delete_partial(settings.models_dir)
        # one BLAS thread: serving multiplies small matrices, and a second thread per request only adds waiting
        # when the cores are busy (p99 51 ms against 4.6 ms measured); training has a process of its own
        threadpool_limits(1, user_api="blas")
        self.db = Database(settings.database_path)
        self.store = Store(self.db)
        self.rows = DatasetRows(self.db)   # events and records; the caches below hear of their changes
        self.queue = Queue(self.db, settings.training_processes)
        self.s3 = ObjectStore(settings)
        self.deployed = DeployedModels(self)
        self.exploration = exploration.Exploration(self)
        self.masks = filter_masks.Masks(self.rows)
        self.recommendation_ids = attribution.RecommendationIds()
        self.worker = Worker(self.queue, self, settings.worker_threads)
        self.auto_training = AutoTraining(self)
        self.flask = _personalize_app(self)
        self.wsgi = cors.allowing(make_gate(dispatch.wsgi_app(self, self.flask.wsgi_app), _moto_app(), self.reset),
                                  settings.cors_origins)

    def start(self) -> "Emulator":
        self.worker.start()
        self.auto_training.start()
        # training processes warm up (import torch) beside the server; stop() ends them
        training_pool.prewarm(self.settings.training_processes, self.settings.warm_up_training)
        return self

    def reset(self) -> None:
        """Drop all Personalize state. Jobs already running finish against resources that no longer exist
        and find nothing to move."""
        with self.db.transaction() as conn:
            for table in ("jobs", "resources"):
                conn.execute(f"DELETE FROM {table}")
            self.rows.delete_all()
        self.store.changed()
        for cache in (self.deployed, self.exploration, self.masks, self.recommendation_ids):
            cache.clear()
        model_files.delete_all(self.settings.models_dir)

    def stop(self) -> None:
        """End every thread and process the emulator started. Trainings in progress end first, so the workers
        waiting on them stop at once; their jobs stay unfinished and run again at the next start."""
        self.stopping = True
        self.auto_training.stop()
        solution_versions = sys.modules.get("emulator.jobs.tasks.solution_versions")   # loaded by the first job
        if solution_versions is not None:
            solution_versions.shutdown()
        self.worker.stop()
        training_pool.shutdown()


def create_app(settings: Settings) -> Emulator:
    return Emulator(settings)


def _personalize_app(env: Emulator) -> Flask:
    app = Flask("emulator")
    app.config["EMULATOR"] = env
    app.register_blueprint(internal.blueprint)
    app.register_blueprint(console.blueprint)   # GET requests and our own paths only: dispatch.wsgi_app never gets here

    def view(**_):   # the routes dispatch.wsgi_app does not match exactly (an escaped path, say) still answer
        status, headers, body = dispatch.handle(env, dispatch.call_of(request.environ))
        return body, status, headers

    # no automatic OPTIONS answer: CORS is not offered, so a preflight gets the AWS error for a wrong method
    app.add_url_rule("/", "control_plane", view, methods=["POST"], provide_automatic_options=False)
    for number, (method, path) in enumerate(sorted(routing.PATHS)):
        app.add_url_rule(path, f"rest_{number}", view, methods=[method], provide_automatic_options=False)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Werkzeug's HTML pages would make the JS SDK throw SyntaxError; answer the AWS way
        failure = UnknownOperationException(f"No Personalize operation answers {request.method} {request.path}.")
        if request.path.startswith(INTERNAL_PREFIX) and getattr(error, "valid_methods", None):
            allowed = " or ".join(sorted(set(error.valid_methods) - {"OPTIONS", "HEAD"}))
            failure = UnknownOperationException(f"{request.path} answers {allowed}, not {request.method}.")
        failure.status = error.code or 404
        status, headers, body = protocol.error_body("personalize-runtime", failure)
        headers["x-amzn-RequestId"] = str(uuid.uuid4())
        return body, status, headers

    return app


def _look_up_access_keys_in_existing_iam_backends() -> None:
    """moto finds a request's account by looking for its access key in the IAM backend of every partition (aws,
    aws-cn, aws-us-gov, ...), which creates the five nobody uses, each loading AWS's managed policies (about 0.3 s
    apiece): on the first request, and again after every reset. A key can only be in a backend that exists, so
    looking in those alone gives the same account, for the cost of one backend."""
    from moto.iam import models
    if getattr(models.get_account_id_from, "existing_backends_only", False):
        return

    def get_account_id_from(access_key: str) -> str:
        for account_id, account in list(models.iam_backends.items()):
            if any(access_key in backend.access_keys for backend in list(dict.values(account))):
                return account_id
        return models.DEFAULT_ACCOUNT_ID
    get_account_id_from.existing_backends_only = True
    models.get_account_id_from = get_account_id_from


def _moto_app():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    return DomainDispatcherApplication(create_backend_app)
