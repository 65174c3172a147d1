"""Training speed through the API (issue 14): CreateSolutionVersion -> ACTIVE, timed with boto3 against an
emulator with default server options, for every recipe on test-suite-size data, on MovieLens-100K and on a
synthetic 1M-interaction set (with the training process's peak memory); and the session GRU's events per second
per epoch beside a minimal PyTorch GRU4Rec loop of the same width on the same data, in the same run. Part `hpo`
(not run by default) times performHPO and performAutoML beside a plain training on small data, a quarter of
ML-100K and ML-100K.

    .venv/bin/python scripts/bench_training.py [--parts small,ml-100k,1m,gru,hpo] [--repeats N] [--recipes a,b]
                                              [--data DIR]

Each figure is printed beside its target; the machine's load beside the timings (2 shared cores: compare the
ratios measured side by side rather than absolute seconds across runs)."""

import argparse
import contextlib
import json
import os
import pathlib
import statistics
import sys
import threading
import time

import numpy as np
from benchlib import client, emulator_process, wait_active

import bench_recipes
import bench_serving

ROOT = pathlib.Path(__file__).resolve().parents[1]
ML_100K = ROOT.parent / "shared" / "data" / "ml-100k"
ARN = "arn:aws:personalize:::recipe/{}"
DEFAULT_OPTIONS = ("--status-seconds", "0.2",   # the server's default dwell (benchlib shortens it) ...
                   "--no-quotas")               # ... and no quota on solutions, of which this makes dozens
FAST = ("aws-popularity-count", "aws-sims", "aws-trending-now", "aws-similar-items")   # <= 1 s on small data
RECIPES = ("aws-popularity-count", "aws-trending-now", "aws-sims", "aws-similar-items", "aws-semantic-similarity",
           "aws-user-personalization", "aws-personalized-ranking", "aws-user-personalization-v2",
           "aws-personalized-ranking-v2", "aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart",
           "aws-item-affinity", "aws-item-attribute-affinity", "emulator-deepfm", "emulator-ffnn",
           "aws-next-best-action")
SMALL_TARGET, FAST_TARGET, UP_100K, OTHER_100K, UP_1M, MEMORY_1M = 3.0, 1.0, 10.0, 20.0, 60.0, 4096
GRU_RATIO = 0.8
HPO_TRAININGS = 5.0   # performHPO's 20 trials within about four trainings (spec §4.1 step 5), plus the final one
AUTOML_TRAININGS = 7.0   # performAutoML: a trial of each of its 3 recipes (about 2 trainings) before HPO's 5
START = 1_700_000_000


def schema(name: str, fields: list[tuple]) -> str:
    """An Avro schema; fields: (name, type, flags) with flags like {"categorical": True}."""
    return json.dumps({"type": "record", "name": name, "namespace": "com.amazonaws.personalize.schema",
                       "fields": [{"name": field, "type": kind, **flags} for field, kind, flags in fields],
                       "version": "1.0"})


INTERACTIONS = schema("Interactions", [("USER_ID", "string", {}), ("ITEM_ID", "string", {}),
                                       ("EVENT_TYPE", "string", {}), ("TIMESTAMP", "long", {})])
ITEMS = schema("Items", [("ITEM_ID", "string", {}), ("GENRE", "string", {"categorical": True}),
                         ("TITLE", "string", {"itemName": True}), ("DESCRIPTION", ["null", "string"], {"textual": True}),
                         ("YEAR", ["null", "int"], {}), ("CREATION_TIMESTAMP", "long", {})])
USERS = schema("Users", [("USER_ID", "string", {}), ("TIER", "string", {"categorical": True})])
ACTIONS = schema("Actions", [("ACTION_ID", "string", {}), ("KIND", "string", {"categorical": True})])
ACTION_INTERACTIONS = schema("ActionInteractions", [("USER_ID", "string", {}), ("ACTION_ID", "string", {}),
                                                    ("EVENT_TYPE", "string", {}), ("TIMESTAMP", "long", {})])
WORDS = ["space", "baking", "music", "travel"]


def load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} (1 min) on {os.cpu_count()} cores"


# ----------------------------------------------------------------------------------------------- data sets

def csv(header: tuple[str, ...], rows) -> bytes:
    return ("\n".join([",".join(header), *(",".join(map(str, row)) for row in rows)]) + "\n").encode()


