"""One answer for any source (a campaign, a recommender, or a batch job's solution version): the model's
scores, exploration, the use case's exclusions, the filter and the promotions, turned into the items of a
response. spec: personalize-behavior.md §8, §9.5"""

import json
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from emulator import exploration, filter_masks
from emulator.errors import InvalidInputException
from emulator.recipes.metrics import top_k
from emulator.deployed import Deployed
from emulator.store.arns import dataset_arn
from service_model import recipes as catalogue

V2_EXPLORATION_SHARE, V2_EXPLORATION_DAYS = 0.001, 30.0
INFLUENCE = 0.2   # spec: recipes-and-models.md §5.17: cosine + 0.2·r_pop·popularity pct + 0.2·r_fresh·freshness pct
# every Promotion member is optional in the model: without percentPromotedItems a promotion takes its least
# value, 1 %, which rounds up to one promoted item in any list of up to 100
DEFAULT_PROMOTED_PERCENT = 1


@dataclass
class Source:
    arn: str                  # the campaign or recommender that answers (a version ARN for batch jobs)
    model_arn: str            # the solution version or recommender whose trained model answers
    recipe: str
    recipe_type: str
    group: str
    config: dict              # campaignConfig, recommenderConfig or batchInferenceJobConfig
    deployed: Deployed
    excluded: tuple[str, ...] = field(default=())   # event types whose items the user never gets back


def recommend(env, source: Source, *, user_id: str | None, item_id: str | None, count: int,
              filter_arn: str | None = None, filter_values: dict | None = None,
              promotions: list | None = None, context: dict | None = None) -> list[dict]:
    """[{itemId, score?, promotionName?}] best first. A user's plain request (no item, context, filter, promotion or
    exclusions) is answered again from what the same request got while the user's state, the campaign's settings
    and its exploration's candidates and snapshot stay the same: the answer would be the same."""
    model, ids, scored = source.deployed.model, source.deployed.model.item_ids, None
    if source.recipe_type == "RELATED_ITEMS":
        scores = env.deployed.related_scores(source.model_arn, item_id)
        if catalogue.traits(source.recipe).ranking_influence and source.config.get("rankingInfluence"):
            scores = _influenced(scores, source.deployed.stats, source.config["rankingInfluence"])
    elif user_id is not None and not context:
        scored = env.deployed.scored(source.model_arn, user_id)
        scores = scored.scores
    else:
        scores = _in_context(source, env.deployed.scores(source.model_arn, user_id), context)
    weight, feedback, candidates, beliefs = _exploration(env, source)
    plain = scored is not None and item_id is None and not (filter_arn or promotions or source.excluded)
    found = scored.answers.get((source.arn, count)) if plain else None
    if found is not None and found.config == source.config and found.candidates is candidates \
            and found.beliefs is beliefs:
        return _shown(feedback, list(found.items))
    if candidates is not None:
        ids, scores = candidates.ids, _with_new_items(candidates.new, scores)
        scores = exploration.lift(scores, candidates, beliefs, weight, f"{source.arn}|{user_id}")
    if item_id is not None and item_id in source.deployed.item_index:
        scores = scores.copy()
        scores[source.deployed.item_index[item_id]] = -np.inf   # an item is not related to itself
    data = filter_masks.RequestData(env, source.group, "ItemID", user_id, item_id)
    unwanted = data.interacted(frozenset(kind.lower() for kind in source.excluded)) if source.excluded else set()
    promotion = (promotions or [None])[0]
    share = promotion.get("percentPromotedItems", DEFAULT_PROMOTED_PERCENT) if promotion else 0
    promoted_count = math.ceil(count * share / 100)
    main = _choice(env, source, data, ids, filter_arn, filter_values, unwanted)
    chosen = _best(scores, ids, count - promoted_count, main)
    promoted = []
    if promotion:
        taken = {str(ids[i]) for i in chosen} | unwanted
        promoted = _best(scores, ids, promoted_count, _choice(env, source, data, ids, promotion.get("filterArn"),
                                                              promotion.get("filterValues"), taken))
        if len(promoted) < promoted_count:   # too few promoted items: the others fill the list
            extra = _best(scores, ids, count - len(promoted), main)
            chosen = [i for i in extra if i not in set(promoted)][:count - len(promoted)]
    probabilities = _softmax(scores) if model.returns_scores else None
    items = _items(ids, chosen, probabilities)
    for position, i in zip(_spread(len(promoted), len(items) + len(promoted), f"{source.arn}|{user_id}"), promoted):
        items.insert(position, {**_item(ids, i, probabilities), "promotionName": promotion.get("name")})
    if catalogue.traits(source.recipe).v2:
        _explain(env, source, items, ids, probabilities, f"{source.arn}|{user_id}")
    if plain:
        scored.keep((source.arn, count), Answer(source.config, candidates, beliefs, tuple(items)))
    return _shown(feedback, items)


