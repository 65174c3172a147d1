"""What the console shows, read from the store the API uses: the resource tree, dataset statistics, metrics and
training curves. Read-only."""

import json
import math
import threading
import time

from emulator.console import curves
from emulator.datasets.schemas import parse_schema
from emulator.jobs.tasks import solution_versions
from emulator.recipes.metrics import KEYS, SEGMENT_KEYS
from emulator.recipes.use_cases import USE_CASES
from emulator.store import lifecycle
from emulator.store.arns import dataset_arn
from emulator.store.dataset_rows import Event
from service_model import recipes as catalogue

EVENT_DATASETS = ("INTERACTIONS", "ACTION_INTERACTIONS")
SAMPLE_ROWS, TOP_ROWS, RECENT_EVENTS = 20, 20, 25
COUNTS_SECONDS = 5.0   # record counts are recounted at most this often (PutItems changes no resource)


class Reader:
    """The console's reads of one emulator: `env` is the Emulator (store, db, settings)."""

    def __init__(self, env) -> None:
        self.env, self.db, self.store, self.rows = env, env.db, env.store, env.rows
        self._counts: tuple[int, float, dict] | None = None   # (latest event id, when, dataset ARN -> rows)
        self._lock = threading.Lock()

    def overview(self) -> dict:
        """Every resource as a tree under its dataset group (schemas apart), with record counts and the trainings
        in progress."""
        nodes, parents, roots = {}, {}, []
        for row in self.db.execute("SELECT arn, kind, parent, name, region, status, created, updated, body"
                                   " FROM resources ORDER BY created, rowid"):
            body = json.loads(row["body"])
            nodes[row["arn"]] = {"arn": row["arn"], "kind": row["kind"], "name": row["name"],
                                 "region": row["region"], "status": row["status"], "created": row["created"],
                                 "updated": row["updated"], "record": body, "children": []}
            parents[row["arn"]] = row["parent"]
        counts = self.row_counts()
        for arn, node in nodes.items():
            if node["kind"] == "dataset":
                node["rows"] = counts.get(arn, 0)
            parent = nodes.get(parents[arn])
            (parent["children"] if parent else roots).append(node)
        for node in nodes.values():
            if node["kind"] == "campaign":
                version = nodes.get(node["record"].get("solutionVersionArn"), {}).get("record", {})
                node["serving"] = serving_shape(version.get("recipeArn"))
            elif node["kind"] == "recommender":
                node["serving"] = serving_shape(node["record"].get("recipeArn"))
        progress = solution_versions.progress()
        return {"groups": [node for node in roots if node["kind"] == "dataset-group"],
                "schemas": [node for node in roots if node["kind"] == "schema"],
                "others": [node for node in roots if node["kind"] not in ("dataset-group", "schema")],
                "trainings": progress, "now": time.time()}

    def row_counts(self) -> dict[str, int]:
        """Dataset ARN -> its interactions or records, recounted when events arrived, and at most every few seconds
        otherwise (records put or deleted move no counter we could watch cheaply)."""
        key = self.rows.latest_event_id()
        with self._lock:
            if self._counts and self._counts[0] == key and time.monotonic() - self._counts[1] < COUNTS_SECONDS:
                return self._counts[2]
        counts = self.rows.counts()
        with self._lock:
            self._counts = (key, time.monotonic(), counts)
        return counts

    def dataset(self, arn: str) -> dict:
        """A dataset's schema fields, sample rows and distributions."""
        dataset = self.store.get("dataset", arn)
        schema = parse_schema(self.store.get("schema", dataset["schemaArn"])["schema"])
        fields = [{"name": field.name, "type": field.type, "nullable": field.nullable,
                   "categorical": field.categorical, "textual": field.textual} for field in schema.fields]
        found = {"dataset": dataset, "fields": fields}
        if dataset["datasetType"].upper() in EVENT_DATASETS:
            found.update(self._interaction_stats(arn))
        else:
            found.update(self._record_stats(arn, [field.name for field in schema.fields if field.categorical]))
        return found

    def _interaction_stats(self, arn: str) -> dict:
        summary = self.rows.event_summary(arn, TOP_ROWS)
        per_user, per_item = summary["per_user"], summary["per_item"]
        return {
            "count": sum(per_user) if per_user else 0,
            "users": len(per_user), "items": len(per_item),
            "sample": [_event(event) for event in self.rows.events(arn, SAMPLE_ROWS)],
            "perDay": [{"day": day * 86400, "count": count} for day, count in summary["per_day"]],
            "eventTypes": [{"eventType": kind, "count": count} for kind, count in summary["event_types"]],
            "topItems": [{"itemId": item, "count": count} for item, count in summary["top_items"]],
            "perUser": _log_bins(per_user), "perItem": _log_bins(per_item),
            "itemShares": _popularity_curve(per_item),
        }

    def _record_stats(self, arn: str, categorical: list[str]) -> dict:
        summary = self.rows.record_summary(arn, categorical[:4], SAMPLE_ROWS)
        values = {name: [{"value": value, "count": count} for value, count in found]
                  for name, found in summary["values"].items()}
        return {"count": summary["count"], "sample": summary["sample"], "categoricalValues": values}

    def recent_events(self, arn: str) -> list[dict]:
        """The latest events PutEvents (or PutActionInteractions) brought into a dataset, newest first."""
        return [_event(event) for event in self.rows.events(arn, RECENT_EVENTS, newest_put=True)]

    def training(self, arn: str) -> dict:
        """A solution version's or recommender's training: its curves, live while it trains and kept after."""
        record = self.store.get(None, arn)
        live = solution_versions.log_lines(arn)
        if live is not None:
            started, lines = live
            elapsed = time.time() - started
        else:
            lines, elapsed = self.store.internal(arn).get("trainingLog") or [], None
        parsed = curves.parse(lines)
        budget = self.env.settings.training
        found = {"arn": arn, "status": record.get("status"), "record": record, "training": live is not None,
                 "maxEpochs": budget.max_epochs, "budgetSeconds": budget.seconds,
                 "log": [curves.without_artifact(line) for line in lines[-40:]], **parsed}
        if live is not None:
            found["elapsedSeconds"] = round(elapsed, 1)
            found.update(curves.estimate(parsed, elapsed, budget.max_epochs, budget.seconds))
        return found

    def metrics(self, group: str) -> dict:
        """The offline metrics of every trained solution version and recommender of a dataset group."""
        models = []
        for solution in self.store.children(group, "solution"):
            for version in self.store.children(solution["solutionArn"], "solution-version"):
                models.append(self._model(version["solutionVersionArn"], version, solution["name"],
                                          version.get("recipeArn") or solution.get("recipeArn") or ""))
        for recommender in self.store.children(group, "recommender"):
            models.append(self._model(recommender["recommenderArn"], recommender, recommender["name"],
                                      recommender["recipeArn"]))
        models.sort(key=lambda model: model["created"])
        present = {key for model in models for key in model["metrics"]}
        keys = [key for key in dict.fromkeys((*KEYS, *SEGMENT_KEYS)) if key in present]
        keys += sorted(present - set(keys))
        return {"group": group, "keys": keys, "models": models}

    def _model(self, arn: str, record: dict, name: str, recipe_arn: str) -> dict:
        metrics = self.store.internal(arn).get("metrics") or {}
        return {"arn": arn, "name": name, "status": record["status"], "created": record["creationDateTime"],
                "recipe": catalogue.recipe_name(recipe_arn) if recipe_arn else "AutoML",
                "trainingMode": record.get("trainingMode"), "trainingHours": record.get("trainingHours"),
                "tunedHPOParams": record.get("tunedHPOParams"),
                "metrics": metrics if record["status"] in (lifecycle.ACTIVE, *lifecycle.TRANSIENT) else {}}

    def item_records(self, group: str, item_ids: list[str]) -> dict[str, dict]:
        """The Items records of these items, for showing recommendations with their metadata."""
        return self.rows.records_of(dataset_arn(group, "ITEMS"), item_ids)


