"""The files of a trained model in the models directory: the model's arrays, and beside them the item statistics
exploration needs and the learned context lifts. The trainer writes them (each whole or not at all), serving reads
them, deleting a solution version or a recommender deletes them, a reset deletes them all."""

import os
import pathlib

import numpy as np

SUFFIX = ".npz"
PARTIAL_SUFFIX = ".partial"   # a file being written; one left by a killed trainer is deleted at the next start


def name(*parts: str) -> str:
    """A model's file name (its `artifact`, kept with the resource): the parts joined by '-'."""
    return "-".join(parts) + SUFFIX


def path(models_dir: pathlib.Path, artifact: str) -> pathlib.Path:
    return models_dir / artifact


def stats_path(model: pathlib.Path | str) -> pathlib.Path:
    """Where the item statistics that exploration needs are kept, beside the model."""
    model = pathlib.Path(model)
    return model.with_name(model.stem + "-items" + SUFFIX)


def context_path(model: pathlib.Path | str) -> pathlib.Path:
    """Where the context lifts are kept, beside the model."""
    model = pathlib.Path(model)
    return model.with_name(model.stem + "-context" + SUFFIX)


def save_arrays(target: pathlib.Path | str, **arrays) -> None:
    """np.savez into a temporary file renamed over `target`: a reader, or a training resumed after a crash, never
    meets half a file."""
    target = pathlib.Path(target)
    partial = target.with_name(f"{target.name}.{os.getpid()}{PARTIAL_SUFFIX}")
    try:
        with open(partial, "wb") as out:   # a file object: np.savez would otherwise append .npz to the name
            np.savez(out, **arrays)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def delete(models_dir: pathlib.Path, artifact: str | None) -> None:
    """A model's files, when it has any."""
    if artifact:
        model = path(models_dir, artifact)
        for file in (model, stats_path(model), context_path(model)):
            file.unlink(missing_ok=True)


def delete_all(models_dir: pathlib.Path) -> None:
    """Every model's files (a reset)."""
    for file in models_dir.glob(f"*{SUFFIX}"):
        file.unlink(missing_ok=True)


def delete_partial(models_dir: pathlib.Path) -> None:
    """The files that trainers killed while writing left (at start, before any trainer runs)."""
    for partial in models_dir.glob(f"*{PARTIAL_SUFFIX}"):
        partial.unlink(missing_ok=True)