def _exploration(env, source: Source) -> tuple:
    """(weight, feedback, candidates, beliefs of the current snapshot) of a source that explores; Nones (and weight
    0) for one that does not."""
    if catalogue.traits(source.recipe).explores:
        weight, cut_off = exploration.campaign_settings(source.config)
        if weight > 0:
            candidates = env.exploration.candidates(source.model_arn, source.group, cut_off)
            feedback = env.exploration.feedback(source.arn, source.model_arn)
            return weight, feedback, candidates, feedback.beliefs(candidates.eligible_ids, candidates.key)
    return 0.0, None, None, None


class Answer(NamedTuple):
    """A plain request's answer, kept with the user's scores (Scored.answers, by source ARN and count), and what
    else it was worked out from."""
    config: dict                                # the campaign's (or recommender's) settings
    candidates: exploration.Candidates | None   # exploration's, with the new items
    beliefs: exploration.Beliefs | None         # exploration's snapshot
    items: tuple[dict, ...]                     # callers get a list of the same dicts, which nobody changes


def _shown(feedback: exploration.Feedback | None, items: list[dict]) -> list[dict]:
    if feedback is not None:
        feedback.showed([item["itemId"] for item in items])
    return items


def _explain(env, source: Source, items: list[dict], ids: np.ndarray, probabilities: np.ndarray | None,
             seed_text: str) -> None:
    """v2: the service explores by itself, giving each slot with a small chance to an item of the last 30 days,
    and says why an item is there. spec: recipes-and-models.md §2.6, personalize-behavior.md §8.1"""
    young = np.flatnonzero(source.deployed.stats.age_days <= V2_EXPLORATION_DAYS)
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    present = {item["itemId"] for item in items}
    for position, item in enumerate(items):
        if "promotionName" in item:
            item["reason"] = ["Promoted item"]
        elif young.size and rng.random() < V2_EXPLORATION_SHARE:
            index = int(rng.choice(young))
            if str(ids[index]) not in present:
                present.add(str(ids[index]))
                items[position] = {**_item(ids, index, probabilities), "reason": ["Exploration"]}


def _with_new_items(new: exploration.NewItems, scores: np.ndarray) -> np.ndarray:
    """Scores extended to the Items records added since training, each scored through its metadata (the user's mean
    score of known items that share a categorical value with it, else the mean of all); exploration may lift them.
    spec: recipes-and-models.md §2.6"""
    if not len(new.ids):
        return scores
    finite = scores[np.isfinite(scores)]
    priors = new.priors(np.where(np.isfinite(scores), scores, finite.mean()), finite.mean())
    return np.concatenate([scores, priors])