def serving_shape(recipe_arn: str | None) -> dict | None:
    """How the try-it panel asks a campaign or recommender of this recipe: the runtime operation and the ids it
    needs (the rules of emulator.api.runtime)."""
    if not recipe_arn:
        return None
    name, kind = catalogue.recipe_name(recipe_arn), catalogue.recipe_type(recipe_arn)
    operation = {"PERSONALIZED_RANKING": "GetPersonalizedRanking", "PERSONALIZED_ACTIONS": "GetActionRecommendations",
                 "USER_SEGMENTATION": None}.get(kind, "GetRecommendations")
    use_case = USE_CASES.get(name)
    needs_item = use_case.needs_item if use_case else kind == "RELATED_ITEMS"
    needs_user = (use_case.needs_user if use_case
                  else kind != "RELATED_ITEMS" and not catalogue.traits(name).user_optional)
    return {"recipe": name, "recipeType": kind, "operation": operation, "needsUser": needs_user,
            "needsItem": needs_item}


def _event(stored: Event) -> dict:
    event = {"userId": stored.user_id, "itemId": stored.item_id, "timestamp": stored.timestamp,
             "eventType": stored.event_type, "eventValue": stored.event_value, "sessionId": stored.session_id,
             "source": stored.source, "properties": stored.fields}
    return {key: value for key, value in event.items() if value is not None}


def _log_bins(counts: list[int]) -> list[dict]:
    """How many users (or items) have 1, 2-3, 4-7, ... interactions: the long tail on a log scale."""
    bins: dict[int, int] = {}
    for count in counts:
        exponent = int(math.log2(count)) if count > 0 else 0
        bins[exponent] = bins.get(exponent, 0) + 1
    return [{"from": 2 ** exponent, "to": 2 ** (exponent + 1) - 1, "count": bins.get(exponent, 0)}
            for exponent in range(max(bins) + 1)] if bins else []


def _popularity_curve(counts: list[int], points: int = 50) -> list[dict]:
    """Share of all interactions that the most popular x % of items hold (counts sorted most first)."""
    total, n = sum(counts), len(counts)
    if not n:
        return []
    shares, running, marks = [], 0, {max(1, round(n * step / points)) for step in range(1, points + 1)}
    for rank, count in enumerate(counts, start=1):
        running += count
        if rank in marks:
            shares.append({"items": round(100 * rank / n, 2), "interactions": round(100 * running / total, 2)})
    return shares
