"""The numbers behind metric attributions: per metric and attribution source, the SUM or SAMPLECOUNT of a
group's recent events, which name their source or echo a recommendation id issued here.
spec: personalize-behavior.md §3.15"""

import csv
import io
import re
import threading
import time
from collections import OrderedDict

from emulator import s3
from emulator.store.arns import dataset_arn, name_of, uuid4

WINDOW_SECONDS = 14 * 24 * 3600   # only events younger than 14 days count
ISSUED_KEPT = 100_000             # recommendation ids remembered (in memory: lost on restart)
SUM = re.compile(r"SUM\(\s*(Interactions|Items)\.(\w+)\s*\)", re.IGNORECASE)


def compute(env, group_arn: str, metrics: list[dict], now: float | None = None) -> list[dict]:
    """[{metricName, eventAttributionSource, value}] over the group's interactions of the last 14 days that
    carry an attribution source or a recommendation id the emulator issued."""
    since = (now or time.time()) - WINDOW_SECONDS
    events = []
    for item_id, event_type, event_value, extra in env.rows.events_since(dataset_arn(group_arn, "INTERACTIONS"), since):
        source = extra.get("EVENT_ATTRIBUTION_SOURCE") or extra.get("eventAttributionSource") or \
            env.recommendation_ids.source_of(extra.get("recommendationId") or extra.get("RECOMMENDATION_ID"))
        if source:
            events.append((item_id, (event_type or "").lower(), event_value, extra, source))
    totals: dict[tuple[str, str], float] = {}
    for metric in metrics:
        wanted, found = metric["eventType"].lower(), SUM.search(metric["expression"])
        chosen = [event for event in events if event[1] == wanted]
        values = _values(env, group_arn, chosen, *found.groups()) if found else [1.0] * len(chosen)
        for event, value in zip(chosen, values):
            key = (metric["metricName"], event[4])
            totals[key] = totals.get(key, 0.0) + value
    return [{"metricName": name, "eventAttributionSource": source, "value": value}
            for (name, source), value in sorted(totals.items())]


def publish(env, group_arn: str, label: str) -> None:
    """Write the group's attribution report as CSV to its metric attribution's S3 destination, if it has one."""
    attribution = next(iter(env.store.children(group_arn, "metric-attribution")), None)
    destination = ((attribution or {}).get("metricsOutputConfig") or {}).get("s3DataDestination", {}).get("path")
    if not destination:
        return
    rows = compute(env, group_arn, env.store.internal(attribution["metricAttributionArn"])["metrics"])
    text = io.StringIO()
    writer = csv.DictWriter(text, ["metricName", "eventAttributionSource", "value"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    env.s3.write(s3.join(destination, f"{name_of(attribution['metricAttributionArn'])}-{label}.csv"),
                 text.getvalue().encode())


def _values(env, group_arn: str, events: list, dataset: str, column: str) -> list[float]:
    if dataset.lower() == "items":
        found = env.rows.records_of(dataset_arn(group_arn, "ITEMS"), sorted({event[0] for event in events if event[0]}))
        return [_number(found.get(event[0], {}).get(column)) for event in events]
    if column.upper() == "EVENT_VALUE":
        return [_number(event[2]) for event in events]
    return [_number(event[3].get(column)) for event in events]


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class RecommendationIds:
    """The recommendation ids the runtime issued, each with the campaign or recommender that produced it, so the
    events that echo one are attributed to it."""

    def __init__(self) -> None:
        self._sources: OrderedDict[str, str] = OrderedDict()   # oldest first
        self._lock = threading.Lock()

    def issue(self, source_arn: str) -> str:
        recommendation_id = f"RID-{uuid4()}"
        with self._lock:
            self._sources[recommendation_id] = source_arn
            if len(self._sources) > ISSUED_KEPT:
                self._sources.popitem(last=False)
        return recommendation_id

    def source_of(self, recommendation_id: str | None) -> str | None:
        return self._sources.get(recommendation_id) if recommendation_id else None

    def clear(self) -> None:
        with self._lock:
            self._sources.clear()