def rank(env, source: Source, *, user_id: str, input_list: list[str], filter_arn: str | None = None,
         filter_values: dict | None = None, context: dict | None = None) -> list[dict]:
    """The input items by the user's scores, a softmax over the known ones; unknown items last, unscored.
    spec: personalize-behavior.md §8.2"""
    index = source.deployed.item_index
    wanted = list(dict.fromkeys(input_list))
    if filter_arn:
        data = filter_masks.RequestData(env, source.group, "ItemID", user_id, None)
        chosen = _filter(env, source, filter_arn)
        wanted = [item for item, ok in zip(wanted, filter_masks.keep(chosen, wanted, data, filter_values)) if ok]
    known = [item for item in wanted if item in index]
    scores = _in_context(source, env.deployed.scores(source.model_arn, user_id), context)[[index[item] for item in known]]
    order = top_k(scores, len(known))
    probabilities = _softmax(scores)
    return ([{"itemId": known[i], "score": round(float(probabilities[i]), 7)} for i in order]
            + [{"itemId": item} for item in wanted if item not in index])


def actions(env, source: Source, *, user_id: str, count: int, filter_arn: str | None = None,
            filter_values: dict | None = None) -> list[dict]:
    """[{actionId, score}]: propensities rounded to 2 decimals, ties broken by the action's VALUE; expired actions
    and actions inside their repeat window after the user took them are left out. spec: personalize-behavior.md
    §8.3, recipes-and-models.md §5.9"""
    ids = source.deployed.model.item_ids
    propensity = env.deployed.scores(source.model_arn, user_id)
    data = filter_masks.RequestData(env, source.group, "ActionID", user_id, None)
    records = {str(action): data.records.get(str(action)) or {} for action in ids}
    taken = env.rows.last_taken(dataset_arn(source.group, "ACTION_INTERACTIONS"), user_id)
    now = time.time()

    def eligible(action: str) -> bool:
        record = records[action]
        expires = record.get("EXPIRATION_TIMESTAMP") or record.get("ACTION_EXPIRATION_TIMESTAMP")
        repeat_days = record.get("REPEAT_FREQUENCY")
        return not (expires and float(expires) < now) and not (
            repeat_days and action in taken and now - taken[action] < float(repeat_days) * 86_400)

    chosen = _filter(env, source, filter_arn) if filter_arn else None
    value = np.array([float(records[str(action)].get("VALUE") or 0) for action in ids])
    rounded = np.round(np.clip(propensity, 0.0, 1.0), 2)
    order = np.lexsort((-value, -rounded))   # by rounded score, then by VALUE
    found = []
    for index in order:
        action = str(ids[index])
        if eligible(action) and (chosen is None or filter_masks.keep(chosen, [action], data, filter_values)[0]):
            found.append({"actionId": action, "score": float(rounded[index])})
            if len(found) == count:
                break
    return found


def _influenced(scores: np.ndarray, stats: exploration.ItemStats, influence: dict) -> np.ndarray:
    """A campaign's rankingInfluence: each item lifted by its percentile of popularity (interactions in training)
    and of freshness (youngest first), each weighed 0-1."""
    from scipy.stats import rankdata   # here, not at the top: scipy.stats is half a second of every server start
    lift = np.zeros(len(scores))
    known = len(stats.interactions)
    for name, values in (("POPULARITY", stats.interactions), ("FRESHNESS", -stats.age_days)):
        weight = float(influence.get(name, 0.0))
        if weight and known > 1:
            lift[:known] += INFLUENCE * weight * (rankdata(values) - 1) / (known - 1)
    return scores + lift


def _in_context(source: Source, scores: np.ndarray, context: dict | None) -> np.ndarray:
    """Recipes with context features add the lifts learned for the request's context values."""
    return source.deployed.context.adjust(scores, context) if catalogue.traits(source.recipe).contextual else scores


@dataclass
class Choice:
    """Which candidates may be returned: a mask over all of them (filters that read only the candidates' own
    records, worked out once per filter, values and data, then cached), and a test of each candidate read in score
    order (filters that read the user's interactions or record, and the use case's exclusions)."""
    mask: np.ndarray | None = None
    passes: Callable[[list[str]], list[bool]] | None = None


def _filter(env, source: Source, filter_arn: str):
    chosen = filter_masks.load(env.store, filter_arn, source.group)
    if chosen.uses_current_item and source.recipe_type != "RELATED_ITEMS":
        raise InvalidInputException(f"Filter {filter_arn} uses CurrentItem, which only related-items recipes "
                                    "provide.")
    return chosen


