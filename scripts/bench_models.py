"""Offline benchmark of aws-popularity-count and aws-user-personalization on MovieLens-100K (ratings > 3),
under the GetSolutionMetrics protocol (spec: recipes-and-models.md §3). Prints one table row per recipe.

    .venv/bin/python scripts/bench_models.py [--data PATH/u.data] [--seed N] [--epochs N] [--recipes a,b]
"""

import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from emulator.recipes import metrics, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions

DEFAULT_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "ml-100k" / "u.data"
KEYS = ("coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5", "precision_at_10", "precision_at_25")
SHORT = ("cov", "mrr@25", "ndcg@5", "ndcg@10", "ndcg@25", "p@5", "p@10", "p@25")


def load_movielens(path: pathlib.Path) -> Interactions:
    table = np.loadtxt(path, dtype=np.int64)
    kept = table[table[:, 2] > 3]
    return Interactions.from_columns(kept[:, 0].astype(str), kept[:, 1].astype(str), kept[:, 3])


def run(recipe: str, data: Interactions, seed: int, budget: TrainingBudget) -> tuple[float, dict[str, float]]:
    train, test_users = data.split(seed=seed)
    model = registry.build(recipe, {}, seed=seed, budget=budget)
    started = time.perf_counter()
    model.fit(train, log=lambda line: print(f"  {recipe}: {line}", file=sys.stderr))
    model.build_user_states(data)
    seconds = time.perf_counter() - started
    return seconds, metrics.evaluate(model, test_users, data.n_items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=pathlib.Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=TrainingBudget.max_epochs)
    parser.add_argument("--recipes", default="aws-popularity-count,aws-user-personalization")
    args = parser.parse_args()
    data = load_movielens(args.data)
    print(f"{data.n_interactions} interactions, {data.n_users} users, {data.n_items} items, seed {args.seed}")
    budget = TrainingBudget(max_epochs=args.epochs)
    results = {recipe: run(recipe, data, args.seed, budget) for recipe in args.recipes.split(",")}
    print(f"{'recipe':<26}{'train s':>8}" + "".join(f"{name:>9}" for name in SHORT))
    for recipe, (seconds, scores) in results.items():
        print(f"{recipe:<26}{seconds:>8.1f}" + "".join(f"{scores[key]:>9.4f}" for key in KEYS))
    if {"aws-popularity-count", "aws-user-personalization"} <= results.keys():
        key = "normalized_discounted_cumulative_gain_at_10"
        base = results["aws-popularity-count"][1][key]
        ratio = results["aws-user-personalization"][1][key] / base if base else float("inf")
        print(f"NDCG@10 ratio user-personalization / popularity: {ratio:.2f}")


if __name__ == "__main__":
    main()
