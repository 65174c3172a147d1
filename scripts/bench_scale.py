"""Scale through the server, as a user meets it: a synthetic CSV of N interactions (ML-20M size by default) put
in the emulator's S3, imported, then aws-popularity-count and aws-sims trained to ACTIVE; wall time of each step
and the peak resident memory of the emulator with its training processes.

    .venv/bin/python scripts/bench_scale.py [--interactions N] [--users N] [--items N]

The data is bench_recipes.py's synthetic set (power-law popularity, sessions); the issue's target for 20M:
import + popularity + SIMS within 20 minutes and 8 GB."""

import argparse
import os
import pathlib
import tempfile
import threading
import time

from bench_recipes import Scale, synthetic, verdict
from benchlib import client, emulator, wait_active

SCHEMA = ('{"type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema", "fields": '
          '[{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"}, '
          '{"name": "TIMESTAMP", "type": "long"}], "version": "1.0"}')
RECIPES = ("aws-popularity-count", "aws-sims")
TARGET_SECONDS, TARGET_GB = 1200, 8.0
LINES_PER_WRITE = 1_000_000


class TreeMemory:
    """The peak of the summed resident memory (MB) of a process and its descendants, sampled every 200 ms."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._done = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            self.peak = max(self.peak, sum(_resident_mb(pid) for pid in _tree(self.pid)))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak


def _tree(pid: int) -> list[int]:
    found, index = [pid], 0
    while index < len(found):
        try:
            children = pathlib.Path(f"/proc/{found[index]}/task/{found[index]}/children").read_text().split()
        except OSError:
            children = []
        found.extend(int(child) for child in children)
        index += 1
    return found


def _resident_mb(pid: int) -> float:
    try:
        return int(pathlib.Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, IndexError):
        return 0.0


def write_csv(path: pathlib.Path, scale: Scale, seed: int) -> None:
    user, item, stamps = synthetic(scale, seed)
    with path.open("w") as out:
        out.write("USER_ID,ITEM_ID,TIMESTAMP\n")
        for start in range(0, user.size, LINES_PER_WRITE):
            end = start + LINES_PER_WRITE
            out.write("".join(f"u{u},i{i},{t}\n" for u, i, t in zip(user[start:end].tolist(), item[start:end].tolist(),
                                                                     stamps[start:end].tolist())))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interactions", type=int, default=20_000_000)
    parser.add_argument("--users", type=int, default=138_000)
    parser.add_argument("--items", type=int, default=27_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    scale = Scale(args.interactions, args.users, args.items, RECIPES, {}, TARGET_GB)
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        path = pathlib.Path(folder) / "interactions.csv"
        write_csv(path, scale, args.seed)
        print(f"synthetic CSV: {args.interactions} interactions, {args.users} users, {args.items} items, "
              f"{path.stat().st_size / 2**20:.0f} MB, written in {time.monotonic() - started:.0f} s; "
              f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
        with emulator("--training-seconds", "1800") as endpoint:
            server = int(next(pid for pid in _tree(os.getpid())[1:]
                              if b"emulator" in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()))
            memory = TreeMemory(server)
            steps = run(endpoint, path)
            peak = memory.stop()
    print(f"\n{'step':<50}{'seconds':>9}")
    for name, seconds in steps:
        print(f"{name:<50}{seconds:>9.1f}")
    total = sum(seconds for name, seconds in steps if name != "upload to the emulator's S3")
    print(f"peak resident memory of the emulator and its training processes: {peak:.0f} MB\n\nTargets")
    print(verdict(total <= TARGET_SECONDS, f"import + popularity + SIMS through the server: {total:.0f} s "
                                           f"(target <= {TARGET_SECONDS} s)"))
    print(verdict(peak <= TARGET_GB * 1024, f"peak memory {peak:.0f} MB (target <= {TARGET_GB * 1024:.0f} MB)"))


def run(endpoint: str, path: pathlib.Path) -> list[tuple[str, float]]:
    personalize, s3 = client("personalize", endpoint), client("s3", endpoint)
    started = time.monotonic()
    s3.create_bucket(Bucket="scale")
    s3.upload_file(str(path), "scale", "interactions.csv")
    steps = [("upload to the emulator's S3", time.monotonic() - started)]
    group = personalize.create_dataset_group(name="scale")["datasetGroupArn"]
    wait_active(lambda: personalize.describe_dataset_group(datasetGroupArn=group))
    schema = personalize.create_schema(name="scale", schema=SCHEMA)["schemaArn"]
    dataset = personalize.create_dataset(name="scale", schemaArn=schema, datasetGroupArn=group,
                                         datasetType="Interactions")["datasetArn"]
    wait_active(lambda: personalize.describe_dataset(datasetArn=dataset))
    job = personalize.create_dataset_import_job(jobName="scale", datasetArn=dataset, dataSource={
        "dataLocation": "s3://scale/interactions.csv"})["datasetImportJobArn"]
    steps.append(("dataset import job to ACTIVE", wait_active(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job), timeout=3600)))
    print(f"{steps[-1][0]}: {steps[-1][1]:.0f} s", flush=True)
    for recipe in RECIPES:
        solution = personalize.create_solution(name=recipe, datasetGroupArn=group,
                                               recipeArn=f"arn:aws:personalize:::recipe/{recipe}")["solutionArn"]
        wait_active(lambda: personalize.describe_solution(solutionArn=solution))
        version = personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
        steps.append((f"{recipe} solution version to ACTIVE", wait_active(
            lambda: personalize.describe_solution_version(solutionVersionArn=version), timeout=3600)))
        print(f"{steps[-1][0]}: {steps[-1][1]:.0f} s", flush=True)
    return steps


if __name__ == "__main__":
    main()