def small_data(users: int = 300, items: int = 200, per_user: int = 34, cold: int = 120, seed: int = 0) -> dict:
    """Test-suite size: users × per_user interactions (10,200 by default) over `items` items in 4 tastes, each
    user mostly in one, with Items (genre, title, description, year; `cold` more items without interactions,
    created lately), Users, and actions with their interactions. {dataset type: (schema, CSV bytes)}"""
    rng = np.random.default_rng(seed)
    taste = np.arange(items) % len(WORDS)
    rows = []
    for user in range(users):
        fond = user % len(WORDS)
        members = np.flatnonzero(taste == fond)
        for step in range(per_user):
            item = int(rng.choice(members)) if rng.random() < 0.8 else int(rng.integers(items))
            rows.append((f"u{user}", f"i{item}", "click", START + user * 50_000 + step * 600))
    latest = max(row[3] for row in rows)
    catalogue = [(f"i{n}", WORDS[taste[n % items]], f"{WORDS[taste[n % items]]} {n}",
                  f"all about {WORDS[taste[n % items]]} number {n % 7}", 1990 + n % 30,
                  latest - 86_400 if n >= items else START - 86_400) for n in range(items + cold)]
    actions = [(f"act{n}", "offer") for n in range(4)]
    taken = [(f"u{user}", f"act{(user + step) % 4}", "TAKEN" if step % 3 else "NOT_TAKEN", START + user * 50_000 + step)
             for user in range(users) for step in range(6)]
    return {"Interactions": (INTERACTIONS, csv(("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"), rows)),
            "Items": (ITEMS, csv(("ITEM_ID", "GENRE", "TITLE", "DESCRIPTION", "YEAR", "CREATION_TIMESTAMP"), catalogue)),
            "Users": (USERS, csv(("USER_ID", "TIER"), [(f"u{n}", "gold" if n % 3 else "basic") for n in range(users)])),
            "Actions": (ACTIONS, csv(("ACTION_ID", "KIND"), actions)),
            "Action_Interactions": (ACTION_INTERACTIONS, csv(("USER_ID", "ACTION_ID", "EVENT_TYPE", "TIMESTAMP"),
                                                             taken))}


def movielens_data(root: pathlib.Path) -> dict:
    """Ratings >= 4 as click events; u.item as Items (genres, title, genres as text, year), u.user as Users."""
    table = np.loadtxt(root / "u.data", dtype=np.int64)
    kept = table[table[:, 2] >= 4]
    genres = [line.split("|")[0] for line in (root / "u.genre").read_text().splitlines() if line.strip()]
    items = []
    for line in (root / "u.item").read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        chosen = [genre for genre, flag in zip(genres, fields[5:]) if flag == "1"] or ["none"]
        title = fields[1].replace(",", " ").replace('"', "")
        items.append((fields[0], "|".join(chosen), title, " ".join(chosen).replace("'", ""),
                      fields[2][-4:] if fields[2] else "", START))
    users = [(line.split("|")[0], line.split("|")[3]) for line in (root / "u.user").read_text().splitlines()]
    return {"Interactions": (INTERACTIONS, csv(("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"),
                                               ((u, i, "click", t) for u, i, _, t in kept.tolist()))),
            "Items": (ITEMS, csv(("ITEM_ID", "GENRE", "TITLE", "DESCRIPTION", "YEAR", "CREATION_TIMESTAMP"), items)),
            "Users": (USERS, csv(("USER_ID", "TIER"), users))}


def synthetic_1m() -> dict:
    interactions, items, _ = bench_serving.synthetic(1_000_000)
    return {"Interactions": (json.dumps(bench_serving.INTERACTIONS_SCHEMA), interactions),
            "Items": (json.dumps(bench_serving.ITEMS_SCHEMA), items)}


def loaded_group(personalize, s3, name: str, datasets: dict) -> str:
    """A dataset group with each dataset imported from the emulator's S3; its ARN."""
    s3.create_bucket(Bucket=name)
    group = personalize.create_dataset_group(name=name)["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    for kind, (text, body) in datasets.items():
        s3.put_object(Bucket=name, Key=f"{kind}.csv", Body=body)
        schema_arn = personalize.create_schema(name=f"{name}-{kind}", schema=text)["schemaArn"]
        dataset = personalize.create_dataset(name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=group,
                                             datasetType=kind)["datasetArn"]
        wait_active(lambda: personalize.describe_dataset(datasetArn=dataset))
        job = personalize.create_dataset_import_job(jobName=f"{name}-{kind}", datasetArn=dataset, dataSource={
            "dataLocation": f"s3://{name}/{kind}.csv"})["datasetImportJobArn"]
        wait_active(lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), timeout=1800)
    return group


# ----------------------------------------------------------------------------------------------- timing

