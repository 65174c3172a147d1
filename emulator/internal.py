"""Our own routes, under one reserved prefix that no AWS API uses."""

from flask import Blueprint, current_app, jsonify, request

from emulator import browsers
from emulator.gate import INTERNAL_PREFIX
from service_model import SERVICES

CONSOLE_PATH = INTERNAL_PREFIX + "/console/"
blueprint = Blueprint("emulator_internal", __name__, url_prefix=INTERNAL_PREFIX)


@blueprint.before_request
def refuse_web_pages():
    """A page open in the user's browser must not wipe their state (see browsers.py)."""
    if browsers.changes_state_without_preflight(request.environ):
        response = jsonify({"__type": "AccessDeniedException", "message": browsers.CROSS_ORIGIN})
        response.status_code = 403
        return response
    return None


@blueprint.post("/reset")
def reset():
    """Forget every resource, record, model and job, and moto's S3/IAM/STS state too: a clean slate between
    tests that share one server."""
    current_app.config["EMULATOR"].reset()
    # what moto's own reset does, without importing its API module (seconds, the first time)
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data
    BackendDict.reset()
    reset_model_data()
    return jsonify(status="reset")


@blueprint.get("/health")
def health():
    from emulator import __version__
    env = current_app.config["EMULATOR"]
    return jsonify(status="ok", version=__version__, services=list(SERVICES),
                   account=env.settings.account_id, pendingJobs=env.queue.pending(),
                   console=request.host_url.rstrip("/") + CONSOLE_PATH)


@blueprint.get("/trainings")
def trainings():
    """Trainings in progress (solution versions and recommenders), each with its elapsed time and latest log line."""
    from emulator.jobs.tasks import solution_versions
    return jsonify(trainings=solution_versions.progress())
