"""Exploration of new and little-seen items for User-Personalization campaigns.
spec: recipes-and-models.md §2.6 (the formula) and personalize-behavior.md §3.11 (the settings)."""

import hashlib
from dataclasses import dataclass

import numpy as np

DEFAULT_WEIGHT, DEFAULT_AGE_CUT_OFF_DAYS = 0.3, 30.0
EXPLORING_RECIPES = {"aws-user-personalization", "aws-hrnn-coldstart"}
DAY = 86_400.0


@dataclass(frozen=True)
class ItemStats:
    """What exploration needs to know about each catalogue item, taken at training time."""
    interactions: np.ndarray   # (n_items,) training interactions per item
    age_days: np.ndarray       # (n_items,) days between the item's first interaction and the data's last

    @classmethod
    def from_arrays(cls, item_index: np.ndarray, timestamp: np.ndarray, n_items: int) -> "ItemStats":
        counts = np.bincount(item_index, minlength=n_items).astype(np.float64)
        first = np.full(n_items, np.inf)
        np.minimum.at(first, item_index, timestamp.astype(np.float64))
        latest = float(timestamp.max()) if timestamp.size else 0.0
        age = np.where(np.isfinite(first), (latest - first) / DAY, 0.0)   # never seen: new, age 0
        return cls(counts, age)


def settings(campaign_config: dict | None) -> tuple[float, float]:
    """(explorationWeight, explorationItemAgeCutOff) of a campaign, with the service's defaults."""
    config = (campaign_config or {}).get("itemExplorationConfig") or {}
    return (float(config.get("explorationWeight", DEFAULT_WEIGHT)),
            float(config.get("explorationItemAgeCutOff", DEFAULT_AGE_CUT_OFF_DAYS)))


def explore(scores: np.ndarray, stats: ItemStats, weight: float, cut_off_days: float, seed_text: str) -> np.ndarray:
    """Logits with a bonus for eligible (young) items: larger the fewer interactions they have, plus
    noise for the uncertainty. Weight 0 leaves the scores untouched; a (campaign, user) sees a stable list."""
    if weight <= 0:
        return scores
    eligible = stats.age_days <= cut_off_days
    seed = int.from_bytes(hashlib.sha256(seed_text.encode()).digest()[:8], "little")
    noise = np.random.default_rng(seed).standard_normal(scores.size)
    bonus = weight * 3.0 * scores.std() * (1.0 / np.sqrt(1.0 + stats.interactions) + 0.3 * noise)
    return np.where(eligible, scores + bonus, scores)
