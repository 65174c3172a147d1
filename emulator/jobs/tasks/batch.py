"""Batch inference and batch segment jobs: one output line per input line, written to
`<output folder>/<input file name>.out`, then a `_CHECK` marker. spec: personalize-behavior.md §11"""

import json

import numpy as np

from emulator import filter_masks, recommending, s3
from emulator.errors import ServiceError
from emulator.recipes.segment_queries import parse_item_attributes
from emulator.recommending import Source
from emulator.store.arns import dataset_arn
from service_model import recipes as catalogue


def infer(arn: str, env) -> None:
    job = env.store.get("batch-inference-job", arn)
    source = _source(env, job["solutionVersionArn"], job.get("batchInferenceJobConfig") or {})
    count = job["numResults"]

    def answer(query: dict) -> dict:
        values, filter_arn = query.get("filterValues"), job.get("filterArn")
        if source.recipe_type == "PERSONALIZED_RANKING":
            ranked = recommending.rank(env, source, user_id=_text(query, "userId"),
                                       input_list=[str(item) for item in _list(query, "itemList")],
                                       filter_arn=filter_arn, filter_values=values)
            return _output(ranked)
        if source.recipe_type == "RELATED_ITEMS":
            user_id, item_id = query.get("userId"), _text(query, "itemId")
        else:
            user_id, item_id = _text(query, "userId"), None
        items = recommending.recommend(env, source, user_id=user_id, item_id=item_id, count=count,
                                       filter_arn=filter_arn, filter_values=values)
        return {**_output(items), **_theme(env, job, source.group, item_id)}

    _run(env, job, answer)


def _theme(env, job: dict, group: str, item_id: str | None) -> dict:
    """THEME_GENERATION: a theme for the related items, made from the query item's name (the service writes one
    with a language model). spec: personalize-behavior.md §11.1"""
    if job.get("batchInferenceJobMode") != "THEME_GENERATION" or item_id is None:
        return {}
    column = job["themeGenerationConfig"]["fieldsForThemeGeneration"]["itemName"]
    name = (env.rows.record(dataset_arn(group, "ITEMS"), item_id) or {}).get(column) or item_id
    return {"theme": f"More like {name}"}


def segment(arn: str, env) -> None:
    """Users most likely to interact with an item (item affinity) or with the items an attribute query matches;
    a UserID filter keeps only the users it passes. spec: personalize-behavior.md §11.2"""
    job = env.store.get("batch-segment-job", arn)
    source = _source(env, job["solutionVersionArn"], {})
    model, count = source.deployed.model, job["numResults"]
    chosen = filter_masks.load(env.store, job["filterArn"], source.group) if job.get("filterArn") else None
    data = filter_masks.RequestData(env, source.group, "UserID", None, None)

    def answer(query: dict) -> dict:
        if catalogue.traits(source.recipe).segments_by_attributes:
            items = model.items_matching(parse_item_attributes(_text(query, "itemAttributes")))
        else:
            index = source.deployed.item_index.get(_text(query, "itemId"))
            if index is None:
                raise ValueError(f"item {query['itemId']} is not in the model's catalogue")
            items = np.array([index])
        users, scores = model.users_for_items(items, len(model.user_ids))
        ranked = np.full(len(model.user_ids), -np.inf)
        ranked[users] = scores
        passes = (lambda ids: filter_masks.keep(chosen, ids, data, query.get("filterValues"))) if chosen else \
            (lambda ids: [True] * len(ids))
        best = filter_masks.best_passing(ranked, model.user_ids, count, passes)
        return {"usersList": [str(model.user_ids[user]) for user in best]}

    _run(env, job, answer)


def _source(env, version_arn: str, config: dict) -> Source:
    version = env.store.get("solution-version", version_arn)
    recipe = catalogue.recipe(version["recipeArn"])
    return Source(version_arn, version_arn, recipe["name"], recipe["recipeType"], version["datasetGroupArn"],
                  config, env.deployed.model(version_arn))


def _run(env, job: dict, answer) -> None:
    """Every input file's lines through `answer`; a bad line gets an error on its output line, not a failed job."""
    source, target = job["jobInput"]["s3DataSource"]["path"], job["jobOutput"]["s3DataDestination"]["path"]
    for key, data in env.s3.read(source):
        lines = []
        for line in data.decode("utf-8", errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                query = json.loads(line)
                if not isinstance(query, dict):
                    raise ValueError("each line must be a JSON object")
                lines.append({"input": query, "output": answer(query), "error": None})
            except (ValueError, ServiceError) as problem:
                message = problem.message if isinstance(problem, ServiceError) else str(problem)
                lines.append({"input": _raw(line), "output": None, "error": message})
        body = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        env.s3.write(s3.join(target, key.rsplit("/", 1)[-1] + ".out"), body.encode())
    env.s3.write(s3.join(target, "_CHECK"), b"")


def _output(items: list[dict]) -> dict:
    output = {"recommendedItems": [item["itemId"] for item in items]}
    if items and all("score" in item for item in items):
        output["scores"] = [item["score"] for item in items]
    return output


def _text(query: dict, key: str) -> str:
    value = query.get(key)
    if not isinstance(value, (str, int)) or isinstance(value, bool) or str(value) == "":
        raise ValueError(f"the line needs {key} as a string")
    return str(value)


def _list(query: dict, key: str) -> list:
    value = query.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"the line needs {key} as a non-empty list")
    return value


def _raw(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return line