class TreePeak:
    """The largest resident memory (MB) of any descendant process of `pid` (the training process), sampled every
    50 ms from /proc while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak = pid, 0.0

    def __enter__(self) -> "TreePeak":
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            for pid in descendants(self.pid):
                self.peak = max(self.peak, bench_recipes.resident_mb(pid))


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def train_seconds(personalize, group: str, recipe: str | None, name: str, timeout: float = 1800,
                  **solution) -> float:
    """CreateSolutionVersion -> ACTIVE, seconds (the solution, with `solution`'s options, created beforehand,
    outside the timing)."""
    if recipe:   # None: performAutoML chooses
        solution["recipeArn"] = ARN.format(recipe)
    solution = personalize.create_solution(name=name, datasetGroupArn=group, **solution)
    wait_active(lambda: personalize.describe_solution(solutionArn=solution["solutionArn"]))
    started = time.monotonic()
    version = personalize.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    wait_active(lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=timeout)
    return time.monotonic() - started


def verdict(value: float, target: float, unit: str = "s") -> str:
    mark = "PASS" if value <= target else "FAIL"
    return f"{value:7.2f} {unit}  target <= {target:g} {unit}  ratio {value / target:4.2f}  {mark}"


def timed_recipes(endpoint: str, server_pid: int, label: str, datasets: dict, recipes: list[str], repeats: int,
                  target: callable) -> None:
    personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
    started = time.monotonic()
    group = loaded_group(personalize, s3, label, datasets)
    print(f"\n{label}: data imported in {time.monotonic() - started:.1f} s; {load()}", flush=True)
    for recipe in recipes:
        runs = []
        for repeat in range(repeats):
            with TreePeak(server_pid) as memory:
                runs.append(train_seconds(personalize, group, recipe, f"{label}-{recipe[:40]}-{repeat}"))
        median = statistics.median(runs)
        spread = f" (runs {', '.join(f'{run:.2f}' for run in runs)})" if repeats > 1 else ""
        print(f"  {recipe:<30} {verdict(median, target(recipe))}  peak {memory.peak:.0f} MB{spread}", flush=True)


def hpo_scaling(endpoint: str, sizes: dict[str, dict]) -> None:
    """performHPO (the service's 20 trials) of aws-user-personalization and performAutoML (the HRNN recipes, then
    HPO of the best) beside a plain training of aws-user-personalization, on data of each size: the search's budget
    should shrink with the data as a training does, to about four trainings."""
    personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
    print(f"\nHPO of aws-user-personalization by data size; {load()}", flush=True)
    for label, datasets in sizes.items():
        group = loaded_group(personalize, s3, f"hpo-{label}", datasets)
        events = datasets["Interactions"][1].count(b"\n") - 1
        plain = train_seconds(personalize, group, "aws-user-personalization", f"hpo-{label}-plain")
        searched = train_seconds(personalize, group, "aws-user-personalization", f"hpo-{label}-hpo", performHPO=True)
        print(f"  {label:<16} {events:>7,} interactions: training {plain:6.1f} s, with HPO {searched:6.1f} s, "
              f"in trainings {verdict(searched / plain, HPO_TRAININGS, 'x')}; {load()}", flush=True)
        chosen = train_seconds(personalize, group, None, f"hpo-{label}-automl", performAutoML=True)
        print(f"  {'':<16} {'':>7}               performAutoML {chosen:6.1f} s, "
              f"in trainings {verdict(chosen / plain, AUTOML_TRAININGS, 'x')}", flush=True)


def quarter(datasets: dict) -> dict:
    """`datasets` with the Interactions of every fourth user (by id) only."""
    text, body = datasets["Interactions"]
    header, *lines = body.decode().splitlines()
    kept = [line for line in lines if int(line.split(",")[0]) % 4 == 0]
    return {**datasets, "Interactions": (text, "\n".join([header, *kept, ""]).encode())}


# ----------------------------------------------------------------------------------------------- GRU speed

def gru_speed(root: pathlib.Path, repeats: int) -> None:
    """Events per second per epoch of aws-user-personalization's GRU (its fit on the ML-100K training split,
    time between consecutive epochs' log lines, validation included) and of a minimal GRU4Rec loop of the same
    width (embedding, GRU, tied full-softmax, windows of bptt steps in batches of 128, Adam), both on one
    torch thread as the training process uses; events = the split's next-item steps."""
    import torch
    from emulator.recipes import registry
    from emulator.recipes.base import TrainingBudget
    data = bench_recipes.load_movielens(root)
    train, _ = data.split(seed=0)
    steps = train.n_interactions - np.count_nonzero(train.user_counts())
    ours, reference = [], []
    for repeat in range(repeats):
        model = registry.build("aws-user-personalization", bench_recipes.default_hyperparameters(
            ARN.format("aws-user-personalization")), seed=repeat, budget=TrainingBudget(max_epochs=3))
        marks = [time.perf_counter()]
        model.fit(train, log=lambda line: marks.append(time.perf_counter()) if line.startswith("epoch") else None)
        gaps = np.diff(marks[1:]) if len(marks) > 2 else np.diff(marks[:2])
        ours.append(steps / float(np.median(gaps)))
        torch.set_num_threads(model.budget.threads)
        reference.append(steps / gru4rec_epoch(train, width=149, bptt=32, seed=repeat))
    ratio = statistics.median(ours) / statistics.median(reference)
    print(f"\nsession GRU on ML-100K ({steps} next-item steps, width 149, bptt 32, 1 thread; {load()}):\n"
          f"  aws-user-personalization {statistics.median(ours):8.0f} events/s per epoch "
          f"(runs {', '.join(f'{value:.0f}' for value in ours)})\n"
          f"  minimal GRU4Rec loop     {statistics.median(reference):8.0f} events/s per epoch "
          f"(runs {', '.join(f'{value:.0f}' for value in reference)})\n"
          f"  ratio {ratio:.2f}  target >= {GRU_RATIO}  {'PASS' if ratio >= GRU_RATIO else 'FAIL'}", flush=True)


