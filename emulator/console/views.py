"""The console's routes: the page under /_emulator/console/ and its JSON under /_emulator/console/api/. Reads go
to the store (queries.Reader); actions and tries go through dispatch.handle, the same parsing, validation and
handlers as the API, so a delete here obeys the service's dependency rules and a try is a real request."""

import json
import pathlib
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request, send_from_directory

from emulator import dispatch
from emulator.console.queries import Reader
from emulator.errors import ServiceError
from emulator.gate import INTERNAL_PREFIX
from emulator.store.arns import kind_of
from service_model import load

STATIC = pathlib.Path(__file__).parent / "static"
PREFIX = INTERNAL_PREFIX + "/console"
HEADER = "X-Emulator-Console"   # a custom header: a cross-origin page cannot send it without a preflight we refuse
TRIES = {"GetRecommendations": "personalize-runtime", "GetPersonalizedRanking": "personalize-runtime",
         "GetActionRecommendations": "personalize-runtime"}
STOPS = {"solution-version": "StopSolutionVersionCreation"}

blueprint = Blueprint("emulator_console", __name__, url_prefix=PREFIX, static_folder=str(STATIC),
                      static_url_path="/static")


def _env():
    return current_app.config["EMULATOR"]


def _reader() -> Reader:
    return current_app.config.setdefault("CONSOLE_READER", Reader(_env()))


@blueprint.before_request
def refuse_cross_origin():
    """Actions change state: only the console's own page may ask for them. A browser sends a custom header or a
    JSON content type cross-origin only after a preflight, which nothing here answers."""
    if request.method in ("GET", "HEAD"):
        return None
    origin = request.headers.get("Origin")
    if request.headers.get(HEADER) != "1" or not request.is_json or (origin and urlsplit(origin).netloc != request.host):
        return jsonify(message=f"Console actions need Content-Type: application/json and {HEADER}: 1, "
                               "from the console's own origin."), 403
    return None


@blueprint.errorhandler(ServiceError)
def service_error(error: ServiceError):
    return jsonify(code=error.code, message=str(error)), error.status


@blueprint.get("/")
def page():
    return send_from_directory(STATIC, "index.html")


@blueprint.get("/api/overview")
def overview():
    return jsonify(_reader().overview())


@blueprint.get("/api/dataset")
def dataset():
    return jsonify(_reader().dataset(request.args["arn"]))


@blueprint.get("/api/events")
def events():
    return jsonify(events=_reader().recent_events(request.args["dataset"]))


@blueprint.get("/api/training")
def training():
    return jsonify(_reader().training(request.args["arn"]))


@blueprint.get("/api/metrics")
def metrics():
    return jsonify(_reader().metrics(request.args["group"]))


@blueprint.post("/api/try")
def try_it():
    """A runtime request as the page composed it, answered by the runtime's own handler, with the Items records
    of the items it returned."""
    asked = request.get_json()
    operation, params = asked.get("operation"), asked.get("params") or {}
    if operation not in TRIES:
        return jsonify(message=f"The console tries {', '.join(TRIES)}, not {operation}."), 400
    source = params.get("campaignArn") or params.get("recommenderArn") or ""
    status, answer = _invoke(TRIES[operation], operation, params, source)
    if status == 200:
        group = _group_of(source)
        listed = answer.get("itemList") or answer.get("personalizedRanking") or []
        answer["itemRecords"] = _reader().item_records(group, [item["itemId"] for item in listed]) if group else {}
    return jsonify(answer), status


@blueprint.post("/api/event")
def send_event():
    """PutEvents through the dataset group's ACTIVE event tracker: one event of this user (or session) now."""
    asked = request.get_json()
    group = asked.get("datasetGroupArn", "")
    trackers = [tracker for tracker in _env().store.children(group, "event-tracker") if tracker["status"] == "ACTIVE"]
    if not trackers:
        return jsonify(message=f"Dataset group {group} has no ACTIVE event tracker to receive events; create one "
                               "(CreateEventTracker) first."), 400
    user = asked.get("userId") or None
    event = {"eventType": asked.get("eventType") or "click", "sentAt": time.time()}
    if asked.get("itemId"):
        event["itemId"] = asked["itemId"]
    params = {"trackingId": trackers[0]["trackingId"], "sessionId": asked.get("sessionId") or user or "console",
              "eventList": [event], **({"userId": user} if user else {})}
    status, answer = _invoke("personalize-events", "PutEvents", params, group)
    return jsonify(answer or {"sent": event}), status


@blueprint.post("/api/stop")
def stop():
    arn = request.get_json().get("arn", "")
    _env().store.get(None, arn)   # ResourceNotFoundException for an unknown ARN
    kind = kind_of(arn)
    if kind not in STOPS:
        return jsonify(message=f"Only a training can be stopped (a solution version), not a {kind}."), 400
    status, answer = _invoke("personalize", STOPS[kind], {"solutionVersionArn": arn}, arn)
    return jsonify(answer), status


@blueprint.post("/api/delete")
def delete():
    """Delete<Kind> with the resource's ARN, as boto3 would call it."""
    arn = request.get_json().get("arn", "")
    _env().store.get(None, arn)
    kind = kind_of(arn)
    operation = "Delete" + "".join(part.capitalize() for part in kind.split("-"))
    model = load("personalize")
    if operation not in model.operation_names:
        return jsonify(message=f"The service has no operation that deletes a {kind}."), 400
    member = model.operation_model(operation).input_shape.required_members[0]
    status, answer = _invoke("personalize", operation, {member: arn}, arn)
    return jsonify(answer), status


@blueprint.post("/api/reset")
def reset():
    if request.get_json().get("confirm") != "reset":
        return jsonify(message='Resetting forgets everything: send {"confirm": "reset"}.'), 400
    from emulator import internal   # the same reset as POST /_emulator/reset
    return internal.reset()


def _invoke(service: str, operation: str, params: dict, arn: str) -> tuple[int, dict]:
    """Call an operation the way a client would, in the region of `arn`: (HTTP status, answer as JSON)."""
    model = load(service)
    shape = model.operation_model(operation)
    region = arn.split(":")[3] if arn.count(":") >= 5 else None
    body = json.dumps(params).encode()
    if model.protocol == "json":
        call = dispatch.Call("POST", "/", f"{model.metadata['targetPrefix']}.{operation}", body, region)
    else:
        call = dispatch.Call(shape.http["method"], shape.http["requestUri"], None, body, region)
    status, _, answer = dispatch.handle(_env(), call)
    return status, json.loads(answer) if answer else {}


def _group_of(source: str) -> str | None:
    store = _env().store
    record = store.find("campaign", source) or store.find("recommender", source)
    if record is None:
        return None
    if "datasetGroupArn" in record:
        return record["datasetGroupArn"]
    return store.get("solution-version", record["solutionVersionArn"])["datasetGroupArn"]