def _choice(env, source: Source, data: filter_masks.RequestData, ids: np.ndarray, filter_arn: str | None,
            values: dict | None, unwanted: set[str]) -> Choice:
    chosen = _filter(env, source, filter_arn) if filter_arn else None
    mask = None
    if chosen is not None and not (chosen.uses_interactions or chosen.uses_current_user or chosen.uses_current_item):
        key = (filter_arn, json.dumps(values or {}, sort_keys=True), source.model_arn, len(ids))
        mask = env.masks.get(key, lambda: np.array(filter_masks.keep(chosen, ids.tolist(), data, values), dtype=bool))
        chosen = None

    def passes(candidates: list[str]) -> list[bool]:
        verdicts = filter_masks.keep(chosen, candidates, data, values) if chosen else [True] * len(candidates)
        return [ok and candidate not in unwanted for candidate, ok in zip(candidates, verdicts)]
    return Choice(mask, passes if chosen is not None or unwanted else None)


def _best(scores: np.ndarray, ids: np.ndarray, count: int, choice: Choice) -> list[int]:
    if count <= 0:
        return []
    if choice.mask is None and choice.passes is None:
        return _top(scores, count)
    if choice.mask is not None:
        scores = np.where(choice.mask, scores, -np.inf)
    if choice.passes is None:
        best = top_k(scores, count)
        return best[np.isfinite(scores[best])].tolist()
    return filter_masks.best_passing(scores, ids, count, choice.passes)


def _top(scores: np.ndarray, count: int) -> list[int]:
    """The finite ones of top_k(scores, count), in half its numpy calls where the k-th best score is finite and
    shared with no other item (each call costs microseconds once the caches have gone cold); top_k otherwise."""
    size = scores.size
    if 0 < count < size:
        part = np.argpartition(scores, size - count)[size - count:]
        top = scores[part]
        kth = top.min()
        if math.isfinite(kth) and math.isfinite(top.max()) and np.count_nonzero(scores >= kth) == count:
            return part[np.lexsort((part, -top))].tolist()   # best first, equal scores in index order, as top_k
    best = top_k(scores, count)
    return best[np.isfinite(scores[best])].tolist()


def _items(ids: np.ndarray, indices: list[int], probabilities: np.ndarray | None) -> list[dict]:
    """The response entries of these item indices, converted in one go (a quarter of the time of one by one)."""
    indices = np.array(indices, dtype=np.intp)
    names = ids[indices].tolist()
    if probabilities is None:
        return [{"itemId": name} for name in names]
    # spec §8.1: 7 decimals; a recommended item's softmax share under 5e-8 (a catalogue where a few items take
    # nearly all of it, as the popular-now lift can make) shows as the least of them, not as 0
    return [{"itemId": name, "score": max(round(value, 7), 1e-7)}
            for name, value in zip(names, probabilities[indices].tolist())]


def _item(ids: np.ndarray, index: int, probabilities: np.ndarray | None) -> dict:
    return _items(ids, [index], probabilities)[0]


def _softmax(scores: np.ndarray) -> np.ndarray:
    """spec: personalize-behavior.md §8.1: a softmax over the whole catalogue."""
    top = scores.max(initial=-np.inf)
    if math.isfinite(top):   # the usual case, in half the time: exp of the -inf of filtered items is 0 anyway
        shifted = np.exp(scores - top)
        shifted /= max(shifted.sum(), 1e-300)
        return shifted
    finite = np.isfinite(scores)
    top = scores[finite].max() if finite.any() else 0.0
    shifted = np.where(finite, np.exp(np.where(finite, scores, top) - top), 0.0)
    return shifted / max(shifted.sum(), 1e-300)


def _spread(promoted: int, total: int, seed_text: str) -> list[int]:
    """Random but stable positions for promoted items, ascending, so they keep their score order."""
    if promoted == 0:
        return []
    seed = zlib.crc32(seed_text.encode())
    return sorted(np.random.default_rng(seed).choice(total, size=promoted, replace=False).tolist())