def gru4rec_epoch(train, width: int, bptt: int, seed: int, batch: int = 128) -> float:
    """Seconds of the second epoch (the first warms up) of a minimal GRU4Rec loop over the users' histories cut
    into windows of bptt next-item steps."""
    import torch
    from torch import nn
    torch.manual_seed(seed)
    windows_in, windows_out = [], []
    for items in train.sequences().values():
        for start in range(0, len(items) - 1, bptt):
            piece = items[start:start + bptt + 1]
            pad = bptt + 1 - len(piece)
            windows_in.append(np.r_[piece[:-1], np.zeros(pad, np.int64)])
            windows_out.append(np.r_[piece[1:], np.full(pad, -100, np.int64)])
    inputs, targets = torch.tensor(np.array(windows_in)), torch.tensor(np.array(windows_out))
    embedding, gru, out = nn.Embedding(train.n_items, width), nn.GRU(width, width, batch_first=True), nn.Linear(width, width)
    parameters = [*embedding.parameters(), *gru.parameters(), *out.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=2e-3)
    seconds = 0.0
    for _ in range(2):
        started = time.perf_counter()
        for chosen in torch.randperm(len(inputs)).split(batch):
            outputs, _ = gru(embedding(inputs[chosen]))
            keep = targets[chosen] != -100
            loss = nn.functional.cross_entropy(out(outputs[keep]) @ embedding.weight.T, targets[chosen][keep])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        seconds = time.perf_counter() - started
    return seconds


# ----------------------------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="small,ml-100k,1m,gru")
    parser.add_argument("--repeats", type=int, default=2, help="trainings per recipe on small data (median shown)")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--data", type=pathlib.Path, default=ML_100K, help="the ml-100k directory")
    args = parser.parse_args()
    parts, recipes = args.parts.split(","), args.recipes.split(",")
    print(f"bench_training: {load()} at the start", flush=True)
    if "gru" in parts:
        gru_speed(args.data, args.repeats)
    with emulator_process(*DEFAULT_OPTIONS) as (endpoint, server):
        if "small" in parts:
            timed_recipes(endpoint, server.pid, "small", small_data(), recipes, args.repeats,
                          lambda recipe: FAST_TARGET if recipe in FAST else SMALL_TARGET)
        if "ml-100k" in parts:
            timed_recipes(endpoint, server.pid, "ml-100k", movielens_data(args.data),
                          [recipe for recipe in recipes if recipe != "aws-next-best-action"], 1,
                          lambda recipe: UP_100K if recipe == "aws-user-personalization" else OTHER_100K)
        if "hpo" in parts:
            movielens = movielens_data(args.data)
            hpo_scaling(endpoint, {"small": small_data(), "ml-100k-quarter": quarter(movielens), "ml-100k": movielens})
        if "1m" in parts:
            personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
            started = time.monotonic()
            group = loaded_group(personalize, s3, "synthetic-1m", synthetic_1m())
            print(f"\nsynthetic 1M (50,000 users, 10,000 items): imported in {time.monotonic() - started:.1f} s; "
                  f"{load()}", flush=True)
            with TreePeak(server.pid) as memory:
                seconds = train_seconds(personalize, group, "aws-user-personalization", "synthetic-1m-up")
            print(f"  aws-user-personalization       {verdict(seconds, UP_1M)}\n"
                  f"  training process peak memory  {verdict(memory.peak, MEMORY_1M, 'MB')}", flush=True)
    print(f"\nbench_training: {load()} at the end")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
