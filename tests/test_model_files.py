"""A trained model's files (emulator/store/model_files.py): written whole, deleted together."""

import numpy as np

from emulator.store import model_files


def _write_model(models_dir, *parts: str) -> str:
    artifact = model_files.name(*parts)
    model = model_files.path(models_dir, artifact)
    for file in (model, model_files.stats_path(model), model_files.context_path(model)):
        model_files.save_arrays(file, values=np.arange(3))
    return artifact


def test_a_model_is_saved_whole_with_no_partial_file_left(tmp_path):
    _write_model(tmp_path, "shop", "1a2b3c4d")
    assert sorted(file.name for file in tmp_path.iterdir()) == [
        "shop-1a2b3c4d-context.npz", "shop-1a2b3c4d-items.npz", "shop-1a2b3c4d.npz"]
    with np.load(tmp_path / "shop-1a2b3c4d.npz") as saved:
        assert saved["values"].tolist() == [0, 1, 2]


def test_deleting_a_model_deletes_its_files_and_no_others(tmp_path):
    gone, kept = _write_model(tmp_path, "shop", "1a2b3c4d"), _write_model(tmp_path, "shop", "5e6f7a8b")
    model_files.delete(tmp_path, gone)
    model_files.delete(tmp_path, None)   # a resource that never trained has no files
    assert sorted(file.name for file in tmp_path.iterdir()) == [
        "shop-5e6f7a8b-context.npz", "shop-5e6f7a8b-items.npz", kept]


def test_a_reset_deletes_every_model_and_a_start_the_partial_files(tmp_path):
    _write_model(tmp_path, "recommender", "shop", "1a2b3c4d")
    partial = tmp_path / f"shop-5e6f7a8b.npz.123{model_files.PARTIAL_SUFFIX}"
    partial.write_bytes(b"half a model")
    model_files.delete_all(tmp_path)
    assert [file.name for file in tmp_path.iterdir()] == [partial.name]
    model_files.delete_partial(tmp_path)
    assert list(tmp_path.iterdir()) == []
