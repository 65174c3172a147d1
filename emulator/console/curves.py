"""Training curves read back from a training's log lines (emulator.recipes.base logs one line per epoch, and
emulator.recipes.tuning one per HPO trial or AutoML candidate): what the console's Training page draws."""

import math
import re

from emulator.store import model_files

EPOCH = re.compile(r"epoch (\d+): loss (\S+), validation NDCG@25 (\S+), ([\d.]+) s$")
TRIAL = re.compile(r"trial (\d+)/(\d+): (.*) -> (\S+) (\S+?)( \(stopped after (?:one|\d+) epochs?\))?, ([\d.]+) s$")
CANDIDATE = re.compile(r"((?:aws|emulator)-[\w-]+): (\S+) (\S+), ([\d.]+) s$")
IN_TRIAL = re.compile(r"trial (\d+): (.*)$")
IN_CANDIDATE = re.compile(r"((?:aws|emulator)-[\w-]+): (.*)$")


def parse(lines: list[str]) -> dict:
    """{"epochs": the final fit's points, "trials": HPO trials, "candidates": AutoML's recipes, "notes": other
    lines}. A point is {"epoch", "loss", "ndcg", "seconds"}; a phase whose epochs start again (a trial of
    successive halving, run for a few epochs and then in full) keeps its latest run."""
    curves: dict = {"epochs": [], "trials": [], "candidates": [], "notes": []}
    trials: dict[int, dict] = {}
    candidates: dict[str, dict] = {}
    for line in lines:
        message = without_artifact(line)
        if found := TRIAL.match(message):
            trial = trials.setdefault(int(found[1]), {"number": int(found[1]), "epochs": []})
            trial.update(of=int(found[2]), settings=found[3], metric=found[4], score=_number(found[5]),
                         stoppedEarly=bool(found[6]), seconds=float(found[7]))
        elif found := IN_TRIAL.match(message):
            trial = trials.setdefault(int(found[1]), {"number": int(found[1]), "epochs": []})
            _add_point(trial["epochs"], found[2])
        elif found := CANDIDATE.match(message):
            candidate = candidates.setdefault(found[1], {"recipe": found[1], "epochs": []})
            candidate.update(metric=found[2], score=_number(found[3]), seconds=float(found[4]))
        elif found := IN_CANDIDATE.match(message):
            candidate = candidates.setdefault(found[1], {"recipe": found[1], "epochs": []})
            if not _add_point(candidate["epochs"], found[2]):
                curves["notes"].append(message)
        elif not _add_point(curves["epochs"], message):
            curves["notes"].append(message)
    curves["trials"] = [trials[number] for number in sorted(trials)]
    curves["candidates"] = list(candidates.values())
    return curves


def estimate(curves: dict, elapsed: float, max_epochs: int, budget_seconds: float) -> dict:
    """What is left of a training in progress, at most: the epochs still allowed and their time at the pace so
    far, within the time budget (early stopping may end it sooner)."""
    points = curves["epochs"]
    if not points:
        return {"epochsLeft": None, "secondsLeft": None}
    last = points[-1]
    left = max(max_epochs - last["epoch"], 0)
    per_epoch = last["seconds"] / max(last["epoch"], 1)
    return {"epochsLeft": left, "secondsLeft": round(max(min(left * per_epoch, budget_seconds - elapsed), 0.0), 1)}


def without_artifact(line: str) -> str:
    """'solution-1a2b3c4d.npz: epoch 1: ...' -> 'epoch 1: ...' (the trainer names its artifact first)."""
    head, separator, rest = line.partition(": ")
    return rest if separator and head.endswith(model_files.SUFFIX) else line


def _add_point(points: list[dict], message: str) -> bool:
    found = EPOCH.match(message)
    if not found:
        return False
    point = {"epoch": int(found[1]), "loss": _number(found[2]), "ndcg": _number(found[3]),
             "seconds": float(found[4])}
    if points and point["epoch"] <= points[-1]["epoch"]:
        points.clear()   # the phase started again: keep its latest run
    points.append(point)
    return True


def _number(text: str) -> float | None:
    """A float, or None for nan/inf (JSON has neither)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None
