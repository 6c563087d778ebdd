"""A saved ``.keras`` file that declares more weights than it holds: refused before Keras
builds it, fast and in little memory; genuine saved models still load, weights and all.

A kilobyte's ``config.json`` can declare a ``Dense`` of 16,000 units on 16,000
inputs: Keras would allocate a gigabyte building it, before it finds the values
missing. The same file passes the grader's zip check (nothing in it inflates), so
``load_keras`` counts the declared weights first, for the command line, the checks
and the grader alike.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide._inputs import load_keras
from kerasguide.grading._assignment import load as load_assignment
from kerasguide.grading._collect import zip_refusal
from kerasguide.grading._score import References, score_exercise

keras = _k.keras()
ASSIGNMENT = Path(__file__).parent / "data" / "grading" / "assignment" / "assignment.yaml"


def _rss_mb() -> float:
    """This process's resident memory now (VmRSS), in MB: TensorFlow's allocations too."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _dense_bomb(tmp_path: Path, units: int = 16_000) -> Path:
    """A genuine Dense(16) on 16 inputs, saved, whose config then says 16,000 and 16,000."""
    small = keras.Sequential([keras.Input((16,)), keras.layers.Dense(16, name="dense")])
    saved = tmp_path / "small.keras"
    small.save(saved)
    members = _members(saved)
    config = json.loads(members["config.json"])
    config["config"]["layers"][0]["config"]["batch_shape"] = [None, units]
    config["config"]["layers"][1]["config"]["units"] = units
    config["config"]["layers"][1]["build_config"]["input_shape"] = [None, units]
    config["config"]["build_input_shape"] = [None, units]
    config["build_config"]["input_shape"] = [None, units]
    members["config.json"] = json.dumps(config).encode()
    return _write(tmp_path / "bomb.keras", members)


def _refused(path: Path, match: str) -> tuple[float, float]:
    """load_keras's refusal of ``path``: (its CPU seconds, the MB its resident memory grew)."""
    before = _rss_mb()
    start = time.thread_time()
    with pytest.raises(kg.KerasGuideError, match=match) as caught:
        load_keras(path)
    seconds = time.thread_time() - start
    assert isinstance(caught.value, kg.FileError)
    assert caught.value.where == str(path)
    return seconds, _rss_mb() - before


def test_a_kilobyte_that_declares_a_gigabyte_of_weights_is_refused_fast_in_little_memory(
    tmp_path: Path,
) -> None:
    bomb = _dense_bomb(tmp_path)
    data = bomb.read_bytes()
    assert len(data) < 20_000
    assert zip_refusal(data, 100 * 2**20) is None  # nothing in it inflates: the zip check passes
    load_keras(tmp_path / "small.keras")  # Keras's first load imports and sets up its own
    seconds, grown = _refused(bomb, "declares more than its file holds")
    assert seconds < 0.5
    assert grown < 200, f"resident memory grew by {grown:.0f} MB"
    with pytest.raises(kg.FileError) as caught:
        load_keras(bomb)
    err = caught.value
    assert err.received is not None
    assert err.expected is not None
    assert err.received.startswith("1,024,064,000 bytes of weights declared by config.json")
    assert "the largest, 'dense/kernel', of shape (16000, 16000)" in err.received
    assert err.expected.startswith("weights that fit in the ")
    assert err.expected.endswith(" bytes of model.weights.h5")


def test_a_config_without_its_weights_file_is_refused_before_it_is_built(tmp_path: Path) -> None:
    members = _members(_dense_bomb(tmp_path))
    del members["model.weights.h5"]
    bomb = _write(tmp_path / "no_weights.keras", members)
    seconds, grown = _refused(bomb, "declares more than its file holds")
    assert seconds < 0.5
    assert grown < 200, f"resident memory grew by {grown:.0f} MB"


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_a_weights_file_dataset_that_declares_a_gigabyte_and_stores_nothing_is_refused(
    tmp_path: Path, compression: int
) -> None:
    import h5py

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, name="dense")])
    model.save(tmp_path / "small.keras")
    members = _members(tmp_path / "small.keras")
    weights = io.BytesIO()
    with h5py.File(weights, "w") as h5:  # what Keras reads for the kernel: declared, not stored
        h5.create_dataset("layers/dense/vars/0", shape=(250_000_000,), dtype="float32")
        h5.create_dataset("layers/dense/vars/1", data=np.zeros(1, "float32"))
    members["model.weights.h5"] = weights.getvalue()
    bomb = _write(tmp_path / "h5_bomb.keras", members, compression)
    assert zip_refusal(bomb.read_bytes(), 100 * 2**20) is None
    seconds, grown = _refused(bomb, r"declares more than its file holds \(model.weights.h5\)")
    assert seconds < 0.5
    assert grown < 200, f"resident memory grew by {grown:.0f} MB"


def test_weights_over_the_params_limit_are_refused_by_the_limit(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, name="dense")])
    model.save(tmp_path / "m.keras")
    with kg.set_limits(params=1000), pytest.raises(kg.LimitError, match="params") as caught:
        load_keras(tmp_path / "m.keras")
    assert caught.value.where == f"{tmp_path / 'm.keras'}, layer 'dense'"


def test_a_stateful_rnns_state_is_counted_against_the_free_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stateful RNN's state (its batch × its units) is memory no weights file holds."""
    model = keras.Sequential(
        [keras.Input((3, 2), batch_size=4), keras.layers.LSTM(5, stateful=True)]
    )
    model.save(tmp_path / "small.keras")
    members = _members(tmp_path / "small.keras")
    config = json.loads(members["config.json"])
    batch = 50_000_000  # two states of 5 floats per sample: 2 GB
    config["config"]["layers"][0]["config"]["batch_shape"] = [batch, 3, 2]
    config["config"]["layers"][1]["build_config"]["input_shape"] = [batch, 3, 2]
    config["config"]["build_input_shape"] = [batch, 3, 2]
    config["build_config"]["input_shape"] = [batch, 3, 2]
    members["config.json"] = json.dumps(config).encode()
    bomb = _write(tmp_path / "state.keras", members)
    monkeypatch.setattr("kerasguide.limits.free_memory", lambda: 2**30)
    before = _rss_mb()
    with pytest.raises(kg.LimitError, match=r"more than the 1\.1 GB of memory free") as caught:
        load_keras(bomb)
    assert _rss_mb() - before < 200
    assert caught.value.where == f"{bomb}, layer 'lstm'"
    assert caught.value.received is not None
    assert caught.value.received.startswith("2.0 GB; the largest layer, 'lstm' (LSTM)")


def _mixed() -> Any:
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        return keras.Sequential([keras.Input((5,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _functional() -> Any:
    inputs = keras.Input((6,))
    left = keras.layers.Dense(4, activation="relu")(inputs)
    right = keras.layers.Dense(4)(inputs)
    merged = keras.layers.Concatenate()([left, right])
    return keras.Model(inputs, keras.layers.Dense(1)(merged))


GENUINE = {
    "sequential": lambda: keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(300, activation="relu"), keras.layers.Dense(3)]
    ),
    "functional": _functional,
    "batch_norm": lambda: keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Conv2D(4, 3),
            keras.layers.BatchNormalization(),  # non-trainable moving mean and variance
            keras.layers.Dropout(0.5),  # a seed generator's state, not stored
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    ),
    "float16": lambda: keras.Sequential(
        [keras.Input((5,)), keras.layers.Dense(4, dtype="float16"), keras.layers.Dense(2)]
    ),
    "mixed_float16": _mixed,
    "stateful_lstm": lambda: keras.Sequential(
        [keras.Input((3, 2), batch_size=4), keras.layers.LSTM(5, stateful=True)]
    ),
    "embedding": lambda: keras.Sequential(
        [keras.Input((4,), dtype="int32"), keras.layers.Embedding(50, 8), keras.layers.Flatten()]
    ),
}


@pytest.mark.parametrize("name", sorted(GENUINE))
def test_genuine_saved_models_load_with_every_weight(name: str, tmp_path: Path) -> None:
    model = GENUINE[name]()
    model.save(tmp_path / f"{name}.keras")
    loaded = load_keras(tmp_path / f"{name}.keras")
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    assert [w.dtype for w in loaded.weights] == [w.dtype for w in model.weights]
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_model_saved_compiled_and_trained_loads_with_its_optimizer_in_the_file(
    tmp_path: Path,
) -> None:
    """Adam's moments are in the weights file, and not declared by the config: they only
    make the file larger than the weights it declares."""
    model = keras.Sequential([keras.Input((200,)), keras.layers.Dense(500), keras.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 200)), np.ones((4, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "trained.keras")
    with zipfile.ZipFile(tmp_path / "trained.keras") as archive:
        stored = archive.getinfo("model.weights.h5").file_size
    assert stored > 3 * 4 * model.count_params()  # the weights and Adam's two moments
    loaded = load_keras(tmp_path / "trained.keras")
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    with kg.set_limits(params=model.count_params()):  # at the limit, not over it
        load_keras(tmp_path / "trained.keras")


def test_the_grader_scores_the_bomb_unloadable_with_the_reason(tmp_path: Path) -> None:
    """The scoring step alone, on the crafted file (no kernel): what the student reads."""
    assignment = load_assignment(ASSIGNMENT)
    exercise = assignment.exercises[0]
    folder = tmp_path / "kerasguide-model-copy"
    folder.mkdir()
    bomb = _dense_bomb(tmp_path)
    bomb.rename(folder / "model.keras")
    before = _rss_mb()
    result = score_exercise(exercise, folder / "model.keras", References(assignment))
    assert _rss_mb() - before < 200
    assert (result.status, result.score) == ("unloadable", 0.0)
    assert result.reason.startswith(
        "the saved model declares more than its file holds (config.json): "
        "1,024,064,000 bytes of weights declared by config.json (1.0 GB)"
    )
    assert not folder.exists()  # the copy is removed once scored
